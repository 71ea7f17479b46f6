package sim

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// msgKind is what a simulated message carries.
type msgKind uint8

const (
	msgHeader msgKind = iota + 1 // an announced header
	msgAsk                       // a request for a block with its operations
	msgBlock                     // the answer: the block and its operations, or not found
	msgOps                       // operations, in full
	msgEndos                     // endorsements, in full
)

func (k msgKind) String() string {
	switch k {
	case msgHeader:
		return "header"
	case msgAsk:
		return "ask"
	case msgBlock:
		return "block"
	case msgOps:
		return "operations"
	case msgEndos:
		return "endorsements"
	}
	return "?"
}

// message travels serialized, as on the wire: each receiver decodes its
// own copy, so that no two nodes ever share a mutable object.
type message struct {
	kind  msgKind
	id    types.BlockID // msgAsk, msgBlock
	found bool          // msgBlock
	data  []byte
}

// endpoint is one node life's attachment to the simulated network: it
// implements node.Network with the behaviour of the TCP protocol service
// (known-block sets per peer, headers pushed to peers that do not know
// them and, for BlockKeepTime, to peers that connect later, blocks fetched
// by id from peers with timeouts and retries, operations and endorsements
// pushed to peers that do not know them). All its state is guarded by
// Sim.mu. A crashed node's endpoint is dead: calls are ignored.
type endpoint struct {
	s    *Sim
	idx  int
	life *life
	id   protocol.PeerID
	h    protocol.Handler
	dead bool

	knownBlocks map[types.BlockID]struct{}
	knownOps    map[types.OperationID]struct{}
	knownEndos  map[types.EndorsementID]struct{}
	// per peer index: what we believe the peer knows (reset when the link
	// comes up again: a new connection starts with empty sets)
	peerBlocks []map[types.BlockID]struct{}
	peerOps    []map[types.OperationID]struct{}
	peerEndos  []map[types.EndorsementID]struct{}

	propagating []propBlock
	wish        map[types.BlockID]*want
	wishSeq     uint64
	asks        []int // outstanding requests per peer
	banned      []bool

	stats protocol.Stats
}

type propBlock struct {
	id    types.BlockID
	data  []byte
	until uint64
}

// want is a block being fetched.
type want struct {
	id      types.BlockID
	seq     uint64
	asked   int // peer index, -1 when no request is pending
	askedAt uint64
	tried   map[int]struct{}
}

var _ node.Network = (*endpoint)(nil)

func newEndpoint(s *Sim, l *life, id protocol.PeerID, h protocol.Handler) *endpoint {
	n := len(s.nodes)
	ep := &endpoint{
		s: s, idx: l.node.idx, life: l, id: id, h: h,
		knownBlocks: map[types.BlockID]struct{}{},
		knownOps:    map[types.OperationID]struct{}{},
		knownEndos:  map[types.EndorsementID]struct{}{},
		peerBlocks:  make([]map[types.BlockID]struct{}, n),
		peerOps:     make([]map[types.OperationID]struct{}, n),
		peerEndos:   make([]map[types.EndorsementID]struct{}, n),
		wish:        map[types.BlockID]*want{},
		asks:        make([]int, n),
		banned:      make([]bool, n),
	}
	for j := range n {
		ep.resetPeer(j)
	}
	return ep
}

func (ep *endpoint) resetPeer(j int) {
	ep.peerBlocks[j] = map[types.BlockID]struct{}{}
	ep.peerOps[j] = map[types.OperationID]struct{}{}
	ep.peerEndos[j] = map[types.EndorsementID]struct{}{}
}

// upPeers lists the peers ep is connected to, by index.
func (ep *endpoint) upPeers() []int {
	var out []int
	for j := range ep.s.nodes {
		if j != ep.idx && ep.s.links[ep.idx][j].up {
			out = append(out, j)
		}
	}
	return out
}

// AnnounceBlock pushes the header to connected peers that do not know it
// and keeps it for those that connect within BlockKeepTime.
func (ep *endpoint) AnnounceBlock(h *types.SignedHeader) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead || h == nil {
		return
	}
	ep.knownBlocks[h.ID] = struct{}{}
	for _, p := range ep.propagating {
		if p.id == h.ID {
			return
		}
	}
	pb := propBlock{id: h.ID, data: h.AppendBinary(nil), until: s.now.Load() + s.cfg.BlockKeepTime}
	ep.propagating = append(ep.propagating, pb)
	for _, j := range ep.upPeers() {
		ep.pushHeader(j, pb)
	}
}

func (ep *endpoint) pushHeader(j int, pb propBlock) {
	if _, ok := ep.peerBlocks[j][pb.id]; ok {
		return
	}
	ep.peerBlocks[j][pb.id] = struct{}{}
	ep.s.send(ep.idx, j, &message{kind: msgHeader, data: pb.data})
}

// PropagateOperations pushes operations to the connected peers that do not
// know them.
func (ep *endpoint) PropagateOperations(ops []*types.SignedOperation) {
	propagate(ep, ops, msgOps, ep.knownOps, ep.peerOps,
		func(op *types.SignedOperation) types.OperationID { return op.ID })
}

// PropagateEndorsements pushes endorsements to the connected peers that do
// not know them.
func (ep *endpoint) PropagateEndorsements(es []*types.SignedEndorsement) {
	propagate(ep, es, msgEndos, ep.knownEndos, ep.peerEndos,
		func(e *types.SignedEndorsement) types.EndorsementID { return e.ID })
}

// propagate marks items known and sends each connected peer, in one
// message of kind, those it does not know yet.
func propagate[K comparable, T interface{ AppendBinary([]byte) []byte }](
	ep *endpoint, items []T, kind msgKind, known map[K]struct{}, peerKnown []map[K]struct{}, id func(T) K,
) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead {
		return
	}
	for _, it := range items {
		known[id(it)] = struct{}{}
	}
	for _, j := range ep.upPeers() {
		var data []byte
		count := 0
		for _, it := range items {
			k := id(it)
			if _, ok := peerKnown[j][k]; ok {
				continue
			}
			peerKnown[j][k] = struct{}{}
			data = it.AppendBinary(data)
			count++
		}
		if count > 0 {
			s.send(ep.idx, j, &message{kind: kind, data: withCount(count, data)})
		}
	}
}

func withCount(n int, data []byte) []byte {
	out := binary.AppendUvarint(make([]byte, 0, len(data)+4), uint64(n))
	return append(out, data...)
}

// AskBlocks starts fetching blocks.
func (ep *endpoint) AskBlocks(ids []types.BlockID) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead {
		return
	}
	for _, id := range ids {
		ep.want(id)
	}
}

// CancelBlocks stops fetching blocks.
func (ep *endpoint) CancelBlocks(ids []types.BlockID) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead {
		return
	}
	for _, id := range ids {
		if w := ep.wish[id]; w != nil {
			ep.clearAsk(w)
			delete(ep.wish, id)
		}
	}
}

// Ban disconnects a peer until Unban. Honest nodes never have a reason to
// ban each other: the simulation records it as a violation.
func (ep *endpoint) Ban(id protocol.PeerID) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead {
		return
	}
	j := s.peerIndex(id)
	if j < 0 {
		return
	}
	ep.banned[j] = true
	s.violate("node %d banned node %d at %s", ep.idx, j, s.slotNow())
	s.refreshLinks()
}

// Unban lifts a ban.
func (ep *endpoint) Unban(id protocol.PeerID) {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.dead {
		return
	}
	if j := s.peerIndex(id); j >= 0 {
		ep.banned[j] = false
		s.refreshLinks()
	}
}

// BanIP and UnbanIP do nothing: simulated peers have no IP of their own.
func (ep *endpoint) BanIP(netip.Addr)   {}
func (ep *endpoint) UnbanIP(netip.Addr) {}

// Peers lists the connected peers.
func (ep *endpoint) Peers() map[protocol.PeerID]protocol.PeerInfo {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[protocol.PeerID]protocol.PeerInfo{}
	if ep.dead {
		return out
	}
	for _, j := range ep.upPeers() {
		pe := s.nodes[j].life.ep
		out[pe.id] = protocol.PeerInfo{
			Addr:     netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + j)}), 31244),
			Outgoing: ep.idx < j,
			Since:    clock.FromMS(s.links[ep.idx][j].since),
		}
	}
	return out
}

// Stats counts peers and messages.
func (ep *endpoint) Stats() protocol.Stats {
	s := ep.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ep.stats
	st.Peers = len(ep.upPeers())
	st.Wishlist = len(ep.wish)
	for j, b := range ep.banned {
		if b && j != ep.idx {
			st.BannedPeers++
		}
	}
	return st
}

// want adds a block to the fetch list and asks for it. Called with s.mu held.
func (ep *endpoint) want(id types.BlockID) {
	w := ep.wish[id]
	if w == nil {
		ep.wishSeq++
		w = &want{id: id, seq: ep.wishSeq, asked: -1, tried: map[int]struct{}{}}
		ep.wish[id] = w
	}
	ep.retrieve(w)
}

func (ep *endpoint) clearAsk(w *want) {
	if w.asked >= 0 {
		ep.asks[w.asked]--
		w.asked = -1
	}
}

// retrieve sends w's request unless one is pending and not timed out:
// to a connected peer not tried this round, preferring peers known to
// hold the block, then the least busy, ties broken by the seeded
// generator. Called with s.mu held.
func (ep *endpoint) retrieve(w *want) {
	s := ep.s
	now := s.now.Load()
	if w.asked >= 0 {
		if s.links[ep.idx][w.asked].up && now < w.askedAt+s.cfg.AskTimeout {
			return
		}
		w.tried[w.asked] = struct{}{}
		ep.clearAsk(w)
	}
	var best []int
	bestKnows, bestLoad := false, 0
	for _, j := range ep.upPeers() {
		if _, ok := w.tried[j]; ok {
			continue
		}
		_, knows := ep.peerBlocks[j][w.id]
		switch {
		case best == nil, knows && !bestKnows, knows == bestKnows && ep.asks[j] < bestLoad:
			best, bestKnows, bestLoad = []int{j}, knows, ep.asks[j]
		case knows == bestKnows && ep.asks[j] == bestLoad:
			best = append(best, j)
		}
	}
	if best == nil {
		// Everyone failed this round: start over at the next tick.
		clear(w.tried)
		return
	}
	j := best[s.rng.IntN(len(best))]
	w.asked, w.askedAt = j, now
	ep.asks[j]++
	s.send(ep.idx, j, &message{kind: msgAsk, id: w.id})
}

// tick is the protocol's block tick: expired headers are forgotten, kept
// ones pushed to peers that connected since, and requests that timed out
// sent elsewhere. Called with s.mu held.
func (ep *endpoint) tick() {
	now := ep.s.now.Load()
	ep.propagating = slices.DeleteFunc(ep.propagating, func(p propBlock) bool { return now > p.until })
	peers := ep.upPeers()
	for _, pb := range ep.propagating {
		for _, j := range peers {
			ep.pushHeader(j, pb)
		}
	}
	ws := make([]*want, 0, len(ep.wish))
	for _, w := range ep.wish {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b *want) int { return cmpU64(a.seq, b.seq) })
	for _, w := range ws {
		ep.retrieve(w)
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decodeOps reads a counted list of operations.
func (s *Sim) decodeOps(data []byte) ([]*types.SignedOperation, error) {
	r := types.NewReader(data, "operations")
	n := r.U64Max("count", 1<<20)
	var out []*types.SignedOperation
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		out = append(out, r.SignedOperation(simChainID))
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeEndos reads a counted list of endorsements.
func (s *Sim) decodeEndos(data []byte) ([]*types.SignedEndorsement, error) {
	r := types.NewReader(data, "endorsements")
	n := r.U64Max("count", 1<<20)
	var out []*types.SignedEndorsement
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		out = append(out, r.SignedEndorsement("endorsement", s.codec))
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeBlock serializes a block with its operations.
func encodeBlock(b *types.Block, ops []*types.SignedOperation) []byte {
	data := b.AppendBinary(nil)
	data = binary.AppendUvarint(data, uint64(len(ops)))
	for _, op := range ops {
		data = op.AppendBinary(data)
	}
	return data
}

func (s *Sim) decodeBlock(data []byte) (*types.Block, []*types.SignedOperation, error) {
	r := types.NewReader(data, "block")
	b := r.Block("block", s.codec)
	n := r.U64Max("operation count", uint64(s.codec.MaxOperationsPerBlock))
	var ops []*types.SignedOperation
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		ops = append(ops, r.SignedOperation(simChainID))
	}
	if err := r.Done(); err != nil {
		return nil, nil, err
	}
	if len(ops) != len(b.Operations) {
		return nil, nil, fmt.Errorf("block %s: %d operations for %d ids", b.ID(), len(ops), len(b.Operations))
	}
	for i, op := range ops {
		if op.ID != b.Operations[i] {
			return nil, nil, fmt.Errorf("block %s: operation %d is %s, the block lists %s", b.ID(), i, op.ID, b.Operations[i])
		}
	}
	return b, ops, nil
}

func (s *Sim) decodeHeader(data []byte) (*types.SignedHeader, error) {
	r := types.NewReader(data, "header")
	h := r.SignedHeader("header", s.codec)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return h, nil
}
