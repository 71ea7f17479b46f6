package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/protocol/protocoltest"
)

// fuzzLimits are limits just above what the fuzz seeds use (2 threads,
// 3 operations, 2 peers of 2 listeners), so that small inputs reach every
// check and the seeds stay short enough to minimize quickly.
func fuzzLimits() protocol.Limits {
	l := testLimits()
	l.Codec.ThreadCount = 2
	l.MaxOperationsPerMessage, l.MaxPeersPerMessage, l.MaxListenersPerPeer = 3, 2, 2
	return l
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessagesThreads(2) {
		f.Add(protocol.EncodeMessage(m))
	}
	f.Add([]byte{})
	f.Add([]byte{2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	l := fuzzLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := protocol.DecodeMessage(b, &l)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrUnknownMessage) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if uint64(len(b)) > l.MaxPayload(m.Kind()) {
			t.Fatalf("%s of %d bytes decoded over its frame limit %d", m.Kind(), len(b), l.MaxPayload(m.Kind()))
		}
		enc := protocol.EncodeMessage(m)
		if bytes.Equal(enc, b) {
			return
		}
		// Decoding may normalize (repeated prefixes or listeners, an
		// unsorted datastore, a varint with dropped bits): then the
		// re-encoding must decode to itself.
		m2, err := protocol.DecodeMessage(enc, &l)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !bytes.Equal(enc, protocol.EncodeMessage(m2)) {
			t.Fatal("re-encoding is not stable")
		}
	})
}

func FuzzDecodeHello(f *testing.F) {
	key := protocoltest.Key(7)
	id := protocol.PeerID(key.Public())
	ls := []protocol.Listener{{Addr: netip.MustParseAddrPort("8.8.8.8:31244")}}
	h := protocol.Hello{ID: id, Version: protocoltest.Version, Announcement: protocol.NewAnnouncement(ls, 1, key)}
	f.Add(h.AppendBinary(nil))
	r := protocol.Hello{ID: id, Version: protocoltest.Version, Refusal: &protocol.ListPeers{Peers: []protocol.PeerListeners{{ID: id, Listeners: ls}}}}
	f.Add(r.AppendBinary(nil))
	f.Add(make([]byte, 40))
	l := testLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := protocol.DecodeHelloID(b); err != nil && !errors.Is(err, protocol.ErrMalformed) {
			t.Fatalf("untyped error: %v", err)
		}
		got, err := protocol.DecodeHello(b, &l)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if (got.Announcement == nil) == (got.Refusal == nil) {
			t.Fatal("a hello is either an announcement or a refusal")
		}
		enc := got.AppendBinary(nil)
		got2, err := protocol.DecodeHello(enc, &l)
		if err != nil || !bytes.Equal(enc, got2.AppendBinary(nil)) {
			t.Fatalf("re-encoding not stable: %v", err)
		}
		if got.Announcement != nil {
			got.Announcement.Verify(got.ID) // must not panic
		}
	})
}

func FuzzReadMessageFrame(f *testing.F) {
	for _, m := range sampleMessagesThreads(2) {
		f.Add(protocol.EncodeFrame(m))
	}
	f.Add(binary.BigEndian.AppendUint32(nil, 0xffffffff))
	f.Add([]byte{0, 0, 0, 1, 0})
	l := fuzzLimits()
	l.MaxFrameSize = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, k, err := protocol.ReadMessageFrame(bytes.NewReader(b), &l)
		if err != nil {
			return
		}
		if uint64(len(payload)) > l.MaxPayload(k) {
			t.Fatalf("%s payload of %d bytes over its limit", k, len(payload))
		}
		if _, err := protocol.DecodeMessage(payload, &l); err != nil && !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrUnknownMessage) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

func FuzzDecodePeerBook(f *testing.F) {
	id := protocol.PeerID(protocoltest.Key(1).Public())
	f.Add([]byte(`{"peers":[{"id":"` + id.String() + `","listeners":["1.2.3.4:31244"],"failures":2}],"banned_ips":[{"ip":"5.6.7.8","until_ms":5}]}`))
	f.Add([]byte(`{"peers":[],"banned_ips":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		peers, ips, err := protocol.DecodePeerBook(b, 10)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(peers) > 10 {
			t.Fatal("more peers than the limit")
		}
		for _, ip := range ips {
			if !ip.IP.IsValid() {
				t.Fatal("invalid ip accepted")
			}
		}
	})
}

func FuzzParseInitialPeers(f *testing.F) {
	pk := protocoltest.Key(1).Public()
	f.Add([]byte(`{"` + pk.String() + `": {"listeners": {"149.202.86.103:31244": "Tcp", "[::1]:5": "Quic"}, "category": "Bootstrap"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		peers, err := protocol.ParseInitialPeers(b)
		if err != nil {
			if !errors.Is(err, protocol.ErrInitialPeers) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, p := range peers {
			if !p.Addr.IsValid() || p.Addr.Port() == 0 || p.NodeID.IsZero() {
				t.Fatalf("invalid peer accepted: %+v", p)
			}
		}
	})
}
