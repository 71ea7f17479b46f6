package types

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/gomassa/gomassa/internal/crypto"
)

// AddressSize is the binary size of an address: category varint, version
// varint, 32-byte hash.
const AddressSize = 2 + crypto.HashSize

// Address is a user (AU…) or smart-contract (AS…) address.
type Address struct {
	SC   bool
	Hash crypto.Hash
}

// AddressOf derives the user address of a public key:
// BLAKE3 of the 33-byte versioned key.
func AddressOf(pub crypto.PublicKey) Address {
	var buf [crypto.VersionedPublicKeySize]byte
	pub.AppendBytes(buf[:0])
	return Address{Hash: crypto.HashOf(buf[:])}
}

// IsZero reports the zero value (never a real address in practice).
func (a Address) IsZero() bool { return !a.SC && a.Hash == crypto.Hash{} }

// Thread of the address for threadCount threads (a power of two). Massa
// places SC addresses in thread 0 for now.
func (a Address) Thread(threadCount uint8) uint8 {
	if a.SC || threadCount <= 1 {
		return 0
	}
	shift := 8 - bits.Len8(threadCount-1)
	return a.Hash[0] >> uint(shift)
}

// Bytes returns the 34-byte binary form.
func (a Address) Bytes() []byte { return a.AppendBinary(make([]byte, 0, AddressSize)) }

// AppendBinary appends category varint || version varint || hash.
func (a Address) AppendBinary(dst []byte) []byte {
	if a.SC {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	dst = append(dst, 0)
	return append(dst, a.Hash[:]...)
}

// Address reads the binary form.
func (r *Reader) Address(field string) Address {
	cat := r.uvarintSuffix(field, " category", 64)
	ver := r.uvarintSuffix(field, " version", 64)
	h := r.fixedSuffix(field, " hash", crypto.HashSize)
	if r.err != nil {
		return Address{}
	}
	if cat > 1 {
		r.Failf(field, ErrBadEncoding, "category %d", cat)
		return Address{}
	}
	if ver != 0 {
		r.Failf(field, ErrBadVersion, "version %d", ver)
		return Address{}
	}
	var a Address
	a.SC = cat == 1
	copy(a.Hash[:], h)
	return a
}

// AddressFromBytes parses exactly one binary address.
func AddressFromBytes(b []byte) (Address, error) {
	r := NewReader(b, "address")
	a := r.Address("address")
	return a, r.Done()
}

// String returns AU… or AS….
func (a Address) String() string {
	var buf [1 + crypto.HashSize]byte
	copy(buf[1:], a.Hash[:])
	if a.SC {
		return "AS" + crypto.Base58CheckEncode(buf[:])
	}
	return "AU" + crypto.Base58CheckEncode(buf[:])
}

// ParseAddress parses AU… or AS….
func ParseAddress(s string) (Address, error) {
	if len(s) < 3 || s[0] != 'A' || (s[1] != 'U' && s[1] != 'S') {
		return Address{}, fmt.Errorf("address %q: must start with AU or AS: %w", clip(s), ErrBadPrefix)
	}
	b, err := crypto.Base58CheckDecode(s[2:])
	if err != nil {
		return Address{}, fmt.Errorf("address %q: %w", clip(s), err)
	}
	if len(b) != 1+crypto.HashSize {
		return Address{}, fmt.Errorf("address %q: %d bytes: %w", clip(s), len(b), ErrBadEncoding)
	}
	if b[0] != 0 {
		return Address{}, fmt.Errorf("address %q: version %d: %w", clip(s), b[0], ErrBadVersion)
	}
	a := Address{SC: s[1] == 'S'}
	copy(a.Hash[:], b[1:])
	return a, nil
}

// Compare orders addresses as Massa's derived Rust order does: every user
// address before every SC address, then by hash bytes.
func (a Address) Compare(o Address) int {
	if a.SC != o.SC {
		if !a.SC {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.Hash[:], o.Hash[:])
}

// MarshalText implements encoding.TextMarshaler.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// clip shortens user input quoted in errors.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}
