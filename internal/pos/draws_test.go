package pos

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/types"
)

func vectorByName(t *testing.T, name string) aliasVector {
	for _, v := range loadAliasVectors(t) {
		if v.name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return aliasVector{}
}

func rollsFor(weights []uint64) []RollCount {
	rc := make([]RollCount, len(weights))
	for i, w := range weights {
		rc[i] = RollCount{Address: testAddr(i), Rolls: w}
	}
	return rc
}

// flatten lists the sampled indices of a cycle in stream order, skipping
// the forced period-0 producers.
func flatten(t *testing.T, cfg Config, d *Draws) []int {
	var out []int
	for s := cfg.FirstSlot(d.Cycle()); ; s = s.Next(cfg.ThreadCount) {
		sel, err := d.Selection(s)
		require.NoError(t, err)
		if s.Period != 0 {
			out = append(out, int(sel.Producer.Hash[0])<<24|int(sel.Producer.Hash[1])<<16|int(sel.Producer.Hash[2])<<8|int(sel.Producer.Hash[3]))
		} else {
			require.Equal(t, cfg.GenesisAddress, sel.Producer)
		}
		for _, e := range sel.Endorsements {
			out = append(out, int(e.Hash[0])<<24|int(e.Hash[1])<<16|int(e.Hash[2])<<8|int(e.Hash[3]))
		}
		if s == cfg.LastSlot(d.Cycle()) {
			return out
		}
	}
}

// A mainnet-shaped cycle (4096 slots x 17) draws the same addresses as the
// Rust reference stream, producer first then endorsers 0..15 per slot.
func TestDrawCycleMatchesRust(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GenesisAddress = testAddr(999_999)
	for _, tc := range []struct {
		vector string
		cycle  uint64
	}{
		{"stakers1000", 5}, // every slot samples its producer
		{"cycle0", 0},      // period 0: producers forced, endorsers sampled
	} {
		t.Run(tc.vector, func(t *testing.T) {
			v := vectorByName(t, tc.vector)
			d, err := DrawCycle(cfg, DrawInputs{Cycle: tc.cycle, Rolls: rollsFor(v.weights), Seed: v.seed})
			require.NoError(t, err)
			got := flatten(t, cfg, d)
			require.Len(t, got, v.count)
			require.Equal(t, v.first, got[:len(v.first)])
			require.Equal(t, v.sha, samplesDigest(got))
		})
	}
}

func TestDrawCycleDeterministic(t *testing.T) {
	cfg := smallConfig()
	in := DrawInputs{Cycle: 3, Rolls: rollsFor([]uint64{5, 1, 9, 2}), Seed: [32]byte{1, 2, 3}}
	a, err := DrawCycle(cfg, in)
	require.NoError(t, err)
	b, err := DrawCycle(cfg, in)
	require.NoError(t, err)
	require.Equal(t, a, b)
	in.Seed[0] = 9
	c, err := DrawCycle(cfg, in)
	require.NoError(t, err)
	require.NotEqual(t, a.picks, c.picks)
}

func TestDrawCycleRejectsBadInput(t *testing.T) {
	cfg := smallConfig()
	_, err := DrawCycle(cfg, DrawInputs{Cycle: 1})
	require.ErrorIs(t, err, ErrNoRolls)
	rc := rollsFor([]uint64{1, 2})
	rc[0], rc[1] = rc[1], rc[0]
	_, err = DrawCycle(cfg, DrawInputs{Cycle: 1, Rolls: rc})
	require.ErrorIs(t, err, ErrInvalidWeight)
	_, err = DrawCycle(cfg, DrawInputs{Cycle: 1, Rolls: rollsFor([]uint64{1, 0})})
	require.ErrorIs(t, err, ErrInvalidWeight)
}

// User addresses sort before SC addresses whatever their hashes.
func TestSortRollCountsAddressOrder(t *testing.T) {
	sc := testAddr(0)
	sc.SC = true
	rc := []RollCount{{Address: sc, Rolls: 1}, {Address: testAddr(5), Rolls: 1}, {Address: testAddr(2), Rolls: 1}}
	SortRollCounts(rc)
	require.Equal(t, []types.Address{testAddr(2), testAddr(5), sc}, []types.Address{rc[0].Address, rc[1].Address, rc[2].Address})
}

func TestDrawsSlotChecks(t *testing.T) {
	cfg := smallConfig()
	d, err := DrawCycle(cfg, DrawInputs{Cycle: 2, Rolls: rollsFor([]uint64{1}), Seed: [32]byte{7}})
	require.NoError(t, err)
	_, err = d.Producer(types.Slot{Period: 1})
	require.ErrorIs(t, err, ErrDrawsNotReady)
	_, err = d.Producer(types.Slot{Period: 8, Thread: 2})
	require.ErrorIs(t, err, ErrSlotOutOfRange)
	e, err := d.Endorsers(types.Slot{Period: 9, Thread: 1})
	require.NoError(t, err)
	require.Equal(t, []types.Address{testAddr(0), testAddr(0)}, e)
}

// BenchmarkDrawCycle draws a mainnet cycle (4096 slots x 17) over 1000
// stakers.
func BenchmarkDrawCycle(b *testing.B) {
	cfg := DefaultConfig()
	w := make([]uint64, 1000)
	for i := range w {
		w[i] = uint64(i%97 + 1)
	}
	in := DrawInputs{Cycle: 10, Rolls: rollsFor(w), Seed: [32]byte{1}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DrawCycle(cfg, in); err != nil {
			b.Fatal(err)
		}
	}
}
