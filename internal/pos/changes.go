package pos

import (
	"maps"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// Credit is a deferred credit: Amount paid to Address at Slot.
type Credit struct {
	Slot    types.Slot
	Address types.Address
	Amount  types.Amount
}

func compareCredits(a, b Credit) int {
	if c := a.Slot.Compare(b.Slot); c != 0 {
		return c
	}
	return a.Address.Compare(b.Address)
}

// Changes are the PoS effects of executing one slot (or several, merged),
// with Massa's PoSChanges semantics:
//   - SeedBits are appended to the cycle's seed;
//   - Rolls are ABSOLUTE counts that replace the stored ones (0 removes);
//   - Stats are DELTAS added to the cycle's stats;
//   - Credits are ABSOLUTE amounts per (slot, address) that replace the
//     stored ones (0 removes; a zero also marks a credit as paid).
//
// Execution builds one Changes per slot through a Speculative; the final
// state applies it when the slot becomes final.
type Changes struct {
	SeedBits SeedBits
	Rolls    map[types.Address]uint64
	Stats    map[types.Address]ProductionStats
	Credits  map[types.Slot]map[types.Address]types.Amount
}

// NewChanges returns empty changes.
func NewChanges() *Changes {
	return &Changes{
		Rolls:   make(map[types.Address]uint64),
		Stats:   make(map[types.Address]ProductionStats),
		Credits: make(map[types.Slot]map[types.Address]types.Amount),
	}
}

func (c *Changes) init() {
	if c.Rolls == nil {
		c.Rolls = make(map[types.Address]uint64)
	}
	if c.Stats == nil {
		c.Stats = make(map[types.Address]ProductionStats)
	}
	if c.Credits == nil {
		c.Credits = make(map[types.Slot]map[types.Address]types.Amount)
	}
}

// IsEmpty reports whether applying c would change nothing.
func (c *Changes) IsEmpty() bool {
	return c.SeedBits.Len() == 0 && len(c.Rolls) == 0 && len(c.Stats) == 0 && len(c.Credits) == 0
}

// SetCredit records the absolute deferred credit of addr at slot.
func (c *Changes) SetCredit(slot types.Slot, addr types.Address, amount types.Amount) {
	c.init()
	m := c.Credits[slot]
	if m == nil {
		m = make(map[types.Address]types.Amount)
		c.Credits[slot] = m
	}
	m[addr] = amount
}

// credit returns the credit recorded for (addr, slot), if any.
func (c *Changes) credit(slot types.Slot, addr types.Address) (types.Amount, bool) {
	a, ok := c.Credits[slot][addr]
	return a, ok
}

// Extend merges o, which follows c in slot order, into c.
func (c *Changes) Extend(o *Changes) {
	c.init()
	c.SeedBits.AppendAll(o.SeedBits)
	maps.Copy(c.Rolls, o.Rolls)
	for a, s := range o.Stats {
		c.Stats[a] = c.Stats[a].Add(s)
	}
	for slot, m := range o.Credits {
		for a, amt := range m {
			c.SetCredit(slot, a, amt)
		}
	}
}

// Clone returns a deep copy.
func (c *Changes) Clone() *Changes {
	o := &Changes{
		SeedBits: c.SeedBits.Clone(),
		Rolls:    maps.Clone(c.Rolls),
		Stats:    maps.Clone(c.Stats),
		Credits:  make(map[types.Slot]map[types.Address]types.Amount, len(c.Credits)),
	}
	for s, m := range c.Credits {
		o.Credits[s] = maps.Clone(m)
	}
	o.init()
	return o
}

// SortedRolls lists the roll changes in Address order.
func (c *Changes) SortedRolls() []RollCount { return sortedRolls(c.Rolls) }

// SortedStats lists the stats deltas in Address order.
func (c *Changes) SortedStats() []AddressStats { return sortedStats(c.Stats) }

// SortedCredits lists the credit changes by slot then address, zeros included.
func (c *Changes) SortedCredits() []Credit { return flattenCredits(c.Credits, nil) }

// flattenCredits lists credits sorted by (slot, address); keep, if not nil,
// filters them.
func flattenCredits(m map[types.Slot]map[types.Address]types.Amount, keep func(Credit) bool) []Credit {
	var out []Credit
	for s, am := range m {
		for a, amt := range am {
			cr := Credit{Slot: s, Address: a, Amount: amt}
			if keep == nil || keep(cr) {
				out = append(out, cr)
			}
		}
	}
	slices.SortFunc(out, compareCredits)
	return out
}
