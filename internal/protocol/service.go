package protocol

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Handler is what the node provides: it receives what peers send, once
// checked (decoded strictly, signatures verified), and answers for the
// blocks and operations it holds. The service loop calls it, one call at a
// time; a call must not block for long and may call back into the Service.
type Handler interface {
	// OnHeader receives a new header whose signatures (producer and
	// endorsements) are valid. The draw checks are the node's.
	OnHeader(from PeerID, h *types.SignedHeader)
	// OnBlock receives a full block: its operation ids match the header's
	// merkle root, ops holds one operation per id in block order (the
	// node's own or fetched and verified), and their total size is within
	// the block size limit.
	OnBlock(from PeerID, b *types.Block, ops []*types.SignedOperation)
	// OnOperations receives operations new to this service, with valid
	// signatures. The node decides whether to pool and propagate them.
	OnOperations(from PeerID, ops []*types.SignedOperation)
	// OnEndorsements receives endorsements new to this service, with valid
	// signatures.
	OnEndorsements(from PeerID, es []*types.SignedEndorsement)
	// HaveOperation returns an operation the node holds.
	HaveOperation(id types.OperationID) (*types.SignedOperation, bool)
	// GetBlock returns a block the node holds with its operations in
	// block order (ops may be nil if the node keeps only the ids; the
	// service then asks HaveOperation for each).
	GetBlock(id types.BlockID) (*types.Block, []*types.SignedOperation, bool)
}

// PrefixLookup is optional for a Handler: implemented, it lets the service
// serve and skip operations the node holds by their announced prefix, not
// only those it propagated itself.
type PrefixLookup interface {
	OperationByPrefix(p types.OperationPrefix) (*types.SignedOperation, bool)
}

// Deps are the service's collaborators.
type Deps struct {
	// Key is the node key; its public key is the node id.
	Key *crypto.SecretKey
	// Handler is the node.
	Handler Handler
	// Verifier checks signatures in batches; nil builds one. Share the
	// node's so that the expanded-key cache is shared.
	Verifier *crypto.BatchVerifier
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock of bans, timestamps and expiries; nil is time.Now.
	// Timers and socket deadlines use real time.
	Now func() time.Time
	// Rand supplies handshake challenges and the seed of peer sampling;
	// nil is crypto/rand.
	Rand io.Reader
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	Addr     netip.AddrPort
	Outgoing bool
	Since    time.Time
}

// Service is the P2P layer of one node.
type Service struct {
	cfg       Config
	lim       Limits
	key       *crypto.SecretKey
	id        PeerID
	h         Handler
	prefixes  PrefixLookup // nil when the handler has no prefix index
	verifier  *crypto.BatchVerifier
	log       *slog.Logger
	now       func() time.Time
	rand      io.Reader
	book      *PeerBook
	whitelist []netip.Prefix

	// signChallenge is a test hook (export_test.go).
	signChallenge func(crypto.Hash) crypto.Signature

	ln      net.Listener
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running atomic.Bool
	stopped atomic.Bool

	mu         sync.Mutex // guards the fields below
	peers      map[PeerID]*peer
	pendingIn  map[netip.Addr]int
	pendingAll int
	dialing    map[netip.AddrPort]struct{}

	events  chan event
	cmdMu   sync.Mutex
	cmds    []command
	cmdWake chan struct{}

	stats counters
	loop  *loopState
}

// New checks cfg, loads the peer book and prepares the service. Nothing
// runs until Start.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Key == nil || deps.Handler == nil {
		return nil, fmt.Errorf("protocol: a node key and a handler are required: %w", ErrConfig)
	}
	s := &Service{
		cfg: cfg, lim: cfg.Limits(), key: deps.Key, id: PeerID(deps.Key.Public()),
		h: deps.Handler, verifier: deps.Verifier, log: deps.Logger, now: deps.Now, rand: deps.Rand,
		whitelist: cfg.Whitelist,
		peers:     make(map[PeerID]*peer),
		pendingIn: make(map[netip.Addr]int),
		dialing:   make(map[netip.AddrPort]struct{}),
		events:    make(chan event, 1024),
		cmdWake:   make(chan struct{}, 1),
	}
	if pl, ok := deps.Handler.(PrefixLookup); ok {
		s.prefixes = pl
	}
	if s.verifier == nil {
		s.verifier = crypto.NewBatchVerifier(crypto.BatchOptions{})
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	var seed [8]byte
	if _, err := io.ReadFull(s.rand, seed[:]); err != nil {
		return nil, fmt.Errorf("protocol: seed: %w", err)
	}
	book, err := LoadPeerBook(cfg.PeerBookPath, cfg.MaxKnownPeers, s.now, binary.LittleEndian.Uint64(seed[:]))
	if err != nil {
		return nil, err
	}
	s.book = book
	for _, p := range cfg.InitialPeers {
		s.book.addInitial(p)
	}
	s.loop = newLoopState(&s.cfg)
	return s, nil
}

// ID is this node's id.
func (s *Service) ID() PeerID { return s.id }

// Addr is the listen address once started (nil without a listener).
func (s *Service) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Limits are the message limits the service applies.
func (s *Service) Limits() Limits { return s.lim }

// Book is the peer book (read-only use: Peers, IsBanned, IsIPBanned).
func (s *Service) Book() *PeerBook { return s.book }

// Start opens the listener and starts the service loop, the accept loop
// and the connector. It fails, naming the config key, when the port is
// taken.
func (s *Service) Start(ctx context.Context) error {
	if s.stopped.Load() || !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("protocol: start: already started or stopped: %w", ErrNotRunning)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if s.cfg.Bind != "" {
		ln, err := s.listen()
		if err != nil {
			s.cancel()
			s.running.Store(false)
			return err
		}
		s.ln = ln
		s.wg.Add(1)
		go s.acceptLoop()
		s.log.Info("P2P listening", "addr", ln.Addr().String(), "node_id", s.id.String())
	}
	s.wg.Add(2)
	go s.runLoop()
	go s.connectLoop()
	return nil
}

// listen binds cfg.Bind; "[::]:port" falls back to "0.0.0.0:port" when
// the machine has no IPv6.
func (s *Service) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Bind)
	if err == nil {
		return ln, nil
	}
	if ap, perr := netip.ParseAddrPort(s.cfg.Bind); perr == nil && ap.Addr().Is6() && ap.Addr().IsUnspecified() {
		v4 := netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port()).String()
		if ln4, err4 := net.Listen("tcp4", v4); err4 == nil {
			s.log.Info("IPv6 is not available, P2P listens on IPv4 only", "bind", v4, "ipv6_error", err.Error())
			return ln4, nil
		}
	}
	return nil, fmt.Errorf("P2P cannot listen on %s (config [network] bind): %w", s.cfg.Bind, err)
}

// Stop closes every connection, waits for every goroutine and saves the
// peer book.
func (s *Service) Stop() error {
	if !s.stopped.CompareAndSwap(false, true) {
		return nil
	}
	if !s.running.Load() {
		return s.book.Save()
	}
	s.cancel()
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Lock()
	for _, p := range s.peers {
		p.close(ErrNotRunning)
	}
	s.mu.Unlock()
	s.wg.Wait()
	// Connections that finished their handshake during shutdown.
	s.mu.Lock()
	for _, p := range s.peers {
		p.close(ErrNotRunning)
	}
	s.mu.Unlock()
	return s.book.Save()
}

// whitelisted reports an IP exempt from limits and IP bans.
func (s *Service) whitelisted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.whitelist {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// remoteAddr returns the unmapped remote address of conn.
func remoteAddr(conn net.Conn) netip.AddrPort {
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(conn.RemoteAddr().String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func (s *Service) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Warn("P2P accept failed", "err", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		s.admit(conn)
	}
}

// admit applies bans and limits to a new incoming connection, before any
// byte is read from it.
func (s *Service) admit(conn net.Conn) {
	addr := remoteAddr(conn)
	ip := addr.Addr()
	white := s.whitelisted(ip)
	if !white && s.book.IsIPBanned(ip) {
		s.stats.rejectedBanned.Add(1)
		s.log.Debug("P2P connection from banned IP dropped", "ip", ip.String())
		conn.Close()
		return
	}
	s.mu.Lock()
	in, perIP := 0, s.pendingIn[ip]
	for _, p := range s.peers {
		if !p.outgoing {
			in++
			if p.addr.Addr() == ip {
				perIP++
			}
		}
	}
	full := !white && (in+s.pendingAll >= s.cfg.MaxIn || perIP >= s.cfg.MaxInPerIP)
	busy := s.pendingAll >= s.cfg.MaxPendingHandshakes
	if !full && !busy {
		s.pendingIn[ip]++
		s.pendingAll++
	}
	s.mu.Unlock()
	if busy && !full {
		s.stats.refused.Add(1)
		conn.Close()
		return
	}
	if full {
		s.stats.refused.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			peers := &ListPeers{Peers: s.book.randomPeers(int(s.cfg.MaxPeersPerMessage), PeerID{})}
			s.capListeners(peers.Peers)
			_ = sendRefusal(conn, s.id, s.cfg.Version, peers)
			conn.Close()
		}()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			if s.pendingIn[ip]--; s.pendingIn[ip] <= 0 {
				delete(s.pendingIn, ip)
			}
			s.pendingAll--
			s.mu.Unlock()
		}()
		s.setup(conn, addr, false, PeerID{})
	}()
}

// capListeners trims listener lists to what peers accept.
func (s *Service) capListeners(ps []PeerListeners) {
	for i := range ps {
		if len(ps[i].Listeners) > int(s.cfg.MaxListenersPerPeer) {
			ps[i].Listeners = ps[i].Listeners[:s.cfg.MaxListenersPerPeer]
		}
	}
}

// ourListeners is what we announce: the listen port under the routable IP,
// or nothing without one (then peers will not dial us).
func (s *Service) ourListeners() []Listener {
	if !s.cfg.RoutableIP.IsValid() || s.ln == nil {
		return nil
	}
	ta, ok := s.ln.Addr().(*net.TCPAddr)
	if !ok {
		return nil
	}
	return []Listener{{Addr: netip.AddrPortFrom(s.cfg.RoutableIP.Unmap(), uint16(ta.Port)), Transport: TransportTCP}}
}

// setup runs the handshake on conn and, on success, registers the peer and
// serves it until it disconnects. It runs in a goroutine counted by wg.
func (s *Service) setup(conn net.Conn, addr netip.AddrPort, outgoing bool, expected PeerID) {
	ip := addr.Addr()
	br := bufio.NewReaderSize(conn, 64<<10)
	hc := &handshakeConfig{
		key: s.key, version: s.cfg.Version, limits: &s.lim, timeout: s.cfg.HandshakeTimeout, rand: s.rand,
		announcement:  NewAnnouncement(s.ourListeners(), uint64(s.now().UnixMilli()), s.key),
		signChallenge: s.signChallenge,
		checkID: func(id PeerID) error {
			switch {
			case id == s.id:
				return ErrSelfConnection
			case s.book.IsBanned(id):
				s.stats.rejectedBanned.Add(1)
				return fmt.Errorf("peer %s: %w", id, ErrBanned)
			case outgoing && !expected.IsZero() && id != expected:
				return fmt.Errorf("%s answered as %s, expected %s: %w", addr, id, expected, ErrUnexpectedPeer)
			}
			return nil
		},
	}
	// Stop must not wait for a handshake's deadlines.
	unwatch := context.AfterFunc(s.ctx, func() { conn.Close() })
	res, err := runHandshake(conn, br, hc)
	unwatch()
	if err != nil {
		conn.Close()
		s.stats.handshakesFailed.Add(1)
		if res != nil && res.refusal != nil {
			s.learnPeers(res.refusal.Peers)
		}
		if isMalformed(err) && !s.whitelisted(ip) {
			s.BanIP(ip)
			s.log.Info("P2P malformed handshake, IP banned", "ip", ip.String(), "err", err)
		} else {
			s.log.Debug("P2P handshake failed", "addr", addr.String(), "outgoing", outgoing, "err", err)
		}
		if outgoing {
			switch {
			case errors.Is(err, ErrSelfConnection):
				// An initial address that turns out to be us.
				s.book.forgetAnon(addr)
			case !expected.IsZero():
				s.book.recordFailure(expected)
			case res != nil:
				s.book.recordFailure(res.id)
			}
		}
		return
	}
	s.stats.handshakesOK.Add(1)
	p := &peer{
		id: res.id, conn: conn, br: br, addr: addr, outgoing: outgoing, since: s.now(),
		sendq:       make(chan []byte, s.cfg.SendQueueLen),
		closed:      make(chan struct{}),
		knownBlocks: newKnownSet[types.BlockID](s.cfg.PeerKnownBlocks),
		knownOps:    newKnownSet[types.OperationPrefix](s.cfg.PeerKnownOps),
		knownEndos:  newKnownSet[types.EndorsementID](s.cfg.PeerKnownEndorsements),
		asks:        make(map[types.BlockID]struct{}),
	}
	for _, l := range res.announcement.Listeners {
		if l.Transport == TransportTCP && s.usable(l.Addr) {
			p.listeners = append(p.listeners, l.Addr)
		}
	}
	if !s.register(p) {
		conn.Close()
		return
	}
	if outgoing && expected.IsZero() {
		// An initial peer known by address: from now on known by id.
		s.book.identify(addr, p.id)
	}
	s.book.learn(p.id, p.listeners)
	s.book.recordSuccess(p.id)
	s.log.Debug("P2P peer connected", "peer", p.id.String(), "addr", addr.String(), "outgoing", outgoing)
	s.wg.Add(1)
	go s.writeLoop(p)
	if !s.post(event{kind: evConnected, p: p}) {
		p.close(ErrNotRunning)
	}
	s.readLoop(p)
	s.unregister(p)
	s.post(event{kind: evDisconnected, p: p})
	s.log.Debug("P2P peer disconnected", "peer", p.id.String(), "reason", p.reason())
}

// register adds p to the connected peers. With two connections to the same
// node (both dialed at once), both ends keep the one dialed by the node
// with the smaller id, so that they agree without talking.
func (s *Service) register(p *peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return false
	}
	if old := s.peers[p.id]; old != nil {
		dialer := s.id
		if !p.outgoing {
			dialer = p.id
		}
		other := p.id
		if !p.outgoing {
			other = s.id
		}
		if dialer.Compare(other) > 0 {
			return false
		}
		old.close(fmt.Errorf("replaced by a new connection"))
	}
	s.peers[p.id] = p
	return true
}

func (s *Service) unregister(p *peer) {
	s.mu.Lock()
	if s.peers[p.id] == p {
		delete(s.peers, p.id)
	}
	s.mu.Unlock()
}

// post hands an event to the service loop, waiting while it is busy; false
// when the service stops.
func (s *Service) post(ev event) bool {
	select {
	case s.events <- ev:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Service) readLoop(p *peer) {
	for {
		if err := p.conn.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout)); err != nil {
			p.close(err)
			return
		}
		payload, _, err := ReadMessageFrame(p.br, &s.lim)
		if err != nil {
			if isMalformed(err) {
				s.punish(p, err)
			}
			p.close(err)
			return
		}
		msg, err := DecodeMessage(payload, &s.lim)
		if err != nil {
			s.punish(p, err)
			return
		}
		s.stats.messagesIn.Add(1)
		s.stats.bytesIn.Add(uint64(frameHeaderSize + len(payload)))
		select {
		case s.events <- event{kind: evMessage, p: p, msg: msg}:
		case <-p.closed:
			return
		case <-s.ctx.Done():
			p.close(ErrNotRunning)
			return
		}
	}
}

func (s *Service) writeLoop(p *peer) {
	defer s.wg.Done()
	for {
		select {
		case f := <-p.sendq:
			if err := p.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)); err != nil {
				p.close(err)
				return
			}
			if _, err := p.conn.Write(f); err != nil {
				p.close(err)
				return
			}
			s.stats.messagesOut.Add(1)
			s.stats.bytesOut.Add(uint64(len(f)))
		case <-p.closed:
			return
		}
	}
}

// punish bans a peer that broke the protocol and disconnects it. Only the
// id is banned: an IP may hide many honest nodes.
func (s *Service) punish(p *peer, err error) {
	s.stats.violations.Add(1)
	s.log.Info("P2P peer banned", "peer", p.id.String(), "addr", p.addr.String(), "reason", err)
	s.book.ban(p.id, s.now().Add(s.cfg.BanDuration))
	p.close(err)
}

// connectLoop dials known nodes while there are fewer outgoing connections
// than the target.
func (s *Service) connectLoop() {
	defer s.wg.Done()
	if s.cfg.TargetOut == 0 {
		return
	}
	t := time.NewTicker(s.cfg.ConnectInterval)
	defer t.Stop()
	for {
		s.connectOnce()
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) connectOnce() {
	s.mu.Lock()
	out := len(s.dialing)
	connectedAddrs := make(map[netip.AddrPort]struct{}, len(s.peers))
	for _, p := range s.peers {
		if p.outgoing {
			out++
		}
		connectedAddrs[p.addr] = struct{}{}
		for _, l := range p.listeners {
			connectedAddrs[l] = struct{}{}
		}
	}
	need := s.cfg.TargetOut - out
	s.mu.Unlock()
	if need <= 0 {
		return
	}
	skipID := func(id PeerID) bool {
		if id == s.id {
			return true
		}
		s.mu.Lock()
		_, ok := s.peers[id]
		s.mu.Unlock()
		return ok
	}
	skipAddr := func(a netip.AddrPort) bool {
		if _, ok := connectedAddrs[a]; ok {
			return true
		}
		s.mu.Lock()
		_, ok := s.dialing[a]
		s.mu.Unlock()
		return ok || (s.ln != nil && a == s.listenAddrPort())
	}
	for _, t := range s.book.dialCandidates(need, s.cfg.RetryInterval, skipID, skipAddr) {
		s.mu.Lock()
		s.dialing[t.addr] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.dial(t)
	}
}

// listenAddrPort is our own listen address, never worth dialing.
func (s *Service) listenAddrPort() netip.AddrPort {
	if ta, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}

func (s *Service) dial(t dialTarget) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.dialing, t.addr)
		s.mu.Unlock()
	}()
	d := net.Dialer{Timeout: s.cfg.DialTimeout}
	conn, err := d.DialContext(s.ctx, "tcp", t.addr.String())
	if err != nil {
		s.book.recordFailure(t.id)
		s.log.Debug("P2P dial failed", "addr", t.addr.String(), "err", err)
		return
	}
	s.setup(conn, remoteAddr(conn), true, t.id)
}

// usable reports whether a listener learnt from a peer is worth keeping.
func (s *Service) usable(a netip.AddrPort) bool {
	ip := a.Addr().Unmap()
	if !ip.IsValid() || a.Port() == 0 || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if !s.cfg.AllowLocalPeers && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()) {
		return false
	}
	return true
}

// learnPeers records nodes other peers told us about.
func (s *Service) learnPeers(ps []PeerListeners) {
	for _, pl := range ps {
		if pl.ID == s.id {
			continue
		}
		var ls []netip.AddrPort
		for _, l := range pl.Listeners {
			a := netip.AddrPortFrom(l.Addr.Addr().Unmap(), l.Addr.Port())
			if l.Transport == TransportTCP && s.usable(a) {
				ls = append(ls, a)
			}
		}
		if len(ls) > 0 {
			s.book.learn(pl.ID, ls)
		}
	}
}

// Peers returns the connected peers: id -> address and direction.
func (s *Service) Peers() map[PeerID]PeerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[PeerID]PeerInfo, len(s.peers))
	for id, p := range s.peers {
		out[id] = PeerInfo{Addr: p.addr, Outgoing: p.outgoing, Since: p.since}
	}
	return out
}

// AddPeers adds nodes to try, as initial peers are (a bootstrap list, the
// API's node_add_peers...).
func (s *Service) AddPeers(ps []PeerAddr) {
	for _, p := range ps {
		if p.Addr.IsValid() {
			s.book.addInitial(p)
		}
	}
}

// Ban bans a node for BanDuration and disconnects it: consensus found its
// data invalid, or an operator asked.
func (s *Service) Ban(id PeerID) {
	s.book.ban(id, s.now().Add(s.cfg.BanDuration))
	s.mu.Lock()
	p := s.peers[id]
	s.mu.Unlock()
	if p != nil {
		p.close(ErrBanned)
	}
}

// Unban lifts the ban of a node.
func (s *Service) Unban(id PeerID) { s.book.unban(id) }

// BanIP refuses connections from ip for BanDuration (whitelisted IPs are
// never banned). Established connections are judged by their node id and
// stay.
func (s *Service) BanIP(ip netip.Addr) {
	if s.whitelisted(ip) {
		return
	}
	s.book.banIP(ip, s.now().Add(s.cfg.BanDuration))
}

// UnbanIP lifts the ban of an IP.
func (s *Service) UnbanIP(ip netip.Addr) { s.book.unbanIP(ip) }
