package clock

import (
	"math"
	"testing"

	"github.com/gomassa/gomassa/internal/types"
)

const mainnetGenesis = 1_705_312_800_000

var (
	mainnet = Params{GenesisTimestamp: mainnetGenesis, T0: 16_000, ThreadCount: 32}
	small   = Params{GenesisTimestamp: 1_000_000, T0: 1_000, ThreadCount: 4} // 250 ms slots
)

func slot(p uint64, t uint8) types.Slot { return types.Slot{Period: p, Thread: t} }

func TestSlotTimestamp(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		s    types.Slot
		want uint64
	}{
		{"mainnet genesis", mainnet, slot(0, 0), mainnetGenesis},
		{"mainnet thread 1", mainnet, slot(0, 1), mainnetGenesis + 500},
		{"mainnet last thread", mainnet, slot(0, 31), mainnetGenesis + 15_500},
		{"mainnet period 1", mainnet, slot(1, 0), mainnetGenesis + 16_000},
		{"mainnet cycle 1", mainnet, slot(128, 5), mainnetGenesis + 128*16_000 + 2_500},
		{"small", small, slot(3, 2), 1_000_000 + 3_000 + 500},
		{"saturates on period overflow", small, slot(math.MaxUint64, 0), math.MaxUint64},
		{"saturates on add overflow", Params{GenesisTimestamp: math.MaxUint64 - 10, T0: 1000, ThreadCount: 4}, slot(1, 0), math.MaxUint64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.SlotTimestamp(tc.s); got != tc.want {
				t.Fatalf("SlotTimestamp(%v) = %d, want %d", tc.s, got, tc.want)
			}
		})
	}
}

func TestLatestSlotAt(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		t    uint64
		want types.Slot
		ok   bool
	}{
		{"before genesis", mainnet, mainnetGenesis - 1, slot(0, 0), false},
		{"at genesis", mainnet, mainnetGenesis, slot(0, 0), true},
		{"just before thread 1", mainnet, mainnetGenesis + 499, slot(0, 0), true},
		{"at thread 1", mainnet, mainnetGenesis + 500, slot(0, 1), true},
		{"end of period 0", mainnet, mainnetGenesis + 15_999, slot(0, 31), true},
		{"period 1", mainnet, mainnetGenesis + 16_000, slot(1, 0), true},
		{"small mid", small, 1_000_000 + 5_260, slot(5, 1), true},
		{"small last thread", small, 1_000_000 + 999, slot(0, 3), true},
		// t0 not divisible by the thread count: the tail belongs to the last thread.
		{"indivisible t0", Params{GenesisTimestamp: 0, T0: 1000, ThreadCount: 3}, 999, slot(0, 2), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.p.LatestSlotAt(tc.t)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("LatestSlotAt(%d) = %v,%v want %v,%v", tc.t, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestClosestSlotAt(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		t    uint64
		want types.Slot
	}{
		{"before genesis", mainnet, 0, slot(0, 0)},
		{"one ms before genesis", mainnet, mainnetGenesis - 1, slot(0, 0)},
		{"at genesis", mainnet, mainnetGenesis, slot(0, 0)},
		{"exactly half a slot is inclusive", mainnet, mainnetGenesis + 250, slot(0, 0)},
		{"past half a slot", mainnet, mainnetGenesis + 251, slot(0, 1)},
		{"wraps to next period", mainnet, mainnetGenesis + 15_500 + 251, slot(1, 0)},
		{"small half inclusive", small, 1_000_000 + 2_000 + 125, slot(2, 0)},
		{"small past half", small, 1_000_000 + 2_000 + 126, slot(2, 1)},
		{"small last thread wraps", small, 1_000_000 + 2_750 + 126, slot(3, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.ClosestSlotAt(tc.t); got != tc.want {
				t.Fatalf("ClosestSlotAt(%d) = %v, want %v", tc.t, got, tc.want)
			}
		})
	}
}

func TestNextSlotAfter(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		t    uint64
		want types.Slot
	}{
		{"before genesis", small, 0, slot(0, 0)},
		{"at genesis is strictly after", small, 1_000_000, slot(0, 1)},
		{"mid slot", small, 1_000_000 + 260, slot(0, 2)},
		{"end of period", small, 1_000_000 + 999, slot(1, 0)},
		{"mainnet", mainnet, mainnetGenesis + 16_000*10 + 1, slot(10, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.NextSlotAfter(tc.t)
			if got != tc.want {
				t.Fatalf("NextSlotAfter(%d) = %v, want %v", tc.t, got, tc.want)
			}
			if ts := tc.p.SlotTimestamp(got); ts <= tc.t {
				t.Fatalf("timestamp %d of %v is not after %d", ts, got, tc.t)
			}
		})
	}
}

// Round trip: every slot's own timestamp maps back to it, and the
// millisecond before it maps to the previous slot.
func TestSlotTimeRoundTrip(t *testing.T) {
	for _, p := range []Params{mainnet, small} {
		for i := uint64(0); i < 3*uint64(p.ThreadCount)+5; i++ {
			s := types.SlotFromIndex(i*7, p.ThreadCount)
			ts := p.SlotTimestamp(s)
			if got, ok := p.LatestSlotAt(ts); !ok || got != s {
				t.Fatalf("LatestSlotAt(SlotTimestamp(%v)) = %v", s, got)
			}
			if got := p.ClosestSlotAt(ts); got != s {
				t.Fatalf("ClosestSlotAt(SlotTimestamp(%v)) = %v", s, got)
			}
			if prev, ok := s.Prev(p.ThreadCount); ok {
				if got, _ := p.LatestSlotAt(ts - 1); got != prev {
					t.Fatalf("LatestSlotAt(ts-1) of %v = %v, want %v", s, got, prev)
				}
			}
		}
	}
}

func TestCycleAndEnd(t *testing.T) {
	if got := CycleOf(slot(255, 31), 128); got != 1 {
		t.Fatalf("cycle = %d", got)
	}
	if got := CycleOf(slot(256, 0), 128); got != 2 {
		t.Fatalf("cycle = %d", got)
	}
	if got := CycleOf(slot(5, 0), 0); got != 0 {
		t.Fatalf("zero cycle length: %d", got)
	}
	end := uint64(2_000_000)
	p := small
	p.EndTimestamp = &end
	if p.Ended(end) || !p.Ended(end+1) || small.Ended(math.MaxUint64) {
		t.Fatal("Ended is wrong")
	}
	if d := mainnet.SlotDuration(); d != 500 {
		t.Fatalf("slot duration %d", d)
	}
	if d := (Params{}).SlotDuration(); d != 1 {
		t.Fatalf("zero params slot duration %d", d)
	}
	if _, ok := (Params{}).LatestSlotAt(5); ok {
		t.Fatal("zero t0 must not yield a slot")
	}
}
