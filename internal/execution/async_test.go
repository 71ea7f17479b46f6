package execution

import (
	"bytes"
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

func genAddress(t *rapid.T, label string) types.Address {
	return types.Address{SC: rapid.Bool().Draw(t, label+" sc"), Hash: crypto.Hash(rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, label))}
}

func genSlot(t *rapid.T, label string) types.Slot {
	return types.Slot{Period: rapid.Uint64().Draw(t, label+" period"), Thread: rapid.Uint8Range(0, 31).Draw(t, label+" thread")}
}

func genAsyncMessage(t *rapid.T) *AsyncMessage {
	m := &AsyncMessage{
		EmissionSlot:  genSlot(t, "emission"),
		EmissionIndex: rapid.Uint64().Draw(t, "index"),
		Sender:        genAddress(t, "sender"),
		Destination:   genAddress(t, "destination"),
		Function:      rapid.StringN(0, 20, 255).Draw(t, "function"),
		MaxGas:        rapid.Uint64().Draw(t, "max gas"),
		Fee:           types.Amount(rapid.Uint64().Draw(t, "fee")),
		Coins:         types.Amount(rapid.Uint64().Draw(t, "coins")),
		ValidityStart: genSlot(t, "start"),
		ValidityEnd:   genSlot(t, "end"),
		Params:        rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "params"),
		CanBeExecuted: rapid.Bool().Draw(t, "executable"),
	}
	if rapid.Bool().Draw(t, "trigger") {
		m.Trigger = &AsyncTrigger{Address: genAddress(t, "trigger")}
		if rapid.Bool().Draw(t, "key") {
			m.Trigger.Key = rapid.SliceOfN(rapid.Byte(), 0, 255).Draw(t, "trigger key")
		}
	}
	return m
}

func TestAsyncMessageCodec(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genAsyncMessage(t)
		enc := encodeAsyncMessage(m)
		got, err := decodeAsyncMessage(enc, 32)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encodeAsyncMessage(got), enc) {
			t.Fatalf("round trip changed the message: %+v vs %+v", got, m)
		}
		k := m.key()
		if _, err := decodeAsyncEntry(asyncStoreKey(k), enc, 32); err != nil {
			t.Fatal(err)
		}
		// Every strict prefix fails, as does a trailing byte.
		cut := rapid.IntRange(0, len(enc)-1).Draw(t, "cut")
		if _, err := decodeAsyncMessage(enc[:cut], 32); err == nil {
			t.Fatalf("truncated message (%d of %d bytes) accepted", cut, len(enc))
		}
		if _, err := decodeAsyncMessage(append(enc, 0), 32); err == nil {
			t.Fatal("trailing byte accepted")
		}
	})
}

func TestAsyncEntryKeyMismatch(t *testing.T) {
	m := &AsyncMessage{EmissionSlot: types.Slot{Period: 3}, EmissionIndex: 1, MaxGas: 1}
	k := m.key()
	k[len(k)-1] = 2
	if _, err := decodeAsyncEntry(asyncStoreKey(k), encodeAsyncMessage(m), 32); !errors.Is(err, ErrBadKey) {
		t.Fatalf("mismatched key: %v", err)
	}
	if _, err := decodeAsyncEntry([]byte(store.PrefixAsyncPool+"x"), encodeAsyncMessage(m), 32); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
}

func FuzzDecodeAsyncMessage(f *testing.F) {
	f.Add(encodeAsyncMessage(&AsyncMessage{MaxGas: 1, Function: "f", Params: []byte{1, 2}}))
	f.Add(encodeAsyncMessage(&AsyncMessage{MaxGas: 1, Trigger: &AsyncTrigger{Key: []byte("k")}, CanBeExecuted: true}))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeAsyncMessage(b, 32)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeAsyncMessage(m), b) {
			t.Fatalf("decoded message re-encodes differently")
		}
	})
}

func TestAsyncOrder(t *testing.T) {
	mk := func(fee types.Amount, gas uint64, period, index uint64) *AsyncMessage {
		return &AsyncMessage{Fee: fee, MaxGas: gas, EmissionSlot: types.Slot{Period: period}, EmissionIndex: index}
	}
	// Highest fee per gas first, then emission slot, then index.
	ordered := []*AsyncMessage{
		mk(100, 10, 9, 9), // 10 per gas
		mk(50, 10, 1, 0),  // 5 per gas
		mk(10, 2, 1, 1),   // 5 per gas, later index
		mk(10, 2, 2, 0),   // 5 per gas, later slot
		mk(0, 10, 0, 0),
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareAsync(ordered[i], ordered[j]); got != want {
				t.Fatalf("compare(%d, %d) = %d, want %d", i, j, got, want)
			}
		}
	}
}

func TestAsyncPoolTakeSettle(t *testing.T) {
	sc := types.Address{SC: true, Hash: crypto.HashOf([]byte("sc"))}
	msg := func(index uint64, fee types.Amount, gas uint64, start, end uint64) *AsyncMessage {
		return &AsyncMessage{EmissionSlot: types.Slot{Period: 1}, EmissionIndex: index, Destination: sc, Fee: fee, MaxGas: gas,
			ValidityStart: types.Slot{Period: start}, ValidityEnd: types.Slot{Period: end}, CanBeExecuted: true}
	}
	p := newAsyncPool(nil, nil)
	a := msg(0, 1000, 100, 2, 5)  // best fee per gas
	b := msg(1, 10, 100, 2, 5)    // fits after a
	c := msg(2, 1, 100, 2, 5)     // does not fit the budget
	d := msg(3, 5000, 100, 4, 9)  // not yet valid
	e := msg(4, 0, 100, 1, 2)     // expires after slot 2
	trig := msg(5, 0, 100, 0, 50) // waits for a write
	trig.CanBeExecuted = false
	trig.Trigger = &AsyncTrigger{Address: sc, Key: []byte("k")}
	for _, m := range []*AsyncMessage{a, b, c, d, e, trig} {
		p.add(m)
	}
	mark := p.mark()
	p.add(msg(6, 1, 100, 0, 0))
	p.revert(mark)
	if len(p.msgs) != 6 {
		t.Fatalf("%d messages after revert", len(p.msgs))
	}

	// Budget for two messages of 100 gas + 10 constant gas each.
	got := p.takeBatch(types.Slot{Period: 2}, 230, 10)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("batch %+v", got)
	}
	// e (fee 0) fits nowhere: c comes first in id order and takes the rest.
	if _, ok := p.msgs[e.key()]; !ok {
		t.Fatal("e should still be pooled")
	}

	led := ledger.NewChanges()
	led.SetDatastore(sc, []byte("other"), []byte{1})
	dropped := p.settle(types.Slot{Period: 3}, led, 10)
	if len(dropped) != 1 || dropped[0] != e {
		t.Fatalf("expired %+v", dropped)
	}
	if p.msgs[trig.key()].CanBeExecuted {
		t.Fatal("trigger fired on another key")
	}
	led.SetDatastore(sc, []byte("k"), []byte{1})
	p.settle(types.Slot{Period: 3}, led, 10)
	if !p.msgs[trig.key()].CanBeExecuted || trig.CanBeExecuted {
		t.Fatal("trigger must activate a copy of the message")
	}
	// Capacity 1: everything but the best message is evicted.
	dropped = p.settle(types.Slot{Period: 3}, ledger.NewChanges(), 1)
	if len(dropped) != 2 || len(p.msgs) != 1 || p.msgs[d.key()] == nil {
		t.Fatalf("evicted %d, left %d", len(dropped), len(p.msgs))
	}
	for _, k := range []asyncKey{a.key(), b.key(), e.key()} {
		if m, ok := p.changes[k]; !ok || m != nil {
			t.Fatalf("change of %x: %v %v", k, m, ok)
		}
	}
}
