package execution

import (
	"encoding/binary"

	"github.com/gomassa/gomassa/internal/crypto"
)

// xoshiro256 is Xoshiro256++, the generator behind the contracts'
// unsafe_random (protocol.md §3.8). It is deliberately predictable: every
// node draws the same numbers.
type xoshiro256 struct{ s [4]uint64 }

// newSlotRNG seeds the generator of a slot from its execution trail hash:
// seed = BLAKE3 tuple("PRNG_SEED", trail hash), read as four u64 LE words
// (rand_xoshiro's from_seed).
func newSlotRNG(trail crypto.Hash) xoshiro256 {
	seed := crypto.HashOfTuple([]byte("PRNG_SEED"), trail[:])
	var x xoshiro256
	for i := range x.s {
		x.s[i] = binary.LittleEndian.Uint64(seed[8*i:])
	}
	if x.s == [4]uint64{} {
		// An all-zero state never leaves zero; rand_xoshiro reseeds from
		// u64 0 then. A 2^-256 event, kept for fidelity of the algorithm.
		x = seedFromU64(0)
	}
	return x
}

// seedFromU64 fills the state with SplitMix64 outputs (rand_core's
// seed_from_u64 for this generator).
func seedFromU64(v uint64) xoshiro256 {
	var x xoshiro256
	for i := range x.s {
		v += 0x9E3779B97F4A7C15
		z := v
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		x.s[i] = z ^ (z >> 31)
	}
	return x
}

func rotl(v uint64, k uint) uint64 { return v<<k | v>>(64-k) }

// next returns the next 64 random bits.
func (x *xoshiro256) next() uint64 {
	s := &x.s
	out := rotl(s[0]+s[3], 23) + s[0]
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return out
}
