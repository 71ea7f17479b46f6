package pos

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// RollCount is one entry of a roll distribution.
type RollCount struct {
	Address types.Address
	Rolls   uint64
}

// SortRollCounts orders a distribution in Massa's Address order (user
// addresses first, then by hash bytes), the order the alias table is
// built in.
func SortRollCounts(rc []RollCount) {
	slices.SortFunc(rc, func(a, b RollCount) int { return a.Address.Compare(b.Address) })
}

// Selection is who produces a slot's block and its endorsements.
type Selection struct {
	Producer     types.Address
	Endorsements []types.Address
}

// Draws holds every selection of one cycle. Picks are stored as indices
// into a small address table: a mainnet cycle has 69 632 picks.
type Draws struct {
	cycle     uint64
	cfg       drawShape
	addresses []types.Address
	picks     []uint32 // per slot: producer, then EndorsementCount endorsers
}

// drawShape is the part of Config a Draws needs to answer slot queries.
type drawShape struct {
	threadCount     uint8
	periodsPerCycle uint64
	endorsements    int
}

// DrawInputs are what the draws of a cycle depend on.
type DrawInputs struct {
	Cycle uint64
	// Rolls is the distribution at the end of cycle Cycle-3 (initial rolls
	// for Cycle < 3), positive counts only, in Address order.
	Rolls []RollCount
	Seed  crypto.Hash
}

// DrawCycle performs the draws of a cycle exactly as Massa's perform_draws:
// one Xoshiro256++ stream seeded with the seed; slots in (period, thread)
// order; per slot the producer (not sampled at period 0, where the genesis
// address is forced) then the endorsers 0..E-1, each one alias-table sample
// over the rolls. rolls must be sorted (SortRollCounts) with no zero count;
// it is checked, since an unsorted table would silently diverge from Massa.
func DrawCycle(cfg Config, in DrawInputs) (*Draws, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	weights := make([]uint64, len(in.Rolls))
	addrs := make([]types.Address, len(in.Rolls), len(in.Rolls)+1)
	for i, rc := range in.Rolls {
		if rc.Rolls == 0 {
			return nil, fmt.Errorf("%w: zero roll count for %s in draw input", ErrInvalidWeight, rc.Address)
		}
		if i > 0 && in.Rolls[i-1].Address.Compare(rc.Address) >= 0 {
			return nil, fmt.Errorf("%w: roll distribution not strictly sorted at %d", ErrInvalidWeight, i)
		}
		weights[i] = rc.Rolls
		addrs[i] = rc.Address
	}
	dist, err := NewAlias(weights)
	if err != nil {
		return nil, fmt.Errorf("cycle %d: %w", in.Cycle, err)
	}
	genesis := uint32(len(addrs))
	addrs = append(addrs, cfg.GenesisAddress)

	perSlot := 1 + cfg.EndorsementCount
	slots := cfg.SlotsPerCycle()
	picks := make([]uint32, slots*uint64(perSlot))
	rng := NewXoshiro256pp(in.Seed)
	first := in.Cycle * cfg.PeriodsPerCycle
	i := 0
	for p := uint64(0); p < cfg.PeriodsPerCycle; p++ {
		period := first + p
		for t := 0; t < int(cfg.ThreadCount); t++ {
			if period == 0 {
				picks[i] = genesis
			} else {
				picks[i] = uint32(dist.sampleXoshiro(rng))
			}
			i++
			for e := 0; e < cfg.EndorsementCount; e++ {
				picks[i] = uint32(dist.sampleXoshiro(rng))
				i++
			}
		}
	}
	return &Draws{
		cycle: in.Cycle,
		cfg: drawShape{
			threadCount:     cfg.ThreadCount,
			periodsPerCycle: cfg.PeriodsPerCycle,
			endorsements:    cfg.EndorsementCount,
		},
		addresses: addrs,
		picks:     picks,
	}, nil
}

// Cycle is the cycle these draws are for.
func (d *Draws) Cycle() uint64 { return d.cycle }

// offset returns the index of the slot's producer pick.
func (d *Draws) offset(s types.Slot) (int, error) {
	if s.Period/d.cfg.periodsPerCycle != d.cycle {
		return 0, fmt.Errorf("%w: slot %s is not in cycle %d", ErrDrawsNotReady, s, d.cycle)
	}
	if s.Thread >= d.cfg.threadCount {
		return 0, fmt.Errorf("%w: thread %d", ErrSlotOutOfRange, s.Thread)
	}
	idx := (s.Period%d.cfg.periodsPerCycle)*uint64(d.cfg.threadCount) + uint64(s.Thread)
	return int(idx) * (1 + d.cfg.endorsements), nil
}

// Producer returns the block producer of s.
func (d *Draws) Producer(s types.Slot) (types.Address, error) {
	o, err := d.offset(s)
	if err != nil {
		return types.Address{}, err
	}
	return d.addresses[d.picks[o]], nil
}

// Endorsers returns the endorsers of s, index 0 first (a new slice).
func (d *Draws) Endorsers(s types.Slot) ([]types.Address, error) {
	o, err := d.offset(s)
	if err != nil {
		return nil, err
	}
	out := make([]types.Address, d.cfg.endorsements)
	for e := range out {
		out[e] = d.addresses[d.picks[o+1+e]]
	}
	return out, nil
}

// Selection returns producer and endorsers of s.
func (d *Draws) Selection(s types.Slot) (Selection, error) {
	p, err := d.Producer(s)
	if err != nil {
		return Selection{}, err
	}
	e, _ := d.Endorsers(s)
	return Selection{Producer: p, Endorsements: e}, nil
}
