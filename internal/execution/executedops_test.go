package execution

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

func TestExecutedOpCodec(t *testing.T) {
	id := types.OperationID(crypto.HashOf([]byte("op")))
	e := ExecutedOp{Success: true, ValidUntil: types.Slot{Period: 300, Thread: 31}}
	k, v := executedOpKey(id), encodeExecutedOp(e)
	if !bytes.Equal(v, []byte{1, 0xac, 0x02, 31}) {
		t.Fatalf("value %x", v)
	}
	if len(k) != len(store.PrefixExecutedOps)+33 || k[len(store.PrefixExecutedOps)] != 0 {
		t.Fatalf("key %x", k)
	}
	gid, ge, err := decodeExecutedOp(k, v, 32)
	if err != nil || gid != id || ge != e {
		t.Fatalf("decode: %v %v %v", gid, ge, err)
	}
	for _, bad := range [][]byte{{2, 1, 0}, {1, 1}, {1, 1, 0, 0}, {1, 1, 32}, {}} {
		if _, _, err := decodeExecutedOp(k, bad, 32); !errors.Is(err, ErrBadValue) {
			t.Fatalf("value %x: %v", bad, err)
		}
	}
	if _, _, err := decodeExecutedOp(k[:len(k)-1], v, 32); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
}

func FuzzDecodeExecutedOp(f *testing.F) {
	id := types.OperationID(crypto.HashOf([]byte("op")))
	f.Add(executedOpKey(id), encodeExecutedOp(ExecutedOp{Success: true, ValidUntil: types.Slot{Period: 7, Thread: 1}}))
	f.Add([]byte(store.PrefixExecutedOps), []byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		id, e, err := decodeExecutedOp(k, v, 32)
		if err != nil {
			return
		}
		if !bytes.Equal(executedOpKey(id), k) {
			t.Fatalf("key %x does not re-encode", k)
		}
		if e2 := decodeAgain(t, k, encodeExecutedOp(e)); e2 != e {
			t.Fatalf("value %x does not round-trip", v)
		}
	})
}

func decodeAgain(t *testing.T, k, v []byte) ExecutedOp {
	_, e, err := decodeExecutedOp(k, v, 32)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExecutedOpsPruneAndReload(t *testing.T) {
	cfg := testConfig()
	cfg.BlockReward = 0
	ka := testKey(1, 0)
	a := addrOf(ka)
	h := newHarness(t, cfg, Genesis{Ledger: []GenesisEntry{{Address: a, Balance: mas("10")}}}, []types.Address{a})
	op := transferOp(ka, a, mas("1"), 0, 5) // valid until (5, 0)
	blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("p1"))), Slot: types.Slot{Period: 1}, Creator: a, Operations: []*types.SignedOperation{op}}
	h.finalizeTo(types.Slot{Period: 1}, blk)
	h.reopen()
	if st := h.core.OpExecStatus([]types.OperationID{op.ID}); st[0].Final == nil || !*st[0].Final {
		t.Fatalf("status after reload %+v", st[0])
	}
	// A replay inside the validity window is skipped, also after reload.
	blk2 := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("p2"))), Slot: types.Slot{Period: 2}, Creator: a, Operations: []*types.SignedOperation{op}}
	h.finalizeTo(types.Slot{Period: 15, Thread: 0}, blk2)
	if n := h.core.Stats().FinalExecutedOps; n != 0 {
		t.Fatalf("replayed op executed: %d", n)
	}
	if st := h.core.OpExecStatus([]types.OperationID{op.ID}); st[0].Final == nil {
		t.Fatal("forgotten too early")
	}
	// Finalizing (15, 1) prunes everything valid until before (5, 1).
	h.finalizeTo(types.Slot{Period: 15, Thread: 1})
	if st := h.core.OpExecStatus([]types.OperationID{op.ID}); st[0].Final != nil || st[0].Speculative != nil {
		t.Fatalf("not pruned: %+v", st[0])
	}
	n := 0
	_ = h.st.Iterate([]byte(store.PrefixExecutedOps), nil, func(_, _ []byte) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d executed-op keys left", n)
	}
	if err := h.st.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestTrailHashChain(t *testing.T) {
	var zero crypto.Hash
	s := types.Slot{Period: 1, Thread: 0}
	id := types.BlockID(crypto.HashOf([]byte("x")))
	k := s.Key()
	want := crypto.HashOfTuple(zero[:], k[:], []byte{0, 1}, id.Bytes())
	if got := trailHash(zero, s, &id, false); got != want {
		t.Fatal("trail hash with block")
	}
	want = crypto.HashOfTuple(zero[:], k[:], []byte{1, 0})
	if got := trailHash(zero, s, nil, true); got != want {
		t.Fatal("trail hash read-only miss")
	}
}
