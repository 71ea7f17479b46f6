package consensus

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// addToGraph makes a checked block active and updates cliques, the
// blockclique, stale and final blocks (Massa's add_block_to_graph).
func (g *Graph) addToGraph(e *entry, r checkResult) {
	id := e.hdr.ID
	th := int(e.hdr.Slot.Thread)
	a := &activeBlock{
		fitness:  e.hdr.Fitness(),
		children: make(map[types.BlockID]struct{}),
		incomp:   r.incomp,
		parents:  r.parents,
	}
	e.a = a
	e.st = stActive
	e.deps = nil
	g.insertByThread(e)
	g.nonFinal[id] = e

	// children links and the creator of the same-thread parent
	for i, pe := range r.parents {
		pe.a.children[id] = struct{}{}
		if i == th {
			a.stpCreator, a.hasSTP = pe.hdr.Creator, true
		}
	}

	// descendant of every non-final ancestor
	g.forNonFinalAncestors(e, func(x *entry) {
		x.a.descFit += a.fitness
	})

	// symmetric incompatibility graph
	for x := range r.incomp {
		g.blocks[x].a.incomp[id] = struct{}{}
	}

	// max cliques: a block with only inherited incompatibilities does not
	// fork, it joins every clique it is compatible with
	if len(r.incomp) == r.inherited {
		for _, c := range g.cliques {
			if disjoint(r.incomp, c.members) {
				c.add(e)
			}
		}
	} else {
		g.recomputeCliques()
	}

	bc := g.cliques[g.blockcliqueIndex()]
	g.dropStale(bc.fitness)
	g.markFinal(g.listFinal())
}

func disjoint(small, big map[types.BlockID]struct{}) bool {
	if len(small) > len(big) {
		small, big = big, small
	}
	for id := range small {
		if _, ok := big[id]; ok {
			return false
		}
	}
	return true
}

// forNonFinalAncestors calls fn once for every active non-final strict
// ancestor of e, walking parents and stopping at final blocks.
func (g *Graph) forNonFinalAncestors(e *entry, fn func(*entry)) {
	g.walkEpoch++
	e.walkMark = g.walkEpoch
	stack := make([]*entry, 0, len(e.a.parents))
	push := func(of *entry) {
		for _, pe := range of.a.parents {
			if pe.st == stActive && !pe.a.final && pe.walkMark != g.walkEpoch {
				pe.walkMark = g.walkEpoch
				stack = append(stack, pe)
			}
		}
	}
	push(e)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		fn(x)
		push(x)
	}
}

// dropStale drops the cliques whose fitness is below the blockclique's
// minus delta_f0; blocks found only in dropped cliques become stale.
func (g *Graph) dropStale(bcFitness uint64) {
	threshold := uint64(0)
	if bcFitness > g.p.DeltaF0 {
		threshold = bcFitness - g.p.DeltaF0
	}
	low := false
	for _, c := range g.cliques {
		low = low || c.fitness < threshold
	}
	if !low {
		return
	}
	high := make(map[types.BlockID]struct{})
	for _, c := range g.cliques {
		if c.fitness >= threshold {
			for id := range c.members {
				high[id] = struct{}{}
			}
		}
	}
	var stale []*entry
	seen := make(map[types.BlockID]struct{})
	for _, c := range g.cliques {
		if c.fitness >= threshold {
			continue
		}
		for id := range c.members {
			if _, h := high[id]; h {
				continue
			}
			if _, s := seen[id]; !s {
				seen[id] = struct{}{}
				stale = append(stale, g.blocks[id])
			}
		}
	}
	g.cliques = slices.DeleteFunc(g.cliques, func(c *clique) bool { return c.fitness < threshold })
	// Descendants first, so that every ancestor walk still finds the
	// stale block's ancestors active; outputs are reported by slot.
	slices.SortFunc(stale, func(a, b *entry) int { return cmpEntry(b, a) })
	for _, s := range stale {
		g.removeStale(s)
	}
	n := len(g.out.NewStale)
	slices.SortFunc(g.out.NewStale[n-len(stale):], func(a, b Discard) int {
		return cmpRef(BlockRef{a.ID, a.Slot}, BlockRef{b.ID, b.Slot})
	})
}

// removeStale discards an active non-final block (Massa's remove_block).
func (g *Graph) removeStale(s *entry) {
	id := s.hdr.ID
	for x := range s.a.incomp {
		if xe := g.blocks[x]; xe != nil && xe.a != nil && xe.a.incomp != nil {
			delete(xe.a.incomp, id)
		}
	}
	g.removeFromCliques(s)
	g.forNonFinalAncestors(s, func(x *entry) {
		x.a.descFit -= s.a.fitness
	})
	g.unlinkFromParents(s)
	g.removeByThread(s)
	delete(g.nonFinal, id)
	s.a = nil
	s.st = stDiscarded
	s.reason = ReasonStale
	s.err = fmt.Errorf("only in cliques more than delta_f0 below the blockclique: %w", ErrStale)
	s.seq = g.nextSeq()
	g.discarded[id] = s
	g.noteDiscard(s)
}

// removeFromCliques removes a block from every clique, dropping emptied
// cliques but always keeping one.
func (g *Graph) removeFromCliques(e *entry) {
	emptied := false
	for _, c := range g.cliques {
		if c.remove(e) && len(c.members) == 0 {
			emptied = true
		}
	}
	if emptied {
		g.cliques = slices.DeleteFunc(g.cliques, func(c *clique) bool { return len(c.members) == 0 })
		if len(g.cliques) == 0 {
			g.cliques = []*clique{{members: map[types.BlockID]struct{}{}}}
		}
	}
}

func (g *Graph) unlinkFromParents(e *entry) {
	for _, pe := range e.a.parents {
		if pe.st == stActive {
			delete(pe.a.children, e.hdr.ID)
		}
	}
}

// listFinal returns the blocks that become final (Massa's
// list_final_blocks): blocks present in every clique whose descendants in
// one clique of fitness above delta_f0 weigh strictly more than delta_f0,
// cliques taken from the highest fitness down.
func (g *Graph) listFinal() []*entry {
	df := g.p.DeltaF0
	var final []*entry
	if len(g.cliques) == 1 {
		// One clique holds every non-final block, so the fitness of a
		// block's descendants in it is the tracked descFit.
		c := g.cliques[0]
		if c.fitness <= df {
			return nil
		}
		for id := range c.members {
			if e := g.blocks[id]; e.a.descFit > df {
				final = append(final, e)
			}
		}
		slices.SortFunc(final, cmpEntry)
		return final
	}

	order := make([]int, len(g.cliques))
	smallest := 0
	for i := range order {
		order[i] = i
		if len(g.cliques[i].members) < len(g.cliques[smallest].members) {
			smallest = i
		}
	}
	var cands []*entry
	for id := range g.cliques[smallest].members {
		in := true
		for _, c := range g.cliques {
			if _, ok := c.members[id]; !ok {
				in = false
				break
			}
		}
		if in {
			cands = append(cands, g.blocks[id])
		}
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, cmpEntry)
	order = slices.DeleteFunc(order, func(i int) bool { return g.cliques[i].fitness <= df })
	slices.SortStableFunc(order, func(i, j int) int {
		fi, fj := g.cliques[i].fitness, g.cliques[j].fitness
		switch {
		case fi > fj:
			return -1
		case fi < fj:
			return 1
		}
		return 0
	})
	for _, ci := range order {
		c := g.cliques[ci]
		kept := cands[:0]
		for _, e := range cands {
			// descFit bounds the clique sum: skip the count when it
			// cannot pass
			if e.a.descFit > df && g.descFitIn(e, c) > df {
				final = append(final, e)
			} else {
				kept = append(kept, e)
			}
		}
		cands = kept
		if len(cands) == 0 {
			break
		}
	}
	slices.SortFunc(final, cmpEntry)
	return final
}

// descFitIn sums the fitness of e's descendants that are in clique c,
// walking children links.
func (g *Graph) descFitIn(e *entry, c *clique) uint64 {
	g.walkEpoch++
	e.walkMark = g.walkEpoch
	var sum uint64
	stack := []*entry{e}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for cid := range x.a.children {
			ce := g.blocks[cid]
			if ce == nil || ce.st != stActive || ce.walkMark == g.walkEpoch {
				continue
			}
			ce.walkMark = g.walkEpoch
			if _, ok := c.members[cid]; ok {
				sum += ce.a.fitness
			}
			stack = append(stack, ce)
		}
	}
	return sum
}

// markFinal makes blocks final: they leave the incompatibility graph and
// the cliques, and move the latest final block of their thread.
func (g *Graph) markFinal(final []*entry) {
	for _, e := range final {
		id := e.hdr.ID
		for x := range e.a.incomp {
			if xe := g.blocks[x]; xe != nil && xe.a != nil && xe.a.incomp != nil {
				delete(xe.a.incomp, id)
			}
		}
		e.a.incomp = nil
		e.a.final = true
		g.removeFromCliques(e)
		e.a.descFit = 0
		delete(g.nonFinal, id)
		t := e.hdr.Slot.Thread
		if e.hdr.Slot.Period > g.latestFinal[t].hdr.Slot.Period {
			g.latestFinal[t] = e
		}
		g.finalCount++
		if e.fromNetwork {
			g.lastNetFinal, g.hasLastNetFinal = g.current, true
		}
		g.out.NewFinal = append(g.out.NewFinal, FinalBlock{
			ID:                         id,
			Slot:                       e.hdr.Slot,
			Creator:                    e.hdr.Creator,
			Parents:                    slices.Clone(e.hdr.Parents),
			Fitness:                    e.a.fitness,
			SameThreadParentCreator:    e.a.stpCreator,
			HasSameThreadParentCreator: e.a.hasSTP,
			Own:                        !e.fromNetwork,
		})
	}
}
