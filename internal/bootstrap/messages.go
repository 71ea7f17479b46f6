package bootstrap

import (
	"fmt"
	"unicode/utf8"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// Limits bound what a decoder accepts. Every count and length is checked
// before anything is allocated.
type Limits struct {
	ThreadCount uint8
	// MaxServerMessage and MaxClientMessage bound one frame's message
	// (Massa: 300 MB and 1 MiB; the client frame length field is 3 bytes).
	MaxServerMessage uint32
	MaxClientMessage uint32
	// MaxKey and MaxValue bound one state pair (a datastore key is at most
	// 255 bytes under its prefix; bytecode and datastore values at most
	// 10 MB).
	MaxKey   uint64
	MaxValue uint64
	// MaxEntries bounds the state pairs of one part.
	MaxEntries uint64
	// MaxBlocks and MaxBlock bound the final blocks of one part and the
	// encoded size of one (block, its operations).
	MaxBlocks uint64
	MaxBlock  uint64
	// MaxPeers and MaxListeners bound BootstrapPeers.
	MaxPeers     uint64
	MaxListeners uint32
	// MaxText bounds an error text.
	MaxText uint64
}

// DefaultLimits are Massa's bounds where it has them.
func DefaultLimits(threads uint8) Limits {
	return Limits{
		ThreadCount:      threads,
		MaxServerMessage: 300_000_000,
		MaxClientMessage: 1 << 20,
		MaxKey:           4096,
		MaxValue:         10_000_000 + 1024,
		MaxEntries:       10_000_000,
		MaxBlocks:        1000,
		MaxBlock:         64 << 20,
		MaxPeers:         1000,
		MaxListeners:     100,
		MaxText:          10_000,
	}
}

// Server message type ids (protocol.md §7.3).
const (
	kindTime     = 0
	kindPeers    = 1
	kindPart     = 2
	kindFinished = 3
	kindTooOld   = 4
	kindError    = 5
)

// Client message type ids.
const (
	kindAskPeers = 0
	kindAskPart  = 1
	kindCError   = 2
	kindSuccess  = 3
)

// Massa's Option encoding: ASCII '0' for None, '1' then the value.
const (
	optNone = '0'
	optSome = '1'
)

// ServerMessage is one of BootstrapTime, BootstrapPeers, BootstrapPart,
// BootstrapFinished, SlotTooOld, ServerError.
type ServerMessage interface {
	appendServer(dst []byte) []byte
}

// ClientMessage is one of AskBootstrapPeers, AskBootstrapPart,
// ClientError, BootstrapSuccess.
type ClientMessage interface {
	appendClient(dst []byte) []byte
}

// BootstrapTime is the server's clock and version, sent after the
// handshake.
type BootstrapTime struct {
	ServerTimeMS uint64
	Version      protocol.Version
}

// BootstrapPeers lists nodes the new node may connect to.
type BootstrapPeers struct {
	Peers []protocol.PeerListeners
}

// Entry is one state pair. Decoded entries alias the message buffer.
type Entry struct {
	Key, Value []byte
}

// Totals are the size of the whole snapshot, for progress display.
type Totals struct {
	Entries uint64
	Bytes   uint64
}

// BootstrapPart is one part of the stream: state pairs after the client's
// cursor, then (once StateDone) final blocks.
type BootstrapPart struct {
	// Slot is the final slot of the streamed snapshot, and
	// StateFingerprint the fingerprint of its state hash; both are the
	// same in every part of a stream.
	Slot             types.Slot
	StateFingerprint crypto.Hash
	Entries          []Entry
	// StateDone is set on the part that ends the state.
	StateDone bool
	// Totals, when known.
	Totals *Totals
	// Blocks are final blocks in the node's stored-block form (block ||
	// operation count || operations), opaque to this package.
	Blocks [][]byte
	// LastStartPeriod is sent in the first part when asked.
	LastStartPeriod *uint64
}

// BootstrapFinished ends the stream of parts.
type BootstrapFinished struct{}

// SlotTooOld tells the client the server no longer has the snapshot it
// was loading; it must start over.
type SlotTooOld struct{}

// ServerError is a server's BootstrapError: a refusal or an abort, and how
// long the client should wait before asking this server again (0: not
// said).
type ServerError struct {
	Text         string
	RetryAfterMS uint64
}

// StateStep is the client's state cursor.
type StateStep uint8

// Cursor steps, as Massa's StreamingStep.
const (
	StepStarted  StateStep = 0
	StepOngoing  StateStep = 1
	StepFinished StateStep = 2
)

// AskBootstrapPart asks for the stream from a cursor.
type AskBootstrapPart struct {
	// LastSlot is the slot of the snapshot being loaded (nil: none yet).
	LastSlot *types.Slot
	Step     StateStep
	// LastKey is the last key received (Step == StepOngoing).
	LastKey             []byte
	SendLastStartPeriod bool
}

// AskBootstrapPeers asks for peers.
type AskBootstrapPeers struct{}

// ClientError tells the server why the client gives up.
type ClientError struct{ Text string }

// BootstrapSuccess ends a session.
type BootstrapSuccess struct{}

func (m *BootstrapTime) appendServer(dst []byte) []byte {
	dst = types.AppendUvarint(dst, kindTime)
	dst = types.AppendUvarint(dst, m.ServerTimeMS)
	return m.Version.AppendBinary(dst)
}

func (m *BootstrapPeers) appendServer(dst []byte) []byte {
	dst = types.AppendUvarint(dst, kindPeers)
	dst = types.AppendUvarint(dst, uint64(len(m.Peers)))
	for _, p := range m.Peers {
		dst = protocol.AppendPeerListeners(dst, p)
	}
	return dst
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func (m *BootstrapPart) appendServer(dst []byte) []byte {
	var raw []byte
	for _, e := range m.Entries {
		raw = types.AppendBytes(raw, e.Key)
		raw = types.AppendBytes(raw, e.Value)
	}
	return appendPart(dst, m, uint64(len(m.Entries)), raw)
}

// appendPart writes a BootstrapPart whose count entries are already
// encoded in raw (m.Entries is ignored): the server encodes pairs straight
// from its snapshot iterator.
func appendPart(dst []byte, m *BootstrapPart, count uint64, raw []byte) []byte {
	dst = types.AppendUvarint(dst, kindPart)
	dst = m.Slot.AppendBinary(dst)
	dst = append(dst, m.StateFingerprint[:]...)
	dst = types.AppendUvarint(dst, count)
	dst = append(dst, raw...)
	dst = appendBool(dst, m.StateDone)
	if m.Totals == nil {
		dst = append(dst, optNone)
	} else {
		dst = append(dst, optSome)
		dst = types.AppendUvarint(dst, m.Totals.Entries)
		dst = types.AppendUvarint(dst, m.Totals.Bytes)
	}
	dst = types.AppendUvarint(dst, uint64(len(m.Blocks)))
	for _, b := range m.Blocks {
		dst = types.AppendBytes(dst, b)
	}
	if m.LastStartPeriod == nil {
		dst = append(dst, optNone)
	} else {
		dst = append(dst, optSome)
		dst = types.AppendUvarint(dst, *m.LastStartPeriod)
	}
	return dst
}

func (*BootstrapFinished) appendServer(dst []byte) []byte {
	return types.AppendUvarint(dst, kindFinished)
}

func (*SlotTooOld) appendServer(dst []byte) []byte { return types.AppendUvarint(dst, kindTooOld) }

func appendText(dst []byte, s string) []byte {
	dst = types.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (m *ServerError) appendServer(dst []byte) []byte {
	dst = types.AppendUvarint(dst, kindError)
	dst = appendText(dst, m.Text)
	return types.AppendUvarint(dst, m.RetryAfterMS)
}

func (*AskBootstrapPeers) appendClient(dst []byte) []byte {
	return types.AppendUvarint(dst, kindAskPeers)
}

func (m *AskBootstrapPart) appendClient(dst []byte) []byte {
	dst = types.AppendUvarint(dst, kindAskPart)
	if m.LastSlot == nil {
		dst = append(dst, optNone)
	} else {
		dst = append(dst, optSome)
		dst = m.LastSlot.AppendBinary(dst)
	}
	dst = types.AppendUvarint(dst, uint64(m.Step))
	if m.Step == StepOngoing {
		dst = types.AppendBytes(dst, m.LastKey)
	}
	return appendBool(dst, m.SendLastStartPeriod)
}

func (m *ClientError) appendClient(dst []byte) []byte {
	dst = types.AppendUvarint(dst, kindCError)
	return appendText(dst, m.Text)
}

func (*BootstrapSuccess) appendClient(dst []byte) []byte {
	return types.AppendUvarint(dst, kindSuccess)
}

// EncodeServer returns the wire form of a server message (no frame).
func EncodeServer(m ServerMessage) []byte { return m.appendServer(nil) }

// EncodeClient returns the wire form of a client message (no frame).
func EncodeClient(m ClientMessage) []byte { return m.appendClient(nil) }

// readSlice reads a u64-varint length (checked against max and against
// the bytes left) and returns that many bytes without copying.
func readSlice(r *types.Reader, field string, max uint64) []byte {
	n := r.U64Max(field+" length", max)
	if r.Err() != nil {
		return nil
	}
	if uint64(r.Remaining()) < n {
		r.Fail(field, types.ErrTruncated)
		return nil
	}
	return r.Fixed(field, int(n))
}

func readBool(r *types.Reader, field string) bool {
	switch b := r.Byte(field); {
	case r.Err() != nil:
		return false
	case b == 0:
		return false
	case b == 1:
		return true
	default:
		r.Failf(field, types.ErrBadEncoding, "byte 0x%02x is not a bool", b)
		return false
	}
}

// readOption reads Massa's option marker and reports whether a value
// follows.
func readOption(r *types.Reader, field string) bool {
	switch b := r.Byte(field); {
	case r.Err() != nil:
		return false
	case b == optNone:
		return false
	case b == optSome:
		return true
	default:
		r.Failf(field, types.ErrBadEncoding, "option marker 0x%02x", b)
		return false
	}
}

func readText(r *types.Reader, field string, max uint64) string {
	b := readSlice(r, field, max)
	if r.Err() != nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.Fail(field, types.ErrBadEncoding)
		return ""
	}
	return string(b)
}

// fits fails r unless n items of at least min bytes each can fit in what
// is left: a count is never trusted to size an allocation.
func fits(r *types.Reader, field string, n uint64, min int) bool {
	if r.Err() != nil {
		return false
	}
	if n > uint64(r.Remaining())/uint64(min) {
		r.Failf(field, types.ErrTruncated, "%d items cannot fit in %d bytes", n, r.Remaining())
		return false
	}
	return true
}

// DecodeServer decodes a server message. Entries and blocks of a
// BootstrapPart alias b.
func DecodeServer(b []byte, lim Limits) (ServerMessage, error) {
	if uint64(len(b)) > uint64(lim.MaxServerMessage) {
		return nil, fmt.Errorf("%w: server message of %d bytes, more than %d", ErrTooLarge, len(b), lim.MaxServerMessage)
	}
	r := types.NewReader(b, "bootstrap server message")
	var m ServerMessage
	switch kind := r.U32("type"); {
	case r.Err() != nil:
	case kind == kindTime:
		t := &BootstrapTime{ServerTimeMS: r.U64("server time")}
		t.Version = protocol.ReadVersion(r, "version")
		m = t
	case kind == kindPeers:
		m = decodePeers(r, lim)
	case kind == kindPart:
		m = decodePart(r, lim)
	case kind == kindFinished:
		m = &BootstrapFinished{}
	case kind == kindTooOld:
		m = &SlotTooOld{}
	case kind == kindError:
		e := &ServerError{Text: readText(r, "text", lim.MaxText)}
		e.RetryAfterMS = r.U64("retry after")
		m = e
	default:
		r.Failf("type", types.ErrUnknownType, "%d", kind)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

func decodePeers(r *types.Reader, lim Limits) *BootstrapPeers {
	n := r.U64Max("peer count", lim.MaxPeers)
	// A node id is 33 bytes, a listener count at least one.
	if !fits(r, "peers", n, crypto.VersionedPublicKeySize+1) {
		return nil
	}
	m := &BootstrapPeers{Peers: make([]protocol.PeerListeners, 0, n)}
	for i := uint64(0); i < n; i++ {
		p := protocol.ReadPeerListeners(r, lim.MaxListeners)
		if r.Err() != nil {
			return nil
		}
		m.Peers = append(m.Peers, p)
	}
	return m
}

func decodePart(r *types.Reader, lim Limits) *BootstrapPart {
	m := &BootstrapPart{Slot: r.Slot("slot", lim.ThreadCount)}
	copy(m.StateFingerprint[:], r.Fixed("state fingerprint", crypto.HashSize))
	n := r.U64Max("entry count", lim.MaxEntries)
	// Each entry is at least a 1-byte key length, a 1-byte key and a
	// 1-byte value length.
	if !fits(r, "entries", n, 3) {
		return nil
	}
	if n > 0 {
		m.Entries = make([]Entry, 0, n)
	}
	for i := uint64(0); i < n; i++ {
		k := readSlice(r, "key", lim.MaxKey)
		v := readSlice(r, "value", lim.MaxValue)
		if r.Err() != nil {
			return nil
		}
		if len(k) == 0 {
			r.Fail("key", types.ErrOutOfRange)
			return nil
		}
		m.Entries = append(m.Entries, Entry{Key: k, Value: v})
	}
	m.StateDone = readBool(r, "state done")
	if readOption(r, "totals") {
		m.Totals = &Totals{Entries: r.U64("total entries"), Bytes: r.U64("total bytes")}
	}
	nb := r.U64Max("block count", lim.MaxBlocks)
	if !fits(r, "blocks", nb, 2) {
		return nil
	}
	if nb > 0 {
		m.Blocks = make([][]byte, 0, nb)
	}
	for i := uint64(0); i < nb; i++ {
		b := readSlice(r, "block", lim.MaxBlock)
		if r.Err() != nil {
			return nil
		}
		if len(b) == 0 {
			r.Fail("block", types.ErrOutOfRange)
			return nil
		}
		m.Blocks = append(m.Blocks, b)
	}
	if readOption(r, "last start period") {
		v := r.U64("last start period")
		m.LastStartPeriod = &v
	}
	if len(m.Blocks) > 0 && !m.StateDone {
		r.Failf("blocks", ErrUnexpected, "blocks in a part before the end of the state")
	}
	return m
}

// DecodeClient decodes a client message. LastKey is copied.
func DecodeClient(b []byte, lim Limits) (ClientMessage, error) {
	if uint64(len(b)) > uint64(lim.MaxClientMessage) {
		return nil, fmt.Errorf("%w: client message of %d bytes, more than %d", ErrTooLarge, len(b), lim.MaxClientMessage)
	}
	r := types.NewReader(b, "bootstrap client message")
	var m ClientMessage
	switch kind := r.U32("type"); {
	case r.Err() != nil:
	case kind == kindAskPeers:
		m = &AskBootstrapPeers{}
	case kind == kindAskPart:
		a := &AskBootstrapPart{}
		if readOption(r, "last slot") {
			s := r.Slot("last slot", lim.ThreadCount)
			a.LastSlot = &s
		}
		switch step := r.U32("state step"); {
		case r.Err() != nil:
		case step == uint32(StepStarted), step == uint32(StepFinished):
			a.Step = StateStep(step)
		case step == uint32(StepOngoing):
			a.Step = StepOngoing
			a.LastKey = r.Bytes("last key", lim.MaxKey)
			if r.Err() == nil && len(a.LastKey) == 0 {
				r.Fail("last key", types.ErrOutOfRange)
			}
		default:
			r.Failf("state step", types.ErrUnknownType, "%d", step)
		}
		a.SendLastStartPeriod = readBool(r, "send last start period")
		if r.Err() == nil && a.LastSlot == nil && a.Step != StepStarted {
			r.Failf("state step", ErrUnexpected, "a cursor without the slot of its snapshot")
		}
		m = a
	case kind == kindCError:
		m = &ClientError{Text: readText(r, "text", lim.MaxText)}
	case kind == kindSuccess:
		m = &BootstrapSuccess{}
	default:
		r.Failf("type", types.ErrUnknownType, "%d", kind)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

// messageName names a message in errors and logs.
func messageName(m any) string {
	switch m.(type) {
	case *BootstrapTime:
		return "BootstrapTime"
	case *BootstrapPeers:
		return "BootstrapPeers"
	case *BootstrapPart:
		return "BootstrapPart"
	case *BootstrapFinished:
		return "BootstrapFinished"
	case *SlotTooOld:
		return "SlotTooOld"
	case *ServerError:
		return "BootstrapError"
	case *AskBootstrapPeers:
		return "AskBootstrapPeers"
	case *AskBootstrapPart:
		return "AskBootstrapPart"
	case *ClientError:
		return "BootstrapError"
	case *BootstrapSuccess:
		return "BootstrapSuccess"
	}
	return fmt.Sprintf("%T", m)
}
