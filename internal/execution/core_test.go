package execution

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

func TestGenesisAndRestart(t *testing.T) {
	cfg := testConfig()
	a := addrOf(testKey(1, 0))
	g := Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("100")}}}
	h := newHarness(t, cfg, g, []types.Address{a})
	h.mustBalance(a, mas("100"))
	if got := h.core.FinalSlot(); got != (types.Slot{Period: 0, Thread: 1}) {
		t.Fatalf("genesis final slot %s", got)
	}
	created, err := InitGenesis(cfg, h.st, g)
	if err != nil || created {
		t.Fatalf("second genesis: created %v err %v", created, err)
	}
	fp := h.core.Fingerprint()
	h.reopen()
	if h.core.Fingerprint() != fp {
		t.Fatal("fingerprint changed on reopen")
	}
	if _, err := New(cfg, openMemStore(t), Deps{Draws: h.draws}); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("New on empty store: %v", err)
	}
}

func TestTransfersAndFailures(t *testing.T) {
	cfg := testConfig()
	cfg.BlockReward = mas("5.1")
	ka, kb, kp := testKey(1, 0), testKey(2, 0), testKey(3, -1)
	kNoFunds := testKey(4, 0)
	kOther := testKey(5, 1)
	a, b, p := addrOf(ka), addrOf(kb), addrOf(kp)
	c := addrOf(testKey(6, -1))
	d := addrOf(testKey(7, -1))
	sc := types.Address{SC: true, Hash: crypto.HashOf([]byte("no such contract"))}
	g := Genesis{Ledger: []GenesisEntry{
		{Address: a, Balance: mas("100")},
		{Address: b, Balance: mas("10")},
		{Address: p, Balance: mas("1")},
		{Address: addrOf(kOther), Balance: mas("100")},
	}}
	h := newHarness(t, cfg, g, []types.Address{p})

	op1 := transferOp(ka, b, mas("10"), mas("0.01"), 5)
	op2 := transferOp(ka, c, mas("1"), 0, 5)
	op3 := transferOp(ka, d, mas("0.0005"), mas("0.001"), 5)
	op4 := transferOp(ka, sc, mas("1"), 0, 5)
	op5 := transferOp(kNoFunds, a, mas("1"), mas("0.01"), 5)
	op6 := transferOp(ka, b, mas("1000"), mas("0.02"), 5)
	op8 := transferOp(kOther, a, mas("1"), 0, 5) // wrong thread
	op9 := transferOp(ka, b, mas("1"), 0, 0)     // expired
	op10 := transferOp(ka, b, mas("1"), 0, 20)   // not valid yet
	op11 := signed(ka, types.Operation{Fee: mas("0.5"), ExpirePeriod: 5, Type: types.OpExecuteSC, SC: &types.SCFields{MaxGas: 1000}})
	blk := &BlockToExecute{
		ID: types.BlockID(crypto.HashOf([]byte("b1"))), Slot: types.Slot{Period: 1}, Creator: p,
		Operations: []*types.SignedOperation{op1, op2, op3, op4, op5, op6, op1, op8, op9, op10, op11},
	}
	h.finalizeTo(types.Slot{Period: 1}, blk)

	h.mustBalance(b, mas("20"))
	h.mustBalance(c, mas("0.999"))
	if _, ok := h.balance(d); ok {
		t.Fatal("d must not exist")
	}
	// 100 - 10.01 - 1 - 0.001 - 0.02 - 0.5
	h.mustBalance(a, mas("88.469"))
	// credits = 5.1 + 0.531 fees; 51 parts; producer 3 parts + remainder.
	credits := mas("5.631")
	part, rem := credits.DivRemU64(51)
	h.mustBalance(p, mas("1")+3*part+rem)

	st := h.core.OpExecStatus([]types.OperationID{op1.ID, op2.ID, op3.ID, op4.ID, op5.ID, op6.ID, op8.ID, op9.ID, op11.ID})
	want := []int{1, 1, 0, 0, -1, 0, -1, -1, 0} // 1 ok, 0 failed, -1 unknown
	for i, w := range want {
		s := st[i]
		switch {
		case w < 0 && (s.Final != nil || s.Speculative != nil):
			t.Fatalf("op %d: status %v, want unknown", i, s)
		case w >= 0 && (s.Final == nil || *s.Final != (w == 1) || s.Speculative == nil || *s.Speculative != *s.Final):
			t.Fatalf("op %d: status %+v, want %d", i, s, w)
		}
	}

	evs := h.core.Events(EventFilter{})
	if len(evs) != 5 {
		t.Fatalf("%d events, want 5: %+v", len(evs), evs)
	}
	for i, e := range evs {
		if !e.Context.IsError || !e.Context.IsFinal || e.Context.IndexInSlot != uint64(i) {
			t.Fatalf("event %d context %+v", i, e.Context)
		}
	}
	// The unpaid fee event is plain text; the others carry the JSON error.
	var feeEvent *Event
	for i := range evs {
		if *evs[i].Context.OriginOperationID == op5.ID {
			feeEvent = &evs[i]
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(evs[i].Data), &m); err != nil || m["massa_execution_error"] == "" {
			t.Fatalf("event data %q is not a massa_execution_error", evs[i].Data)
		}
	}
	if feeEvent == nil || !strings.HasPrefix(feeEvent.Data, "could not spend fees") {
		t.Fatalf("fee event %+v", feeEvent)
	}
	scFail := h.core.Events(EventFilter{OriginalOperationID: &op11.ID})
	if len(scFail) != 1 || !strings.Contains(scFail[0].Data, ErrSCNotSupported.Error()) {
		t.Fatalf("ExecuteSC event %+v", scFail)
	}
	// Filters: caller, emitter and slot range.
	if n := len(h.core.Events(EventFilter{OriginalCallerAddress: &a})); n != 4 {
		t.Fatalf("events by caller a: %d", n)
	}
	end := types.Slot{Period: 1}
	if n := len(h.core.Events(EventFilter{End: &end})); n != 0 {
		t.Fatalf("end is exclusive: %d events", n)
	}
	yes := true
	if n := len(h.core.Events(EventFilter{IsFinal: &yes, EmitterAddress: &b})); n != 0 {
		t.Fatalf("no event emitted by b: %d", n)
	}
	s := h.core.Stats()
	if s.FinalExecutedOps != 6 || s.FinalBlocks != 1 {
		t.Fatalf("stats %+v", s)
	}
	if s.FinalSupply.FeesBurnt != mas("0.531") || s.FinalSupply.CreationCosts != mas("0.001") ||
		s.FinalSupply.RewardsMinted != 3*part+rem {
		t.Fatalf("supply %+v", s.FinalSupply)
	}
	if err := h.st.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestRewardSplit(t *testing.T) {
	cfg := testConfig()
	cfg.BlockReward = mas("5.1") // part = 0.1
	kp := testKey(1, 0)
	p, q, e1 := addrOf(kp), addrOf(testKey(2, -1)), addrOf(testKey(3, -1))
	e3 := addrOf(testKey(4, -1)) // does not exist
	g := Genesis{Ledger: []GenesisEntry{{Address: p, Balance: mas("1")}, {Address: q, Balance: mas("1")}, {Address: e1, Balance: mas("1")}}}
	h := newHarness(t, cfg, g, []types.Address{p})
	blk := &BlockToExecute{
		ID: types.BlockID(crypto.HashOf([]byte("r1"))), Slot: types.Slot{Period: 1}, Creator: p,
		EndorsementCreators: []types.Address{e1, e1, e3}, EndorsedBlockCreator: q,
	}
	h.finalizeTo(types.Slot{Period: 1}, blk)
	h.mustBalance(e1, mas("1.2"))
	h.mustBalance(q, mas("1.3"))
	h.mustBalance(e3, mas("0.099"))
	h.mustBalance(p, mas("1.6"))
	sup := h.core.Stats().FinalSupply
	if sup.RewardsMinted != mas("1.2") || sup.CreationCosts != mas("0.001") {
		t.Fatalf("supply %+v", sup)
	}

	// A part below the creation cost cannot create the endorser: not minted.
	cfg2 := testConfig()
	cfg2.BlockReward = mas("0.0255") // part = 0.0005
	h2 := newHarness(t, cfg2, g, []types.Address{p})
	blk.ID = types.BlockID(crypto.HashOf([]byte("r2")))
	h2.finalizeTo(types.Slot{Period: 1}, blk)
	if _, ok := h2.balance(e3); ok {
		t.Fatal("e3 created from a part below the creation cost")
	}
	h2.mustBalance(e1, mas("1.001"))
	h2.mustBalance(q, mas("1.0015"))
	h2.mustBalance(p, mas("1.003"))
	if got := h2.core.Stats().FinalSupply.RewardsMinted; got != mas("0.0055") {
		t.Fatalf("minted %s", got)
	}
}

func TestRollsAndCredits(t *testing.T) {
	cfg := testConfig()
	cfg.BlockReward = 0
	ka, kp := testKey(1, 0), testKey(2, 1)
	a, p := addrOf(ka), addrOf(kp)
	cfg.InitialRolls = []pos.RollCount{{Address: p, Rolls: 5}}
	g := Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("1000")}, {Address: p, Balance: mas("1")}}}
	h := newHarness(t, cfg, g, []types.Address{p})

	buy := rollOp(ka, types.OpRollBuy, 2, 0, 5)
	tooMany := rollOp(ka, types.OpRollBuy, 20, 0, 5)
	h.finalizeTo(types.Slot{Period: 1}, &BlockToExecute{
		ID: types.BlockID(crypto.HashOf([]byte("k1"))), Slot: types.Slot{Period: 1}, Creator: a,
		Operations: []*types.SignedOperation{buy, tooMany},
	})
	h.mustBalance(a, mas("800"))
	if f, c := h.core.RollCounts(a); f != 2 || c != 2 {
		t.Fatalf("rolls %d %d", f, c)
	}
	sell := rollOp(ka, types.OpRollSell, 1, 0, 6)
	sellTooMany := rollOp(ka, types.OpRollSell, 5, 0, 6)
	h.finalizeTo(types.Slot{Period: 2}, &BlockToExecute{
		ID: types.BlockID(crypto.HashOf([]byte("k2"))), Slot: types.Slot{Period: 2}, Creator: a,
		Operations: []*types.SignedOperation{sell, sellTooMany},
	})
	if f, _ := h.core.RollCounts(a); f != 1 {
		t.Fatalf("rolls after sell %d", f)
	}
	target := types.Slot{Period: 15, Thread: 1} // last slot of cycle 0+3
	cand, fin := h.core.DeferredCredits(a)
	if len(fin) != 1 || fin[0].Slot != target || fin[0].Amount != mas("100") || len(cand) != 1 {
		t.Fatalf("credits %+v %+v", cand, fin)
	}
	st := h.core.OpExecStatus([]types.OperationID{tooMany.ID, sellTooMany.ID})
	if *st[0].Final || *st[1].Final {
		t.Fatal("oversized roll ops must fail")
	}
	// The rest of cycle 0 is missed by p, the only drawn producer: more
	// than 70% misses, so p loses its 5 rolls at the end of the cycle.
	h.finalizeTo(types.Slot{Period: 3, Thread: 1})
	if f, _ := h.core.RollCounts(p); f != 0 {
		t.Fatalf("p still has %d rolls", f)
	}
	_, fin = h.core.DeferredCredits(p)
	if len(fin) != 1 || fin[0].Slot != target || fin[0].Amount != mas("500") {
		t.Fatalf("auto-sell credit %+v", fin)
	}
	// Credits are paid at their slot, not before.
	h.finalizeTo(types.Slot{Period: 15, Thread: 0})
	h.mustBalance(a, mas("800"))
	h.finalizeTo(target)
	h.mustBalance(a, mas("900"))
	h.mustBalance(p, mas("501"))
	if _, fin = h.core.DeferredCredits(a); len(fin) != 0 {
		t.Fatalf("credit not removed: %+v", fin)
	}
	if err := h.st.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestSpeculativeExecutionAndReorg(t *testing.T) {
	cfg := testConfig()
	cfg.BlockReward = 0
	ka := testKey(1, 0)
	a, b, c := addrOf(ka), addrOf(testKey(2, -1)), addrOf(testKey(3, -1))
	g := Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("100")}}}
	h := newHarness(t, cfg, g, []types.Address{a})
	h.core.TrackFinalizedOps()
	s10 := types.Slot{Period: 1}
	opB := transferOp(ka, b, mas("1"), 0, 5)
	opC := transferOp(ka, c, mas("2"), 0, 5)
	b1 := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("b1"))), Slot: s10, Creator: a, Operations: []*types.SignedOperation{opB}}
	b1x := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("b1x"))), Slot: s10, Creator: a, Operations: []*types.SignedOperation{opC}}

	h.core.UpdateBlockclique(nil, []*BlockToExecute{b1}, nil)
	// 2500 ms: slots up to (2, 1) are due.
	if ok, err := h.core.Run(2500); err != nil || !ok {
		t.Fatalf("run: %v %v", ok, err)
	}
	if s := h.core.Stats(); s.ActiveCursor != (types.Slot{Period: 2, Thread: 1}) || s.HistoryLength != 4 {
		t.Fatalf("stats %+v", s)
	}
	fb, fok, cb, cok, err := h.core.Balances(b)
	if err != nil || fok || !cok || cb != mas("0.999") || fb != 0 {
		t.Fatalf("b balances %v %v %v %v %v", fb, fok, cb, cok, err)
	}
	st := h.core.OpExecStatus([]types.OperationID{opB.ID})
	if st[0].Final != nil || st[0].Speculative == nil || !*st[0].Speculative {
		t.Fatalf("status %+v", st[0])
	}
	if ex, fin := h.core.Executed(opB.ID); !ex || fin {
		t.Fatalf("Executed(opB) = %v, %v; want speculative only", ex, fin)
	}
	if ids := h.core.TakeFinalizedOps(); len(ids) != 0 {
		t.Fatalf("nothing is final yet, finalized %v", ids)
	}
	no := false
	if evs := h.core.Events(EventFilter{IsFinal: &no}); len(evs) != 0 {
		t.Fatalf("unexpected events %+v", evs)
	}

	// The clique switches to b1x: history is truncated and re-executed.
	h.core.UpdateBlockclique(nil, []*BlockToExecute{b1x}, nil)
	if _, err := h.core.Run(2500); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := h.core.CandidateBalance(b); ok {
		t.Fatal("b must not exist in the new clique")
	}
	if bal, _, _ := h.core.CandidateBalance(c); bal != mas("1.999") {
		t.Fatalf("c candidate %s", bal)
	}
	// b1x becomes final: the history front is reused.
	h.latest[0] = s10
	h.core.UpdateBlockclique([]*BlockToExecute{b1x}, nil, h.latest)
	if _, err := h.core.Run(2500); err != nil {
		t.Fatal(err)
	}
	s := h.core.Stats()
	if s.FinalCursor != s10 || s.FinalSlotsReused != 1 || s.FinalSlotsExecuted != 0 || s.HistoryLength != 3 {
		t.Fatalf("stats after finalization %+v", s)
	}
	h.mustBalance(c, mas("1.999"))
	if ex, fin := h.core.Executed(opB.ID); ex || fin {
		t.Fatalf("opB's block went stale, Executed = %v, %v", ex, fin)
	}
	if ex, fin := h.core.Executed(opC.ID); !ex || !fin {
		t.Fatalf("Executed(opC) = %v, %v; want final", ex, fin)
	}
	if ids := h.core.TakeFinalizedOps(); len(ids) != 1 || ids[0] != opC.ID {
		t.Fatalf("finalized %v, want [opC]", ids)
	}
	if ids := h.core.TakeFinalizedOps(); len(ids) != 0 {
		t.Fatalf("taken twice: %v", ids)
	}

	// (1,1) becomes final with a block the history does not have: the
	// whole history is dropped and re-executed.
	kq := testKey(4, 1)
	s11 := types.Slot{Period: 1, Thread: 1}
	b2 := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("b2"))), Slot: s11, Creator: addrOf(kq)}
	h.latest[1] = s11
	h.core.UpdateBlockclique([]*BlockToExecute{b2}, nil, h.latest)
	if _, err := h.core.Run(3000); err != nil {
		t.Fatal(err)
	}
	s = h.core.Stats()
	if s.FinalCursor != s11 || s.FinalSlotsExecuted != 1 || s.ActiveCursor != (types.Slot{Period: 3}) {
		t.Fatalf("stats after mismatch %+v", s)
	}
	// Same final blocks executed on a fresh store give the same state.
	h2 := newHarness(t, cfg, g, []types.Address{a})
	h2.finalizeTo(s11, b1x, b2)
	if h.core.Fingerprint() != h2.core.Fingerprint() {
		t.Fatal("speculative path and direct finalization disagree")
	}
}

func TestDrawsNotReady(t *testing.T) {
	cfg := testConfig()
	a := addrOf(testKey(1, 0))
	h := newHarness(t, cfg, Genesis{Ledger: []GenesisEntry{{Address: a, Balance: 1}}}, nil)
	h.draws.missing = true
	// Candidate execution waits quietly.
	if ok, err := h.core.Run(5000); err != nil || ok {
		t.Fatalf("run: %v %v", ok, err)
	}
	// Final execution of a miss cannot proceed.
	h.core.UpdateBlockclique(nil, nil, []types.Slot{{Period: 1}, {Period: 1, Thread: 1}})
	if _, err := h.core.Run(0); !errors.Is(err, ErrDraws) {
		t.Fatalf("err %v", err)
	}
}
