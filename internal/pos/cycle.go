package pos

import (
	"maps"
	"math/bits"
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// ProductionStats counts an address's block production in one cycle.
type ProductionStats struct {
	OK  uint64 `json:"ok"`  // blocks produced (block_success_count)
	NOK uint64 `json:"nok"` // slots missed while drawn (block_failure_count)
}

// Add returns the saturating sum, as Massa's extend does.
func (p ProductionStats) Add(o ProductionStats) ProductionStats {
	return ProductionStats{OK: satAdd(p.OK, o.OK), NOK: satAdd(p.NOK, o.NOK)}
}

// Satisfying reports NOK/(OK+NOK) <= num/den; an address with no
// opportunity is always satisfying. The comparison is exact (128-bit
// cross products), like the Ratio<u64> comparison in Massa.
func (p ProductionStats) Satisfying(num, den uint64) bool {
	total, carry := bits.Add64(p.OK, p.NOK, 0)
	if carry == 0 && total == 0 {
		return true
	}
	// NOK * den <= num * total, with total possibly 2^64 + x.
	lh, ll := bits.Mul64(p.NOK, den)
	rh, rl := bits.Mul64(num, total)
	if carry != 0 {
		// The right side also has num * 2^64; past 2^128 it wins outright.
		var c uint64
		if rh, c = bits.Add64(rh, num, 0); c != 0 {
			return true
		}
	}
	return lh < rh || (lh == rh && ll <= rl)
}

func satAdd(a, b uint64) uint64 {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return ^uint64(0)
	}
	return s
}

// AddressStats pairs an address with its stats, for sorted listings.
type AddressStats struct {
	Address types.Address
	Stats   ProductionStats
}

// CycleInfo is the PoS record of one cycle.
type CycleInfo struct {
	Cycle    uint64
	Complete bool
	// Rolls holds positive counts only: a count set to 0 is removed.
	Rolls map[types.Address]uint64
	Seed  SeedBits
	Stats map[types.Address]ProductionStats
	// Snapshot is the final state hash after the latest finalized slot of
	// the cycle; after its last slot, the hash that seeds cycle+3.
	Snapshot *[crypto.XOFSize]byte
}

func newCycleInfo(cycle uint64, rolls map[types.Address]uint64, seed SeedBits) *CycleInfo {
	return &CycleInfo{
		Cycle: cycle,
		Rolls: rolls,
		Seed:  seed,
		Stats: make(map[types.Address]ProductionStats),
	}
}

// SortedRolls lists the roll counts in Address order.
func (c *CycleInfo) SortedRolls() []RollCount { return sortedRolls(c.Rolls) }

// SortedStats lists the production stats in Address order.
func (c *CycleInfo) SortedStats() []AddressStats { return sortedStats(c.Stats) }

// Clone returns a deep copy.
func (c *CycleInfo) Clone() *CycleInfo {
	o := *c
	o.Rolls = maps.Clone(c.Rolls)
	o.Stats = maps.Clone(c.Stats)
	o.Seed = c.Seed.Clone()
	if c.Snapshot != nil {
		s := *c.Snapshot
		o.Snapshot = &s
	}
	return &o
}

func sortedRolls(m map[types.Address]uint64) []RollCount {
	out := make([]RollCount, 0, len(m))
	for a, n := range m {
		out = append(out, RollCount{Address: a, Rolls: n})
	}
	SortRollCounts(out)
	return out
}

func sortedStats(m map[types.Address]ProductionStats) []AddressStats {
	out := make([]AddressStats, 0, len(m))
	for a, s := range m {
		out = append(out, AddressStats{Address: a, Stats: s})
	}
	slices.SortFunc(out, func(x, y AddressStats) int { return x.Address.Compare(y.Address) })
	return out
}

func sortedAddresses[V any](m map[types.Address]V) []types.Address {
	out := slices.Collect(maps.Keys(m))
	slices.SortFunc(out, types.Address.Compare)
	return out
}
