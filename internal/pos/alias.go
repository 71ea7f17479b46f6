package pos

import (
	"fmt"
	"math"
	"math/bits"
)

// Alias is a weighted index sampler built and sampled exactly as
// rand_distr 0.4.3's WeightedAliasIndex<u64> with rand 0.8.5's uniform
// integer sampling, so that the same weights and the same RNG stream give
// the same indices as Massa. The facts it depends on (checked against
// those crate sources, see DECISIONS.md "Proof-of-stake draws"):
//
//   - every weight must be <= u64::MAX / n; the sum must be > 0;
//   - odds[i] = weight[i] * n; an index is "small" if odds < sum, else "big";
//   - small and big are two LIFO stacks filled in index order; while both
//     are non-empty, pop s and b, alias[s] = b, odds[b] = odds[b] - sum +
//     odds[s], push b back as small or big; every index left on a stack gets
//     odds = sum (its alias stays whatever the stack link left there, never
//     read because the weight test always passes);
//   - a sample is: candidate = Uniform<u32>[0, n) using one Uint32; then
//     w = Uniform<u64>[0, sum) using one Uint64 per try; candidate if
//     w < odds[candidate], else alias[candidate].
type Alias struct {
	alias  []uint32
	odds   []uint64
	index  uniform32
	weight uniform64
}

// noLink ends a stack; rand_distr uses u32::MAX the same way.
const noLink = math.MaxUint32

// NewAlias builds the sampler. It fails on an empty list, on a zero total,
// and on a weight above u64::MAX / n, as rand_distr does.
func NewAlias(weights []uint64) (*Alias, error) {
	n := len(weights)
	if n == 0 {
		return nil, ErrNoRolls
	}
	if uint64(n) >= noLink {
		return nil, fmt.Errorf("%w: %d addresses", ErrInvalidWeight, n)
	}
	maxWeight := math.MaxUint64 / uint64(n)
	var sum uint64
	for i, w := range weights {
		if w > maxWeight {
			return nil, fmt.Errorf("%w: weight %d at %d above %d", ErrInvalidWeight, w, i, maxWeight)
		}
		sum += w // cannot overflow: each weight <= MAX/n
	}
	if sum == 0 {
		return nil, ErrNoRolls
	}
	a := &Alias{
		alias: make([]uint32, n),
		odds:  make([]uint64, n),
	}
	for i, w := range weights {
		a.odds[i] = w * uint64(n)
	}
	// The two stacks live inside a.alias: an index on a stack stores the
	// next index of that stack; once given an alias it is on neither.
	smalls, bigs := uint32(noLink), uint32(noLink)
	push := func(head *uint32, i uint32) {
		a.alias[i] = *head
		*head = i
	}
	pop := func(head *uint32) uint32 {
		i := *head
		*head = a.alias[i]
		return i
	}
	for i := range a.odds {
		if a.odds[i] < sum {
			push(&smalls, uint32(i))
		} else {
			push(&bigs, uint32(i))
		}
	}
	for smalls != noLink && bigs != noLink {
		s := pop(&smalls)
		b := pop(&bigs)
		a.alias[s] = b
		a.odds[b] = a.odds[b] - sum + a.odds[s]
		if a.odds[b] < sum {
			push(&smalls, b)
		} else {
			push(&bigs, b)
		}
	}
	for smalls != noLink {
		a.odds[pop(&smalls)] = sum
	}
	for bigs != noLink {
		a.odds[pop(&bigs)] = sum
	}
	a.index = newUniform32(uint32(n))
	a.weight = newUniform64(sum)
	return a, nil
}

// Len is the number of weights.
func (a *Alias) Len() int { return len(a.odds) }

// Sample draws one index.
func (a *Alias) Sample(r Source) int {
	c := a.index.sample(r)
	if a.weight.sample(r) < a.odds[c] {
		return int(c)
	}
	return int(a.alias[c])
}

// sampleXoshiro is Sample specialised to the concrete generator, so the
// draw loop avoids interface calls; it must stay identical to Sample.
func (a *Alias) sampleXoshiro(r *Xoshiro256pp) int {
	c := a.index.sampleX(r)
	if a.weight.sampleX(r) < a.odds[c] {
		return int(c)
	}
	return int(a.alias[c])
}

// uniform32 is rand 0.8.5's UniformInt<u32> built with new(0, n): exact
// rejection (zone = u32::MAX - (2^32 mod n)) on the widening product.
type uniform32 struct{ n, zone uint32 }

func newUniform32(n uint32) uniform32 {
	reject := (math.MaxUint32 - n + 1) % n
	return uniform32{n: n, zone: math.MaxUint32 - reject}
}

func (u uniform32) sample(r Source) uint32 {
	for {
		m := uint64(r.Uint32()) * uint64(u.n)
		if uint32(m) <= u.zone {
			return uint32(m >> 32)
		}
	}
}

func (u uniform32) sampleX(r *Xoshiro256pp) uint32 {
	for {
		m := uint64(r.Uint32()) * uint64(u.n)
		if uint32(m) <= u.zone {
			return uint32(m >> 32)
		}
	}
}

// uniform64 is UniformInt<u64> built with new(0, n), n > 0.
type uniform64 struct{ n, zone uint64 }

func newUniform64(n uint64) uniform64 {
	reject := (math.MaxUint64 - n + 1) % n
	return uniform64{n: n, zone: math.MaxUint64 - reject}
}

func (u uniform64) sample(r Source) uint64 {
	for {
		hi, lo := bits.Mul64(r.Uint64(), u.n)
		if lo <= u.zone {
			return hi
		}
	}
}

func (u uniform64) sampleX(r *Xoshiro256pp) uint64 {
	for {
		hi, lo := bits.Mul64(r.Uint64(), u.n)
		if lo <= u.zone {
			return hi
		}
	}
}
