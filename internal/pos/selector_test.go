package pos

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/types"
)

func TestSelectorCacheAndQueries(t *testing.T) {
	cfg := smallConfig()
	sel, err := NewSelector(cfg, 2)
	require.NoError(t, err)
	_, err = sel.Producer(types.Slot{Period: 1})
	require.ErrorIs(t, err, ErrDrawsNotReady)

	a, b := testAddr(1), testAddr(2)
	st, err := New(cfg, []RollCount{{a, 1}, {b, 1}})
	require.NoError(t, err)
	_, err = st.CreateInitialCycle()
	require.NoError(t, err)
	for _, c := range st.ReadyDrawCycles() {
		require.NoError(t, sel.FeedFrom(st, c))
	}
	require.Equal(t, []uint64{0, 1}, sel.Cycles())

	p, err := sel.Producer(types.Slot{Period: 0, Thread: 1})
	require.NoError(t, err)
	require.Equal(t, cfg.GenesisAddress, p)
	e, err := sel.Endorsers(types.Slot{Period: 5, Thread: 0})
	require.NoError(t, err)
	require.Len(t, e, cfg.EndorsementCount)

	// The selector answers what DrawCycle computed.
	in, err := st.DrawInputs(1)
	require.NoError(t, err)
	d, err := DrawCycle(cfg, in)
	require.NoError(t, err)
	for s := cfg.FirstSlot(1); !cfg.LastSlot(1).Less(s); s = s.Next(cfg.ThreadCount) {
		want, err := d.Selection(s)
		require.NoError(t, err)
		got, err := sel.Selection(s)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}

	// NextDraws lists a's slots in range, stopping at uncached cycles.
	blocks, ends := sel.NextDraws(a, types.Slot{Period: 2}, types.Slot{Period: 100})
	all := sel.SelectionsInRange(types.Slot{Period: 2}, types.Slot{Period: 100}, nil)
	require.Len(t, all, 12) // (2,0) .. (7,1)
	var wantBlocks []types.Slot
	var wantEnds []types.IndexedSlot
	for _, s := range all {
		if s.Producer == a {
			wantBlocks = append(wantBlocks, s.Slot)
		}
		for i, x := range s.Endorsements {
			if x == a {
				wantEnds = append(wantEnds, types.IndexedSlot{Slot: s.Slot, Index: i})
			}
		}
	}
	require.ElementsMatch(t, wantBlocks, blocks)
	require.ElementsMatch(t, wantEnds, ends)
	require.NotEmpty(t, blocks)

	// Inverted or out-of-range windows give nothing.
	require.Empty(t, sel.SelectionsInRange(types.Slot{Period: 5}, types.Slot{Period: 4}, nil))

	// Capacity 2: feeding cycle 2 evicts cycle 0.
	require.NoError(t, sel.Feed(DrawInputs{Cycle: 2, Rolls: in.Rolls, Seed: in.Seed}))
	require.Equal(t, []uint64{1, 2}, sel.Cycles())
	_, err = sel.Producer(types.Slot{Period: 1})
	require.ErrorIs(t, err, ErrDrawsNotReady)
}
