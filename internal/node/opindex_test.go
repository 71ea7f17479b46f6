package node

import (
	"runtime"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/types"
)

func TestOpIndex(t *testing.T) {
	k := testKey("creator")
	ops := testOps(k, 0, 3)
	a := testStoredBlock(types.Slot{Period: 1, Thread: 0}, ops)
	b := testStoredBlock(types.Slot{Period: 2, Thread: 0}, []*types.SignedOperation{ops[1], ops[0]})
	c := testStoredBlock(types.Slot{Period: 3, Thread: 0}, []*types.SignedOperation{ops[0]})
	x := opIndex{}
	for _, sb := range []*storedBlock{a, b, c} {
		for i, op := range sb.ops {
			x.add(op.ID, sb, i)
		}
	}
	want := func(id types.OperationID, blocks ...*storedBlock) {
		t.Helper()
		var ids []types.BlockID
		for _, sb := range blocks {
			ids = append(ids, sb.block.ID())
		}
		if got := x.blocks(id); !slices.Equal(got, ids) {
			t.Fatalf("blocks(%s) = %v, want %v", id, got, ids)
		}
		op := x.op(id)
		if len(blocks) == 0 {
			if op != nil {
				t.Fatalf("op(%s) found after its blocks were removed", id)
			}
			if x.has(id) {
				t.Fatalf("%s still indexed", id)
			}
		} else if op == nil || op.ID != id {
			t.Fatalf("op(%s) = %v", id, op)
		}
	}
	want(ops[0].ID, a, b, c)
	want(ops[1].ID, a, b)
	want(ops[2].ID, a)
	// Removing the middle block keeps the order of the others.
	for _, op := range b.ops {
		x.remove(op.ID, b)
	}
	want(ops[0].ID, a, c)
	want(ops[1].ID, a)
	for _, op := range a.ops {
		x.remove(op.ID, a)
	}
	want(ops[0].ID, c)
	want(ops[1].ID)
	want(ops[2].ID)
	x.remove(ops[0].ID, a) // not there any more: nothing happens
	want(ops[0].ID, c)
	x.remove(ops[0].ID, c)
	want(ops[0].ID)
	if len(x) != 0 {
		t.Fatalf("%d entries left", len(x))
	}
}

// opResult is what the test reads of get_operations.
type opResult struct {
	ID               types.OperationID `json:"id"`
	InPool           bool              `json:"in_pool"`
	InBlocks         []types.BlockID   `json:"in_blocks"`
	IsOperationFinal *bool             `json:"is_operation_final"`
}

// checkReleasedOps checks, on a node whose blocks carrying ops are old
// final blocks with their operations released, that the node holds them
// as headers only and still serves the operations from its block
// database: get_operations (with in_blocks and finality), and the P2P
// block and operation requests.
func checkReleasedOps(t *testing.T, s *simNode, ops []*types.SignedOperation) {
	t.Helper()
	n := s.n
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.ID.String()
	}
	var got []opResult
	s.call("get_operations", []any{ids}, &got)
	if len(got) != len(ops) {
		t.Fatalf("get_operations returned %d of %d operations", len(got), len(ops))
	}
	h := netHandler{n}
	for i, op := range ops {
		bid, found, err := n.blockDB.OperationBlock(op.ID)
		if err != nil || !found {
			t.Fatalf("operation %s not indexed on disk: %v", op.ID, err)
		}
		n.mu.RLock()
		sb, held := n.blocks[bid]
		stripped := held && sb.stripped()
		idsHeld := held && len(sb.block.Operations) > 0
		indexed := n.opBlocks.has(op.ID)
		n.mu.RUnlock()
		if !held || !stripped || indexed || idsHeld {
			t.Fatalf("operation %s in block %s: block held %v, stripped %v, operation still indexed in memory %v, ids in memory %v",
				op.ID, bid, held, stripped, indexed, idsHeld)
		}
		blocks, err := (publicBackend{n}).Blocks(t.Context(), []types.BlockID{bid})
		if err != nil || len(blocks) != 1 || !blockLists(blocks[0].Content.Block, op.ID) {
			t.Fatalf("get_blocks(%s) does not list operation %s: %v", bid, op.ID, err)
		}
		r := got[i]
		if r.ID != op.ID || !slices.Equal(r.InBlocks, []types.BlockID{bid}) || r.IsOperationFinal == nil || !*r.IsOperationFinal {
			t.Fatalf("get_operations: %+v, want in block %s, final", r, bid)
		}
		blk, bops, ok := h.GetBlock(bid)
		if !ok || blk.ID() != bid || len(bops) != len(blk.Operations) {
			t.Fatalf("GetBlock(%s): found %v, %d operations", bid, ok, len(bops))
		}
		for j, id := range blk.Operations {
			if bops[j].ID != id {
				t.Fatalf("GetBlock(%s): operation %d is %s, want %s", bid, j, bops[j].ID, id)
			}
		}
		if _, inPool := n.opPool.Get(op.ID); inPool {
			t.Fatalf("operation %s still pooled: the test cannot see HaveOperation read the disk", op.ID)
		}
		if have, ok := h.HaveOperation(op.ID); !ok || have.ID != op.ID {
			t.Fatalf("HaveOperation(%s): %v", op.ID, ok)
		}
	}
}

// TestReleasedOperationsServedFromDisk runs a chain until the blocks
// carrying some operations are old enough for consensus to release their
// operations, checks the node keeps them on disk only and still serves
// them, then restarts it and checks again.
func TestReleasedOperationsServedFromDisk(t *testing.T) {
	home := newNetworkHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS - testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	s.advanceTo(slotMS(types.Slot{Period: 2}), nil)

	// One transfer per staker (so several threads), expiring soon so the
	// pool has let them go by the end.
	stakers := testStakers()
	var ops []*types.SignedOperation
	for i, st := range stakers {
		op := types.Operation{Fee: types.Amount(10_000_000 + i), ExpirePeriod: 6, Type: types.OpTransaction,
			Recipient: stakers[(i+1)%len(stakers)].addr, Amount: types.Amount(1_000_000 + i)}
		ops = append(ops, types.SignOperation(op, st.key, testChainID))
	}
	if _, err := (publicBackend{s.n}).SendOperations(t.Context(), ops); err != nil {
		t.Fatal(err)
	}
	// Final a few periods later, released at the first prune (every 8
	// periods) once 5 periods behind the latest final period.
	s.advanceTo(slotMS(types.Slot{Period: 2 * testPeriodsPerCycle, Thread: 1}), nil)
	checkReleasedOps(t, s, ops)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// After a restart the blocks come back from disk as headers only.
	s2 := startSimNode(t, home, clk, Options{Password: testPassword})
	checkReleasedOps(t, s2, ops)
	s2.advanceTo(clk.NowMS()+2*testT0, nil)
	checkReleasedOps(t, s2, ops)
}

// BenchmarkOpIndex compares, for one block of 15,000 operations, the
// former index (operation id -> block ids, the operation then found by
// scanning the block) with opIndex: the lookup of every operation, and
// the heap the index takes per operation.
func BenchmarkOpIndex(b *testing.B) {
	const count = 15_000
	ops := testOps(testKey("creator"), 0, count)
	sb := testStoredBlock(types.Slot{Period: 1}, ops)
	id := sb.block.ID()
	heapPerOp := func(build func() any) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		keep := build()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		return float64(after.HeapAlloc-before.HeapAlloc) / count
	}
	b.Run("scan", func(b *testing.B) {
		buildOld := func() map[types.OperationID][]types.BlockID {
			m := make(map[types.OperationID][]types.BlockID)
			for _, op := range ops {
				m[op.ID] = append(m[op.ID], id)
			}
			return m
		}
		m := buildOld()
		blocks := map[types.BlockID]*storedBlock{id: sb}
		perOp := heapPerOp(func() any { return buildOld() })
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			want := ops[i%count].ID
			var found *types.SignedOperation
			for _, bid := range m[want] {
				for _, o := range blocks[bid].ops {
					if o.ID == want {
						found = o
						break
					}
				}
			}
			if found == nil {
				b.Fatal("not found")
			}
		}
		b.ReportMetric(perOp, "index-B/op")
	})
	b.Run("index", func(b *testing.B) {
		build := func() opIndex {
			x := make(opIndex)
			for i, op := range ops {
				x.add(op.ID, sb, i)
			}
			return x
		}
		x := build()
		perOp := heapPerOp(func() any { return build() })
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			want := ops[i%count].ID
			if x.op(want) == nil || len(x.blocks(want)) != 1 {
				b.Fatal("not found")
			}
		}
		b.ReportMetric(perOp, "index-B/op")
	})
}

// TestOpIndexSharedKeys: ids with the same first 8 bytes (the index key)
// are told apart by the full id.
func TestOpIndexSharedKeys(t *testing.T) {
	mk := func(last byte) *types.SignedOperation {
		var id types.OperationID
		copy(id[:], "samekey!")
		id[31] = last
		return &types.SignedOperation{ID: id}
	}
	o1, o2, o3 := mk(1), mk(2), mk(3)
	a := &storedBlock{block: testStoredBlock(types.Slot{Period: 1}, nil).block, ops: []*types.SignedOperation{o1, o2}}
	b := &storedBlock{block: testStoredBlock(types.Slot{Period: 2}, nil).block, ops: []*types.SignedOperation{o2}}
	x := opIndex{}
	for _, sb := range []*storedBlock{a, b} {
		for i, op := range sb.ops {
			x.add(op.ID, sb, i)
		}
	}
	if len(x) != 1 {
		t.Fatalf("%d keys", len(x))
	}
	if x.op(o1.ID) != o1 || x.op(o2.ID) != o2 || x.op(o3.ID) != nil {
		t.Fatal("wrong operation for a shared key")
	}
	if got := x.blocks(o2.ID); !slices.Equal(got, []types.BlockID{a.block.ID(), b.block.ID()}) {
		t.Fatalf("blocks(o2) = %v", got)
	}
	if got := x.blocks(o1.ID); !slices.Equal(got, []types.BlockID{a.block.ID()}) {
		t.Fatalf("blocks(o1) = %v", got)
	}
	x.remove(o2.ID, a)
	if x.op(o1.ID) != o1 || !slices.Equal(x.blocks(o2.ID), []types.BlockID{b.block.ID()}) {
		t.Fatal("removing o2 from a touched o1 or b")
	}
	x.remove(o1.ID, a)
	x.remove(o2.ID, b)
	if len(x) != 0 {
		t.Fatalf("%d keys left", len(x))
	}
}

// blockLists reports whether the block an API answer carries lists op.
func blockLists(b any, op types.OperationID) bool {
	blk, ok := b.(*types.Block)
	return ok && slices.Contains(blk.Operations, op)
}
