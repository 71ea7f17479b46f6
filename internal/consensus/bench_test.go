package consensus_test

import (
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/consensus/consensustest"
	"github.com/gomassa/gomassa/internal/types"
)

// benchChain adds blocks built on the best parents, one per slot, to a
// mainnet-sized graph (32 threads, delta_f0 1088), restarting from genesis
// every chainLen blocks, and prunes every 10 blocks as the service does
// (every 5 s at 2 blocks/s). One op is one AddBlock.
func benchChain(b *testing.B, endorsements int, chainLen int) {
	p := consensus.DefaultParams()
	d := &consensustest.Draws{}
	gen := consensustest.GenesisIDs(p.ThreadCount)
	var g *consensus.Graph
	var slot types.Slot
	n := chainLen
	finals := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n == chainLen {
			b.StopTimer()
			var err error
			if g, err = consensus.New(p, gen, d); err != nil {
				b.Fatal(err)
			}
			slot, n = types.Slot{Period: 1}, 0
			b.StartTimer()
		}
		h := consensustest.Block(slot, g.BestParents(), endorsements, 0)
		out := g.AddBlock(h, slot, false)
		if len(out.NewActive) != 1 {
			b.Fatalf("block at %s not active: %+v", slot, out)
		}
		finals += len(out.NewFinal)
		n++
		if n%10 == 0 {
			g.Prune()
		}
		slot = slot.Next(p.ThreadCount)
	}
	b.StopTimer()
	if b.N >= chainLen && finals == 0 {
		b.Fatal("nothing became final")
	}
	st := g.Stats()
	b.ReportMetric(float64(st.ActiveCount), "nonfinal")
}

// BenchmarkAddBlock32Threads: full endorsement (fitness 17), about 65
// non-final blocks.
func BenchmarkAddBlock32Threads(b *testing.B) { benchChain(b, 16, 3000) }

// BenchmarkAddBlock32ThreadsNoEndorsements: fitness 1, about 1 100
// non-final blocks (the slowest finality the rules allow).
func BenchmarkAddBlock32ThreadsNoEndorsements(b *testing.B) { benchChain(b, 0, 3000) }
