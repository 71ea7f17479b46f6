package protocol

import (
	"bufio"
	"net"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
)

// SetChallengeSigner replaces how s signs handshake challenges (before
// Start), to test that a wrong signature is refused.
func SetChallengeSigner(s *Service, f func(crypto.Hash) crypto.Signature) { s.signChallenge = f }

// RawHandshake runs the handshake on conn as a bare client with key and
// version, announcing no listeners, so that tests can then speak raw
// messages. checkID may be nil.
func RawHandshake(conn net.Conn, key *crypto.SecretKey, v Version, l *Limits, checkID func(PeerID) error) (PeerID, *bufio.Reader, error) {
	br := bufio.NewReader(conn)
	res, err := runHandshake(conn, br, &handshakeConfig{
		key: key, version: v, limits: l, timeout: 2 * time.Second, checkID: checkID,
		announcement: NewAnnouncement(nil, uint64(time.Now().UnixMilli()), key),
	})
	if res == nil {
		return PeerID{}, br, err
	}
	return res.id, br, err
}

// MaxHelloSize exposes the hello frame limit.
func (l *Limits) MaxHelloSize() uint32 { return l.maxHelloSize() }
