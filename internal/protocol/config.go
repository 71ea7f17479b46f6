package protocol

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// PeerAddr is a node to connect to: its address and, when known, its id.
// A connection answered by another id is dropped.
type PeerAddr struct {
	Addr   netip.AddrPort
	NodeID PeerID // zero: accept whatever id answers
}

// Config is the P2P configuration. Durations and sizes have Massa's
// defaults (DefaultConfig); the network parameters (Version, ChainID,
// Codec) must match the rest of the node.
type Config struct {
	// Bind is the listen address. "[::]:port" falls back to
	// "0.0.0.0:port" when the machine has no IPv6. Empty: no listener
	// (outgoing connections only).
	Bind string
	// RoutableIP is announced to peers with the listen port; invalid or
	// empty: no listener is announced and peers will not dial us.
	RoutableIP netip.Addr
	// InitialPeers are always kept in the peer book and tried first.
	InitialPeers []PeerAddr
	// PeerBookPath is where the peer book is saved as JSON (atomically)
	// and loaded from at start. Empty: not persisted.
	PeerBookPath string
	// Whitelist holds IPs or CIDR prefixes exempt from connection limits
	// and IP bans.
	Whitelist []netip.Prefix
	// AllowLocalPeers accepts loopback, private and link-local listeners
	// learnt from peers (tests, private networks). Initial peers are
	// always accepted.
	AllowLocalPeers bool

	// Connection limits (Massa: 250 in, 2 in per IP, 10 out).
	MaxIn      int
	MaxInPerIP int
	TargetOut  int

	// MaxFrameSize bounds every frame (default 64 MiB).
	MaxFrameSize uint32
	// SendQueueLen bounds the frames queued for one peer; a peer whose
	// queue overflows is disconnected.
	SendQueueLen int
	// ReadTimeout drops a peer silent for that long (peers exchange
	// ListPeers every PeerListInterval, so a live peer is never silent).
	ReadTimeout time.Duration
	// WriteTimeout bounds the write of one frame.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds every step of the handshake (5 s).
	HandshakeTimeout time.Duration
	// DialTimeout bounds an outgoing TCP connect (1 s).
	DialTimeout time.Duration
	// ConnectInterval is how often the connector looks for peers to dial
	// (250 ms); RetryInterval how long it waits before dialing the same
	// peer again (10 s).
	ConnectInterval time.Duration
	RetryInterval   time.Duration
	// MaxPendingHandshakes bounds incoming connections in handshake.
	MaxPendingHandshakes int
	// BanDuration is how long a ban lasts (Massa unbans everyone every
	// 24 h).
	BanDuration time.Duration
	// PeerListInterval is how often each peer gets ListPeers (10 s).
	PeerListInterval time.Duration
	// PeerBookSaveInterval is how often a changed peer book is saved.
	PeerBookSaveInterval time.Duration
	// MaxKnownPeers bounds the peer book.
	MaxKnownPeers int

	// Message limits (Massa: 5000 operations, 1024 endorsements, 100
	// peers, 100 listeners).
	MaxOperationsPerMessage   uint32
	MaxEndorsementsPerMessage uint32
	MaxPeersPerMessage        uint32
	MaxListenersPerPeer       uint32

	// Block propagation and retrieval (Massa: 40 s, 300 blocks, 1 s
	// tick, 10 s ask timeout, 128 asks per peer).
	BlockKeepTime  time.Duration
	MaxBlocksKept  int
	BlockTick      time.Duration
	AskTimeout     time.Duration
	MaxAsksPerPeer int
	// MaxWishlist bounds the blocks being retrieved at once.
	MaxWishlist int
	// AutoFetch retrieves the full block of every new valid header the
	// node does not hold (Handler.GetBlock). Off, the node asks with
	// AskBlocks.
	AutoFetch bool

	// Operation propagation (Massa: announce every 300 ms or at 2000
	// buffered, defer a prefix asked elsewhere in the last 500 ms, keep
	// 32 s and at most 320 000 for propagation).
	OpAnnounceInterval time.Duration
	OpAnnounceBuffer   int
	OpAskDeferral      time.Duration
	OpKeepTime         time.Duration
	MaxOpsKept         int

	// Cache sizes (Massa: known blocks 1024 per node and per peer, known
	// operations 1 000 000 per node and 200 000 per peer, endorsements
	// 2048 per node and per peer).
	KnownBlocks           int
	PeerKnownBlocks       int
	KnownOps              int
	PeerKnownOps          int
	KnownEndorsements     int
	PeerKnownEndorsements int

	// Network parameters.
	Version Version
	ChainID uint64
	Codec   types.CodecParams
}

// DefaultConfig returns Massa's defaults, listening on "[::]:31244". The
// caller sets Version and ChainID.
func DefaultConfig() Config {
	return Config{
		Bind:                      "[::]:31244",
		MaxIn:                     250,
		MaxInPerIP:                2,
		TargetOut:                 10,
		MaxFrameSize:              DefaultMaxFrameSize,
		SendQueueLen:              1024,
		ReadTimeout:               60 * time.Second,
		WriteTimeout:              10 * time.Second,
		HandshakeTimeout:          DefaultHandshakeTimeout,
		DialTimeout:               time.Second,
		ConnectInterval:           250 * time.Millisecond,
		RetryInterval:             10 * time.Second,
		MaxPendingHandshakes:      64,
		BanDuration:               24 * time.Hour,
		PeerListInterval:          10 * time.Second,
		PeerBookSaveInterval:      time.Minute,
		MaxKnownPeers:             10_000,
		MaxOperationsPerMessage:   5000,
		MaxEndorsementsPerMessage: 1024,
		MaxPeersPerMessage:        100,
		MaxListenersPerPeer:       100,
		BlockKeepTime:             40 * time.Second,
		MaxBlocksKept:             300,
		BlockTick:                 time.Second,
		AskTimeout:                10 * time.Second,
		MaxAsksPerPeer:            128,
		MaxWishlist:               2048,
		AutoFetch:                 true,
		OpAnnounceInterval:        300 * time.Millisecond,
		OpAnnounceBuffer:          2000,
		OpAskDeferral:             500 * time.Millisecond,
		OpKeepTime:                32 * time.Second,
		MaxOpsKept:                320_000,
		KnownBlocks:               1024,
		PeerKnownBlocks:           1024,
		KnownOps:                  1_000_000,
		PeerKnownOps:              200_000,
		KnownEndorsements:         2048,
		PeerKnownEndorsements:     2048,
		Codec:                     types.DefaultCodecParams(),
	}
}

// Validate checks every value and names the first bad one.
func (c *Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("protocol config %s: %s: %w", field, fmt.Sprintf(format, args...), ErrConfig)
	}
	if c.Bind != "" {
		if _, err := netip.ParseAddrPort(c.Bind); err != nil {
			return bad("bind", "%q is not ip:port (%v)", c.Bind, err)
		}
	}
	if c.Version.Instance == [4]byte{} {
		return bad("version", "not set")
	}
	if c.ChainID == 0 {
		return bad("chain_id", "not set")
	}
	if c.Codec.ThreadCount == 0 || c.Codec.MaxBlockSize == 0 || c.Codec.MaxOperationsPerBlock == 0 {
		return bad("codec", "thread count, max block size and max operations per block must be set")
	}
	for _, p := range c.InitialPeers {
		if !p.Addr.IsValid() || p.Addr.Port() == 0 {
			return bad("initial_peers", "address %v needs an ip and a port", p.Addr)
		}
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"max_in_connections", int64(c.MaxIn)}, {"max_in_connections_per_ip", int64(c.MaxInPerIP)},
		{"send_queue_len", int64(c.SendQueueLen)},
		{"read_timeout", int64(c.ReadTimeout)}, {"write_timeout", int64(c.WriteTimeout)},
		{"handshake_timeout", int64(c.HandshakeTimeout)}, {"dial_timeout", int64(c.DialTimeout)},
		{"connect_interval", int64(c.ConnectInterval)}, {"retry_interval", int64(c.RetryInterval)},
		{"max_pending_handshakes", int64(c.MaxPendingHandshakes)},
		{"ban_duration", int64(c.BanDuration)}, {"peer_list_interval", int64(c.PeerListInterval)},
		{"peer_book_save_interval", int64(c.PeerBookSaveInterval)}, {"max_known_peers", int64(c.MaxKnownPeers)},
		{"max_operations_per_message", int64(c.MaxOperationsPerMessage)},
		{"max_endorsements_per_message", int64(c.MaxEndorsementsPerMessage)},
		{"max_peers_per_message", int64(c.MaxPeersPerMessage)},
		{"max_listeners_per_peer", int64(c.MaxListenersPerPeer)},
		{"block_keep_time", int64(c.BlockKeepTime)}, {"max_blocks_kept", int64(c.MaxBlocksKept)},
		{"block_tick", int64(c.BlockTick)}, {"ask_timeout", int64(c.AskTimeout)},
		{"max_asks_per_peer", int64(c.MaxAsksPerPeer)}, {"max_wishlist", int64(c.MaxWishlist)},
		{"op_announce_interval", int64(c.OpAnnounceInterval)}, {"op_announce_buffer", int64(c.OpAnnounceBuffer)},
		{"op_keep_time", int64(c.OpKeepTime)}, {"max_ops_kept", int64(c.MaxOpsKept)},
		{"known_blocks", int64(c.KnownBlocks)}, {"peer_known_blocks", int64(c.PeerKnownBlocks)},
		{"known_ops", int64(c.KnownOps)}, {"peer_known_ops", int64(c.PeerKnownOps)},
		{"known_endorsements", int64(c.KnownEndorsements)}, {"peer_known_endorsements", int64(c.PeerKnownEndorsements)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return bad(p.name, "must be positive, got %d", p.v)
		}
	}
	if c.TargetOut < 0 {
		return bad("target_out_connections", "must not be negative")
	}
	if c.OpAskDeferral < 0 {
		return bad("op_ask_deferral", "must not be negative")
	}
	l := c.Limits()
	l.MaxFrameSize = math.MaxUint32 // what a full block response needs, uncapped
	if need := l.MaxPayload(KindBlockDataResponse); uint64(c.MaxFrameSize) < need || c.MaxFrameSize < 1<<20 {
		return bad("max_frame_size", "%d bytes cannot carry a full block response (%d bytes) or is under 1 MiB", c.MaxFrameSize, need)
	}
	return nil
}

// Limits returns the decoder limits of c.
func (c *Config) Limits() Limits {
	return Limits{
		ChainID:                   c.ChainID,
		Codec:                     c.Codec,
		MaxOperationsPerMessage:   c.MaxOperationsPerMessage,
		MaxEndorsementsPerMessage: c.MaxEndorsementsPerMessage,
		MaxPeersPerMessage:        c.MaxPeersPerMessage,
		MaxListenersPerPeer:       c.MaxListenersPerPeer,
		MaxFrameSize:              c.MaxFrameSize,
	}
}
