package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Announcement is what a node says about itself in the handshake: the
// listeners it accepts connections on (rewritten with its routable IP, none
// when it has none) and a timestamp, signed with its node key over BLAKE3 of
// those bytes.
type Announcement struct {
	Listeners []Listener
	// Timestamp is in milliseconds since the Unix epoch.
	Timestamp uint64
	Signature crypto.Signature
	// signed holds the bytes the signature covers: the received bytes for
	// a decoded announcement.
	signed []byte
}

// NewAnnouncement builds and signs an announcement.
func NewAnnouncement(listeners []Listener, timestampMS uint64, key *crypto.SecretKey) *Announcement {
	b := types.AppendUvarint(nil, uint64(len(listeners)))
	for _, l := range listeners {
		b = appendListener(b, l)
	}
	b = binary.BigEndian.AppendUint64(b, timestampMS)
	return &Announcement{
		Listeners: listeners,
		Timestamp: timestampMS,
		Signature: key.Sign(crypto.HashOf(b)),
		signed:    b,
	}
}

// AppendBinary appends the signed bytes and the signature.
func (a *Announcement) AppendBinary(dst []byte) []byte {
	dst = append(dst, a.signed...)
	return a.Signature.AppendBytes(dst)
}

// Verify checks the signature with the announcing node's key.
func (a *Announcement) Verify(id PeerID) bool {
	return crypto.Verify(crypto.PublicKey(id), crypto.HashOf(a.signed), a.Signature)
}

// Hello is the first handshake message of each side: its id, its version,
// and either an announcement (accepted) or, when it has no connection slot
// for us, a ListPeers message to try others.
type Hello struct {
	ID      PeerID
	Version Version
	// Announcement is set when the sender accepts the connection.
	Announcement *Announcement
	// Refusal is set when it does not (id byte 1); it may list no peers.
	Refusal *ListPeers
}

// AppendBinary appends id || version || 0 || announcement, or
// id || version || 1 || ListPeers message.
func (h *Hello) AppendBinary(dst []byte) []byte {
	dst = h.ID.AppendBinary(dst)
	dst = h.Version.AppendBinary(dst)
	if h.Refusal != nil {
		dst = append(dst, 1)
		return h.Refusal.appendBody(dst)
	}
	dst = append(dst, 0)
	return h.Announcement.AppendBinary(dst)
}

// minHelloSize is Massa's floor: a hello shorter than 32 bytes is refused
// before anything is decoded.
const minHelloSize = 32

// maxHelloSize bounds a hello frame under l.
func (l *Limits) maxHelloSize() uint32 {
	ann := uint64(10 + l.MaxListenersPerPeer*maxListenerSize + 8 + crypto.VersionedSignatureSize)
	n := crypto.VersionedPublicKeySize + 4 + 5 + 5 + 1 + max(ann, l.MaxPayload(KindListPeers))
	return uint32(min(n, uint64(l.MaxFrameSize)))
}

// DecodeHelloID reads only the sender's id, so that a banned node can be
// dropped before anything else of its hello is decoded.
func DecodeHelloID(b []byte) (PeerID, error) {
	if len(b) < minHelloSize {
		return PeerID{}, fmt.Errorf("hello: %d bytes, at least %d expected: %w", len(b), minHelloSize, ErrMalformed)
	}
	r := types.NewReader(b, "hello")
	id := readPeerID(r, "peer id")
	if err := r.Err(); err != nil {
		return PeerID{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return id, nil
}

// DecodeHello decodes a whole hello. A version that does not parse or a
// body that does not decode wraps ErrMalformed; the announcement signature
// and the version's compatibility are left to the caller.
func DecodeHello(b []byte, l *Limits) (*Hello, error) {
	if len(b) < minHelloSize {
		return nil, fmt.Errorf("hello: %d bytes, at least %d expected: %w", len(b), minHelloSize, ErrMalformed)
	}
	r := types.NewReader(b, "hello")
	h := &Hello{ID: readPeerID(r, "peer id"), Version: readVersion(r, "version")}
	tag := r.Byte("accept byte")
	if r.Err() == nil {
		switch tag {
		case 0:
			h.Announcement = readAnnouncementFrom(r, b, l.MaxListenersPerPeer)
		case 1:
			m := readMessage(r, l)
			if r.Err() == nil {
				lp, ok := m.(*ListPeers)
				if !ok {
					r.Failf("refusal", types.ErrUnknownType, "%s instead of ListPeers", m.Kind())
				}
				h.Refusal = lp
			}
		default:
			r.Failf("accept byte", types.ErrBadEncoding, "%d", tag)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return h, nil
}

// readAnnouncementFrom reads an announcement from r, whose buffer is buf,
// and keeps a copy of the exact signed bytes.
func readAnnouncementFrom(r *types.Reader, buf []byte, maxListeners uint32) *Announcement {
	start := r.Offset()
	ls := readListeners(r, maxListeners)
	ts := r.Fixed("timestamp", 8)
	if r.Err() != nil {
		return nil
	}
	signed := append([]byte(nil), buf[start:r.Offset()]...)
	sig := r.Signature("signature")
	if r.Err() != nil {
		return nil
	}
	return &Announcement{Listeners: ls, Timestamp: binary.BigEndian.Uint64(ts), Signature: sig, signed: signed}
}
