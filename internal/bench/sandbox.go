package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/wallet"
)

// BuildNode builds cmd/massa-node of the module at root into dir and
// returns the binary's path.
func BuildNode(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "massa-node")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/massa-node")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: go build ./cmd/massa-node in %s: %v\n%s(give a built node with --node-bin)", ErrNodeStart, root, err, out)
	}
	return bin, nil
}

// SandboxOptions describe the node process to start.
type SandboxOptions struct {
	NodeBin string
	// Home is the node's home; it must not hold a chain yet.
	Home    string
	Genesis *GenesisSpec // genesis_timestamp is set at start
	Staker  *crypto.SecretKey
	// LeadTime is how long after the start the first slot comes.
	LeadTime time.Duration
	// MaxArguments is [api] max_arguments: the largest send_operations batch.
	MaxArguments int
	// PoolSize is [pool] max_operation_pool_size (0: the node's default).
	PoolSize int
	// Log receives the node's output (nil: discarded).
	Log io.Writer
}

// Sandbox is a running bench node.
type Sandbox struct {
	Home       string
	PublicURL  string
	MetricsURL string // serves /metrics and /debug/pprof
	PID        int

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	mu      sync.Mutex
	tail    []string
}

var publicAPIRe = regexp.MustCompile(`public_api=(\S+)`)

// freePort returns a loopback port that was free a moment ago (the
// metrics server, unlike the API, does not report the port it bound).
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartSandbox writes the node's configuration, genesis and staking wallet
// into opts.Home, starts the node and waits until its API answers.
func StartSandbox(ctx context.Context, opts SandboxOptions) (*Sandbox, error) {
	if opts.NodeBin == "" || opts.Home == "" || opts.Genesis == nil || opts.Staker == nil {
		return nil, fmt.Errorf("sandbox: node binary, home, genesis and staker are required: %w", ErrBadOptions)
	}
	cfgDir := filepath.Join(opts.Home, "config")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		return nil, err
	}
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	var extra strings.Builder
	if opts.MaxArguments > 0 {
		fmt.Fprintf(&extra, "max_arguments = %d\n", opts.MaxArguments)
	}
	pool := ""
	if opts.PoolSize > 0 {
		pool = fmt.Sprintf("\n[pool]\nmax_operation_pool_size = %d\n", opts.PoolSize)
	}
	conf := fmt.Sprintf(`# Written by massa-bench: every listener on loopback.
[logging]
level = 2

[api]
bind_public = "127.0.0.1:0"
bind_private = "127.0.0.1:0"
bind_api = "127.0.0.1:0"
max_connections = 256
%s
[network]
bind = "127.0.0.1:0"

[bootstrap]
bind = ""

[metrics]
enabled = true
bind = %q

[factory]
stop_production_when_zero_connections = false
%s`, extra.String(), metrics, pool)
	if err := os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(conf), 0o600); err != nil {
		return nil, err
	}

	// The staking wallet holds the staker's key; its password is a file
	// in the home, given to the node with --pwd-file.
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	pwFile := filepath.Join(opts.Home, "bench_password")
	pw := hex.EncodeToString(raw[:])
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		return nil, err
	}
	w, _, err := wallet.OpenOrCreate(filepath.Join(cfgDir, "staking_wallets"), []byte(pw))
	if err != nil {
		return nil, fmt.Errorf("%w: staking wallet: %w", ErrNodeStart, err)
	}
	if err := w.Add(opts.Staker); err != nil {
		return nil, fmt.Errorf("%w: staking wallet: %w", ErrNodeStart, err)
	}

	// Period 0 (the genesis blocks) is placed t0 before the first slot,
	// as the node's own sandbox does.
	lead := opts.LeadTime
	if lead <= 0 {
		lead = 3 * time.Second
	}
	t0 := uint64(16_000)
	if v, ok := opts.Genesis.Params["t0"].(uint64); ok {
		t0 = v
	}
	g := *opts.Genesis
	g.Params = make(map[string]any, len(opts.Genesis.Params)+1)
	for k, v := range opts.Genesis.Params {
		g.Params[k] = v
	}
	g.Params["genesis_timestamp"] = uint64(time.Now().Add(lead).UnixMilli()) - t0
	if err := g.Write(filepath.Join(cfgDir, "genesis.json")); err != nil {
		return nil, err
	}

	s := &Sandbox{Home: opts.Home, MetricsURL: "http://" + metrics, done: make(chan struct{})}
	s.cmd = exec.Command(opts.NodeBin, "--home", opts.Home, "--pwd-file", pwFile)
	pr, pw2 := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw2, pw2
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNodeStart, err)
	}
	s.PID = s.cmd.Process.Pid
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if opts.Log != nil {
				fmt.Fprintln(opts.Log, line)
			}
			s.mu.Lock()
			s.tail = append(s.tail, line)
			if len(s.tail) > 40 {
				s.tail = s.tail[len(s.tail)-40:]
			}
			s.mu.Unlock()
			if m := publicAPIRe.FindStringSubmatch(line); m != nil && !sent {
				ready <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		s.waitErr = s.cmd.Wait()
		pw2.Close()
		close(s.done)
	}()
	select {
	case addr := <-ready:
		s.PublicURL = "http://" + addr
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%w: it exited (%v):\n%s", ErrNodeStart, s.waitErr, s.Tail())
	case <-ctx.Done():
		s.Kill()
		return nil, ctx.Err()
	case <-time.After(90 * time.Second):
		s.Kill()
		return nil, fmt.Errorf("%w: its API did not answer within 90 s:\n%s", ErrNodeStart, s.Tail())
	}
}

// Tail returns the last lines the node printed.
func (s *Sandbox) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Done is closed when the process has exited.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Stop asks the node to stop (SIGINT) and waits, killing it after 30 s.
func (s *Sandbox) Stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
		return s.waitErr
	case <-time.After(30 * time.Second):
		s.Kill()
		return fmt.Errorf("node did not stop within 30 s of SIGINT; killed")
	}
}

// Kill ends the process at once.
func (s *Sandbox) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}
