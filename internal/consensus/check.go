package consensus

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// verdict is the outcome kind of the header checks.
type verdict uint8

const (
	vProceed verdict = iota
	vDiscard
	vWaitSlot
	vWaitDeps
)

// checkResult is the outcome of check (Massa's HeaderCheckOutcome).
type checkResult struct {
	v      verdict
	reason Reason
	err    error
	deps   []types.BlockID
	// incomp is the block's incompatibility set; inherited is how many of
	// its ids came from the parents (the rest are new forks).
	incomp    map[types.BlockID]struct{}
	inherited int
	parents   []*entry
}

func invalid(format string, base error, args ...any) checkResult {
	return checkResult{v: vDiscard, reason: ReasonInvalid, err: fmt.Errorf(format+": %w", append(args, base)...)}
}

func stale(format string, args ...any) checkResult {
	return checkResult{v: vDiscard, reason: ReasonStale, err: fmt.Errorf(format+": %w", append(args, ErrStale)...)}
}

// inheritDiscard is the outcome for a block whose parent or grandparent d
// was discarded: Invalid stays Invalid, anything else makes it stale.
func inheritDiscard(what string, d *entry) checkResult {
	if d.reason == ReasonInvalid {
		return checkResult{v: vDiscard, reason: ReasonInvalid,
			err: fmt.Errorf("%s %s is invalid (%v): %w", what, d.hdr.ID, d.err, ErrInvalidDependency)}
	}
	return stale("%s %s was discarded (%s)", what, d.hdr.ID, d.reason)
}

// checkShape rejects headers that do not fit the network parameters;
// protocol's decoder already refuses them, the graph must not trust that.
func (g *Graph) checkShape(h *Header) error {
	tc := g.p.ThreadCount
	if h.Slot.Thread >= tc {
		return fmt.Errorf("thread %d for %d threads: %w", h.Slot.Thread, tc, ErrMalformedHeader)
	}
	if len(h.Parents) != int(tc) {
		return fmt.Errorf("%d parents for %d threads: %w", len(h.Parents), tc, ErrMalformedHeader)
	}
	if len(h.Endorsers) > int(g.p.EndorsementCount) {
		return fmt.Errorf("%d endorsements, at most %d: %w", len(h.Endorsers), g.p.EndorsementCount, ErrMalformedHeader)
	}
	var seen [256]bool
	for _, en := range h.Endorsers {
		if en.Index >= g.p.EndorsementCount {
			return fmt.Errorf("endorsement index %d, at most %d: %w", en.Index, g.p.EndorsementCount-1, ErrMalformedHeader)
		}
		if seen[en.Index] {
			return fmt.Errorf("endorsement index %d used twice: %w", en.Index, ErrMalformedHeader)
		}
		seen[en.Index] = true
	}
	return nil
}

// incompatibleSlots is the slot part of the current incompatibility rule:
// two blocks that are not ancestor and descendant are incompatible when
// they share a slot or are at least t0 (ThreadCount slots) apart.
func (g *Graph) incompatibleSlots(a, b types.Slot) bool {
	ia, ib := a.Index(g.p.ThreadCount), b.Index(g.p.ThreadCount)
	if ia == ib {
		return true
	}
	d := ia - ib
	if ib > ia {
		d = ib - ia
	}
	return d >= uint64(g.p.ThreadCount)
}

// check runs the header checks of section 1.3 in order (Massa's
// check_header).
func (g *Graph) check(h *Header) checkResult {
	tc := int(g.p.ThreadCount)
	if err := g.checkShape(h); err != nil {
		return checkResult{v: vDiscard, reason: ReasonInvalid, err: err}
	}

	// 1. not newer than the latest final block of its thread
	if lf := g.latestFinal[h.Slot.Thread].hdr.Slot.Period; h.Slot.Period <= lf {
		return stale("period %d is not after the latest final period %d of thread %d", h.Slot.Period, lf, h.Slot.Thread)
	}

	// 2. producer draw; 3. future slot (after the draw so that undrawn
	// junk cannot fill the slot queue)
	producer, err := g.draws.Producer(h.Slot)
	if err != nil {
		return checkResult{v: vWaitSlot}
	}
	if producer != h.Creator {
		return invalid("slot %s: creator %s, drawn %s", ErrWrongProducer, h.Slot, h.Creator, producer)
	}
	if g.current.Less(h.Slot) {
		return checkResult{v: vWaitSlot}
	}

	// 4. parents: known, active, in their thread, older, mutually
	// compatible; the block inherits their incompatibilities
	parents := make([]*entry, tc)
	incomp := make(map[types.BlockID]struct{})
	var missing []types.BlockID
	for i, pid := range h.Parents {
		pe := g.blocks[pid]
		switch {
		case pe != nil && pe.st == stDiscarded:
			return inheritDiscard("parent", pe)
		case pe != nil && pe.st == stActive:
			ps := pe.hdr.Slot
			if int(ps.Thread) != i || !ps.Less(h.Slot) {
				return invalid("parent %d is %s at %s for a block at %s", ErrBadParent, i, pid, ps, h.Slot)
			}
			if pe.a.incomp != nil {
				for _, q := range h.Parents {
					if _, bad := pe.a.incomp[q]; bad {
						return invalid("parents %s and %s", ErrIncompatibleParents, pid, q)
					}
				}
				for x := range pe.a.incomp {
					incomp[x] = struct{}{}
				}
			}
			parents[i] = pe
		default:
			if _, gen := g.genesis[pid]; gen {
				return stale("genesis parent %s was pruned", pid)
			}
			dup := false
			for _, m := range missing {
				dup = dup || m == pid
			}
			if !dup {
				missing = append(missing, pid)
			}
		}
	}
	if len(missing) > 0 {
		return checkResult{v: vWaitDeps, deps: missing}
	}
	inherited := len(incomp)

	// 5. topological consistency of the parents ("grandpa" check)
	gpMax := make([]uint64, tc)
	for i, p := range parents {
		pp := p.hdr.Slot.Period
		if pp < gpMax[i] {
			return invalid("parent %d at period %d is older than period %d of its thread seen through another parent", ErrGrandpa, i, pp, gpMax[i])
		}
		gpMax[i] = pp
		if pp == g.p.LastStartPeriod || len(p.a.parents) != tc {
			continue // genesis
		}
		for j, ge := range p.a.parents {
			if j == i {
				continue
			}
			if ge.st != stActive && g.blocks[ge.hdr.ID] != ge {
				ge = g.blocks[ge.hdr.ID] // left the graph: whatever has its id now
			}
			switch {
			case ge != nil && ge.st == stDiscarded:
				return inheritDiscard("grandparent", ge)
			case ge != nil && ge.st == stActive:
				if gp := ge.hdr.Slot.Period; gp > gpMax[j] {
					if j < i {
						return invalid("parent %d builds on period %d of thread %d, after parent %d at period %d", ErrGrandpa, i, gp, j, j, gpMax[j])
					}
					gpMax[j] = gp
				}
			default:
				return stale("grandparent of thread %d of parent %d is not in the graph", j, i)
			}
		}
	}

	// 6. endorsements: every creator drawn for its (slot, index); all draws
	// are fetched first, as Massa reads the whole selection at once
	drawn := make([]types.Address, len(h.Endorsers))
	for k, en := range h.Endorsers {
		a, err := g.draws.Endorser(h.Slot, en.Index)
		if err != nil {
			return checkResult{v: vWaitSlot}
		}
		drawn[k] = a
	}
	for k, en := range h.Endorsers {
		if en.Creator != drawn[k] {
			return invalid("slot %s index %d: endorser %s, drawn %s", ErrWrongEndorser, h.Slot, en.Index, en.Creator, drawn[k])
		}
	}

	// 7. incompatibilities (current rule of section 1.4). Ancestors: walk
	// down the same-thread parent chain of every parent until a final
	// block (included), noting the earliest period seen per thread.
	g.ancEpoch++
	earliest := make([]uint64, tc)
	stack := make([]*entry, 0, 2*tc)
	for i, p := range parents {
		earliest[i] = p.hdr.Slot.Period
		stack = append(stack, p)
	}
	for len(stack) > 0 {
		a := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if a.ancMark == g.ancEpoch {
			continue
		}
		a.ancMark = g.ancEpoch
		t := a.hdr.Slot.Thread
		earliest[t] = min(earliest[t], a.hdr.Slot.Period)
		if a.a.final || len(a.a.parents) != tc {
			continue
		}
		if pe := a.a.parents[t]; pe.st == stActive {
			stack = append(stack, pe)
		}
	}
	// Non-ancestors from the earliest period of their thread on: same slot
	// or at least t0 apart means incompatible, together with all their
	// descendants. Incompatible with a final block means stale.
	g.walkEpoch++
	for t := 0; t < tc; t++ {
		list := g.byThread[t]
		for _, x := range list[firstFromPeriod(list, earliest[t]):] {
			if x.ancMark == g.ancEpoch || !g.incompatibleSlots(h.Slot, x.hdr.Slot) {
				continue
			}
			if x.a.final {
				return stale("incompatible with final block %s at %s", x.hdr.ID, x.hdr.Slot)
			}
			g.addWithDescendants(x, incomp)
		}
	}

	// 8. never incompatible with an own parent; never with a final block
	for _, pid := range h.Parents {
		if _, bad := incomp[pid]; bad {
			return invalid("parent %s", ErrIncompatibleWithParent, pid)
		}
	}
	for x := range incomp {
		if xe := g.blocks[x]; xe != nil && xe.st == stActive && xe.a.final {
			return stale("incompatible with final block %s", x)
		}
	}
	return checkResult{v: vProceed, incomp: incomp, inherited: inherited, parents: parents}
}

// addWithDescendants adds x and its active descendants to set, following
// children links. It uses walkEpoch marks, so one call of check can call it
// several times without revisiting blocks.
func (g *Graph) addWithDescendants(x *entry, set map[types.BlockID]struct{}) {
	stack := []*entry{x}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e.walkMark == g.walkEpoch {
			continue
		}
		e.walkMark = g.walkEpoch
		set[e.hdr.ID] = struct{}{}
		for c := range e.a.children {
			if ce := g.blocks[c]; ce != nil && ce.st == stActive {
				stack = append(stack, ce)
			}
		}
	}
}
