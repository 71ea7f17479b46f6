package pool

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

type fakeState struct {
	bal      map[types.Address]types.Amount
	executed map[types.OperationID]bool
	rolls    map[types.Address]uint64
	spec     map[types.OperationID]bool // executed speculatively only
}

func (f *fakeState) CandidateBalance(a types.Address) types.Amount { return f.bal[a] }
func (f *fakeState) Executed(id types.OperationID) (executed, final bool) {
	return f.executed[id] || f.spec[id], f.executed[id]
}
func (f *fakeState) CandidateRollCount(a types.Address) uint64 { return f.rolls[a] }

func testConfig() Config {
	return Config{
		ThreadCount: 4, MaxCount: 100, MaxBytes: 1 << 20, MinimalFee: types.MustAmount("0.01"),
		RollPrice: types.MustAmount("100"), MaxBlockSize: 300_000, MaxOpsPerBlock: 5000,
		MaxGasPerBlock: types.MaxGasPerBlock, ValidityPeriods: 10,
	}
}

func newKey(t testing.TB, seed uint64) *crypto.SecretKey {
	var s [32]byte
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range s {
		s[i] = byte(r.Uint32())
	}
	return crypto.SecretKeyFromSeed(s)
}

func transfer(key *crypto.SecretKey, fee, amount string, expire uint64) *types.SignedOperation {
	op := types.Operation{Fee: types.MustAmount(fee), ExpirePeriod: expire, Type: types.OpTransaction,
		Recipient: types.AddressOf(key.Public()), Amount: types.MustAmount(amount)}
	return types.SignOperation(op, key, 77)
}

func TestAddChecks(t *testing.T) {
	k := newKey(t, 1)
	addr := types.AddressOf(k.Public())
	st := &fakeState{bal: map[types.Address]types.Amount{addr: types.MustAmount("10")}, executed: map[types.OperationID]bool{}}
	p := NewOperations(testConfig(), st)
	p.SetCurrentPeriod(5)

	cases := []struct {
		name string
		op   *types.SignedOperation
		want error
	}{
		{"expired", transfer(k, "0.01", "1", 4), ErrExpired},
		{"too far", transfer(k, "0.01", "1", 50), ErrTooFarInFuture},
		{"fee too low", transfer(k, "0.001", "1", 10), ErrFeeTooLow},
		{"cannot pay", transfer(k, "0.01", "10", 10), ErrInsufficientBalance},
		{"ok", transfer(k, "0.01", "6", 10), nil},
		{"promised already", transfer(k, "0.01", "5", 11), ErrInsufficientBalance},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.Add(c.op)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	ok := cases[4].op
	if err := p.Add(ok); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	st.executed[ok.ID] = true
	p.Prune([]uint64{0, 0, 0, 0})
	if !p.Contains(ok.ID) {
		t.Fatal("Prune dropped an unexpired operation: final-executed ones leave through Remove")
	}
	p.Remove([]types.OperationID{ok.ID})
	if p.Contains(ok.ID) {
		t.Fatal("executed op not removed")
	}
	if err := p.Add(ok); !errors.Is(err, ErrAlreadyExecuted) {
		t.Fatalf("a final-executed operation came back: %v", err)
	}
}

func TestBlockOperationsOrderAndLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxOpsPerBlock = 3
	st := &fakeState{bal: map[types.Address]types.Amount{}, executed: map[types.OperationID]bool{}}
	p := NewOperations(cfg, st)
	var thread0 []*types.SignedOperation
	for i := uint64(0); len(thread0) < 5; i++ {
		k := newKey(t, 100+i)
		a := types.AddressOf(k.Public())
		if a.Thread(cfg.ThreadCount) != 0 {
			continue
		}
		st.bal[a] = types.MustAmount("100")
		op := transfer(k, []string{"0.01", "0.5", "0.02", "1", "0.03"}[len(thread0)], "1", 10)
		if err := p.Add(op); err != nil {
			t.Fatal(err)
		}
		thread0 = append(thread0, op)
	}
	got := p.BlockOperations(types.Slot{Period: 3, Thread: 0})
	if len(got) != 3 {
		t.Fatalf("got %d ops", len(got))
	}
	wantFees := []string{"1", "0.5", "0.03"}
	for i, op := range got {
		if op.Op.Fee.String() != wantFees[i] {
			t.Fatalf("op %d fee %s, want %s", i, op.Op.Fee, wantFees[i])
		}
	}
	if len(p.BlockOperations(types.Slot{Period: 3, Thread: 1})) != 0 {
		t.Fatal("ops of another thread selected")
	}
	if len(p.BlockOperations(types.Slot{Period: 11, Thread: 0})) != 0 {
		t.Fatal("expired ops selected")
	}
}

func TestEvictionKeepsBestFees(t *testing.T) {
	cfg := testConfig()
	cfg.MaxCount = 10
	st := &fakeState{bal: map[types.Address]types.Amount{}, executed: map[types.OperationID]bool{}, rolls: map[types.Address]uint64{}}
	p := NewOperations(cfg, st)
	seed := uint64(42)
	r := rand.New(rand.NewPCG(seed, 0))
	for i := uint64(0); i < 50; i++ {
		k := newKey(t, 1000+i)
		st.bal[types.AddressOf(k.Public())] = types.MustAmount("100")
		st.rolls[types.AddressOf(k.Public())] = 1
		fee := types.Amount(10_000_000 + r.Uint64N(1_000_000_000))
		op := types.SignOperation(types.Operation{Fee: fee, ExpirePeriod: 10, Type: types.OpRollSell, RollCount: 1}, k, 77)
		_ = p.Add(op)
	}
	if n, _ := p.Len(); n != 10 {
		t.Fatalf("seed %d: pool holds %d, want 10", seed, n)
	}
}

func TestRollSellNeedsRolls(t *testing.T) {
	k := newKey(t, 7)
	addr := types.AddressOf(k.Public())
	st := &fakeState{bal: map[types.Address]types.Amount{addr: types.MustAmount("10")}, executed: map[types.OperationID]bool{},
		rolls: map[types.Address]uint64{addr: 3}}
	p := NewOperations(testConfig(), st)
	sell := func(n uint64, expire uint64) *types.SignedOperation {
		return types.SignOperation(types.Operation{Fee: types.MustAmount("0.01"), ExpirePeriod: expire, Type: types.OpRollSell, RollCount: n}, k, 77)
	}
	if err := p.Add(sell(4, 5)); !errors.Is(err, ErrNotEnoughRolls) {
		t.Fatalf("selling 4 of 3 rolls: %v", err)
	}
	first := sell(2, 5)
	if err := p.Add(first); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(sell(2, 6)); !errors.Is(err, ErrNotEnoughRolls) {
		t.Fatalf("selling 2 more with 2 of 3 pending: %v", err)
	}
	if err := p.Add(sell(1, 7)); err != nil {
		t.Fatalf("selling the last roll: %v", err)
	}
	p.Remove([]types.OperationID{first.ID})
	if err := p.Add(sell(2, 8)); err != nil {
		t.Fatalf("after the pending sell left the pool: %v", err)
	}
}

// An operation executed only speculatively stays in the pool, unselected,
// so that it is not lost if its block goes stale; once final it is dropped.
func TestSpeculativelyExecutedKept(t *testing.T) {
	k := newKey(t, 9)
	addr := types.AddressOf(k.Public())
	st := &fakeState{bal: map[types.Address]types.Amount{addr: types.MustAmount("10")}, executed: map[types.OperationID]bool{},
		spec: map[types.OperationID]bool{}}
	p := NewOperations(testConfig(), st)
	op := transfer(k, "0.01", "1", 10)
	if err := p.Add(op); err != nil {
		t.Fatal(err)
	}
	slot := types.Slot{Period: 3, Thread: addr.Thread(testConfig().ThreadCount)}
	st.spec[op.ID] = true
	if got := p.BlockOperations(slot); len(got) != 0 {
		t.Fatalf("a speculatively executed operation was selected again")
	}
	p.Prune([]uint64{0, 0, 0, 0})
	if !p.Contains(op.ID) {
		t.Fatal("a speculatively executed operation left the pool")
	}
	st.spec[op.ID] = false // its block went stale
	if got := p.BlockOperations(slot); len(got) != 1 {
		t.Fatalf("after its block went stale the operation is not offered again (%d)", len(got))
	}
	st.executed[op.ID] = true
	p.Remove([]types.OperationID{op.ID}) // what the node does with execution's finalized ids
	if p.Contains(op.ID) {
		t.Fatal("a final-executed operation stayed in the pool")
	}
}

func TestHasRoomFor(t *testing.T) {
	cfg := testConfig()
	cfg.MaxCount = 2
	k := newKey(t, 77)
	addr := types.AddressOf(k.Public())
	st := &fakeState{bal: map[types.Address]types.Amount{addr: types.MustAmount("100")}, executed: map[types.OperationID]bool{}}
	p := NewOperations(cfg, st)
	op := transfer(k, "0.01", "1", 10)
	if !p.HasRoomFor(2, 2*op.SerializedLen) || p.HasRoomFor(3, 0) || p.HasRoomFor(1, cfg.MaxBytes+1) {
		t.Fatal("room in an empty pool of 2")
	}
	if err := p.Add(op); err != nil {
		t.Fatal(err)
	}
	if !p.HasRoomFor(1, op.SerializedLen) || p.HasRoomFor(2, 0) {
		t.Fatal("room with one pooled operation")
	}
}
