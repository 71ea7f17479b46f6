package crypto

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/zeebo/blake3"
)

// HashSize is the size of a BLAKE3 digest as Massa uses it.
const HashSize = 32

// Hash is a 32-byte BLAKE3 digest. Its binary form has no version byte; its
// text form is bs58check of the 32 bytes with no prefix.
type Hash [HashSize]byte

// HashOf returns BLAKE3(data).
func HashOf(data []byte) Hash { return Hash(blake3.Sum256(data)) }

// HashOfParts hashes the concatenation of parts without copying them.
func HashOfParts(parts ...[]byte) Hash {
	h := blake3.New()
	for _, p := range parts {
		_, _ = h.Write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// HashOfTuple is Massa's compute_from_tuple: for each part, its length as an
// 8-byte big-endian integer followed by the part.
func HashOfTuple(parts ...[]byte) Hash {
	h := blake3.New()
	var l [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(l[:], uint64(len(p)))
		_, _ = h.Write(l[:])
		_, _ = h.Write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// XOFSize is the size of the extended-output hash used for the state hash.
const XOFSize = 512

// HashXOF fills a 512-byte BLAKE3 extended output of data.
func HashXOF(data []byte) [XOFSize]byte {
	h := blake3.New()
	_, _ = h.Write(data)
	var out [XOFSize]byte
	_, _ = h.Digest().Read(out[:])
	return out
}

// String returns the bs58check text form.
func (h Hash) String() string { return Base58CheckEncode(h[:]) }

// Compare orders hashes byte-lexicographically.
func (h Hash) Compare(o Hash) int { return bytes.Compare(h[:], o[:]) }

// ParseHash parses the bs58check text of a hash.
func ParseHash(s string) (Hash, error) {
	b, err := Base58CheckDecode(s)
	if err != nil {
		return Hash{}, fmt.Errorf("hash: %w", err)
	}
	if len(b) != HashSize {
		return Hash{}, fmt.Errorf("hash: %d bytes, want %d: %w", len(b), HashSize, lengthErr(len(b), HashSize))
	}
	return Hash(b), nil
}

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
