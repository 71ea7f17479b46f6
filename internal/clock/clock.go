package clock

import "time"

// Clock is the only source of time for services. Real is used in
// production; Simulated in tests and in the network simulator.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// NowMS is Now as UNIX milliseconds (0 before 1970).
	NowMS() uint64
	// NewTimer returns a timer that delivers the clock's time on C once d
	// has passed; d <= 0 fires at once.
	NewTimer(d time.Duration) Timer
	// After is NewTimer(d).C() for callers that never stop the timer.
	After(d time.Duration) <-chan time.Time
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	// C delivers one value when the timer fires. It is buffered, so a
	// timer never blocks the clock.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it returns false if the timer
	// had already fired or been stopped.
	Stop() bool
}

// ToMS converts a time to UNIX milliseconds, clamping times before 1970 to 0.
func ToMS(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}

// FromMS converts UNIX milliseconds to a time.Time.
func FromMS(ms uint64) time.Time {
	if ms > uint64(1<<63-1) {
		ms = 1<<63 - 1
	}
	return time.UnixMilli(int64(ms))
}

// UntilMS is how long from now until the UNIX millisecond timestamp ms
// (zero or negative if it has passed). Services use it to arm a timer for
// the next slot: c.NewTimer(UntilMS(c, p.SlotTimestamp(next))).
func UntilMS(c Clock, ms uint64) time.Duration {
	return FromMS(ms).Sub(c.Now())
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) NowMS() uint64                          { return ToMS(time.Now()) }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (realClock) NewTimer(d time.Duration) Timer         { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
