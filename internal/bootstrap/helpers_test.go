package bootstrap

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

const testThreads = 4

var testVersion = protocol.Version{Instance: [4]byte{'T', 'E', 'S', 'T'}, Major: 5, Minor: 1}

func testKey(i byte) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	seed[0] = i
	copy(seed[1:], "bootstrap-test-key")
	return crypto.SecretKeyFromSeed(seed)
}

// ledgerKey builds a key shaped as Massa's ledger keys: prefix, varint 0,
// a 33-byte address, a type byte.
func ledgerKey(i uint64, typ byte) []byte {
	var addr [32]byte
	binary.BigEndian.PutUint64(addr[:], i)
	h := crypto.HashOf(addr[:])
	k := append([]byte(store.PrefixLedger), 0, 0)
	k = append(k, h[:]...)
	return append(k, typ)
}

// fillStore commits n addresses (version and balance keys) plus a few
// other prefixes, and returns the final slot.
func fillStore(t testing.TB, st *store.Store, n int, from types.Slot) types.Slot {
	t.Helper()
	slot := from
	b := st.NewBatch()
	commit := func() {
		slot = slot.Next(testThreads)
		if err := st.Commit(b, slot); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		b.Put(ledgerKey(uint64(i), 0), []byte{0})
		b.Put(ledgerKey(uint64(i), 1), types.AppendUvarint(nil, uint64(i)*1_000_000_000+7))
		if b.Len() >= 100_000 {
			commit()
		}
	}
	b.Put([]byte(store.PrefixCycleHistory+"c0"), bytes.Repeat([]byte{7}, 300))
	b.Put([]byte(store.PrefixExecutionTrailHash), make([]byte, 32))
	commit()
	return slot
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// memBlocks is a block source and sink in memory.
type memBlocks struct {
	mu     sync.Mutex
	blocks [][]byte
	asked  []types.Slot
	wiped  int
}

func (m *memBlocks) FinalBlocks(s types.Slot) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked = append(m.asked, s)
	return slices.Clone(m.blocks), nil
}

func (m *memBlocks) SaveBlocks(b [][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks = append(m.blocks, b...)
	return nil
}

func (m *memBlocks) WipeBlocks() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks = nil
	m.wiped++
	return nil
}

type fixedPeers []protocol.PeerListeners

func (p fixedPeers) BootstrapPeers(n int) []protocol.PeerListeners { return p[:min(n, len(p))] }

func testPeers() fixedPeers {
	return fixedPeers{{
		ID:        protocol.PeerID(testKey(9).Public()),
		Listeners: []protocol.Listener{{Addr: netip.MustParseAddrPort("203.0.113.7:31244"), Transport: protocol.TransportTCP}},
	}}
}

// testServer runs a server over st.
type testServer struct {
	*Server
	st     *store.Store
	blocks *memBlocks
	key    *crypto.SecretKey
}

func startServer(t testing.TB, st *store.Store, tweak func(*ServerConfig)) *testServer {
	t.Helper()
	blocks := &memBlocks{}
	for i := range 7 {
		blocks.blocks = append(blocks.blocks, bytes.Repeat([]byte{byte(i + 1)}, 1000+i))
	}
	cfg := DefaultServerConfig()
	cfg.Bind = "127.0.0.1:0"
	cfg.Key = testKey(1)
	cfg.Version = testVersion
	cfg.Limits = DefaultLimits(testThreads)
	cfg.RateLimit = 0
	cfg.PartBytes = 256 << 10
	cfg.BlocksPerPart = 3
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := NewServer(cfg, ServerDeps{State: StoreSource{Store: st}, Blocks: blocks, Peers: testPeers()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return &testServer{Server: s, st: st, blocks: blocks, key: cfg.Key}
}

func (s *testServer) addr() ServerAddr {
	return ServerAddr{Addr: netip.MustParseAddrPort(s.Addr().String()), ID: s.key.Public()}
}

func clientConfig(servers ...ServerAddr) ClientConfig {
	cfg := DefaultClientConfig()
	cfg.Servers = servers
	cfg.Version = testVersion
	cfg.Limits = DefaultLimits(testThreads)
	cfg.RateLimit = 0
	cfg.MaxRounds = 1
	cfg.RetryDelay = 10 * time.Millisecond
	cfg.ConnectTimeout = 5 * time.Second
	cfg.ReadTimeout = 20 * time.Second
	cfg.WriteTimeout = 20 * time.Second
	cfg.ReadErrorTimeout = 50 * time.Millisecond
	cfg.ConfigFile = "/home/test/config/config.toml"
	return cfg
}

// steppingClock advances by step at each call: each measured interval is
// at least step long.
func steppingClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Now()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}
