package bootstrap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

var errNoState = errors.New("bootstrap: the server has no final state yet")

// BlockSource gives the final blocks a client needs to rebuild consensus
// over the state of slot s: for each thread the latest final block at or
// before s, and every final block after s, in the node's stored-block form.
type BlockSource interface {
	FinalBlocks(s types.Slot) ([][]byte, error)
}

// PeerSource gives peers to hand out (the P2P service's peer book).
type PeerSource interface {
	BootstrapPeers(n int) []protocol.PeerListeners
}

// ServerConfig configures a Server. Zero durations and sizes take the
// defaults of DefaultServerConfig.
type ServerConfig struct {
	Bind            string
	Key             *crypto.SecretKey
	Version         protocol.Version
	Limits          Limits
	LastStartPeriod uint64

	MaxSimultaneous  int
	PerIPMinInterval time.Duration
	IPListMaxSize    int
	// WhitelistPath and BlacklistPath are JSON arrays of IPs; a missing
	// whitelist lets everyone in. Reloaded every CacheDuration.
	WhitelistPath, BlacklistPath string
	CacheDuration                time.Duration

	ReadTimeout, WriteTimeout           time.Duration
	ReadErrorTimeout, WriteErrorTimeout time.Duration
	// SessionTimeout bounds a whole session (bootstrap_timeout).
	SessionTimeout time.Duration
	// RateLimit bounds the bytes per second sent to one client; 0: none.
	RateLimit uint64

	// PartBytes is the state bytes per BootstrapPart; BlocksPerPart the
	// blocks per part.
	PartBytes     int
	BlocksPerPart int
	// SnapshotTTL is how long a snapshot is kept after its last use for a
	// client to resume; MaxSnapshots bounds how many are kept.
	SnapshotTTL  time.Duration
	MaxSnapshots int
	// MaxResumes is how many times a client whose stream broke may
	// reconnect before PerIPMinInterval applies to it again.
	MaxResumes int
	// BusyRetryAfter is the wait announced when every session slot is
	// taken.
	BusyRetryAfter time.Duration
	// PeerCount is how many peers BootstrapPeers lists (Massa: 100).
	PeerCount int

	// Now is the clock of BootstrapTime, admission intervals and snapshot
	// ages (tests skew it; a node passes its own); nil is time.Now. I/O
	// deadlines always use the real clock.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultServerConfig has Massa's [bootstrap] defaults.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		Bind:              "[::]:31245",
		MaxSimultaneous:   2,
		PerIPMinInterval:  180 * time.Second,
		IPListMaxSize:     10_000,
		CacheDuration:     15 * time.Second,
		ReadTimeout:       300 * time.Second,
		WriteTimeout:      300 * time.Second,
		ReadErrorTimeout:  200 * time.Millisecond,
		WriteErrorTimeout: 200 * time.Millisecond,
		SessionTimeout:    20 * time.Minute,
		RateLimit:         20 << 20,
		PartBytes:         1 << 20,
		BlocksPerPart:     50,
		SnapshotTTL:       5 * time.Minute,
		MaxSnapshots:      4,
		MaxResumes:        5,
		BusyRetryAfter:    30 * time.Second,
		PeerCount:         100,
	}
}

func (c *ServerConfig) fill() {
	d := DefaultServerConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&c.MaxSimultaneous, d.MaxSimultaneous)
	setInt(&c.IPListMaxSize, d.IPListMaxSize)
	setInt(&c.PartBytes, d.PartBytes)
	setInt(&c.BlocksPerPart, d.BlocksPerPart)
	setInt(&c.MaxSnapshots, d.MaxSnapshots)
	setInt(&c.MaxResumes, d.MaxResumes)
	setInt(&c.PeerCount, d.PeerCount)
	setDur(&c.CacheDuration, d.CacheDuration)
	setDur(&c.ReadTimeout, d.ReadTimeout)
	setDur(&c.WriteTimeout, d.WriteTimeout)
	setDur(&c.ReadErrorTimeout, d.ReadErrorTimeout)
	setDur(&c.WriteErrorTimeout, d.WriteErrorTimeout)
	setDur(&c.SessionTimeout, d.SessionTimeout)
	setDur(&c.SnapshotTTL, d.SnapshotTTL)
	setDur(&c.BusyRetryAfter, d.BusyRetryAfter)
	if c.PerIPMinInterval < 0 {
		c.PerIPMinInterval = 0
	}
	if c.Limits.ThreadCount == 0 {
		c.Limits = DefaultLimits(32)
	}
	if c.BlocksPerPart > int(c.Limits.MaxBlocks) {
		c.BlocksPerPart = int(c.Limits.MaxBlocks)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// ServerDeps are what a server reads from.
type ServerDeps struct {
	State  StateSource
	Blocks BlockSource
	Peers  PeerSource // nil: no peers handed out
}

// ipRecord is the per-IP admission history.
type ipRecord struct {
	last time.Time
	// unfinished is set when a session from the IP starts streaming and
	// cleared when one ends with BootstrapSuccess: a client whose stream
	// broke may then come back at once to resume (resumes times). It is
	// set at the start, not at the end, because the reconnection may
	// arrive before the server notices that the old connection died.
	unfinished bool
	resumes    int
}

// Server serves bootstraps. Start, then Stop.
type Server struct {
	cfg   ServerConfig
	deps  ServerDeps
	log   *slog.Logger
	snaps *snapshots
	white *ipList
	black *ipList

	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	active int
	conns  map[net.Conn]struct{}
	ips    map[netip.Addr]*ipRecord
	served uint64
}

// NewServer checks the configuration and builds a server.
func NewServer(cfg ServerConfig, deps ServerDeps) (*Server, error) {
	cfg.fill()
	if cfg.Key == nil {
		return nil, fmt.Errorf("bootstrap server: no node key")
	}
	if deps.State == nil || deps.Blocks == nil {
		return nil, fmt.Errorf("bootstrap server: no state or block source")
	}
	s := &Server{
		cfg: cfg, deps: deps, log: cfg.Logger,
		snaps: &snapshots{src: deps.State, max: cfg.MaxSnapshots, ttl: cfg.SnapshotTTL, now: cfg.Now},
		white: newIPList(cfg.WhitelistPath, cfg.CacheDuration),
		black: newIPList(cfg.BlacklistPath, cfg.CacheDuration),
		conns: make(map[net.Conn]struct{}),
		ips:   make(map[netip.Addr]*ipRecord),
	}
	return s, nil
}

// Start listens on cfg.Bind and serves until Stop or ctx ends.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Bind)
	if err != nil {
		return err
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go s.acceptLoop()
	go s.janitor()
	s.log.Info("bootstrap server listening", "addr", ln.Addr().String(), "max_simultaneous_bootstraps", s.cfg.MaxSimultaneous)
	return nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stop closes the listener and every session, waits for them and releases
// the snapshots.
func (s *Server) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.snaps.closeAll()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Sessions returns the number of sessions in progress.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// DropSnapshots forgets every snapshot no session is streaming: clients
// resuming from them get SlotTooOld.
func (s *Server) DropSnapshots() { s.snaps.dropIdle() }

// Snapshots returns the slots of the snapshots held for resumption.
func (s *Server) Snapshots() []types.Slot { return s.snaps.held() }

// janitor evicts expired snapshots even when no client comes.
func (s *Server) janitor() {
	defer s.wg.Done()
	every := max(s.cfg.SnapshotTTL/2, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.snaps.mu.Lock()
			s.snaps.evictLocked()
			s.snaps.mu.Unlock()
		}
	}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("bootstrap accept failed", "err", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			conn.Close()
		}()
	}
}

// refusal is why a client is not admitted.
type refusal struct {
	text  string
	retry time.Duration
}

// admit applies the admission rules to a new connection from ip. On
// success the session slot is taken; end releases it, streaming records
// that the session started to stream.
func (s *Server) admit(ip netip.Addr) (streaming func(), end func(success bool), ref *refusal) {
	now := s.cfg.Now()
	warn := func(msg string, args ...any) { s.log.Warn(msg, args...) }
	if _, listed := s.black.lookup(ip, now, warn); listed {
		return nil, nil, &refusal{text: fmt.Sprintf("IP %s is in the blacklist of this bootstrap server", ip)}
	}
	if exists, listed := s.white.lookup(ip, now, warn); exists && !listed {
		return nil, nil, &refusal{text: fmt.Sprintf("IP %s is not in the whitelist of this bootstrap server", ip)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active >= s.cfg.MaxSimultaneous {
		return nil, nil, &refusal{
			text:  fmt.Sprintf("no bootstrap slot available: this server already serves %d bootstraps (its [bootstrap] max_simultaneous_bootstraps)", s.active),
			retry: s.cfg.BusyRetryAfter,
		}
	}
	rec := s.ips[ip]
	if rec != nil && s.cfg.PerIPMinInterval > 0 {
		elapsed := now.Sub(rec.last)
		if elapsed < s.cfg.PerIPMinInterval {
			if rec.unfinished && rec.resumes < s.cfg.MaxResumes {
				rec.resumes++ // a broken stream coming back to resume
			} else {
				wait := s.cfg.PerIPMinInterval - elapsed
				return nil, nil, &refusal{
					text: fmt.Sprintf("IP %s bootstrapped from this server %s ago, and it serves one bootstrap per IP every %s (its [bootstrap] per_ip_min_interval): try again in %s",
						ip, elapsed.Round(time.Second), s.cfg.PerIPMinInterval, wait.Round(time.Second)),
					retry: wait,
				}
			}
		}
	}
	if rec == nil {
		if len(s.ips) >= s.cfg.IPListMaxSize {
			s.pruneIPsLocked(now)
		}
		rec = &ipRecord{}
		s.ips[ip] = rec
	}
	rec.last = now
	s.active++
	streaming = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec.unfinished = true
	}
	end = func(success bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.active--
		if success {
			rec.unfinished, rec.resumes = false, 0
			s.served++
		}
	}
	return streaming, end, nil
}

// pruneIPsLocked drops IP records older than the interval, or all of them
// if that is not enough (Massa clears the history under load).
func (s *Server) pruneIPsLocked(now time.Time) {
	for ip, r := range s.ips {
		if now.Sub(r.last) >= s.cfg.PerIPMinInterval {
			delete(s.ips, ip)
		}
	}
	if len(s.ips) >= s.cfg.IPListMaxSize {
		clear(s.ips)
	}
}

// session is one client connection's state.
type session struct {
	s     *Server
	conn  net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	chain chain
	addr  string
	end   time.Time
	parts int
	sent  uint64
}

func (ss *session) deadline(d time.Duration) time.Time {
	t := time.Now().Add(d)
	if t.After(ss.end) {
		return ss.end
	}
	return t
}

func (ss *session) send(m ServerMessage, timeout time.Duration) error {
	if err := ss.conn.SetWriteDeadline(ss.deadline(timeout)); err != nil {
		return err
	}
	msg := m.appendServer(nil)
	if err := writeServerFrame(ss.w, ss.s.cfg.Key, &ss.chain, msg); err != nil {
		return err
	}
	ss.sent += uint64(serverHeader + len(msg))
	return ss.w.Flush()
}

func (ss *session) sendError(text string, retry time.Duration) {
	_ = ss.send(&ServerError{Text: text, RetryAfterMS: uint64(retry / time.Millisecond)}, ss.s.cfg.WriteErrorTimeout)
}

func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// serve runs one session.
func (s *Server) serve(conn net.Conn) {
	ip := remoteIP(conn)
	ss := &session{
		s: s, conn: conn, addr: conn.RemoteAddr().String(),
		r:   bufio.NewReaderSize(conn, 64<<10),
		w:   bufio.NewWriterSize(newRateConn(conn, s.cfg.RateLimit), 256<<10),
		end: time.Now().Add(s.cfg.SessionTimeout),
	}
	streaming, end, ref := s.admit(ip)
	if ref != nil {
		s.log.Info("bootstrap refused", "client", ss.addr, "reason", ref.text)
		ss.sendError(ref.text, ref.retry)
		return
	}
	success := false
	defer func() { end(success) }()
	start := time.Now()
	err := ss.run(streaming, &success)
	switch {
	case success:
		s.log.Info("bootstrap served", "client", ss.addr, "parts", ss.parts, "bytes", ss.sent, "duration", time.Since(start).Round(time.Millisecond))
	case err != nil && s.ctx.Err() == nil:
		s.log.Info("bootstrap session ended", "client", ss.addr, "parts", ss.parts, "err", err)
	}
}

func (ss *session) run(streaming func(), success *bool) error {
	s := ss.s
	own := s.cfg.Version.AppendBinary(nil)
	hs := make([]byte, len(own)+RandomSize)
	if err := ss.conn.SetReadDeadline(ss.deadline(s.cfg.ReadTimeout)); err != nil {
		return err
	}
	if _, err := io.ReadFull(ss.r, hs); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	v, err := decodeHandshake(hs)
	if err != nil {
		ss.sendError("malformed handshake", 0)
		return err
	}
	ss.chain = chain{prev: crypto.HashOf(hs), has: true}
	if !v.Compatible(s.cfg.Version) {
		ss.sendError(fmt.Sprintf("version %s is not compatible with this server's %s", v, s.cfg.Version), 0)
		return fmt.Errorf("%w: client %s, server %s", ErrVersion, v, s.cfg.Version)
	}
	now := s.cfg.Now()
	if err := ss.send(&BootstrapTime{ServerTimeMS: uint64(now.UnixMilli()), Version: s.cfg.Version}, s.cfg.WriteTimeout); err != nil {
		return err
	}
	for {
		if err := ss.conn.SetReadDeadline(ss.deadline(s.cfg.ReadTimeout)); err != nil {
			return err
		}
		raw, err := readClientFrame(ss.r, &ss.chain, s.cfg.Limits.MaxClientMessage)
		if err != nil {
			return err
		}
		m, err := DecodeClient(raw, s.cfg.Limits)
		if err != nil {
			ss.sendError("malformed message", 0)
			return err
		}
		switch m := m.(type) {
		case *AskBootstrapPart:
			streaming()
			if err := ss.stream(m); err != nil {
				return err
			}
		case *AskBootstrapPeers:
			var peers []protocol.PeerListeners
			if s.deps.Peers != nil {
				peers = s.deps.Peers.BootstrapPeers(s.cfg.PeerCount)
			}
			if uint64(len(peers)) > s.cfg.Limits.MaxPeers {
				peers = peers[:s.cfg.Limits.MaxPeers]
			}
			if err := ss.send(&BootstrapPeers{Peers: peers}, s.cfg.WriteTimeout); err != nil {
				return err
			}
		case *BootstrapSuccess:
			*success = true
			return nil
		case *ClientError:
			return fmt.Errorf("client gave up: %s", m.Text)
		}
	}
}

// partBuilder accumulates a BootstrapPart's entries already encoded, so
// that the state is copied once, from the snapshot into the message.
type partBuilder struct {
	entries []byte
	count   uint64
}

// stream answers AskBootstrapPart: the state after the cursor, then the
// final blocks, then BootstrapFinished (or SlotTooOld).
func (ss *session) stream(ask *AskBootstrapPart) error {
	s := ss.s
	var e *snapEntry
	if ask.LastSlot != nil {
		var ok bool
		if e, ok = s.snaps.bySlot(*ask.LastSlot); !ok {
			s.log.Info("bootstrap client asked for a snapshot no longer held", "client", ss.addr, "slot", *ask.LastSlot)
			return ss.send(&SlotTooOld{}, s.cfg.WriteTimeout)
		}
	} else {
		var err error
		if e, err = s.snaps.fresh(); err != nil {
			ss.sendError(fmt.Sprintf("this server cannot read its final state: %v", err), s.cfg.BusyRetryAfter)
			return err
		}
	}
	defer s.snaps.release(e)

	first := true
	header := func() *BootstrapPart {
		p := &BootstrapPart{Slot: e.slot, StateFingerprint: e.fp, Totals: e.Totals()}
		if first && ask.SendLastStartPeriod {
			lsp := s.cfg.LastStartPeriod
			p.LastStartPeriod = &lsp
		}
		first = false
		return p
	}
	sendPart := func(p *BootstrapPart, b *partBuilder) error {
		msg := appendPart(nil, p, b.count, b.entries)
		if err := ss.conn.SetWriteDeadline(ss.deadline(s.cfg.WriteTimeout)); err != nil {
			return err
		}
		if err := writeServerFrame(ss.w, s.cfg.Key, &ss.chain, msg); err != nil {
			return err
		}
		ss.parts++
		ss.sent += uint64(serverHeader + len(msg))
		return nil
	}

	if ask.Step != StepFinished {
		var after []byte
		if ask.Step == StepOngoing {
			after = ask.LastKey
		}
		b := &partBuilder{entries: make([]byte, 0, s.cfg.PartBytes+64<<10)}
		var werr error
		err := e.view.Iterate(nil, after, func(k, v []byte) bool {
			b.entries = types.AppendBytes(b.entries, k)
			b.entries = types.AppendBytes(b.entries, v)
			b.count++
			if len(b.entries) >= s.cfg.PartBytes || b.count >= s.cfg.Limits.MaxEntries {
				werr = sendPart(header(), b)
				b.entries, b.count = b.entries[:0], 0
				return werr == nil
			}
			return true
		})
		if werr != nil {
			return werr
		}
		if err != nil {
			ss.sendError(fmt.Sprintf("this server cannot read its final state: %v", err), s.cfg.BusyRetryAfter)
			return err
		}
		p := header()
		p.StateDone = true
		if err := sendPart(p, b); err != nil {
			return err
		}
	}

	blocks, err := s.deps.Blocks.FinalBlocks(e.slot)
	if err != nil {
		ss.sendError(fmt.Sprintf("this server cannot read its final blocks: %v", err), s.cfg.BusyRetryAfter)
		return err
	}
	for len(blocks) > 0 {
		n, size := 0, 0
		for n < len(blocks) && n < s.cfg.BlocksPerPart && (n == 0 || size+len(blocks[n]) <= s.cfg.PartBytes) {
			size += len(blocks[n])
			n++
		}
		p := header()
		p.StateDone = true
		p.Blocks = blocks[:n]
		if err := sendPart(p, &partBuilder{}); err != nil {
			return err
		}
		blocks = blocks[n:]
	}
	return ss.send(&BootstrapFinished{}, s.cfg.WriteTimeout)
}
