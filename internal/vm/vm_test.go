package vm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// fakeHost is a minimal in-memory Host: a ledger of balances, bytecodes
// and datastores, and a call stack whose frames own only themselves (plus
// what they create). It does not charge storage.
type fakeHost struct {
	balances map[types.Address]types.Amount
	codes    map[types.Address][]byte
	data     map[types.Address]map[string][]byte
	stack    []types.Address
	owned    [][]types.Address
	coins    []types.Amount
	opDS     []types.DatastoreEntry
	events   []string
	messages []Message
	created  int
	rnd      uint64
}

func newFakeHost(stack ...types.Address) *fakeHost {
	h := &fakeHost{
		balances: map[types.Address]types.Amount{},
		codes:    map[types.Address][]byte{},
		data:     map[types.Address]map[string][]byte{},
	}
	for _, a := range stack {
		h.push(a, 0)
		h.balances[a] += 0
	}
	return h
}

func (h *fakeHost) push(a types.Address, coins types.Amount) {
	h.stack = append(h.stack, a)
	h.owned = append(h.owned, []types.Address{a})
	h.coins = append(h.coins, coins)
}

func (h *fakeHost) Slot() types.Slot              { return types.Slot{Period: 42, Thread: 3} }
func (h *fakeHost) SlotTimestamp() uint64         { return 1_700_000_000_000 }
func (h *fakeHost) ChainID() uint64               { return 77 }
func (h *fakeHost) CallStack() []types.Address    { return slices.Clone(h.stack) }
func (h *fakeHost) CurrentAddress() types.Address { return h.stack[len(h.stack)-1] }
func (h *fakeHost) OwnedAddresses() []types.Address {
	return slices.Clone(h.owned[len(h.owned)-1])
}
func (h *fakeHost) CallCoins() types.Amount { return h.coins[len(h.coins)-1] }
func (h *fakeHost) CallerHasWriteAccess() bool {
	i := max(len(h.owned)-2, 0)
	return slices.Contains(h.owned[i], h.CurrentAddress())
}
func (h *fakeHost) OriginOperationID() (types.OperationID, bool) { return types.OperationID{1}, true }
func (h *fakeHost) OperationDatastore() ([]types.DatastoreEntry, bool) {
	return h.opDS, len(h.stack) == 1
}
func (h *fakeHost) UnsafeRandom() uint64 { h.rnd++; return h.rnd }

func (h *fakeHost) InitCall(target types.Address, coins types.Amount) ([]byte, error) {
	code, ok := h.codes[target]
	if !ok {
		return nil, fmt.Errorf("no contract at %s", target)
	}
	h.push(target, coins)
	return code, nil
}

func (h *fakeHost) FinishCall() error {
	n := len(h.stack) - 1
	h.stack, h.owned, h.coins = h.stack[:n], h.owned[:n], h.coins[:n]
	return nil
}

func (h *fakeHost) CreateSC(code []byte) (types.Address, error) {
	h.created++
	a := types.Address{SC: true, Hash: crypto.HashOf(fmt.Appendf(nil, "sc %d", h.created))}
	h.codes[a] = code
	h.owned[len(h.owned)-1] = append(h.owned[len(h.owned)-1], a)
	return a, nil
}

func (h *fakeHost) SetBytecode(a types.Address, code []byte) error { h.codes[a] = code; return nil }
func (h *fakeHost) Balance(a types.Address) (types.Amount, error)  { return h.balances[a], nil }
func (h *fakeHost) Bytecode(a types.Address) ([]byte, bool, error) {
	c, ok := h.codes[a]
	return c, ok, nil
}
func (h *fakeHost) DatastoreValue(a types.Address, k []byte) ([]byte, bool, error) {
	v, ok := h.data[a][string(k)]
	return v, ok, nil
}
func (h *fakeHost) DatastoreKeys(a types.Address, prefix []byte) ([][]byte, bool, error) {
	var keys [][]byte
	for k := range h.data[a] {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, []byte(k))
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	return keys, true, nil
}
func (h *fakeHost) SetDatastore(a types.Address, k, v []byte) error {
	if !slices.Contains(h.owned[len(h.owned)-1], a) {
		return errors.New("no write access")
	}
	if h.data[a] == nil {
		h.data[a] = map[string][]byte{}
	}
	h.data[a][string(k)] = v
	return nil
}
func (h *fakeHost) AppendDatastore(a types.Address, k, v []byte) error {
	return h.SetDatastore(a, k, append(h.data[a][string(k)], v...))
}
func (h *fakeHost) DeleteDatastore(a types.Address, k []byte) error {
	delete(h.data[a], string(k))
	return nil
}
func (h *fakeHost) TransferCoins(from, to types.Address, amount types.Amount) error {
	if h.balances[from] < amount {
		return errors.New("insufficient balance")
	}
	h.balances[from] -= amount
	h.balances[to] += amount
	return nil
}
func (h *fakeHost) Emit(data string) error      { h.events = append(h.events, data); return nil }
func (h *fakeHost) SendMessage(m Message) error { h.messages = append(h.messages, m); return nil }
func (h *fakeHost) DeferredCallQuote(types.Slot, uint64, uint64) (types.Amount, bool) {
	return 0, false
}
func (h *fakeHost) DeferredCallRegister(DeferredCall) (string, error) {
	return "", errors.New("no deferred calls")
}
func (h *fakeHost) DeferredCallExists(string) (bool, error) { return false, nil }
func (h *fakeHost) DeferredCallCancel(string) error         { return errors.New("no deferred calls") }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestVM(t testing.TB) *VM {
	t.Helper()
	v, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

var (
	user = types.AddressOf(crypto.SecretKeyFromSeed([32]byte{1}).Public())
	sc   = types.Address{SC: true, Hash: crypto.HashOf([]byte("contract"))}
)

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func utf16le(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// TestRealContract runs main.wasm's functions on the fake host: storage,
// events, Args decoding, return values and aborts.
func TestRealContract(t *testing.T) {
	v := newTestVM(t)
	code := readTestdata(t, "main.wasm")
	h := newFakeHost(user, sc)
	h.codes[sc] = code
	h.data[sc] = map[string][]byte{"counter": u64(7)}

	res, err := v.RunFunction(h, code, "increment", u64(5), 100_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Return, u64(12)) || !bytes.Equal(h.data[sc]["counter"], u64(12)) {
		t.Fatalf("return %x, counter %x", res.Return, h.data[sc]["counter"])
	}
	if want := fmt.Sprintf("increment:7->12,caller=%s,coins=0", user); len(h.events) != 1 || h.events[0] != want {
		t.Fatalf("events %q, want %q", h.events, want)
	}
	if res.RemainingGas >= 100_000_000 || res.GasBeforeLastCall != 100_000_000 {
		t.Fatalf("gas: remaining %d, before last call %d", res.RemainingGas, res.GasBeforeLastCall)
	}
	// Same input, same gas: the metering is deterministic.
	h.data[sc]["counter"] = u64(7)
	again, err := v.RunFunction(h, code, "increment", u64(5), 100_000_000)
	if err != nil || again.RemainingGas != res.RemainingGas {
		t.Fatalf("second run: remaining %d vs %d, %v", again.RemainingGas, res.RemainingGas, err)
	}

	_, err = v.RunFunction(h, code, "constructor", nil, 100_000_000)
	if !errors.Is(err, ErrExecution) || !strings.Contains(err.Error(), "constructor: only at deployment at assembly/contracts/main.ts:41 col: 3") {
		t.Fatalf("constructor outside deployment: %v", err)
	}
	if _, err := v.RunFunction(h, code, "nope", nil, 100_000_000); !errors.Is(err, ErrFunction) {
		t.Fatalf("missing function: %v", err)
	}
	if _, err := v.RunFunction(h, code, "increment", nil, 1_000_000); !errors.Is(err, ErrOutOfGas) {
		t.Fatalf("below the instance cost: %v", err)
	}
	if d, tmp := v.CacheLen(); d != 1 || tmp != 0 {
		t.Fatalf("cache holds %d deployed and %d one-off modules, want 1 and 0", d, tmp)
	}
}

func TestProbe(t *testing.T) {
	v := newTestVM(t)
	code := readTestdata(t, "probe.wasm")
	h := newFakeHost(user, sc)
	h.codes[sc] = code
	const gas = 1_000_000_000

	t.Run("start function ran before the call", func(t *testing.T) {
		res, err := v.RunFunction(h, code, "started", nil, gas)
		if err != nil || !bytes.Equal(res.Return, []byte{1}) {
			t.Fatalf("%x %v", res.Return, err)
		}
	})
	t.Run("echo returns the parameter buffer", func(t *testing.T) {
		param := []byte("some bytes \x00\xff")
		res, err := v.RunFunction(h, code, "echo", param, gas)
		if err != nil || !bytes.Equal(res.Return, param) {
			t.Fatalf("%q %v", res.Return, err)
		}
	})
	t.Run("hash", func(t *testing.T) {
		res, err := v.RunFunction(h, code, "blake3", []byte("abc"), gas)
		want := crypto.HashOf([]byte("abc"))
		if err != nil || !bytes.Equal(res.Return, want[:]) {
			t.Fatalf("%x %v", res.Return, err)
		}
	})
	t.Run("event and call stack JSON", func(t *testing.T) {
		h.events = nil
		if _, err := v.RunFunction(h, code, "event", nil, gas); err != nil {
			t.Fatal(err)
		}
		if _, err := v.RunFunction(h, code, "callstack", nil, gas); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`["%s","%s"]`, user, sc)
		if len(h.events) != 2 || h.events[0] != "hello" || h.events[1] != want {
			t.Fatalf("events %q", h.events)
		}
	})
	t.Run("abort", func(t *testing.T) {
		_, err := v.RunFunction(h, code, "boom", nil, gas)
		if !errors.Is(err, ErrExecution) || !strings.HasSuffix(err.Error(), "boom at a.ts:7 col: 3") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("trap", func(t *testing.T) {
		_, err := v.RunFunction(h, code, "trap", nil, gas)
		if !errors.Is(err, ErrExecution) || !strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("two parameters", func(t *testing.T) {
		if _, err := v.RunFunction(h, code, "two", nil, gas); !errors.Is(err, ErrFunction) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("runaway loop", func(t *testing.T) {
		for range 3 {
			_, err := v.RunMain(h, code, 50_000_000)
			if !errors.Is(err, ErrOutOfGas) || !strings.Contains(err.Error(), "limit reached at: main") {
				t.Fatalf("%v", err)
			}
		}
	})
	t.Run("recursion depth", func(t *testing.T) {
		h := newFakeHost(user, sc)
		h.codes[sc] = code
		_, err := v.RunFunction(h, code, "f", utf16le(sc.String()), gas)
		if !errors.Is(err, ErrDepth) {
			t.Fatalf("%v", err)
		}
		if n := strings.Count(err.Error(), "call to "); n != DefaultMaxCallDepth {
			t.Fatalf("%d nested calls in %q", n, err)
		}
	})
	t.Run("nested call out of gas", func(t *testing.T) {
		h := newFakeHost(user, sc)
		h.codes[sc] = code
		_, err := v.RunFunction(h, code, "f", utf16le(sc.String()), 2_200_000)
		if !errors.Is(err, ErrOutOfGas) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("host call gas", func(t *testing.T) {
		h.coins[len(h.coins)-1] = 0
		base, err := v.RunFunction(h, code, "hostloop", nil, gas)
		if err != nil {
			t.Fatal(err)
		}
		h.coins[len(h.coins)-1] = 10
		ten, err := v.RunFunction(h, code, "hostloop", nil, gas)
		if err != nil {
			t.Fatal(err)
		}
		// Each iteration: the host call plus its loop instructions.
		per := (base.RemainingGas - ten.RemainingGas) / 10
		if (base.RemainingGas-ten.RemainingGas)%10 != 0 || per <= DefaultGasCosts().ABI["assembly_script_get_current_period"] {
			t.Fatalf("per-iteration gas %d", per)
		}
	})
}

func TestBytecodeChecks(t *testing.T) {
	v := newTestVM(t)
	h := newFakeHost(user)
	for name, code := range map[string][]byte{
		"too small": {0, 'a'},
		"wasmv1":    append([]byte{1}, readTestdata(t, "probe.wasm")...),
		"unknown":   {7, 1, 2, 3},
		"garbage":   {0, 'a', 's', 'x', 1, 0, 0, 0},
		"truncated": readTestdata(t, "probe.wasm")[:100],
	} {
		if _, err := v.RunMain(h, code, 10_000_000); !errors.Is(err, ErrBytecode) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCacheEviction(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CacheSize = 2
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	h := newFakeHost(user, sc)
	probe := readTestdata(t, "probe.wasm")
	for i := range 5 {
		// Different bytecodes (a trailing custom section) of one module.
		code := append(slices.Clone(probe), 0, 2, 1, byte('a'+i))
		if _, err := v.RunFunction(h, code, "echo", nil, 10_000_000); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := v.CacheLen(); d != 2 {
		t.Fatalf("cache holds %d modules, want 2", d)
	}
	// One-off bytecodes go to their own cache.
	if _, err := v.RunMain(h, probe, 10_000_000); !errors.Is(err, ErrOutOfGas) {
		t.Fatal(err)
	}
	if d, tmp := v.CacheLen(); d != 2 || tmp != 1 {
		t.Fatalf("caches %d / %d, want 2 / 1", d, tmp)
	}
}

// BenchmarkHostCall measures one host call from a contract
// (get_current_period, the loop's own instructions included).
func BenchmarkHostCall(b *testing.B) {
	v := newTestVM(b)
	code := readTestdata(b, "probe.wasm")
	h := newFakeHost(user, sc)
	h.coins[len(h.coins)-1] = types.Amount(b.N)
	b.ResetTimer()
	if _, err := v.RunFunction(h, code, "hostloop", nil, 1<<62); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCallIncrement measures a whole contract call (instance, start
// function, storage read and write, event) on the fake host.
func BenchmarkCallIncrement(b *testing.B) {
	v := newTestVM(b)
	code := readTestdata(b, "main.wasm")
	h := newFakeHost(user, sc)
	h.data[sc] = map[string][]byte{"counter": u64(0)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.events = h.events[:0]
		if _, err := v.RunFunction(h, code, "increment", u64(1), 100_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

// packArgs builds abi.wasm's argument buffer (see testdata/abi.wat): u32
// offsets, then each argument as an AssemblyScript object.
func packArgs(args ...[]byte) []byte {
	out := make([]byte, 4*len(args))
	for i, a := range args {
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		out = binary.LittleEndian.AppendUint32(out, 1)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(a)))
		binary.LittleEndian.PutUint32(out[4*i:], uint32(len(out)))
		out = append(out, a...)
	}
	return out
}

func TestOperationDatastoreABI(t *testing.T) {
	v := newTestVM(t)
	code := readTestdata(t, "abi.wasm")
	h := newFakeHost(user)
	h.opDS = []types.DatastoreEntry{{Key: []byte{0}, Value: []byte("zero")}, {Key: []byte{1, 2}, Value: []byte("x")}, {Key: []byte{1, 3}, Value: nil}}
	run := func(fn string, args ...[]byte) ([]byte, error) {
		res, err := v.RunFunction(h, code, fn, packArgs(args...), 100_000_000)
		return res.Return, err
	}
	for _, tc := range []struct {
		fn   string
		args [][]byte
		want []byte
	}{
		{"op_keys", nil, []byte{3, 0, 0, 0, 1, 0, 2, 1, 2, 2, 1, 3}},
		{"op_keys_prefix", [][]byte{{1}}, []byte{2, 0, 0, 0, 2, 1, 2, 2, 1, 3}},
		{"op_keys_prefix", [][]byte{{9}}, nil},
		{"has_op_key", [][]byte{{1, 2}}, []byte{1}},
		{"has_op_key", [][]byte{{1}}, []byte{0}},
		{"op_data", [][]byte{{0}}, []byte("zero")},
		{"op_data", [][]byte{{1, 3}}, nil},
	} {
		got, err := run(tc.fn, tc.args...)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s(%x) = %x, %v; want %x", tc.fn, tc.args, got, err, tc.want)
		}
	}
	if _, err := run("op_data", []byte{7}); !errors.Is(err, ErrExecution) {
		t.Errorf("missing key: %v", err)
	}
	// Below the operation's frame, the datastore is out of sight.
	h.push(sc, 0)
	if _, err := run("op_keys"); err == nil || !strings.Contains(err.Error(), "no operation datastore") {
		t.Errorf("op keys from a nested frame: %v", err)
	}
}
