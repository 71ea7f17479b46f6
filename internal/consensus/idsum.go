package consensus

import (
	"encoding/binary"
	"math/bits"

	"github.com/gomassa/gomassa/internal/types"
)

// idSum is a sum of block ids read as big-endian unsigned integers (the
// 33-byte serialized id 0x00 || hash has the value of the hash). Five
// little-endian 64-bit words hold 320 bits, enough for 2^64 ids.
type idSum [5]uint64

func idWords(id types.BlockID) (w [4]uint64) {
	for i := 0; i < 4; i++ {
		w[i] = binary.BigEndian.Uint64(id[32-8*(i+1) : 32-8*i])
	}
	return w
}

func (s *idSum) add(id types.BlockID) {
	w := idWords(id)
	var c uint64
	for i := 0; i < 4; i++ {
		s[i], c = bits.Add64(s[i], w[i], c)
	}
	s[4] += c
}

func (s *idSum) sub(id types.BlockID) {
	w := idWords(id)
	var b uint64
	for i := 0; i < 4; i++ {
		s[i], b = bits.Sub64(s[i], w[i], b)
	}
	s[4] -= b
}

// cmp returns -1, 0 or 1.
func (s *idSum) cmp(o *idSum) int {
	for i := 4; i >= 0; i-- {
		switch {
		case s[i] < o[i]:
			return -1
		case s[i] > o[i]:
			return 1
		}
	}
	return 0
}
