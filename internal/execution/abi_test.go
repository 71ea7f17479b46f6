package execution

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
)

// packArgs builds the argument buffer of abi.wasm's exports (see
// abi.wat): a table of u32 offsets, then each argument: a string as an
// AssemblyScript string, []byte as a buffer, uint64 as 8 raw bytes.
func packArgs(args ...any) []byte {
	out := make([]byte, 4*len(args))
	for i, a := range args {
		var payload []byte
		object := true
		switch v := a.(type) {
		case string:
			for _, u := range utf16.Encode([]rune(v)) {
				payload = binary.LittleEndian.AppendUint16(payload, u)
			}
		case []byte:
			payload = v
		case uint64:
			payload, object = binary.LittleEndian.AppendUint64(nil, v), false
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		if object {
			out = binary.LittleEndian.AppendUint32(out, 1) // rtId
			out = binary.LittleEndian.AppendUint32(out, uint32(len(payload)))
		}
		binary.LittleEndian.PutUint32(out[4*i:], uint32(len(out)))
		out = append(out, payload...)
	}
	return out
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

type abiHarness struct {
	*scHarness
	sc   types.Address
	code []byte
}

// newABIHarness starts a chain whose genesis holds abi.wasm as a contract
// with 10 MAS and datastore keys a1, a2, b.
func newABIHarness(t *testing.T) *abiHarness {
	t.Helper()
	cfg := testConfig()
	cfg.ChainID = testChainID
	k := testKey(1, 0)
	p := addrOf(testKey(3, -1))
	code := readContract(t, "abi.wasm")
	sc := types.Address{SC: true, Hash: crypto.HashOf([]byte("abi contract"))}
	g := Genesis{Ledger: []GenesisEntry{
		{Address: addrOf(k), Balance: mas("1000")},
		{Address: p, Balance: mas("1")},
		{Address: sc, Balance: mas("10"), Bytecode: code, Datastore: map[string][]byte{"a1": {1}, "a2": {2}, "b": {3}}},
	}}
	h := &harness{t: t, cfg: cfg, st: openMemStore(t), draws: &fakeDraws{threads: cfg.PoS.ThreadCount, producers: []types.Address{p}}, vm: newTestVM(t)}
	if _, err := InitGenesis(cfg, h.st, g); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	return &abiHarness{scHarness: &scHarness{harness: h, key: k, user: addrOf(k), producer: p}, sc: sc, code: code}
}

// read calls fn read-only and returns its result, failing on error.
func (h *abiHarness) read(fn string, args ...any) []byte {
	h.t.Helper()
	ro, err := h.core.ExecuteReadOnlyCall(h.sc, fn, packArgs(args...), 1_000_000_000, &h.user, nil, nil)
	if err != nil || ro.Error != "" {
		h.t.Fatalf("%s: %v %s", fn, err, ro.Error)
	}
	return ro.Result
}

// readErr calls fn read-only and returns its error.
func (h *abiHarness) readErr(fn string, args ...any) string {
	h.t.Helper()
	ro, err := h.core.ExecuteReadOnlyCall(h.sc, fn, packArgs(args...), 1_000_000_000, &h.user, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return ro.Error
}

func u32le(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestABIReads(t *testing.T) {
	h := newABIHarness(t)
	other := types.Address{SC: true, Hash: crypto.HashOf([]byte("other"))}

	// Keys: u32 count, then length-prefixed keys; none gives nothing.
	if got, want := h.read("keys", []byte("a")), []byte{2, 0, 0, 0, 2, 'a', '1', 2, 'a', '2'}; !bytes.Equal(got, want) {
		t.Errorf("keys(a) = %x", got)
	}
	if got := h.read("keys", []byte("zz")); len(got) != 0 {
		t.Errorf("keys(zz) = %x, want empty", got)
	}
	if got := h.read("keys_for", h.user.String(), []byte{}); len(got) != 0 {
		t.Errorf("keys of a user = %x", got)
	}
	if e := h.readErr("keys_for", other.String(), []byte{}); !strings.Contains(e, "data entry not found") {
		t.Errorf("keys of a missing address: %q", e)
	}
	if e := h.readErr("op_keys"); !strings.Contains(e, "no operation datastore") {
		t.Errorf("op keys in a call: %q", e)
	}

	// Signatures over BLAKE3 of the UTF-8 data, Massa text formats.
	sk := testKey(9, -1)
	sig := sk.Sign(crypto.HashOf([]byte("hello")))
	pk := sk.Public().String()
	for _, tc := range []struct {
		data, sig, pk string
		want          uint32
	}{
		{"hello", sig.String(), pk, 1},
		{"hellO", sig.String(), pk, 0},
		{"hello", "garbage", pk, 0},
		{"hello", sig.String(), "Pgarbage", 0},
	} {
		if got := h.read("sig", tc.data, tc.sig, tc.pk); !bytes.Equal(got, u32le(tc.want)) {
			t.Errorf("signature_verify(%q) = %x, want %d", tc.data, got, tc.want)
		}
	}
	if got := decodeUTF16(h.read("addr_of_pk", pk)); got != types.AddressOf(sk.Public()).String() {
		t.Errorf("address_from_public_key = %q", got)
	}
	if e := h.readErr("addr_of_pk", "nope"); !strings.Contains(e, "invalid public key") {
		t.Errorf("bad public key: %q", e)
	}
	for s, want := range map[string]uint32{h.user.String(): 1, h.sc.String(): 1, "AU1nope": 0, "": 0} {
		if got := h.read("validate", s); !bytes.Equal(got, u32le(want)) {
			t.Errorf("validate_address(%q) = %x", s, got)
		}
	}
	if got := h.read("eoa", h.user.String()); !bytes.Equal(got, u32le(1)) {
		t.Errorf("is_address_eoa(user) = %x", got)
	}
	if got := h.read("eoa", h.sc.String()); !bytes.Equal(got, u32le(0)) {
		t.Errorf("is_address_eoa(sc) = %x", got)
	}

	// Context: the read-only slot is the one after the genesis slot (1, 0).
	slot := types.Slot{Period: 1}
	if got := h.read("time"); !bytes.Equal(got, argsU64(h.cfg.SlotTimestamp(slot))) {
		t.Errorf("get_time = %x", got)
	}
	if got := h.read("now"); !bytes.Equal(got, argsU64(h.cfg.SlotTimestamp(slot))) {
		t.Errorf("Date.now = %x", got)
	}
	if got := h.read("chain"); !bytes.Equal(got, argsU64(testChainID)) {
		t.Errorf("chain_id = %x", got)
	}
	if a, b := h.read("rand"), h.read("rand"); !bytes.Equal(a, b) {
		t.Errorf("unsafe_random not deterministic: %x %x", a, b)
	}
	if f := math.Float64frombits(binary.LittleEndian.Uint64(h.read("seed"))); f < 0 || f >= 1 {
		t.Errorf("seed = %v", f)
	}
	if got := h.read("origin"); len(got) != 0 {
		t.Errorf("origin operation of a read-only call = %q", decodeUTF16(got))
	}
	if got := decodeUTF16(h.read("owned")); got != `["`+h.sc.String()+`"]` {
		t.Errorf("owned addresses = %s", got)
	}
	if got := h.read("balance_for", h.sc.String()); !bytes.Equal(got, argsU64(uint64(mas("10")))) {
		t.Errorf("balance = %x", got)
	}
	if got := h.read("balance_for", other.String()); !bytes.Equal(got, argsU64(0)) {
		t.Errorf("balance of a missing address = %x", got)
	}

	// Hashes.
	want := sha256.Sum256([]byte("abc"))
	if got := h.read("sha", []byte("abc")); !bytes.Equal(got, want[:]) {
		t.Errorf("sha256 = %x", got)
	}
	if got := hex.EncodeToString(h.read("keccak", []byte("abc"))); got != "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" {
		t.Errorf("keccak256 = %s", got)
	}

	// Code: function_exists, get_bytecode, local_call, call.
	if got := h.read("fexists", h.sc.String(), "keys"); !bytes.Equal(got, u32le(1)) {
		t.Errorf("function_exists(keys) = %x", got)
	}
	if got := h.read("fexists", h.sc.String(), "nope"); !bytes.Equal(got, u32le(0)) {
		t.Errorf("function_exists(nope) = %x", got)
	}
	if e := h.readErr("fexists", h.user.String(), "x"); e == "" {
		t.Error("function_exists on a user address must fail (no bytecode)")
	}
	if got := h.read("getbc"); !bytes.Equal(got, h.code) {
		t.Error("get_bytecode differs")
	}
	if got := h.read("local_call", h.sc.String(), "chain", []byte{}); !bytes.Equal(got, argsU64(testChainID)) {
		t.Errorf("local_call = %x", got)
	}
	// A nested call runs in a frame owning only the callee.
	if got := decodeUTF16(h.read("call", h.sc.String(), "owned", []byte{}, uint64(0))); got != `["`+h.sc.String()+`"]` {
		t.Errorf("owned addresses in a nested call = %s", got)
	}
	if got := binary.LittleEndian.Uint64(h.read("remaining")); got == 0 || got >= 1_000_000_000 {
		t.Errorf("remaining gas = %d", got)
	}

	// Write rights.
	if e := h.readErr("set_for", h.user.String(), []byte("k"), []byte("v")); !strings.Contains(e, "not allowed in this context") {
		t.Errorf("writing another address: %q", e)
	}
	if e := h.readErr("transfer_for", h.user.String(), h.sc.String(), uint64(1)); !strings.Contains(e, "spending from address") {
		t.Errorf("spending from another address: %q", e)
	}
	if e := h.readErr("transfer", other.String(), uint64(1)); !strings.Contains(e, "crediting SC address") {
		t.Errorf("crediting a contract not owned: %q", e)
	}
	ro, err := h.core.ExecuteReadOnlyCall(h.sc, "event", packArgs("hi"), 1_000_000_000, &h.user, nil, nil)
	if err != nil || ro.Error != "" || len(ro.Events) != 1 || ro.Events[0].Data != "hi" || !ro.Events[0].Context.ReadOnly {
		t.Errorf("event: %v %+v", err, ro)
	}
	if e := h.readErr("event", strings.Repeat("x", 1025)); !strings.Contains(e, "event data size is too large") {
		t.Errorf("oversized event: %q", e)
	}
}

func TestABIWrites(t *testing.T) {
	h := newABIHarness(t)
	call := func(period uint64, fn string, gas uint64, args ...any) *types.SignedOperation {
		return h.callSC(period, h.sc, fn, packArgs(args...), 0, gas)
	}
	bal := func() types.Amount { b, _ := h.balance(h.sc); return b }

	// set, append, delete: the contract pays (4 + key + value) bytes, then
	// the growth, then gets everything back.
	b0 := bal()
	h.runBlock(1, call(1, "set", 10_000_000, []byte("k"), []byte("v")))
	if got := h.datastore(h.sc, "k"); string(got) != "v" || b0-bal() != mas("0.0006") {
		t.Fatalf("set: %q, paid %s", got, b0-bal())
	}
	h.runBlock(2, call(2, "append", 10_000_000, []byte("k"), []byte("w")))
	if got := h.datastore(h.sc, "k"); string(got) != "vw" || b0-bal() != mas("0.0007") {
		t.Fatalf("append: %q, paid %s", got, b0-bal())
	}
	del := call(3, "del", 10_000_000, []byte("k"))
	h.runBlock(3, del)
	h.opEvents(del, true)
	if _, ok, _, _, _ := h.core.DatastoreEntry(h.sc, []byte("k")); ok || bal() != b0 {
		t.Fatalf("delete: entry still there (%v) or not refunded (%s)", ok, b0-bal())
	}

	// create_sc from a contract: the address follows
	// BLAKE3 tuple("SC_ADDRESS", trail, index, nonce), the creator pays
	// and owns it (it writes its datastore).
	probe := readContract(t, "probe.wasm")
	create := call(4, "create", 1_000_000_000, probe, []byte("k"), []byte("v"))
	h.runBlock(4, create)
	h.opEvents(create, true)
	var zero [8]byte
	want := types.Address{SC: true, Hash: crypto.HashOfTuple([]byte("SC_ADDRESS"), h.core.finalTrail[:], zero[:], zero[:])}
	code, ok, _, _, err := h.core.Bytecodes(want)
	if err != nil || !ok || !bytes.Equal(code, probe) {
		t.Fatalf("created contract %s: ok %v err %v", want, ok, err)
	}
	if got := h.datastore(want, "k"); string(got) != "v" {
		t.Fatalf("created contract datastore %q", got)
	}
	creation, _ := ledger.SCCreationCost(len(probe))
	entry, _ := ledger.DatastoreEntryCost(1, 1)
	if paid := b0 - bal(); paid != creation+entry {
		t.Fatalf("creator paid %s, want %s", paid, creation+entry)
	}

	// set_bytecode costs 745e6 gas, then replaces the contract's own code.
	short := call(5, "setbc", 700_000_000, probe)
	h.runBlock(5, short)
	evs := h.opEvents(short, false)
	if !strings.Contains(evs[len(evs)-1].Data, "limit reached at: assembly_script_set_bytecode") {
		t.Fatalf("set_bytecode with too little gas: %q", evs[len(evs)-1].Data)
	}
	setbc := call(6, "setbc", 1_000_000_000, probe)
	h.runBlock(6, setbc)
	h.opEvents(setbc, true)
	if code, _, _, _, _ := h.core.Bytecodes(h.sc); !bytes.Equal(code, probe) {
		t.Fatal("set_bytecode did not replace the code")
	}
}
