package sim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// Sim is one simulation: N nodes, their network and virtual time. Its
// methods are called from one goroutine (the test's).
type Sim struct {
	cfg       Config
	rng       *rand.Rand
	codec     types.CodecParams
	cp        clock.Params
	rollPrice types.Amount

	// now is virtual UNIX ms; only the driver moves it, while every node
	// is parked.
	now atomic.Uint64

	// mu guards the event queue, the links and every endpoint. It is never
	// held while a node runs a step on behalf of the driver.
	mu     sync.Mutex
	events eventHeap
	seq    uint64
	nodes  []*simNode
	links  [][]link
	groups []int

	// fatal is the first error that stops the simulation (a node that
	// stopped or hangs); violations are invariant failures, collected.
	fatal      error
	violations []string

	// observations
	fpBySlot     map[types.Slot]fpObs
	addrs        []types.Address
	initialTotal int64
	ops          []*trackedOp
	opByID       map[types.OperationID]*trackedOp
	stats        Stats
}

// Stats counts what the simulated network did.
type Stats struct {
	Steps        uint64 // node steps the driver waited for
	Sent         uint64 // messages sent (before fate)
	Dropped      uint64 // lost by the drop probability
	Duplicated   uint64 // delivered twice
	Lost         uint64 // arrived on a link that went down, or at a node that restarted
	Delivered    uint64
	BlocksServed uint64 // block requests answered with the block
}

type link struct {
	up    bool
	epoch uint64 // bumped each time the link goes up or down
	since uint64
}

type fpObs struct {
	fp   crypto.Hash
	node int
}

// trackedOp is an operation the test sent, checked on every node.
type trackedOp struct {
	op       *types.SignedOperation
	sentTo   int
	required bool  // must be final everywhere (else: same outcome everywhere)
	success  *bool // first final status seen
}

// simNode is one node across its lives.
type simNode struct {
	idx   int
	home  string
	key   *crypto.SecretKey
	addr  types.Address
	peer  protocol.PeerID
	rolls uint64
	life  *life // nil while down
	lives int
	logs  *ringLog
	// fps is the fingerprint seen at each final slot, across lives.
	fps     map[types.Slot]crypto.Hash
	opFinal map[types.OperationID]bool
}

// life is one run of a node, from start to crash.
type life struct {
	node      *simNode
	gen       int
	n         *node.Node
	ep        *endpoint
	cancel    context.CancelFunc
	done      chan struct{}
	runErr    error
	parked    chan struct{}
	extraPark atomic.Bool

	lastSlot types.Slot
	haveSlot bool
	base     int64 // coins held minus coins accounted, constant over a life
	haveBase bool
}

// New prepares the homes of cfg.Nodes nodes sharing one genesis and starts
// them; virtual time starts one period before genesis.
func New(cfg Config) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x5eed_6d61_7373_61)),
		fpBySlot: map[types.Slot]fpObs{},
		opByID:   map[types.OperationID]*trackedOp{},
	}
	base := config.MainnetParams()
	s.rollPrice = base.RollPrice
	s.codec = types.CodecParams{
		ThreadCount:               cfg.Threads,
		EndorsementCount:          cfg.Endorsements,
		MaxOperationsPerBlock:     base.MaxOperationsPerBlock,
		MaxBlockSize:              base.MaxBlockSize,
		MaxDenunciationsPerHeader: 128,
	}
	s.cp = clock.Params{GenesisTimestamp: genesisMS, T0: cfg.T0, ThreadCount: cfg.Threads}
	s.now.Store(genesisMS - cfg.T0)

	n := cfg.Nodes
	s.links = make([][]link, n)
	s.groups = make([]int, n)
	for i := range n {
		s.links[i] = make([]link, n)
		k := stakerKey(i)
		rolls := uint64(2 + s.rng.IntN(9))
		if cfg.Rolls != nil {
			rolls = cfg.Rolls[i]
		}
		nk := nodeKey(i)
		s.nodes = append(s.nodes, &simNode{
			idx: i, home: filepath.Join(cfg.Dir, fmt.Sprintf("node%d", i)),
			key: k, addr: types.AddressOf(k.Public()), peer: protocol.PeerID(nk.Public()), rolls: rolls,
			logs: newRingLog(cfg.LogLines), fps: map[types.Slot]crypto.Hash{}, opFinal: map[types.OperationID]bool{},
		})
		s.addrs = append(s.addrs, s.nodes[i].addr)
		s.initialTotal += int64(initialBalance) + int64(rolls)*int64(s.rollPrice)
	}
	gk, err := crypto.ParseSecretKey(node.GenesisKeyText)
	if err != nil {
		return nil, err
	}
	s.addrs = append(s.addrs, types.AddressOf(gk.Public()))

	genesis, err := s.genesisJSON()
	if err != nil {
		return nil, err
	}
	for _, nd := range s.nodes {
		if err := s.prepareHome(nd, genesis); err != nil {
			return nil, err
		}
	}
	for _, nd := range s.nodes {
		if err := s.start(nd); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Seed is the simulation's seed.
func (s *Sim) Seed() uint64 { return s.cfg.Seed }

// Nodes is the number of nodes.
func (s *Sim) Nodes() int { return len(s.nodes) }

// Now is the virtual time, in UNIX ms.
func (s *Sim) Now() uint64 { return s.now.Load() }

// GenesisMS is the genesis timestamp.
func (s *Sim) GenesisMS() uint64 { return genesisMS }

// PeriodStart is the time of slot (period, 0).
func (s *Sim) PeriodStart(period uint64) uint64 { return genesisMS + period*s.cfg.T0 }

// Period is the current period (0 before genesis).
func (s *Sim) Period() uint64 {
	sl, _ := s.cp.LatestSlotAt(s.Now())
	return sl.Period
}

func (s *Sim) slotNow() types.Slot {
	sl, _ := s.cp.LatestSlotAt(s.Now())
	return sl
}

// Node returns node i while it runs (nil when down), for queries.
func (s *Sim) Node(i int) *node.Node {
	if l := s.nodes[i].life; l != nil {
		return l.n
	}
	return nil
}

// Running reports whether node i is up.
func (s *Sim) Running(i int) bool { return s.nodes[i].life != nil }

// Address is node i's staking address.
func (s *Sim) Address(i int) types.Address { return s.nodes[i].addr }

// Stats returns the network counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Err is the error that stopped the simulation, if any.
func (s *Sim) Err() error { return s.fatal }

// start runs a new life of nd and waits for its first park.
func (s *Sim) start(nd *simNode) error {
	if s.fatal != nil {
		return s.fatal
	}
	l := &life{node: nd, gen: nd.lives + 1, parked: make(chan struct{}, 1), done: make(chan struct{})}
	nd.lives++
	nd.logs.mark(fmt.Sprintf("=== node %d life %d starts at %s (virtual %d)", nd.idx, l.gen, s.slotNow(), s.Now()))
	opts := node.Options{
		Home:     nd.home,
		Password: walletPassword,
		Clock:    &nodeClock{s: s, life: l},
		Logger:   slog.New(slog.NewTextHandler(nd.logs, &slog.HandlerOptions{Level: s.cfg.LogLevel})),
		Stdout:   nd.logs,
		Network: func(key *crypto.SecretKey, h protocol.Handler) (node.Network, error) {
			id := protocol.PeerID(key.Public())
			if id != nd.peer {
				return nil, fmt.Errorf("node %d runs with key %s, not the simulation's %s", nd.idx, id, nd.peer)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if l.ep != nil {
				// The node restarted its components within Run (a
				// resynchronization): its connections are new ones.
				l.ep.dead = true
				l.ep = nil
				s.refreshLinks()
			}
			l.ep = newEndpoint(s, l, id, h)
			s.refreshLinks()
			return l.ep, nil
		},
	}
	n, err := node.New(opts)
	if err != nil {
		return s.fail(fmt.Errorf("%w: node %d: %v", ErrNodeStopped, nd.idx, err))
	}
	n.AddVolatileStakingKeys(nd.key)
	l.n = n
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	s.mu.Lock()
	nd.life = l
	s.mu.Unlock()
	go func() {
		defer close(l.done)
		l.runErr = n.Run(ctx)
	}()
	if err := s.waitPark(l); err != nil {
		return err
	}
	s.mu.Lock()
	if l.ep == nil {
		s.mu.Unlock()
		return s.fail(fmt.Errorf("%w: node %d started without asking for its network", ErrNodeStopped, nd.idx))
	}
	s.push(&event{at: s.Now() + 1 + s.rng.Uint64N(s.cfg.BlockTick), kind: evTick, node: nd.idx, life: l})
	s.mu.Unlock()
	s.observe(l)
	return nil
}

// waitPark waits until l's main loop has armed its next timer.
func (s *Sim) waitPark(l *life) error {
	t := time.NewTimer(s.cfg.HangTimeout)
	defer t.Stop()
	select {
	case <-l.parked:
		s.stats.Steps++
		if l.extraPark.Load() {
			return s.fail(fmt.Errorf("%w: node %d armed two timers for one input (the park protocol broke)", ErrInvariant, l.node.idx))
		}
		return nil
	case <-l.done:
		return s.fail(fmt.Errorf("%w: node %d (life %d) at %s: Run returned %v", ErrNodeStopped, l.node.idx, l.gen, s.slotNow(), l.runErr))
	case <-t.C:
		return s.fail(fmt.Errorf("%w: node %d at %s did not finish its step in %v", ErrHang, l.node.idx, s.slotNow(), s.cfg.HangTimeout))
	}
}

// fail records the first fatal error.
func (s *Sim) fail(err error) error {
	if s.fatal == nil {
		s.fatal = fmt.Errorf("seed %d: %w", s.cfg.Seed, err)
	}
	return s.fatal
}

// violate records an invariant failure. Called with or without s.mu.
func (s *Sim) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf("[%d ms after genesis] ", int64(s.Now())-genesisMS)+fmt.Sprintf(format, args...))
}

// Crash stops node i abruptly (between two of its steps): messages in
// flight to it are lost, its peers see the links go down.
func (s *Sim) Crash(i int) error {
	if s.fatal != nil {
		return s.fatal
	}
	nd := s.nodes[i]
	l := nd.life
	if l == nil {
		return fmt.Errorf("crash node %d: %w", i, ErrNodeDown)
	}
	s.observe(l)
	l.cancel()
	select {
	case <-l.done:
	case <-time.After(s.cfg.HangTimeout):
		return s.fail(fmt.Errorf("%w: node %d did not stop", ErrHang, i))
	}
	if l.runErr != nil {
		return s.fail(fmt.Errorf("%w: node %d: Run returned %v when stopped", ErrNodeStopped, i, l.runErr))
	}
	s.mu.Lock()
	l.ep.dead = true
	nd.life = nil
	s.refreshLinks()
	s.mu.Unlock()
	nd.logs.mark(fmt.Sprintf("=== node %d crashed at %s", i, s.slotNow()))
	return nil
}

// Restart starts node i again on its home.
func (s *Sim) Restart(i int) error {
	if s.nodes[i].life != nil {
		return fmt.Errorf("restart node %d: it is running", i)
	}
	return s.start(s.nodes[i])
}

// Partition cuts every link between nodes of different groups; nodes in
// no group are isolated.
func (s *Sim) Partition(groups ...[]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.nodes)
	for i := range s.groups {
		s.groups[i] = n + i
	}
	for g, members := range groups {
		for _, i := range members {
			s.groups[i] = g
		}
	}
	s.refreshLinks()
}

// Heal reconnects every pair of running nodes.
func (s *Sim) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.groups)
	s.refreshLinks()
}

// refreshLinks recomputes which links are up. A link that comes up is a
// new connection: both sides forget what they believed the other knew.
// Called with s.mu held.
func (s *Sim) refreshLinks() {
	now := s.Now()
	for i := range s.nodes {
		for j := i + 1; j < len(s.nodes); j++ {
			a, b := s.nodes[i].life, s.nodes[j].life
			up := a != nil && b != nil && a.ep != nil && b.ep != nil &&
				s.groups[i] == s.groups[j] && !a.ep.banned[j] && !b.ep.banned[i]
			lk := &s.links[i][j]
			if up == lk.up {
				continue
			}
			lk.up, lk.since = up, now
			lk.epoch++
			if up {
				a.ep.resetPeer(j)
				b.ep.resetPeer(i)
			}
			s.links[j][i] = *lk
		}
	}
}

func (s *Sim) peerIndex(id protocol.PeerID) int {
	for _, nd := range s.nodes {
		if nd.peer == id {
			return nd.idx
		}
	}
	return -1
}

// send gives a message its fate: lost, or delivered once or twice after
// random delays. Called with s.mu held.
func (s *Sim) send(from, to int, m *message) {
	s.stats.Sent++
	s.nodes[from].life.ep.stats.MessagesOut++
	if s.rng.Float64() < s.cfg.Drop {
		s.stats.Dropped++
		return
	}
	copies := 1
	if s.cfg.Dup > 0 && s.rng.Float64() < s.cfg.Dup {
		copies = 2
		s.stats.Duplicated++
	}
	target := s.nodes[to].life
	for c := range copies {
		delay := s.cfg.DelayMin + s.rng.Uint64N(s.cfg.DelayMax-s.cfg.DelayMin+1)
		s.push(&event{at: s.Now() + delay, kind: evMsg, node: to, from: from, life: target, msg: m, epoch: s.links[from][to].epoch, dup: c > 0})
	}
}

// Run processes every event up to virtual time ms (UNIX ms) and
// leaves the clock there. It returns the fatal error, if any; invariant
// violations are reported by Check.
func (s *Sim) Run(ms uint64) error {
	for s.fatal == nil {
		s.mu.Lock()
		if len(s.events) == 0 || s.events[0].at > ms {
			if ms > s.Now() {
				s.now.Store(ms)
			}
			s.mu.Unlock()
			break
		}
		ev := heap.Pop(&s.events).(*event)
		if ev.at > s.Now() {
			s.now.Store(ev.at)
		}
		s.mu.Unlock()
		s.dispatch(ev)
	}
	return s.fatal
}

// RunPeriods runs until the start of period p.
func (s *Sim) RunPeriods(p uint64) error { return s.Run(s.PeriodStart(p)) }

func (s *Sim) dispatch(ev *event) {
	switch ev.kind {
	case evTimer:
		s.mu.Lock()
		l := ev.life
		live := l.node.life == l && !ev.timer.stopped && !ev.timer.fired
		if live {
			ev.timer.fired = true
		}
		s.mu.Unlock()
		if !live {
			return
		}
		ev.timer.ch <- clock.FromMS(ev.at)
		if s.waitPark(l) == nil {
			s.observe(l)
		}
	case evTick:
		s.mu.Lock()
		if l := ev.life; l.node.life == l {
			l.ep.tick()
			s.push(&event{at: s.Now() + s.cfg.BlockTick, kind: evTick, node: ev.node, life: l})
		}
		s.mu.Unlock()
	case evMsg:
		s.deliver(ev)
	}
}

// deliver hands a message to its receiver, as the protocol service would.
func (s *Sim) deliver(ev *event) {
	s.mu.Lock()
	l := ev.life
	lk := s.links[ev.from][ev.node]
	if l.node.life != l || !lk.up || lk.epoch != ev.epoch {
		s.stats.Lost++
		s.mu.Unlock()
		return
	}
	s.stats.Delivered++
	ep := l.ep
	ep.stats.MessagesIn++
	from := s.nodes[ev.from].peer
	m := ev.msg
	switch m.kind {
	case msgHeader:
		h, err := s.decodeHeader(m.data)
		if err != nil {
			s.violate("node %d: undecodable header from node %d: %v", ev.node, ev.from, err)
			s.mu.Unlock()
			return
		}
		ep.stats.HeadersReceived++
		ep.peerBlocks[ev.from][h.ID] = struct{}{}
		if _, known := ep.knownBlocks[h.ID]; known && !ev.dup {
			s.mu.Unlock()
			return
		}
		ep.knownBlocks[h.ID] = struct{}{}
		s.mu.Unlock()
		ep.h.OnHeader(from, h)
		if s.waitPark(l) != nil {
			return
		}
		s.observe(l)
		// Auto-fetch, as the protocol service does: a new header whose
		// block the node lacks is fetched even before consensus asks.
		_, _, have := ep.h.GetBlock(h.ID)
		s.mu.Lock()
		if l.node.life == l {
			if w := ep.wish[h.ID]; w != nil {
				ep.retrieve(w)
			} else if !have {
				ep.want(h.ID)
			}
		}
		s.mu.Unlock()

	case msgAsk:
		s.mu.Unlock()
		reply := &message{kind: msgBlock, id: m.id}
		if b, ops, ok := ep.h.GetBlock(m.id); ok && b != nil {
			if ops == nil && len(b.Operations) > 0 {
				ops, ok = s.collectOps(ep.h, b)
			}
			if ok {
				reply.found, reply.data = true, encodeBlock(b, ops)
			}
		}
		s.mu.Lock()
		if reply.found {
			s.stats.BlocksServed++
		}
		if s.links[ev.node][ev.from].up {
			s.send(ev.node, ev.from, reply)
		}
		s.mu.Unlock()

	case msgBlock:
		w := ep.wish[m.id]
		if w == nil && !(ev.dup && m.found) {
			s.mu.Unlock()
			return
		}
		if !m.found {
			if w.asked == ev.from {
				w.tried[ev.from] = struct{}{}
				ep.clearAsk(w)
				ep.retrieve(w)
			}
			s.mu.Unlock()
			return
		}
		b, ops, err := s.decodeBlock(m.data)
		if err != nil || b.ID() != m.id {
			s.violate("node %d: bad block %s from node %d: %v", ev.node, m.id, ev.from, err)
			s.mu.Unlock()
			return
		}
		if w != nil {
			ep.clearAsk(w)
			delete(ep.wish, m.id)
		}
		ep.knownBlocks[m.id] = struct{}{}
		ep.peerBlocks[ev.from][m.id] = struct{}{}
		ep.stats.BlocksRetrieved++
		s.mu.Unlock()
		ep.h.OnBlock(from, b, ops)
		if s.waitPark(l) == nil {
			s.observe(l)
		}

	case msgOps:
		ops, err := s.decodeOps(m.data)
		if err != nil {
			s.violate("node %d: undecodable operations from node %d: %v", ev.node, ev.from, err)
			s.mu.Unlock()
			return
		}
		var fresh []*types.SignedOperation
		for _, op := range ops {
			ep.peerOps[ev.from][op.ID] = struct{}{}
			if _, ok := ep.knownOps[op.ID]; !ok || ev.dup {
				ep.knownOps[op.ID] = struct{}{}
				fresh = append(fresh, op)
			}
		}
		ep.stats.OperationsReceived += uint64(len(ops))
		ep.stats.OperationsNew += uint64(len(fresh))
		s.mu.Unlock()
		if len(fresh) > 0 {
			ep.h.OnOperations(from, fresh)
		}

	case msgEndos:
		es, err := s.decodeEndos(m.data)
		if err != nil {
			s.violate("node %d: undecodable endorsements from node %d: %v", ev.node, ev.from, err)
			s.mu.Unlock()
			return
		}
		var fresh []*types.SignedEndorsement
		for _, e := range es {
			ep.peerEndos[ev.from][e.ID] = struct{}{}
			if _, ok := ep.knownEndos[e.ID]; !ok || ev.dup {
				ep.knownEndos[e.ID] = struct{}{}
				fresh = append(fresh, e)
			}
		}
		ep.stats.EndorsementsReceived += uint64(len(es))
		ep.stats.EndorsementsNew += uint64(len(fresh))
		s.mu.Unlock()
		if len(fresh) > 0 {
			ep.h.OnEndorsements(from, fresh)
		}
	default:
		s.mu.Unlock()
	}
}

// collectOps fills a block's operations from the node's store.
func (s *Sim) collectOps(h protocol.Handler, b *types.Block) ([]*types.SignedOperation, bool) {
	ops := make([]*types.SignedOperation, len(b.Operations))
	for i, id := range b.Operations {
		op, ok := h.HaveOperation(id)
		if !ok {
			return nil, false
		}
		ops[i] = op
	}
	return ops, true
}

// SendOperations gives operations to node i as a client would (the node
// pools and propagates them) and tracks them: Check requires each to be
// final on every running node, with the same success everywhere.
func (s *Sim) SendOperations(i int, ops ...*types.SignedOperation) error {
	return s.sendOps(i, true, ops)
}

// SendOperationsMayExpire is SendOperations for operations that may
// legitimately never be included: sent into one side of a partition, they
// reach only that side's pools, and expire if its nodes are not drawn
// in their thread before their expiry period (operations are propagated
// once, not to peers that connect later). Check only requires every node
// to agree on their outcome.
func (s *Sim) SendOperationsMayExpire(i int, ops ...*types.SignedOperation) error {
	return s.sendOps(i, false, ops)
}

func (s *Sim) sendOps(i int, required bool, ops []*types.SignedOperation) error {
	l := s.nodes[i].life
	if l == nil {
		return fmt.Errorf("send operations to node %d: %w", i, ErrNodeDown)
	}
	for _, op := range ops {
		if t, ok := s.opByID[op.ID]; ok {
			t.required = t.required || required
			continue
		}
		t := &trackedOp{op: op, sentTo: i, required: required}
		s.ops = append(s.ops, t)
		s.opByID[op.ID] = t
	}
	s.mu.Lock()
	for _, op := range ops {
		l.ep.knownOps[op.ID] = struct{}{}
	}
	s.mu.Unlock()
	l.ep.h.OnOperations(protocol.PeerID{}, ops)
	return nil
}

// NewAddress returns a fresh address (from the seeded generator), tracked
// for the coin-supply check.
func (s *Sim) NewAddress() types.Address {
	var seed [crypto.SeedSize]byte
	for i := range seed {
		seed[i] = byte(s.rng.Uint32())
	}
	a := types.AddressOf(crypto.SecretKeyFromSeed(seed).Public())
	s.addrs = append(s.addrs, a)
	return a
}

// Transfer builds a transaction of amount from node i's staking address
// to to, with a 0.01 MAS fee, valid for the next 8 periods.
func (s *Sim) Transfer(from int, to types.Address, amount types.Amount) *types.SignedOperation {
	op := types.Operation{
		Fee:          types.MustAmount("0.01"),
		ExpirePeriod: s.Period() + 8,
		Type:         types.OpTransaction,
		Recipient:    to,
		Amount:       amount,
	}
	return types.SignOperation(op, s.nodes[from].key, simChainID)
}

// Rand is the simulation's generator, for tests that draw their scenario
// from the seed.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// Close stops every running node.
func (s *Sim) Close() error {
	var errs []error
	for _, nd := range s.nodes {
		l := nd.life
		if l == nil {
			continue
		}
		l.cancel()
		select {
		case <-l.done:
			if l.runErr != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", nd.idx, l.runErr))
			}
		case <-time.After(s.cfg.HangTimeout):
			errs = append(errs, fmt.Errorf("%w: node %d did not stop", ErrHang, nd.idx))
		}
		s.mu.Lock()
		if l.ep != nil {
			l.ep.dead = true
		}
		nd.life = nil
		s.refreshLinks()
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// event is something due at a virtual instant.
type evKind uint8

const (
	evTimer evKind = iota + 1 // a node's loop timer fires
	evMsg                     // a message arrives
	evTick                    // an endpoint's block tick
)

type event struct {
	at, seq uint64
	kind    evKind
	node    int   // the node concerned (receiver of a message)
	from    int   // sender of a message
	life    *life // the life the event is for; stale when the node restarted
	timer   *simTimer
	msg     *message
	epoch   uint64 // the link's epoch at send time
	// dup marks the second copy of a duplicated message: it bypasses the
	// receiving endpoint's known-sets and wishlist, so that the node itself
	// sees the same header, block, operations or endorsements twice (the
	// TCP service's known-sets are bounded caches: a node must cope).
	dup bool
}

// push schedules an event. Called with s.mu held.
func (s *Sim) push(ev *event) {
	ev.seq = s.seq
	s.seq++
	heap.Push(&s.events, ev)
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
