package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/oasisprotocol/curve25519-voi/curve"
)

// Sizes of the raw (unversioned) forms and of the versioned binary forms.
const (
	SeedSize               = 32
	PublicKeySize          = 32
	SignatureSize          = 64
	VersionedPublicKeySize = 1 + PublicKeySize
	VersionedSignatureSize = 1 + SignatureSize
	VersionedSecretKeySize = 1 + SeedSize
)

// keyVersion is the only version of keys and signatures Massa defines.
const keyVersion = 0

// SecretKey is an Ed25519 key pair built from its 32-byte seed.
type SecretKey struct {
	seed [SeedSize]byte
	priv ed25519.PrivateKey
	pub  PublicKey
}

// PublicKey is a 32-byte compressed Edwards point.
type PublicKey [PublicKeySize]byte

// Signature is a raw 64-byte Ed25519 signature (R || S).
type Signature [SignatureSize]byte

// GenerateKey creates a key pair from r (crypto/rand when r is nil).
func GenerateKey(r io.Reader) (*SecretKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var seed [SeedSize]byte
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return SecretKeyFromSeed(seed), nil
}

// SecretKeyFromSeed builds the key pair of a 32-byte seed.
func SecretKeyFromSeed(seed [SeedSize]byte) *SecretKey {
	priv := ed25519.NewKeyFromSeed(seed[:])
	k := &SecretKey{seed: seed, priv: priv}
	copy(k.pub[:], priv[SeedSize:])
	return k
}

// Seed returns the 32-byte seed.
func (k *SecretKey) Seed() [SeedSize]byte { return k.seed }

// Public returns the public key.
func (k *SecretKey) Public() PublicKey { return k.pub }

// Sign signs a 32-byte digest. Massa never signs anything else.
func (k *SecretKey) Sign(digest Hash) Signature {
	var s Signature
	copy(s[:], ed25519.Sign(k.priv, digest[:]))
	return s
}

// Bytes returns the versioned binary form: 0x00 || seed.
func (k *SecretKey) Bytes() []byte {
	out := make([]byte, 0, VersionedSecretKeySize)
	out = append(out, keyVersion)
	return append(out, k.seed[:]...)
}

// String returns "S" + bs58check(0x00 || seed).
func (k *SecretKey) String() string { return "S" + Base58CheckEncode(k.Bytes()) }

// SecretKeyFromBytes parses the versioned binary form. As in Massa, bytes
// after the 32-byte seed are ignored (a 65-byte seed||pubkey form exists).
func SecretKeyFromBytes(b []byte) (*SecretKey, error) {
	if len(b) < VersionedSecretKeySize {
		return nil, fmt.Errorf("secret key: %d bytes: %w", len(b), ErrTooShort)
	}
	if b[0] != keyVersion {
		return nil, fmt.Errorf("secret key: version %d: %w", b[0], ErrBadVersion)
	}
	var seed [SeedSize]byte
	copy(seed[:], b[1:1+SeedSize])
	return SecretKeyFromSeed(seed), nil
}

// ParseSecretKey parses "S…".
func ParseSecretKey(s string) (*SecretKey, error) {
	if len(s) < 2 || s[0] != 'S' {
		return nil, fmt.Errorf("secret key: must start with S: %w", ErrBadPrefix)
	}
	b, err := Base58CheckDecode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return SecretKeyFromBytes(b)
}

// keyPairJSON is the serde form of a Massa KeyPair (node_privkey.key).
type keyPairJSON struct {
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
}

// MarshalJSON writes {"secret_key": "S…", "public_key": "P…"}.
func (k *SecretKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(keyPairJSON{SecretKey: k.String(), PublicKey: k.pub.String()})
}

// UnmarshalJSON reads the KeyPair object; only secret_key is used, as in Massa.
func (k *SecretKey) UnmarshalJSON(b []byte) error {
	var v keyPairJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	parsed, err := ParseSecretKey(v.SecretKey)
	if err != nil {
		return err
	}
	*k = *parsed
	return nil
}

// Bytes returns the versioned binary form: 0x00 || 32 bytes.
func (p PublicKey) Bytes() []byte {
	out := make([]byte, VersionedPublicKeySize)
	out[0] = keyVersion
	copy(out[1:], p[:])
	return out
}

// AppendBytes appends the versioned binary form to dst.
func (p PublicKey) AppendBytes(dst []byte) []byte {
	dst = append(dst, keyVersion)
	return append(dst, p[:]...)
}

// String returns "P" + bs58check(0x00 || key).
func (p PublicKey) String() string { return "P" + Base58CheckEncode(p.Bytes()) }

// NodeID returns the node-id text form "N" + bs58check(0x00 || key).
func (p PublicKey) NodeID() string { return "N" + Base58CheckEncode(p.Bytes()) }

// PublicKeyFromBytes parses the versioned binary form. The point must
// decompress; bytes after the key are ignored as in Massa.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	if len(b) < VersionedPublicKeySize {
		return PublicKey{}, fmt.Errorf("public key: %d bytes: %w", len(b), ErrTooShort)
	}
	if b[0] != keyVersion {
		return PublicKey{}, fmt.Errorf("public key: version %d: %w", b[0], ErrBadVersion)
	}
	var p PublicKey
	copy(p[:], b[1:VersionedPublicKeySize])
	if !p.valid() {
		return PublicKey{}, fmt.Errorf("public key: not a curve point: %w", ErrBadPublicKey)
	}
	return p, nil
}

// valid reports whether the key decompresses to a curve point, which is what
// Massa's key parser (dalek VerifyingKey::from_bytes) requires. Like dalek it
// accepts non-canonical y encodings and small-order points. It decompresses
// only: building voi's expanded key here would cost a table per parsed key.
func (p PublicKey) valid() bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(p[:]); err != nil {
		return false
	}
	var pt curve.EdwardsPoint
	_, err := pt.SetCompressedY(&c)
	return err == nil
}

// lengthErr names what is wrong with a text payload of got bytes when want
// were expected.
func lengthErr(got, want int) error {
	if got > want {
		return ErrTrailingBytes
	}
	return ErrTooShort
}

func parsePrefixed(s string, prefix byte, what string) ([]byte, error) {
	if len(s) < 2 || s[0] != prefix {
		return nil, fmt.Errorf("%s: must start with %c: %w", what, prefix, ErrBadPrefix)
	}
	b, err := Base58CheckDecode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

// ParsePublicKey parses "P…". Trailing bytes inside the checksummed payload
// are rejected in text form.
func ParsePublicKey(s string) (PublicKey, error) {
	if k, ok := parsedKeys.get(s); ok {
		return k, nil
	}
	k, err := parsePublicKey(s)
	if err == nil && len(s) <= 64 {
		// Cloned: s may be a slice of a whole request body.
		parsedKeys.put(strings.Clone(s), k)
	}
	return k, err
}

func parsePublicKey(s string) (PublicKey, error) {
	b, err := parsePrefixed(s, 'P', "public key")
	if err != nil {
		return PublicKey{}, err
	}
	if len(b) != VersionedPublicKeySize {
		return PublicKey{}, fmt.Errorf("public key: %d bytes, want %d: %w", len(b), VersionedPublicKeySize, lengthErr(len(b), VersionedPublicKeySize))
	}
	return PublicKeyFromBytes(b)
}

// ParseNodeID parses "N…" into the node's public key.
func ParseNodeID(s string) (PublicKey, error) {
	b, err := parsePrefixed(s, 'N', "node id")
	if err != nil {
		return PublicKey{}, err
	}
	if len(b) != VersionedPublicKeySize {
		return PublicKey{}, fmt.Errorf("node id: %d bytes, want %d: %w", len(b), VersionedPublicKeySize, lengthErr(len(b), VersionedPublicKeySize))
	}
	return PublicKeyFromBytes(b)
}

// MarshalText implements encoding.TextMarshaler.
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PublicKey) UnmarshalText(b []byte) error {
	v, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Bytes returns the versioned binary form: 0x00 || 64 bytes.
func (s Signature) Bytes() []byte {
	out := make([]byte, VersionedSignatureSize)
	out[0] = keyVersion
	copy(out[1:], s[:])
	return out
}

// AppendBytes appends the versioned binary form to dst.
func (s Signature) AppendBytes(dst []byte) []byte {
	dst = append(dst, keyVersion)
	return append(dst, s[:]...)
}

// String returns bs58check(0x00 || 64 bytes), with no letter prefix.
func (s Signature) String() string { return Base58CheckEncode(s.Bytes()) }

// SignatureFromBytes parses the versioned binary form (exactly 65 bytes are read).
func SignatureFromBytes(b []byte) (Signature, error) {
	if len(b) < VersionedSignatureSize {
		return Signature{}, fmt.Errorf("signature: %d bytes: %w", len(b), ErrTooShort)
	}
	if b[0] != keyVersion {
		return Signature{}, fmt.Errorf("signature: version %d: %w", b[0], ErrBadVersion)
	}
	var s Signature
	copy(s[:], b[1:VersionedSignatureSize])
	return s, nil
}

// ParseSignature parses the bs58check text of a signature.
func ParseSignature(str string) (Signature, error) {
	b, err := Base58CheckDecode(str)
	if err != nil {
		return Signature{}, fmt.Errorf("signature: %w", err)
	}
	if len(b) != VersionedSignatureSize {
		return Signature{}, fmt.Errorf("signature: %d bytes, want %d: %w: %w", len(b), VersionedSignatureSize, ErrBadSignature, lengthErr(len(b), VersionedSignatureSize))
	}
	return SignatureFromBytes(b)
}

// MarshalText implements encoding.TextMarshaler.
func (s Signature) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Signature) UnmarshalText(b []byte) error {
	v, err := ParseSignature(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
