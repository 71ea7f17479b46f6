package e2e_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/node"
)

// logBuffer collects a node's log; tests print its tail when they fail.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) tail(n int) string {
	l.mu.Lock()
	s := l.buf.String()
	l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// simNode is a node running in this process on a simulated clock. The
// node's main loop is the only user of the clock's timers, so "one timer
// armed" means the loop finished its step and waits: the test then talks
// to a quiescent node, and what the node does depends only on what the
// test sent and when, never on the machine's speed.
type simNode struct {
	t      *testing.T
	clk    *clock.Simulated
	n      *node.Node
	log    *logBuffer
	cancel context.CancelFunc
	done   chan struct{}
	runErr error
	pub    *api.Client
	once   sync.Once
}

func startSimNode(t *testing.T, clk *clock.Simulated, opts node.Options) *simNode {
	t.Helper()
	s := &simNode{t: t, clk: clk, log: &logBuffer{}, done: make(chan struct{})}
	opts.Clock = clk
	opts.Logger = slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts.Stdout = s.log
	n, err := node.New(opts)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	s.n = n
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.runErr = n.Run(ctx)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.log.tail(60))
		}
	})
	s.waitIdle()
	s.pub = api.NewClient("http://"+n.PublicAddr(), "")
	return s
}

// waitIdle waits until the node's loop has armed its next timer (a
// minute of real time at most: beyond that the node hangs).
func (s *simNode) waitIdle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.clk.WaitForTimers(ctx, 1); err != nil {
		select {
		case <-s.done:
			s.t.Fatalf("node stopped: %v", s.runErr)
		default:
		}
		s.t.Fatalf("node loop did not become idle: %v", err)
	}
}

// advanceTo moves virtual time to ms, one timer at a time.
func (s *simNode) advanceTo(ms uint64) {
	s.t.Helper()
	for s.clk.NowMS() < ms {
		if !s.clk.AdvanceToNextTimer() {
			s.t.Fatal("the node armed no timer")
		}
		s.waitIdle()
	}
}

// stop cancels Run and waits for it to return; the databases are closed
// afterwards.
func (s *simNode) stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			s.t.Errorf("Run did not return within a minute of cancel")
		}
		if s.runErr != nil {
			s.t.Errorf("Run: %v", s.runErr)
		}
	})
}
