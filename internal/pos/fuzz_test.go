package pos

import (
	"reflect"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// FuzzDecodeEntry feeds arbitrary keys and values to the store decoder:
// it must never panic, and whatever it accepts must re-encode to the same
// bytes (so a loaded state hashes like the stored one).
func FuzzDecodeEntry(f *testing.F) {
	cfg := smallConfig()
	st, _ := New(cfg, []RollCount{{testAddr(1), 3}, {testAddr(2), 1}})
	_, _ = st.CreateInitialCycle()
	v := st.Speculate(types.Slot{Period: 1}, nil)
	v.RecordProduction(testAddr(1), nil)
	_ = v.SellRolls(testAddr(2), 1)
	_, _ = st.Apply(types.Slot{Period: 1}, v.Changes())
	op, _ := st.SetFinalStateHashSnapshot(0, [crypto.XOFSize]byte{1})
	for _, o := range append(st.EncodeKV(), op) {
		f.Add(o.Key, o.Value)
	}
	f.Add([]byte("cycle_history/"), []byte{})
	f.Add([]byte("deferred_credits/"), []byte{0x80})
	f.Fuzz(func(t *testing.T, k, val []byte) {
		e, err := decodeEntry(cfg, k, val)
		if err != nil {
			return
		}
		var re []byte
		switch e.kind {
		case kindCredit:
			re = encodeU64(e.n)
		case tagComplete:
			re = encodeComplete(e.complete)
		case tagSeed:
			re = encodeSeed(e.seed)
		case tagSnapshot:
			re = encodeSnapshot(e.snapshot)
		case tagRolls, tagStats:
			re = encodeU64(e.n)
		}
		// A varint whose last byte carries bits a u64 cannot hold decodes
		// (as Massa's varint crate does) to the same value as its canonical
		// form, so the check is on values, not bytes.
		e2, err := decodeEntry(cfg, k, re)
		if err != nil {
			t.Fatalf("value %x re-encodes as %x, which does not decode: %v", val, re, err)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("value %x re-encodes as %x, which decodes differently", val, re)
		}
	})
}

// FuzzLoad loads a store made of one arbitrary entry next to a valid
// history: never a panic.
func FuzzLoad(f *testing.F) {
	cfg := smallConfig()
	base := memStore{}
	st, _ := New(cfg, []RollCount{{testAddr(1), 3}})
	ops, _ := st.CreateInitialCycle()
	base.apply(ops)
	for _, o := range ops {
		f.Add(o.Key, o.Value)
	}
	f.Fuzz(func(t *testing.T, k, val []byte) {
		m := memStore{}
		for kk, vv := range base {
			m[kk] = vv
		}
		m[string(k)] = val
		_, _ = Load(cfg, nil, m.iterate)
	})
}
