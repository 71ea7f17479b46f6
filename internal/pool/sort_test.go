package pool

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/types"
)

// TestSortThreadIncremental checks that the incremental sort (sorted
// prefix, sorted tail merged in) keeps each thread in exactly the order a
// full sort gives, through random adds, removals and sorts.
func TestSortThreadIncremental(t *testing.T) {
	cfg := testConfig()
	cfg.ThreadCount = 1
	cfg.MaxCount = 1 << 20
	cfg.MaxBytes = 1 << 30
	keys := []*types.SignedOperation{}
	for i := range 8 {
		k := newKey(t, uint64(i)+100)
		for j := range 40 {
			fee := []string{"0.01", "0.02", "0.5", "1"}[(i+j)%4]
			keys = append(keys, transfer(k, fee, fmt.Sprintf("0.%09d", j+1), 10+uint64(j%3)))
		}
	}
	st := &fakeState{bal: map[types.Address]types.Amount{}, executed: map[types.OperationID]bool{}}
	for _, op := range keys {
		st.bal[op.CreatorAddr] = types.MustAmount("1000")
	}
	p := NewOperations(cfg, st)
	p.SetCurrentPeriod(5)
	r := rand.New(rand.NewPCG(1, 2))
	var live []types.OperationID
	for step, op := range keys {
		if err := p.Add(op); err != nil {
			t.Fatal(err)
		}
		live = append(live, op.ID)
		if r.IntN(4) == 0 && len(live) > 0 {
			i := r.IntN(len(live))
			p.Remove([]types.OperationID{live[i]})
			live = slices.Delete(live, i, i+1)
		}
		if r.IntN(3) == 0 || step == len(keys)-1 {
			p.mu.Lock()
			p.sortThread(0)
			got := slices.Clone(p.threads[0])
			p.mu.Unlock()
			want := slices.Clone(got)
			slices.SortFunc(want, rank)
			if len(got) != len(live) {
				t.Fatalf("step %d: %d entries, want %d", step, len(got), len(live))
			}
			for i := range got {
				if got[i] != want[i] || got[i].removed {
					t.Fatalf("step %d: entry %d out of order", step, i)
				}
			}
		}
	}
}

// BenchmarkPruneSort measures a Prune over a large pool that grows by a
// slot's worth of operations between calls (the node's steady state).
func BenchmarkPruneSort(b *testing.B) {
	cfg := testConfig()
	cfg.ThreadCount = 4
	cfg.MaxCount = 1 << 22
	cfg.MaxBytes = 1 << 32
	st := &fakeState{bal: map[types.Address]types.Amount{}, executed: map[types.OperationID]bool{}}
	var ops []*types.SignedOperation
	for i := range 64 {
		k := newKey(b, uint64(i)+1000)
		st.bal[types.AddressOf(k.Public())] = types.MustAmount("1000000")
		for j := range 1000 {
			ops = append(ops, transfer(k, "0.01", fmt.Sprintf("0.%09d", j+1), 10+uint64(j%2)))
		}
	}
	p := NewOperations(cfg, st)
	p.SetCurrentPeriod(5)
	for _, op := range ops[:60_000] {
		if err := p.Add(op); err != nil {
			b.Fatal(err)
		}
	}
	next := 60_000
	b.ResetTimer()
	for range b.N {
		for range 50 {
			if next < len(ops) {
				_ = p.Add(ops[next])
				next++
			}
		}
		p.Prune([]uint64{0, 0, 0, 0})
	}
}
