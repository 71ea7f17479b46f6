package execution

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// TestWithSelector runs several cycles with the real PoS selector: each
// completed cycle feeds the draws of cycle+2 (which need the state-hash
// snapshot of cycle-1), and every slot is produced by its drawn producer.
func TestWithSelector(t *testing.T) {
	cfg := testConfig()
	var stakers []types.Address
	var g Genesis
	for i := 0; i < 3; i++ {
		a := addrOf(testKey(50+i, -1))
		stakers = append(stakers, a)
		cfg.InitialRolls = append(cfg.InitialRolls, pos.RollCount{Address: a, Rolls: uint64(1 + i)})
		g.Ledger = append(g.Ledger, GenesisEntry{Address: a, Balance: mas("10")})
	}
	slices.SortFunc(cfg.InitialRolls, func(a, b pos.RollCount) int { return a.Address.Compare(b.Address) })
	sel, err := pos.NewSelector(cfg.PoS, pos.DefaultDrawCacheCycles)
	if err != nil {
		t.Fatal(err)
	}
	st := openMemStore(t)
	if _, err := InitGenesis(cfg, st, g); err != nil {
		t.Fatal(err)
	}
	core, err := New(cfg, st, Deps{Draws: sel, Feeder: sel})
	if err != nil {
		t.Fatal(err)
	}
	core.WithPoS(func(ps *pos.State) {
		for _, c := range ps.ReadyDrawCycles() {
			if err := sel.FeedFrom(ps, c); err != nil {
				t.Fatal(err)
			}
		}
	})
	latest := append([]types.Slot(nil), core.latestFinal...)
	s := core.FinalSlot()
	last := cfg.PoS.LastSlot(5)
	for s != last {
		s = s.Next(cfg.PoS.ThreadCount)
		producer, err := sel.Producer(s)
		if err != nil {
			t.Fatalf("slot %s: %v (cycles %v)", s, err, sel.Cycles())
		}
		blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte(fmt.Sprint(s)))), Slot: s, Creator: producer}
		latest[s.Thread] = s
		core.UpdateBlockclique([]*BlockToExecute{blk}, nil, latest)
		if _, err := core.Run(0); err != nil {
			t.Fatal(err)
		}
	}
	if got := sel.Cycles(); !slices.Contains(got, 7) {
		t.Fatalf("selector cycles %v, want up to 7", got)
	}
	// Every staker kept its rolls (no misses) and got rewards.
	for i, a := range stakers {
		f, _ := core.RollCounts(a)
		if f != uint64(1+i) {
			t.Fatalf("rolls of staker %d: %d", i, f)
		}
	}
	if err := st.Verify(); err != nil {
		t.Fatal(err)
	}
}
