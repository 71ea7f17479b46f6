package execution

import (
	"encoding/binary"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

const testChainID = 77

// testConfig is a small network: 2 threads, 4-period cycles (8 slots),
// 16 endorsements, t0 = 1 s, genesis at time 0.
func testConfig() Config {
	cfg := DefaultConfig(0)
	cfg.PoS.ThreadCount = 2
	cfg.PoS.PeriodsPerCycle = 4
	cfg.T0 = 1000
	cfg.CursorDelay = 0
	return cfg
}

// fakeDraws draws producers round-robin over a fixed list.
type fakeDraws struct {
	threads   uint8
	producers []types.Address
	missing   bool // every draw fails (draws not ready)
}

func (d *fakeDraws) Producer(s types.Slot) (types.Address, error) {
	if d.missing || len(d.producers) == 0 {
		return types.Address{}, pos.ErrDrawsNotReady
	}
	return d.producers[s.Index(d.threads)%uint64(len(d.producers))], nil
}

// testKey returns a deterministic key whose address is in thread (of 2
// threads) when thread >= 0.
func testKey(i int, thread int) *crypto.SecretKey {
	for n := uint64(0); ; n++ {
		var seed [crypto.SeedSize]byte
		binary.BigEndian.PutUint64(seed[:8], uint64(i))
		binary.BigEndian.PutUint64(seed[8:16], n)
		k := crypto.SecretKeyFromSeed(seed)
		if thread < 0 || int(types.AddressOf(k.Public()).Thread(2)) == thread {
			return k
		}
	}
}

func addrOf(k *crypto.SecretKey) types.Address { return types.AddressOf(k.Public()) }

// harness drives a Core over an in-memory store.
type harness struct {
	t     testing.TB
	cfg   Config
	st    *store.Store
	core  *Core
	draws *fakeDraws
	// vm is given to the core when set (smart-contract tests).
	vm VM
	// latest final slot per thread given to the core so far
	latest []types.Slot
}

func openMemStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newHarness(t testing.TB, cfg Config, g Genesis, producers []types.Address) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, st: openMemStore(t), draws: &fakeDraws{threads: cfg.PoS.ThreadCount, producers: producers}}
	if _, err := InitGenesis(cfg, h.st, g); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	return h
}

// reopen builds a new Core over the same store (a restart).
func (h *harness) reopen() {
	h.t.Helper()
	c, err := New(h.cfg, h.st, Deps{Draws: h.draws, VM: h.vm})
	if err != nil {
		h.t.Fatal(err)
	}
	h.core = c
	h.latest = append([]types.Slot(nil), c.latestFinal...)
}

// finalizeTo makes every slot up to s final, with the given blocks, and
// runs the core with a clock before genesis (no candidate slot).
func (h *harness) finalizeTo(s types.Slot, blocks ...*BlockToExecute) {
	h.t.Helper()
	for t := range h.latest {
		ls := types.Slot{Period: s.Period, Thread: uint8(t)}
		if uint8(t) > s.Thread {
			ls.Period--
		}
		if h.latest[t].Less(ls) {
			h.latest[t] = ls
		}
	}
	h.core.UpdateBlockclique(blocks, nil, h.latest)
	if _, err := h.core.Run(0); err != nil {
		h.t.Fatal(err)
	}
	// The incremental state hash (executed-operation keys are folded in
	// without reading them back, PutNew) must equal a recomputation.
	if _, bench := h.t.(*testing.B); !bench {
		if err := h.st.Verify(); err != nil {
			h.t.Fatalf("state hash after finalizing %s: %v", s, err)
		}
	}
	if got := h.core.FinalSlot(); got != s {
		h.t.Fatalf("final slot %s, want %s", got, s)
	}
}

func (h *harness) balance(a types.Address) (types.Amount, bool) {
	h.t.Helper()
	b, ok, err := h.core.FinalBalance(a)
	if err != nil {
		h.t.Fatal(err)
	}
	return b, ok
}

func (h *harness) mustBalance(a types.Address, want types.Amount) {
	h.t.Helper()
	got, ok := h.balance(a)
	if !ok || got != want {
		h.t.Fatalf("balance of %s = %s (exists %v), want %s", a, got, ok, want)
	}
}

func signed(k *crypto.SecretKey, op types.Operation) *types.SignedOperation {
	return types.SignOperation(op, k, testChainID)
}

func transferOp(k *crypto.SecretKey, to types.Address, amount, fee types.Amount, expire uint64) *types.SignedOperation {
	return signed(k, types.Operation{Fee: fee, ExpirePeriod: expire, Type: types.OpTransaction, Recipient: to, Amount: amount})
}

func rollOp(k *crypto.SecretKey, typ types.OpType, n uint64, fee types.Amount, expire uint64) *types.SignedOperation {
	return signed(k, types.Operation{Fee: fee, ExpirePeriod: expire, Type: typ, RollCount: n})
}

func mas(s string) types.Amount { return types.MustAmount(s) }
