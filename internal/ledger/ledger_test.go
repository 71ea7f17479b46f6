package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open("", store.Options{InMemory: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func addr(i int, sc bool) types.Address {
	return types.Address{SC: sc, Hash: crypto.HashOf([]byte(fmt.Sprint("addr", i)))}
}

func commit(t testing.TB, s *store.Store, c *Changes, slot store.Slot) {
	t.Helper()
	b := s.NewBatch()
	if err := c.ApplyTo(b, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b, slot); err != nil {
		t.Fatal(err)
	}
}

func TestKeyLayout(t *testing.T) {
	a := addr(1, false)
	k := BalanceKey(a)
	want := append([]byte("ledger/"), 0, 0, 0)
	want = append(want, a.Hash[:]...)
	want = append(want, 1)
	if !bytes.Equal(k, want) {
		t.Fatalf("balance key %x, want %x", k, want)
	}
	sc := addr(2, true)
	dk := DatastoreKey(sc, []byte("hello"))
	if dk[8] != 1 || dk[len(dk)-6] != byte(KeyDatastore) || string(dk[len(dk)-5:]) != "hello" {
		t.Fatalf("datastore key %x", dk)
	}
	for _, tc := range []struct {
		k    []byte
		want Key
	}{
		{VersionKey(a), Key{Address: a, Type: KeyVersion}},
		{BalanceKey(a), Key{Address: a, Type: KeyBalance}},
		{BytecodeKey(sc), Key{Address: sc, Type: KeyBytecode}},
		{DatastoreKey(sc, []byte("x")), Key{Address: sc, Type: KeyDatastore, Datastore: []byte("x")}},
		{DatastoreKey(sc, nil), Key{Address: sc, Type: KeyDatastore, Datastore: []byte{}}},
	} {
		got, err := ParseKey(tc.k)
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != tc.want.Address || got.Type != tc.want.Type || !bytes.Equal(got.Datastore, tc.want.Datastore) {
			t.Fatalf("ParseKey(%x) = %+v, want %+v", tc.k, got, tc.want)
		}
	}
	bad := [][]byte{
		nil,
		[]byte("ledger/"),
		append(BalanceKey(a), 0),
		SubKey(a, 4),
		append([]byte("ledgex/"), BalanceKey(a)[7:]...),
		DatastoreKey(sc, make([]byte, 256)),
	}
	v1 := BalanceKey(a)
	v1[7] = 1
	bad = append(bad, v1)
	for _, k := range bad {
		if _, err := ParseKey(k); !errors.Is(err, ErrBadKey) {
			t.Fatalf("ParseKey(%x): err %v, want ErrBadKey", k, err)
		}
	}
}

func TestValueCodecs(t *testing.T) {
	for _, a := range []types.Amount{0, 1, 127, 128, types.OneMAS, types.MaxAmount} {
		got, err := DecodeBalance(EncodeBalance(a))
		if err != nil || got != a {
			t.Fatalf("balance %d: got %d, %v", a, got, err)
		}
	}
	for _, code := range [][]byte{{}, []byte("wasm"), make([]byte, 300)} {
		enc := EncodeBytecode(code)
		got, err := DecodeBytecode(enc)
		if err != nil || !bytes.Equal(got, code) {
			t.Fatalf("bytecode: %v", err)
		}
	}
	if !bytes.Equal(EncodeBytecode(nil), []byte{0, 0}) {
		t.Fatal("empty bytecode must be stored as 00 00")
	}
	for _, b := range [][]byte{{}, {0x80, 0}, {1, 2}, {0xff}} {
		if _, err := DecodeBalance(b); !errors.Is(err, ErrBadValue) {
			t.Fatalf("DecodeBalance(%x) err %v", b, err)
		}
	}
	for _, b := range [][]byte{{}, {1, 0}, {0, 2, 1}, {0, 0, 0}, {0, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		if _, err := DecodeBytecode(b); !errors.Is(err, ErrBadValue) {
			t.Fatalf("DecodeBytecode(%x) err %v", b, err)
		}
	}
}

func TestCosts(t *testing.T) {
	c, err := DatastoreEntryCost(3, 5)
	if err != nil || c != 12*CostPerByte {
		t.Fatalf("datastore cost %v %v", c, err)
	}
	if c.String() != "0.0012" {
		t.Fatalf("cost string %s", c)
	}
	c, _ = SCCreationCost(100)
	if c != types.MustAmount("0.011") {
		t.Fatalf("sc creation cost %s", c)
	}
	ch, rf, _ := CostDelta(10, 4)
	if ch != 0 || rf != 6*CostPerByte {
		t.Fatal("cost delta refund")
	}
	ch, rf, _ = CostDelta(4, 10)
	if ch != 6*CostPerByte || rf != 0 {
		t.Fatal("cost delta charge")
	}
	if _, err := BytesCost(^uint64(0)); !errors.Is(err, ErrCostOverflow) {
		t.Fatal("overflow not detected")
	}
	if EntryBaseCost.String() != "0.001" || CostPerByte.String() != "0.0001" {
		t.Fatal("constants")
	}
}

func TestChangesMergeRules(t *testing.T) {
	a := addr(1, false)
	c := NewChanges()
	c.SetBalance(a, 5)
	if ch, _ := c.Get(a); ch.Kind != KindUpdate || !ch.HasBalance || ch.HasBytecode {
		t.Fatalf("update expected: %+v", ch)
	}
	if _, p := c.Bytecode(a); p != Unknown {
		t.Fatal("bytecode of an update without bytecode must be unknown")
	}
	c.DeleteEntry(a)
	if _, p := c.Balance(a); p != Absent {
		t.Fatal("deleted")
	}
	c.SetDatastore(a, []byte("k"), []byte("v"))
	ch, _ := c.Get(a)
	if ch.Kind != KindSet || ch.Balance != 0 {
		t.Fatalf("update after delete must recreate: %+v", ch)
	}
	if _, p := c.DatastoreValue(a, []byte("other")); p != Absent {
		t.Fatal("a Set knows every datastore key")
	}
	c.DeleteDatastore(a, []byte("k"))
	if _, p := c.DatastoreValue(a, []byte("k")); p != Absent {
		t.Fatal("deleted key")
	}
	if len(ch.Datastore) != 0 {
		t.Fatal("a Set must not keep delete ops")
	}

	// Merge: Update over Set folds in; Set replaces; Delete wins.
	base := NewChanges()
	base.CreateEntry(a)
	base.SetDatastore(a, []byte("x"), []byte("1"))
	top := NewChanges()
	top.SetBalance(a, 9)
	top.DeleteDatastore(a, []byte("x"))
	top.SetDatastore(a, []byte("y"), []byte("2"))
	base.Merge(top)
	ch, _ = base.Get(a)
	if ch.Kind != KindSet || ch.Balance != 9 || len(ch.Datastore) != 1 || string(ch.Datastore["y"].Value) != "2" {
		t.Fatalf("merged %+v", ch)
	}
	top.SetBalance(a, 10) // top must stay independent of base
	if ch.Balance != 9 {
		t.Fatal("merge shared a change")
	}
}

func TestCheckpoints(t *testing.T) {
	a, b := addr(1, false), addr(2, false)
	c := NewChanges()
	c.SetBalance(a, 1)
	cp1 := c.Checkpoint()
	c.SetBalance(a, 2)
	c.SetBalance(b, 3)
	cp2 := c.Checkpoint()
	c.SetBalance(a, 4)
	c.SetDatastore(a, []byte("k"), []byte("v"))
	if err := c.RevertTo(cp2); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Balance(a); v != 2 {
		t.Fatalf("after revert to cp2: %d", v)
	}
	if _, p := c.DatastoreValue(a, []byte("k")); p != Unknown {
		t.Fatal("datastore write not reverted")
	}
	c.SetBalance(a, 7)
	if err := c.RevertTo(cp2); err != nil { // again
		t.Fatal(err)
	}
	if v, _ := c.Balance(a); v != 2 {
		t.Fatalf("after second revert to cp2: %d", v)
	}
	if err := c.RevertTo(cp1); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Balance(a); v != 1 {
		t.Fatalf("after revert to cp1: %d", v)
	}
	if _, p := c.Balance(b); p != Unknown {
		t.Fatal("b must be gone")
	}
	c.DropCheckpoints()
	if err := c.RevertTo(cp1); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatal("dropped checkpoint must be refused")
	}
	if err := NewChanges().RevertTo(c.Checkpoint()); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatal("foreign checkpoint must be refused")
	}
}

func TestApplyToStore(t *testing.T) {
	s := openStore(t)
	a, sc := addr(1, false), addr(2, true)
	c := NewChanges()
	c.SetEntry(a, 100, nil, nil)
	c.SetEntry(sc, 5, []byte("code"), map[string][]byte{"k1": []byte("v1"), "k2": []byte("v2")})
	commit(t, s, c, store.Slot{Period: 0, Thread: 1})

	f := NewFinal(s)
	if bal, ok, err := f.Balance(a); err != nil || !ok || bal != 100 {
		t.Fatalf("balance %d %v %v", bal, ok, err)
	}
	if code, ok, _ := f.Bytecode(a); !ok || len(code) != 0 {
		t.Fatal("user address bytecode must exist and be empty")
	}
	if v, _, _ := s.Get(BytecodeKey(a)); !bytes.Equal(v, []byte{0, 0}) {
		t.Fatal("empty bytecode key must be written")
	}
	if code, ok, _ := f.Bytecode(sc); !ok || string(code) != "code" {
		t.Fatal("sc bytecode")
	}
	keys, ok, _ := f.DatastoreKeys(sc, KeyRange{})
	if !ok || len(keys) != 2 || string(keys[0]) != "k1" {
		t.Fatalf("keys %q", keys)
	}

	// Replacing the entry removes keys the new entry does not have.
	c = NewChanges()
	c.SetEntry(sc, 6, []byte("c2"), map[string][]byte{"k2": []byte("w")})
	c.SetBalance(a, 50)
	commit(t, s, c, store.Slot{Period: 1})
	keys, _, _ = f.DatastoreKeys(sc, KeyRange{})
	if len(keys) != 1 || string(keys[0]) != "k2" {
		t.Fatalf("keys after set %q", keys)
	}
	// Delete removes every key.
	c = NewChanges()
	c.DeleteEntry(sc)
	commit(t, s, c, store.Slot{Period: 2})
	n := 0
	_ = s.Iterate(AddressPrefix(sc), nil, func(_, _ []byte) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d keys left after delete", n)
	}
	if ok, _ := f.Exists(sc); ok {
		t.Fatal("deleted address exists")
	}
	_ = s.Iterate([]byte(store.PrefixLedger), nil, func(k, v []byte) bool {
		if err := ValidateKV(k, v); err != nil {
			t.Fatal(err)
		}
		return true
	})
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
}

// model is an independent ledger used to check Changes, View and Final.
type model map[types.Address]*modelEntry

type modelEntry struct {
	bal  types.Amount
	code []byte
	ds   map[string][]byte
}

func (m model) clone() model {
	out := make(model, len(m))
	for a, e := range m {
		out[a] = &modelEntry{bal: e.bal, code: e.code, ds: maps.Clone(e.ds)}
	}
	return out
}

func (m model) keys(a types.Address, r KeyRange) ([][]byte, bool) {
	e, ok := m[a]
	if !ok {
		return nil, false
	}
	var out [][]byte
	for k := range e.ds {
		if r.Contains([]byte(k)) {
			out = append(out, []byte(k))
		}
	}
	slices.SortFunc(out, bytes.Compare)
	if r.Limit > 0 && len(out) > r.Limit {
		out = out[:r.Limit]
	}
	return out, true
}

// randomOp applies one random mutation to both c and m.
func randomOp(rng *rand.Rand, c *Changes, m model, addrs []types.Address) {
	a := addrs[rng.IntN(len(addrs))]
	key := []byte{byte('a' + rng.IntN(6))}
	if rng.IntN(3) == 0 {
		key = append(key, byte('a'+rng.IntN(3)))
	}
	e, exists := m[a]
	switch op := rng.IntN(10); {
	case op == 0:
		c.CreateEntry(a)
		m[a] = &modelEntry{code: []byte{}, ds: map[string][]byte{}}
	case op == 1 && rng.IntN(4) == 0:
		c.DeleteEntry(a)
		delete(m, a)
	case !exists:
		c.SetEntry(a, types.Amount(rng.IntN(1000)), []byte("c"), map[string][]byte{"b": []byte("init")})
		m[a] = &modelEntry{bal: types.Amount(rng.IntN(1000)), code: []byte("c"), ds: map[string][]byte{"b": []byte("init")}}
		c.SetBalance(a, m[a].bal)
	case op < 5:
		v := types.Amount(rng.IntN(1000))
		c.SetBalance(a, v)
		e.bal = v
	case op == 5:
		code := []byte(fmt.Sprint("code", rng.IntN(10)))
		c.SetBytecode(a, code)
		e.code = code
	case op < 8:
		v := []byte(fmt.Sprint(rng.IntN(100)))
		c.SetDatastore(a, key, v)
		e.ds[string(key)] = v
	default:
		c.DeleteDatastore(a, key)
		delete(e.ds, string(key))
	}
}

func checkReader(t *testing.T, what string, r Reader, m model, addrs []types.Address, rng *rand.Rand) {
	t.Helper()
	for _, a := range addrs {
		e, exists := m[a]
		bal, ok, err := r.Balance(a)
		if err != nil || ok != exists || (exists && bal != e.bal) {
			t.Fatalf("%s: balance of %s = %d,%v,%v; want %v", what, a, bal, ok, err, e)
		}
		if ok, _ := r.Exists(a); ok != exists {
			t.Fatalf("%s: exists", what)
		}
		code, ok, _ := r.Bytecode(a)
		if ok != exists || (exists && !bytes.Equal(code, e.code)) {
			t.Fatalf("%s: bytecode of %s = %q,%v", what, a, code, ok)
		}
		for _, k := range []string{"a", "b", "ba", "f", "zz"} {
			v, ok, _ := r.DatastoreValue(a, []byte(k))
			var want []byte
			wantOK := false
			if exists {
				want, wantOK = e.ds[k]
			}
			if ok != wantOK || !bytes.Equal(v, want) {
				t.Fatalf("%s: datastore %s/%s = %q,%v want %q,%v", what, a, k, v, ok, want, wantOK)
			}
		}
		for i := 0; i < 4; i++ {
			kr := KeyRange{Limit: rng.IntN(4)}
			if rng.IntN(2) == 0 {
				kr.Prefix = []byte{byte('a' + rng.IntN(3))}
			}
			if rng.IntN(2) == 0 {
				kr.Start = []byte{byte('a' + rng.IntN(6))}
				kr.StartInclusive = rng.IntN(2) == 0
			}
			if rng.IntN(2) == 0 {
				kr.End = []byte{byte('a' + rng.IntN(6))}
				kr.EndInclusive = rng.IntN(2) == 0
			}
			got, ok, err := r.DatastoreKeys(a, kr)
			want, wantOK := m.keys(a, kr)
			if err != nil || ok != wantOK || len(got) != len(want) {
				t.Fatalf("%s: keys of %s in %+v = %q,%v,%v want %q,%v", what, a, kr, got, ok, err, want, wantOK)
			}
			for j := range got {
				if !bytes.Equal(got[j], want[j]) {
					t.Fatalf("%s: keys of %s in %+v = %q want %q", what, a, kr, got, want)
				}
			}
		}
	}
}

// TestRandomLayers runs random mutations over several layers and a store and
// compares every read path with an independent model.
func TestRandomLayers(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	addrs := make([]types.Address, 8)
	for i := range addrs {
		addrs[i] = addr(i, i%3 == 0)
	}
	s := openStore(t)
	m := model{}
	period := uint64(0)
	for round := 0; round < 150; round++ {
		var layers []*Changes
		for l := 0; l < 1+rng.IntN(4); l++ {
			c := NewChanges()
			for i := 0; i < rng.IntN(20); i++ {
				// Some operations are reverted through a checkpoint.
				if rng.IntN(4) == 0 {
					saved := m.clone()
					cp := c.Checkpoint()
					randomOp(rng, c, m, addrs)
					randomOp(rng, c, m, addrs)
					if err := c.RevertTo(cp); err != nil {
						t.Fatal(err)
					}
					m = saved
					c.DropCheckpoints()
					continue
				}
				randomOp(rng, c, m, addrs)
			}
			layers = append(layers, c)
		}
		checkReader(t, "view", NewView(NewFinal(s), layers...), m, addrs, rng)
		merged := NewChanges()
		for _, l := range layers {
			merged.Merge(l)
		}
		checkReader(t, "merged view", NewView(NewFinal(s), merged), m, addrs, rng)
		period++
		commit(t, s, merged, store.Slot{Period: period})
		checkReader(t, "final", NewFinal(s), m, addrs, rng)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseKey(f *testing.F) {
	a := addr(1, false)
	f.Add(BalanceKey(a))
	f.Add(DatastoreKey(addr(2, true), []byte("key")))
	f.Add(VersionKey(a))
	f.Add([]byte("ledger/"))
	f.Fuzz(func(t *testing.T, k []byte) {
		key, err := ParseKey(k)
		if err != nil {
			return
		}
		var re []byte
		if key.Type == KeyDatastore {
			re = DatastoreKey(key.Address, key.Datastore)
		} else {
			re = SubKey(key.Address, key.Type)
		}
		if !bytes.Equal(re, k) {
			t.Fatalf("re-encoding %x gives %x", k, re)
		}
	})
}

func FuzzDecodeValues(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add(EncodeBytecode([]byte("abc")))
	f.Add(EncodeBalance(types.OneMAS))
	f.Fuzz(func(t *testing.T, b []byte) {
		if code, err := DecodeBytecode(b); err == nil && !bytes.Equal(EncodeBytecode(code), b) {
			t.Fatalf("bytecode %x does not re-encode", b)
		}
		// A 10-byte varint may carry bits above 64 that the decoder drops
		// (types' varint rule), so compare values, not bytes.
		if a, err := DecodeBalance(b); err == nil {
			if a2, err := DecodeBalance(EncodeBalance(a)); err != nil || a2 != a {
				t.Fatalf("balance %x does not round-trip", b)
			}
		}
	})
}
