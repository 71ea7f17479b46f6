package pos

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// chain drives a State slot by slot and checks after every step that the
// store ops it returned rebuild exactly the state.
type chain struct {
	t     *testing.T
	st    *State
	store memStore
	next  types.Slot
}

func newChain(t *testing.T, cfg Config, rolls []RollCount) *chain {
	st, err := New(cfg, rolls)
	require.NoError(t, err)
	ops, err := st.CreateInitialCycle()
	require.NoError(t, err)
	c := &chain{t: t, st: st, store: memStore{}, next: types.Slot{Period: 1}}
	c.store.apply(ops)
	return c
}

// feed executes the next slot; producer made a block if ok.
func (c *chain) feed(producer types.Address, ok bool) SlotOutcome {
	var id *types.BlockID
	if ok {
		k := c.next.Key()
		b := types.BlockID(crypto.HashOf(append([]byte("block"), k[:]...)))
		id = &b
	}
	out, err := c.st.FeedSlot(c.next, id, producer)
	require.NoError(c.t, err)
	c.store.apply(out.Ops)
	if out.Completed {
		// The final state stores its hash after each slot; any value will do.
		op, err := c.st.SetFinalStateHashSnapshot(out.Cycle, [crypto.XOFSize]byte{byte(out.Cycle), 1})
		require.NoError(c.t, err)
		c.store.apply([]Op{op})
	}
	requireStoreMatches(c.t, c.st, c.store)
	c.next = c.next.Next(c.st.cfg.ThreadCount)
	return out
}

// feedUntil feeds every slot up to and including last, all produced by p.
func (c *chain) feedUntil(last types.Slot, p types.Address) []SlotOutcome {
	var outs []SlotOutcome
	for !last.Less(c.next) {
		outs = append(outs, c.feed(p, true))
	}
	return outs
}

func TestSatisfyingBoundary(t *testing.T) {
	for _, tc := range []struct {
		s    ProductionStats
		want bool
	}{
		{ProductionStats{}, true},
		{ProductionStats{OK: 3, NOK: 7}, true},      // exactly 70 %
		{ProductionStats{OK: 30, NOK: 70}, true},    // exactly 70 %
		{ProductionStats{OK: 29, NOK: 71}, false},   // 71 %
		{ProductionStats{OK: 0, NOK: 1}, false},     // 100 %
		{ProductionStats{OK: 1, NOK: 0}, true},      // 0 %
		{ProductionStats{OK: 299, NOK: 701}, false}, // 70.1 %
		{ProductionStats{OK: math.MaxUint64, NOK: math.MaxUint64}, true},
		{ProductionStats{OK: 1, NOK: math.MaxUint64}, false},
	} {
		require.Equal(t, tc.want, tc.s.Satisfying(7, 10), "%+v", tc.s)
	}
}

// Over whole cycles: 70 % misses keep the rolls, 71 % lose them all, paid
// back at the last slot of cycle+3.
func TestMissRuleOverCycles(t *testing.T) {
	cfg := smallConfig()
	cfg.PeriodsPerCycle = 50 // 100 slots per cycle
	a, x, y := testAddr(1), testAddr(2), testAddr(3)
	c := newChain(t, cfg, []RollCount{{a, 10}, {x, 4}, {y, 6}})
	c.feedUntil(cfg.LastSlot(0), a)

	// Cycle 1: x drawn 100 times, produces 30.
	for i := 0; i < 100; i++ {
		out := c.feed(x, i < 30)
		if i == 99 {
			require.True(t, out.Completed)
			require.Empty(t, out.AutoSold)
		}
	}
	require.EqualValues(t, 4, c.st.RollCount(x))

	// Cycle 2: y drawn 100 times, produces 29.
	var last SlotOutcome
	for i := 0; i < 100; i++ {
		last = c.feed(y, i < 29)
	}
	target := cfg.LastSlot(5)
	require.Equal(t, []Credit{{Slot: target, Address: y, Amount: 600 * types.OneMAS}}, last.AutoSold)
	require.Zero(t, c.st.RollCount(y))
	ci, ok := c.st.CycleInfo(2)
	require.True(t, ok)
	require.NotContains(t, ci.Rolls, y)
	require.Equal(t, ProductionStats{OK: 29, NOK: 71}, ci.Stats[y])
	require.Equal(t, 600*types.OneMAS, c.st.DeferredCredit(y, target))

	// Paid exactly at the target slot, not before.
	for _, out := range c.feedUntil(target, a) {
		if out.Cycle == 5 && out.Completed {
			require.Equal(t, []Credit{{Slot: target, Address: y, Amount: 600 * types.OneMAS}}, out.Paid)
		} else {
			require.Empty(t, out.Paid)
		}
	}
	require.Empty(t, c.st.DeferredCredits())
}

func TestRollSellDeferredCredit(t *testing.T) {
	cfg := smallConfig()
	a := testAddr(1)
	c := newChain(t, cfg, []RollCount{{a, 10}})
	c.feedUntil(cfg.LastSlot(0), a)

	slot := types.Slot{Period: 4, Thread: 1} // cycle 1, after (4, 0)
	v := c.st.Speculate(slot, nil)
	require.NoError(t, v.SellRolls(a, 2))
	require.NoError(t, v.SellRolls(a, 3))
	require.ErrorIs(t, v.SellRolls(a, 6), ErrNotEnoughRolls)
	v.BuyRolls(a, 1)
	require.EqualValues(t, 6, v.RollCount(a))
	target := types.Slot{Period: 19, Thread: 1} // last slot of cycle 4
	require.Equal(t, cfg.LastSlot(4), target)
	require.Equal(t, []Credit{{Slot: target, Address: a, Amount: 500 * types.OneMAS}}, v.DeferredCreditsOf(a))

	// The slot before goes first, then this one.
	c.feed(a, true)
	v.RecordProduction(a, nil)
	res, err := c.st.Apply(slot, v.Changes())
	require.NoError(t, err)
	c.store.apply(res.Ops)
	requireStoreMatches(t, c.st, c.store)
	require.EqualValues(t, 6, c.st.RollCount(a))
	require.Equal(t, 500*types.OneMAS, c.st.DeferredCredit(a, target))
	// Draws of cycle 1+3 will use cycle 1's final counts.
	c.next = slot.Next(cfg.ThreadCount)
	c.feedUntil(cfg.LastSlot(1), a)
	n, ok := c.st.ActiveRolls(a, 4)
	require.True(t, ok)
	require.EqualValues(t, 6, n)
}

// Reads go through this slot's changes, then the history newest first,
// then the final state; due credits merge all three and are zeroed.
func TestSpeculativeLayers(t *testing.T) {
	cfg := smallConfig()
	a, b := testAddr(1), testAddr(2)
	c := newChain(t, cfg, []RollCount{{a, 10}, {b, 1}})
	c.st.AddInitialCredits([]Credit{
		{Slot: types.Slot{Period: 2}, Address: a, Amount: 5},
		{Slot: types.Slot{Period: 3}, Address: b, Amount: 7},
		{Slot: types.Slot{Period: 9}, Address: b, Amount: 9},
	})
	h1 := NewChanges()
	h1.Rolls[a] = 3
	h1.SetCredit(types.Slot{Period: 2}, a, 0) // already paid in history
	h2 := NewChanges()
	h2.Rolls[a] = 4
	h2.SetCredit(types.Slot{Period: 3, Thread: 1}, a, 11)
	hist := []Layer{{Slot: types.Slot{Period: 1}, Changes: h1}, {Slot: types.Slot{Period: 1, Thread: 1}, Changes: h2}}

	v := c.st.Speculate(types.Slot{Period: 3, Thread: 1}, hist)
	require.EqualValues(t, 4, v.RollCount(a))
	require.EqualValues(t, 1, v.RollCount(b))
	require.EqualValues(t, 4, c.st.RollCountWith(a, h1, h2))
	due := v.TakeDueCredits()
	require.Equal(t, []Credit{
		{Slot: types.Slot{Period: 3}, Address: b, Amount: 7},
		{Slot: types.Slot{Period: 3, Thread: 1}, Address: a, Amount: 11},
	}, due)
	require.Empty(t, v.TakeDueCredits())
	require.Equal(t, []Credit{{Slot: types.Slot{Period: 9}, Address: b, Amount: 9}}, v.DeferredCreditsOf(b))

	// Slashing takes from credits at or after the current slot, earliest first.
	require.EqualValues(t, 9, v.SlashDeferredCredits(b, 20))
	require.Empty(t, v.DeferredCreditsOf(b))
	require.EqualValues(t, 1, v.SlashRolls(b, 5))
	require.Zero(t, v.RollCount(b))

	snap := v.Snapshot()
	v.BuyRolls(a, 100)
	v.Restore(snap)
	require.EqualValues(t, 4, v.RollCount(a))
}

func TestApplyRejectsOutOfSequence(t *testing.T) {
	cfg := smallConfig()
	a := testAddr(1)
	c := newChain(t, cfg, []RollCount{{a, 1}})
	before := c.st.EncodeKV()

	// A slot of cycle 1 while cycle 0 is open.
	ch := NewChanges()
	ch.SeedBits.Append(true)
	_, err := c.st.Apply(types.Slot{Period: 4}, ch)
	require.ErrorIs(t, err, ErrCycleSequence)

	// Completing cycle 0 with too few bits (only 2 genesis bits + 1).
	_, err = c.st.Apply(cfg.LastSlot(0), ch)
	require.ErrorIs(t, err, ErrSeedBits)

	// More bits than the cycle has.
	big := NewChanges()
	for i := 0; i < 10; i++ {
		big.SeedBits.Append(false)
	}
	_, err = c.st.Apply(types.Slot{Period: 1}, big)
	require.ErrorIs(t, err, ErrSeedBits)

	_, err = c.st.Apply(types.Slot{Period: 1, Thread: 5}, ch)
	require.ErrorIs(t, err, ErrSlotOutOfRange)
	require.Equal(t, before, c.st.EncodeKV())

	// Settling before the last slot fails.
	_, err = c.st.Speculate(types.Slot{Period: 2}, nil).SettleProductionStats()
	require.ErrorIs(t, err, ErrStatsIncomplete)
	// Settling at the last slot without the earlier slots fails too.
	v := c.st.Speculate(cfg.LastSlot(0), nil)
	v.RecordProduction(a, nil)
	_, err = v.SettleProductionStats()
	require.ErrorIs(t, err, ErrStatsIncomplete)
}

// The history keeps SavedCycles cycles; draws need the lookback cycles
// complete and, three cycles back, a state hash snapshot.
func TestHistoryPruningAndDrawInputs(t *testing.T) {
	cfg := smallConfig()
	a, b := testAddr(1), testAddr(2)
	c := newChain(t, cfg, []RollCount{{a, 10}, {b, 5}})
	require.Equal(t, []uint64{0, 1}, c.st.ReadyDrawCycles())
	_, err := c.st.DrawInputs(2)
	require.ErrorIs(t, err, ErrCycleIncomplete)

	c.feedUntil(cfg.LastSlot(0), a)
	in, err := c.st.DrawInputs(2)
	require.NoError(t, err)
	ci, _ := c.st.CycleInfo(0)
	require.Equal(t, CycleSeed(0, ci.Seed, nil), in.Seed)
	require.Equal(t, []RollCount{{a, 10}, {b, 5}}, in.Rolls)
	require.Equal(t, []uint64{0, 1, 2}, c.st.ReadyDrawCycles())

	c.feedUntil(cfg.LastSlot(9), a)
	first, last, ok := c.st.CycleRange()
	require.True(t, ok)
	require.Equal(t, uint64(3), first)
	require.Equal(t, uint64(9), last)
	require.Equal(t, []uint64{6, 7, 8, 9, 10, 11}, c.st.ReadyDrawCycles())
	_, err = c.st.DrawInputs(5)
	require.ErrorIs(t, err, ErrCycleUnavailable)

	in, err = c.st.DrawInputs(11)
	require.NoError(t, err)
	c8, _ := c.st.CycleInfo(8)
	c9, _ := c.st.CycleInfo(9)
	require.NotNil(t, c8.Snapshot)
	require.Equal(t, CycleSeed(9, c9.Seed, c8.Snapshot), in.Seed)

	// A complete cycle without a snapshot cannot seed draws.
	c.feedUntil(cfg.LastSlot(10), a)
	st2 := c.st.Clone()
	st2.cycles[len(st2.cycles)-2].Snapshot = nil
	_, err = st2.DrawInputs(12)
	require.ErrorIs(t, err, ErrCycleIncomplete)
}

func TestLoadRoundTrip(t *testing.T) {
	cfg := smallConfig()
	a, b := testAddr(1), testAddr(2)
	c := newChain(t, cfg, []RollCount{{a, 10}, {b, 5}})
	c.feedUntil(cfg.LastSlot(2), a)
	c.feed(b, false)
	v := c.st.Speculate(c.next, nil)
	require.NoError(t, v.SellRolls(a, 4))
	v.RecordProduction(b, nil)
	res, err := c.st.Apply(c.next, v.Changes())
	require.NoError(t, err)
	c.store.apply(res.Ops)

	got, err := Load(cfg, []RollCount{{a, 10}, {b, 5}}, c.store.iterate)
	require.NoError(t, err)
	require.Equal(t, c.st.EncodeKV(), got.EncodeKV())
	require.Equal(t, c.st.ReadyDrawCycles(), got.ReadyDrawCycles())
	for _, cyc := range got.ReadyDrawCycles() {
		w, err := c.st.DrawInputs(cyc)
		require.NoError(t, err)
		g, err := got.DrawInputs(cyc)
		require.NoError(t, err)
		require.Equal(t, w, g)
	}

	// A gap in the history is refused.
	bad := memStore{}
	for k, val := range c.store {
		bad[k] = val
	}
	for _, op := range appendDeleteCycleOps(nil, c.st.cycle(1)) {
		delete(bad, string(op.Key))
	}
	_, err = Load(cfg, nil, bad.iterate)
	require.ErrorIs(t, err, ErrCycleSequence)
}
