package execution

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// The compiled conformance contracts (public test data, see
// /work/shared/conformance/ABI.md) live in the vm package's testdata.
const contractsDir = "../vm/testdata/"

// web3 limits (WEB3.md).
const (
	maxGasExecute = 3_980_167_295
	maxGasCall    = 4_294_167_295
)

func readContract(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(contractsDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestVM(t testing.TB) *vm.VM {
	t.Helper()
	v, err := vm.New(vm.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// as-types Args encoders.
func argsU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func argsString(s string) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(s))), s...)
}

func u64Key(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// deployDatastore is massa-web3's populateDatastore for one contract
// (ABI.md, "The web3 deployer protocol").
func deployDatastore(wasm, ctorArgs []byte, coins types.Amount) []types.DatastoreEntry {
	one := u64Key(1)
	argsKey := append(binary.LittleEndian.AppendUint32(slices.Clone(one), 1), 0)
	coinsKey := append(binary.LittleEndian.AppendUint32(slices.Clone(one), 1), 1)
	ds := []types.DatastoreEntry{
		{Key: []byte{0}, Value: u64Key(1)},
		{Key: one, Value: wasm},
		{Key: argsKey, Value: ctorArgs},
		{Key: coinsKey, Value: u64Key(uint64(coins))},
	}
	slices.SortFunc(ds, func(a, b types.DatastoreEntry) int { return bytes.Compare(a.Key, b.Key) })
	return ds
}

// scHarness is a core with the real VM, one funded user in thread 0 and a
// block producer.
type scHarness struct {
	*harness
	key      *crypto.SecretKey
	user     types.Address
	producer types.Address
	nextID   int
}

func newSCHarness(t testing.TB) *scHarness {
	t.Helper()
	cfg := testConfig()
	cfg.ChainID = testChainID
	k := testKey(1, 0)
	p := addrOf(testKey(3, -1))
	g := Genesis{Ledger: []GenesisEntry{{Address: addrOf(k), Balance: mas("1000000")}, {Address: p, Balance: mas("1")}}}
	h := &harness{t: t, cfg: cfg, st: openMemStore(t), draws: &fakeDraws{threads: cfg.PoS.ThreadCount, producers: []types.Address{p}}, vm: newTestVM(t)}
	if _, err := InitGenesis(cfg, h.st, g); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	return &scHarness{harness: h, key: k, user: addrOf(k), producer: p}
}

// block makes the block of slot (period, 0) holding ops and finalizes up
// to it.
func (h *scHarness) runBlock(period uint64, ops ...*types.SignedOperation) {
	h.t.Helper()
	h.nextID++
	slot := types.Slot{Period: period}
	blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf(fmt.Appendf(nil, "block %d", h.nextID))), Slot: slot, Creator: h.producer, Operations: ops}
	h.finalizeTo(slot, blk)
}

func (h *scHarness) executeSC(period uint64, bytecode []byte, ds []types.DatastoreEntry, maxCoins types.Amount) *types.SignedOperation {
	return signed(h.key, types.Operation{Fee: mas("0.01"), ExpirePeriod: period + 5, Type: types.OpExecuteSC,
		SC: &types.SCFields{MaxGas: maxGasExecute, MaxCoins: maxCoins, Bytecode: bytecode, Datastore: ds}})
}

func (h *scHarness) callSC(period uint64, target types.Address, function string, param []byte, coins types.Amount, maxGas uint64) *types.SignedOperation {
	return signed(h.key, types.Operation{Fee: mas("0.01"), ExpirePeriod: period + 5, Type: types.OpCallSC,
		SC: &types.SCFields{MaxGas: maxGas, Coins: coins, Target: target, Function: function, Param: param}})
}

// opEvents returns the final events of an operation, failing the test if
// its last event is an error.
func (h *scHarness) opEvents(op *types.SignedOperation, wantOK bool) []Event {
	h.t.Helper()
	evs := h.core.Events(EventFilter{OriginalOperationID: &op.ID})
	if len(evs) == 0 && !wantOK {
		h.t.Fatalf("failed operation %s emitted no event", op.ID)
	}
	if n := len(evs); n > 0 && evs[n-1].Context.IsError == wantOK {
		h.t.Fatalf("operation %s: last event %q (is_error %v)", op.ID, evs[n-1].Data, evs[n-1].Context.IsError)
	}
	st := h.core.OpExecStatus([]types.OperationID{op.ID})[0]
	if st.Final == nil || *st.Final != wantOK {
		h.t.Fatalf("operation %s: final status %v, want success %v", op.ID, st.Final, wantOK)
	}
	return evs
}

func (h *scHarness) datastore(addr types.Address, key string) []byte {
	h.t.Helper()
	v, ok, _, _, err := h.core.DatastoreEntry(addr, []byte(key))
	if err != nil || !ok {
		h.t.Fatalf("datastore %s %q: ok %v err %v", addr, key, ok, err)
	}
	return v
}

// deployedAddress reads the deployer's last event as massa-web3 does:
// base64 of Args(Array<string>), first element.
func deployedAddress(t testing.TB, e Event) types.Address {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(e.Data)
	if err != nil || len(raw) < 8 {
		t.Fatalf("last deploy event %q is not base64 Args: %v", e.Data, err)
	}
	n := binary.LittleEndian.Uint32(raw[4:])
	if int(8+n) > len(raw) {
		t.Fatalf("last deploy event %x: string of %d bytes", raw, n)
	}
	a, err := types.ParseAddress(string(raw[8 : 8+n]))
	if err != nil || !a.SC {
		t.Fatalf("deployed address %q: %v", raw[8:8+n], err)
	}
	return a
}

// deployMain deploys main.wasm through massa-web3's deployer, with
// constructor Args(u64 7) and 1 MAS for the contract, as
// SmartContract.deploy does. It returns the contract and the deploy op.
func (h *scHarness) deployMain(period uint64) (types.Address, *types.SignedOperation) {
	h.t.Helper()
	return h.deploy(period, "main.wasm")
}

// deploy deploys a contract of the testdata through the web3 deployer.
func (h *scHarness) deploy(period uint64, name string) (types.Address, *types.SignedOperation) {
	h.t.Helper()
	wasm := readContract(h.t, name)
	coins := mas("1")
	ds := deployDatastore(wasm, argsU64(7), coins)
	// web3's maxCoins: len * 0.0001 + 10 * 0.0001 + coins.
	maxCoins := mas("0.0001")*types.Amount(len(wasm)+10) + coins
	op := h.executeSC(period, readContract(h.t, "web3-deployer.wasm"), ds, maxCoins)
	h.runBlock(period, op)
	evs := h.opEvents(op, true)
	return deployedAddress(h.t, evs[len(evs)-1]), op
}

func TestDeployCallReadOnlyWithWeb3Deployer(t *testing.T) {
	h := newSCHarness(t)
	deployer := readContract(t, "web3-deployer.wasm")
	wasm := readContract(t, "main.wasm")
	ds := deployDatastore(wasm, argsU64(7), mas("1"))

	// massa-web3 estimates the deploy gas with a read-only run first.
	ro, err := h.core.ExecuteReadOnlyBytecode(deployer, maxGasExecute, &h.user, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Error != "" {
		t.Fatalf("read-only deploy failed: %s", ro.Error)
	}
	if ro.GasCost < 745_000_000 || ro.GasCost > maxGasExecute {
		t.Fatalf("read-only deploy gas cost %d: must include create_sc's 745e6", ro.GasCost)
	}
	if len(ro.Events) == 0 || !ro.Events[0].Context.ReadOnly {
		t.Fatalf("read-only events %+v", ro.Events)
	}
	before, _ := h.balance(h.user)

	sc, deployOp := h.deployMain(1)
	evs := h.opEvents(deployOp, true)
	var sawCtor, sawDeployed bool
	for _, e := range evs {
		switch {
		case e.Data == fmt.Sprintf("constructor:owner=%s,counter=7", h.user):
			sawCtor = true
			if got := e.Context.CallStack; len(got) != 2 || got[0] != h.user || got[1] != sc {
				t.Fatalf("constructor event call stack %v", got)
			}
		case e.Data == "Contract deployed at address: "+sc.String():
			sawDeployed = true
		}
		if *e.Context.OriginOperationID != deployOp.ID || e.Context.Slot != (types.Slot{Period: 1}) || e.Context.Block == nil || !e.Context.IsFinal {
			t.Fatalf("event context %+v", e.Context)
		}
	}
	if !sawCtor || !sawDeployed {
		t.Fatalf("deploy events %+v", evs)
	}
	if got := string(h.datastore(sc, "owner")); got != h.user.String() {
		t.Fatalf("owner %q", got)
	}
	if got := h.datastore(sc, "counter"); !bytes.Equal(got, argsU64(7)) {
		t.Fatalf("counter %x", got)
	}
	code, ok, _, _, err := h.core.Bytecodes(sc)
	if err != nil || !ok || !bytes.Equal(code, wasm) {
		t.Fatalf("contract bytecode: ok %v err %v", ok, err)
	}
	// The user paid the fee, the creation (0.001 + len * 0.0001) and the 1
	// MAS forwarded; the contract paid its two entries' storage from it.
	after, _ := h.balance(h.user)
	creation := mas("0.001") + mas("0.0001")*types.Amount(len(wasm))
	if want := before - mas("0.01") - creation - mas("1"); after != want {
		t.Fatalf("user balance %s, want %s", after, want)
	}
	storage := mas("0.0001") * types.Amount(4+len("owner")+len(h.user.String())+4+len("counter")+8)
	if bal, _ := h.balance(sc); bal != mas("1")-storage {
		t.Fatalf("contract balance %s, want %s", bal, mas("1")-storage)
	}

	// CallSC increment(5): 7 -> 12.
	inc := h.callSC(2, sc, "increment", argsU64(5), 0, 100_000_000)
	h.runBlock(2, inc)
	evs = h.opEvents(inc, true)
	if want := fmt.Sprintf("increment:7->12,caller=%s,coins=0", h.user); evs[0].Data != want {
		t.Fatalf("increment event %q, want %q", evs[0].Data, want)
	}
	if got := h.datastore(sc, "counter"); !bytes.Equal(got, argsU64(12)) {
		t.Fatalf("counter after increment %x", got)
	}

	// Read-only getCounter, and the gas estimate web3 makes for a call.
	ro, err = h.core.ExecuteReadOnlyCall(sc, "getCounter", nil, maxGasCall, &h.user, nil, nil)
	if err != nil || ro.Error != "" {
		t.Fatalf("read-only getCounter: %v %s", err, ro.Error)
	}
	if !bytes.Equal(ro.Result, argsU64(12)) || ro.GasCost < 2_100_000 || ro.ExecutedAt != (types.Slot{Period: 2, Thread: 1}) {
		t.Fatalf("read-only getCounter: result %x gas %d at %s", ro.Result, ro.GasCost, ro.ExecutedAt)
	}
	ro, err = h.core.ExecuteReadOnlyCall(sc, "increment", argsU64(1), maxGasCall, nil, nil, nil)
	if err != nil || ro.Error != "" || !bytes.Equal(ro.Result, argsU64(13)) {
		t.Fatalf("read-only increment: %v %q %x", err, ro.Error, ro.Result)
	}
	if got := h.datastore(sc, "counter"); !bytes.Equal(got, argsU64(12)) {
		t.Fatalf("a read-only call changed the counter: %x", got)
	}
	ro, err = h.core.ExecuteReadOnlyCall(sc, "noSuchFunction", nil, maxGasCall, nil, nil, nil)
	if err != nil || !strings.Contains(ro.Error, "noSuchFunction") || ro.GasCost != 0 {
		t.Fatalf("read-only call of a missing function: %v %+v", err, ro)
	}
	ro, err = h.core.ExecuteReadOnlyCall(h.user, "increment", nil, maxGasCall, nil, nil, nil)
	if err != nil || !strings.Contains(ro.Error, "not a smart contract") {
		t.Fatalf("read-only call of a user address: %v %+v", err, ro)
	}

	// sendCoins to a fresh address: 0.1 MAS arrives as 0.099.
	fresh := addrOf(testKey(99, -1))
	send := h.callSC(3, sc, "sendCoins", append(argsString(fresh.String()), argsU64(uint64(mas("0.1")))...), 0, 100_000_000)
	h.runBlock(3, send)
	h.opEvents(send, true)
	h.mustBalance(fresh, mas("0.099"))

	// callOther(self, 1): a cross-contract call into increment, 12 -> 13.
	other := h.callSC(4, sc, "callOther", append(argsString(sc.String()), argsU64(1)...), 0, 200_000_000)
	h.runBlock(4, other)
	evs = h.opEvents(other, true)
	if last := evs[len(evs)-1].Data; last != fmt.Sprintf("callOther:%s->14", sc) {
		// sendCoins bumped the counter to 13, callOther's increment to 14.
		t.Fatalf("callOther events %+v", evs)
	}
	if cs := evs[0].Context.CallStack; len(cs) != 3 || cs[1] != sc || cs[2] != sc {
		t.Fatalf("nested call stack %v", cs)
	}

	// A failing call: scheduleMessage with less gas than send_message's
	// 40e6 ABI cost, 1 MAS sent along. Fee paid, nothing else, error
	// event with the reason.
	userBefore, _ := h.balance(h.user)
	fail := h.callSC(5, sc, "scheduleMessage", nil, mas("1"), 30_000_000)
	h.runBlock(5, fail)
	evs = h.opEvents(fail, false)
	var e map[string]string
	if err := json.Unmarshal([]byte(evs[len(evs)-1].Data), &e); err != nil || !strings.Contains(e["massa_execution_error"], "not enough gas, limit reached at: assembly_script_send_message") {
		t.Fatalf("error event %q", evs[len(evs)-1].Data)
	}
	h.mustBalance(h.user, userBefore-mas("0.01"))
	if got := h.datastore(sc, "counter"); !bytes.Equal(got, argsU64(14)) {
		t.Fatalf("failed call changed the counter: %x", got)
	}
}

func TestAsyncMessage(t *testing.T) {
	h := newSCHarness(t)
	sc, _ := h.deployMain(1)
	sched := h.callSC(2, sc, "scheduleMessage", nil, 0, 200_000_000)
	h.runBlock(2, sched)
	evs := h.opEvents(sched, true)
	if evs[0].Data != "scheduleMessage:from=2/0,start=4,end=14" {
		t.Fatalf("schedule event %q", evs[0].Data)
	}
	// The message waits in the pool until its validity start (4, 0).
	h.finalizeTo(types.Slot{Period: 3, Thread: 1})
	if _, ok, _, _, _ := h.core.DatastoreEntry(sc, []byte("async_received")); ok {
		t.Fatal("message ran before its validity start")
	}
	h.finalizeTo(types.Slot{Period: 4, Thread: 0})
	if got := h.datastore(sc, "async_received"); !bytes.Equal(got, argsU64(1)) {
		t.Fatalf("async_received %x", got)
	}
	start := types.Slot{Period: 4}
	got := h.core.Events(EventFilter{Start: &start, EmitterAddress: &sc})
	if len(got) != 1 || got[0].Data != "onAsyncMessage:sentAt=2,now=4/0,count=1" || got[0].Context.OriginOperationID != nil {
		t.Fatalf("async events %+v", got)
	}
	if cs := got[0].Context.CallStack; len(cs) != 2 || cs[0] != sc || cs[1] != sc {
		t.Fatalf("async call stack %v", cs)
	}
	// It ran once and left the pool, which persists across a restart.
	h.reopen()
	h.finalizeTo(types.Slot{Period: 6, Thread: 1})
	if got := h.datastore(sc, "async_received"); !bytes.Equal(got, argsU64(1)) {
		t.Fatalf("async_received after more slots %x", got)
	}
	if n := len(h.core.finalAsync); n != 0 {
		t.Fatalf("%d messages left in the pool", n)
	}
}

func TestAsyncMessageExpiresAndSurvivesRestart(t *testing.T) {
	h := newSCHarness(t)
	sc, _ := h.deployMain(1)
	// Args: delay 3, max gas 10M, fee 0.5 MAS... no: fee in raw units
	// 1000, window 1: valid from (5,0) to (6,0).
	args := slices.Concat(argsU64(3), argsU64(10_000_000), argsU64(1000), argsU64(1))
	sched := h.callSC(2, sc, "scheduleMessage", args, 0, 200_000_000)
	h.runBlock(2, sched)
	h.opEvents(sched, true)
	if n := len(h.core.finalAsync); n != 1 {
		t.Fatalf("%d messages in the pool, want 1", n)
	}
	// The pool is in the store: a restart reloads it.
	h.reopen()
	if n := len(h.core.finalAsync); n != 1 {
		t.Fatalf("%d messages after restart, want 1", n)
	}
	h.finalizeTo(types.Slot{Period: 7, Thread: 1})
	if got := h.datastore(sc, "async_received"); !bytes.Equal(got, argsU64(1)) {
		t.Fatalf("async_received %x", got)
	}
	if n := len(h.core.finalAsync); n != 0 {
		t.Fatalf("%d messages left", n)
	}
}

// loopWasm is a hand-written module whose main loops forever:
//
//	(module (memory (export "memory") 1) (func (export "main") (loop (br 0))))
var loopWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
	0x03, 0x02, 0x01, 0x00, // function 0: type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1
	0x07, 0x11, 0x02, // exports:
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory" = memory 0
	0x04, 'm', 'a', 'i', 'n', 0x00, 0x00, // "main" = function 0
	0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // code
}

// TestRunawayLoopStoppedByGas runs an infinite loop in ExecuteSC on two
// independent nodes: both stop it at the gas limit, with the same error
// and the same final state.
func TestRunawayLoopStoppedByGas(t *testing.T) {
	var fingerprints []crypto.Hash
	var messages []string
	for range 2 {
		h := newSCHarness(t)
		op := signed(h.key, types.Operation{Fee: mas("0.01"), ExpirePeriod: 5, Type: types.OpExecuteSC, SC: &types.SCFields{MaxGas: 50_000_000, Bytecode: loopWasm}})
		h.runBlock(1, op)
		evs := h.opEvents(op, false)
		messages = append(messages, evs[len(evs)-1].Data)
		fingerprints = append(fingerprints, h.core.Fingerprint())
	}
	if !strings.Contains(messages[0], "not enough gas") {
		t.Fatalf("error event %q", messages[0])
	}
	if messages[0] != messages[1] || fingerprints[0] != fingerprints[1] {
		t.Fatalf("not deterministic: %q / %q, %s / %s", messages[0], messages[1], fingerprints[0], fingerprints[1])
	}
}

func TestSCFailuresRollBack(t *testing.T) {
	h := newSCHarness(t)
	sc, _ := h.deployMain(1)
	// The constructor refuses to run outside a deployment.
	ctor := h.callSC(2, sc, "constructor", argsU64(1), 0, 100_000_000)
	// sendCoins of more than the contract has.
	tooMuch := h.callSC(2, sc, "sendCoins", append(argsString(h.user.String()), argsU64(uint64(mas("1000")))...), 0, 100_000_000)
	// CallSC on a user address, and a wasmv1 bytecode in ExecuteSC.
	notSC := h.callSC(2, h.user, "increment", nil, 0, 100_000_000)
	v1 := signed(h.key, types.Operation{Fee: mas("0.01"), ExpirePeriod: 5, Type: types.OpExecuteSC, SC: &types.SCFields{MaxGas: 50_000_000, Bytecode: []byte{1, 0, 0x61, 0x73, 0x6d}}})
	h.runBlock(2, ctor, tooMuch, notSC, v1)
	for op, want := range map[*types.SignedOperation]string{
		ctor:    "constructor: only at deployment",
		tooMuch: "insufficient balance",
		notSC:   "is not a smart contract address",
		v1:      "wasmv1",
	} {
		evs := h.opEvents(op, false)
		if data := evs[len(evs)-1].Data; !strings.Contains(data, want) {
			t.Errorf("error event %q does not say %q", data, want)
		}
	}
	if got := h.datastore(sc, "counter"); !bytes.Equal(got, argsU64(7)) {
		t.Fatalf("counter %x", got)
	}
}

// BenchmarkCallStorageWrite measures CallSC increment operations executed
// per second (each reads and writes the counter and emits an event), 100
// per block.
func BenchmarkCallStorageWrite(b *testing.B) {
	h := newSCHarness(b)
	sc, _ := h.deployMain(1)
	const perBlock = 100
	period := uint64(2)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(perBlock, b.N-done)
		ops := make([]*types.SignedOperation, n)
		for i := range ops {
			ops[i] = h.callSC(period, sc, "increment", argsU64(uint64(done+i)), 0, 20_000_000)
		}
		h.nextID++
		blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf(fmt.Appendf(nil, "bench %d", h.nextID))), Slot: types.Slot{Period: period}, Creator: h.producer, Operations: ops}
		b.StartTimer()
		h.finalizeTo(types.Slot{Period: period}, blk)
		done += n
		period++
	}
}

// TestSCSpeculativeReorg runs a contract call and its asynchronous message
// in candidate slots, switches the clique under them, then finalizes: the
// state equals direct finalization. Read-only calls run concurrently
// (meaningful under -race).
func TestSCSpeculativeReorg(t *testing.T) {
	h := newSCHarness(t)
	sc, deployOp := h.deployMain(1)
	deployBlock := h.core.Events(EventFilter{OriginalOperationID: &deployOp.ID})[0].Context.Block

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			ro, err := h.core.ExecuteReadOnlyCall(sc, "getCounter", nil, maxGasCall, nil, nil, nil)
			if err != nil || ro.Error != "" || len(ro.Result) != 8 {
				t.Errorf("concurrent read-only: %v %+v", err, ro)
				return
			}
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()

	s2 := types.Slot{Period: 2}
	sched := h.callSC(2, sc, "scheduleMessage", nil, 0, 200_000_000)
	inc := h.callSC(2, sc, "increment", argsU64(100), 0, 100_000_000)
	bSched := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("sched"))), Slot: s2, Creator: h.producer, Operations: []*types.SignedOperation{sched}}
	bInc := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte("inc"))), Slot: s2, Creator: h.producer, Operations: []*types.SignedOperation{inc}}

	no := false
	asyncEvents := func() int {
		n := 0
		for _, e := range h.core.Events(EventFilter{IsFinal: &no, EmitterAddress: &sc}) {
			if strings.HasPrefix(e.Data, "onAsyncMessage:") {
				n++
			}
		}
		return n
	}
	// Candidate execution up to (5, 1): the message runs at (4, 0).
	h.core.UpdateBlockclique(nil, []*BlockToExecute{bSched}, nil)
	if _, err := h.core.Run(h.cfg.SlotTimestamp(types.Slot{Period: 5, Thread: 1})); err != nil {
		t.Fatal(err)
	}
	if n := asyncEvents(); n != 1 {
		t.Fatalf("%d candidate onAsyncMessage events, want 1", n)
	}
	if _, _, v, ok, _ := h.core.DatastoreEntry(sc, []byte("async_received")); !ok || !bytes.Equal(v, argsU64(1)) {
		t.Fatalf("candidate async_received %x %v", v, ok)
	}
	// The clique switches: no message any more, the increment instead.
	h.core.UpdateBlockclique(nil, []*BlockToExecute{bInc}, nil)
	if _, err := h.core.Run(h.cfg.SlotTimestamp(types.Slot{Period: 5, Thread: 1})); err != nil {
		t.Fatal(err)
	}
	if n := asyncEvents(); n != 0 {
		t.Fatalf("%d onAsyncMessage events after the reorg", n)
	}
	if _, _, v, _, _ := h.core.DatastoreEntry(sc, []byte("counter")); !bytes.Equal(v, argsU64(107)) {
		t.Fatalf("candidate counter %x", v)
	}
	// And back to the message, which then becomes final.
	h.core.UpdateBlockclique(nil, []*BlockToExecute{bSched}, nil)
	h.finalizeTo(types.Slot{Period: 5, Thread: 1}, bSched)
	if got := h.datastore(sc, "async_received"); !bytes.Equal(got, argsU64(1)) {
		t.Fatalf("final async_received %x", got)
	}

	// Direct finalization of the same blocks on a fresh node.
	h2 := newSCHarness(t)
	sc2, _ := h2.deployMainWithBlockID(1, *deployBlock)
	if sc2 != sc {
		t.Fatalf("contract address %s vs %s", sc2, sc)
	}
	h2.finalizeTo(types.Slot{Period: 5, Thread: 1}, bSched)
	if h.core.Fingerprint() != h2.core.Fingerprint() {
		t.Fatal("speculative path and direct finalization disagree")
	}
}

// deployMainWithBlockID deploys like deployMain in a block with the given
// id (the id feeds the trail hash, hence the contract address).
func (h *scHarness) deployMainWithBlockID(period uint64, id types.BlockID) (types.Address, *types.SignedOperation) {
	h.t.Helper()
	wasm := readContract(h.t, "main.wasm")
	coins := mas("1")
	maxCoins := mas("0.0001")*types.Amount(len(wasm)+10) + coins
	op := h.executeSC(period, readContract(h.t, "web3-deployer.wasm"), deployDatastore(wasm, argsU64(7), coins), maxCoins)
	slot := types.Slot{Period: period}
	h.finalizeTo(slot, &BlockToExecute{ID: id, Slot: slot, Creator: h.producer, Operations: []*types.SignedOperation{op}})
	evs := h.opEvents(op, true)
	return deployedAddress(h.t, evs[len(evs)-1]), op
}

func TestDeferredCall(t *testing.T) {
	h := newSCHarness(t)
	sc, _ := h.deploy(1, "deferred.wasm")
	balBefore, _ := h.balance(sc)
	sched := h.callSC(2, sc, "schedule", nil, 0, 100_000_000)
	h.runBlock(2, sched)
	evs := h.opEvents(sched, true)
	var id, price string
	for _, part := range strings.Split(strings.TrimPrefix(evs[0].Data, "deferred:"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "id":
			id = v
		case "price":
			price = v
		case "exists":
			if v != "true" {
				t.Fatalf("event %q", evs[0].Data)
			}
		}
	}
	if !strings.HasPrefix(id, "D") || price == "" || price == "0" {
		t.Fatalf("schedule event %q", evs[0].Data)
	}
	slot, index, err := parseDeferredCallID(id, 2)
	if err != nil || slot != (types.Slot{Period: 7}) || index != 0 {
		t.Fatalf("id %s: slot %s index %d err %v", id, slot, index, err)
	}
	balAfter, _ := h.balance(sc)
	if fmt.Sprint(uint64(balBefore-balAfter)) != price {
		t.Fatalf("contract paid %d, quoted %s", balBefore-balAfter, price)
	}
	h.finalizeTo(types.Slot{Period: 6, Thread: 1})
	if got := h.datastore(sc, "deferred_count"); !bytes.Equal(got, argsU64(0)) {
		t.Fatalf("ran early: %x", got)
	}
	h.reopen() // the registry is in the store
	h.finalizeTo(types.Slot{Period: 7})
	if got := h.datastore(sc, "deferred_count"); !bytes.Equal(got, argsU64(1)) {
		t.Fatalf("deferred_count %x", got)
	}
	start := types.Slot{Period: 7}
	got := h.core.Events(EventFilter{Start: &start, EmitterAddress: &sc})
	if len(got) != 1 || got[0].Data != "onDeferred:sentAt=2,count=1" {
		t.Fatalf("events %+v", got)
	}
	// The storage part of the fee came back.
	balFinal, _ := h.balance(sc)
	if refund := balFinal - balAfter; refund <= 0 {
		t.Fatalf("no storage refund: %d", refund)
	}
	if len(h.core.finalDeferred.bySlot) != 0 || h.core.finalDeferred.gas != 0 {
		t.Fatalf("registry not empty: %+v", h.core.finalDeferred)
	}
}
