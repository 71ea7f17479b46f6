package consensus_test

import (
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/consensus/consensustest"
	"github.com/gomassa/gomassa/internal/types"
)

// harness drives one graph and checks its invariants after every input.
type harness struct {
	t       testing.TB
	p       consensus.Params
	draws   *consensustest.Draws
	g       *consensus.Graph
	genesis []types.BlockID
	check   bool
}

func newHarness(t testing.TB, threads uint8, deltaF0 uint64, endorsements uint32) *harness {
	t.Helper()
	p := consensustest.SmallParams(threads, deltaF0, endorsements)
	return newHarnessParams(t, p)
}

func newHarnessParams(t testing.TB, p consensus.Params) *harness {
	t.Helper()
	d := &consensustest.Draws{}
	gen := consensustest.GenesisIDs(p.ThreadCount)
	g, err := consensus.New(p, gen, d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, p: p, draws: d, g: g, genesis: gen, check: true}
}

func (h *harness) verify() {
	h.t.Helper()
	if !h.check {
		return
	}
	if err := h.g.CheckInvariants(); err != nil {
		h.t.Fatalf("invariants: %v", err)
	}
}

// block adds a full block from the network at current slot cur.
func (h *harness) block(hdr consensus.Header, cur types.Slot) consensus.Output {
	h.t.Helper()
	out := h.g.AddBlock(hdr, cur, false)
	h.verify()
	return out
}

func (h *harness) header(hdr consensus.Header, cur types.Slot) consensus.Output {
	h.t.Helper()
	out := h.g.AddHeader(hdr, cur)
	h.verify()
	return out
}

func (h *harness) tick(cur types.Slot) consensus.Output {
	h.t.Helper()
	out := h.g.Tick(cur)
	h.verify()
	return out
}

func (h *harness) prune() consensus.Output {
	h.t.Helper()
	out := h.g.Prune()
	h.verify()
	return out
}

// onBest builds a block at slot on the current best parents.
func (h *harness) onBest(slot types.Slot, endorsements int) consensus.Header {
	return consensustest.Block(slot, h.g.BestParents(), endorsements, 0)
}

func (h *harness) wantStatus(id types.BlockID, want consensus.Status) {
	h.t.Helper()
	got, ok := h.g.Status(id)
	if !ok {
		h.t.Fatalf("block %s unknown, want %s", id, want)
	}
	if got != want {
		info, _ := h.g.BlockInfo(id)
		h.t.Fatalf("block %s at %s: status %s, want %s (%v)", id, info.Slot, got, want, info.DiscardErr)
	}
}

func sl(period uint64, thread uint8) types.Slot { return types.Slot{Period: period, Thread: thread} }

// idWithPrefix makes a block id whose first bytes are given and the rest
// zero (for tie-break tests).
func idWithPrefix(b ...byte) types.BlockID {
	var id types.BlockID
	copy(id[:], b)
	return id
}

func withID(h consensus.Header, id types.BlockID) consensus.Header {
	h.ID = id
	return h
}

func ids(hs ...consensus.Header) []types.BlockID {
	out := make([]types.BlockID, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func contains(list []types.BlockID, id types.BlockID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}
