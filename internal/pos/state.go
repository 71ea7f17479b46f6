package pos

import (
	"fmt"
	"maps"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// State is the final PoS state: the last SavedCycles cycles and the
// deferred credits. It changes only through Apply (one final slot at a
// time), CreateInitialCycle, AddInitialCredits and
// SetFinalStateHashSnapshot; each returns the store operations that
// persist exactly what it changed. It is not safe for concurrent use: the
// final-state owner serialises access.
type State struct {
	cfg          Config
	initialRolls map[types.Address]uint64
	initialSeeds [2]crypto.Hash
	// cycles is contiguous and ascending; only the last may be incomplete.
	cycles  []*CycleInfo
	credits map[types.Slot]map[types.Address]types.Amount
}

// New returns a state with an empty history. initialRolls is the genesis
// roll distribution (used for cycles below 3 and for cycle 0's counts);
// zero counts are dropped. Call CreateInitialCycle at genesis, or Load.
func New(cfg Config, initialRolls []RollCount) (*State, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ir := make(map[types.Address]uint64, len(initialRolls))
	for _, rc := range initialRolls {
		if rc.Rolls > 0 {
			ir[rc.Address] = rc.Rolls
		}
	}
	return &State{
		cfg:          cfg,
		initialRolls: ir,
		initialSeeds: InitialSeeds(cfg.InitialSeed),
		credits:      make(map[types.Slot]map[types.Address]types.Amount),
	}, nil
}

// Config returns the parameters the state was built with.
func (s *State) Config() Config { return s.cfg }

// CreateInitialCycle starts the history at genesis: cycle 0, incomplete,
// with the initial rolls and ThreadCount zero seed bits standing for the
// genesis period (never executed). It must be called on an empty history.
func (s *State) CreateInitialCycle() ([]Op, error) {
	if len(s.cycles) != 0 {
		return nil, fmt.Errorf("%w: history already started", ErrCycleSequence)
	}
	ci := newCycleInfo(0, maps.Clone(s.initialRolls), NewSeedBits(int(s.cfg.ThreadCount)))
	s.cycles = append(s.cycles, ci)
	return appendCycleOps(nil, ci), nil
}

// AddInitialCredits loads genesis deferred credits (mainnet vesting).
// Amounts are absolute; a zero removes.
func (s *State) AddInitialCredits(credits []Credit) []Op {
	var ops []Op
	for _, c := range credits {
		ops = append(ops, s.setCredit(c.Slot, c.Address, c.Amount))
	}
	return ops
}

// ApplyResult is what Apply did.
type ApplyResult struct {
	// Ops persist the change; apply them in order in the slot's batch.
	Ops []Op
	// Completed reports that the slot was the last of its cycle: draws for
	// cycle+2 can now be computed (DrawInputs(cycle+2)).
	Completed bool
	Cycle     uint64
}

// Apply folds the changes of a newly final slot into the state, as
// Massa's apply_changes_to_batch: the slot extends the last (incomplete)
// cycle, or opens the next one (copying the roll counts) when the last is
// complete, pruning the history to SavedCycles. The state is unchanged on
// error.
func (s *State) Apply(slot types.Slot, ch *Changes) (ApplyResult, error) {
	if ch == nil {
		ch = &Changes{}
	}
	if slot.Thread >= s.cfg.ThreadCount {
		return ApplyResult{}, fmt.Errorf("%w: slot %s", ErrSlotOutOfRange, slot)
	}
	if len(s.cycles) == 0 {
		return ApplyResult{}, fmt.Errorf("%w: empty history", ErrCycleSequence)
	}
	cycle := s.cfg.CycleOf(slot)
	last := s.cycles[len(s.cycles)-1]
	var open bool
	switch {
	case cycle == last.Cycle && !last.Complete:
	case cycle == last.Cycle+1 && last.Complete:
		open = true
	default:
		return ApplyResult{}, fmt.Errorf("%w: slot %s (cycle %d) after cycle %d (complete %v)",
			ErrCycleSequence, slot, cycle, last.Cycle, last.Complete)
	}
	have := 0
	if !open {
		have = last.Seed.Len()
	}
	total := uint64(have) + uint64(ch.SeedBits.Len())
	complete := slot.IsLastOfCycle(s.cfg.PeriodsPerCycle, s.cfg.ThreadCount)
	if total > s.cfg.SlotsPerCycle() || (complete && total != s.cfg.SlotsPerCycle()) {
		return ApplyResult{}, fmt.Errorf("%w: cycle %d would hold %d of %d bits at slot %s",
			ErrSeedBits, cycle, total, s.cfg.SlotsPerCycle(), slot)
	}

	var ops []Op
	if open {
		ci := newCycleInfo(cycle, maps.Clone(last.Rolls), SeedBits{})
		s.cycles = append(s.cycles, ci)
		ops = appendCycleOps(ops, ci)
		for len(s.cycles) > s.cfg.SavedCycles {
			ops = appendDeleteCycleOps(ops, s.cycles[0])
			s.cycles[0] = nil
			s.cycles = s.cycles[1:]
		}
		last = ci
	}
	last.Complete = complete
	ops = append(ops, putOp(completeKey(cycle), encodeComplete(complete)))
	last.Seed.AppendAll(ch.SeedBits)
	ops = append(ops, putOp(seedKey(cycle), encodeSeed(last.Seed)))
	for _, rc := range ch.SortedRolls() {
		if rc.Rolls == 0 {
			delete(last.Rolls, rc.Address)
			ops = append(ops, deleteOp(rollKey(cycle, rc.Address)))
		} else {
			last.Rolls[rc.Address] = rc.Rolls
			ops = append(ops, putOp(rollKey(cycle, rc.Address), encodeU64(rc.Rolls)))
		}
	}
	for _, as := range ch.SortedStats() {
		st := last.Stats[as.Address].Add(as.Stats)
		last.Stats[as.Address] = st
		ops = appendStatsOps(ops, cycle, as.Address, st)
	}
	for _, c := range ch.SortedCredits() {
		ops = append(ops, s.setCredit(c.Slot, c.Address, c.Amount))
	}
	return ApplyResult{Ops: ops, Completed: complete, Cycle: cycle}, nil
}

func (s *State) setCredit(slot types.Slot, addr types.Address, amount types.Amount) Op {
	if amount == 0 {
		if m := s.credits[slot]; m != nil {
			delete(m, addr)
			if len(m) == 0 {
				delete(s.credits, slot)
			}
		}
		return deleteOp(creditKey(slot, addr))
	}
	m := s.credits[slot]
	if m == nil {
		m = make(map[types.Address]types.Amount)
		s.credits[slot] = m
	}
	m[addr] = amount
	return putOp(creditKey(slot, addr), encodeU64(uint64(amount)))
}

// SetFinalStateHashSnapshot records the final state hash after the latest
// final slot of cycle. The final state calls it after every slot, so the
// value left in a complete cycle is the hash after its last slot.
func (s *State) SetFinalStateHashSnapshot(cycle uint64, hash [crypto.XOFSize]byte) (Op, error) {
	ci := s.cycle(cycle)
	if ci == nil {
		return Op{}, fmt.Errorf("%w: cycle %d", ErrCycleUnavailable, cycle)
	}
	h := hash
	ci.Snapshot = &h
	return putOp(snapshotKey(cycle), encodeSnapshot(ci.Snapshot)), nil
}

// cycle returns the kept record of c, or nil.
func (s *State) cycle(c uint64) *CycleInfo {
	if len(s.cycles) == 0 || c < s.cycles[0].Cycle {
		return nil
	}
	i := c - s.cycles[0].Cycle
	if i >= uint64(len(s.cycles)) {
		return nil
	}
	return s.cycles[i]
}

// CycleInfo returns a copy of the record of cycle c.
func (s *State) CycleInfo(c uint64) (*CycleInfo, bool) {
	ci := s.cycle(c)
	if ci == nil {
		return nil, false
	}
	return ci.Clone(), true
}

// CycleRange returns the first and last kept cycles.
func (s *State) CycleRange() (first, last uint64, ok bool) {
	if len(s.cycles) == 0 {
		return 0, 0, false
	}
	return s.cycles[0].Cycle, s.cycles[len(s.cycles)-1].Cycle, true
}

// IsComplete reports whether cycle c is kept and complete.
func (s *State) IsComplete(c uint64) bool {
	ci := s.cycle(c)
	return ci != nil && ci.Complete
}

// RollCount is addr's current roll count (latest cycle).
func (s *State) RollCount(addr types.Address) uint64 {
	if len(s.cycles) == 0 {
		return s.initialRolls[addr]
	}
	return s.cycles[len(s.cycles)-1].Rolls[addr]
}

// RollCountWith reads addr's roll count through speculative layers
// (oldest first): the newest layer that sets it wins, else the state.
func (s *State) RollCountWith(addr types.Address, layers ...*Changes) uint64 {
	for i := len(layers) - 1; i >= 0; i-- {
		if n, ok := layers[i].Rolls[addr]; ok {
			return n
		}
	}
	return s.RollCount(addr)
}

// ActiveRolls is the roll count of addr that the draws of cycle use (end
// of cycle-3, or the initial rolls below 3); false if that cycle is gone.
func (s *State) ActiveRolls(addr types.Address, cycle uint64) (uint64, bool) {
	if cycle < 3 {
		return s.initialRolls[addr], true
	}
	ci := s.cycle(cycle - 3)
	if ci == nil {
		return 0, false
	}
	return ci.Rolls[addr], true
}

// ProductionStats returns addr's stats in cycle c (zero if absent).
func (s *State) ProductionStats(c uint64, addr types.Address) (ProductionStats, bool) {
	ci := s.cycle(c)
	if ci == nil {
		return ProductionStats{}, false
	}
	return ci.Stats[addr], true
}

// DrawInputs returns what the draws of cycle depend on (protocol.md §2.2):
// rolls at the end of cycle-3 and BLAKE3(varint(cycle-2) || seed bits of
// cycle-2 || snapshot of cycle-3); the initial rolls and seeds below that.
// The lookback cycles must be kept and complete.
func (s *State) DrawInputs(cycle uint64) (DrawInputs, error) {
	in := DrawInputs{Cycle: cycle}
	var snapshot *[crypto.XOFSize]byte
	if cycle >= 3 {
		ci := s.cycle(cycle - 3)
		if ci == nil {
			return in, fmt.Errorf("draws of cycle %d: %w: %d", cycle, ErrCycleUnavailable, cycle-3)
		}
		if !ci.Complete {
			return in, fmt.Errorf("draws of cycle %d: %w: %d", cycle, ErrCycleIncomplete, cycle-3)
		}
		if ci.Snapshot == nil {
			return in, fmt.Errorf("draws of cycle %d: %w: cycle %d has no state hash snapshot",
				cycle, ErrCycleIncomplete, cycle-3)
		}
		in.Rolls = ci.SortedRolls()
		snapshot = ci.Snapshot
	} else {
		in.Rolls = sortedRolls(s.initialRolls)
	}
	if cycle >= 2 {
		ci := s.cycle(cycle - 2)
		if ci == nil {
			return in, fmt.Errorf("draws of cycle %d: %w: %d", cycle, ErrCycleUnavailable, cycle-2)
		}
		if !ci.Complete {
			return in, fmt.Errorf("draws of cycle %d: %w: %d", cycle, ErrCycleIncomplete, cycle-2)
		}
		in.Seed = CycleSeed(cycle-2, ci.Seed, snapshot)
	} else {
		in.Seed = s.initialSeeds[cycle]
	}
	return in, nil
}

// ReadyDrawCycles lists, ascending, the cycles whose draws can be computed
// from the kept history, as Massa's compute_initial_draws feeds them at
// start-up: 0 and 1 when the history starts at cycle 0, then c+2 for each
// complete cycle c whose lookback is kept.
func (s *State) ReadyDrawCycles() []uint64 {
	var out []uint64
	if len(s.cycles) == 0 {
		return out
	}
	if s.cycles[0].Cycle == 0 {
		out = append(out, 0, 1)
	}
	for _, ci := range s.cycles {
		if !ci.Complete {
			break
		}
		if _, err := s.DrawInputs(ci.Cycle + 2); err == nil {
			out = append(out, ci.Cycle+2)
		}
	}
	return out
}

// DeferredCredit returns the credit of addr at slot (0 if none).
func (s *State) DeferredCredit(addr types.Address, slot types.Slot) types.Amount {
	return s.credits[slot][addr]
}

// DeferredCreditsOf lists addr's pending credits by slot.
func (s *State) DeferredCreditsOf(addr types.Address) []Credit {
	return flattenCredits(s.credits, func(c Credit) bool { return c.Address == addr })
}

// DeferredCreditsUntil lists every credit with slot <= until, sorted.
func (s *State) DeferredCreditsUntil(until types.Slot) []Credit {
	return flattenCredits(s.credits, func(c Credit) bool { return !until.Less(c.Slot) })
}

// DeferredCredits lists every pending credit, sorted.
func (s *State) DeferredCredits() []Credit { return flattenCredits(s.credits, nil) }

// Clone returns a deep copy (used to stage bootstrap and in tests).
func (s *State) Clone() *State {
	o := &State{
		cfg:          s.cfg,
		initialRolls: maps.Clone(s.initialRolls),
		initialSeeds: s.initialSeeds,
		cycles:       make([]*CycleInfo, len(s.cycles)),
		credits:      make(map[types.Slot]map[types.Address]types.Amount, len(s.credits)),
	}
	for i, c := range s.cycles {
		o.cycles[i] = c.Clone()
	}
	for k, m := range s.credits {
		o.credits[k] = maps.Clone(m)
	}
	return o
}

// SlotOutcome is what FeedSlot did.
type SlotOutcome struct {
	ApplyResult
	// Paid are the deferred credits due at the slot (slot <= current),
	// now removed: the caller credits them to the balances.
	Paid []Credit
	// AutoSold are the addresses whose rolls the 70 % rule sold at this
	// cycle end, with the amount credited at the end of cycle+3.
	AutoSold []Credit
}

// FeedSlot executes the PoS part of a slot directly on the final state,
// for callers without speculative execution (tools, tests, simulations).
// block is the slot's block id, nil for a miss; producer is the block's
// creator, or for a miss the drawn producer. It records the production
// stat and seed bit, pays due credits, settles the cycle at its last slot,
// then applies. Roll buys and sells go through Speculate instead.
func (s *State) FeedSlot(slot types.Slot, block *types.BlockID, producer types.Address) (SlotOutcome, error) {
	v := s.Speculate(slot, nil)
	v.RecordProduction(producer, block)
	paid := v.TakeDueCredits()
	var sold []Credit
	if slot.IsLastOfCycle(s.cfg.PeriodsPerCycle, s.cfg.ThreadCount) {
		var err error
		if sold, err = v.SettleProductionStats(); err != nil {
			return SlotOutcome{}, err
		}
	}
	res, err := s.Apply(slot, v.Changes())
	if err != nil {
		return SlotOutcome{}, err
	}
	return SlotOutcome{ApplyResult: res, Paid: paid, AutoSold: sold}, nil
}
