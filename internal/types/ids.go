package types

import (
	"bytes"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// IDSize is the binary size of a versioned id: version byte || 32-byte hash.
const IDSize = 1 + crypto.HashSize

// OperationIDPrefixSize is the size of the id prefixes announced on P2P.
const OperationIDPrefixSize = 17

// BlockID identifies a block: the hash of its header.
type BlockID crypto.Hash

// OperationID identifies an operation; the hash covers the chain id.
type OperationID crypto.Hash

// EndorsementID identifies an endorsement.
type EndorsementID crypto.Hash

// OperationPrefix is the first 17 bytes of an operation id hash.
type OperationPrefix [OperationIDPrefixSize]byte

func idString(letter byte, h [32]byte) string {
	var buf [IDSize]byte
	copy(buf[1:], h[:])
	return string(letter) + crypto.Base58CheckEncode(buf[:])
}

func parseID(s string, letter byte, what string) ([32]byte, error) {
	if len(s) < 2 || s[0] != letter {
		return [32]byte{}, fmt.Errorf("%s %q: must start with %c: %w", what, clip(s), letter, ErrBadPrefix)
	}
	b, err := crypto.Base58CheckDecode(s[1:])
	if err != nil {
		return [32]byte{}, fmt.Errorf("%s %q: %w", what, clip(s), err)
	}
	if len(b) != IDSize {
		return [32]byte{}, fmt.Errorf("%s %q: %d bytes: %w", what, clip(s), len(b), ErrBadEncoding)
	}
	if b[0] != 0 {
		return [32]byte{}, fmt.Errorf("%s %q: version %d: %w", what, clip(s), b[0], ErrBadVersion)
	}
	var h [32]byte
	copy(h[:], b[1:])
	return h, nil
}

func (r *Reader) id(field string) [32]byte {
	v := r.uvarintSuffix(field, " version", 64)
	h := r.Fixed(field, crypto.HashSize)
	if r.err != nil {
		return [32]byte{}
	}
	if v != 0 {
		r.Failf(field, ErrBadVersion, "version %d", v)
		return [32]byte{}
	}
	var out [32]byte
	copy(out[:], h)
	return out
}

func appendID(dst []byte, h [32]byte) []byte {
	dst = append(dst, 0)
	return append(dst, h[:]...)
}

// String returns "B…".
func (id BlockID) String() string { return idString('B', id) }

// AppendBinary appends 0x00 || hash.
func (id BlockID) AppendBinary(dst []byte) []byte { return appendID(dst, id) }

// Bytes returns the 33-byte binary form.
func (id BlockID) Bytes() []byte { return id.AppendBinary(make([]byte, 0, IDSize)) }

// Compare orders ids byte-lexicographically.
func (id BlockID) Compare(o BlockID) int { return bytes.Compare(id[:], o[:]) }

// FirstBit is the most significant bit of the hash (used in PoS seeds).
func (id BlockID) FirstBit() bool { return id[0]&0x80 != 0 }

// ParseBlockID parses "B…".
func ParseBlockID(s string) (BlockID, error) {
	h, err := parseID(s, 'B', "block id")
	return BlockID(h), err
}

// BlockID reads a versioned block id.
func (r *Reader) BlockID(field string) BlockID { return BlockID(r.id(field)) }

// MarshalText implements encoding.TextMarshaler.
func (id BlockID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *BlockID) UnmarshalText(b []byte) error {
	v, err := ParseBlockID(string(b))
	*id = v
	return err
}

// String returns "O…".
func (id OperationID) String() string { return idString('O', id) }

// AppendBinary appends 0x00 || hash.
func (id OperationID) AppendBinary(dst []byte) []byte { return appendID(dst, id) }

// Bytes returns the 33-byte binary form.
func (id OperationID) Bytes() []byte { return id.AppendBinary(make([]byte, 0, IDSize)) }

// Compare orders ids byte-lexicographically.
func (id OperationID) Compare(o OperationID) int { return bytes.Compare(id[:], o[:]) }

// Prefix returns the 17-byte gossip prefix.
func (id OperationID) Prefix() OperationPrefix {
	var p OperationPrefix
	copy(p[:], id[:OperationIDPrefixSize])
	return p
}

// ParseOperationID parses "O…".
func ParseOperationID(s string) (OperationID, error) {
	h, err := parseID(s, 'O', "operation id")
	return OperationID(h), err
}

// OperationID reads a versioned operation id.
func (r *Reader) OperationID(field string) OperationID { return OperationID(r.id(field)) }

// MarshalText implements encoding.TextMarshaler.
func (id OperationID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *OperationID) UnmarshalText(b []byte) error {
	v, err := ParseOperationID(string(b))
	*id = v
	return err
}

// String returns "E…".
func (id EndorsementID) String() string { return idString('E', id) }

// AppendBinary appends 0x00 || hash.
func (id EndorsementID) AppendBinary(dst []byte) []byte { return appendID(dst, id) }

// ParseEndorsementID parses "E…".
func ParseEndorsementID(s string) (EndorsementID, error) {
	h, err := parseID(s, 'E', "endorsement id")
	return EndorsementID(h), err
}

// EndorsementID reads a versioned endorsement id.
func (r *Reader) EndorsementID(field string) EndorsementID { return EndorsementID(r.id(field)) }

// MarshalText implements encoding.TextMarshaler.
func (id EndorsementID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *EndorsementID) UnmarshalText(b []byte) error {
	v, err := ParseEndorsementID(string(b))
	*id = v
	return err
}

// PublicKey reads a versioned public key.
func (r *Reader) PublicKey(field string) crypto.PublicKey {
	b := r.Fixed(field, crypto.VersionedPublicKeySize)
	if r.err != nil {
		return crypto.PublicKey{}
	}
	pk, err := crypto.PublicKeyFromBytes(b)
	if err != nil {
		r.Fail(field, err)
	}
	return pk
}

// Signature reads a versioned signature.
func (r *Reader) Signature(field string) crypto.Signature {
	b := r.Fixed(field, crypto.VersionedSignatureSize)
	if r.err != nil {
		return crypto.Signature{}
	}
	s, err := crypto.SignatureFromBytes(b)
	if err != nil {
		r.Fail(field, err)
	}
	return s
}

// Hash reads a raw 32-byte hash.
func (r *Reader) Hash(field string) crypto.Hash {
	b := r.Fixed(field, crypto.HashSize)
	var h crypto.Hash
	copy(h[:], b)
	return h
}
