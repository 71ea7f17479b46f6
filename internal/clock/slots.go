package clock

import (
	"math"
	"math/bits"

	"github.com/gomassa/gomassa/internal/types"
)

// Params are the network values that place slots in time. Times are UNIX
// milliseconds, as Massa's MassaTime.
type Params struct {
	GenesisTimestamp uint64  // timestamp of slot (0, 0)
	T0               uint64  // time between two periods of one thread
	ThreadCount      uint8   // at least 1; config requires a power of two >= 2
	EndTimestamp     *uint64 // no slot is produced after it; nil = never ends
}

// SlotDuration is the time between two consecutive slots: t0 / thread_count
// (500 ms on mainnet). It is at least 1 so that divisions by it are safe
// even for parameters config would reject.
func (p Params) SlotDuration() uint64 {
	d := p.T0 / uint64(max(p.ThreadCount, 1))
	return max(d, 1)
}

// threads is ThreadCount guarded against zero.
func (p Params) threads() uint64 { return uint64(max(p.ThreadCount, 1)) }

// SlotTimestamp is genesis + period*t0 + thread*(t0/thread_count). It
// saturates at math.MaxUint64 instead of wrapping, so that a slot absurdly
// far in the future is never mistaken for one in the past.
func (p Params) SlotTimestamp(s types.Slot) uint64 {
	hi, lo := bits.Mul64(s.Period, p.T0)
	if hi != 0 {
		return math.MaxUint64
	}
	ts, c1 := bits.Add64(p.GenesisTimestamp, lo, 0)
	ts, c2 := bits.Add64(ts, uint64(s.Thread)*p.SlotDuration(), 0)
	if c1|c2 != 0 {
		return math.MaxUint64
	}
	return ts
}

// LatestSlotAt returns the latest slot whose timestamp is <= t, and false if
// t is before genesis (no slot has started yet).
func (p Params) LatestSlotAt(t uint64) (types.Slot, bool) {
	if t < p.GenesisTimestamp || p.T0 == 0 {
		return types.Slot{}, false
	}
	elapsed := t - p.GenesisTimestamp
	period := elapsed / p.T0
	// min: when t0 is not a multiple of the thread count (config refuses
	// that, Params does not), the tail of a period belongs to the last thread.
	thread := min((elapsed%p.T0)/p.SlotDuration(), p.threads()-1)
	return types.Slot{Period: period, Thread: uint8(thread)}, true
}

// ClosestSlotAt is Massa's "closest slot to timestamp": the latest slot at t
// if at most half a slot interval has passed since it (2*elapsed <=
// t0/thread_count, inclusive), otherwise the next slot. Before genesis it is
// (0, 0). The factories and the consensus clock use it to tolerate a little
// jitter around slot boundaries.
func (p Params) ClosestSlotAt(t uint64) types.Slot {
	latest, ok := p.LatestSlotAt(t)
	if !ok {
		return types.Slot{}
	}
	elapsed := t - p.SlotTimestamp(latest)
	if hi, lo := bits.Mul64(elapsed, 2); hi == 0 && lo <= p.T0/p.threads() {
		return latest
	}
	return latest.Next(uint8(p.threads()))
}

// NextSlotAfter returns the first slot whose timestamp is strictly after t:
// (0, 0) before genesis, otherwise the slot following LatestSlotAt(t). A
// service sleeps until SlotTimestamp(NextSlotAfter(now)) to wake at the next
// slot boundary.
func (p Params) NextSlotAfter(t uint64) types.Slot {
	latest, ok := p.LatestSlotAt(t)
	if !ok {
		return types.Slot{}
	}
	return latest.Next(uint8(p.threads()))
}

// Ended reports whether the network has reached its end timestamp at t.
// Massa stops producing slots once now > end_timestamp.
func (p Params) Ended(t uint64) bool {
	return p.EndTimestamp != nil && t > *p.EndTimestamp
}

// CycleOf returns the PoS cycle of a slot: period / periods_per_cycle. A
// zero cycle length (a configuration config refuses) maps every slot to
// cycle 0 instead of dividing by zero.
func CycleOf(s types.Slot, periodsPerCycle uint64) uint64 {
	if periodsPerCycle == 0 {
		return 0
	}
	return s.Period / periodsPerCycle
}
