package protocol_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/protocol/protocoltest"
	"github.com/gomassa/gomassa/internal/types"
)

// A bootstrap server exports its known peers and itself; the new node
// imports them into its book, which keeps them across a restart.
func TestBootstrapPeersExportImport(t *testing.T) {
	cfgS := protocoltest.Config()
	cfgS.RoutableIP = loopback
	server := startNode(t, cfgS, 1, false)
	known := protocol.PeerID(protocoltest.Key(7).Public())
	server.LearnPeers([]protocol.PeerListeners{{ID: known, Listeners: []protocol.Listener{
		{Addr: netip.MustParseAddrPort("127.0.0.1:4000"), Transport: protocol.TransportTCP}}}})

	exported := server.BootstrapPeers(10)
	ids := map[protocol.PeerID]bool{}
	for _, p := range exported {
		ids[p.ID] = true
	}
	require.True(t, ids[known], "known peer exported")
	require.True(t, ids[server.ID()], "the server lists itself when it has a routable IP")

	// The wire form round-trips.
	var b []byte
	for _, p := range exported {
		b = protocol.AppendPeerListeners(b, p)
	}
	r := types.NewReader(b, "peers")
	for _, want := range exported {
		require.Equal(t, want, protocol.ReadPeerListeners(r, 100))
	}
	require.NoError(t, r.Done())

	path := filepath.Join(t.TempDir(), "peers.json")
	cfgC := protocoltest.Config()
	cfgC.PeerBookPath = path
	client := newNode(t, cfgC, 2, false)
	require.NoError(t, client.Start(context.Background()))
	client.LearnPeers(exported)
	require.NoError(t, client.Stop())
	book, err := protocol.LoadPeerBook(path, 100, nil, 1)
	require.NoError(t, err)
	saved := map[protocol.PeerID]bool{}
	for _, p := range book.Peers() {
		saved[p.ID] = true
	}
	require.True(t, saved[known] && saved[server.ID()], "imported peers saved: %v", book.Peers())
}
