package protocol

import (
	"bytes"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// PeerID identifies a node on the network: its node key's public key. Its
// text form is the NodeId "N…"; its binary form the 33-byte versioned key.
type PeerID crypto.PublicKey

// String returns "N…".
func (p PeerID) String() string { return crypto.PublicKey(p).NodeID() }

// PublicKey returns the key the id is.
func (p PeerID) PublicKey() crypto.PublicKey { return crypto.PublicKey(p) }

// IsZero reports the zero id, used for "any id".
func (p PeerID) IsZero() bool { return p == PeerID{} }

// Compare orders ids byte-lexicographically.
func (p PeerID) Compare(o PeerID) int { return bytes.Compare(p[:], o[:]) }

// AppendBinary appends the 33-byte versioned key.
func (p PeerID) AppendBinary(dst []byte) []byte { return crypto.PublicKey(p).AppendBytes(dst) }

// ParsePeerID parses a node id "N…", or the public key "P…" that Massa's
// initial peers file uses for the same bytes.
func ParsePeerID(s string) (PeerID, error) {
	if len(s) > 0 && s[0] == 'P' {
		pk, err := crypto.ParsePublicKey(s)
		return PeerID(pk), err
	}
	pk, err := crypto.ParseNodeID(s)
	if err != nil {
		return PeerID{}, fmt.Errorf("peer id %q: %w", clip(s), err)
	}
	return PeerID(pk), nil
}

// MarshalText implements encoding.TextMarshaler ("N…").
func (p PeerID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PeerID) UnmarshalText(b []byte) error {
	v, err := ParsePeerID(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// clip shortens outside text quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
