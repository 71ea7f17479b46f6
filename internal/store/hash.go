package store

import (
	"crypto/subtle"
	"encoding/binary"

	"github.com/zeebo/blake3"

	"github.com/gomassa/gomassa/internal/crypto"
)

// StateHash is the 512-byte XOR-accumulated state hash of protocol.md §9.2.
type StateHash = [crypto.XOFSize]byte

// pairHasher computes HashXof_512(compute_from_tuple(key, value)): the
// BLAKE3 extended output read straight from a hasher fed with the tuple
// encoding, so large values (bytecode) are not copied into a buffer first.
// It equals crypto.HashXOF(len(k)||k||len(v)||v); a test checks that.
type pairHasher struct {
	h *blake3.Hasher
}

func newPairHasher() pairHasher { return pairHasher{h: blake3.New()} }

// xorPair XORs the pair hash of (k, v) into acc.
func (p pairHasher) xorPair(acc *StateHash, k, v []byte) {
	p.h.Reset()
	var l [8]byte
	binary.BigEndian.PutUint64(l[:], uint64(len(k)))
	_, _ = p.h.Write(l[:])
	_, _ = p.h.Write(k)
	binary.BigEndian.PutUint64(l[:], uint64(len(v)))
	_, _ = p.h.Write(l[:])
	_, _ = p.h.Write(v)
	var out StateHash
	_, _ = p.h.Digest().Read(out[:])
	subtle.XORBytes(acc[:], acc[:], out[:])
}

// PairHash returns the contribution of one (key, value) pair to the state
// hash. Exposed for other packages that must reproduce the state hash over
// data they hold elsewhere (bootstrap checks, tests).
func PairHash(k, v []byte) StateHash {
	var acc StateHash
	newPairHasher().xorPair(&acc, k, v)
	return acc
}

// Fingerprint is the 32-byte BLAKE3 of a 512-byte state hash, the form shown
// in logs and compared between nodes.
func Fingerprint(h StateHash) crypto.Hash { return crypto.HashOf(h[:]) }
