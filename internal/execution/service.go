package execution

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// Service runs a Core in one goroutine: consensus updates are coalesced
// (final blocks accumulate, the latest blockclique wins) and applied by
// the worker, which then calls Run; a ticker makes candidate slots advance
// with time even without blocks. Queries go straight to Core(), which is
// safe for concurrent use.
type Service struct {
	core *Core
	now  func() uint64 // ms
	tick time.Duration
	log  *slog.Logger

	mu      sync.Mutex
	pending *pendingUpdate
	wake    chan struct{}
	err     error

	cancel context.CancelFunc
	done   chan struct{}
}

type pendingUpdate struct {
	final       []*BlockToExecute
	clique      []*BlockToExecute
	latestFinal []types.Slot
}

// NewService wraps core. now returns the current time in ms (the node's
// slot clock); tick is how often the worker wakes without news (a fraction
// of the slot interval, e.g. 100 ms).
func NewService(core *Core, now func() uint64, tick time.Duration, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	return &Service{core: core, now: now, tick: tick, log: log, wake: make(chan struct{}, 1)}
}

// Core returns the core for queries.
func (s *Service) Core() *Core { return s.core }

// UpdateBlockclique queues what consensus decided; it never blocks on
// execution. Updates that arrive while the worker is busy are merged.
func (s *Service) UpdateBlockclique(final, clique []*BlockToExecute, latestFinal []types.Slot) {
	s.mu.Lock()
	if s.pending == nil {
		s.pending = &pendingUpdate{}
	}
	p := s.pending
	p.final = append(p.final, final...)
	p.clique = clique
	if p.latestFinal == nil {
		p.latestFinal = append([]types.Slot(nil), latestFinal...)
	} else {
		for t, sl := range latestFinal {
			if t >= len(p.latestFinal) {
				p.latestFinal = append(p.latestFinal, sl)
			} else if p.latestFinal[t].Less(sl) {
				p.latestFinal[t] = sl
			}
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Err returns the error that stopped the worker, if any.
func (s *Service) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Start launches the worker.
func (s *Service) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

// Stop ends the worker and waits for it.
func (s *Service) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	<-s.done
	return nil
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		s.mu.Lock()
		p := s.pending
		s.pending = nil
		s.mu.Unlock()
		if p != nil {
			s.core.UpdateBlockclique(p.final, p.clique, p.latestFinal)
		}
		if _, err := s.core.Run(s.now()); err != nil {
			if errors.Is(err, ErrBroken) {
				s.log.Error("execution stopped", "err", err)
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return
			}
			// Missing draws for a final slot and the like: retry on the
			// next tick, loudly.
			s.log.Error("execution", "err", err)
		}
	}
}
