package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
)

// maxInitialPeersFile bounds the initial peers file.
const maxInitialPeersFile = 4 << 20

// initialPeerJSON is one entry of Massa's initial_peers.json:
// {"P…": {"listeners": {"ip:port": "Tcp"}, "category": "Bootstrap"}}.
type initialPeerJSON struct {
	Listeners map[string]string `json:"listeners"`
	Category  string            `json:"category"`
}

// ParseInitialPeers reads Massa's initial_peers.json form: an object from
// node key ("P…" or "N…") to its listeners ("ip:port" -> "Tcp" or "Quic")
// and a category. One PeerAddr per TCP listener is returned, sorted; QUIC
// listeners are skipped (gomassa speaks TCP only) and the category is
// ignored (gomassa has one connection category).
func ParseInitialPeers(data []byte) ([]PeerAddr, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m map[string]initialPeerJSON
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrInitialPeers, ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %w: trailing data", ErrInitialPeers, ErrMalformed)
	}
	var out []PeerAddr
	for k, v := range m {
		id, err := ParsePeerID(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrInitialPeers, clip(k), err)
		}
		for addr, transport := range v.Listeners {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil || ap.Port() == 0 {
				return nil, fmt.Errorf("%w: %s: listener %q is not ip:port", ErrInitialPeers, id, clip(addr))
			}
			switch transport {
			case "Tcp":
				out = append(out, PeerAddr{Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), NodeID: id})
			case "Quic":
			default:
				return nil, fmt.Errorf("%w: %s: transport %q is neither Tcp nor Quic", ErrInitialPeers, id, clip(transport))
			}
		}
	}
	slices.SortFunc(out, func(x, y PeerAddr) int {
		if c := x.NodeID.Compare(y.NodeID); c != 0 {
			return c
		}
		return x.Addr.Compare(y.Addr)
	})
	return out, nil
}

// LoadInitialPeers reads and parses an initial peers file.
func LoadInitialPeers(path string) ([]PeerAddr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrInitialPeers, path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInitialPeersFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrInitialPeers, path, err)
	}
	if len(data) > maxInitialPeersFile {
		return nil, fmt.Errorf("%w %s: larger than %d bytes", ErrInitialPeers, path, maxInitialPeersFile)
	}
	peers, err := ParseInitialPeers(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return peers, nil
}
