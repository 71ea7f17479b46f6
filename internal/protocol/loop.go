package protocol

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// opsMessageBudget bounds the bytes of one Operations message we send, so
// that a large answer goes out as several frames no peer refuses.
const opsMessageBudget = 1 << 20

// maxDeferredPeers bounds the peers remembered per deferred prefix.
const maxDeferredPeers = 4

type evKind uint8

const (
	evConnected evKind = iota
	evDisconnected
	evMessage
)

// event is what connections tell the service loop.
type event struct {
	kind evKind
	p    *peer
	msg  Message
}

type cmdKind uint8

const (
	cmdAnnounceBlock cmdKind = iota
	cmdPropagateOps
	cmdPropagateEndos
	cmdAskBlocks
	cmdCancelBlocks
)

// command is what the node asks of the service loop.
type command struct {
	kind   cmdKind
	header *types.SignedHeader
	ops    []*types.SignedOperation
	es     []*types.SignedEndorsement
	ids    []types.BlockID
}

// propBlock is a header kept for propagation.
type propBlock struct {
	header *types.SignedHeader
	frame  []byte
	until  time.Time
}

// keptOp is an operation kept to answer asks and announced to peers.
type keptOp struct {
	op    *types.SignedOperation
	added time.Time
}

// askRecord is the last time a prefix was asked, and to whom.
type askRecord struct {
	at   time.Time
	peer PeerID
}

// loopState is everything the service loop owns.
type loopState struct {
	peers map[PeerID]*peer

	knownBlocks *knownSet[types.BlockID]
	knownOps    *knownSet[types.OperationPrefix]
	knownEndos  *knownSet[types.EndorsementID]

	propagating map[types.BlockID]*propBlock
	propOrder   []types.BlockID

	opStore  map[types.OperationPrefix]*keptOp
	opQueue  []types.OperationPrefix
	announce []types.OperationPrefix
	asked    map[types.OperationPrefix]askRecord
	deferred map[types.OperationPrefix][]PeerID

	wish    map[types.BlockID]*wanted
	wishSeq uint64

	// recentHeaders keeps the last verified headers, so that a block the
	// node asks for right after seeing its header is not asked header
	// first.
	recentHeaders map[types.BlockID]*types.SignedHeader
	recentOrder   []types.BlockID
	recentMax     int
}

func newLoopState(cfg *Config) *loopState {
	return &loopState{
		peers:       make(map[PeerID]*peer),
		knownBlocks: newKnownSet[types.BlockID](cfg.KnownBlocks),
		knownOps:    newKnownSet[types.OperationPrefix](cfg.KnownOps),
		knownEndos:  newKnownSet[types.EndorsementID](cfg.KnownEndorsements),
		propagating: make(map[types.BlockID]*propBlock),
		opStore:     make(map[types.OperationPrefix]*keptOp),
		asked:       make(map[types.OperationPrefix]askRecord),
		deferred:    make(map[types.OperationPrefix][]PeerID),
		wish:        make(map[types.BlockID]*wanted),

		recentHeaders: make(map[types.BlockID]*types.SignedHeader),
		recentMax:     cfg.KnownBlocks,
	}
}

// rememberHeader keeps a verified header among the recent ones.
func (st *loopState) rememberHeader(h *types.SignedHeader) {
	if _, ok := st.recentHeaders[h.ID]; ok {
		return
	}
	st.recentHeaders[h.ID] = h
	st.recentOrder = append(st.recentOrder, h.ID)
	if len(st.recentOrder) > st.recentMax {
		delete(st.recentHeaders, st.recentOrder[0])
		st.recentOrder = append(st.recentOrder[:0:0], st.recentOrder[1:]...)
	}
}

// counters are the service's statistics, written with atomics so that
// Stats never waits for the loop.
type counters struct {
	messagesIn, messagesOut, bytesIn, bytesOut         atomic.Uint64
	handshakesOK, handshakesFailed                     atomic.Uint64
	refused, rejectedBanned, violations                atomic.Uint64
	headersIn, blocksRetrieved, blockOpsAsked          atomic.Uint64
	opsIn, opsNew, opsAskedByPrefix, endosIn, endosNew atomic.Uint64

	wishlist, opsKept, blocksKept              atomic.Int64
	knownBlocks, knownOps, knownEndos, pending atomic.Int64
}

// Stats are counters since start and current sizes, for metrics and the
// API.
type Stats struct {
	Peers, InPeers, OutPeers              int
	KnownPeers, BannedPeers, BannedIPs    int
	MessagesIn, MessagesOut               uint64
	BytesIn, BytesOut                     uint64
	HandshakesOK, HandshakesFailed        uint64
	RefusedConnections, RejectedBanned    uint64
	Violations                            uint64
	HeadersReceived, BlocksRetrieved      uint64
	BlockOperationsAsked                  uint64 // asked by full id while retrieving blocks
	OperationsReceived, OperationsNew     uint64 // over the wire, and new ones
	OperationsAskedByPrefix               uint64
	EndorsementsReceived, EndorsementsNew uint64
	Wishlist, OperationsKept, BlocksKept  int
	KnownBlocks, KnownOperations          int
	KnownEndorsements                     int
	PendingCommands                       int
}

// Stats returns the current statistics.
func (s *Service) Stats() Stats {
	st := Stats{
		MessagesIn: s.stats.messagesIn.Load(), MessagesOut: s.stats.messagesOut.Load(),
		BytesIn: s.stats.bytesIn.Load(), BytesOut: s.stats.bytesOut.Load(),
		HandshakesOK: s.stats.handshakesOK.Load(), HandshakesFailed: s.stats.handshakesFailed.Load(),
		RefusedConnections: s.stats.refused.Load(), RejectedBanned: s.stats.rejectedBanned.Load(),
		Violations:      s.stats.violations.Load(),
		HeadersReceived: s.stats.headersIn.Load(), BlocksRetrieved: s.stats.blocksRetrieved.Load(),
		BlockOperationsAsked: s.stats.blockOpsAsked.Load(),
		OperationsReceived:   s.stats.opsIn.Load(), OperationsNew: s.stats.opsNew.Load(),
		OperationsAskedByPrefix: s.stats.opsAskedByPrefix.Load(),
		EndorsementsReceived:    s.stats.endosIn.Load(), EndorsementsNew: s.stats.endosNew.Load(),
		Wishlist: int(s.stats.wishlist.Load()), OperationsKept: int(s.stats.opsKept.Load()),
		BlocksKept: int(s.stats.blocksKept.Load()), KnownBlocks: int(s.stats.knownBlocks.Load()),
		KnownOperations: int(s.stats.knownOps.Load()), KnownEndorsements: int(s.stats.knownEndos.Load()),
		PendingCommands: int(s.stats.pending.Load()),
	}
	s.mu.Lock()
	st.Peers = len(s.peers)
	for _, p := range s.peers {
		if p.outgoing {
			st.OutPeers++
		} else {
			st.InPeers++
		}
	}
	s.mu.Unlock()
	st.KnownPeers, st.BannedPeers, st.BannedIPs = s.book.counts()
	return st
}

// enqueue hands a command to the loop without ever blocking, so that a
// Handler method may call the Service.
func (s *Service) enqueue(c command) {
	if s.stopped.Load() {
		return
	}
	s.cmdMu.Lock()
	s.cmds = append(s.cmds, c)
	s.stats.pending.Store(int64(len(s.cmds)))
	s.cmdMu.Unlock()
	select {
	case s.cmdWake <- struct{}{}:
	default:
	}
}

// AnnounceBlock pushes a header to every peer that does not know it, now
// and for BlockKeepTime to peers that connect later. Call it when
// consensus integrates a block (own or received).
func (s *Service) AnnounceBlock(h *types.SignedHeader) {
	if h != nil {
		s.enqueue(command{kind: cmdAnnounceBlock, header: h})
	}
}

// PropagateOperations announces operations by prefix to the peers that do
// not know them (in batches) and keeps them for OpKeepTime to answer asks.
func (s *Service) PropagateOperations(ops []*types.SignedOperation) {
	if len(ops) > 0 {
		s.enqueue(command{kind: cmdPropagateOps, ops: ops})
	}
}

// PropagateEndorsements pushes endorsements in full to the peers that do
// not know them.
func (s *Service) PropagateEndorsements(es []*types.SignedEndorsement) {
	if len(es) > 0 {
		s.enqueue(command{kind: cmdPropagateEndos, es: es})
	}
}

// AskBlocks adds blocks to the wishlist: their header (unless already
// seen), operation ids and missing operations are retrieved from peers and
// the full block handed to Handler.OnBlock.
func (s *Service) AskBlocks(ids []types.BlockID) {
	if len(ids) > 0 {
		s.enqueue(command{kind: cmdAskBlocks, ids: ids})
	}
}

// CancelBlocks removes blocks from the wishlist.
func (s *Service) CancelBlocks(ids []types.BlockID) {
	if len(ids) > 0 {
		s.enqueue(command{kind: cmdCancelBlocks, ids: ids})
	}
}

func (s *Service) runLoop() {
	defer s.wg.Done()
	opTick := time.NewTicker(s.cfg.OpAnnounceInterval)
	blockTick := time.NewTicker(s.cfg.BlockTick)
	listTick := time.NewTicker(s.cfg.PeerListInterval)
	saveTick := time.NewTicker(s.cfg.PeerBookSaveInterval)
	defer opTick.Stop()
	defer blockTick.Stop()
	defer listTick.Stop()
	defer saveTick.Stop()
	s.runCommands() // anything queued before Start
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev := <-s.events:
			s.handleEvent(ev)
		case <-s.cmdWake:
			s.runCommands()
		case <-opTick.C:
			s.flushAnnouncements()
			s.askDeferred()
			s.pruneOps()
		case <-blockTick.C:
			s.propagateBlocks()
			s.retrieveAll()
			s.pruneAsked()
		case <-listTick.C:
			s.sendPeerLists()
		case <-saveTick.C:
			if err := s.book.saveIfDirty(); err != nil {
				s.log.Warn("P2P peer book not saved", "err", err)
			}
		}
		s.updateGauges()
	}
}

func (s *Service) updateGauges() {
	st := s.loop
	s.stats.wishlist.Store(int64(len(st.wish)))
	s.stats.opsKept.Store(int64(len(st.opStore)))
	s.stats.blocksKept.Store(int64(len(st.propagating)))
	s.stats.knownBlocks.Store(int64(st.knownBlocks.len()))
	s.stats.knownOps.Store(int64(st.knownOps.len()))
	s.stats.knownEndos.Store(int64(st.knownEndos.len()))
}

func (s *Service) runCommands() {
	s.cmdMu.Lock()
	cmds := s.cmds
	s.cmds = nil
	s.stats.pending.Store(0)
	s.cmdMu.Unlock()
	for _, c := range cmds {
		switch c.kind {
		case cmdAnnounceBlock:
			s.announceBlock(c.header)
		case cmdPropagateOps:
			s.propagateOps(c.ops)
		case cmdPropagateEndos:
			s.propagateEndorsements(c.es)
		case cmdAskBlocks:
			for _, id := range c.ids {
				s.want(id, nil, PeerID{})
			}
		case cmdCancelBlocks:
			for _, id := range c.ids {
				if w := s.loop.wish[id]; w != nil {
					s.clearAsk(w)
					delete(s.loop.wish, id)
				}
			}
		}
	}
}

func (s *Service) handleEvent(ev event) {
	st := s.loop
	switch ev.kind {
	case evConnected:
		p := ev.p
		st.peers[p.id] = p
		s.sendPeerList(p)
		for _, id := range st.propOrder {
			if pb := st.propagating[id]; pb != nil && !p.knownBlocks.has(id) {
				p.knownBlocks.add(id)
				p.send(pb.frame)
			}
		}
	case evDisconnected:
		p := ev.p
		if st.peers[p.id] == p {
			delete(st.peers, p.id)
		}
		for id := range p.asks {
			if w := st.wish[id]; w != nil && w.asked == p {
				s.clearAsk(w)
				s.retrieveOne(w)
			}
		}
	case evMessage:
		if ev.p.isClosed() {
			return // a banned or dropped peer's last messages
		}
		s.handleMessage(ev.p, ev.msg)
	}
}

func (s *Service) handleMessage(p *peer, msg Message) {
	switch m := msg.(type) {
	case *HeaderMessage:
		s.stats.headersIn.Add(1)
		s.onHeader(p, m.Header)
	case *BlockDataRequest:
		s.onDataRequest(p, m)
	case *BlockDataResponse:
		s.onDataResponse(p, m)
	case *EndorsementsMessage:
		s.onEndorsements(p, m.Endorsements)
	case *OperationsAnnouncement:
		s.onOpAnnouncement(p, m.Prefixes)
	case *AskForOperations:
		s.onOpAsk(p, m.Prefixes)
	case *OperationsMessage:
		s.onOperations(p, m.Operations)
	case *NewPeerConnected:
		s.learnPeers([]PeerListeners{m.Peer})
	case *ListPeers:
		s.learnPeers(m.Peers)
	}
}

// verify batch-checks signatures.
func (s *Service) verify(items []crypto.SigItem) bool {
	return s.verifier.VerifyAll(items)
}

// checkHeader applies the checks a relaying node can make alone: not a
// genesis header, valid producer and endorsement signatures. Draws and
// versions are the node's to check.
func (s *Service) checkHeader(h *types.SignedHeader) error {
	if h.Header.IsGenesis() {
		return fmt.Errorf("header %s without parents: %w", h.ID, ErrInvalidData)
	}
	if !s.verify(h.SigItems()) {
		return fmt.Errorf("header %s: %w", h.ID, ErrBadSignature)
	}
	return nil
}

// sendChunks calls f on consecutive slices of xs of at most n elements.
func sendChunks[T any](xs []T, n int, f func([]T)) {
	for len(xs) > 0 {
		k := min(n, len(xs))
		f(xs[:k])
		xs = xs[k:]
	}
}

// onHeader handles an announced header.
func (s *Service) onHeader(p *peer, h *types.SignedHeader) {
	st := s.loop
	p.knownBlocks.add(h.ID)
	if st.knownBlocks.has(h.ID) {
		return
	}
	if err := s.checkHeader(h); err != nil {
		s.punish(p, err)
		return
	}
	st.knownBlocks.add(h.ID)
	st.rememberHeader(h)
	s.h.OnHeader(p.id, h)
	if w := st.wish[h.ID]; w != nil {
		if w.header == nil {
			w.header, w.headerFrom = h, p.id
			if w.asked != nil && w.askedInfo == InfoHeader {
				s.clearAsk(w)
			}
			s.retrieveOne(w)
		}
		return
	}
	if s.cfg.AutoFetch {
		if _, _, ok := s.h.GetBlock(h.ID); !ok {
			s.want(h.ID, h, p.id)
		}
	}
}

// announceBlock starts propagating a header.
func (s *Service) announceBlock(h *types.SignedHeader) {
	st := s.loop
	st.knownBlocks.add(h.ID)
	st.rememberHeader(h)
	if _, ok := st.propagating[h.ID]; ok {
		return
	}
	pb := &propBlock{header: h, frame: EncodeFrame(&HeaderMessage{Header: h}), until: s.now().Add(s.cfg.BlockKeepTime)}
	st.propagating[h.ID] = pb
	st.propOrder = append(st.propOrder, h.ID)
	for len(st.propOrder) > s.cfg.MaxBlocksKept {
		delete(st.propagating, st.propOrder[0])
		st.propOrder = st.propOrder[1:]
	}
	for _, p := range st.peers {
		if !p.knownBlocks.has(h.ID) {
			p.knownBlocks.add(h.ID)
			p.send(pb.frame)
		}
	}
}

// propagateBlocks drops expired headers and pushes the others to peers
// that connected since.
func (s *Service) propagateBlocks() {
	st := s.loop
	now := s.now()
	kept := st.propOrder[:0]
	for _, id := range st.propOrder {
		pb := st.propagating[id]
		if pb == nil || now.After(pb.until) {
			delete(st.propagating, id)
			continue
		}
		kept = append(kept, id)
		for _, p := range st.peers {
			if !p.knownBlocks.has(id) {
				p.knownBlocks.add(id)
				p.send(pb.frame)
			}
		}
	}
	st.propOrder = kept
}

// onDataRequest answers a peer asking for a block's data.
func (s *Service) onDataRequest(p *peer, m *BlockDataRequest) {
	resp := &BlockDataResponse{BlockID: m.BlockID, Info: InfoNotFound}
	blk, ops, ok := s.h.GetBlock(m.BlockID)
	if ok && blk != nil {
		switch m.Info {
		case InfoHeader:
			resp.Info, resp.Header = InfoHeader, blk.Header
		case InfoOperationIDs:
			resp.Info, resp.OperationIDs = InfoOperationIDs, blk.Operations
		case InfoOperations:
			inBlock := make(map[types.OperationID]*types.SignedOperation, len(blk.Operations))
			for i, id := range blk.Operations {
				var op *types.SignedOperation
				if i < len(ops) && ops[i] != nil && ops[i].ID == id {
					op = ops[i]
				}
				inBlock[id] = op
			}
			resp.Info = InfoOperations
			for _, id := range m.OperationIDs {
				op, in := inBlock[id]
				if !in {
					continue // not an operation of this block
				}
				if op == nil {
					if op, ok = s.h.HaveOperation(id); !ok {
						continue
					}
				}
				resp.Operations = append(resp.Operations, op)
				p.knownOps.add(id.Prefix())
			}
		}
		p.knownBlocks.add(m.BlockID)
	}
	p.send(EncodeFrame(resp))
}

// onEndorsements handles endorsements pushed by a peer.
func (s *Service) onEndorsements(p *peer, es []*types.SignedEndorsement) {
	st := s.loop
	s.stats.endosIn.Add(uint64(len(es)))
	var fresh []*types.SignedEndorsement
	var items []crypto.SigItem
	seen := make(map[types.EndorsementID]struct{}, len(es))
	for _, e := range es {
		p.knownEndos.add(e.ID)
		if _, dup := seen[e.ID]; dup || st.knownEndos.has(e.ID) {
			continue
		}
		seen[e.ID] = struct{}{}
		fresh = append(fresh, e)
		pk, d, sig := e.SigItem()
		items = append(items, crypto.SigItem{PublicKey: pk, Digest: d, Signature: sig})
	}
	if len(fresh) == 0 {
		return
	}
	if !s.verify(items) {
		s.punish(p, fmt.Errorf("endorsements: %w", ErrBadSignature))
		return
	}
	for _, e := range fresh {
		st.knownEndos.add(e.ID)
	}
	s.stats.endosNew.Add(uint64(len(fresh)))
	s.h.OnEndorsements(p.id, fresh)
}

// propagateEndorsements pushes endorsements to the peers that do not know
// them.
func (s *Service) propagateEndorsements(es []*types.SignedEndorsement) {
	st := s.loop
	for _, e := range es {
		st.knownEndos.add(e.ID)
	}
	for _, p := range st.peers {
		var out []*types.SignedEndorsement
		for _, e := range es {
			if !p.knownEndos.has(e.ID) {
				p.knownEndos.add(e.ID)
				out = append(out, e)
			}
		}
		sendChunks(out, int(s.cfg.MaxEndorsementsPerMessage), func(c []*types.SignedEndorsement) {
			p.send(EncodeFrame(&EndorsementsMessage{Endorsements: c}))
		})
	}
}

// propagateOps keeps new operations for propagation and queues their
// prefixes for the next announcement.
func (s *Service) propagateOps(ops []*types.SignedOperation) {
	st := s.loop
	now := s.now()
	for _, op := range ops {
		pr := op.ID.Prefix()
		st.knownOps.add(pr)
		if _, ok := st.opStore[pr]; ok {
			continue
		}
		st.opStore[pr] = &keptOp{op: op, added: now}
		st.opQueue = append(st.opQueue, pr)
		st.announce = append(st.announce, pr)
	}
	for len(st.opStore) > s.cfg.MaxOpsKept && len(st.opQueue) > 0 {
		delete(st.opStore, st.opQueue[0])
		st.opQueue = st.opQueue[1:]
	}
	if len(st.announce) >= s.cfg.OpAnnounceBuffer {
		s.flushAnnouncements()
	}
}

// flushAnnouncements announces the buffered prefixes to every peer that
// does not know them.
func (s *Service) flushAnnouncements() {
	st := s.loop
	if len(st.announce) == 0 {
		return
	}
	for _, p := range st.peers {
		var out []types.OperationPrefix
		for _, pr := range st.announce {
			if !p.knownOps.has(pr) {
				p.knownOps.add(pr)
				out = append(out, pr)
			}
		}
		sendChunks(out, int(s.cfg.MaxOperationsPerMessage), func(c []types.OperationPrefix) {
			p.send(EncodeFrame(&OperationsAnnouncement{Prefixes: c}))
		})
	}
	st.announce = st.announce[:0]
}

// pruneOps forgets operations kept longer than OpKeepTime.
func (s *Service) pruneOps() {
	st := s.loop
	cutoff := s.now().Add(-s.cfg.OpKeepTime)
	n := 0
	for n < len(st.opQueue) {
		k := st.opStore[st.opQueue[n]]
		if k != nil && k.added.After(cutoff) {
			break
		}
		delete(st.opStore, st.opQueue[n])
		n++
	}
	if n > 0 {
		st.opQueue = append(st.opQueue[:0:0], st.opQueue[n:]...)
	}
}

// pruneAsked forgets asks older than AskTimeout.
func (s *Service) pruneAsked() {
	st := s.loop
	cutoff := s.now().Add(-s.cfg.AskTimeout)
	for pr, a := range st.asked {
		if a.at.Before(cutoff) {
			delete(st.asked, pr)
		}
	}
}

// haveOp reports an operation known by prefix: seen by the service or,
// when the handler can tell, held by the node.
func (s *Service) haveOp(pr types.OperationPrefix) bool {
	if s.loop.knownOps.has(pr) {
		return true
	}
	if s.prefixes != nil {
		if _, ok := s.prefixes.OperationByPrefix(pr); ok {
			s.loop.knownOps.add(pr)
			return true
		}
	}
	return false
}

// onOpAnnouncement asks the announcing peer for the operations we lack,
// unless another peer was asked for them in the last OpAskDeferral.
func (s *Service) onOpAnnouncement(p *peer, prefixes []types.OperationPrefix) {
	st := s.loop
	now := s.now()
	var ask []types.OperationPrefix
	for _, pr := range prefixes {
		p.knownOps.add(pr)
		if s.haveOp(pr) {
			continue
		}
		if a, ok := st.asked[pr]; ok && now.Sub(a.at) < s.cfg.OpAskDeferral {
			if ds := st.deferred[pr]; len(ds) < maxDeferredPeers {
				st.deferred[pr] = append(ds, p.id)
			}
			continue
		}
		st.asked[pr] = askRecord{at: now, peer: p.id}
		ask = append(ask, pr)
	}
	s.askOps(p, ask)
}

func (s *Service) askOps(p *peer, prefixes []types.OperationPrefix) {
	s.stats.opsAskedByPrefix.Add(uint64(len(prefixes)))
	sendChunks(prefixes, int(s.cfg.MaxOperationsPerMessage), func(c []types.OperationPrefix) {
		p.send(EncodeFrame(&AskForOperations{Prefixes: c}))
	})
}

// askDeferred asks again, from another peer that announced it, for an
// operation the first peer asked did not deliver in time.
func (s *Service) askDeferred() {
	st := s.loop
	now := s.now()
	batches := make(map[*peer][]types.OperationPrefix)
	for pr, ids := range st.deferred {
		if s.haveOp(pr) {
			delete(st.deferred, pr)
			continue
		}
		if a, ok := st.asked[pr]; ok && now.Sub(a.at) < s.cfg.OpAskDeferral {
			continue
		}
		delete(st.deferred, pr)
		for _, id := range ids {
			if p := st.peers[id]; p != nil && !p.isClosed() {
				st.asked[pr] = askRecord{at: now, peer: id}
				batches[p] = append(batches[p], pr)
				break
			}
		}
	}
	for p, prs := range batches {
		s.askOps(p, prs)
	}
}

// onOpAsk sends a peer the operations it asked for that we keep.
func (s *Service) onOpAsk(p *peer, prefixes []types.OperationPrefix) {
	st := s.loop
	var out []*types.SignedOperation
	size := 0
	flush := func() {
		if len(out) > 0 {
			p.send(EncodeFrame(&OperationsMessage{Operations: out}))
			out, size = nil, 0
		}
	}
	for _, pr := range prefixes {
		var op *types.SignedOperation
		if k := st.opStore[pr]; k != nil {
			op = k.op
		} else if s.prefixes != nil {
			op, _ = s.prefixes.OperationByPrefix(pr)
		}
		if op == nil {
			continue
		}
		p.knownOps.add(pr)
		if len(out) > 0 && (len(out) >= int(s.cfg.MaxOperationsPerMessage) || size+op.SerializedLen > opsMessageBudget) {
			flush()
		}
		out = append(out, op)
		size += op.SerializedLen
	}
	flush()
}

// onOperations handles operations sent by a peer: new ones are verified in
// one batch and handed to the node.
func (s *Service) onOperations(p *peer, ops []*types.SignedOperation) {
	st := s.loop
	s.stats.opsIn.Add(uint64(len(ops)))
	var fresh []*types.SignedOperation
	var items []crypto.SigItem
	seen := make(map[types.OperationPrefix]struct{}, len(ops))
	for _, op := range ops {
		pr := op.ID.Prefix()
		p.knownOps.add(pr)
		if op.SerializedLen > int(s.cfg.Codec.MaxBlockSize) {
			s.punish(p, fmt.Errorf("operation %s of %d bytes exceeds the block size %d: %w", op.ID, op.SerializedLen, s.cfg.Codec.MaxBlockSize, ErrInvalidData))
			return
		}
		if _, dup := seen[pr]; dup || st.knownOps.has(pr) {
			continue
		}
		seen[pr] = struct{}{}
		fresh = append(fresh, op)
		pk, d, sig := op.SigItem()
		items = append(items, crypto.SigItem{PublicKey: pk, Digest: d, Signature: sig})
	}
	if len(fresh) == 0 {
		return
	}
	if !s.verify(items) {
		s.punish(p, fmt.Errorf("operations: %w", ErrBadSignature))
		return
	}
	for _, op := range fresh {
		pr := op.ID.Prefix()
		st.knownOps.add(pr)
		delete(st.asked, pr)
		delete(st.deferred, pr)
	}
	s.stats.opsNew.Add(uint64(len(fresh)))
	s.h.OnOperations(p.id, fresh)
}

// sendPeerLists shares known nodes with every peer.
func (s *Service) sendPeerLists() {
	for _, p := range s.loop.peers {
		s.sendPeerList(p)
	}
}

func (s *Service) sendPeerList(p *peer) {
	peers := s.book.randomPeers(int(s.cfg.MaxPeersPerMessage), p.id)
	s.capListeners(peers)
	p.send(EncodeFrame(&ListPeers{Peers: peers}))
}
