package consensus

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// Prune drops what the graph no longer needs (section 1.9; the service
// calls it every block_db_prune_interval): final blocks behind the retained
// window, the excess of the waiting queues, waiting blocks whose
// dependencies were discarded or that are too old, and the oldest
// discarded entries. It keeps, per thread, the latest final block and
// everything after it, their parents and what lies between (two rounds),
// and every block within ForceKeepFinalPeriodsWithoutOps periods of the
// latest final period of its thread.
func (g *Graph) Prune() Output {
	g.begin(g.current)
	g.pruneActive()
	g.pruneWaitingSlot()
	g.pruneWaitingDeps()
	g.pruneDiscarded()
	for s := range g.perSlot {
		if s.Period <= g.latestFinal[s.Thread].hdr.Slot.Period {
			delete(g.perSlot, s)
		}
	}
	g.rebuildWaiters()
	return g.finish()
}

func (g *Graph) finalPeriods() []uint64 {
	out := make([]uint64, len(g.latestFinal))
	for t, e := range g.latestFinal {
		out[t] = e.hdr.Slot.Period
	}
	return out
}

// RequiredBlocks lists the active blocks the graph must keep (Massa's
// list_required_active_blocks): the latest final block of every thread
// and every active block after it, then twice: the parents of the kept
// blocks and every active block after the earliest kept block of its
// thread. Sorted by slot then id; bootstrap serves these.
func (g *Graph) RequiredBlocks() []types.BlockID {
	out := g.requiredActive()
	slices.SortFunc(out, cmpEntry)
	ids := make([]types.BlockID, len(out))
	for i, e := range out {
		ids[i] = e.hdr.ID
	}
	return ids
}

// requiredActive marks the required blocks with keepMark == keepEpoch and
// returns them.
func (g *Graph) requiredActive() []*entry {
	g.keepEpoch++
	var kept []*entry
	keep := func(e *entry) {
		if e.keepMark != g.keepEpoch {
			e.keepMark = g.keepEpoch
			kept = append(kept, e)
		}
	}
	keepAfter := func(bound []uint64) {
		for t, list := range g.byThread {
			for _, e := range list[firstFromPeriod(list, bound[t]):] {
				keep(e)
			}
		}
	}
	for _, e := range g.latestFinal {
		keep(e)
	}
	keepAfter(g.finalPeriods())
	for range 2 {
		for _, e := range kept[:len(kept):len(kept)] {
			for _, pe := range e.a.parents {
				if pe.st == stActive {
					keep(pe)
				}
			}
		}
		earliest := g.finalPeriods()
		for _, e := range kept {
			t := e.hdr.Slot.Thread
			earliest[t] = min(earliest[t], e.hdr.Slot.Period)
		}
		keepAfter(earliest)
	}
	return kept
}

// pruneActive drops the final blocks that are not required, and releases
// the operations of old retained ones (Massa's prune_active).
func (g *Graph) pruneActive() {
	g.requiredActive()
	var drop []*entry
	for t, list := range g.byThread {
		lf := g.latestFinal[t].hdr.Slot.Period
		for _, e := range list {
			if e.hdr.Slot.Period >= satSub(lf, g.p.ForceKeepFinalPeriodsWithoutOps) {
				e.keepMark = g.keepEpoch
				if e.hdr.Slot.Period < satSub(lf, g.p.ForceKeepFinalPeriods) && e.a.final && !e.a.opsReleased {
					e.a.opsReleased = true
					g.out.OpsReleasable = append(g.out.OpsReleasable, e.hdr.ID)
				}
			}
			if e.keepMark != g.keepEpoch && e.a.final {
				drop = append(drop, e)
			}
		}
	}
	slices.SortFunc(drop, cmpEntry)
	for _, e := range drop {
		g.unlinkFromParents(e)
		g.removeByThread(e)
		e.a = nil
		e.st = stDiscarded
		e.reason = ReasonFinal
		e.err = ErrPrunedFinal
		e.seq = g.nextSeq()
		g.discarded[e.hdr.ID] = e
		g.out.Pruned = append(g.out.Pruned, e.hdr.ID)
	}
	slices.SortFunc(g.out.OpsReleasable, func(a, b types.BlockID) int {
		return cmpEntry(g.blocks[a], g.blocks[b])
	})
}

func satSub(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return 0
}

// pruneWaitingSlot keeps the MaxFutureProcessingBlocks earliest blocks
// waiting for their slot.
func (g *Graph) pruneWaitingSlot() {
	if len(g.waitingSlot) <= g.p.MaxFutureProcessingBlocks {
		return
	}
	list := sortedEntries(g.waitingSlot)
	for _, e := range list[g.p.MaxFutureProcessingBlocks:] {
		g.forget(e)
		g.out.Forgotten = append(g.out.Forgotten, e.hdr.ID)
	}
}

// pruneVerdict is what pruning does with a waiting entry: discard it with
// a reason, or drop it without a status.
type pruneVerdict struct {
	discard bool
	reason  Reason
	err     error
}

// pruneWaitingDeps discards waiting blocks that depend on a discarded
// block (stale, or invalid when the dependency is invalid) or that are
// not after the latest final block of their thread, then drops the oldest
// (by sequence number) beyond MaxDependencyBlocks; the blocks depending on
// those are dropped or discarded in chain, until nothing changes.
func (g *Graph) pruneWaitingDeps() {
	out := make(map[*entry]pruneVerdict)
	discardedDep := func(d types.BlockID) (pruneVerdict, bool) {
		de := g.blocks[d]
		if de == nil || de.st != stDiscarded {
			return pruneVerdict{}, false
		}
		return depDiscard(d, de.reason), true
	}
	var keep []*entry
	for _, e := range sortedEntries(g.waitingDeps) {
		if v, found := depVerdict(e, discardedDep); found {
			out[e] = v
			continue
		}
		if lf := g.latestFinal[e.hdr.Slot.Thread].hdr.Slot.Period; e.hdr.Slot.Period <= lf {
			out[e] = pruneVerdict{true, ReasonStale,
				fmt.Errorf("period %d is not after the latest final period %d of its thread: %w", e.hdr.Slot.Period, lf, ErrStale)}
			continue
		}
		keep = append(keep, e)
	}
	prunedDep := func(d types.BlockID) (pruneVerdict, bool) {
		de := g.blocks[d]
		if de == nil {
			return pruneVerdict{}, false
		}
		v, ok := out[de]
		if !ok || !v.discard {
			return pruneVerdict{}, ok
		}
		return depDiscard(d, v.reason), true
	}
	for {
		for changed := true; changed; {
			changed = false
			kept := keep[:0]
			for _, e := range keep {
				if v, found := depVerdict(e, prunedDep); found {
					out[e] = v
					changed = true
				} else {
					kept = append(kept, e)
				}
			}
			keep = kept
		}
		if len(keep) <= g.p.MaxDependencyBlocks {
			break
		}
		oldest := 0
		for i, e := range keep {
			o := keep[oldest]
			if e.seq < o.seq || (e.seq == o.seq && cmpEntry(e, o) < 0) {
				oldest = i
			}
		}
		out[keep[oldest]] = pruneVerdict{}
		keep = slices.Delete(keep, oldest, oldest+1)
	}
	done := make([]*entry, 0, len(out))
	for e := range out {
		done = append(done, e)
	}
	slices.SortFunc(done, cmpEntry)
	for _, e := range done {
		if v := out[e]; v.discard {
			g.discard(e, v.reason, v.err)
		} else {
			g.forget(e)
			g.out.Forgotten = append(g.out.Forgotten, e.hdr.ID)
		}
	}
}

// depDiscard is the verdict for a block whose dependency d was discarded
// for reason r: invalid stays invalid, anything else is stale.
func depDiscard(d types.BlockID, r Reason) pruneVerdict {
	if r == ReasonInvalid {
		return pruneVerdict{true, ReasonInvalid, fmt.Errorf("dependency %s is invalid: %w", d, ErrInvalidDependency)}
	}
	return pruneVerdict{true, ReasonStale, fmt.Errorf("dependency %s was discarded: %w", d, ErrStale)}
}

// depVerdict looks at e's unsatisfied dependencies in id order and keeps
// the worst finding: invalid, then stale, then drop.
func depVerdict(e *entry, of func(types.BlockID) (pruneVerdict, bool)) (pruneVerdict, bool) {
	deps := make([]types.BlockID, 0, len(e.deps))
	for d := range e.deps {
		deps = append(deps, d)
	}
	slices.SortFunc(deps, func(a, b types.BlockID) int { return a.Compare(b) })
	var best pruneVerdict
	found := false
	for _, d := range deps {
		v, ok := of(d)
		if !ok {
			continue
		}
		if v.discard && v.reason == ReasonInvalid {
			return v, true
		}
		if !found || (v.discard && !best.discard) {
			best = v
		}
		found = true
	}
	return best, found
}

// pruneDiscarded forgets the oldest discarded entries beyond
// MaxDiscardedBlocks.
func (g *Graph) pruneDiscarded() {
	excess := len(g.discarded) - g.p.MaxDiscardedBlocks
	if excess <= 0 {
		return
	}
	list := make([]*entry, 0, len(g.discarded))
	for _, e := range g.discarded {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b *entry) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return cmpEntry(a, b)
	})
	for _, e := range list[:excess] {
		g.forget(e)
		g.out.Forgotten = append(g.out.Forgotten, e.hdr.ID)
	}
}

// rebuildWaiters rebuilds the dependency index from the waiting entries.
func (g *Graph) rebuildWaiters() {
	g.waiters = make(map[types.BlockID][]types.BlockID)
	for _, e := range sortedEntries(g.waitingDeps) {
		for d := range e.deps {
			if d != e.hdr.ID {
				g.waiters[d] = append(g.waiters[d], e.hdr.ID)
			}
		}
	}
}
