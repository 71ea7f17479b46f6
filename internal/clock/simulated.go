package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Simulated is a Clock that moves only when told to. Timers fire during
// Advance or Set, in order of deadline and, for equal deadlines, in order
// of creation. Each timer delivers its own deadline (not the time the
// clock was moved to) on a buffered channel, so firing never blocks and
// what a receiver sees does not depend on how far the clock jumped.
// All methods are safe for concurrent use.
type Simulated struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64
	changed chan struct{} // closed and replaced whenever the timer set changes
}

// NewSimulated returns a simulated clock reading start.
func NewSimulated(start time.Time) *Simulated {
	return &Simulated{now: start, changed: make(chan struct{})}
}

// NewSimulatedMS returns a simulated clock reading the UNIX millisecond ms.
func NewSimulatedMS(ms uint64) *Simulated { return NewSimulated(FromMS(ms)) }

// Now implements Clock.
func (s *Simulated) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// NowMS implements Clock.
func (s *Simulated) NowMS() uint64 { return ToMS(s.Now()) }

// After implements Clock.
func (s *Simulated) After(d time.Duration) <-chan time.Time { return s.NewTimer(d).C() }

// NewTimer implements Clock. A timer with d <= 0 fires before NewTimer
// returns, as time.NewTimer(0) fires at once.
func (s *Simulated) NewTimer(d time.Duration) Timer {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &simTimer{clock: s, ch: make(chan time.Time, 1), deadline: s.now.Add(d), seq: s.seq, index: -1}
	s.seq++
	if d <= 0 {
		t.ch <- s.now
		return t
	}
	heap.Push(&s.timers, t)
	s.notifyLocked()
	return t
}

// Advance moves the clock forward by d, firing every timer whose deadline
// is reached. A negative d is ignored: simulated time does not go back
// through Advance (use Set).
func (s *Simulated) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	s.mu.Lock()
	target := s.now.Add(d)
	s.mu.Unlock()
	s.Set(target)
}

// Set moves the clock to t and fires every timer whose deadline is at or
// before t. Setting a time in the past is allowed (to test clock skew);
// pending timers then wait until the clock reaches their deadline again.
func (s *Simulated) Set(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fired := false
	for len(s.timers) > 0 && !s.timers[0].deadline.After(t) {
		tm := heap.Pop(&s.timers).(*simTimer)
		if tm.deadline.After(s.now) {
			s.now = tm.deadline
		}
		tm.ch <- tm.deadline // cannot block: capacity 1, fires once
		fired = true
	}
	s.now = t
	if fired {
		s.notifyLocked()
	}
}

// AdvanceToNextTimer moves the clock to the earliest pending deadline and
// fires the timers due then. It returns false if no timer is pending.
func (s *Simulated) AdvanceToNextTimer() bool {
	s.mu.Lock()
	if len(s.timers) == 0 {
		s.mu.Unlock()
		return false
	}
	next := s.timers[0].deadline
	s.mu.Unlock()
	s.Set(next)
	return true
}

// PendingTimers is the number of armed timers.
func (s *Simulated) PendingTimers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.timers)
}

// WaitForTimers blocks until at least n timers are pending or ctx ends.
// Tests use it instead of sleeping: "the service has armed its slot timer,
// now advance the clock".
func (s *Simulated) WaitForTimers(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		if len(s.timers) >= n {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Simulated) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type simTimer struct {
	clock    *Simulated
	ch       chan time.Time
	deadline time.Time
	seq      uint64
	index    int // position in the heap, -1 once fired or stopped
}

func (t *simTimer) C() <-chan time.Time { return t.ch }

func (t *simTimer) Stop() bool {
	s := t.clock
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&s.timers, t.index)
	s.notifyLocked()
	return true
}

// timerHeap orders timers by deadline, then creation order, so that equal
// deadlines fire deterministically.
type timerHeap []*simTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].deadline.Equal(h[j].deadline) {
		return h[i].deadline.Before(h[j].deadline)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*simTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
