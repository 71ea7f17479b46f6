package execution

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

func TestDeferredCallCodec(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		slot := genSlot(t, "target")
		c := &DeferredCall{
			ID:         deferredCallID(slot, rapid.Uint64().Draw(t, "index"), crypto.Hash(rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "trail"))),
			Sender:     genAddress(t, "sender"),
			TargetSlot: slot,
			Target:     genAddress(t, "target"),
			Function:   rapid.StringN(0, 10, 255).Draw(t, "function"),
			Params:     rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "params"),
			Coins:      types.Amount(rapid.Uint64().Draw(t, "coins")),
			MaxGas:     rapid.Uint64().Draw(t, "gas"),
			Fee:        types.Amount(rapid.Uint64().Draw(t, "fee")),
			Cancelled:  rapid.Bool().Draw(t, "cancelled"),
		}
		enc := encodeDeferredCall(c)
		got, err := decodeDeferredCall(enc, 32)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encodeDeferredCall(got), enc) || got.key() != c.key() {
			t.Fatalf("round trip: %+v vs %+v", got, c)
		}
		s, idx, err := parseDeferredCallID(DeferredCallIDString(c.ID), 32)
		if err != nil || s != slot || idx != c.index() {
			t.Fatalf("id %s: %s %d %v", DeferredCallIDString(c.ID), s, idx, err)
		}
		if _, err := decodeDeferredCall(enc[:rapid.IntRange(0, len(enc)-1).Draw(t, "cut")], 32); err == nil {
			t.Fatal("truncated call accepted")
		}
	})
	for _, bad := range []string{"", "D", "Dxyz", "A1111", "D" + crypto.Base58CheckEncode([]byte{1, 2, 3})} {
		if _, _, err := parseDeferredCallID(bad, 32); err == nil {
			t.Errorf("id %q accepted", bad)
		}
	}
}

func FuzzDecodeDeferredCall(f *testing.F) {
	f.Add(encodeDeferredCall(&DeferredCall{ID: deferredCallID(types.Slot{Period: 9, Thread: 1}, 2, crypto.Hash{}), TargetSlot: types.Slot{Period: 9, Thread: 1}, Function: "f"}))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeDeferredCall(b, 32)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeDeferredCall(c), b) {
			t.Fatal("decoded call re-encodes differently")
		}
	})
}

func TestOverbookingFee(t *testing.T) {
	b := func(v uint64) *big.Int { return new(big.Int).SetUint64(v) }
	// Below the target: free.
	if f := overbookingFee(b(100), b(50), b(10), b(30), 1000); f != 0 {
		t.Fatalf("below target: %d", f)
	}
	// Booking the whole excess costs the whole penalty.
	if f := overbookingFee(b(100), b(50), b(50), b(50), 1000); f != 1000 {
		t.Fatalf("full: %d", f)
	}
	// Quadratic: half the excess costs a quarter.
	if f := overbookingFee(b(100), b(50), b(50), b(25), 1000); f != 250 {
		t.Fatalf("half: %d", f)
	}
}

// TestDeferredRegistryRules exercises register, quote, exists and cancel
// through the host functions in a read-only context.
func TestDeferredRegistryRules(t *testing.T) {
	h := newSCHarness(t)
	other := addrOf(testKey(7, -1))
	target := types.Address{SC: true, Hash: crypto.HashOf([]byte("target"))}
	_, err := h.core.executeReadOnly(1_000_000_000, &h.user, nil, func(x *slotExec, from types.Address) ([]byte, vm.Result, error) {
		at := x.slot
		at.Period += 3
		call := vm.DeferredCall{Target: target, Function: "f", Slot: at, MaxGas: 1_000_000, Params: []byte{1, 2}}
		fee, ok := x.DeferredCallQuote(at, call.MaxGas, 2)
		if !ok || fee == 0 {
			t.Fatalf("quote %d %v", fee, ok)
		}
		before, _ := x.Balance(from)
		id, err := x.DeferredCallRegister(call)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := x.Balance(from); before-after != fee {
			t.Fatalf("paid %d, quoted %d", before-after, fee)
		}
		if ok, err := x.DeferredCallExists(id); !ok || err != nil {
			t.Fatalf("exists %v %v", ok, err)
		}
		if g := x.deferred.totalGas(); g != 1_750_000 {
			t.Fatalf("booked gas %d", g)
		}
		// A second call in the same slot gets the next index.
		id2, err := x.DeferredCallRegister(call)
		if _, idx, _ := parseDeferredCallID(id2, 2); err != nil || idx != 1 {
			t.Fatalf("second id %s %v", id2, err)
		}
		for name, bad := range map[string]vm.DeferredCall{
			"current slot": {Target: target, Slot: x.slot, MaxGas: 1},
			"too far":      {Target: target, Slot: types.Slot{Period: x.slot.Period + 1_000_000}, MaxGas: 1},
			"bad thread":   {Target: target, Slot: types.Slot{Period: at.Period, Thread: 5}, MaxGas: 1},
			"user target":  {Target: other, Slot: at, MaxGas: 1},
			"slot full":    {Target: target, Slot: at, MaxGas: 999_000_000},
		} {
			if _, err := x.DeferredCallRegister(bad); err == nil {
				t.Errorf("%s: registered", name)
			}
		}
		// Only the sender cancels; cancelled calls do not exist.
		x.frames = userFrame(other)
		if err := x.DeferredCallCancel(id); err == nil || !strings.Contains(err.Error(), "only the sender") {
			t.Fatalf("cancel by another: %v", err)
		}
		x.frames = userFrame(from)
		if err := x.DeferredCallCancel(id); err != nil {
			t.Fatal(err)
		}
		if ok, _ := x.DeferredCallExists(id); ok {
			t.Fatal("cancelled call exists")
		}
		if err := x.DeferredCallCancel(id); err == nil {
			t.Fatal("cancelled twice")
		}
		if g := x.deferred.totalGas(); g != 1_750_000 {
			t.Fatalf("booked gas after cancel %d", g)
		}
		if _, err := x.DeferredCallExists("Dnope"); err == nil {
			t.Fatal("invalid id accepted")
		}
		return nil, vm.Result{RemainingGas: 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
