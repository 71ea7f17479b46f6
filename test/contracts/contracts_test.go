package contracts

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

// sandboxChainID is the chain id of a sandbox node.
const sandboxChainID = 77

// callGas is the max_gas of each CallSC: far below a block's budget, so a
// runaway contract costs little, far above what the good calls need.
const callGas = 100_000_000

// rpc is a minimal JSON-RPC client of the public API.
type rpc struct {
	t   *testing.T
	url string
	id  int
}

func (r *rpc) call(method string, params any, out any) {
	r.t.Helper()
	p, err := json.Marshal(params)
	if err != nil {
		r.t.Fatal(err)
	}
	r.id++
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, r.id, method, p)
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Post(r.url, "application/json", strings.NewReader(body))
	if err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	var res struct {
		Result json.RawMessage `json:"result"`
		Error  *api.Error      `json:"error"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		r.t.Fatalf("%s: %v: %.300s", method, err, b)
	}
	if res.Error != nil {
		r.t.Fatalf("%s: %v", method, res.Error)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result, out); err != nil {
			r.t.Fatalf("%s: %v: %.300s", method, err, res.Result)
		}
	}
}

// period is the current period of the node (get_status last_slot).
func (r *rpc) period() uint64 {
	r.t.Helper()
	var st struct {
		LastSlot *types.Slot `json:"last_slot"`
	}
	r.call("get_status", []any{}, &st)
	if st.LastSlot == nil {
		return 0
	}
	return st.LastSlot.Period
}

// send signs and sends op, returning its id.
func (r *rpc) send(key *crypto.SecretKey, op types.Operation) types.OperationID {
	r.t.Helper()
	op.Fee = types.MustAmount("0.01")
	op.ExpirePeriod = r.period() + 8
	so := types.SignOperation(op, key, sandboxChainID)
	in := api.OperationInput{CreatorPublicKey: so.Creator.String(), Signature: so.Signature.String(), SerializedContent: so.Content}
	var ids []string
	r.call("send_operations", []any{[]api.OperationInput{in}}, &ids)
	if len(ids) != 1 || ids[0] != so.ID.String() {
		r.t.Fatalf("send_operations returned %v, want [%s]", ids, so.ID)
	}
	return so.ID
}

// events waits (speculative execution suffices) until op has produced
// events and returns them.
func (r *rpc) events(op types.OperationID, d time.Duration) []api.SCOutputEvent {
	r.t.Helper()
	id := op.String()
	deadline := time.Now().Add(d)
	for {
		var evs []api.SCOutputEvent
		r.call("get_filtered_sc_output_event", []any{api.EventFilter{OriginalOperationID: &id}}, &evs)
		if len(evs) > 0 {
			return evs
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no event for operation %s within %s", id, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func u64Key(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// deployOp is the ExecuteSC that massa-web3's SmartContract.deploy sends:
// its deployer bytecode with the contract in the operation datastore
// (ABI.md, "The web3 deployer protocol"), no constructor args and 1 MAS
// for the contract, which pays for the storage it writes.
func deployOp(deployer, wasm []byte) types.Operation {
	coins := types.MustAmount("1")
	one := u64Key(1)
	argsKey := append(binary.LittleEndian.AppendUint32(slices.Clone(one), 1), 0)
	coinsKey := append(binary.LittleEndian.AppendUint32(slices.Clone(one), 1), 1)
	ds := []types.DatastoreEntry{
		{Key: []byte{0}, Value: u64Key(1)},
		{Key: one, Value: wasm},
		{Key: argsKey, Value: []byte{}},
		{Key: coinsKey, Value: u64Key(uint64(coins))},
	}
	slices.SortFunc(ds, func(a, b types.DatastoreEntry) int { return bytes.Compare(a.Key, b.Key) })
	// web3's max_coins: 0.0001 MAS per byte of bytecode, plus 10 bytes,
	// plus the coins.
	maxCoins := types.MustAmount("0.0001")*types.Amount(len(wasm)+10) + coins
	return types.Operation{Type: types.OpExecuteSC, SC: &types.SCFields{MaxGas: 3_980_167_295, MaxCoins: maxCoins, Bytecode: deployer, Datastore: ds}}
}

// deployedAddress reads the last deploy event as massa-web3 does: base64 of
// Args(Array<string>), first element.
func deployedAddress(t *testing.T, evs []api.SCOutputEvent) types.Address {
	t.Helper()
	last := evs[len(evs)-1]
	if last.Context.IsError {
		t.Fatalf("deploy failed: %s", last.Data)
	}
	raw, err := base64.StdEncoding.DecodeString(last.Data)
	if err != nil || len(raw) < 8 {
		t.Fatalf("last deploy event %q is not base64 Args: %v", last.Data, err)
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

// section is a wasm section: id, size, payload.
func section(id byte, payload ...byte) []byte {
	return append(binary.AppendUvarint([]byte{id}, uint64(len(payload))), payload...)
}

func wasmName(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// unknownImportWasm exports main, which calls massa.<name>: an import no
// Massa host provides.
func unknownImportWasm(name string) []byte {
	m := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	m = append(m, section(1, 0x01, 0x60, 0x00, 0x00)...) // type 0: () -> ()
	imp := append(append([]byte{0x01}, wasmName("massa")...), wasmName(name)...)
	m = append(m, section(2, append(imp, 0x00, 0x00)...)...) // func 0 = import, type 0
	m = append(m, section(3, 0x01, 0x00)...)                 // func 1: type 0
	m = append(m, section(5, 0x01, 0x00, 0x01)...)           // memory: min 1
	exp := append([]byte{0x02}, wasmName("memory")...)
	exp = append(exp, 0x02, 0x00)
	exp = append(append(exp, wasmName("main")...), 0x00, 0x01)
	m = append(m, section(7, exp...)...)
	body := []byte{0x00, 0x10, 0x00, 0x0b} // no locals; call 0; end
	m = append(m, section(10, append([]byte{0x01, byte(len(body))}, body...)...)...)
	return m
}

func readWasm(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failure returns the error event of a failed operation.
func failure(t *testing.T, what string, evs []api.SCOutputEvent) string {
	t.Helper()
	last := evs[len(evs)-1]
	if !last.Context.IsError {
		t.Errorf("%s: the operation did not fail; events: %+v", what, evs)
		return ""
	}
	if !strings.Contains(last.Data, "massa_execution_error") {
		t.Errorf("%s: error event %q has no massa_execution_error", what, last.Data)
	}
	return last.Data
}

func TestOwnContracts(t *testing.T) {
	dir := os.Getenv("OWN_CONTRACTS_DIR")
	if dir == "" {
		t.Skip("OWN_CONTRACTS_DIR not set (run scripts/build-contracts.sh, or scripts/conformance.sh)")
	}
	good := readWasm(t, filepath.Join(dir, "good.wasm"))
	bad := readWasm(t, filepath.Join(dir, "bad.wasm"))
	deployer := readWasm(t, filepath.Join(testnode.ModuleRoot(), "internal", "vm", "testdata", "web3-deployer.wasm"))

	home := t.TempDir()
	node := testnode.Start(t, home)
	defer node.Stop(t)
	defer func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", node.Tail(40))
		}
	}()
	kb, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := crypto.ParseSecretKey(strings.TrimSpace(string(kb)))
	if err != nil {
		t.Fatal(err)
	}
	r := &rpc{t: t, url: node.PublicURL}

	goodDeploy := r.send(key, deployOp(deployer, good))
	badDeploy := r.send(key, deployOp(deployer, bad))
	goodAddr := deployedAddress(t, r.events(goodDeploy, 60*time.Second))
	badAddr := deployedAddress(t, r.events(badDeploy, 60*time.Second))
	t.Logf("good at %s, bad at %s", goodAddr, badAddr)

	callOp := func(target types.Address, fn string, param []byte) types.Operation {
		return types.Operation{Type: types.OpCallSC, SC: &types.SCFields{MaxGas: callGas, Target: target, Function: fn, Param: param}}
	}
	cases := []struct {
		name  string
		op    types.Operation
		wants []string // one of them must appear in the error
	}{
		{"loop forever", callOp(badAddr, "loopForever", nil), []string{"gas"}},
		{"allocate too much memory", callOp(badAddr, "allocateTooMuch", nil), []string{"memory", "abort", "unreachable", "gas"}},
		{"abort", callOp(badAddr, "trap", nil), []string{"deliberate trap"}},
		{"unreachable", callOp(badAddr, "unreachableTrap", nil), []string{"unreachable"}},
		{"native recursion", callOp(badAddr, "recurse", nil), []string{"stack", "depth", "gas", "exhausted"}},
		// The nested "call to X:recurseCalls: " prefixes fill the event data
		// (truncated to the max event size) before the depth reason shows.
		{"call recursion", callOp(badAddr, "recurseCalls", nil), []string{"depth", "recurseCalls: call to"}},
		{"write too much storage", callOp(badAddr, "writeTooMuch", nil), []string{"gas", "coins", "balance", "storage", "memory"}},
		{"unknown import", types.Operation{Type: types.OpExecuteSC, SC: &types.SCFields{MaxGas: callGas, Bytecode: unknownImportWasm("assembly_script_does_not_exist")}}, []string{"assembly_script_does_not_exist"}},
		{"unknown function", callOp(badAddr, "noSuchFunction", nil), []string{"noSuchFunction"}},
	}
	ids := make([]types.OperationID, len(cases))
	for i, c := range cases {
		ids[i] = r.send(key, c.op)
	}
	for i, c := range cases {
		msg := failure(t, c.name, r.events(ids[i], 60*time.Second))
		t.Logf("%s: %s", c.name, msg)
		if msg != "" && !slices.ContainsFunc(c.wants, func(w string) bool { return strings.Contains(strings.ToLower(msg), strings.ToLower(w)) }) {
			t.Errorf("%s: error %q mentions none of %q", c.name, msg, c.wants)
		}
	}

	// The node is unaffected: it answers, keeps producing slots, and the
	// good contract still works.
	before := r.period()
	inc := r.send(key, callOp(goodAddr, "increment", u64Key(0)[:0]))
	evs := r.events(inc, 60*time.Second)
	if last := evs[len(evs)-1]; last.Context.IsError || last.Data != "good:0->1" {
		t.Errorf("good increment after the bad calls: events %+v", evs)
	}
	if after := r.period(); after < before {
		t.Errorf("period went back from %d to %d", before, after)
	}
	select {
	case <-node.Done():
		t.Fatal("the node exited")
	default:
	}
}
