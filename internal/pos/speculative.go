package pos

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// Layer is the PoS changes of one executed but not yet final slot.
type Layer struct {
	Slot    types.Slot
	Changes *Changes
}

// Speculative is the PoS view of the slot being executed: reads go through
// this slot's changes, then the active (non-final) history newest first,
// then the final state; writes go to this slot's changes only. It mirrors
// Massa's SpeculativeRollState. The final state and the history must not
// change while it is in use.
type Speculative struct {
	cfg     Config
	final   *State
	history []Layer
	slot    types.Slot
	changes *Changes
}

// Speculate opens a view for executing slot on top of the final state and
// history (executed, non-final slots, oldest first, all before slot).
func (s *State) Speculate(slot types.Slot, history []Layer) *Speculative {
	return &Speculative{cfg: s.cfg, final: s, history: history, slot: slot, changes: NewChanges()}
}

// Slot is the slot being executed.
func (v *Speculative) Slot() types.Slot { return v.slot }

// Changes returns this slot's changes (owned by the view until it is
// dropped; hand them to the active history, then to State.Apply).
func (v *Speculative) Changes() *Changes { return v.changes }

// Snapshot copies the changes so far, to roll back a failed operation.
func (v *Speculative) Snapshot() *Changes { return v.changes.Clone() }

// Restore goes back to a Snapshot.
func (v *Speculative) Restore(c *Changes) { v.changes = c.Clone() }

// RollCount is addr's roll count as of now.
func (v *Speculative) RollCount(addr types.Address) uint64 {
	if n, ok := v.changes.Rolls[addr]; ok {
		return n
	}
	for i := len(v.history) - 1; i >= 0; i-- {
		if n, ok := v.history[i].Changes.Rolls[addr]; ok {
			return n
		}
	}
	return v.final.RollCount(addr)
}

// BuyRolls adds n rolls to addr (saturating). The caller has already
// debited n * RollPrice.
func (v *Speculative) BuyRolls(addr types.Address, n uint64) {
	v.changes.Rolls[addr] = satAdd(v.RollCount(addr), n)
}

// SellRolls removes n rolls from addr and credits n * RollPrice at the last
// slot of cycle+3, added to any credit already there.
func (v *Speculative) SellRolls(addr types.Address, n uint64) error {
	owned := v.RollCount(addr)
	if owned < n {
		return fmt.Errorf("%w: %s sells %d rolls but owns %d", ErrNotEnoughRolls, addr, n, owned)
	}
	target := v.cfg.LastSlot(v.cfg.CycleOf(v.slot) + 3)
	price, err := v.cfg.RollPrice.MulU64(n)
	if err != nil {
		price = types.MaxAmount // Massa saturates here
	}
	v.changes.Rolls[addr] = owned - n
	v.changes.SetCredit(target, addr, v.DeferredCredit(addr, target).SaturatingAdd(price))
	return nil
}

// SlashRolls removes up to n rolls from addr (denunciations) and returns
// how many it removed.
func (v *Speculative) SlashRolls(addr types.Address, n uint64) uint64 {
	owned := v.RollCount(addr)
	slashed := min(owned, n)
	v.changes.Rolls[addr] = owned - slashed
	return slashed
}

// SlashDeferredCredits takes up to amount from addr's credits due at or
// after the current slot, earliest first, and returns what it took.
func (v *Speculative) SlashDeferredCredits(addr types.Address, amount types.Amount) types.Amount {
	remaining := amount
	for _, c := range v.DeferredCreditsOf(addr) {
		if c.Slot.Less(v.slot) {
			continue
		}
		take := min(c.Amount, remaining)
		remaining -= take
		v.changes.SetCredit(c.Slot, addr, c.Amount-take)
	}
	return amount - remaining
}

// RecordProduction counts the slot for producer: a success and the block
// id's first bit as seed bit when block is not nil; otherwise a miss of the
// drawn producer and the first bit of BLAKE3(slot key).
func (v *Speculative) RecordProduction(producer types.Address, block *types.BlockID) {
	st := v.changes.Stats[producer]
	if block != nil {
		st.OK = satAdd(st.OK, 1)
		v.changes.SeedBits.Append(block.FirstBit())
	} else {
		st.NOK = satAdd(st.NOK, 1)
		v.changes.SeedBits.Append(SlotSeedBit(v.slot))
	}
	v.changes.Stats[producer] = st
}

// DeferredCredit is addr's credit at slot as of now.
func (v *Speculative) DeferredCredit(addr types.Address, slot types.Slot) types.Amount {
	if a, ok := v.changes.credit(slot, addr); ok {
		return a
	}
	for i := len(v.history) - 1; i >= 0; i-- {
		if a, ok := v.history[i].Changes.credit(slot, addr); ok {
			return a
		}
	}
	return v.final.DeferredCredit(addr, slot)
}

// mergedCredits overlays the final credits, the history (oldest first)
// and this slot's changes, keeping the non-zero results that keep accepts.
func (v *Speculative) mergedCredits(keep func(Credit) bool) []Credit {
	merged := make(map[types.Slot]map[types.Address]types.Amount)
	add := func(c Credit) {
		if !keep(c) {
			return
		}
		m := merged[c.Slot]
		if m == nil {
			m = make(map[types.Address]types.Amount)
			merged[c.Slot] = m
		}
		m[c.Address] = c.Amount
	}
	for _, c := range v.final.DeferredCredits() {
		add(c)
	}
	for _, l := range v.history {
		for _, c := range l.Changes.SortedCredits() {
			add(c)
		}
	}
	for _, c := range v.changes.SortedCredits() {
		add(c)
	}
	return flattenCredits(merged, func(c Credit) bool { return c.Amount != 0 })
}

// DeferredCreditsOf lists addr's pending credits as of now, by slot.
func (v *Speculative) DeferredCreditsOf(addr types.Address) []Credit {
	return v.mergedCredits(func(c Credit) bool { return c.Address == addr })
}

// TakeDueCredits returns every non-zero credit with slot <= the current
// slot, sorted by (slot, address), and zeroes them in this slot's changes
// (the zero deletes them when the slot is applied). The caller pays them.
func (v *Speculative) TakeDueCredits() []Credit {
	due := v.mergedCredits(func(c Credit) bool { return !v.slot.Less(c.Slot) })
	for _, c := range due {
		v.changes.SetCredit(c.Slot, c.Address, 0)
	}
	return due
}

// CycleStats returns the production stats of cycle accumulated over the
// final state, the history and this slot, and whether they cover every
// slot of the cycle so far (counted with the seed bits, one per slot).
func (v *Speculative) CycleStats(cycle uint64) (map[types.Address]ProductionStats, uint64) {
	stats := make(map[types.Address]ProductionStats)
	var covered uint64
	if ci := v.final.cycle(cycle); ci != nil {
		for a, s := range ci.Stats {
			stats[a] = s
		}
		covered = uint64(ci.Seed.Len())
	}
	addLayer := func(slot types.Slot, c *Changes) {
		if v.cfg.CycleOf(slot) != cycle {
			return
		}
		for a, s := range c.Stats {
			stats[a] = stats[a].Add(s)
		}
		covered += uint64(c.SeedBits.Len())
	}
	for _, l := range v.history {
		addLayer(l.Slot, l.Changes)
	}
	addLayer(v.slot, v.changes)
	return stats, covered
}

// SettleProductionStats applies the miss rule at the last slot of a cycle:
// every address whose misses exceed MaxMissNum/MaxMissDen of its
// opportunities in the cycle loses all its rolls, credited (added to any
// credit already there) at the last slot of cycle+3. It returns those
// sales in Address order. It fails if the current slot is not the last of
// its cycle or if the stats do not cover the whole cycle.
func (v *Speculative) SettleProductionStats() ([]Credit, error) {
	if !v.slot.IsLastOfCycle(v.cfg.PeriodsPerCycle, v.cfg.ThreadCount) {
		return nil, fmt.Errorf("%w: slot %s is not the last of its cycle", ErrStatsIncomplete, v.slot)
	}
	cycle := v.cfg.CycleOf(v.slot)
	stats, covered := v.CycleStats(cycle)
	if covered != v.cfg.SlotsPerCycle() {
		return nil, fmt.Errorf("%w: cycle %d covers %d of %d slots", ErrStatsIncomplete, cycle, covered, v.cfg.SlotsPerCycle())
	}
	target := v.cfg.LastSlot(cycle + 3)
	var sold []Credit
	for _, addr := range sortedAddresses(stats) {
		if stats[addr].Satisfying(v.cfg.MaxMissNum, v.cfg.MaxMissDen) {
			continue
		}
		owned := v.RollCount(addr)
		if owned == 0 {
			continue
		}
		amount, err := v.cfg.RollPrice.MulU64(owned)
		if err != nil {
			continue // Massa skips an address whose refund overflows
		}
		v.changes.SetCredit(target, addr, v.DeferredCredit(addr, target).SaturatingAdd(amount))
		v.changes.Rolls[addr] = 0
		sold = append(sold, Credit{Slot: target, Address: addr, Amount: amount})
	}
	return sold, nil
}
