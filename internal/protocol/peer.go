package protocol

import (
	"bufio"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// peer is one connected node after a successful handshake.
type peer struct {
	id        PeerID
	conn      net.Conn
	br        *bufio.Reader
	addr      netip.AddrPort // remote address, IP unmapped
	outgoing  bool
	listeners []netip.AddrPort
	since     time.Time

	sendq     chan []byte
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  atomic.Value // error

	// Owned by the service loop.
	knownBlocks *knownSet[types.BlockID]
	knownOps    *knownSet[types.OperationPrefix]
	knownEndos  *knownSet[types.EndorsementID]
	asks        map[types.BlockID]struct{}
}

// send queues a frame without blocking. A peer whose queue is full is too
// slow for us: it is disconnected rather than allowed to hold memory.
func (p *peer) send(frame []byte) bool {
	select {
	case <-p.closed:
		return false
	default:
	}
	select {
	case p.sendq <- frame:
		return true
	default:
		p.close(ErrSendQueueFull)
		return false
	}
}

// close ends the connection once; err says why.
func (p *peer) close(err error) {
	p.closeOnce.Do(func() {
		if err != nil {
			p.closeErr.Store(err)
		}
		close(p.closed)
		p.conn.Close()
	})
}

// isClosed reports a closed connection.
func (p *peer) isClosed() bool {
	select {
	case <-p.closed:
		return true
	default:
		return false
	}
}

// reason is the error that closed the peer, if any.
func (p *peer) reason() error {
	if err, ok := p.closeErr.Load().(error); ok {
		return err
	}
	return nil
}
