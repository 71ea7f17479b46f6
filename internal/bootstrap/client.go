package bootstrap

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// ServerAddr is one entry of [bootstrap] bootstrap_list: where the server
// listens and its node id, the key every message must be signed with.
type ServerAddr struct {
	Addr netip.AddrPort
	ID   crypto.PublicKey
}

func (a ServerAddr) String() string { return a.Addr.String() }

// BlockSink receives the final blocks of a bootstrap (the node's block
// database).
type BlockSink interface {
	// SaveBlocks stores final blocks in the stored-block form; it is
	// called before the state is made final, so that a crash in between
	// resumes the bootstrap instead of starting a node with no blocks.
	SaveBlocks(blocks [][]byte) error
	// WipeBlocks deletes every stored block (a bootstrap starting over).
	WipeBlocks() error
}

// Progress is what a client reports after each part.
type Progress struct {
	Server string
	Slot   types.Slot
	// Entries and Bytes count the state loaded so far, including what an
	// interrupted earlier session loaded.
	Entries, Bytes uint64
	// Totals is the whole state's size when the server said it.
	Totals Totals
	// SessionBytes is the state received in this session, over Elapsed.
	SessionBytes uint64
	Elapsed      time.Duration
	Blocks       int
	StateDone    bool
}

// ClientConfig configures Run. Zero durations take Massa's defaults.
type ClientConfig struct {
	Servers []ServerAddr
	Version protocol.Version
	Limits  Limits
	// LastStartPeriod is the node's own (from its genesis); a server that
	// announces another belongs to another network restart.
	LastStartPeriod uint64

	ConnectTimeout, ReadTimeout, WriteTimeout time.Duration
	ReadErrorTimeout, WriteErrorTimeout       time.Duration
	MaxPing, MaxClockDelta, RetryDelay        time.Duration
	// RateLimit bounds the bytes per second read; 0: none.
	RateLimit uint64
	// Seed shuffles the server list.
	Seed uint64
	// MaxRounds stops after that many rounds over the list; 0 tries until
	// ctx ends, as Massa does.
	MaxRounds int
	// ConfigFile is named in error messages (the keys to change are in it).
	ConfigFile string
	// Now is the clock ping and clock differences are measured with (tests
	// step it; a node passes its own); nil is time.Now. I/O deadlines
	// always use the real clock. Random gives the handshake bytes; nil is
	// crypto/rand.
	Now    func() time.Time
	Random io.Reader
	Logger *slog.Logger
	// OnProgress, if set, is called after each part.
	OnProgress func(Progress)
}

// DefaultClientConfig has Massa's [bootstrap] defaults.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		ConnectTimeout:    15 * time.Second,
		ReadTimeout:       300 * time.Second,
		WriteTimeout:      300 * time.Second,
		ReadErrorTimeout:  200 * time.Millisecond,
		WriteErrorTimeout: 200 * time.Millisecond,
		MaxPing:           10 * time.Second,
		MaxClockDelta:     5 * time.Second,
		RetryDelay:        60 * time.Second,
		RateLimit:         20 << 20,
	}
}

func (c *ClientConfig) fill() {
	d := DefaultClientConfig()
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.ConnectTimeout, d.ConnectTimeout}, {&c.ReadTimeout, d.ReadTimeout}, {&c.WriteTimeout, d.WriteTimeout},
		{&c.ReadErrorTimeout, d.ReadErrorTimeout}, {&c.WriteErrorTimeout, d.WriteErrorTimeout},
		{&c.MaxPing, d.MaxPing}, {&c.MaxClockDelta, d.MaxClockDelta}, {&c.RetryDelay, d.RetryDelay},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if c.Limits.ThreadCount == 0 {
		c.Limits = DefaultLimits(32)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ConfigFile == "" {
		c.ConfigFile = "config.toml"
	}
}

// Result describes a finished bootstrap.
type Result struct {
	Server      ServerAddr
	Slot        types.Slot
	Fingerprint crypto.Hash
	Peers       []protocol.PeerListeners
	// Entries and Bytes are the state received in the successful session
	// (less than the whole state when it resumed an earlier one).
	Entries, Bytes uint64
	Resumed        bool
	Blocks         int
	Duration       time.Duration
}

// tag is what the store keeps with a load in progress: the server's key
// and the fingerprint it announced.
func makeTag(id crypto.PublicKey, fp crypto.Hash) []byte {
	return append(append([]byte{}, id[:]...), fp[:]...)
}

func parseTag(b []byte) (crypto.PublicKey, crypto.Hash, bool) {
	if len(b) != crypto.PublicKeySize+crypto.HashSize {
		return crypto.PublicKey{}, crypto.Hash{}, false
	}
	return crypto.PublicKey(b[:crypto.PublicKeySize]), crypto.Hash(b[crypto.PublicKeySize:]), true
}

// Run bootstraps st (empty, or holding an unfinished load to resume) from
// the configured servers. It tries them in a shuffled order (the one the
// unfinished load came from first), waiting RetryDelay between rounds,
// until one succeeds, ctx ends, MaxRounds is reached or a local failure
// (ErrLocal) makes retrying pointless.
func Run(ctx context.Context, cfg ClientConfig, st *store.Store, blocks BlockSink) (*Result, error) {
	cfg.fill()
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%w: [bootstrap] bootstrap_list in %s is empty", ErrNoServer, cfg.ConfigFile)
	}
	if s, ok := st.FinalSlot(); ok {
		return nil, fmt.Errorf("%w: the store already holds the final state of slot %s", ErrLocal, s)
	}
	order := shuffled(cfg.Servers, cfg.Seed)
	if p, ok := st.LoadInProgress(); ok {
		if id, _, ok := parseTag(p.Tag); ok {
			for i, srv := range order {
				if srv.ID == id {
					order = append([]ServerAddr{srv}, append(order[:i:i], order[i+1:]...)...)
					break
				}
			}
		}
		cfg.Logger.Info("resuming an interrupted bootstrap", "slot", p.Slot, "entries", p.Entries, "bytes", p.Bytes)
	}
	var last error
	for round := 0; ; round++ {
		for _, srv := range order {
			c := &client{cfg: &cfg, srv: srv, st: st, blocks: blocks}
			res, err := c.run(ctx)
			if err == nil {
				return res, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			last = err
			if errors.Is(err, ErrLocal) {
				return nil, err
			}
			cfg.Logger.Warn("bootstrap attempt failed; trying the next server", "server", srv.String(), "err", err)
		}
		if cfg.MaxRounds > 0 && round+1 >= cfg.MaxRounds {
			return nil, fmt.Errorf("%w: every server of [bootstrap] bootstrap_list failed; last: %w", ErrNoServer, last)
		}
		cfg.Logger.Warn("no bootstrap server could be used; retrying", "in", cfg.RetryDelay, "key", "[bootstrap] retry_delay")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(cfg.RetryDelay):
		}
	}
}

// shuffled returns the servers, one per node id, in a seeded random order.
func shuffled(in []ServerAddr, seed uint64) []ServerAddr {
	seen := make(map[crypto.PublicKey]bool)
	var out []ServerAddr
	for _, s := range in {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, s)
		}
	}
	r := mrand.New(mrand.NewPCG(seed, seed^0x6a09e667f3bcc909))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// client is one session with one server.
type client struct {
	cfg    *ClientConfig
	srv    ServerAddr
	st     *store.Store
	blocks BlockSink
	conn   net.Conn
	r      *bufio.Reader
	chain  chain
}

func (c *client) read(timeout time.Duration) (ServerMessage, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	raw, err := readServerFrame(c.r, c.srv.ID, &c.chain, c.cfg.Limits.MaxServerMessage)
	if errors.Is(err, ErrBadSignature) {
		return nil, fmt.Errorf("%w: bootstrap server %s sent a message not signed by %s, the node id [bootstrap] bootstrap_list gives for it in %s: it is another node, or the connection was tampered with",
			ErrBadSignature, c.srv, c.srv.ID.NodeID(), c.cfg.ConfigFile)
	}
	if err != nil {
		return nil, err
	}
	m, err := DecodeServer(raw, c.cfg.Limits)
	if err != nil {
		return nil, err
	}
	if e, ok := m.(*ServerError); ok {
		return nil, &RefusedError{Server: c.srv.String(), Text: e.Text, RetryAfter: time.Duration(e.RetryAfterMS) * time.Millisecond}
	}
	return m, nil
}

func (c *client) send(m ClientMessage, timeout time.Duration) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	return writeClientFrame(c.conn, &c.chain, m.appendClient(nil))
}

func (c *client) run(ctx context.Context) (_ *Result, err error) {
	cfg := c.cfg
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.srv.Addr.String())
	if err != nil {
		return nil, fmt.Errorf("cannot connect to bootstrap server %s (within [bootstrap] connect_timeout = %d ms): %w", c.srv, cfg.ConnectTimeout.Milliseconds(), err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.conn = conn
	c.r = bufio.NewReaderSize(newRateConn(conn, cfg.RateLimit), 256<<10)
	defer func() {
		// Tell the server why we give up, if the connection still works.
		var ref *RefusedError
		if err != nil && !errors.As(err, &ref) && ctx.Err() == nil {
			_ = c.send(&ClientError{Text: clipText(err.Error())}, cfg.WriteErrorTimeout)
		}
	}()

	// A refusal comes at once, before the handshake.
	if err := conn.SetReadDeadline(time.Now().Add(cfg.ReadErrorTimeout)); err != nil {
		return nil, err
	}
	if _, perr := c.r.Peek(1); perr == nil {
		if _, err := c.read(cfg.ReadTimeout); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: bootstrap server %s spoke before the handshake", ErrUnexpected, c.srv)
	} else if ne, ok := perr.(net.Error); !ok || !ne.Timeout() {
		return nil, fmt.Errorf("bootstrap server %s closed the connection: %w", c.srv, perr)
	}

	var random [RandomSize]byte
	if _, err := io.ReadFull(cfg.Random, random[:]); err != nil {
		return nil, fmt.Errorf("%w: random bytes: %w", ErrLocal, err)
	}
	hs := handshake(cfg.Version, random)
	if err := conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout)); err != nil {
		return nil, err
	}
	sent := cfg.Now()
	if _, err := conn.Write(hs); err != nil {
		return nil, fmt.Errorf("handshake with %s: %w", c.srv, err)
	}
	c.chain = chain{prev: crypto.HashOf(hs), has: true}
	if took := cfg.Now().Sub(sent); took > cfg.MaxPing {
		return nil, c.pingError(took)
	}
	m, err := c.read(cfg.ReadTimeout)
	if err != nil {
		return nil, err
	}
	bt, ok := m.(*BootstrapTime)
	if !ok {
		return nil, fmt.Errorf("%w: %s instead of BootstrapTime", ErrUnexpected, messageName(m))
	}
	received := cfg.Now()
	ping := received.Sub(sent)
	if !bt.Version.Compatible(cfg.Version) {
		return nil, fmt.Errorf("%w: bootstrap server %s runs version %s, this node %s: choose a server of this network in [bootstrap] bootstrap_list (%s), or update this node",
			ErrVersion, c.srv, bt.Version, cfg.Version, cfg.ConfigFile)
	}
	if ping > cfg.MaxPing {
		return nil, c.pingError(ping)
	}
	serverNow := time.UnixMilli(int64(bt.ServerTimeMS)).Add(ping / 2)
	if delta := serverNow.Sub(received); delta > cfg.MaxClockDelta || -delta > cfg.MaxClockDelta {
		dir := "ahead of"
		if delta < 0 {
			dir, delta = "behind", -delta
		}
		return nil, fmt.Errorf("%w: bootstrap server %s's clock is %s %s this computer's, more than [bootstrap] max_clock_delta = %d ms in %s: synchronize this computer's clock (e.g. `timedatectl set-ntp true`, or install chrony/ntpd)",
			ErrClock, c.srv, delta.Round(time.Millisecond), dir, cfg.MaxClockDelta.Milliseconds(), cfg.ConfigFile)
	}
	cfg.Logger.Info("connected to bootstrap server", "server", c.srv.String(), "node_id", c.srv.ID.NodeID(), "version", bt.Version.String(), "ping", ping.Round(time.Millisecond))
	return c.load(ctx)
}

func (c *client) pingError(took time.Duration) error {
	return fmt.Errorf("%w: bootstrap server %s answered in %s, more than [bootstrap] max_ping = %d ms in %s: raise max_ping if this connection is slow, or list a closer server",
		ErrPing, c.srv, took.Round(time.Millisecond), c.cfg.MaxPing.Milliseconds(), c.cfg.ConfigFile)
}

func clipText(s string) string {
	if len(s) > 1000 {
		return s[:1000]
	}
	return s
}

// local marks a failure of this node's storage.
func local(err error) error { return fmt.Errorf("%w: %w", ErrLocal, err) }

// load runs the streaming part of a session.
func (c *client) load(ctx context.Context) (*Result, error) {
	cfg := c.cfg
	start := time.Now() // throughput is measured on the real clock
	res := &Result{Server: c.srv}
	var (
		loader   *store.Loader
		wantFP   crypto.Hash
		haveFP   bool
		slot     types.Slot
		blocks   [][]byte
		done     bool
		prog     Progress
		finished bool
	)
	defer func() {
		if loader != nil && !finished {
			loader.Close()
		}
	}()
	ask := &AskBootstrapPart{SendLastStartPeriod: true}
	if p, ok := c.st.LoadInProgress(); ok {
		slot = p.Slot
		ask.LastSlot = &slot
		if p.LastKey != nil {
			ask.Step, ask.LastKey = StepOngoing, p.LastKey
		}
		if _, fp, ok := parseTag(p.Tag); ok {
			wantFP, haveFP = fp, true
		}
		var err error
		if loader, err = c.st.ResumeLoad(); err != nil {
			return nil, local(err)
		}
		res.Resumed = true
		prog.Entries, prog.Bytes = p.Entries, p.Bytes
	}
	prog.Server = c.srv.String()
	if err := c.send(ask, cfg.WriteTimeout); err != nil {
		return nil, err
	}
	restart := func() error {
		if loader != nil {
			loader.Close()
			loader = nil
		}
		if err := c.st.Wipe(); err != nil {
			return local(err)
		}
		if err := c.blocks.WipeBlocks(); err != nil {
			return local(err)
		}
		haveFP, blocks, done, res.Resumed = false, nil, false, false
		prog = Progress{Server: c.srv.String()}
		res.Entries, res.Bytes = 0, 0
		return c.send(&AskBootstrapPart{SendLastStartPeriod: true}, cfg.WriteTimeout)
	}
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m, err := c.read(cfg.ReadTimeout)
		if err != nil {
			return nil, err
		}
		switch m := m.(type) {
		case *SlotTooOld:
			cfg.Logger.Warn("the bootstrap server no longer has the state this node was loading; starting over", "server", c.srv.String(), "slot", slot)
			if err := restart(); err != nil {
				return nil, err
			}
			continue
		case *BootstrapFinished:
			if !done || loader == nil {
				return nil, fmt.Errorf("%w: BootstrapFinished before the end of the state", ErrUnexpected)
			}
		case *BootstrapPart:
			if m.LastStartPeriod != nil && *m.LastStartPeriod != cfg.LastStartPeriod {
				return nil, fmt.Errorf("%w: bootstrap server %s's network restarted at period %d, this node's genesis says %d: use the genesis file of the current network",
					ErrVersion, c.srv, *m.LastStartPeriod, cfg.LastStartPeriod)
			}
			if loader == nil {
				slot, wantFP, haveFP = m.Slot, m.StateFingerprint, true
				if loader, err = c.st.BeginLoad(slot, makeTag(c.srv.ID, wantFP)); err != nil {
					return nil, local(err)
				}
				cfg.Logger.Info("bootstrap: receiving the final state", "server", c.srv.String(), "slot", slot, "fingerprint", wantFP)
			}
			if m.Slot != slot || (haveFP && m.StateFingerprint != wantFP) {
				return nil, fmt.Errorf("%w: part of slot %s (fingerprint %s) in a stream of slot %s (fingerprint %s)", ErrStateMismatch, m.Slot, m.StateFingerprint, slot, wantFP)
			}
			wantFP, haveFP = m.StateFingerprint, true
			if done && len(m.Entries) > 0 {
				return nil, fmt.Errorf("%w: state entries after the end of the state", ErrUnexpected)
			}
			keys, values := make([][]byte, len(m.Entries)), make([][]byte, len(m.Entries))
			var n uint64
			for i, e := range m.Entries {
				keys[i], values[i] = e.Key, e.Value
				n += uint64(len(e.Key) + len(e.Value))
			}
			if err := loader.PutBatch(keys, values); err != nil {
				if errors.Is(err, store.ErrKeyOrder) || errors.Is(err, store.ErrInvalidKey) {
					return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
				}
				return nil, local(err)
			}
			res.Entries += uint64(len(keys))
			prog.Entries += uint64(len(keys))
			res.Bytes += n
			prog.Bytes += n
			prog.SessionBytes += n
			if len(m.Entries) > 0 {
				if err := loader.Flush(); err != nil {
					return nil, local(err)
				}
			}
			done = done || m.StateDone
			blocks = append(blocks, m.Blocks...)
			if m.Totals != nil {
				prog.Totals = *m.Totals
			}
			prog.Slot, prog.Blocks, prog.StateDone = slot, len(blocks), done
			prog.Elapsed = time.Since(start)
			if cfg.OnProgress != nil {
				cfg.OnProgress(prog)
			}
			continue
		default:
			return nil, fmt.Errorf("%w: %s while streaming", ErrUnexpected, messageName(m))
		}
		break
	}
	if err := c.blocks.SaveBlocks(blocks); err != nil {
		if errors.Is(err, ErrMalformed) {
			return nil, err
		}
		return nil, local(err)
	}
	if err := loader.Finish(wantFP); err != nil {
		if errors.Is(err, store.ErrStateHashMismatch) {
			// Everything received is suspect: start from nothing.
			loader.Close()
			loader = nil
			if werr := c.st.Wipe(); werr != nil {
				return nil, local(werr)
			}
			if werr := c.blocks.WipeBlocks(); werr != nil {
				return nil, local(werr)
			}
			return nil, fmt.Errorf("%w: %w", ErrStateMismatch, err)
		}
		return nil, local(err)
	}
	finished = true
	res.Slot, res.Fingerprint, res.Blocks = slot, wantFP, len(blocks)

	if err := c.send(&AskBootstrapPeers{}, cfg.WriteTimeout); err != nil {
		return c.finish(res, start, err)
	}
	m, err := c.read(cfg.ReadTimeout)
	if err != nil {
		return c.finish(res, start, err)
	}
	if p, ok := m.(*BootstrapPeers); ok {
		res.Peers = p.Peers
	}
	_ = c.send(&BootstrapSuccess{}, cfg.WriteTimeout)
	return c.finish(res, start, nil)
}

// finish completes a session whose state is loaded: failing to get peers
// then does not undo the bootstrap (the node has its initial peers).
func (c *client) finish(res *Result, start time.Time, peerErr error) (*Result, error) {
	res.Duration = time.Since(start)
	if peerErr != nil {
		c.cfg.Logger.Warn("bootstrap: no peer list from the server", "server", c.srv.String(), "err", peerErr)
	}
	return res, nil
}
