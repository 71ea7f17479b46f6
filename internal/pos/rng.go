package pos

import (
	"encoding/binary"
	"math/bits"
)

// Source is the random stream the alias sampler reads. The two widths
// matter: rand 0.8 draws a u32 for a u32 range and a u64 for a u64 range,
// and each call advances the generator once.
type Source interface {
	Uint32() uint32
	Uint64() uint64
}

// Xoshiro256pp is the xoshiro256++ generator as rand_xoshiro 0.6 exposes it
// (Xoshiro256PlusPlus). It is the only RNG the draws use.
type Xoshiro256pp struct{ s [4]uint64 }

// NewXoshiro256pp seeds the generator like rand_xoshiro's from_seed: the
// 32 bytes are four little-endian u64 words. An all-zero seed (a fixed point
// of the generator) is replaced, as rand_xoshiro does, by the state that
// SplitMix64 seeded with 0 produces.
func NewXoshiro256pp(seed [32]byte) *Xoshiro256pp {
	x := &Xoshiro256pp{}
	zero := true
	for i := range x.s {
		x.s[i] = binary.LittleEndian.Uint64(seed[8*i:])
		if x.s[i] != 0 {
			zero = false
		}
	}
	if zero {
		// seed_from_u64(0) fills the 32 seed bytes with SplitMix64 outputs
		// taken as little-endian words, which is the same as the outputs.
		sm := splitMix64(0)
		for i := range x.s {
			x.s[i] = sm.Uint64()
		}
	}
	return x
}

// Uint64 returns the next output: rotl(s0 + s3, 23) + s0.
func (x *Xoshiro256pp) Uint64() uint64 {
	s := &x.s
	out := bits.RotateLeft64(s[0]+s[3], 23) + s[0]
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return out
}

// Uint32 returns the upper half of the next Uint64, as rand_xoshiro does
// (the low bits of xoshiro have linear dependencies).
func (x *Xoshiro256pp) Uint32() uint32 { return uint32(x.Uint64() >> 32) }

// splitMix64 is the SplitMix64 generator, used only to expand a zero seed.
type splitMix64 uint64

func (s *splitMix64) Uint64() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
