package consensus

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// BestParents returns, per thread, the blockclique block with the highest
// period in that thread, or the latest final block of the thread. The
// block factory uses them verbatim as parents.
func (g *Graph) BestParents() []types.BlockID {
	best := slices.Clone(g.latestFinal)
	for id := range g.cliques[g.blockcliqueIndex()].members {
		e := g.blocks[id]
		t := e.hdr.Slot.Thread
		if b := best[t]; e.hdr.Slot.Period > b.hdr.Slot.Period ||
			(e.hdr.Slot.Period == b.hdr.Slot.Period && e.hdr.ID.Compare(b.hdr.ID) < 0) {
			best[t] = e
		}
	}
	out := make([]types.BlockID, len(best))
	for t, e := range best {
		out[t] = e.hdr.ID
	}
	return out
}

// Blockclique returns the non-final blocks of the blockclique by slot then
// id.
func (g *Graph) Blockclique() []types.BlockID {
	refs := g.cliqueRefs(g.cliques[g.blockcliqueIndex()])
	out := make([]types.BlockID, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out
}

// Cliques returns the max cliques of non-final blocks. There is always at
// least one, possibly empty.
func (g *Graph) Cliques() []Clique {
	bc := g.blockcliqueIndex()
	out := make([]Clique, len(g.cliques))
	for i, c := range g.cliques {
		refs := g.cliqueRefs(c)
		ids := make([]types.BlockID, len(refs))
		for k, r := range refs {
			ids[k] = r.ID
		}
		out[i] = Clique{IDs: ids, Fitness: c.fitness, IsBlockclique: i == bc}
	}
	return out
}

// Status returns the status of a block, false when the graph does not know
// it (never seen, dropped, or forgotten).
func (g *Graph) Status(id types.BlockID) (Status, bool) {
	e := g.blocks[id]
	if e == nil {
		return 0, false
	}
	return e.status(), true
}

func (e *entry) status() Status {
	switch e.st {
	case stWaitingSlot:
		return StatusWaitingForSlot
	case stWaitingDeps, stIncoming:
		return StatusWaitingForDependencies
	case stActive:
		if e.a.final {
			return StatusFinal
		}
		return StatusActive
	}
	switch e.reason {
	case ReasonInvalid:
		return StatusInvalid
	case ReasonFinal:
		return StatusFinalPruned
	}
	return StatusStale
}

// InBlockclique reports whether a non-final block is in the blockclique.
func (g *Graph) InBlockclique(id types.BlockID) bool {
	_, ok := g.cliques[g.blockcliqueIndex()].members[id]
	return ok
}

// LatestFinalPeriods returns the latest final period of every thread.
func (g *Graph) LatestFinalPeriods() []uint64 { return g.finalPeriods() }

// LatestFinal returns the latest final block of a thread (thread modulo
// the thread count).
func (g *Graph) LatestFinal(thread uint8) (types.BlockID, types.Slot) {
	e := g.latestFinal[int(thread)%len(g.latestFinal)]
	return e.hdr.ID, e.hdr.Slot
}

// BlockInfo returns what the graph knows of a block.
func (g *Graph) BlockInfo(id types.BlockID) (BlockInfo, bool) {
	e := g.blocks[id]
	if e == nil {
		return BlockInfo{}, false
	}
	info := BlockInfo{
		ID:        id,
		Slot:      e.hdr.Slot,
		Parents:   slices.Clone(e.hdr.Parents),
		Creator:   e.hdr.Creator,
		Status:    e.status(),
		Fitness:   e.hdr.Fitness(),
		FullBlock: e.full,
	}
	switch e.st {
	case stActive:
		info.IsFinal = e.a.final
		info.InBlockclique = g.InBlockclique(id)
		info.SameThreadParentCreator, info.HasSameThreadParentCreator = e.a.stpCreator, e.a.hasSTP
		info.OpsReleased = e.a.opsReleased
		children := make([]*entry, 0, len(e.a.children))
		for c := range e.a.children {
			children = append(children, g.blocks[c])
		}
		slices.SortFunc(children, cmpEntry)
		for _, c := range children {
			info.Children = append(info.Children, c.hdr.ID)
		}
	case stDiscarded:
		info.IsFinal = e.reason == ReasonFinal
		info.DiscardErr = e.err
	}
	return info, true
}

// Stats returns the graph's counters.
func (g *Graph) Stats() Stats {
	s := Stats{
		FinalBlockCount:        g.finalCount,
		StaleBlockCount:        g.staleCount,
		CliqueCount:            len(g.cliques),
		ActiveCount:            len(g.nonFinal),
		WaitingForSlot:         len(g.waitingSlot),
		WaitingForDependencies: len(g.waitingDeps),
		Discarded:              len(g.discarded),
	}
	for _, list := range g.byThread {
		s.FinalInGraph += len(list)
	}
	s.FinalInGraph -= len(g.nonFinal)
	return s
}

// GraphInterval summarizes the active and discarded blocks whose slot is in
// [start, end), by slot then id.
func (g *Graph) GraphInterval(start, end types.Slot) []BlockSummary {
	var list []*entry
	for _, e := range g.blocks {
		if (e.st == stActive || e.st == stDiscarded) && !e.hdr.Slot.Less(start) && e.hdr.Slot.Less(end) {
			list = append(list, e)
		}
	}
	slices.SortFunc(list, cmpEntry)
	out := make([]BlockSummary, len(list))
	for i, e := range list {
		st := e.status()
		out[i] = BlockSummary{
			ID:            e.hdr.ID,
			Slot:          e.hdr.Slot,
			Creator:       e.hdr.Creator,
			Parents:       slices.Clone(e.hdr.Parents),
			Status:        st,
			IsFinal:       st == StatusFinal || st == StatusFinalPruned,
			IsStale:       st == StatusStale,
			InBlockclique: st == StatusActive && g.InBlockclique(e.hdr.ID),
		}
	}
	return out
}

// Wishlist returns the blocks consensus currently asks protocol for, by id.
func (g *Graph) Wishlist() []Wish {
	wish := g.computeWishlist()
	out := make([]Wish, 0, len(wish))
	for id, h := range wish {
		w := Wish{ID: id}
		if h != nil {
			hc := h.clone()
			w.Header = &hc
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Wish) int { return a.ID.Compare(b.ID) })
	return out
}

// LastFinalFromNetworkSlot returns the current slot at which a block
// received from the network (AddBlock with ownBlock false) last became
// final. The service raises NeedSync when, more than two cycles after
// start, this is older than two cycles (section 1.10).
func (g *Graph) LastFinalFromNetworkSlot() (types.Slot, bool) {
	return g.lastNetFinal, g.hasLastNetFinal
}

// BlockcliqueBlockAt returns the blockclique block at a slot, or else the
// final block at that slot still in the graph.
func (g *Graph) BlockcliqueBlockAt(slot types.Slot) (types.BlockID, bool) {
	if int(slot.Thread) >= len(g.byThread) {
		return types.BlockID{}, false
	}
	list := g.byThread[slot.Thread]
	var final *entry
	for _, e := range list[firstFromPeriod(list, slot.Period):] {
		if e.hdr.Slot.Period != slot.Period {
			break
		}
		if e.a.final {
			final = e
		} else if g.InBlockclique(e.hdr.ID) {
			return e.hdr.ID, true
		}
	}
	if final != nil {
		return final.hdr.ID, true
	}
	return types.BlockID{}, false
}

// LatestBlockcliqueBlockBefore returns the blockclique block of slot's
// thread with the highest period below slot's, or the latest final block
// of that thread (the endorsement factory endorses it).
func (g *Graph) LatestBlockcliqueBlockBefore(slot types.Slot) types.BlockID {
	t := int(slot.Thread) % len(g.latestFinal)
	best := g.latestFinal[t]
	for id := range g.cliques[g.blockcliqueIndex()].members {
		e := g.blocks[id]
		if int(e.hdr.Slot.Thread) == t && e.hdr.Slot.Period < slot.Period &&
			(e.hdr.Slot.Period > best.hdr.Slot.Period ||
				(e.hdr.Slot.Period == best.hdr.Slot.Period && e.hdr.ID.Compare(best.hdr.ID) < 0)) {
			best = e
		}
	}
	return best.hdr.ID
}

// CheckInvariants verifies the internal consistency of the graph: the
// incompatibility graph is symmetric and holds only non-final active
// blocks, the cliques are exactly the max cliques of the compatibility
// graph after the last recomputation or incremental update (each one is a
// clique, none is contained in another), their fitness and id sums are
// right, descendant fitness matches the descendant sets, and the indexes
// agree with the statuses. It is meant for tests and the simulator.
func (g *Graph) CheckInvariants() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf(format+": %w", append(args, ErrInvariant)...)
	}
	nActive := 0
	for t, list := range g.byThread {
		for i, e := range list {
			if e.st != stActive || int(e.hdr.Slot.Thread) != t {
				return bad("byThread[%d] holds %s in state %d", t, e.hdr.ID, e.st)
			}
			if g.blocks[e.hdr.ID] != e {
				return bad("byThread entry %s not in blocks", e.hdr.ID)
			}
			if i > 0 && cmpEntry(list[i-1], e) >= 0 {
				return bad("byThread[%d] out of order", t)
			}
			if !e.a.final {
				nActive++
				if g.nonFinal[e.hdr.ID] != e {
					return bad("non-final %s missing from nonFinal", e.hdr.ID)
				}
			}
		}
	}
	if nActive != len(g.nonFinal) {
		return bad("nonFinal holds %d blocks, byThread %d", len(g.nonFinal), nActive)
	}
	for t, e := range g.latestFinal {
		if e.st != stActive || !e.a.final || int(e.hdr.Slot.Thread) != t {
			return bad("latest final of thread %d is not an active final block", t)
		}
	}
	for id, e := range g.nonFinal {
		if e.hdr.Slot.Period <= g.latestFinal[e.hdr.Slot.Thread].hdr.Slot.Period {
			return bad("non-final %s at %s is not after the latest final block of its thread", id, e.hdr.Slot)
		}
		for x := range e.a.incomp {
			xe := g.nonFinal[x]
			if xe == nil {
				return bad("%s incompatible with %s which is not non-final active", id, x)
			}
			if _, ok := xe.a.incomp[id]; !ok {
				return bad("incompatibility %s-%s not symmetric", id, x)
			}
		}
		in := false
		for _, c := range g.cliques {
			_, ok := c.members[id]
			in = in || ok
		}
		if !in {
			return bad("non-final %s in no clique", id)
		}
	}
	for i, c := range g.cliques {
		var fit uint64
		var sum idSum
		for id := range c.members {
			e := g.nonFinal[id]
			if e == nil {
				return bad("clique %d holds %s which is not non-final active", i, id)
			}
			fit += e.a.fitness
			sum.add(id)
			for x := range e.a.incomp {
				if _, ok := c.members[x]; ok {
					return bad("clique %d holds incompatible %s and %s", i, id, x)
				}
			}
		}
		if fit != c.fitness || sum.cmp(&c.sum) != 0 {
			return bad("clique %d fitness or id sum out of date", i)
		}
		for x, xe := range g.nonFinal {
			if _, ok := c.members[x]; ok {
				continue
			}
			if disjoint(xe.a.incomp, c.members) {
				return bad("clique %d is not maximal: %s fits in it", i, x)
			}
		}
		for j, o := range g.cliques {
			if i != j && len(c.members) <= len(o.members) {
				sub := true
				for id := range c.members {
					if _, ok := o.members[id]; !ok {
						sub = false
						break
					}
				}
				if sub {
					return bad("clique %d contained in clique %d", i, j)
				}
			}
		}
	}
	// descendant fitness matches the children closure; nothing left is
	// final or stale by the rules
	bc := g.cliques[g.blockcliqueIndex()]
	for _, c := range g.cliques {
		if c.fitness+g.p.DeltaF0 < bc.fitness {
			return bad("clique of fitness %d kept below blockclique fitness %d minus delta_f0", c.fitness, bc.fitness)
		}
	}
	for id, e := range g.nonFinal {
		closure := make(map[types.BlockID]struct{})
		g.walkEpoch++
		g.addWithDescendants(e, closure)
		delete(closure, id)
		var fit uint64
		for d := range closure {
			de := g.nonFinal[d]
			if de == nil {
				return bad("descendant %s of %s is not non-final active", d, id)
			}
			fit += de.a.fitness
		}
		if fit != e.a.descFit {
			return bad("descendant fitness of %s is %d, tracked %d", id, fit, e.a.descFit)
		}
		inAll := true
		for _, c := range g.cliques {
			_, ok := c.members[id]
			inAll = inAll && ok
		}
		if !inAll {
			continue
		}
		for _, c := range g.cliques {
			if c.fitness <= g.p.DeltaF0 {
				continue
			}
			var sum uint64
			for d := range closure {
				if _, ok := c.members[d]; ok {
					sum += g.blocks[d].a.fitness
				}
			}
			if sum > g.p.DeltaF0 {
				return bad("%s should be final: descendants weigh %d in a clique", id, sum)
			}
		}
	}
	for id, e := range g.blocks {
		if e.hdr.ID != id {
			return bad("entry %s stored under %s", e.hdr.ID, id)
		}
		want := map[state]map[types.BlockID]*entry{stWaitingSlot: g.waitingSlot, stWaitingDeps: g.waitingDeps, stDiscarded: g.discarded}
		if m, ok := want[e.st]; ok && m[id] != e {
			return bad("%s in state %d missing from its index", id, e.st)
		}
		if e.st == stActive {
			for c := range e.a.children {
				if ce := g.blocks[c]; ce == nil || ce.st != stActive {
					return bad("child %s of %s is not active", c, id)
				}
			}
		}
		if e.st == stIncoming {
			return bad("%s left incoming", id)
		}
	}
	for name, m := range map[string]map[types.BlockID]*entry{"waitingSlot": g.waitingSlot, "waitingDeps": g.waitingDeps, "discarded": g.discarded} {
		for id, e := range m {
			if g.blocks[id] != e {
				return bad("%s holds %s unknown to blocks", name, id)
			}
		}
	}
	return nil
}
