package protocol

import (
	"fmt"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// wanted is a block being retrieved: header first, then the operation ids
// (checked against the header's merkle root), then only the operations the
// node lacks.
type wanted struct {
	id         types.BlockID
	seq        uint64
	header     *types.SignedHeader
	headerFrom PeerID

	opIDs   []types.OperationID
	haveIDs bool
	ops     map[types.OperationID]*types.SignedOperation
	missing map[types.OperationID]struct{}

	asked     *peer
	askedAt   time.Time
	askedInfo BlockInfo
	// tried holds the peers that failed to deliver in the current round.
	tried map[PeerID]struct{}
}

// want adds a block to the wishlist (header may be nil), evicting the
// oldest entry when full.
func (s *Service) want(id types.BlockID, h *types.SignedHeader, from PeerID) {
	st := s.loop
	if h == nil {
		h = st.recentHeaders[id]
	}
	if w := st.wish[id]; w != nil {
		if w.header == nil && h != nil {
			w.header, w.headerFrom = h, from
		}
		s.retrieveOne(w)
		return
	}
	if len(st.wish) >= s.cfg.MaxWishlist {
		var oldest *wanted
		for _, w := range st.wish {
			if oldest == nil || w.seq < oldest.seq {
				oldest = w
			}
		}
		s.clearAsk(oldest)
		delete(st.wish, oldest.id)
	}
	st.wishSeq++
	w := &wanted{id: id, seq: st.wishSeq, header: h, headerFrom: from, tried: make(map[PeerID]struct{})}
	st.wish[id] = w
	s.retrieveOne(w)
}

// clearAsk forgets the pending request of w.
func (s *Service) clearAsk(w *wanted) {
	if w.asked != nil {
		delete(w.asked.asks, w.id)
		w.asked = nil
	}
}

// retrieveAll moves every retrieval forward (timeouts, new peers).
func (s *Service) retrieveAll() {
	for _, w := range s.loop.wish {
		s.retrieveOne(w)
	}
}

// retrieveOne sends the next request of w unless one is pending.
func (s *Service) retrieveOne(w *wanted) {
	now := s.now()
	if w.asked != nil {
		if !w.asked.isClosed() && now.Sub(w.askedAt) < s.cfg.AskTimeout {
			return
		}
		w.tried[w.asked.id] = struct{}{}
		s.clearAsk(w)
	}
	p := s.pickPeer(w)
	if p == nil {
		// Everyone failed this round: start over at the next tick.
		if len(w.tried) > 0 {
			w.tried = make(map[PeerID]struct{})
		}
		return
	}
	req := &BlockDataRequest{BlockID: w.id}
	switch {
	case w.header == nil:
		req.Info = InfoHeader
	case !w.haveIDs:
		req.Info = InfoOperationIDs
	default:
		req.Info = InfoOperations
		for _, id := range w.opIDs {
			if _, miss := w.missing[id]; miss {
				req.OperationIDs = append(req.OperationIDs, id)
			}
		}
		s.stats.blockOpsAsked.Add(uint64(len(req.OperationIDs)))
	}
	if !p.send(EncodeFrame(req)) {
		return
	}
	w.asked, w.askedAt, w.askedInfo = p, now, req.Info
	p.asks[w.id] = struct{}{}
}

// pickPeer chooses whom to ask for w: a connected peer not yet tried this
// round and below its ask limit, preferring peers known to hold the block,
// then the least busy.
func (s *Service) pickPeer(w *wanted) *peer {
	var best *peer
	bestKnows := false
	for _, p := range s.loop.peers {
		if p.isClosed() || len(p.asks) >= s.cfg.MaxAsksPerPeer {
			continue
		}
		if _, done := w.tried[p.id]; done {
			continue
		}
		knows := p.knownBlocks.has(w.id)
		switch {
		case best == nil,
			knows && !bestKnows,
			knows == bestKnows && len(p.asks) < len(best.asks),
			knows == bestKnows && len(p.asks) == len(best.asks) && p.id.Compare(best.id) < 0:
			best, bestKnows = p, knows
		}
	}
	return best
}

// onDataResponse handles a peer's answer about a block we asked it for.
// Answers we did not ask for are ignored.
func (s *Service) onDataResponse(p *peer, m *BlockDataResponse) {
	st := s.loop
	w := st.wish[m.BlockID]
	if w == nil || w.asked != p {
		return
	}
	s.clearAsk(w)
	switch m.Info {
	case InfoNotFound:
		w.tried[p.id] = struct{}{}
	case InfoHeader:
		if w.header != nil {
			break
		}
		h := m.Header
		if h.ID != w.id {
			s.punish(p, fmt.Errorf("asked header of %s, got %s: %w", w.id, h.ID, ErrInvalidData))
			return
		}
		if err := s.checkHeader(h); err != nil {
			s.punish(p, err)
			return
		}
		p.knownBlocks.add(w.id)
		w.header, w.headerFrom = h, p.id
		st.rememberHeader(h)
		if !st.knownBlocks.has(w.id) {
			st.knownBlocks.add(w.id)
			s.h.OnHeader(p.id, h)
		}
	case InfoOperationIDs:
		if w.header == nil || w.haveIDs {
			break
		}
		if root := types.OperationMerkleRoot(m.OperationIDs); root != w.header.Header.OperationMerkleRoot {
			s.punish(p, fmt.Errorf("operation ids of %s do not match its merkle root: %w", w.id, ErrInvalidData))
			return
		}
		p.knownBlocks.add(w.id)
		s.setOpIDs(w, m.OperationIDs)
	case InfoOperations:
		if !w.haveIDs {
			break
		}
		if !s.takeOps(p, w, m.Operations) {
			return
		}
	}
	if w.haveIDs && len(w.missing) == 0 {
		s.complete(p, w)
		return
	}
	s.retrieveOne(w)
}

// setOpIDs records the block's operation ids and which of them the node
// lacks.
func (s *Service) setOpIDs(w *wanted, ids []types.OperationID) {
	w.opIDs, w.haveIDs = ids, true
	w.ops = make(map[types.OperationID]*types.SignedOperation, len(ids))
	w.missing = make(map[types.OperationID]struct{})
	for _, id := range ids {
		if _, ok := w.ops[id]; ok {
			continue
		}
		if op, ok := s.h.HaveOperation(id); ok && op != nil {
			w.ops[id] = op
			continue
		}
		if k := s.loop.opStore[id.Prefix()]; k != nil && k.op.ID == id {
			w.ops[id] = k.op
			continue
		}
		w.missing[id] = struct{}{}
	}
	// The peers tried for the header may hold the operations: new round.
	w.tried = make(map[PeerID]struct{})
}

// takeOps checks and records operations received for w. Operations that
// are not in the block, too large or wrongly signed get the peer banned.
func (s *Service) takeOps(p *peer, w *wanted, ops []*types.SignedOperation) bool {
	var fresh []*types.SignedOperation
	var items []crypto.SigItem
	for _, op := range ops {
		if _, miss := w.missing[op.ID]; !miss {
			if _, have := w.ops[op.ID]; have {
				continue
			}
			s.punish(p, fmt.Errorf("operation %s is not in block %s: %w", op.ID, w.id, ErrInvalidData))
			return false
		}
		if op.SerializedLen > int(s.cfg.Codec.MaxBlockSize) {
			s.punish(p, fmt.Errorf("operation %s of %d bytes exceeds the block size: %w", op.ID, op.SerializedLen, ErrInvalidData))
			return false
		}
		fresh = append(fresh, op)
		pk, d, sig := op.SigItem()
		items = append(items, crypto.SigItem{PublicKey: pk, Digest: d, Signature: sig})
	}
	if !s.verify(items) {
		s.punish(p, fmt.Errorf("operations of block %s: %w", w.id, ErrBadSignature))
		return false
	}
	for _, op := range fresh {
		w.ops[op.ID] = op
		delete(w.missing, op.ID)
		p.knownOps.add(op.ID.Prefix())
		s.loop.knownOps.add(op.ID.Prefix())
	}
	if len(w.missing) > 0 {
		// Partial answer: this peer lacks the rest.
		w.tried[p.id] = struct{}{}
	}
	return true
}

// complete checks the assembled block's size and hands it to the node.
func (s *Service) complete(p *peer, w *wanted) {
	st := s.loop
	delete(st.wish, w.id)
	st.knownBlocks.add(w.id)
	ops := make([]*types.SignedOperation, len(w.opIDs))
	total := 0
	for i, id := range w.opIDs {
		ops[i] = w.ops[id]
		total += ops[i].SerializedLen
	}
	if total > int(s.cfg.Codec.MaxBlockSize) {
		s.punish(p, fmt.Errorf("block %s holds %d bytes of operations, limit %d: %w", w.id, total, s.cfg.Codec.MaxBlockSize, ErrInvalidData))
		return
	}
	s.stats.blocksRetrieved.Add(1)
	from := w.headerFrom
	if from.IsZero() {
		from = p.id
	}
	s.h.OnBlock(from, &types.Block{Header: w.header, Operations: w.opIDs}, ops)
}
