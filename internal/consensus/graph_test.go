package consensus_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/consensus/consensustest"
	"github.com/gomassa/gomassa/internal/types"
)

func TestNewRejectsBadInput(t *testing.T) {
	p := consensustest.SmallParams(2, 4, 0)
	gen := consensustest.GenesisIDs(2)
	d := &consensustest.Draws{}
	cases := []struct {
		name string
		p    consensus.Params
		gen  []types.BlockID
		d    consensus.Draws
	}{
		{"one thread", func() consensus.Params { q := p; q.ThreadCount = 1; return q }(), gen[:1], d},
		{"t0 not multiple", func() consensus.Params { q := p; q.T0 = 1001; return q }(), gen, d},
		{"zero delta", func() consensus.Params { q := p; q.DeltaF0 = 0; return q }(), gen, d},
		{"genesis count", p, gen[:1], d},
		{"duplicate genesis", p, []types.BlockID{gen[0], gen[0]}, d},
		{"no draws", p, gen, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := consensus.New(c.p, c.gen, c.d); !errors.Is(err, consensus.ErrBadParams) {
				t.Fatalf("err = %v, want ErrBadParams", err)
			}
		})
	}
	if err := consensus.DefaultParams().Validate(); err != nil {
		t.Fatalf("default params: %v", err)
	}
}

// A chain where each slot's producer builds on the best parents finalizes
// every thread, in slot order, with no stale block, and the finality lag
// is what delta_f0 implies: a block is final once the blocks after it
// weigh more than delta_f0.
func TestLinearChainFinalizesEveryThread(t *testing.T) {
	for _, c := range []struct {
		threads uint8
		delta   uint64
		endo    uint32
	}{{2, 4, 0}, {2, 8, 1}, {3, 16, 2}, {4, 32, 2}, {4, 4, 0}} {
		t.Run(fmt.Sprintf("threads=%d/delta=%d/endo=%d", c.threads, c.delta, c.endo), func(t *testing.T) {
			h := newHarness(t, c.threads, c.delta, c.endo)
			var all []types.BlockID
			var finals []consensus.FinalBlock
			fit := uint64(1 + c.endo)
			periods := 3*int(c.delta)/int(c.threads) + 10
			for period := uint64(1); period <= uint64(periods); period++ {
				for th := uint8(0); th < c.threads; th++ {
					s := sl(period, th)
					hdr := h.onBest(s, int(c.endo))
					out := h.block(hdr, s)
					if len(out.NewActive) != 1 || out.NewActive[0] != hdr.ID {
						t.Fatalf("slot %s: NewActive %v", s, out.NewActive)
					}
					if len(out.NewStale)+len(out.NewInvalid) > 0 {
						t.Fatalf("slot %s: stale %v invalid %v", s, out.NewStale, out.NewInvalid)
					}
					if !out.BlockcliqueChanged {
						t.Fatalf("slot %s: blockclique unchanged", s)
					}
					all = append(all, hdr.ID)
					finals = append(finals, out.NewFinal...)
					// exactly the blocks with more than delta of fitness after them
					wantFinal := 0
					for i := range all {
						if uint64(len(all)-1-i)*fit > c.delta {
							wantFinal = i + 1
						}
					}
					if len(finals) != wantFinal {
						t.Fatalf("slot %s: %d final blocks, want %d", s, len(finals), wantFinal)
					}
				}
			}
			for i, f := range finals {
				if f.ID != all[i] {
					t.Fatalf("final #%d is %s, want %s", i, f.ID, all[i])
				}
				if f.Own || !f.HasSameThreadParentCreator || f.Fitness != fit {
					t.Fatalf("final #%d: %+v", i, f)
				}
				h.wantStatus(f.ID, consensus.StatusFinal)
			}
			for th, p := range h.g.LatestFinalPeriods() {
				if p == 0 {
					t.Fatalf("thread %d never finalized", th)
				}
			}
			if st := h.g.Stats(); st.StaleBlockCount != 0 || st.CliqueCount != 1 || st.FinalBlockCount != uint64(len(finals)) {
				t.Fatalf("stats %+v", st)
			}
			if _, ok := h.g.LastFinalFromNetworkSlot(); !ok {
				t.Fatal("no final block from the network recorded")
			}
		})
	}
}

// Two blocks compete for slot (1,0); the side that keeps growing leaves
// the other one stale exactly when its lead exceeds delta_f0, and
// finality only starts then.
func TestCompetingBlocksStaleAfterDeltaF0(t *testing.T) {
	for _, delta := range []uint64{4, 7, 12} {
		t.Run(fmt.Sprintf("delta=%d", delta), func(t *testing.T) {
			h := newHarness(t, 2, delta, 0)
			g0, g1 := h.genesis[0], h.genesis[1]
			a := consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 1)
			b := consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 2)
			h.block(a, sl(1, 0))
			h.block(b, sl(1, 0))
			if n := len(h.g.Cliques()); n != 2 {
				t.Fatalf("%d cliques, want 2", n)
			}
			// grow a's side only: parents are a's chain and thread 1's chain
			last := []types.BlockID{a.ID, g1}
			fitness := uint64(1)
			for i := 0; ; i++ {
				s := sl(1+uint64(i+1)/2, uint8((i+1)%2))
				hdr := consensustest.Block(s, last, 0, 0)
				out := h.block(hdr, s)
				last[s.Thread] = hdr.ID
				fitness++
				// b's clique has fitness 1: it goes when 1 < fitness - delta
				if fitness > delta+1 {
					if len(out.NewStale) != 1 || out.NewStale[0].ID != b.ID || !errors.Is(out.NewStale[0].Err, consensus.ErrStale) {
						t.Fatalf("fitness %d: NewStale %v, want %s", fitness, out.NewStale, b.ID)
					}
					h.wantStatus(b.ID, consensus.StatusStale)
					if len(h.g.Cliques()) != 1 {
						t.Fatalf("cliques after stale: %d", len(h.g.Cliques()))
					}
					break
				}
				if len(out.NewStale) != 0 || len(out.NewFinal) != 0 {
					t.Fatalf("fitness %d: early stale %v or final %v", fitness, out.NewStale, out.NewFinal)
				}
				h.wantStatus(b.ID, consensus.StatusActive)
			}
			if h.g.Stats().StaleBlockCount != 1 {
				t.Fatal("stale count")
			}
			// a has delta+1 blocks after it now: once b is gone it is final
			h.wantStatus(a.ID, consensus.StatusFinal)
		})
	}
}

// The blockclique is the clique with the highest fitness, then the
// smallest sum of ids read as 256-bit big-endian integers.
func TestBlockcliqueTieBreak(t *testing.T) {
	max := func() types.BlockID {
		var id types.BlockID
		for i := range id {
			id[i] = 0xff
		}
		return id
	}()
	cases := []struct {
		name           string
		a, b, a2, b2   types.BlockID
		wantFirstClass bool // {a, b} wins
	}{
		{"smaller single ids", idWithPrefix(1), idWithPrefix(9), idWithPrefix(2), idWithPrefix(3), false},
		{"smaller sum", idWithPrefix(1), idWithPrefix(3), idWithPrefix(2), idWithPrefix(4), true},
		{"carry across 256 bits", max, idWithPrefix(0, 0, 0, 0), idWithPrefix(0x80), idWithPrefix(0x80), true},
		{"low words decide", idWithPrefix(5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
			idWithPrefix(5), idWithPrefix(5), idWithPrefix(5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 2, 8, 0)
			g0, g1 := h.genesis[0], h.genesis[1]
			a := withID(consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 1), c.a)
			a2 := withID(consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 2), c.a2)
			b := withID(consensustest.Block(sl(1, 1), []types.BlockID{a.ID, g1}, 0, 1), c.b)
			b2 := withID(consensustest.Block(sl(1, 1), []types.BlockID{a2.ID, g1}, 0, 2), c.b2)
			for _, x := range []consensus.Header{a, a2, b, b2} {
				h.block(x, sl(1, 1))
			}
			cl := h.g.Cliques()
			if len(cl) != 2 {
				t.Fatalf("%d cliques", len(cl))
			}
			want := []types.BlockID{a2.ID, b2.ID}
			if c.wantFirstClass {
				want = []types.BlockID{a.ID, b.ID}
			}
			got := h.g.Blockclique()
			if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("blockclique %v, want %v", got, want)
			}
			if bp := h.g.BestParents(); bp[0] != want[0] || bp[1] != want[1] {
				t.Fatalf("best parents %v, want %v", bp, want)
			}
			if !h.g.InBlockclique(want[0]) {
				t.Fatal("InBlockclique")
			}
		})
	}
}

func TestHeaderChecksDiscard(t *testing.T) {
	type build func(h *harness) consensus.Header
	g := func(h *harness) []types.BlockID { return []types.BlockID{h.genesis[0], h.genesis[1]} }
	cases := []struct {
		name   string
		build  build
		want   consensus.Status
		err    error
		prefix func(h *harness) // blocks added before
	}{
		{"wrong producer", func(h *harness) consensus.Header {
			b := consensustest.Block(sl(1, 0), g(h), 0, 0)
			b.Creator = consensustest.Producer(sl(1, 1))
			return b
		}, consensus.StatusInvalid, consensus.ErrWrongProducer, nil},
		{"wrong endorser", func(h *harness) consensus.Header {
			b := consensustest.Block(sl(1, 0), g(h), 1, 0)
			b.Endorsers[0].Creator = consensustest.Endorser(sl(1, 0), 1)
			return b
		}, consensus.StatusInvalid, consensus.ErrWrongEndorser, nil},
		{"parents swapped", func(h *harness) consensus.Header {
			return consensustest.Block(sl(1, 0), []types.BlockID{h.genesis[1], h.genesis[0]}, 0, 0)
		}, consensus.StatusInvalid, consensus.ErrBadParent, nil},
		{"parent not older", func(h *harness) consensus.Header {
			a := consensustest.Block(sl(1, 1), g(h), 0, 0)
			h.block(a, sl(1, 1))
			return consensustest.Block(sl(1, 0), []types.BlockID{h.genesis[0], a.ID}, 0, 0)
		}, consensus.StatusInvalid, consensus.ErrBadParent, nil},
		{"too few parents", func(h *harness) consensus.Header {
			return consensustest.Block(sl(1, 0), g(h)[:1], 0, 0)
		}, consensus.StatusInvalid, consensus.ErrMalformedHeader, nil},
		{"thread out of range", func(h *harness) consensus.Header {
			return consensustest.Block(sl(1, 7), g(h), 0, 0)
		}, consensus.StatusInvalid, consensus.ErrMalformedHeader, nil},
		{"endorsement index out of range", func(h *harness) consensus.Header {
			b := consensustest.Block(sl(1, 0), g(h), 1, 0)
			b.Endorsers[0].Index = 2
			return b
		}, consensus.StatusInvalid, consensus.ErrMalformedHeader, nil},
		{"endorsement index twice", func(h *harness) consensus.Header {
			b := consensustest.Block(sl(1, 0), g(h), 2, 0)
			b.Endorsers[1] = b.Endorsers[0]
			return b
		}, consensus.StatusInvalid, consensus.ErrMalformedHeader, nil},
		{"genesis period", func(h *harness) consensus.Header {
			return consensustest.Block(sl(0, 1), g(h), 0, 0)
		}, consensus.StatusStale, consensus.ErrStale, nil},
		{"child of invalid", func(h *harness) consensus.Header {
			bad := consensustest.Block(sl(1, 0), g(h), 0, 0)
			bad.Creator = types.Address{}
			h.block(bad, sl(1, 0))
			return consensustest.Block(sl(1, 1), []types.BlockID{bad.ID, h.genesis[1]}, 0, 0)
		}, consensus.StatusInvalid, consensus.ErrInvalidDependency, nil},
		{"incompatible parents", func(h *harness) consensus.Header {
			// a and a2 share slot (1,0); b builds on a2; c names a and b
			a := consensustest.Block(sl(1, 0), g(h), 0, 1)
			a2 := consensustest.Block(sl(1, 0), g(h), 0, 2)
			b := consensustest.Block(sl(1, 1), []types.BlockID{a2.ID, h.genesis[1]}, 0, 0)
			h.block(a, sl(1, 1))
			h.block(a2, sl(1, 1))
			h.block(b, sl(1, 1))
			return consensustest.Block(sl(2, 0), []types.BlockID{a.ID, b.ID}, 0, 0)
		}, consensus.StatusInvalid, consensus.ErrIncompatibleParents, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 2, 8, 2)
			b := c.build(h)
			out := h.block(b, sl(5, 0))
			h.wantStatus(b.ID, c.want)
			info, _ := h.g.BlockInfo(b.ID)
			if !errors.Is(info.DiscardErr, c.err) {
				t.Fatalf("err %v, want %v", info.DiscardErr, c.err)
			}
			list := out.NewInvalid
			if c.want == consensus.StatusStale {
				list = out.NewStale
			}
			if len(list) != 1 || list[0].ID != b.ID || !errors.Is(list[0].Err, c.err) {
				t.Fatalf("output %+v", out)
			}
			if len(out.NewActive) != 0 {
				t.Fatal("discarded block reported active")
			}
		})
	}
}

// The topological ("grandpa") check, both ways it can fail.
func TestGrandpaCheck(t *testing.T) {
	t.Run("parent builds on a newer block than the other parent", func(t *testing.T) {
		h := newHarness(t, 2, 32, 0)
		g0, g1 := h.genesis[0], h.genesis[1]
		a := consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 0)
		c := consensustest.Block(sl(2, 0), []types.BlockID{a.ID, g1}, 0, 0)
		e := consensustest.Block(sl(2, 1), []types.BlockID{c.ID, g1}, 0, 0)
		for _, x := range []consensus.Header{a, c, e} {
			h.block(x, sl(2, 1))
			h.wantStatus(x.ID, consensus.StatusActive)
		}
		// parent 0 is a (period 1) but parent 1 builds on c (period 2)
		d := consensustest.Block(sl(3, 1), []types.BlockID{a.ID, e.ID}, 0, 0)
		h.block(d, sl(3, 1))
		h.wantStatus(d.ID, consensus.StatusInvalid)
		info, _ := h.g.BlockInfo(d.ID)
		if !errors.Is(info.DiscardErr, consensus.ErrGrandpa) {
			t.Fatalf("err %v", info.DiscardErr)
		}
	})
	t.Run("parent older than a block another parent builds on", func(t *testing.T) {
		h := newHarness(t, 2, 32, 0)
		g0, g1 := h.genesis[0], h.genesis[1]
		b := consensustest.Block(sl(1, 1), []types.BlockID{g0, g1}, 0, 0)
		y := consensustest.Block(sl(2, 1), []types.BlockID{g0, b.ID}, 0, 0)
		x := consensustest.Block(sl(3, 0), []types.BlockID{g0, y.ID}, 0, 0)
		for _, blk := range []consensus.Header{b, y, x} {
			h.block(blk, sl(3, 0))
			h.wantStatus(blk.ID, consensus.StatusActive)
		}
		// parent 0 (x) builds on y at period 2 of thread 1; parent 1 is b at period 1
		d := consensustest.Block(sl(4, 0), []types.BlockID{x.ID, b.ID}, 0, 0)
		h.block(d, sl(4, 0))
		h.wantStatus(d.ID, consensus.StatusInvalid)
		info, _ := h.g.BlockInfo(d.ID)
		if !errors.Is(info.DiscardErr, consensus.ErrGrandpa) {
			t.Fatalf("err %v", info.DiscardErr)
		}
	})
}

// Blocks less than t0 apart that did not see each other are compatible;
// same-thread forks (same slot, or t0 apart) are not.
func TestIncompatibilityRule(t *testing.T) {
	h := newHarness(t, 2, 32, 0)
	g0, g1 := h.genesis[0], h.genesis[1]
	a := consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 0)
	b := consensustest.Block(sl(1, 1), []types.BlockID{g0, g1}, 0, 0) // does not see a: 1 slot apart
	c := consensustest.Block(sl(2, 0), []types.BlockID{g0, g1}, 0, 0) // ignores a, 2 slots apart
	for _, x := range []consensus.Header{a, b, c} {
		h.block(x, sl(2, 0))
		h.wantStatus(x.ID, consensus.StatusActive)
	}
	cl := h.g.Cliques()
	if len(cl) != 2 {
		t.Fatalf("cliques %+v", cl)
	}
	want := map[string]bool{fmt.Sprint([]types.BlockID{a.ID, b.ID}): true, fmt.Sprint([]types.BlockID{b.ID, c.ID}): true}
	for _, c := range cl {
		if !want[fmt.Sprint(c.IDs)] || c.Fitness != 2 {
			t.Fatalf("unexpected clique %+v", c)
		}
	}
}

// A child that arrives before its parent waits; the parent is wished for,
// first unknown, then by header; when its body arrives both become active.
func TestMissingParentWaits(t *testing.T) {
	h := newHarness(t, 2, 8, 0)
	g0, g1 := h.genesis[0], h.genesis[1]
	a := consensustest.Block(sl(1, 0), []types.BlockID{g0, g1}, 0, 0)
	b := consensustest.Block(sl(1, 1), []types.BlockID{a.ID, g1}, 0, 0)
	c := consensustest.Block(sl(2, 0), []types.BlockID{a.ID, b.ID}, 0, 0)

	out := h.block(c, sl(2, 0))
	h.wantStatus(c.ID, consensus.StatusWaitingForDependencies)
	if len(out.WishlistAdded) != 2 {
		t.Fatalf("wishlist added %+v", out.WishlistAdded)
	}
	out = h.block(b, sl(2, 0))
	h.wantStatus(b.ID, consensus.StatusWaitingForDependencies)
	if len(out.WishlistRemoved) != 1 || out.WishlistRemoved[0] != b.ID {
		t.Fatalf("wishlist removed %+v", out.WishlistRemoved)
	}
	out = h.header(a, sl(2, 0))
	h.wantStatus(a.ID, consensus.StatusWaitingForDependencies)
	w := h.g.Wishlist()
	if len(w) != 1 || w[0].ID != a.ID || w[0].Header == nil || w[0].Header.Slot != a.Slot {
		t.Fatalf("wishlist %+v", w)
	}
	if info, _ := h.g.BlockInfo(a.ID); info.FullBlock {
		t.Fatal("header-only block reported full")
	}
	out = h.block(a, sl(2, 0))
	if got := fmt.Sprint(out.NewActive); got != fmt.Sprint(ids(a, b, c)) {
		t.Fatalf("NewActive %s", got)
	}
	if len(out.WishlistRemoved) != 1 || out.WishlistRemoved[0] != a.ID || len(h.g.Wishlist()) != 0 {
		t.Fatalf("wishlist after arrival: removed %v now %v", out.WishlistRemoved, h.g.Wishlist())
	}
	for _, x := range []consensus.Header{a, b, c} {
		h.wantStatus(x.ID, consensus.StatusActive)
	}
}

// A header alone that passes the checks waits for its body.
func TestHeaderWaitsForBody(t *testing.T) {
	h := newHarness(t, 2, 8, 0)
	a := consensustest.Block(sl(1, 0), h.genesis, 0, 0)
	out := h.header(a, sl(1, 0))
	h.wantStatus(a.ID, consensus.StatusWaitingForDependencies)
	if len(out.WishlistAdded) != 1 || out.WishlistAdded[0].Header == nil {
		t.Fatalf("wishlist %+v", out.WishlistAdded)
	}
	out = h.g.AddBlock(a, sl(1, 0), true)
	if len(out.NewActive) != 1 || len(out.WishlistRemoved) != 1 {
		t.Fatalf("out %+v", out)
	}
	// AddHeader / AddBlock of known or genesis ids change nothing
	for _, o := range []consensus.Output{h.header(a, sl(1, 0)), h.block(a, sl(1, 0)), h.block(consensus.Header{ID: h.genesis[0]}, sl(1, 0))} {
		if len(o.NewActive)+len(o.NewStale)+len(o.NewInvalid) != 0 || o.BlockcliqueChanged {
			t.Fatalf("no-op produced %+v", o)
		}
	}
}

// Blocks from the future, and blocks whose draws are not ready, wait for
// their slot and are processed by Tick.
func TestWaitForSlot(t *testing.T) {
	t.Run("future", func(t *testing.T) {
		h := newHarness(t, 2, 8, 0)
		a := consensustest.Block(sl(3, 0), h.genesis, 0, 0)
		h.block(a, sl(1, 0))
		h.wantStatus(a.ID, consensus.StatusWaitingForSlot)
		if out := h.tick(sl(2, 1)); len(out.NewActive) != 0 {
			t.Fatal("activated too early")
		}
		h.wantStatus(a.ID, consensus.StatusWaitingForSlot)
		out := h.tick(sl(3, 0))
		if len(out.NewActive) != 1 || out.NewActive[0] != a.ID {
			t.Fatalf("tick: %+v", out)
		}
		h.wantStatus(a.ID, consensus.StatusActive)
	})
	t.Run("future header", func(t *testing.T) {
		h := newHarness(t, 2, 8, 0)
		a := consensustest.Block(sl(3, 0), h.genesis, 0, 0)
		h.header(a, sl(1, 0))
		h.wantStatus(a.ID, consensus.StatusWaitingForSlot)
		h.tick(sl(3, 0))
		h.wantStatus(a.ID, consensus.StatusWaitingForDependencies)
		h.block(a, sl(3, 0))
		h.wantStatus(a.ID, consensus.StatusActive)
	})
	t.Run("draws not ready", func(t *testing.T) {
		h := newHarness(t, 2, 8, 1)
		h.draws.HasLimit, h.draws.ReadyUntil = true, 0
		a := consensustest.Block(sl(1, 0), h.genesis, 1, 0)
		h.block(a, sl(1, 0))
		h.wantStatus(a.ID, consensus.StatusWaitingForSlot)
		h.tick(sl(1, 1))
		h.wantStatus(a.ID, consensus.StatusWaitingForSlot)
		h.draws.ReadyUntil = 10
		h.tick(sl(1, 1))
		h.wantStatus(a.ID, consensus.StatusActive)
	})
	t.Run("junk with a wrong producer does not wait", func(t *testing.T) {
		h := newHarness(t, 2, 8, 0)
		a := consensustest.Block(sl(9, 0), h.genesis, 0, 0)
		a.Creator = types.Address{}
		h.block(a, sl(1, 0))
		h.wantStatus(a.ID, consensus.StatusInvalid)
	})
}

// A block that ignores a final block at least t0 away is stale.
func TestIncompatibleWithFinalIsStale(t *testing.T) {
	h := newHarness(t, 2, 4, 0)
	for period := uint64(1); period <= 6; period++ {
		for th := uint8(0); th < 2; th++ {
			h.block(h.onBest(sl(period, th), 0), sl(period, th))
		}
	}
	lf := h.g.LatestFinalPeriods()
	if lf[0] == 0 || lf[1] == 0 {
		t.Fatalf("nothing final: %v", lf)
	}
	// consistent but outdated parents: the genesis blocks
	s := sl(lf[1]+1, 1)
	old := consensustest.Block(s, h.genesis, 0, 0)
	out := h.block(old, sl(7, 0))
	h.wantStatus(old.ID, consensus.StatusStale)
	if len(out.NewStale) != 1 || !errors.Is(out.NewStale[0].Err, consensus.ErrStale) {
		t.Fatalf("out %+v", out.NewStale)
	}
	// and a block at or before the latest final period of its thread
	late := consensustest.Block(sl(lf[0], 0), h.genesis, 0, 0)
	h.block(late, sl(7, 0))
	h.wantStatus(late.ID, consensus.StatusStale)
}

// At most two blocks per slot, unless wished for.
func TestMultiStakeGuard(t *testing.T) {
	h := newHarness(t, 2, 8, 0)
	mk := func(salt uint64) consensus.Header {
		return consensustest.Block(sl(1, 0), h.genesis, 0, salt)
	}
	a, b, c, d := mk(1), mk(2), mk(3), mk(4)
	h.block(a, sl(1, 0))
	h.header(b, sl(1, 0))
	out := h.block(c, sl(1, 0))
	if len(out.Ignored) != 1 || out.Ignored[0] != c.ID {
		t.Fatalf("ignored %v", out.Ignored)
	}
	if _, ok := h.g.Status(c.ID); ok {
		t.Fatal("ignored block is known")
	}
	// d is wished for by a child that arrived first: accepted
	child := consensustest.Block(sl(1, 1), []types.BlockID{d.ID, h.genesis[1]}, 0, 0)
	h.block(child, sl(1, 1))
	h.block(d, sl(1, 1))
	h.wantStatus(d.ID, consensus.StatusActive)
	h.wantStatus(child.ID, consensus.StatusActive)
	// a future third block is ignored too
	e := mk(5)
	if out := h.header(e, sl(0, 1)); len(out.Ignored) != 1 {
		t.Fatalf("future third block: %+v", out)
	}
}

// Pruning keeps the latest final block of each thread, everything after
// it and the recent final history; it drops the rest and caps the queues.
func TestPrune(t *testing.T) {
	p := consensustest.SmallParams(2, 4, 0)
	p.ForceKeepFinalPeriods = 2
	p.ForceKeepFinalPeriodsWithoutOps = 4
	p.MaxDiscardedBlocks = 5
	p.MaxFutureProcessingBlocks = 3
	p.MaxDependencyBlocks = 2
	h := newHarnessParams(t, p)
	var chain []consensus.Header
	for period := uint64(1); period <= 20; period++ {
		for th := uint8(0); th < 2; th++ {
			b := h.onBest(sl(period, th), 0)
			h.block(b, sl(period, th))
			chain = append(chain, b)
		}
	}
	lf := h.g.LatestFinalPeriods()
	required := h.g.RequiredBlocks()
	out := h.prune()
	if len(out.Pruned) == 0 || len(out.OpsReleasable) == 0 {
		t.Fatalf("nothing pruned: %+v", out)
	}
	for _, id := range required {
		if st, ok := h.g.Status(id); !ok || (st != consensus.StatusFinal && st != consensus.StatusActive) {
			t.Fatalf("required block %s pruned", id)
		}
	}
	for _, b := range chain {
		st, known := h.g.Status(b.ID)
		keep := b.Slot.Period+p.ForceKeepFinalPeriodsWithoutOps >= lf[b.Slot.Thread]
		switch {
		case keep && (!known || st == consensus.StatusFinalPruned):
			t.Fatalf("block at %s pruned (latest final %v)", b.Slot, lf)
		case !keep && !contains(required, b.ID) && known && st != consensus.StatusFinalPruned:
			t.Fatalf("block at %s kept as %s (latest final %v)", b.Slot, st, lf)
		}
		if contains(out.OpsReleasable, b.ID) && b.Slot.Period+p.ForceKeepFinalPeriods >= lf[b.Slot.Thread] {
			t.Fatalf("ops of recent block %s released", b.Slot)
		}
	}
	if st := h.g.Stats(); st.Discarded > p.MaxDiscardedBlocks {
		t.Fatalf("discarded %d", st.Discarded)
	}
	for th := uint8(0); th < 2; th++ {
		id, s := h.g.LatestFinal(th)
		h.wantStatus(id, consensus.StatusFinal)
		if s.Period != lf[th] {
			t.Fatal("latest final slot")
		}
	}
	// the chain goes on after pruning
	for period := uint64(21); period <= 24; period++ {
		for th := uint8(0); th < 2; th++ {
			b := h.onBest(sl(period, th), 0)
			if out := h.block(b, sl(period, th)); len(out.NewActive) != 1 {
				t.Fatalf("after prune: %+v", out)
			}
		}
	}

	// queues: future blocks beyond the cap are forgotten, latest slots first
	var future []consensus.Header
	for period := uint64(40); period < 45; period++ {
		f := consensustest.Block(sl(period, 0), h.g.BestParents(), 0, 0)
		h.block(f, sl(24, 1))
		future = append(future, f)
	}
	// waiting for unknown parents beyond the cap: oldest dropped
	var waiting []consensus.Header
	for i := range 4 {
		missing := types.BlockID{byte(i + 1)}
		w := consensustest.Block(sl(25+uint64(i), 1), []types.BlockID{h.g.BestParents()[0], missing}, 0, 0)
		h.block(w, sl(30, 1))
		h.wantStatus(w.ID, consensus.StatusWaitingForDependencies)
		waiting = append(waiting, w)
	}
	if len(h.g.Wishlist()) != 4 {
		t.Fatalf("wishlist %v", h.g.Wishlist())
	}
	out = h.prune()
	st := h.g.Stats()
	if st.WaitingForSlot != 3 || st.WaitingForDependencies != 2 {
		t.Fatalf("stats after prune %+v", st)
	}
	for i, f := range future {
		_, known := h.g.Status(f.ID)
		if known != (i < 3) || (!known && !contains(out.Forgotten, f.ID)) {
			t.Fatalf("future block %d known=%v", i, known)
		}
	}
	for i, w := range waiting {
		_, known := h.g.Status(w.ID)
		if known != (i >= 2) || (!known && !contains(out.Forgotten, w.ID)) {
			t.Fatalf("waiting block %d known=%v", i, known)
		}
	}
	if len(out.WishlistRemoved) != 2 {
		t.Fatalf("wishlist removed %v", out.WishlistRemoved)
	}
}

// A waiting block whose dependency turned out invalid or stale is
// discarded by Prune with the same kind of reason.
func TestPruneDiscardsWaitersOfDiscarded(t *testing.T) {
	for _, c := range []struct {
		name string
		want consensus.Status
		err  error
	}{{"invalid parent", consensus.StatusInvalid, consensus.ErrInvalidDependency}, {"stale parent", consensus.StatusStale, consensus.ErrStale}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 2, 4, 0)
			parent := consensustest.Block(sl(1, 0), h.genesis, 0, 0)
			if c.want == consensus.StatusInvalid {
				parent.Creator = types.Address{}
				parent.ID = consensustest.IDOf(parent, 99)
			} else {
				parent = consensustest.Block(sl(0, 0), h.genesis, 0, 0) // genesis period: stale
			}
			child := consensustest.Block(sl(1, 1), []types.BlockID{parent.ID, h.genesis[1]}, 0, 0)
			grandchild := consensustest.Block(sl(2, 0), []types.BlockID{parent.ID, child.ID}, 0, 0)
			h.block(grandchild, sl(2, 0))
			h.block(child, sl(2, 0))
			h.block(parent, sl(2, 0))
			h.wantStatus(child.ID, consensus.StatusWaitingForDependencies)
			out := h.prune()
			for _, x := range []consensus.Header{child, grandchild} {
				h.wantStatus(x.ID, c.want)
				info, _ := h.g.BlockInfo(x.ID)
				if !errors.Is(info.DiscardErr, c.err) {
					t.Fatalf("err %v", info.DiscardErr)
				}
			}
			if n := len(out.NewInvalid) + len(out.NewStale); n != 2 {
				t.Fatalf("output %+v", out)
			}
		})
	}
}

func TestQueries(t *testing.T) {
	h := newHarness(t, 2, 4, 1)
	var chain []consensus.Header
	for period := uint64(1); period <= 5; period++ {
		for th := uint8(0); th < 2; th++ {
			s := sl(period, th)
			b := h.onBest(s, 1)
			h.block(b, s)
			chain = append(chain, b)
		}
	}
	// fitness 2 per block, delta 4: a block is final with 3 blocks after it
	lf := h.g.LatestFinalPeriods()
	if fmt.Sprint(lf) != "[4 3]" {
		t.Fatalf("latest final periods %v", lf)
	}
	bc := h.g.Blockclique()
	if fmt.Sprint(bc) != fmt.Sprint(ids(chain[7:]...)) {
		t.Fatalf("blockclique %v", bc)
	}
	if bp := h.g.BestParents(); fmt.Sprint(bp) != fmt.Sprint(ids(chain[8:]...)) {
		t.Fatalf("best parents %v", bp)
	}
	if id, ok := h.g.BlockcliqueBlockAt(sl(5, 1)); !ok || id != chain[9].ID {
		t.Fatal("BlockcliqueBlockAt non-final")
	}
	if id, ok := h.g.BlockcliqueBlockAt(sl(2, 0)); !ok || id != chain[2].ID {
		t.Fatal("BlockcliqueBlockAt final")
	}
	if _, ok := h.g.BlockcliqueBlockAt(sl(9, 0)); ok {
		t.Fatal("BlockcliqueBlockAt empty slot")
	}
	if id := h.g.LatestBlockcliqueBlockBefore(sl(6, 0)); id != chain[8].ID {
		t.Fatal("LatestBlockcliqueBlockBefore blockclique")
	}
	if id := h.g.LatestBlockcliqueBlockBefore(sl(5, 0)); id != chain[6].ID {
		t.Fatal("LatestBlockcliqueBlockBefore final")
	}
	info, ok := h.g.BlockInfo(chain[8].ID)
	if !ok || info.IsFinal || !info.InBlockclique || info.Fitness != 2 || !info.FullBlock ||
		fmt.Sprint(info.Children) != fmt.Sprint(ids(chain[9])) || info.Status != consensus.StatusActive ||
		!info.HasSameThreadParentCreator || info.SameThreadParentCreator != chain[6].Creator {
		t.Fatalf("info %+v", info)
	}
	sum := h.g.GraphInterval(sl(2, 0), sl(3, 1))
	if len(sum) != 3 || sum[0].ID != chain[2].ID || !sum[0].IsFinal || sum[2].ID != chain[4].ID {
		t.Fatalf("interval %+v", sum)
	}
	st := h.g.Stats()
	if st.FinalBlockCount != 7 || st.ActiveCount != 3 || st.FinalInGraph != 9 || st.CliqueCount != 1 {
		t.Fatalf("stats %+v", st)
	}
	cl := h.g.Cliques()
	if len(cl) != 1 || !cl[0].IsBlockclique || cl[0].Fitness != 6 {
		t.Fatalf("cliques %+v", cl)
	}
	if len(h.g.GenesisIDs()) != 2 || h.g.Params().DeltaF0 != 4 {
		t.Fatal("params")
	}
}

// Only blocks received from the network count for desync detection.
func TestLastFinalFromNetwork(t *testing.T) {
	h := newHarness(t, 2, 4, 0)
	var first consensus.Header
	for period := uint64(1); period <= 4; period++ {
		for th := uint8(0); th < 2; th++ {
			s := sl(period, th)
			b := h.onBest(s, 0)
			own := period > 1 || th > 0
			if !own {
				first = b
			}
			out := h.g.AddBlock(b, s, own)
			for _, f := range out.NewFinal {
				if f.Own != (f.ID != first.ID) {
					t.Fatalf("final %s own=%v", f.Slot, f.Own)
				}
				if f.ID == first.ID {
					if got, ok := h.g.LastFinalFromNetworkSlot(); !ok || got != s {
						t.Fatalf("last network final at %v %v, want %s", got, ok, s)
					}
				}
			}
		}
	}
	if _, ok := h.g.LastFinalFromNetworkSlot(); !ok {
		t.Fatal("network block never final")
	}
	// own blocks never move it
	h2 := newHarness(t, 2, 4, 0)
	for period := uint64(1); period <= 6; period++ {
		for th := uint8(0); th < 2; th++ {
			h2.g.AddBlock(h2.onBest(sl(period, th), 0), sl(period, th), true)
		}
	}
	if _, ok := h2.g.LastFinalFromNetworkSlot(); ok || h2.g.Stats().FinalBlockCount == 0 {
		t.Fatal("own blocks counted as network blocks")
	}
}

// After a restart the graph grows again from the latest final block of
// each thread.
func TestNewFromFinal(t *testing.T) {
	p := consensustest.SmallParams(2, 4, 0)
	roots := []consensus.Header{
		{ID: types.BlockID{1}, Slot: sl(7, 0), Creator: consensustest.Producer(sl(7, 0))},
		{ID: types.BlockID{2}, Slot: sl(6, 1), Creator: consensustest.Producer(sl(6, 1))},
	}
	g, err := consensus.NewFromFinal(p, roots, &consensustest.Draws{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, p: p, draws: &consensustest.Draws{}, g: g, check: true}
	if fmt.Sprint(g.LatestFinalPeriods()) != "[7 6]" {
		t.Fatalf("periods %v", g.LatestFinalPeriods())
	}
	old := consensustest.Block(sl(6, 1), ids(roots...), 0, 0)
	h.block(old, sl(6, 1))
	h.wantStatus(old.ID, consensus.StatusStale)
	for period := uint64(8); period <= 12; period++ {
		for th := uint8(0); th < 2; th++ {
			out := h.block(h.onBest(sl(period, th), 0), sl(period, th))
			if len(out.NewActive) != 1 {
				t.Fatalf("%s: %+v", sl(period, th), out)
			}
		}
	}
	if lf := g.LatestFinalPeriods(); lf[0] <= 7 || lf[1] <= 6 {
		t.Fatalf("no finality after restart: %v", lf)
	}
	if _, err := consensus.NewFromFinal(p, roots[:1], &consensustest.Draws{}); !errors.Is(err, consensus.ErrBadParams) {
		t.Fatal("accepted one root for two threads")
	}
}
