package consensus

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// NewFromFinal rebuilds a graph after a restart from the latest final block
// of each thread (one header per thread, in thread order). Like Massa's
// restart from a final state, these blocks play the role of genesis blocks:
// they are final, new blocks must descend from them, and the grandpa check
// does not look below them. Blocks between them and the present are
// re-learned from peers (or re-produced by the node's own stakers).
func NewFromFinal(p Params, roots []Header, draws Draws) (*Graph, error) {
	if len(roots) != int(p.ThreadCount) {
		return nil, fmt.Errorf("%d final blocks for %d threads: %w", len(roots), p.ThreadCount, ErrBadParams)
	}
	ids := make([]types.BlockID, len(roots))
	for t, h := range roots {
		if h.Slot.Thread != uint8(t) {
			return nil, fmt.Errorf("final block %s of thread %d is at slot %s: %w", h.ID, t, h.Slot, ErrBadParams)
		}
		ids[t] = h.ID
	}
	g, err := New(p, ids, draws)
	if err != nil {
		return nil, err
	}
	for t, h := range roots {
		e := g.blocks[h.ID]
		e.hdr = Header{ID: h.ID, Slot: h.Slot, Creator: h.Creator}
		g.savedPeriods[t] = h.Slot.Period
	}
	return g, nil
}

// NewFromFinalWith is NewFromFinal plus older final blocks (headers whose
// parents are not needed), kept as final so that new blocks may still
// reference them as parents after a restart.
func NewFromFinalWith(p Params, roots, older []Header, draws Draws) (*Graph, error) {
	g, err := NewFromFinal(p, roots, draws)
	if err != nil {
		return nil, err
	}
	for _, h := range older {
		if _, ok := g.blocks[h.ID]; ok {
			continue
		}
		if h.Slot.Period >= g.latestFinal[h.Slot.Thread].hdr.Slot.Period {
			continue
		}
		e := &entry{
			hdr:  Header{ID: h.ID, Slot: h.Slot, Creator: h.Creator},
			st:   stActive,
			full: true,
			a:    &activeBlock{fitness: 1, final: true, children: make(map[types.BlockID]struct{})},
		}
		g.blocks[h.ID] = e
		g.insertByThread(e)
	}
	return g, nil
}
