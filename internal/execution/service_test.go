package execution

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

func TestService(t *testing.T) {
	cfg := testConfig()
	ka := testKey(1, 0)
	a, b := addrOf(ka), addrOf(testKey(2, -1))
	h := newHarness(t, cfg, Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("100")}}}, []types.Address{a})
	var now atomic.Uint64
	svc := NewService(h.core, now.Load, time.Millisecond, nil)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()

	s := types.Slot{Period: 1}
	blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("s1"))), Slot: s, Creator: a,
		Operations: []*types.SignedOperation{transferOp(ka, b, mas("1"), 0, 5)}}
	svc.UpdateBlockclique(nil, []*BlockToExecute{blk}, nil)
	now.Store(cfg.SlotTimestamp(types.Slot{Period: 2}))
	eventually(t, func() bool { _, ok, _ := svc.Core().CandidateBalance(b); return ok })
	svc.UpdateBlockclique([]*BlockToExecute{blk}, nil, []types.Slot{s, {Period: 0, Thread: 1}})
	eventually(t, func() bool { return svc.Core().FinalSlot() == s })
	if bal, ok, _ := svc.Core().FinalBalance(b); !ok || bal != mas("0.999") {
		t.Fatalf("final balance %s %v", bal, ok)
	}
	if err := svc.Stop(); err != nil || svc.Err() != nil {
		t.Fatal(err, svc.Err())
	}
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the deadline")
		}
		time.Sleep(time.Millisecond)
	}
}
