package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// fakeNode is a tiny node behind the real API registry and servers, so the
// client is tested against the same parameter decoding a node uses.
type fakeNode struct {
	mu       sync.Mutex
	status   api.NodeStatus
	nodeKey  *crypto.SecretKey
	balances map[types.Address]types.Amount
	sent     []*types.SignedOperation
	staking  []*crypto.SecretKey
	removed  []types.Address
	stopped  bool
	banned   []string
	bootWL   []string
	requests map[string][]json.RawMessage // method -> raw params of each call
}

func newFakeNode(t *testing.T) *fakeNode {
	k, err := crypto.GenerateKey(nil)
	require.NoError(t, err)
	last := types.Slot{Period: 100, Thread: 5}
	return &fakeNode{
		nodeKey:  k,
		balances: make(map[types.Address]types.Amount),
		requests: make(map[string][]json.RawMessage),
		status: api.NodeStatus{
			NodeID:      k.Public().NodeID(),
			Version:     "SAND.5.0",
			CurrentTime: 1_700_000_000_000,
			LastSlot:    &last,
			NextSlot:    types.Slot{Period: 100, Thread: 6},
			ConnectedNodes: map[string][2]any{
				"N1": {"10.0.0.1", true},
			},
			Config: api.CompactConfig{
				GenesisTimestamp: 1_699_000_000_000, ThreadCount: 32, T0: 16000, DeltaF0: 1088,
				OperationValidityPeriods: 10, PeriodsPerCycle: 128,
				BlockReward: types.MustAmount("0.40001"), RollPrice: types.MustAmount("100"), MaxBlockSize: 300_000,
			},
			ChainID:           77,
			MinimalFees:       types.MustAmount("0.01"),
			CurrentMIPVersion: 1,
		},
	}
}

// --- api.PublicBackend ---

func (f *fakeNode) Status(context.Context) (api.NodeStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status, nil
}

func (f *fakeNode) Addresses(_ context.Context, addrs []types.Address) ([]api.AddressInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]api.AddressInfo, len(addrs))
	for i, a := range addrs {
		rolls := uint64(2)
		out[i] = api.AddressInfo{
			Address: a, Thread: a.Thread(32),
			FinalBalance: f.balances[a], CandidateBalance: f.balances[a],
			FinalRollCount: 1, CandidateRollCount: 2,
			DeferredCredits: []api.DeferredCredit{{Slot: types.Slot{Period: 300, Thread: 1}, Amount: types.MustAmount("100")}},
			CycleInfos:      []api.CycleInfo{{Cycle: 0, IsFinal: true, OKCount: 3}, {Cycle: 1, ActiveRolls: &rolls}},
		}
	}
	return out, nil
}

func (f *fakeNode) Operations(_ context.Context, ids []types.OperationID) ([]api.OperationInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []api.OperationInfo
	for _, id := range ids {
		for _, so := range f.sent {
			if so.ID == id {
				out = append(out, api.OperationInfo{ID: id, InPool: true, InBlocks: []types.BlockID{}, Thread: so.Thread(32), Operation: so.JSON()})
			}
		}
	}
	return out, nil
}

func (f *fakeNode) Endorsements(_ context.Context, ids []types.EndorsementID) ([]api.EndorsementInfo, error) {
	out := []api.EndorsementInfo{}
	for _, id := range ids {
		if id != (types.EndorsementID{9}) {
			continue
		}
		out = append(out, api.EndorsementInfo{ID: id, InBlocks: []types.BlockID{{2}}, IsFinal: true, Endorsement: map[string]any{
			"content":                 map[string]any{"slot": types.Slot{Period: 4, Thread: 1}, "index": 3, "endorsed_block": types.BlockID{2}},
			"content_creator_address": "AU12XCeCosjVv13VADNQ8c5fN9ZkZP2UsbPoqfZv3gyqLim5HMzdL",
		}})
	}
	return out, nil
}

func (f *fakeNode) Blocks(_ context.Context, ids []types.BlockID) ([]api.BlockInfo, error) {
	out := []api.BlockInfo{}
	for _, id := range ids {
		if id != (types.BlockID{2}) {
			continue
		}
		out = append(out, api.BlockInfo{ID: id, Content: &api.BlockInfoContent{IsFinal: true, IsInBlockclique: true, Block: map[string]any{
			"header": map[string]any{
				"content": map[string]any{"current_version": 1, "announced_version": nil, "slot": types.Slot{Period: 4, Thread: 1},
					"parents": []types.BlockID{{1}, {3}}, "endorsements": []any{}, "denunciations": []any{}},
				"content_creator_address": "AU12XCeCosjVv13VADNQ8c5fN9ZkZP2UsbPoqfZv3gyqLim5HMzdL",
				"content_creator_pub_key": f.nodeKey.Public(),
			},
			"operations": []types.OperationID{{5}},
		}}})
	}
	return out, nil
}

func (f *fakeNode) BlockcliqueBlockBySlot(context.Context, types.Slot) (any, error) { return nil, nil }

func (f *fakeNode) GraphInterval(context.Context, *uint64, *uint64) ([]api.BlockSummary, error) {
	return nil, nil
}

func (f *fakeNode) Cliques(context.Context) ([]api.Clique, error) {
	return []api.Clique{{BlockIDs: []types.BlockID{{1}}, Fitness: 17, IsBlockclique: true}}, nil
}

func (f *fakeNode) Stakers(_ context.Context, page *api.PageRequest) ([][2]any, error) {
	out := [][2]any{{"AU12XCeCosjVv13VADNQ8c5fN9ZkZP2UsbPoqfZv3gyqLim5HMzdL", 100}}
	if page != nil && page.Offset > 0 {
		return [][2]any{}, nil
	}
	return out, nil
}

func (f *fakeNode) DatastoreEntries(_ context.Context, in []api.DatastoreEntryInput) ([]api.DatastoreEntryOutput, error) {
	out := make([]api.DatastoreEntryOutput, len(in))
	for i, e := range in {
		v := api.Bytes("value of " + string(e.Key))
		out[i] = api.DatastoreEntryOutput{FinalValue: &v}
	}
	return out, nil
}

func (f *fakeNode) AddressesBytecode(context.Context, []api.AddressBytecodeInput) ([]api.Bytes, error) {
	return nil, nil
}

func (f *fakeNode) AddressesDatastoreKeys(context.Context, []api.DatastoreKeysInput) ([]api.DatastoreKeysOutput, error) {
	return nil, nil
}

func (f *fakeNode) SendOperations(_ context.Context, ops []*types.SignedOperation) ([]types.OperationID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]types.OperationID, len(ops))
	for i, so := range ops {
		if !so.VerifySignature() {
			return nil, api.BadRequest("operation %d: bad signature", i)
		}
		f.sent = append(f.sent, so)
		ids[i] = so.ID
	}
	return ids, nil
}

func (f *fakeNode) FilteredEvents(_ context.Context, flt api.EventFilter) ([]api.SCOutputEvent, error) {
	return []api.SCOutputEvent{{Context: api.EventContext{Slot: types.Slot{Period: 3}, IsFinal: true}, Data: "hello <world>"}}, nil
}

func (f *fakeNode) ExecuteReadOnlyBytecode(_ context.Context, in []api.ReadOnlyBytecodeInput) ([]api.ReadOnlyResult, error) {
	return []api.ReadOnlyResult{{Result: map[string]any{"Ok": api.Bytes("ok")}, GasCost: uint64(len(in[0].Bytecode))}}, nil
}

func (f *fakeNode) ExecuteReadOnlyCall(_ context.Context, in []api.ReadOnlyCallInput) ([]api.ReadOnlyResult, error) {
	return []api.ReadOnlyResult{{Result: map[string]any{"Error": "no function " + in[0].TargetFunction}, GasCost: 7}}, nil
}

func (f *fakeNode) ChainID() uint64 { return 77 }

// --- api.PrivateBackend ---

func (f *fakeNode) Stop(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	return nil
}

func (f *fakeNode) SignMessage(_ context.Context, msg []byte) (api.PubkeySig, error) {
	return api.PubkeySig{PublicKey: f.nodeKey.Public(), Signature: f.nodeKey.Sign(crypto.HashOf(msg))}, nil
}

func (f *fakeNode) AddStakingKeys(_ context.Context, keys []*crypto.SecretKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.staking = append(f.staking, keys...)
	return nil
}

func (f *fakeNode) RemoveStakingAddresses(_ context.Context, addrs []types.Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, addrs...)
	return nil
}

func (f *fakeNode) StakingAddresses(context.Context) ([]types.Address, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []types.Address{}
	for _, k := range f.staking {
		out = append(out, types.AddressOf(k.Public()))
	}
	return out, nil
}

func (f *fakeNode) BanByID(_ context.Context, ids []crypto.PublicKey, ban bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.banned = append(f.banned, strconv.FormatBool(ban)+":"+id.NodeID())
	}
	return nil
}

func (f *fakeNode) BanByIP(context.Context, []net.IP, bool) error {
	return api.BadRequest("This request is currently not available")
}

func (f *fakeNode) PeersWhitelist(context.Context) ([]string, error) {
	return nil, api.BadRequest("This request is currently not available")
}

func (f *fakeNode) EditPeersWhitelist(context.Context, []net.IP, bool) error {
	return api.BadRequest("This request is currently not available")
}

func (f *fakeNode) BootstrapList(_ context.Context, white bool) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if white {
		return append([]string{}, f.bootWL...), nil
	}
	return []string{}, nil
}

func (f *fakeNode) EditBootstrapList(_ context.Context, white bool, ips []net.IP, add bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if white && add {
		for _, ip := range ips {
			f.bootWL = append(f.bootWL, ip.String())
		}
	}
	return nil
}

func (f *fakeNode) BootstrapWhitelistAllowAll(context.Context) error { return nil }

// record wraps a server to keep each request's params by method.
func (f *fakeNode) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(body, &req) == nil {
			f.mu.Lock()
			f.requests[req.Method] = append(f.requests[req.Method], req.Params)
			f.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

func (f *fakeNode) lastParams(t *testing.T, method string) json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.requests[method]
	require.NotEmpty(t, rs, "no %s request", method)
	return rs[len(rs)-1]
}

// testEnv is a fake node on two loopback ports and a client home.
type testEnv struct {
	t        *testing.T
	node     *fakeNode
	home     string
	nodeHome string
	token    string
	pubPort  string
	privPort string
	password string
}

const testToken = "test-token-0123456789"

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	node := newFakeNode(t)
	reg := api.NewRegistry()
	api.RegisterPublic(reg, node)
	api.RegisterPrivate(reg, node)
	pub := httptest.NewServer(node.record(api.NewServer(api.Public, reg, api.DefaultLimits(), nil, "")))
	t.Cleanup(pub.Close)
	priv := httptest.NewServer(node.record(api.NewServer(api.Private, reg, api.DefaultLimits(), nil, testToken)))
	t.Cleanup(priv.Close)

	dir := t.TempDir()
	e := &testEnv{t: t, node: node, home: filepath.Join(dir, "client"), nodeHome: filepath.Join(dir, "node"),
		token: testToken, pubPort: port(t, pub.URL), privPort: port(t, priv.URL), password: "pw"}
	require.NoError(t, os.MkdirAll(filepath.Join(e.nodeHome, "config"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(e.nodeHome, "config", "api_token"), []byte(testToken+"\n"), 0o600))
	return e
}

func port(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Port()
}

// flags are the invocation flags pointing at the fake node.
func (e *testEnv) flags() []string {
	return []string{"--home", e.home, "--ip", "127.0.0.1", "--public-port", e.pubPort, "--private-port", e.privPort,
		"--node-home", e.nodeHome, "-p", e.password}
}

// run runs massa-client once and returns stdout, stderr and the exit code.
func (e *testEnv) run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append(e.flags(), args...), IO{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Env: func(string) string { return "" }, HomeDir: e.t.TempDir(),
	})
	return out.String(), errOut.String(), code
}

// session returns a Session on the env, for several commands on one wallet.
func (e *testEnv) session(extra ...string) (*Session, *bytes.Buffer) {
	var errOut bytes.Buffer
	opts, err := ParseOptions(append(e.flags(), extra...), func(string) string { return "" }, e.t.TempDir(), &errOut)
	require.NoError(e.t, err)
	return NewSession(opts, &errOut), &errOut
}

// jsonOut runs a command with --json, requires success and decodes stdout.
func (e *testEnv) jsonOut(v any, args ...string) {
	e.t.Helper()
	out, errOut, code := e.run(append([]string{"--json"}, args...)...)
	require.Equal(e.t, 0, code, "stdout %s\nstderr %s", out, errOut)
	require.NoError(e.t, json.Unmarshal([]byte(out), v), "stdout %s", out)
}
