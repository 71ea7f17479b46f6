package crypto

import (
	"crypto/sha256"
	"fmt"

	"github.com/mr-tron/base58"
)

// maxBase58Text bounds the text we are willing to decode; the longest Massa
// text form (a signature) is under 100 characters.
const maxBase58Text = 512

// Base58CheckEncode appends the first four bytes of SHA-256(SHA-256(payload))
// and encodes the result with the Bitcoin alphabet. Massa puts no version byte
// inside the checksummed payload beyond its own varint version.
func Base58CheckEncode(payload []byte) string {
	buf := make([]byte, 0, len(payload)+4)
	buf = append(buf, payload...)
	sum := checksum(payload)
	buf = append(buf, sum[:]...)
	return base58.Encode(buf)
}

// Base58CheckDecode reverses Base58CheckEncode and verifies the checksum.
func Base58CheckDecode(s string) ([]byte, error) {
	if len(s) > maxBase58Text {
		return nil, fmt.Errorf("%w: %d characters", ErrTextTooLong, len(s))
	}
	raw, err := base58.Decode(s)
	if err != nil {
		return nil, ErrBadBase58
	}
	if len(raw) < 4 {
		return nil, fmt.Errorf("base58check: %w", ErrTooShort)
	}
	payload, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	want := checksum(payload)
	if want[0] != sum[0] || want[1] != sum[1] || want[2] != sum[2] || want[3] != sum[3] {
		return nil, ErrBadChecksum
	}
	return payload, nil
}

func checksum(payload []byte) [4]byte {
	first := sha256.Sum256(payload)
	second := sha256.Sum256(first[:])
	var out [4]byte
	copy(out[:], second[:4])
	return out
}

// Base58Encode is plain base58 without checksum (used only for display of
// operation id prefixes).
func Base58Encode(b []byte) string { return base58.Encode(b) }
