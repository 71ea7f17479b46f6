package consensus_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/consensus/consensustest"
	"github.com/gomassa/gomassa/internal/types"
)

var seedFlag = flag.Uint64("consensus.seed", 0, "replay the randomized consensus tests with this seed only")

func seeds(n int) []uint64 {
	if *seedFlag != 0 {
		return []uint64{*seedFlag}
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// Honest producers, one per slot (some slots missed), build on the best
// parents of their node (graph A). Graph B receives the same blocks late,
// shuffled, sometimes header first. Both must finalize every thread with no
// stale block, and agree on the final blocks.
func TestRandomHonestNetwork(t *testing.T) {
	for _, seed := range seeds(20) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			threads := uint8(2 + rng.IntN(3))
			delta := uint64(4 + rng.IntN(29))
			endo := uint32(rng.IntN(3))
			t.Logf("seed %d: threads=%d delta_f0=%d endorsements=%d (replay: -consensus.seed=%d)", seed, threads, delta, endo, seed)
			a := newHarness(t, threads, delta, endo)
			b := newHarness(t, threads, delta, endo)
			var pending []consensus.Header
			headerSent := map[types.BlockID]bool{}
			finalA := map[types.BlockID]bool{}
			finalB := map[types.BlockID]bool{}
			note := func(m map[types.BlockID]bool, out consensus.Output, who string) {
				if len(out.NewStale)+len(out.NewInvalid)+len(out.Ignored) > 0 {
					t.Fatalf("seed %d: %s discarded blocks: %+v", seed, who, out)
				}
				for i, f := range out.NewFinal {
					if i > 0 && !out.NewFinal[i-1].Slot.Less(f.Slot) {
						t.Fatalf("seed %d: %s final blocks out of order", seed, who)
					}
					if m[f.ID] {
						t.Fatalf("seed %d: %s finalized %s twice", seed, who, f.ID)
					}
					m[f.ID] = true
				}
			}
			deliver := func(cur types.Slot, n int) {
				rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
				for n > 0 && len(pending) > 0 {
					x := pending[len(pending)-1]
					if !headerSent[x.ID] && rng.IntN(4) == 0 {
						headerSent[x.ID] = true
						note(finalB, b.header(x, cur), "B")
						n--
						continue
					}
					pending = pending[:len(pending)-1]
					note(finalB, b.block(x, cur), "B")
					n--
				}
			}
			periods := 3*delta/uint64(threads) + 12
			var cur types.Slot
			for period := uint64(1); period <= periods; period++ {
				for th := uint8(0); th < threads; th++ {
					cur = sl(period, th)
					note(finalB, b.tick(cur), "B")
					if rng.IntN(10) == 0 {
						continue // missed slot
					}
					hdr := a.onBest(cur, rng.IntN(int(endo)+1))
					out := a.block(hdr, cur)
					note(finalA, out, "A")
					if len(out.NewActive) != 1 {
						t.Fatalf("seed %d: A did not activate its own block at %s", seed, cur)
					}
					pending = append(pending, hdr)
					deliver(cur, rng.IntN(3))
				}
				if period%7 == 0 {
					a.prune()
					b.prune()
				}
			}
			deliver(cur, len(pending)*2)
			if len(pending) != 0 {
				t.Fatalf("seed %d: undelivered", seed)
			}
			for th, p := range a.g.LatestFinalPeriods() {
				if p == 0 {
					t.Fatalf("seed %d: thread %d never finalized", seed, th)
				}
			}
			if fmt.Sprint(a.g.LatestFinalPeriods()) != fmt.Sprint(b.g.LatestFinalPeriods()) {
				t.Fatalf("seed %d: final periods A %v B %v", seed, a.g.LatestFinalPeriods(), b.g.LatestFinalPeriods())
			}
			if len(finalA) != len(finalB) {
				t.Fatalf("seed %d: A finalized %d blocks, B %d", seed, len(finalA), len(finalB))
			}
			for id := range finalA {
				if !finalB[id] {
					t.Fatalf("seed %d: B did not finalize %s", seed, id)
				}
			}
			if fmt.Sprint(a.g.Blockclique()) != fmt.Sprint(b.g.Blockclique()) {
				t.Fatalf("seed %d: blockcliques differ", seed)
			}
		})
	}
}

// input is one recorded call, replayed to check determinism.
type input struct {
	kind  byte // 'h' header, 'b' block, 't' tick, 'p' prune
	hdr   consensus.Header
	cur   types.Slot
	own   bool
	ready uint64
}

func apply(h *harness, in input) consensus.Output {
	h.draws.HasLimit, h.draws.ReadyUntil = true, in.ready
	switch in.kind {
	case 'h':
		return h.header(in.hdr, in.cur)
	case 'b':
		out := h.g.AddBlock(in.hdr, in.cur, in.own)
		h.verify()
		return out
	case 't':
		return h.tick(in.cur)
	default:
		return h.prune()
	}
}

// Adversarial inputs: forks on outdated parents, double production,
// wrong creators and endorsers, malformed parents, future blocks, draws not
// ready, unknown parents, late and duplicated deliveries, pruning. The
// invariants must hold after every input, and replaying the same inputs on
// a fresh graph must give the same outputs (no map order leaks).
func TestRandomAdversarial(t *testing.T) {
	for _, seed := range seeds(30) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xbad))
			threads := uint8(2 + rng.IntN(3))
			delta := uint64(3 + rng.IntN(12))
			endo := uint32(rng.IntN(3))
			p := consensustest.SmallParams(threads, delta, endo)
			p.MaxDiscardedBlocks = 1 + rng.IntN(30)
			p.MaxDependencyBlocks = 1 + rng.IntN(20)
			p.MaxFutureProcessingBlocks = 1 + rng.IntN(20)
			p.ForceKeepFinalPeriods = uint64(rng.IntN(3))
			p.ForceKeepFinalPeriodsWithoutOps = p.ForceKeepFinalPeriods + uint64(rng.IntN(4))
			t.Logf("seed %d: %+v (replay: -consensus.seed=%d)", seed, p, seed)
			h := newHarnessParams(t, p)
			var inputs []input
			var outputs []string
			var known []consensus.Header // every block built so far
			var held []consensus.Header  // built, not delivered yet
			ready := uint64(1 << 62)
			do := func(in input) {
				in.ready = ready
				inputs = append(inputs, in)
				outputs = append(outputs, canon(apply(h, in)))
			}
			steps := 150 + rng.IntN(150)
			cur := sl(1, 0)
			for step := 0; step < steps; step++ {
				if rng.IntN(3) == 0 {
					cur = cur.Next(threads)
					if rng.IntN(8) == 0 {
						ready = cur.Period + uint64(rng.IntN(2))
					} else if rng.IntN(3) == 0 {
						ready = 1 << 62
					}
					do(input{kind: 't', cur: cur})
				}
				switch r := rng.IntN(20); {
				case r == 0:
					do(input{kind: 'p'})
				case r < 3 && len(held) > 0:
					i := rng.IntN(len(held))
					x := held[i]
					held = slices.Delete(held, i, i+1)
					do(input{kind: 'b', hdr: x, cur: cur})
				case r < 4 && len(known) > 0:
					x := known[rng.IntN(len(known))]
					do(input{kind: "hb"[rng.IntN(2)], hdr: x, cur: cur, own: rng.IntN(2) == 0})
				default:
					hdr := randomBlock(rng, h, known, cur, threads, endo)
					known = append(known, hdr)
					if rng.IntN(6) == 0 {
						held = append(held, hdr)
						if rng.IntN(2) == 0 {
							do(input{kind: 'h', hdr: hdr, cur: cur})
						}
						continue
					}
					do(input{kind: 'b', hdr: hdr, cur: cur, own: rng.IntN(3) == 0})
				}
			}
			st := h.g.Stats()
			t.Logf("seed %d: %+v", seed, st)

			// replay
			r := newHarnessParams(t, p)
			r.check = false
			for i, in := range inputs {
				if got := canon(apply(r, in)); got != outputs[i] {
					t.Fatalf("seed %d: replay differs at input %d:\n got %s\nwant %s", seed, i, got, outputs[i])
				}
			}
		})
	}
}

// randomBlock builds a mostly plausible block at or around cur.
func randomBlock(rng *rand.Rand, h *harness, known []consensus.Header, cur types.Slot, threads uint8, endo uint32) consensus.Header {
	slot := cur
	switch rng.IntN(10) {
	case 0:
		slot.Period += 1 + uint64(rng.IntN(3)) // future
	case 1, 2:
		if slot.Period > 1 {
			slot.Period -= uint64(rng.IntN(int(min(slot.Period-1, 4)) + 1))
		}
	}
	slot.Thread = uint8(rng.IntN(int(threads)))
	parents := h.g.BestParents()
	if rng.IntN(3) == 0 && len(known) > 0 {
		// replace some parents by other known blocks of the right thread,
		// or of any thread
		for th := range parents {
			if rng.IntN(3) != 0 {
				continue
			}
			for range 5 {
				x := known[rng.IntN(len(known))]
				if x.Slot.Thread == uint8(th) || rng.IntN(10) == 0 {
					parents[th] = x.ID
					break
				}
			}
		}
	}
	if rng.IntN(30) == 0 {
		parents[rng.IntN(len(parents))] = types.BlockID{byte(rng.IntN(256)), 0xee}
	}
	hdr := consensustest.Block(slot, parents, rng.IntN(int(endo)+1), uint64(rng.IntN(3)))
	switch rng.IntN(40) {
	case 0:
		hdr.Creator = types.Address{}
	case 1:
		if len(hdr.Endorsers) > 0 {
			hdr.Endorsers[0].Creator = types.Address{}
		}
	case 2:
		hdr.Parents = hdr.Parents[:len(hdr.Parents)-1]
	}
	hdr.ID = consensustest.IDOf(hdr, rng.Uint64())
	return hdr
}

// canon prints an output with wished headers dereferenced.
func canon(out consensus.Output) string {
	wishes := make([]string, len(out.WishlistAdded))
	for i, w := range out.WishlistAdded {
		wishes[i] = fmt.Sprint(w.ID)
		if w.Header != nil {
			wishes[i] += fmt.Sprintf("%+v", *w.Header)
		}
	}
	out.WishlistAdded = nil
	return fmt.Sprintf("%+v %v", out, wishes)
}
