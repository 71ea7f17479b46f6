package execution

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
)

// TestConcurrentQueries runs the API queries from other goroutines while
// the driver executes candidate and final slots (meaningful under -race).
func TestConcurrentQueries(t *testing.T) {
	cfg := testConfig()
	ka := testKey(1, 0)
	a, b := addrOf(ka), addrOf(testKey(2, -1))
	h := newHarness(t, cfg, Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("1000")}}}, []types.Address{a})

	var stop atomic.Bool
	var wg sync.WaitGroup
	var ids []types.OperationID
	var idsMu sync.Mutex
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				_, _, _, _, _ = h.core.Balances(b)
				_, _, _ = h.core.CandidateBalance(a)
				h.core.RollCounts(a)
				h.core.DeferredCredits(a)
				_, _, _ = h.core.DatastoreKeys(a, ledger.KeyRange{}, false)
				_, _, _, _, _ = h.core.DatastoreEntry(a, []byte("k"))
				_, _, _, _, _ = h.core.Bytecodes(a)
				h.core.Events(EventFilter{})
				h.core.Stats()
				h.core.Fingerprint()
				idsMu.Lock()
				batch := append([]types.OperationID(nil), ids...)
				idsMu.Unlock()
				h.core.OpExecStatus(batch)
			}
		}()
	}
	finalTarget := h.core.FinalSlot()
	cur := finalTarget
	var blocks []*BlockToExecute
	for i := 0; i < 200; i++ {
		cur = cur.Next(2)
		var blk *BlockToExecute
		if cur.Thread == 0 {
			op := transferOp(ka, b, mas("1"), mas("0.01"), cur.Period+3)
			idsMu.Lock()
			ids = append(ids, op.ID)
			idsMu.Unlock()
			blk = &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte{byte(i), byte(i >> 8)})), Slot: cur, Creator: a, Operations: []*types.SignedOperation{op}}
			blocks = append(blocks, blk)
		}
		var final []*BlockToExecute
		if i%4 == 3 {
			// Finalize up to two slots back.
			target, _ := cur.Prev(2)
			target, _ = target.Prev(2)
			for _, bb := range blocks {
				if finalTarget.Less(bb.Slot) && !target.Less(bb.Slot) {
					final = append(final, bb)
				}
			}
			finalTarget = target
		}
		var clique []*BlockToExecute
		for _, bb := range blocks {
			if finalTarget.Less(bb.Slot) {
				clique = append(clique, bb)
			}
		}
		latest := []types.Slot{{Period: finalTarget.Period}, {Period: finalTarget.Period, Thread: 1}}
		if finalTarget.Thread == 0 {
			latest[1].Period--
		}
		h.core.UpdateBlockclique(final, clique, latest)
		if _, err := h.core.Run(cfg.SlotTimestamp(cur)); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if h.core.Stats().FinalSlotsReused == 0 {
		t.Fatal("expected the history to be reused")
	}
}
