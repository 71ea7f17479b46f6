package pos

import (
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// SeedBits is the per-cycle RNG seed bit vector: one bit per executed slot,
// packed like Rust bitvec's BitVec<u8, Lsb0> (bit i is bit i%8 of byte
// i/8, least significant first). Unused high bits of the last byte are zero
// when built here; bits loaded from a store are kept as they are, and
// Append writes its bit explicitly, so a value re-encodes byte for byte.
type SeedBits struct {
	bytes []byte
	n     int
}

// NewSeedBits returns n zero bits (cycle 0 starts with ThreadCount of them
// for the genesis period, whose slots are never executed).
func NewSeedBits(n int) SeedBits {
	return SeedBits{bytes: make([]byte, (n+7)/8), n: n}
}

// Len is the number of bits.
func (b SeedBits) Len() int { return b.n }

// Bit returns bit i.
func (b SeedBits) Bit(i int) bool { return b.bytes[i/8]>>(uint(i)%8)&1 == 1 }

// Append adds one bit at the end.
func (b *SeedBits) Append(bit bool) {
	if b.n%8 == 0 {
		b.bytes = append(b.bytes, 0)
	}
	mask := byte(1) << (uint(b.n) % 8)
	if bit {
		b.bytes[b.n/8] |= mask
	} else {
		b.bytes[b.n/8] &^= mask
	}
	b.n++
}

// AppendAll adds every bit of o at the end.
func (b *SeedBits) AppendAll(o SeedBits) {
	for i := 0; i < o.n; i++ {
		b.Append(o.Bit(i))
	}
}

// Bytes returns the packed bytes (what bitvec's into_vec gives); the
// slice is shared, callers must not modify it.
func (b SeedBits) Bytes() []byte { return b.bytes }

// Clone returns an independent copy.
func (b SeedBits) Clone() SeedBits {
	return SeedBits{bytes: append([]byte(nil), b.bytes...), n: b.n}
}

// SlotSeedBit is the seed bit of a missed slot: the first (most
// significant) bit of BLAKE3 of the slot's 9-byte key.
func SlotSeedBit(s types.Slot) bool {
	k := s.Key()
	h := crypto.HashOf(k[:])
	return h[0]&0x80 != 0
}

// InitialSeeds returns the fixed seeds of cycles 0 and 1:
// cycle 0 = BLAKE3(BLAKE3(s)), cycle 1 = BLAKE3(s).
func InitialSeeds(s string) [2]crypto.Hash {
	h := crypto.HashOf([]byte(s))
	return [2]crypto.Hash{crypto.HashOf(h[:]), h}
}

// CycleSeed is the draw seed of cycle c+2 from the inputs Massa uses:
// BLAKE3(varint(c) || packed seed bits of cycle c || final-state-hash
// snapshot of cycle c-1 when there is one).
func CycleSeed(c uint64, bits SeedBits, snapshot *[crypto.XOFSize]byte) crypto.Hash {
	var v [10]byte
	vb := types.AppendUvarint(v[:0], c)
	if snapshot == nil {
		return crypto.HashOfParts(vb, bits.Bytes())
	}
	return crypto.HashOfParts(vb, bits.Bytes(), snapshot[:])
}
