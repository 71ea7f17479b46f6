package sim

import (
	"time"

	"github.com/gomassa/gomassa/internal/clock"
)

// nodeClock is one node life's view of virtual time. Its timers are events
// of the simulation; arming one is how the node's main loop says it has
// finished a step and waits (the park the driver waits for).
type nodeClock struct {
	s    *Sim
	life *life
}

var _ clock.Clock = (*nodeClock)(nil)

func (c *nodeClock) Now() time.Time { return clock.FromMS(c.s.now.Load()) }
func (c *nodeClock) NowMS() uint64  { return c.s.now.Load() }

func (c *nodeClock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTimer schedules the timer as an event and signals the park.
func (c *nodeClock) NewTimer(d time.Duration) clock.Timer {
	s := c.s
	t := &simTimer{s: s, ch: make(chan time.Time, 1)}
	now := s.now.Load()
	if d <= 0 {
		t.fired = true
		t.ch <- clock.FromMS(now)
		return t
	}
	ms := uint64((d + time.Millisecond - 1) / time.Millisecond)
	s.mu.Lock()
	s.push(&event{at: now + ms, kind: evTimer, node: c.life.node.idx, life: c.life, timer: t})
	s.mu.Unlock()
	select {
	case c.life.parked <- struct{}{}:
	default:
		// Two parks without a wake between them: the main loop armed a
		// second timer for one input. The driver reports it.
		c.life.extraPark.Store(true)
	}
	return t
}

// simTimer is a timer event. fired and stopped are guarded by Sim.mu.
type simTimer struct {
	s       *Sim
	ch      chan time.Time
	fired   bool
	stopped bool
}

func (t *simTimer) C() <-chan time.Time { return t.ch }

func (t *simTimer) Stop() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if t.fired || t.stopped {
		return false
	}
	t.stopped = true
	return true
}
