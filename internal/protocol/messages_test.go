package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/protocol/protocoltest"
	"github.com/gomassa/gomassa/internal/types"
)

func testLimits() protocol.Limits { return protocol.DefaultLimits(protocoltest.ChainID) }

// sampleMessages returns one message of every kind, with real signed data
// for a network of 32 threads.
func sampleMessages() []protocol.Message { return sampleMessagesThreads(32) }

// sampleMessagesThreads returns one message of every kind for a network of
// threads threads (fewer threads, smaller headers: fuzz seeds).
func sampleMessagesThreads(threads uint8) []protocol.Message {
	key := protocoltest.Key(1)
	ops := protocoltest.Operations(key, 0, 3)
	blk := protocoltest.BlockThreads(key, ops, 2, threads)
	es := protocoltest.Endorsements(key, 3)
	peers := []protocol.PeerListeners{
		{ID: protocol.PeerID(protocoltest.Key(2).Public()), Listeners: []protocol.Listener{
			{Addr: netip.MustParseAddrPort("1.2.3.4:31244")},
			{Addr: netip.MustParseAddrPort("[2001:db8::1]:31245"), Transport: protocol.TransportQUIC},
		}},
		{ID: protocol.PeerID(protocoltest.Key(3).Public())},
	}
	return []protocol.Message{
		&protocol.HeaderMessage{Header: blk.Header},
		&protocol.BlockDataRequest{BlockID: blk.ID(), Info: protocol.InfoHeader},
		&protocol.BlockDataRequest{BlockID: blk.ID(), Info: protocol.InfoOperationIDs},
		&protocol.BlockDataRequest{BlockID: blk.ID(), Info: protocol.InfoOperations, OperationIDs: blk.Operations[:2]},
		&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoHeader, Header: blk.Header},
		&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperationIDs, OperationIDs: blk.Operations},
		&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperations, Operations: ops},
		&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoNotFound},
		&protocol.EndorsementsMessage{Endorsements: es},
		&protocol.OperationsAnnouncement{Prefixes: []types.OperationPrefix{ops[0].ID.Prefix(), ops[1].ID.Prefix()}},
		&protocol.AskForOperations{Prefixes: []types.OperationPrefix{ops[2].ID.Prefix()}},
		&protocol.OperationsMessage{Operations: ops},
		&protocol.NewPeerConnected{Peer: peers[0]},
		&protocol.ListPeers{Peers: peers},
		&protocol.ListPeers{},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	l := testLimits()
	for _, m := range sampleMessages() {
		t.Run(m.Kind().String(), func(t *testing.T) {
			b := protocol.EncodeMessage(m)
			got, err := protocol.DecodeMessage(b, &l)
			require.NoError(t, err)
			require.Equal(t, m.Kind(), got.Kind())
			require.Equal(t, b, protocol.EncodeMessage(got), "re-encoding differs")

			// Framed, through the kind-aware reader.
			payload, k, err := protocol.ReadMessageFrame(bytes.NewReader(protocol.EncodeFrame(m)), &l)
			require.NoError(t, err)
			require.Equal(t, m.Kind(), k)
			require.Equal(t, b, payload)
		})
	}
}

func TestMessageWireLayout(t *testing.T) {
	// Family id then message id, as Massa's MessagesSerializer writes them.
	key := protocoltest.Key(1)
	ops := protocoltest.Operations(key, 0, 1)
	b := protocol.EncodeMessage(&protocol.AskForOperations{Prefixes: []types.OperationPrefix{ops[0].ID.Prefix()}})
	want := append([]byte{2, 1, 1}, ops[0].ID[:17]...)
	require.Equal(t, want, b)

	b = protocol.EncodeMessage(&protocol.BlockDataRequest{BlockID: types.BlockID{9}, Info: protocol.InfoOperationIDs})
	want = append([]byte{0, 1, 0, 9}, make([]byte, 31)...)
	require.Equal(t, append(want, 1), b)

	b = protocol.EncodeMessage(&protocol.NewPeerConnected{Peer: protocol.PeerListeners{
		ID:        protocol.PeerID(key.Public()),
		Listeners: []protocol.Listener{{Addr: netip.MustParseAddrPort("1.2.3.4:258")}},
	}})
	want = append([]byte{3, 0}, key.Public().Bytes()...)
	want = append(want, 1, 4, 1, 2, 3, 4, 1, 2, 0)
	require.Equal(t, want, b)
}

func TestDecodeMessageRejects(t *testing.T) {
	l := testLimits()
	key := protocoltest.Key(1)
	ops := protocoltest.Operations(key, 0, 2)
	good := protocol.EncodeMessage(&protocol.OperationsMessage{Operations: ops})

	many := []byte{2, 0}
	many = types.AppendUvarint(many, uint64(l.MaxOperationsPerMessage)+1)

	huge := []byte{2, 2}
	huge = types.AppendUvarint(huge, 4000) // 4000 operations announced, bytes for none

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, protocol.ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), protocol.ErrMalformed},
		{"truncated", good[:len(good)-1], protocol.ErrMalformed},
		{"unknown family", []byte{4, 0}, protocol.ErrUnknownMessage},
		{"unknown id", []byte{1, 1}, protocol.ErrUnknownMessage},
		{"non-minimal family varint", []byte{0x80, 0x00, 0}, protocol.ErrMalformed},
		{"too many prefixes", many, protocol.ErrMalformed},
		{"count larger than the input", huge, protocol.ErrMalformed},
		{"NotFound in a request", append(append([]byte{0, 1, 0}, make([]byte, 32)...), 3), protocol.ErrMalformed},
		{"bad listener tag", append(append([]byte{3, 0}, key.Public().Bytes()...), 1, 5), protocol.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := protocol.DecodeMessage(tc.b, &l)
			require.Error(t, err)
			require.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
		})
	}
}

func TestDecodeDropsRepeatedPrefixes(t *testing.T) {
	l := testLimits()
	ops := protocoltest.Operations(protocoltest.Key(1), 0, 1)
	p := ops[0].ID.Prefix()
	b := protocol.EncodeMessage(&protocol.OperationsAnnouncement{Prefixes: []types.OperationPrefix{p, p}})
	m, err := protocol.DecodeMessage(b, &l)
	require.NoError(t, err)
	require.Equal(t, []types.OperationPrefix{p}, m.(*protocol.OperationsAnnouncement).Prefixes)
}

// lyingReader hands out a frame header and two id bytes and fails the test
// if more is read: the size check must come before the payload.
type lyingReader struct {
	t    *testing.T
	data []byte
}

func (r *lyingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.t.Fatal("payload read before its size was checked")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadMessageFrameLimits(t *testing.T) {
	l := testLimits()
	frame := func(n uint32, ids ...byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, n), ids...)
	}
	t.Run("over the frame limit", func(t *testing.T) {
		_, _, err := protocol.ReadMessageFrame(&lyingReader{t, frame(l.MaxFrameSize + 1)}, &l)
		require.ErrorIs(t, err, protocol.ErrFrameTooLarge)
	})
	t.Run("over the header limit", func(t *testing.T) {
		n := uint32(l.MaxPayload(protocol.KindHeader)) + 1
		_, _, err := protocol.ReadMessageFrame(&lyingReader{t, frame(n, 0, 0)}, &l)
		require.ErrorIs(t, err, protocol.ErrFrameTooLarge)
	})
	t.Run("over the announcement limit", func(t *testing.T) {
		n := uint32(l.MaxPayload(protocol.KindOperationsAnnouncement)) + 1
		_, _, err := protocol.ReadMessageFrame(&lyingReader{t, frame(n, 2, 0)}, &l)
		require.ErrorIs(t, err, protocol.ErrFrameTooLarge)
	})
	t.Run("unknown ids", func(t *testing.T) {
		_, _, err := protocol.ReadMessageFrame(&lyingReader{t, frame(10, 7, 0)}, &l)
		require.ErrorIs(t, err, protocol.ErrUnknownMessage)
	})
	t.Run("empty frame", func(t *testing.T) {
		_, _, err := protocol.ReadMessageFrame(bytes.NewReader(frame(0)), &l)
		require.ErrorIs(t, err, protocol.ErrMalformed)
	})
}

func TestHelloRoundTrip(t *testing.T) {
	l := testLimits()
	key := protocoltest.Key(7)
	id := protocol.PeerID(key.Public())
	ls := []protocol.Listener{{Addr: netip.MustParseAddrPort("8.8.8.8:31244")}}
	h := protocol.Hello{ID: id, Version: protocoltest.Version, Announcement: protocol.NewAnnouncement(ls, 1_700_000_000_000, key)}
	b := h.AppendBinary(nil)
	got, err := protocol.DecodeHello(b, &l)
	require.NoError(t, err)
	require.Equal(t, id, got.ID)
	require.Equal(t, protocoltest.Version, got.Version)
	require.Equal(t, ls, got.Announcement.Listeners)
	require.Equal(t, uint64(1_700_000_000_000), got.Announcement.Timestamp)
	require.True(t, got.Announcement.Verify(id))
	require.False(t, got.Announcement.Verify(protocol.PeerID(protocoltest.Key(8).Public())))
	require.Equal(t, b, got.AppendBinary(nil))

	gotID, err := protocol.DecodeHelloID(b)
	require.NoError(t, err)
	require.Equal(t, id, gotID)

	// A tampered timestamp no longer verifies.
	bad := bytes.Clone(b)
	bad[len(bad)-66] ^= 1
	got, err = protocol.DecodeHello(bad, &l)
	require.NoError(t, err)
	require.False(t, got.Announcement.Verify(id))

	// Refusal with peers.
	r := protocol.Hello{ID: id, Version: protocoltest.Version, Refusal: &protocol.ListPeers{Peers: []protocol.PeerListeners{{ID: id, Listeners: ls}}}}
	b = r.AppendBinary(nil)
	got, err = protocol.DecodeHello(b, &l)
	require.NoError(t, err)
	require.NotNil(t, got.Refusal)
	require.Len(t, got.Refusal.Peers, 1)
	require.Equal(t, b, got.AppendBinary(nil))

	// Lowercase instance letters are refused.
	v := protocol.Hello{ID: id, Version: protocol.Version{Instance: [4]byte{'s', 'A', 'N', 'D'}}, Announcement: h.Announcement}
	_, err = protocol.DecodeHello(v.AppendBinary(nil), &l)
	require.ErrorIs(t, err, protocol.ErrMalformed)

	_, err = protocol.DecodeHello(b[:31], &l)
	require.ErrorIs(t, err, protocol.ErrMalformed)
}

func TestVersion(t *testing.T) {
	v, err := protocol.ParseVersion("SAND.5.0")
	require.NoError(t, err)
	require.Equal(t, "SAND.5.0", v.String())
	w, _ := protocol.ParseVersion("SAND.5.7")
	x, _ := protocol.ParseVersion("SAND.6.0")
	y, _ := protocol.ParseVersion("MAIN.5.0")
	require.True(t, v.Compatible(w))
	require.False(t, v.Compatible(x))
	require.False(t, v.Compatible(y))
	for _, s := range []string{"", "SAND.5", "sand.5.0", "SANDY.5.0", "SAND.x.0", "SAND.5.-1"} {
		_, err := protocol.ParseVersion(s)
		require.ErrorIs(t, err, protocol.ErrConfig, s)
	}
	require.Equal(t, []byte{'S', 'A', 'N', 'D', 5, 0}, v.AppendBinary(nil))
}

func TestPeerIDText(t *testing.T) {
	id := protocol.PeerID(protocoltest.Key(3).Public())
	s := id.String()
	require.Equal(t, byte('N'), s[0])
	got, err := protocol.ParsePeerID(s)
	require.NoError(t, err)
	require.Equal(t, id, got)
	got, err = protocol.ParsePeerID(id.PublicKey().String())
	require.NoError(t, err)
	require.Equal(t, id, got)
	_, err = protocol.ParsePeerID("Nxyz")
	require.Error(t, err)
}
