package types

import (
	"fmt"
	"strings"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Typed display prefixes: an opt-in rendering for humans (client output)
// that puts a three-letter kind and a dash before a text form, e.g.
// "ADR-AU12…", so that keys, addresses and ids are not confused. It is the
// scheme of Massa's former `hash-prefix` feature, layered on today's
// texts. It never changes JSON, binary forms or hashes: JSON goes through
// MarshalText, which ignores it.

// DisplayKind is the kind of a displayed value.
type DisplayKind uint8

// Display kinds.
const (
	KindAddress DisplayKind = iota
	KindSecretKey
	KindPublicKey
	KindSignature
	KindEndorsementID
	KindOperationID
	KindBlockID
	KindSCEventID
	KindNodeID
	kindCount
)

var displayPrefixes = [kindCount]string{
	KindAddress:       "ADR",
	KindSecretKey:     "PRI",
	KindPublicKey:     "PUB",
	KindSignature:     "SIG",
	KindEndorsementID: "END",
	KindOperationID:   "OPE",
	KindBlockID:       "BLO",
	KindSCEventID:     "SCE",
	KindNodeID:        "NOD",
}

var displayNames = [kindCount]string{
	"address", "secret key", "public key", "signature", "endorsement id",
	"operation id", "block id", "SC event id", "node id",
}

// Prefix is the three-letter tag of k ("ADR"), or "" for an unknown kind.
func (k DisplayKind) Prefix() string {
	if k >= kindCount {
		return ""
	}
	return displayPrefixes[k]
}

// String names the kind for messages.
func (k DisplayKind) String() string {
	if k >= kindCount {
		return fmt.Sprintf("DisplayKind(%d)", uint8(k))
	}
	return displayNames[k]
}

// Display renders values for human output. The zero value prints plain
// texts; TypedPrefixes adds "XXX-" in front.
type Display struct {
	TypedPrefixes bool
}

// Text renders an already formatted text of kind k.
func (d Display) Text(k DisplayKind, text string) string {
	if !d.TypedPrefixes || k >= kindCount {
		return text
	}
	return displayPrefixes[k] + "-" + text
}

// Address renders "AU…" or "ADR-AU…".
func (d Display) Address(a Address) string { return d.Text(KindAddress, a.String()) }

// SecretKey renders "S…" or "PRI-S…".
func (d Display) SecretKey(k *crypto.SecretKey) string { return d.Text(KindSecretKey, k.String()) }

// PublicKey renders "P…" or "PUB-P…".
func (d Display) PublicKey(p crypto.PublicKey) string { return d.Text(KindPublicKey, p.String()) }

// Signature renders the bs58check text or "SIG-…".
func (d Display) Signature(s crypto.Signature) string { return d.Text(KindSignature, s.String()) }

// EndorsementID renders "E…" or "END-E…".
func (d Display) EndorsementID(id EndorsementID) string {
	return d.Text(KindEndorsementID, id.String())
}

// OperationID renders "O…" or "OPE-O…".
func (d Display) OperationID(id OperationID) string { return d.Text(KindOperationID, id.String()) }

// BlockID renders "B…" or "BLO-B…".
func (d Display) BlockID(id BlockID) string { return d.Text(KindBlockID, id.String()) }

// SCEventID renders an SC output event id text or "SCE-…".
func (d Display) SCEventID(id string) string { return d.Text(KindSCEventID, id) }

// NodeID renders "N…" or "NOD-N…".
func (d Display) NodeID(p crypto.PublicKey) string { return d.Text(KindNodeID, p.NodeID()) }

// splitTypedPrefix splits "XXX-rest" when XXX is a known tag.
func splitTypedPrefix(s string) (DisplayKind, string, bool) {
	if len(s) < 4 || s[3] != '-' {
		return 0, s, false
	}
	for k, p := range displayPrefixes {
		if s[:3] == p {
			return DisplayKind(k), s[4:], true
		}
	}
	return 0, s, false
}

// StripTypedPrefix removes a known "XXX-" tag, whatever its kind, and
// returns other input unchanged (no text form contains '-').
func StripTypedPrefix(s string) string {
	_, rest, _ := splitTypedPrefix(s)
	return rest
}

// StripPrefix accepts s with or without the tag of kind k and returns it
// without. A tag of another kind (or any other "XXX-" head) is an error
// wrapping ErrBadPrefix, so that "BLO-B1…" is not taken as an operation id.
// Input is not trimmed: callers trim user input first.
func StripPrefix(s string, k DisplayKind) (string, error) {
	if got, rest, ok := splitTypedPrefix(s); ok {
		if got != k {
			return "", fmt.Errorf("%s %q: has the %s- prefix of a %s: %w", k, clip(s), got.Prefix(), got, ErrBadPrefix)
		}
		return rest, nil
	}
	if looksTagged(s) {
		return "", fmt.Errorf("%s %q: unknown prefix %q: %w", k, clip(s), s[:3], ErrBadPrefix)
	}
	return s, nil
}

// looksTagged reports a head of three capital letters and a dash: a typed
// prefix we do not know. Other dashes are left to the text parser.
func looksTagged(s string) bool {
	if len(s) < 4 || s[3] != '-' {
		return false
	}
	return strings.IndexFunc(s[:3], func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}

// ParseAddressDisplay parses an address with or without "ADR-".
func ParseAddressDisplay(s string) (Address, error) {
	t, err := StripPrefix(s, KindAddress)
	if err != nil {
		return Address{}, err
	}
	return ParseAddress(t)
}

// ParseSecretKeyDisplay parses a secret key with or without "PRI-".
func ParseSecretKeyDisplay(s string) (*crypto.SecretKey, error) {
	t, err := StripPrefix(s, KindSecretKey)
	if err != nil {
		return nil, err
	}
	return crypto.ParseSecretKey(t)
}

// ParsePublicKeyDisplay parses a public key with or without "PUB-".
func ParsePublicKeyDisplay(s string) (crypto.PublicKey, error) {
	t, err := StripPrefix(s, KindPublicKey)
	if err != nil {
		return crypto.PublicKey{}, err
	}
	return crypto.ParsePublicKey(t)
}

// ParseSignatureDisplay parses a signature with or without "SIG-".
func ParseSignatureDisplay(s string) (crypto.Signature, error) {
	t, err := StripPrefix(s, KindSignature)
	if err != nil {
		return crypto.Signature{}, err
	}
	return crypto.ParseSignature(t)
}

// ParseEndorsementIDDisplay parses an endorsement id with or without "END-".
func ParseEndorsementIDDisplay(s string) (EndorsementID, error) {
	t, err := StripPrefix(s, KindEndorsementID)
	if err != nil {
		return EndorsementID{}, err
	}
	return ParseEndorsementID(t)
}

// ParseOperationIDDisplay parses an operation id with or without "OPE-".
func ParseOperationIDDisplay(s string) (OperationID, error) {
	t, err := StripPrefix(s, KindOperationID)
	if err != nil {
		return OperationID{}, err
	}
	return ParseOperationID(t)
}

// ParseBlockIDDisplay parses a block id with or without "BLO-".
func ParseBlockIDDisplay(s string) (BlockID, error) {
	t, err := StripPrefix(s, KindBlockID)
	if err != nil {
		return BlockID{}, err
	}
	return ParseBlockID(t)
}

// ParseNodeIDDisplay parses a node id with or without "NOD-".
func ParseNodeIDDisplay(s string) (crypto.PublicKey, error) {
	t, err := StripPrefix(s, KindNodeID)
	if err != nil {
		return crypto.PublicKey{}, err
	}
	return crypto.ParseNodeID(t)
}
