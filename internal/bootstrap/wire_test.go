package bootstrap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

func samplePart() *BootstrapPart {
	lsp := uint64(3)
	return &BootstrapPart{
		Slot:             types.Slot{Period: 12, Thread: 3},
		StateFingerprint: crypto.HashOf([]byte("fp")),
		Entries:          []Entry{{Key: []byte("ledger/a"), Value: []byte{1, 2}}, {Key: []byte("ledger/b"), Value: []byte{}}},
		StateDone:        true,
		Totals:           &Totals{Entries: 10, Bytes: 300},
		Blocks:           [][]byte{{9, 9, 9}},
		LastStartPeriod:  &lsp,
	}
}

func sampleServerMessages() []ServerMessage {
	return []ServerMessage{
		&BootstrapTime{ServerTimeMS: 1_700_000_000_123, Version: testVersion},
		&BootstrapPeers{Peers: []protocol.PeerListeners(testPeers())},
		samplePart(),
		&BootstrapPart{Slot: types.Slot{Period: 1}},
		&BootstrapFinished{},
		&SlotTooOld{},
		&ServerError{Text: "no slot", RetryAfterMS: 30_000},
	}
}

func sampleClientMessages() []ClientMessage {
	s := types.Slot{Period: 4, Thread: 1}
	return []ClientMessage{
		&AskBootstrapPeers{},
		&AskBootstrapPart{SendLastStartPeriod: true},
		&AskBootstrapPart{LastSlot: &s, Step: StepOngoing, LastKey: []byte("ledger/x")},
		&AskBootstrapPart{LastSlot: &s, Step: StepFinished},
		&ClientError{Text: "ping too high"},
		&BootstrapSuccess{},
	}
}

func TestMessageRoundTrips(t *testing.T) {
	lim := DefaultLimits(testThreads)
	for _, m := range sampleServerMessages() {
		b := EncodeServer(m)
		got, err := DecodeServer(b, lim)
		if err != nil {
			t.Fatalf("%s: %v", messageName(m), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%s: got %+v, want %+v", messageName(m), got, m)
		}
		if _, err := DecodeServer(append(b, 0), lim); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s with a trailing byte: %v", messageName(m), err)
		}
		for i := range len(b) {
			if _, err := DecodeServer(b[:i], lim); err == nil {
				t.Fatalf("%s truncated to %d bytes accepted", messageName(m), i)
			}
		}
	}
	for _, m := range sampleClientMessages() {
		b := EncodeClient(m)
		got, err := DecodeClient(b, lim)
		if err != nil {
			t.Fatalf("%s: %v", messageName(m), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%s: got %+v, want %+v", messageName(m), got, m)
		}
		if _, err := DecodeClient(append(b, 0), lim); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s with a trailing byte: %v", messageName(m), err)
		}
	}
}

func TestDecoderLimits(t *testing.T) {
	lim := DefaultLimits(testThreads)
	small := lim
	small.MaxEntries, small.MaxKey, small.MaxBlocks, small.MaxPeers, small.MaxText = 1, 4, 0, 0, 3
	for _, m := range []ServerMessage{samplePart(), &BootstrapPeers{Peers: testPeers()}, &ServerError{Text: "long"}} {
		if _, err := DecodeServer(EncodeServer(m), small); !errors.Is(err, types.ErrTooLarge) {
			t.Fatalf("%s over the limits: %v", messageName(m), err)
		}
	}
	// A count that cannot fit in the bytes left is refused before any
	// allocation.
	b := types.AppendUvarint(nil, kindPart)
	b = types.Slot{}.AppendBinary(b)
	b = append(b, make([]byte, crypto.HashSize)...)
	b = types.AppendUvarint(b, 9_000_000)
	if _, err := DecodeServer(b, lim); !errors.Is(err, types.ErrTruncated) {
		t.Fatalf("huge entry count: %v", err)
	}
	// Thread out of range.
	bad := EncodeServer(&BootstrapPart{Slot: types.Slot{Period: 1, Thread: testThreads}})
	if _, err := DecodeServer(bad, lim); !errors.Is(err, types.ErrOutOfRange) {
		t.Fatalf("thread out of range: %v", err)
	}
	// Blocks before the end of the state are refused.
	early := EncodeServer(&BootstrapPart{Blocks: [][]byte{{1}}})
	if _, err := DecodeServer(early, lim); err == nil {
		t.Fatal("blocks before the state's end accepted")
	}
	// A resume cursor without its snapshot slot is refused.
	if _, err := DecodeClient(EncodeClient(&AskBootstrapPart{Step: StepOngoing, LastKey: []byte("k")}), lim); err == nil {
		t.Fatal("cursor without slot accepted")
	}
	big := make([]byte, lim.MaxClientMessage+1)
	if _, err := DecodeClient(big, lim); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized client message: %v", err)
	}
}

// serverStream writes msgs as server frames after a handshake and returns
// the bytes and the handshake.
func serverStream(t *testing.T, key *crypto.SecretKey, msgs ...ServerMessage) ([]byte, []byte) {
	t.Helper()
	hs := handshake(testVersion, [RandomSize]byte{1, 2, 3})
	c := chain{prev: crypto.HashOf(hs), has: true}
	var buf bytes.Buffer
	for _, m := range msgs {
		if err := writeServerFrame(&buf, key, &c, EncodeServer(m)); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), hs
}

func readAll(stream, hs []byte, pub crypto.PublicKey, n int) error {
	c := chain{prev: crypto.HashOf(hs), has: true}
	r := bytes.NewReader(stream)
	for range n {
		raw, err := readServerFrame(r, pub, &c, 1<<20)
		if err != nil {
			return err
		}
		if _, err := DecodeServer(raw, DefaultLimits(testThreads)); err != nil {
			return err
		}
	}
	return nil
}

func TestSignatureChain(t *testing.T) {
	key := testKey(1)
	msgs := []ServerMessage{&BootstrapTime{ServerTimeMS: 5, Version: testVersion}, samplePart(), &BootstrapFinished{}}
	stream, hs := serverStream(t, key, msgs...)
	if err := readAll(stream, hs, key.Public(), len(msgs)); err != nil {
		t.Fatal(err)
	}
	t.Run("every tampered byte is refused", func(t *testing.T) {
		for i := range stream {
			bad := bytes.Clone(stream)
			bad[i] ^= 0x01
			if err := readAll(bad, hs, key.Public(), len(msgs)); err == nil {
				t.Fatalf("byte %d flipped: accepted", i)
			}
		}
	})
	t.Run("wrong server key", func(t *testing.T) {
		if err := readAll(stream, hs, testKey(2).Public(), 1); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("another handshake", func(t *testing.T) {
		other := handshake(testVersion, [RandomSize]byte{9})
		if err := readAll(stream, other, key.Public(), 1); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("replayed or reordered frames", func(t *testing.T) {
		// Frame 2 alone, after the handshake, is signed for another prev.
		first := serverHeader + len(EncodeServer(msgs[0]))
		if err := readAll(stream[first:], hs, key.Public(), 1); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("oversized length refused before reading", func(t *testing.T) {
		bad := bytes.Clone(stream)
		binary.BigEndian.PutUint32(bad[crypto.VersionedSignatureSize:], 1<<20+1)
		if err := readAll(bad, hs, key.Public(), 1); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("lying length costs what arrives", func(t *testing.T) {
		// 250 MB announced, 10 bytes sent: the reader fails with EOF
		// after allocating one chunk.
		bad := bytes.Clone(stream[:serverHeader+10])
		binary.BigEndian.PutUint32(bad[crypto.VersionedSignatureSize:], 250_000_000)
		c := chain{prev: crypto.HashOf(hs), has: true}
		if _, err := readServerFrame(bytes.NewReader(bad), key.Public(), &c, 300_000_000); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestClientFrames(t *testing.T) {
	hs := handshake(testVersion, [RandomSize]byte{7})
	cw := chain{prev: crypto.HashOf(hs), has: true}
	cr := cw
	var buf bytes.Buffer
	for _, m := range sampleClientMessages() {
		if err := writeClientFrame(&buf, &cw, EncodeClient(m)); err != nil {
			t.Fatal(err)
		}
	}
	stream := buf.Bytes()
	r := bytes.NewReader(stream)
	for range sampleClientMessages() {
		if _, err := readClientFrame(r, &cr, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	// Out of sequence: the second frame read first.
	first := clientHeader + len(EncodeClient(sampleClientMessages()[0]))
	c := chain{prev: crypto.HashOf(hs), has: true}
	if _, err := readClientFrame(bytes.NewReader(stream[first:]), &c, 1<<20); !errors.Is(err, ErrSequence) {
		t.Fatalf("err = %v", err)
	}
	// Oversized.
	c = chain{prev: crypto.HashOf(hs), has: true}
	if _, err := readClientFrame(bytes.NewReader(stream), &c, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func TestHandshake(t *testing.T) {
	hs := handshake(testVersion, [RandomSize]byte{1})
	v, err := decodeHandshake(hs)
	if err != nil || v != testVersion {
		t.Fatalf("%v %v", v, err)
	}
	if _, err := decodeHandshake(hs[:len(hs)-1]); err == nil {
		t.Fatal("short handshake accepted")
	}
	bad := bytes.Clone(hs)
	bad[0] = 'a'
	if _, err := decodeHandshake(bad); err == nil {
		t.Fatal("lower-case instance accepted")
	}
}

func TestParseIPList(t *testing.T) {
	ips, err := parseIPList([]byte(`["203.0.113.7", "::ffff:10.0.0.1", "2001:db8::1"]`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"203.0.113.7", "10.0.0.1", "2001:db8::1"} {
		if _, ok := ips[netip.MustParseAddr(s)]; !ok {
			t.Fatalf("%s missing", s)
		}
	}
	if _, err := parseIPList([]byte(`["not an ip"]`)); err == nil {
		t.Fatal("bad IP accepted")
	}
	if _, err := parseIPList([]byte(`{"a":1}`)); err == nil {
		t.Fatal("object accepted")
	}
}

// discardConn is a net.Conn that accepts every write.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error) { return len(b), nil }

func TestRateConn(t *testing.T) {
	now := time.Unix(0, 0)
	var slept time.Duration
	c := &rateConn{Conn: discardConn{}, rate: 1 << 20, start: now,
		now: func() time.Time { return now }, sleepFor: func(d time.Duration) { slept += d; now = now.Add(d) }}
	// 4 MiB at 1 MiB/s take 4 s.
	if _, err := c.Write(make([]byte, 4<<20)); err != nil {
		t.Fatal(err)
	}
	if slept < 3900*time.Millisecond || slept > 4*time.Second {
		t.Fatalf("slept %s for 4 MiB at 1 MiB/s", slept)
	}
	// An idle minute is not banked beyond the burst: 1 MiB more still
	// takes about 1 s minus the burst.
	now = now.Add(time.Minute)
	slept = 0
	if _, err := c.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if slept < 800*time.Millisecond {
		t.Fatalf("after an idle minute, 1 MiB went out with %s of sleep", slept)
	}
}
