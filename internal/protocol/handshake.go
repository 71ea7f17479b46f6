package protocol

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
)

// challengeSize is the number of random bytes each side sends for the
// other to sign.
const challengeSize = 32

// DefaultHandshakeTimeout bounds every read and write of the handshake
// (Massa's message_timeout).
const DefaultHandshakeTimeout = 5 * time.Second

// refusalTimeout bounds the "no slot" answer (Massa: 200 ms).
const refusalTimeout = 200 * time.Millisecond

// handshakeConfig is what one side needs to run the handshake.
type handshakeConfig struct {
	key          *crypto.SecretKey
	version      Version
	announcement *Announcement
	limits       *Limits
	timeout      time.Duration
	rand         io.Reader
	// checkID runs as soon as the peer's id is read, before anything
	// else of its hello is decoded: bans and self-connections stop here.
	checkID func(PeerID) error
	// signChallenge signs the peer's challenge; nil means key.Sign. Tests
	// replace it to send a wrong signature.
	signChallenge func(crypto.Hash) crypto.Signature
}

// handshakeResult is what the handshake learnt about the peer.
type handshakeResult struct {
	id           PeerID
	version      Version
	announcement *Announcement
	// refusal holds the peers a refusing node suggested (with ErrRefused).
	refusal *ListPeers
}

// runHandshake runs Massa's symmetric handshake (spec §8.2) on conn,
// reading through br: both sides send their hello, check the other's,
// exchange 32 random bytes, and each signs BLAKE3 of the bytes the other
// sent. Every step has its own deadline. Errors wrap ErrMalformed (bad
// bytes, for which the caller may ban the IP), ErrBanned and friends from
// checkID, ErrIncompatibleVersion, ErrRefused, ErrBadSignature, or are I/O
// errors.
func runHandshake(conn net.Conn, br *bufio.Reader, hc *handshakeConfig) (*handshakeResult, error) {
	step := func() error { return conn.SetDeadline(time.Now().Add(hc.timeout)) }
	hello := Hello{ID: PeerID(hc.key.Public()), Version: hc.version, Announcement: hc.announcement}
	if err := step(); err != nil {
		return nil, err
	}
	if err := WriteFrame(conn, hello.AppendBinary(nil)); err != nil {
		return nil, fmt.Errorf("send hello: %w", err)
	}

	if err := step(); err != nil {
		return nil, err
	}
	frame, err := ReadRawFrame(br, hc.limits.maxHelloSize())
	if err != nil {
		return nil, fmt.Errorf("read hello: %w", malformedIfTooLarge(err))
	}
	id, err := DecodeHelloID(frame)
	if err != nil {
		return nil, err
	}
	if hc.checkID != nil {
		if err := hc.checkID(id); err != nil {
			return &handshakeResult{id: id}, err
		}
	}
	theirs, err := DecodeHello(frame, hc.limits)
	if err != nil {
		return &handshakeResult{id: id}, err
	}
	res := &handshakeResult{id: id, version: theirs.Version}
	if !hc.version.Compatible(theirs.Version) {
		return res, fmt.Errorf("peer %s runs %s, we run %s: %w", id, theirs.Version, hc.version, ErrIncompatibleVersion)
	}
	if theirs.Refusal != nil {
		res.refusal = theirs.Refusal
		return res, fmt.Errorf("peer %s: %w", id, ErrRefused)
	}
	if !theirs.Announcement.Verify(id) {
		return res, fmt.Errorf("peer %s: announcement: %w", id, ErrBadSignature)
	}
	res.announcement = theirs.Announcement

	var ours [challengeSize]byte
	rnd := hc.rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, ours[:]); err != nil {
		return res, fmt.Errorf("challenge: %w", err)
	}
	if err := step(); err != nil {
		return res, err
	}
	if err := WriteFrame(conn, ours[:]); err != nil {
		return res, fmt.Errorf("send challenge: %w", err)
	}
	if err := step(); err != nil {
		return res, err
	}
	challenge, err := ReadRawFrame(br, challengeSize)
	if err != nil {
		return res, fmt.Errorf("read challenge: %w", malformedIfTooLarge(err))
	}
	if len(challenge) != challengeSize {
		return res, fmt.Errorf("challenge of %d bytes, want %d: %w", len(challenge), challengeSize, ErrMalformed)
	}
	sign := hc.signChallenge
	if sign == nil {
		sign = hc.key.Sign
	}
	sig := sign(crypto.HashOf(challenge))
	if err := step(); err != nil {
		return res, err
	}
	if err := WriteFrame(conn, sig.AppendBytes(nil)); err != nil {
		return res, fmt.Errorf("send challenge signature: %w", err)
	}
	if err := step(); err != nil {
		return res, err
	}
	sigFrame, err := ReadRawFrame(br, crypto.VersionedSignatureSize)
	if err != nil {
		return res, fmt.Errorf("read challenge signature: %w", malformedIfTooLarge(err))
	}
	if len(sigFrame) != crypto.VersionedSignatureSize {
		return res, fmt.Errorf("challenge signature of %d bytes: %w", len(sigFrame), ErrMalformed)
	}
	theirSig, err := crypto.SignatureFromBytes(sigFrame)
	if err != nil {
		return res, fmt.Errorf("challenge signature: %w: %w", ErrMalformed, err)
	}
	if !crypto.Verify(crypto.PublicKey(id), crypto.HashOf(ours[:]), theirSig) {
		return res, fmt.Errorf("peer %s: challenge: %w", id, ErrBadSignature)
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return res, err
	}
	return res, nil
}

// sendRefusal answers a connection we have no slot for: our id, version,
// byte 1 and some peers to try instead, within 200 ms.
func sendRefusal(conn net.Conn, id PeerID, v Version, peers *ListPeers) error {
	h := Hello{ID: id, Version: v, Refusal: peers}
	if err := conn.SetWriteDeadline(time.Now().Add(refusalTimeout)); err != nil {
		return err
	}
	return WriteFrame(conn, h.AppendBinary(nil))
}

// malformedIfTooLarge marks an oversized frame as malformed input too.
func malformedIfTooLarge(err error) error {
	if errors.Is(err, ErrFrameTooLarge) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}

// isMalformed reports errors caused by bytes that break the protocol, as
// opposed to timeouts, closed connections or refusals.
func isMalformed(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrUnknownMessage)
}
