package protocol_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/protocol/protocoltest"
	"github.com/gomassa/gomassa/internal/types"
)

const waitFor = 10 * time.Second

var loopback = netip.MustParseAddr("127.0.0.1")

// node is a service with its fake handler.
type node struct {
	*protocol.Service
	h *protocoltest.Handler
}

// newNode builds a service; relay makes its handler behave like a node:
// re-propagate new operations and announce received blocks.
func newNode(t *testing.T, cfg protocol.Config, key byte, relay bool) node {
	t.Helper()
	h := protocoltest.NewHandler()
	s, err := protocol.New(cfg, protocol.Deps{Key: protocoltest.Key(key), Handler: h})
	require.NoError(t, err)
	if relay {
		h.AfterOperations = func(_ protocol.PeerID, ops []*types.SignedOperation) { s.PropagateOperations(ops) }
		h.AfterBlock = func(_ protocol.PeerID, b *types.Block, _ []*types.SignedOperation) { s.AnnounceBlock(b.Header) }
	}
	return node{Service: s, h: h}
}

func (n node) start(t *testing.T) node {
	t.Helper()
	require.NoError(t, n.Start(context.Background()))
	t.Cleanup(func() { require.NoError(t, n.Stop()) })
	return n
}

func startNode(t *testing.T, cfg protocol.Config, key byte, relay bool) node {
	return newNode(t, cfg, key, relay).start(t)
}

func connected(a, b node) func() bool {
	return func() bool {
		_, ab := a.Peers()[b.ID()]
		_, ba := b.Peers()[a.ID()]
		return ab && ba
	}
}

// dial opens a raw TCP connection to n.
func dial(t *testing.T, n node) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", n.Addr().String(), 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer reads until the connection ends and reports whether it
// ended (rather than timing out).
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestHandshakeSuccess(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, connected(a, b), "a and b connected")

	pa := a.Peers()[b.ID()]
	pb := b.Peers()[a.ID()]
	require.False(t, pa.Outgoing)
	require.True(t, pb.Outgoing)
	require.Equal(t, loopback, pa.Addr.Addr())
	require.Equal(t, a.Addr().String(), pb.Addr.String())
	require.EqualValues(t, 1, a.Stats().HandshakesOK)
	require.Equal(t, 1, a.Stats().InPeers)
	require.Equal(t, 1, b.Stats().OutPeers)
}

func TestHandshakeWrongChallengeSignature(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service)
	b := newNode(t, cfg, 2, false)
	other := protocoltest.Key(9)
	protocol.SetChallengeSigner(b.Service, other.Sign)
	b.start(t)

	protocoltest.Eventually(t, waitFor, func() bool { return a.Stats().HandshakesFailed >= 1 }, "a refuses b")
	require.Empty(t, a.Peers())
	require.Empty(t, b.Peers())
	require.Zero(t, a.Stats().HandshakesOK)
	// A bad signature is not malformed data: the IP stays welcome.
	require.False(t, a.Book().IsIPBanned(loopback))
}

func TestHandshakeWrongAnnouncementSignature(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	l := a.Limits()
	c := dial(t, a)
	key, other := protocoltest.Key(2), protocoltest.Key(3)
	hello := protocol.Hello{ID: protocol.PeerID(key.Public()), Version: protocoltest.Version,
		Announcement: protocol.NewAnnouncement(nil, 1, other)}
	require.NoError(t, protocol.WriteFrame(c, hello.AppendBinary(nil)))
	_, err := protocol.ReadRawFrame(c, l.MaxHelloSize())
	require.NoError(t, err, "a's hello")
	require.True(t, closedByPeer(c), "a hangs up before sending its challenge")
	require.Empty(t, a.Peers())
}

func TestHandshakeBannedIDRefusedBeforeCompletion(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	key := protocoltest.Key(2)
	a.Ban(protocol.PeerID(key.Public()))

	// Raw: a's next frame after its hello would be its challenge; a banned
	// id gets the connection closed instead.
	l := a.Limits()
	c := dial(t, a)
	hello := protocol.Hello{ID: protocol.PeerID(key.Public()), Version: protocoltest.Version,
		Announcement: protocol.NewAnnouncement(nil, 1, key)}
	require.NoError(t, protocol.WriteFrame(c, hello.AppendBinary(nil)))
	_, err := protocol.ReadRawFrame(c, l.MaxHelloSize())
	require.NoError(t, err)
	require.True(t, closedByPeer(c))
	require.EqualValues(t, 1, a.Stats().RejectedBanned)

	// A service with that id cannot connect either.
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, func() bool { return a.Stats().RejectedBanned >= 2 }, "a rejects b")
	require.Empty(t, a.Peers())
	require.Empty(t, b.Peers())

	// Once unbanned it can.
	a.Unban(b.ID())
	protocoltest.Eventually(t, waitFor, connected(a, b), "b connects after unban")
}

func TestHandshakeIncompatibleVersion(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	cfg.Version.Major = 6
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, func() bool {
		return a.Stats().HandshakesFailed >= 1 && b.Stats().HandshakesFailed >= 1
	}, "both refuse")
	require.Empty(t, a.Peers())
	require.Empty(t, b.Peers())
	require.False(t, a.Book().IsIPBanned(loopback))
}

func TestRefusalWhenFull(t *testing.T) {
	cfg := protocoltest.Config()
	cfg.MaxIn = 1
	a := startNode(t, cfg, 1, false)
	cfgB := protocoltest.Config()
	protocoltest.Connect(&cfgB, a.Service)
	b := startNode(t, cfgB, 2, false)
	protocoltest.Eventually(t, waitFor, connected(a, b), "b connected")

	l := a.Limits()
	c := dial(t, a)
	frame, err := protocol.ReadRawFrame(c, l.MaxHelloSize())
	require.NoError(t, err)
	h, err := protocol.DecodeHello(frame, &l)
	require.NoError(t, err)
	require.Equal(t, a.ID(), h.ID)
	require.NotNil(t, h.Refusal, "a has no slot: byte 1 and peers")
	require.True(t, closedByPeer(c))
	require.EqualValues(t, 1, a.Stats().RefusedConnections)
}

func TestLineTopologyBlockPropagation(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, true)
	c := startNode(t, protocoltest.Config(), 3, true)
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service, c.Service)
	b := startNode(t, cfg, 2, true)
	protocoltest.Eventually(t, waitFor, func() bool { return connected(a, b)() && connected(b, c)() }, "line a-b-c")
	require.NotContains(t, a.Peers(), c.ID(), "a and c only meet through b")

	ops := protocoltest.Operations(protocoltest.Key(10), 0, 6)
	// The first half travels by prefix announcements, a -> b -> c.
	a.h.AddOperations(ops[:3])
	a.PropagateOperations(ops[:3])
	protocoltest.Eventually(t, waitFor, func() bool {
		return c.h.HasOperation(ops[0].ID) && c.h.HasOperation(ops[1].ID) && c.h.HasOperation(ops[2].ID)
	}, "c has the announced operations")
	require.False(t, c.h.HasOperation(ops[3].ID))

	// Then a block holding all six: b and c fetch only the three they lack.
	blk := protocoltest.Block(protocoltest.Key(11), ops, 2)
	a.h.AddBlock(blk, ops)
	a.AnnounceBlock(blk.Header)
	protocoltest.Eventually(t, waitFor, func() bool { return c.h.HasBlock(blk.ID()) }, "c has the block")

	got, gotOps, _ := c.h.Block(blk.ID())
	require.Equal(t, blk.Operations, got.Operations)
	require.Len(t, gotOps, 6)
	for i, op := range gotOps {
		require.Equal(t, ops[i].ID, op.ID)
	}
	require.True(t, c.h.HasHeader(blk.ID()))
	require.Equal(t, b.ID(), c.h.BlockFrom(blk.ID()))
	require.EqualValues(t, 3, c.Stats().BlockOperationsAsked, "c asked only the operations it lacked")
	require.EqualValues(t, 3, b.Stats().BlockOperationsAsked)
	require.EqualValues(t, 1, c.Stats().BlocksRetrieved)
	require.Zero(t, a.Stats().Violations+b.Stats().Violations+c.Stats().Violations)
}

func TestAskBlocksFetchesUnannouncedBlock(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	cfg.AutoFetch = false
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, connected(a, b), "connected")

	ops := protocoltest.Operations(protocoltest.Key(10), 0, 2)
	blk := protocoltest.Block(protocoltest.Key(11), ops, 0)
	a.h.AddBlock(blk, ops)
	b.AskBlocks([]types.BlockID{blk.ID()})
	protocoltest.Eventually(t, waitFor, func() bool { return b.h.HasBlock(blk.ID()) }, "b fetched the block")
	require.True(t, b.h.HasHeader(blk.ID()))
}

func TestOperationFloodDeduplicated(t *testing.T) {
	base := protocoltest.Config()
	base.MaxOperationsPerMessage = 700 // several messages per batch
	a := startNode(t, base, 1, true)
	cfgB := base
	protocoltest.Connect(&cfgB, a.Service)
	b := startNode(t, cfgB, 2, true)
	cfgC := base
	protocoltest.Connect(&cfgC, a.Service, b.Service)
	c := startNode(t, cfgC, 3, true)
	protocoltest.Eventually(t, waitFor, func() bool {
		return connected(a, b)() && connected(a, c)() && connected(b, c)()
	}, "triangle")

	const n = 2500
	ops := protocoltest.Operations(protocoltest.Key(10), 0, n)
	a.h.AddOperations(ops)
	for i := 0; i < n; i += 500 {
		a.PropagateOperations(ops[i : i+500])
	}
	a.PropagateOperations(ops) // again: nothing new
	protocoltest.Eventually(t, waitFor, func() bool {
		return b.h.NumOperations() == n && c.h.NumOperations() == n
	}, "b and c hold every operation")

	for _, x := range []node{b, c} {
		total, dups := x.h.OperationDeliveries()
		require.Equal(t, n, total, "each operation handed to the node once")
		require.Zero(t, dups)
		require.EqualValues(t, n, x.Stats().OperationsNew)
		require.LessOrEqual(t, x.Stats().OperationsReceived, uint64(2*n), "asked once per announcing peer at most")
	}
	total, _ := a.h.OperationDeliveries()
	require.Zero(t, total, "nothing echoed back to the origin")
}

func TestEndorsementPropagation(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, connected(a, b), "connected")
	es := protocoltest.Endorsements(protocoltest.Key(12), 40)
	a.PropagateEndorsements(es)
	a.PropagateEndorsements(es)
	protocoltest.Eventually(t, waitFor, func() bool { return b.Stats().EndorsementsNew == 40 }, "b got them")
	for _, e := range es {
		require.True(t, b.h.HasEndorsement(e.ID))
	}
	require.EqualValues(t, 40, b.Stats().EndorsementsReceived, "sent once")
}

func TestGarbageAndOversizedFrameBanIP(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	cfg := protocoltest.Config()
	protocoltest.Connect(&cfg, a.Service)
	b := startNode(t, cfg, 2, false)
	protocoltest.Eventually(t, waitFor, connected(a, b), "connected")

	// Garbage: "GET " reads as a 1.2 GB frame length.
	c := dial(t, a)
	_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.True(t, closedByPeer(c))
	protocoltest.Eventually(t, waitFor, func() bool { return a.Book().IsIPBanned(loopback) }, "ip banned")

	// From now on the IP is dropped at accept, before a's hello.
	c2 := dial(t, a)
	require.True(t, closedByPeer(c2))
	require.GreaterOrEqual(t, a.Stats().RejectedBanned, uint64(1))

	// a keeps serving b, an established peer.
	ops := protocoltest.Operations(protocoltest.Key(10), 0, 5)
	a.PropagateOperations(ops)
	protocoltest.Eventually(t, waitFor, func() bool { return b.h.NumOperations() == 5 }, "b still served")
	require.Contains(t, a.Peers(), b.ID())

	// An oversized hello frame gets the same treatment.
	a.UnbanIP(loopback)
	c3 := dial(t, a)
	_, _ = c3.Write([]byte{0x00, 0xff, 0xff, 0xff, 1, 2, 3})
	require.True(t, closedByPeer(c3))
	protocoltest.Eventually(t, waitFor, func() bool { return a.Book().IsIPBanned(loopback) }, "ip banned again")
	require.Contains(t, a.Peers(), b.ID())
}

func TestInvalidDataAfterHandshakeBansID(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	l := a.Limits()
	tests := []struct {
		name  string
		key   byte
		frame func() []byte
	}{
		{"unknown message", 20, func() []byte { return protocol.AppendFrame(nil, []byte{9, 9, 9}) }},
		{"oversized message frame", 21, func() []byte {
			return protocol.AppendFrame(nil, append([]byte{2, 0}, make([]byte, l.MaxPayload(protocol.KindOperationsAnnouncement))...))
		}},
		{"operation with a bad signature", 22, func() []byte {
			op := protocoltest.Operations(protocoltest.Key(10), 0, 1)[0]
			bad := *op
			bad.Signature = crypto.Signature{}
			return protocol.EncodeFrame(&protocol.OperationsMessage{Operations: []*types.SignedOperation{&bad}})
		}},
		{"header without parents", 23, func() []byte {
			g := types.GenesisBlock(protocoltest.Key(11), 0, 0)
			return protocol.EncodeFrame(&protocol.HeaderMessage{Header: g.Header})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := protocoltest.Key(tc.key)
			c := dial(t, a)
			id, _, err := protocol.RawHandshake(c, key, protocoltest.Version, &l, nil)
			require.NoError(t, err)
			require.Equal(t, a.ID(), id)
			protocoltest.Eventually(t, waitFor, func() bool { _, ok := a.Peers()[protocol.PeerID(key.Public())]; return ok }, "registered")
			// The write may fail once a has hung up: the ban is what counts.
			_, _ = c.Write(tc.frame())
			require.True(t, closedByPeer(c))
			protocoltest.Eventually(t, waitFor, func() bool { return a.Book().IsBanned(protocol.PeerID(key.Public())) }, "id banned")
			require.False(t, a.Book().IsIPBanned(loopback), "only the id is banned")
		})
	}
}

func TestPeerBookPersistedAndReloaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.json")
	cfgB := protocoltest.Config()
	cfgB.RoutableIP = loopback // b announces its listener
	b := startNode(t, cfgB, 2, false)
	bAddr := netip.MustParseAddrPort(b.Addr().String())

	// a knows b only by address; the handshake tells it b's id and listener.
	cfgA := protocoltest.Config()
	cfgA.PeerBookPath = path
	cfgA.TargetOut = 1
	a := newNode(t, cfgA, 1, false)
	a.AddPeers([]protocol.PeerAddr{{Addr: bAddr}})
	require.NoError(t, a.Start(context.Background()))
	protocoltest.Eventually(t, waitFor, connected(a, b), "a dials b")
	banned := protocol.PeerID(protocoltest.Key(30).Public())
	a.Ban(banned)
	a.BanIP(netip.MustParseAddr("192.0.2.7"))
	require.NoError(t, a.Stop())

	book, err := protocol.LoadPeerBook(path, 100, nil, 1)
	require.NoError(t, err)
	byID := map[protocol.PeerID]protocol.PeerRecord{}
	for _, r := range book.Peers() {
		byID[r.ID] = r
	}
	require.Contains(t, byID, b.ID())
	require.Equal(t, []netip.AddrPort{bAddr}, byID[b.ID()].Listeners)
	require.NotZero(t, byID[b.ID()].LastSuccessMS)
	require.True(t, book.IsBanned(banned))
	require.True(t, book.IsIPBanned(netip.MustParseAddr("192.0.2.7")))

	// A fresh service on the same book, with no initial peers, dials b
	// from what it learnt and still refuses the banned id.
	a2 := startNode(t, cfgA, 1, false)
	require.True(t, a2.Book().IsBanned(banned))
	protocoltest.Eventually(t, waitFor, connected(a2, b), "a2 dials b from its book")
}

// rawPeer is a bare client after a successful handshake with a.
type rawPeer struct {
	c  net.Conn
	br interface{ Read([]byte) (int, error) }
	l  protocol.Limits
}

func newRawPeer(t *testing.T, a node, key byte) (*rawPeer, protocol.PeerID) {
	t.Helper()
	l := a.Limits()
	c := dial(t, a)
	k := protocoltest.Key(key)
	_, br, err := protocol.RawHandshake(c, k, protocoltest.Version, &l, nil)
	require.NoError(t, err)
	id := protocol.PeerID(k.Public())
	protocoltest.Eventually(t, waitFor, func() bool { _, ok := a.Peers()[id]; return ok }, "registered")
	return &rawPeer{c: c, br: br, l: l}, id
}

// next reads messages until one satisfies match.
func (r *rawPeer) next(t *testing.T, match func(protocol.Message) bool) protocol.Message {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(waitFor))
	for {
		payload, _, err := protocol.ReadMessageFrame(r.br, &r.l)
		require.NoError(t, err)
		m, err := protocol.DecodeMessage(payload, &r.l)
		require.NoError(t, err)
		if match(m) {
			return m
		}
	}
}

func TestRetrievalViolationsBan(t *testing.T) {
	a := startNode(t, protocoltest.Config(), 1, false)
	ops := protocoltest.Operations(protocoltest.Key(10), 0, 3)
	other := protocoltest.Operations(protocoltest.Key(10), 100, 1)
	isReq := func(info protocol.BlockInfo) func(protocol.Message) bool {
		return func(m protocol.Message) bool {
			r, ok := m.(*protocol.BlockDataRequest)
			return ok && r.Info == info
		}
	}

	t.Run("ids not matching the merkle root", func(t *testing.T) {
		blk := protocoltest.Block(protocoltest.Key(11), ops, 0)
		r, id := newRawPeer(t, a, 40)
		_, err := r.c.Write(protocol.EncodeFrame(&protocol.HeaderMessage{Header: blk.Header}))
		require.NoError(t, err)
		req := r.next(t, isReq(protocol.InfoOperationIDs)).(*protocol.BlockDataRequest)
		require.Equal(t, blk.ID(), req.BlockID)
		_, _ = r.c.Write(protocol.EncodeFrame(&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperationIDs, OperationIDs: blk.Operations[:2]}))
		require.True(t, closedByPeer(r.c))
		require.True(t, a.Book().IsBanned(id))
		require.True(t, a.h.HasHeader(blk.ID()), "the header itself was valid")
	})

	t.Run("operation not in the block", func(t *testing.T) {
		blk := protocoltest.Block(protocoltest.Key(13), ops[:2], 1)
		r, id := newRawPeer(t, a, 41)
		_, err := r.c.Write(protocol.EncodeFrame(&protocol.HeaderMessage{Header: blk.Header}))
		require.NoError(t, err)
		r.next(t, isReq(protocol.InfoOperationIDs))
		_, err = r.c.Write(protocol.EncodeFrame(&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperationIDs, OperationIDs: blk.Operations}))
		require.NoError(t, err)
		req := r.next(t, isReq(protocol.InfoOperations)).(*protocol.BlockDataRequest)
		require.Equal(t, blk.Operations, req.OperationIDs)
		_, _ = r.c.Write(protocol.EncodeFrame(&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperations, Operations: other}))
		require.True(t, closedByPeer(r.c))
		require.True(t, a.Book().IsBanned(id))
		require.False(t, a.h.HasBlock(blk.ID()))
	})

	t.Run("honest raw peer delivers", func(t *testing.T) {
		blk := protocoltest.Block(protocoltest.Key(14), ops, 0)
		r, id := newRawPeer(t, a, 42)
		_, err := r.c.Write(protocol.EncodeFrame(&protocol.HeaderMessage{Header: blk.Header}))
		require.NoError(t, err)
		r.next(t, isReq(protocol.InfoOperationIDs))
		_, err = r.c.Write(protocol.EncodeFrame(&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperationIDs, OperationIDs: blk.Operations}))
		require.NoError(t, err)
		r.next(t, isReq(protocol.InfoOperations))
		_, err = r.c.Write(protocol.EncodeFrame(&protocol.BlockDataResponse{BlockID: blk.ID(), Info: protocol.InfoOperations, Operations: ops}))
		require.NoError(t, err)
		protocoltest.Eventually(t, waitFor, func() bool { return a.h.HasBlock(blk.ID()) }, "block delivered")
		require.False(t, a.Book().IsBanned(id))
		require.Equal(t, id, a.h.BlockFrom(blk.ID()))
	})
}
