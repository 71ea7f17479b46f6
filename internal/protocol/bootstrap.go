package protocol

import (
	"github.com/gomassa/gomassa/internal/types"
)

// What the bootstrap protocol (internal/bootstrap) borrows from the P2P
// layer: the version and peer-list wire forms, and the peer book, exported
// from the server (BootstrapPeers) and imported by the client (LearnPeers).

// AppendPeerListeners appends the wire form of a node and its listeners:
// node id, listener count, then each listener (IP tag and octets, port,
// transport), as in ListPeers.
func AppendPeerListeners(dst []byte, p PeerListeners) []byte { return appendPeerListeners(dst, p) }

// ReadPeerListeners reads what AppendPeerListeners writes, with at most
// maxListeners listeners (duplicates are dropped).
func ReadPeerListeners(r *types.Reader, maxListeners uint32) PeerListeners {
	return readPeerListeners(r, maxListeners)
}

// ReadVersion reads the wire form of a Version (4 uppercase letters, then
// major and minor as u32 varints).
func ReadVersion(r *types.Reader, field string) Version { return readVersion(r, field) }

// BootstrapPeers returns up to n random known nodes with listeners, plus
// this node when it announces a routable IP, for a bootstrap server to
// hand to a new node.
func (s *Service) BootstrapPeers(n int) []PeerListeners {
	out := s.book.randomPeers(n, s.id)
	if own := s.ourListeners(); len(own) > 0 {
		out = append(out, PeerListeners{ID: s.id, Listeners: own})
	}
	return out
}

// LearnPeers records nodes a bootstrap server told us about, as if a peer
// had listed them: listeners that are not usable (loopback or private
// addresses without allow_local_peers, other transports) are dropped. The
// book keeps them across restarts.
func (s *Service) LearnPeers(ps []PeerListeners) {
	s.learnPeers(ps)
	if err := s.book.saveIfDirty(); err != nil {
		s.log.Warn("cannot save the peer book", "err", err)
	}
}
