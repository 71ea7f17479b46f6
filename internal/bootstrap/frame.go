package bootstrap

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// Frame layout constants (protocol.md §7.2).
const (
	// RandomSize is the size of the handshake's random bytes.
	RandomSize = 32
	// serverLenSize is the width of a server frame's length: enough for
	// the 300 MB maximum message.
	serverLenSize = 4
	// clientLenSize is the width of a client frame's length (1 MiB max).
	clientLenSize = 3
	// serverHeader is signature || length.
	serverHeader = crypto.VersionedSignatureSize + serverLenSize
	// clientHeader is prev || length.
	clientHeader = crypto.HashSize + clientLenSize
	// readChunk is how much of a large message is read (and allocated) at
	// a time, so that a lying length costs at most what actually arrives.
	readChunk = 1 << 20
)

// chain is the hash chain both sides keep (prev in the spec). Before the
// handshake there is none.
type chain struct {
	prev crypto.Hash
	has  bool
}

// serverDigest is what the server signs for msg.
func (c *chain) serverDigest(msg []byte) crypto.Hash {
	if !c.has {
		return crypto.HashOf(msg)
	}
	return crypto.HashOfParts(c.prev[:], msg)
}

// afterServer advances the chain past a server message signed with sig.
func (c *chain) afterServer(sig crypto.Signature) {
	b := sig.Bytes()
	c.prev, c.has = crypto.HashOf(b), true
}

// afterClient advances the chain past a client message.
func (c *chain) afterClient(msg []byte) {
	c.prev = crypto.HashOfParts(c.prev[:], msg)
}

// handshake builds the client's opening bytes.
func handshake(v protocol.Version, random [RandomSize]byte) []byte {
	return append(v.AppendBinary(nil), random[:]...)
}

// decodeHandshake parses the handshake the server read: exactly the length
// of its own version's wire form plus the random bytes, as Massa's server
// reads (a version of another length desynchronizes and fails here).
func decodeHandshake(b []byte) (protocol.Version, error) {
	r := types.NewReader(b, "bootstrap handshake")
	v := protocol.ReadVersion(r, "version")
	r.Fixed("random bytes", RandomSize)
	if err := r.Done(); err != nil {
		return protocol.Version{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return v, nil
}

// writeServerFrame signs msg and writes one server frame.
func writeServerFrame(w io.Writer, key *crypto.SecretKey, c *chain, msg []byte) error {
	if uint64(len(msg)) > 1<<32-1 {
		return fmt.Errorf("%w: server message of %d bytes", ErrTooLarge, len(msg))
	}
	sig := key.Sign(c.serverDigest(msg))
	hdr := make([]byte, 0, serverHeader)
	hdr = sig.AppendBytes(hdr)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(msg)))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	c.afterServer(sig)
	return nil
}

// readServerFrame reads one server frame, checks its signature against
// the pinned key and advances the chain. It returns the message bytes.
func readServerFrame(r io.Reader, pub crypto.PublicKey, c *chain, max uint32) ([]byte, error) {
	var hdr [serverHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	sig, err := crypto.SignatureFromBytes(hdr[:crypto.VersionedSignatureSize])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	n := binary.BigEndian.Uint32(hdr[crypto.VersionedSignatureSize:])
	if n > max {
		return nil, fmt.Errorf("%w: server message of %d bytes, more than %d", ErrTooLarge, n, max)
	}
	msg, err := readN(r, int(n))
	if err != nil {
		return nil, err
	}
	if !crypto.Verify(pub, c.serverDigest(msg), sig) {
		return nil, ErrBadSignature
	}
	c.afterServer(sig)
	return msg, nil
}

// readN reads exactly n bytes, growing the buffer as data arrives.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := make([]byte, 0, readChunk)
	for len(b) < n {
		k := min(n-len(b), readChunk)
		if cap(b)-len(b) < k {
			nb := make([]byte, len(b), min(n, 2*cap(b)+k))
			copy(nb, b)
			b = nb
		}
		if _, err := io.ReadFull(r, b[len(b):len(b)+k]); err != nil {
			return nil, err
		}
		b = b[:len(b)+k]
	}
	return b, nil
}

// writeClientFrame writes one client frame and advances the chain.
func writeClientFrame(w io.Writer, c *chain, msg []byte) error {
	if len(msg) >= 1<<(8*clientLenSize) {
		return fmt.Errorf("%w: client message of %d bytes", ErrTooLarge, len(msg))
	}
	buf := make([]byte, 0, clientHeader+len(msg))
	buf = append(buf, c.prev[:]...)
	buf = append(buf, byte(len(msg)>>16), byte(len(msg)>>8), byte(len(msg)))
	buf = append(buf, msg...)
	if _, err := w.Write(buf); err != nil {
		return err
	}
	c.afterClient(msg)
	return nil
}

// readClientFrame reads one client frame, checks its sequencing hash and
// advances the chain.
func readClientFrame(r io.Reader, c *chain, max uint32) ([]byte, error) {
	var hdr [clientHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if crypto.Hash(hdr[:crypto.HashSize]) != c.prev {
		return nil, ErrSequence
	}
	n := uint32(hdr[crypto.HashSize])<<16 | uint32(hdr[crypto.HashSize+1])<<8 | uint32(hdr[crypto.HashSize+2])
	if n > max {
		return nil, fmt.Errorf("%w: client message of %d bytes, more than %d", ErrTooLarge, n, max)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	c.afterClient(msg)
	return msg, nil
}

// rateConn limits a connection's reads and writes to rate bytes per second
// on average (Massa's 20 MiB/s per connection), sleeping after each
// transfer until the average falls back under the rate. 0 disables it.
type rateConn struct {
	net.Conn
	rate     uint64
	start    time.Time
	read     uint64
	written  uint64
	now      func() time.Time
	sleepFor func(time.Duration)
}

func newRateConn(c net.Conn, rate uint64) net.Conn {
	if rate == 0 {
		return c
	}
	return &rateConn{Conn: c, rate: rate, start: time.Now(), now: time.Now, sleepFor: time.Sleep}
}

// rateBurst is how much idle time a rateConn banks: after a pause it may
// send at most this long's worth of bytes at full speed.
const rateBurst = 100 * time.Millisecond

func (c *rateConn) wait(total uint64) {
	due := time.Duration(float64(total) / float64(c.rate) * float64(time.Second))
	now := c.now()
	if now.Sub(c.start) > due+rateBurst {
		c.start = now.Add(-(due + rateBurst))
	}
	if ahead := due - now.Sub(c.start); ahead > time.Millisecond {
		c.sleepFor(ahead)
	}
}

// rateChunk bounds one write so that the limit holds over short spans.
const rateChunk = 64 << 10

func (c *rateConn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		k := min(len(b)-done, rateChunk)
		n, err := c.Conn.Write(b[done : done+k])
		done += n
		c.written += uint64(n)
		if err != nil {
			return done, err
		}
		c.wait(c.written)
	}
	return done, nil
}

func (c *rateConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read += uint64(n)
	if n > 0 {
		c.wait(c.read)
	}
	return n, err
}
