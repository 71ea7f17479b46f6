package consensus

import (
	"fmt"
	"slices"
	"sort"

	"github.com/gomassa/gomassa/internal/types"
)

// state is the internal status of an entry. stIncoming only exists while a
// call is processing the entry.
type state uint8

const (
	stIncoming state = iota + 1
	stWaitingSlot
	stWaitingDeps
	stActive
	stDiscarded
)

// entry is one block the graph knows, whatever its status.
type entry struct {
	hdr  Header
	st   state
	full bool // the full block is known, not just the header
	// fromNetwork: AddBlock was called with ownBlock == false at least once.
	fromNetwork bool
	// seq orders waiting and discarded entries for the caps (Massa's
	// sequence number).
	seq  uint64
	deps map[types.BlockID]struct{} // stWaitingDeps: unsatisfied dependencies
	// stDiscarded
	reason Reason
	err    error
	// stActive
	a *activeBlock
	// traversal marks, compared with Graph.ancEpoch / Graph.walkEpoch so
	// that walks need no temporary sets.
	ancMark, walkMark, keepMark uint64
}

// activeBlock is the graph part of an active (possibly final) block.
type activeBlock struct {
	fitness uint64
	final   bool
	// parents are the parent entries, resolved at activation (nil for
	// genesis). A parent may since have left the graph: always check st.
	parents []*entry
	// children are the active blocks that name this block as a parent.
	children map[types.BlockID]struct{}
	// descFit is the summed fitness of the block's active descendants
	// (all non-final), kept while the block is not final. The descendants
	// themselves are reached through children links when needed.
	descFit uint64
	// incomp is this block's line of the incompatibility graph (gi_head),
	// kept symmetric, nil once final.
	incomp map[types.BlockID]struct{}
	// opsReleased: old final block kept as a header only.
	opsReleased bool
	stpCreator  types.Address
	hasSTP      bool
}

// clique is one max clique of the compatibility graph with its fitness and
// the sum of its ids (tie-break), kept up to date incrementally.
type clique struct {
	members map[types.BlockID]struct{}
	fitness uint64
	sum     idSum
}

func (c *clique) add(e *entry) {
	c.members[e.hdr.ID] = struct{}{}
	c.fitness += e.a.fitness
	c.sum.add(e.hdr.ID)
}

func (c *clique) remove(e *entry) bool {
	if _, ok := c.members[e.hdr.ID]; !ok {
		return false
	}
	delete(c.members, e.hdr.ID)
	c.fitness -= e.a.fitness
	c.sum.sub(e.hdr.ID)
	return true
}

// Graph is the consensus state machine of one node. It is not safe for
// concurrent use: the consensus service owns it.
type Graph struct {
	p     Params
	draws Draws

	genesis    map[types.BlockID]struct{}
	genesisIDs []types.BlockID

	blocks map[types.BlockID]*entry
	// byThread holds the active blocks (final ones included) of each
	// thread, ordered by period then id.
	byThread    [][]*entry
	nonFinal    map[types.BlockID]*entry
	waitingSlot map[types.BlockID]*entry
	waitingDeps map[types.BlockID]*entry
	discarded   map[types.BlockID]*entry
	// waiters indexes the waiting entries by missing dependency; it may
	// hold stale ids, which are ignored and cleaned by Prune.
	waiters map[types.BlockID][]types.BlockID

	cliques     []*clique
	latestFinal []*entry
	// perSlot is the multi-stake guard: the ids seen per non-final slot.
	perSlot map[types.Slot][]types.BlockID

	wishlist        map[types.BlockID]struct{}
	prevBlockclique []BlockRef
	savedPeriods    []uint64

	seq       uint64
	ancEpoch  uint64
	walkEpoch uint64
	keepEpoch uint64

	finalCount, staleCount uint64
	lastNetFinal           types.Slot
	hasLastNetFinal        bool

	// per-call state
	current types.Slot
	queue   []BlockRef // ordered by (slot, id), no duplicates
	out     *Output
}

// New builds a graph holding only the genesis blocks, one per thread at
// period p.LastStartPeriod, final from the start.
func New(p Params, genesis []types.BlockID, draws Draws) (*Graph, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(genesis) != int(p.ThreadCount) {
		return nil, fmt.Errorf("%d genesis blocks for %d threads: %w", len(genesis), p.ThreadCount, ErrBadParams)
	}
	if draws == nil {
		return nil, fmt.Errorf("no draws: %w", ErrBadParams)
	}
	g := &Graph{
		p:            p,
		draws:        draws,
		genesis:      make(map[types.BlockID]struct{}, len(genesis)),
		genesisIDs:   append([]types.BlockID(nil), genesis...),
		blocks:       make(map[types.BlockID]*entry),
		byThread:     make([][]*entry, p.ThreadCount),
		nonFinal:     make(map[types.BlockID]*entry),
		waitingSlot:  make(map[types.BlockID]*entry),
		waitingDeps:  make(map[types.BlockID]*entry),
		discarded:    make(map[types.BlockID]*entry),
		waiters:      make(map[types.BlockID][]types.BlockID),
		cliques:      []*clique{{members: map[types.BlockID]struct{}{}}},
		latestFinal:  make([]*entry, p.ThreadCount),
		perSlot:      make(map[types.Slot][]types.BlockID),
		wishlist:     make(map[types.BlockID]struct{}),
		savedPeriods: make([]uint64, p.ThreadCount),
	}
	for t, id := range genesis {
		if _, dup := g.genesis[id]; dup {
			return nil, fmt.Errorf("genesis block %s listed twice: %w", id, ErrBadParams)
		}
		g.genesis[id] = struct{}{}
		e := &entry{
			hdr:  Header{ID: id, Slot: types.Slot{Period: p.LastStartPeriod, Thread: uint8(t)}},
			st:   stActive,
			full: true,
			a: &activeBlock{
				fitness:  1,
				final:    true,
				children: make(map[types.BlockID]struct{}),
			},
		}
		g.blocks[id] = e
		g.byThread[t] = append(g.byThread[t], e)
		g.latestFinal[t] = e
		g.savedPeriods[t] = p.LastStartPeriod
	}
	return g, nil
}

// Params returns the parameters the graph was built with.
func (g *Graph) Params() Params { return g.p }

// GenesisIDs returns the genesis block ids, one per thread.
func (g *Graph) GenesisIDs() []types.BlockID { return slices.Clone(g.genesisIDs) }

// AddHeader registers a header whose block body is not known yet
// (Massa's register_block_header). Genesis and already known ids are
// ignored. A header that passes the checks waits for its own body.
func (g *Graph) AddHeader(h Header, currentSlot types.Slot) Output {
	g.begin(currentSlot)
	if _, gen := g.genesis[h.ID]; !gen {
		if _, known := g.blocks[h.ID]; !known {
			e := &entry{hdr: h.clone(), st: stIncoming}
			g.blocks[h.ID] = e
			g.push(e)
		}
	}
	g.run()
	return g.finish()
}

// AddBlock registers a full block (Massa's register_block). ownBlock is
// true when this node's factory produced it; blocks received from the
// network count for desync detection. A block already known by its header
// is promoted and, if only its body was missing, processed. The graph keys
// everything by h.ID and keeps the first header it saw for an id: the
// caller must have checked that the id is the header's hash.
func (g *Graph) AddBlock(h Header, currentSlot types.Slot, ownBlock bool) Output {
	g.begin(currentSlot)
	if _, gen := g.genesis[h.ID]; !gen {
		e, known := g.blocks[h.ID]
		switch {
		case !known:
			e = &entry{hdr: h.clone(), st: stIncoming, full: true, fromNetwork: !ownBlock}
			g.blocks[h.ID] = e
			g.push(e)
		case e.st == stWaitingSlot:
			e.full = true
			e.fromNetwork = e.fromNetwork || !ownBlock
		case e.st == stWaitingDeps:
			e.full = true
			e.fromNetwork = e.fromNetwork || !ownBlock
			if _, self := e.deps[h.ID]; self {
				delete(e.deps, h.ID)
				g.push(e)
			}
		case e.st == stActive:
			e.fromNetwork = e.fromNetwork || !ownBlock
		}
	}
	g.run()
	return g.finish()
}

// Tick tells the graph the current slot: blocks waiting for a slot that
// has come are processed again.
func (g *Graph) Tick(currentSlot types.Slot) Output {
	g.begin(currentSlot)
	for _, e := range sortedEntries(g.waitingSlot) {
		if !currentSlot.Less(e.hdr.Slot) {
			g.push(e)
		}
	}
	g.run()
	return g.finish()
}

// begin starts a call.
func (g *Graph) begin(current types.Slot) {
	g.current = current
	g.queue = g.queue[:0]
	g.out = &Output{}
}

// push queues an entry for processing, in (slot, id) order, once.
func (g *Graph) push(e *entry) {
	r := BlockRef{ID: e.hdr.ID, Slot: e.hdr.Slot}
	i, found := slices.BinarySearchFunc(g.queue, r, cmpRef)
	if !found {
		g.queue = slices.Insert(g.queue, i, r)
	}
}

func cmpRef(a, b BlockRef) int {
	if c := a.Slot.Compare(b.Slot); c != 0 {
		return c
	}
	return a.ID.Compare(b.ID)
}

func cmpEntry(a, b *entry) int {
	return cmpRef(BlockRef{a.hdr.ID, a.hdr.Slot}, BlockRef{b.hdr.ID, b.hdr.Slot})
}

// sortedEntries lists map values by slot then id.
func sortedEntries(m map[types.BlockID]*entry) []*entry {
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, cmpEntry)
	return out
}

// run processes the queue (Massa's rec_process).
func (g *Graph) run() {
	for len(g.queue) > 0 {
		r := g.queue[0]
		g.queue = g.queue[1:]
		g.process(r.ID)
	}
}

// process moves one entry forward (Massa's process).
func (g *Graph) process(id types.BlockID) {
	e := g.blocks[id]
	if e == nil {
		return
	}
	switch e.st {
	case stWaitingSlot:
		if g.current.Less(e.hdr.Slot) {
			return
		}
		delete(g.waitingSlot, id)
		e.st = stIncoming
		g.push(e)
	case stWaitingDeps:
		if len(e.deps) > 0 {
			return
		}
		delete(g.waitingDeps, id)
		e.deps = nil
		e.st = stIncoming
		g.push(e)
	case stIncoming:
		if e.full {
			g.processBlock(e)
		} else {
			g.processHeader(e)
		}
	}
}

// processHeader: a header alone never becomes active; once it passes the
// checks it waits for its own body.
func (g *Graph) processHeader(e *entry) {
	r := g.check(&e.hdr)
	if r.v == vDiscard {
		g.discard(e, r.reason, r.err)
		return
	}
	if g.multiStake(e) {
		g.ignore(e)
		return
	}
	switch r.v {
	case vProceed:
		g.setWaitingDeps(e, []types.BlockID{e.hdr.ID})
	case vWaitDeps:
		g.setWaitingDeps(e, append(r.deps, e.hdr.ID))
	case vWaitSlot:
		g.setWaitingSlot(e)
	}
}

func (g *Graph) processBlock(e *entry) {
	r := g.check(&e.hdr)
	if r.v == vDiscard {
		g.discard(e, r.reason, r.err)
		return
	}
	if g.multiStake(e) {
		g.ignore(e)
		return
	}
	switch r.v {
	case vWaitDeps:
		g.setWaitingDeps(e, r.deps)
	case vWaitSlot:
		g.setWaitingSlot(e)
	case vProceed:
		g.addToGraph(e, r)
		if e.st != stActive {
			return // stale as soon as added
		}
		g.out.NewActive = append(g.out.NewActive, e.hdr.ID)
		g.wakeWaiters(e.hdr.ID)
	}
}

// wakeWaiters re-queues the entries that were waiting for id.
func (g *Graph) wakeWaiters(id types.BlockID) {
	for _, wid := range g.waiters[id] {
		w := g.blocks[wid]
		if w == nil || w.st != stWaitingDeps {
			continue
		}
		if _, ok := w.deps[id]; ok {
			delete(w.deps, id)
			g.push(w)
		}
	}
	delete(g.waiters, id)
}

func (g *Graph) nextSeq() uint64 {
	g.seq++
	return g.seq
}

func (g *Graph) setWaitingDeps(e *entry, deps []types.BlockID) {
	e.st = stWaitingDeps
	e.seq = g.nextSeq()
	e.deps = make(map[types.BlockID]struct{}, len(deps))
	for _, d := range deps {
		e.deps[d] = struct{}{}
		if d != e.hdr.ID {
			g.waiters[d] = append(g.waiters[d], e.hdr.ID)
		}
	}
	g.waitingDeps[e.hdr.ID] = e
}

func (g *Graph) setWaitingSlot(e *entry) {
	e.st = stWaitingSlot
	g.waitingSlot[e.hdr.ID] = e
}

// discard marks a not-yet-active entry as discarded.
func (g *Graph) discard(e *entry, reason Reason, err error) {
	delete(g.waitingDeps, e.hdr.ID)
	delete(g.waitingSlot, e.hdr.ID)
	e.deps = nil
	e.st = stDiscarded
	e.reason = reason
	e.err = err
	e.seq = g.nextSeq()
	g.discarded[e.hdr.ID] = e
	g.noteDiscard(e)
}

func (g *Graph) noteDiscard(e *entry) {
	d := Discard{ID: e.hdr.ID, Slot: e.hdr.Slot, Creator: e.hdr.Creator, Reason: e.reason, Err: e.err}
	switch e.reason {
	case ReasonStale:
		g.staleCount++
		g.out.NewStale = append(g.out.NewStale, d)
	case ReasonInvalid:
		g.out.NewInvalid = append(g.out.NewInvalid, d)
	}
}

// ignore drops an entry refused by the multi-stake guard.
func (g *Graph) ignore(e *entry) {
	g.forget(e)
	g.out.Ignored = append(g.out.Ignored, e.hdr.ID)
}

// forget removes every trace of a non-active entry.
func (g *Graph) forget(e *entry) {
	id := e.hdr.ID
	delete(g.blocks, id)
	delete(g.waitingSlot, id)
	delete(g.waitingDeps, id)
	delete(g.discarded, id)
	e.deps = nil
}

// multiStake is the guard of section 1.2: at most two distinct blocks per
// non-final slot, unless the block is wished for. It reports whether the
// entry must be ignored, and otherwise records it.
func (g *Graph) multiStake(e *entry) bool {
	ids := g.perSlot[e.hdr.Slot]
	if slices.Contains(ids, e.hdr.ID) {
		return false
	}
	if len(ids) > 1 {
		if _, wished := g.wishlist[e.hdr.ID]; !wished {
			return true
		}
	}
	g.perSlot[e.hdr.Slot] = append(ids, e.hdr.ID)
	return false
}

// finish computes the call's output deltas.
func (g *Graph) finish() Output {
	out := g.out
	g.out = nil
	g.queue = g.queue[:0]
	slices.SortFunc(out.NewFinal, func(a, b FinalBlock) int {
		return cmpRef(BlockRef{a.ID, a.Slot}, BlockRef{b.ID, b.Slot})
	})

	// blockclique delta
	if bc := g.cliqueRefs(g.cliques[g.blockcliqueIndex()]); !slices.Equal(bc, g.prevBlockclique) {
		out.BlockcliqueChanged = true
		out.Blockclique = bc
		g.prevBlockclique = slices.Clone(bc)
	}

	// final periods delta
	for t, e := range g.latestFinal {
		if e.hdr.Slot.Period != g.savedPeriods[t] {
			out.FinalPeriodsChanged = true
			g.savedPeriods[t] = e.hdr.Slot.Period
		}
	}
	if out.FinalPeriodsChanged {
		out.FinalPeriods = slices.Clone(g.savedPeriods)
	}

	// wishlist delta
	wish := g.computeWishlist()
	for id, h := range wish {
		if _, had := g.wishlist[id]; !had {
			w := Wish{ID: id}
			if h != nil {
				hc := h.clone()
				w.Header = &hc
			}
			out.WishlistAdded = append(out.WishlistAdded, w)
		}
	}
	for id := range g.wishlist {
		if _, keep := wish[id]; !keep {
			out.WishlistRemoved = append(out.WishlistRemoved, id)
		}
	}
	if len(out.WishlistAdded) > 0 || len(out.WishlistRemoved) > 0 {
		slices.SortFunc(out.WishlistAdded, func(a, b Wish) int { return a.ID.Compare(b.ID) })
		slices.SortFunc(out.WishlistRemoved, func(a, b types.BlockID) int { return a.Compare(b) })
		g.wishlist = make(map[types.BlockID]struct{}, len(wish))
		for id := range wish {
			g.wishlist[id] = struct{}{}
		}
	}
	return *out
}

// computeWishlist lists the missing dependencies of waiting blocks: unknown
// ids, and blocks known by their header only.
func (g *Graph) computeWishlist() map[types.BlockID]*Header {
	wish := make(map[types.BlockID]*Header)
	for _, w := range g.waitingDeps {
		for dep := range w.deps {
			d := g.blocks[dep]
			switch {
			case d == nil:
				wish[dep] = nil
			case d.st == stWaitingDeps && !d.full:
				wish[dep] = &d.hdr
			}
		}
	}
	return wish
}

// cliqueRefs lists a clique's blocks by slot then id. It merges the
// per-thread lists (sorted by period then id) period by period instead of
// sorting: this runs on every input.
func (g *Graph) cliqueRefs(c *clique) []BlockRef {
	out := make([]BlockRef, 0, len(c.members))
	if len(c.members) == 0 {
		return out
	}
	cursor := make([]int, len(g.byThread))
	for t, list := range g.byThread {
		cursor[t] = firstFromPeriod(list, g.latestFinal[t].hdr.Slot.Period+1)
	}
	for {
		period, found := uint64(0), false
		for t, list := range g.byThread {
			if i := cursor[t]; i < len(list) && (!found || list[i].hdr.Slot.Period < period) {
				period, found = list[i].hdr.Slot.Period, true
			}
		}
		if !found {
			return out
		}
		for t, list := range g.byThread {
			i := cursor[t]
			for ; i < len(list) && list[i].hdr.Slot.Period == period; i++ {
				if _, in := c.members[list[i].hdr.ID]; in {
					out = append(out, BlockRef{ID: list[i].hdr.ID, Slot: list[i].hdr.Slot})
				}
			}
			cursor[t] = i
		}
	}
}

// blockcliqueIndex picks the clique with the highest fitness, then the
// smallest sum of ids; the first one on a full tie.
func (g *Graph) blockcliqueIndex() int {
	best := 0
	for i := 1; i < len(g.cliques); i++ {
		c, b := g.cliques[i], g.cliques[best]
		if c.fitness > b.fitness || (c.fitness == b.fitness && c.sum.cmp(&b.sum) < 0) {
			best = i
		}
	}
	return best
}

// insertByThread adds an active entry to its thread's ordered list.
func (g *Graph) insertByThread(e *entry) {
	t := e.hdr.Slot.Thread
	list := g.byThread[t]
	i, _ := slices.BinarySearchFunc(list, e, cmpEntry)
	g.byThread[t] = slices.Insert(list, i, e)
}

func (g *Graph) removeByThread(e *entry) {
	t := e.hdr.Slot.Thread
	list := g.byThread[t]
	if i, found := slices.BinarySearchFunc(list, e, cmpEntry); found {
		g.byThread[t] = slices.Delete(list, i, i+1)
	}
}

// firstFromPeriod is the index of the first block of list at or after
// period.
func firstFromPeriod(list []*entry, period uint64) int {
	return sort.Search(len(list), func(k int) bool { return list[k].hdr.Slot.Period >= period })
}
