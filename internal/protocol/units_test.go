package protocol_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/protocol/protocoltest"
)

func TestConfigValidate(t *testing.T) {
	ok := protocoltest.Config()
	require.NoError(t, ok.Validate())
	tests := []struct {
		name string
		edit func(c *protocol.Config)
	}{
		{"no version", func(c *protocol.Config) { c.Version = protocol.Version{} }},
		{"no chain id", func(c *protocol.Config) { c.ChainID = 0 }},
		{"bad bind", func(c *protocol.Config) { c.Bind = "localhost" }},
		{"zero queue", func(c *protocol.Config) { c.SendQueueLen = 0 }},
		{"frame too small for a block", func(c *protocol.Config) { c.MaxFrameSize = 100_000 }},
		{"initial peer without port", func(c *protocol.Config) {
			c.InitialPeers = []protocol.PeerAddr{{Addr: netip.AddrPortFrom(netip.MustParseAddr("1.2.3.4"), 0)}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := protocoltest.Config()
			tc.edit(&c)
			require.ErrorIs(t, c.Validate(), protocol.ErrConfig)
		})
	}
}

func TestParseInitialPeers(t *testing.T) {
	k1, k2 := protocoltest.Key(1).Public(), protocoltest.Key(2).Public()
	data := `{
	  "` + k1.String() + `": {"listeners": {"149.202.86.103:31244": "Tcp", "[2001:db8::1]:31244": "Quic"}, "category": "Bootstrap"},
	  "` + protocol.PeerID(k2).String() + `": {"listeners": {"[2001:db8::2]:31244": "Tcp"}}
	}`
	peers, err := protocol.ParseInitialPeers([]byte(data))
	require.NoError(t, err)
	require.Len(t, peers, 2)
	got := map[protocol.PeerID]netip.AddrPort{}
	for _, p := range peers {
		got[p.NodeID] = p.Addr
	}
	require.Equal(t, netip.MustParseAddrPort("149.202.86.103:31244"), got[protocol.PeerID(k1)])
	require.Equal(t, netip.MustParseAddrPort("[2001:db8::2]:31244"), got[protocol.PeerID(k2)])

	for _, bad := range []string{`[]`, `{"x": {}}`, `{"` + k1.String() + `": {"listeners": {"a:b": "Tcp"}}}`,
		`{"` + k1.String() + `": {"listeners": {"1.2.3.4:5": "Udp"}}}`, `{"` + k1.String() + `": {"other": 1}}`} {
		_, err := protocol.ParseInitialPeers([]byte(bad))
		require.ErrorIs(t, err, protocol.ErrInitialPeers, bad)
	}
}
