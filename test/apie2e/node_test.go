package apie2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

// maxBody is the node's [api] max_request_body_size in these tests, small
// enough to exceed cheaply.
const maxBody = 100_000

// genesisAddress is the address of Massa's genesis key (spec §13).
const genesisAddress = "AU12bmDrXHNzb5Ugv1PhEoq871uK6boy51bHx9wgKc6D3TLa6zyZ"

// suite is the state the subtests of TestNode share: one sandbox node.
type suite struct {
	node    *testnode.Node
	home    string
	pub     *endpoint
	priv    *endpoint
	key     *crypto.SecretKey // the sandbox staking key, funded
	addr    types.Address
	started time.Time

	transferID types.OperationID // a good transfer, sent early
	recipient  types.Address
}

// TestNode runs every API check against one sandbox node, in order: the
// checks that need the chain to advance (endorsements, execution) come
// last, and massa-client's node_stop ends the node.
func TestNode(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf("max_request_body_size = %d\n", maxBody))
	s := &suite{home: home, started: time.Now()}
	s.node = testnode.Start(t, home)
	stopped := false
	defer func() {
		if !stopped {
			s.node.Stop(t)
		}
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.node.Tail(40))
		}
	}()
	s.pub = newEndpoint(s.node.PublicURL, "")
	s.priv = newEndpoint(s.node.PrivateURL, readToken(t, home))
	s.key = sandboxKey(t, home)
	s.addr = types.AddressOf(s.key.Public())
	eventually(t, 20*time.Second, "the first slot", func() bool {
		st := getStatus(t, s.pub)
		return st.LastSlot.Period >= 1
	})

	t.Run("get_status", s.testStatus)
	t.Run("send_operations/good", s.testSendGood)
	t.Run("send_operations/bad", s.testSendBad)
	t.Run("transport", s.testTransport)
	t.Run("private", s.testPrivate)
	t.Run("shapes", s.testShapes)
	t.Run("web3 pattern", s.testWeb3Pattern)
	t.Run("massa-client", s.testClient) // sends operations, then waits for their execution
	t.Run("execution", s.testExecuted)
	t.Run("endorsements", s.testEndorsements)
	if t.Run("massa-client/node_stop", s.testClientNodeStop) {
		stopped = true
	}
	t.Logf("TestNode ran %s", time.Since(s.started).Round(time.Second))
}

func (s *suite) testStatus(t *testing.T) {
	// massa-web3 sends params [{}] to methods without arguments.
	st := decode[map[string]json.RawMessage](t, "get_status", s.pub.ok(t, "get_status", raw(`[{}]`)))
	apitest.CheckStatusShape(t, st)
	for k, want := range map[string]string{"chain_id": "77", "version": `"SAND.5.0"`, "minimal_fees": `"0.01"`} {
		if string(st[k]) != want {
			t.Errorf("get_status.%s = %s, want %s", k, st[k], want)
		}
	}
	cfg := decode[map[string]json.RawMessage](t, "config", st["config"])
	for k, want := range map[string]string{"thread_count": "32", "t0": "16000", "roll_price": `"100"`, "periods_per_cycle": "128", "operation_validity_periods": "10"} {
		if string(cfg[k]) != want {
			t.Errorf("get_status.config.%s = %s, want %s", k, cfg[k], want)
		}
	}
	// The other forms of "no params" work too.
	for _, p := range []any{nil, raw(`[]`), raw(`{}`), raw(`null`)} {
		s.pub.ok(t, "get_status", p)
	}
}

func (s *suite) expire(t testing.TB) uint64 {
	// massa-web3's default: last_slot.period + 9.
	return getStatus(t, s.pub).LastSlot.Period + 9
}

func (s *suite) testSendGood(t *testing.T) {
	s.recipient = types.AddressOf(newKey(t).Public())
	op := types.SignOperation(transfer(s.key, s.recipient, "1", "0.01", s.expire(t)), s.key, sandboxChainID)
	ids := decode[[]string](t, "send_operations", s.pub.ok(t, "send_operations", []any{[]opInput{signedInput(op)}}))
	if !slices.Equal(ids, []string{op.ID.String()}) {
		t.Fatalf("send_operations returned %v, want [%s]", ids, op.ID)
	}
	s.transferID = op.ID
	// Sending it again (a client retrying after a lost answer) is accepted
	// and names the same operation.
	again := decode[[]string](t, "send_operations", s.pub.ok(t, "send_operations", []any{[]opInput{signedInput(op)}}))
	if !slices.Equal(again, ids) {
		t.Fatalf("resend returned %v", again)
	}
	infos := decode[[]json.RawMessage](t, "get_operations", s.pub.ok(t, "get_operations", [][]string{ids}))
	if len(infos) != 1 {
		t.Fatalf("get_operations of a pooled operation: %d results", len(infos))
	}
	info := apitest.CheckFields(t, "get_operations[0]", infos[0], "id", "in_pool", "in_blocks", "is_operation_final", "thread", "operation", "op_exec_status")
	checkWeb3OpStatus(t, info)
	wrapped := apitest.CheckFields(t, "operation", info["operation"], "content", "signature", "content_creator_pub_key", "content_creator_address", "id")
	if string(wrapped["content_creator_address"]) != `"`+s.addr.String()+`"` || string(wrapped["id"]) != `"`+op.ID.String()+`"` {
		t.Errorf("operation: %s", info["operation"])
	}
	content := apitest.CheckFields(t, "operation.content", wrapped["content"], "fee", "expire_period", "op")
	tx := decode[map[string]map[string]string](t, "operation.content.op", content["op"])
	if string(content["fee"]) != `"0.01"` || len(tx) != 1 || tx["Transaction"]["recipient_address"] != s.recipient.String() || tx["Transaction"]["amount"] != "1" {
		t.Errorf("operation.content: %s, want a Transaction of 1 MAS to %s with fee 0.01", wrapped["content"], s.recipient)
	}
}

// checkWeb3OpStatus fails t if the status fields would make massa-web3
// throw: op_exec_status null with is_operation_final not null.
func checkWeb3OpStatus(t testing.TB, info map[string]json.RawMessage) {
	t.Helper()
	if string(info["op_exec_status"]) == "null" && string(info["is_operation_final"]) != "null" {
		t.Errorf("op_exec_status null with is_operation_final %s: massa-web3 throws \"unexpected status\"", info["is_operation_final"])
	}
}

func (s *suite) testSendBad(t *testing.T) {
	exp := s.expire(t)
	good := transfer(s.key, s.addr, "0.5", "0.01", exp)
	content := good.Encode()
	other := newKey(t)
	forged := signRaw(s.key, sandboxChainID, content)
	forged.Signature = other.Sign(types.OperationHash(sandboxChainID, s.key.Public(), content)).String()
	unknownType := types.AppendUvarint(types.AppendUvarint(types.MustAmount("0.01").AppendBinary(nil), exp), 7)
	lowFee := transfer(s.key, s.addr, "0.5", "0.001", exp)
	expired := transfer(s.key, s.addr, "0.5", "0.01", 0)
	future := transfer(s.key, s.addr, "0.5", "0.01", exp+100)
	poor := transfer(other, s.addr, "5", "0.01", exp)

	before := getStatus(t, s.pub).PoolStats[0]
	for _, tc := range []struct {
		name  string
		in    opInput
		code  int
		wants []string
	}{
		{"bad signature", forged, api.CodeBadRequest, []string{"operation 0", "invalid signature"}},
		{"wrong chain id", signRaw(s.key, 77658377, content), api.CodeBadRequest, []string{"invalid signature", "chain id 77"}},
		{"truncated", signRaw(s.key, sandboxChainID, content[:len(content)-2]), api.CodeBadRequest, []string{"operation 0: serialized_content", "end of input"}},
		{"empty", signRaw(s.key, sandboxChainID, nil), api.CodeBadRequest, []string{"operation 0: serialized_content"}},
		{"unknown type", signRaw(s.key, sandboxChainID, unknownType), api.CodeBadRequest, []string{"operation 0: serialized_content", "unknown type"}},
		{"trailing bytes", signRaw(s.key, sandboxChainID, append(append([]byte{}, content...), 0, 0)), api.CodeBadRequest, []string{"operation 0: serialized_content", "2 trailing bytes"}},
		{"bad key text", opInput{CreatorPublicKey: "P1nope", Signature: forged.Signature, SerializedContent: content}, api.CodeBadRequest, []string{"operation 0: creator_public_key"}},
		{"bad signature text", opInput{CreatorPublicKey: s.key.Public().String(), Signature: "nope", SerializedContent: content}, api.CodeBadRequest, []string{"operation 0: signature"}},
		{"fee below minimum", signRaw(s.key, sandboxChainID, lowFee.Encode()), api.CodePool, []string{"fee 0.001 is lower than the pool's minimum 0.01"}},
		{"expired", signRaw(s.key, sandboxChainID, expired.Encode()), api.CodePool, []string{"expire_period 0"}},
		{"too far ahead", signRaw(s.key, sandboxChainID, future.Encode()), api.CodePool, []string{fmt.Sprintf("expire_period %d", exp+100)}},
		{"sender cannot pay", signRaw(other, sandboxChainID, poor.Encode()), api.CodePool, []string{types.AddressOf(other.Public()).String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.pub.fails(t, "send_operations", []any{[]opInput{tc.in}}, tc.code, tc.wants...)
			// Nothing is stored: the id the node would give it is unknown.
			pub, err := crypto.ParsePublicKey(tc.in.CreatorPublicKey)
			if err == nil {
				id := types.OperationID(types.OperationHash(sandboxChainID, pub, tc.in.SerializedContent))
				if r := s.pub.ok(t, "get_operations", [][]string{{id.String()}}); string(r) != "[]" {
					t.Fatalf("refused operation is known: %s", r)
				}
			}
		})
	}
	// JSON-level errors name the field.
	s.pub.fails(t, "send_operations", raw(`[[{"creator_public_key":"P1","signature":"1","serialized_content":[1,256]}]]`),
		api.CodeInvalidParams, "operations[0].serialized_content", "256 is not in 0..255")
	s.pub.fails(t, "send_operations", raw(`[[{"creator_public_key":"P1","signature":"1","serialized_content":"AAEC"}]]`),
		api.CodeInvalidParams, "operations[0].serialized_content: expected an array, got a string")
	// All or nothing: a good operation sent with a bad one is not pooled.
	fresh := types.SignOperation(transfer(s.key, s.addr, "0.25", "0.01", exp), s.key, sandboxChainID)
	s.pub.fails(t, "send_operations", []any{[]opInput{signedInput(fresh), signRaw(s.key, sandboxChainID, lowFee.Encode())}},
		api.CodePool, "operation 1")
	if r := s.pub.ok(t, "get_operations", [][]string{{fresh.ID.String()}}); string(r) != "[]" {
		t.Fatalf("the good operation of a refused batch is pooled: %s", r)
	}
	// The node is unaffected.
	after := getStatus(t, s.pub)
	if after.PoolStats[0] > before {
		t.Fatalf("pool grew from %d to %d operations", before, after.PoolStats[0])
	}
}

func (s *suite) testTransport(t *testing.T) {
	e := s.pub
	check := func(status int, body []byte, wantStatus, code int, want string) {
		t.Helper()
		if status != wantStatus {
			t.Fatalf("HTTP %d, want %d: %.300s", status, wantStatus, body)
		}
		var r struct {
			Error *api.Error `json:"error"`
		}
		if err := json.Unmarshal(body, &r); err != nil || r.Error == nil || r.Error.Code != code || !strings.Contains(r.Error.Message, want) {
			t.Fatalf("answer %.300s, want code %d and %q", body, code, want)
		}
	}
	st, b := e.post(t, `{"jsonrpc":"2.0","method":"get_status","id":1`, nil)
	check(st, b, 200, api.CodeParseError, "Parse error")
	st, b = e.post(t, `"get_status"`, nil)
	check(st, b, 200, api.CodeInvalidRequest, "a request must be a JSON object")
	st, b = e.post(t, `[1]`, nil)
	if items := decode[[]json.RawMessage](t, "batch of a non-request", b); st != 200 || len(items) != 1 {
		t.Fatalf("batch [1]: HTTP %d: %s", st, b)
	} else {
		check(st, items[0], 200, api.CodeInvalidRequest, "a request must be a JSON object")
	}
	e.fails(t, "get_nothing", raw(`[]`), api.CodeMethodNotFound, "get_nothing")
	e.fails(t, "get_addresses", raw(`[[42]]`), api.CodeInvalidParams, "addresses[0]: expected a string")
	e.fails(t, "get_blocks", raw(`{"arg":"B1"}`), api.CodeInvalidParams, "block ids: expected an array, got a string")
	e.fails(t, "get_addresses", raw(`{"arg":["AU1bad"]}`), api.CodeInvalidParams, "addresses[0]")

	pad := strings.Repeat(" ", maxBody)
	st, b = e.post(t, `{"jsonrpc":"2.0","method":"get_status","id":1}`+pad, nil)
	check(st, b, http.StatusRequestEntityTooLarge, api.CodeInvalidRequest, fmt.Sprintf("larger than %d bytes ([api] max_request_body_size)", maxBody))

	batch := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"jsonrpc":"2.0","method":"get_status","params":[{}],"id":%d}`, i)
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	st, b = e.post(t, batch(16), nil)
	if answers := decode[[]json.RawMessage](t, "batch", b); st != 200 || len(answers) != 16 {
		t.Fatalf("batch of 16: HTTP %d, %d answers", st, len(answers))
	}
	st, b = e.post(t, batch(17), nil)
	check(st, b, 200, api.CodeInvalidRequest, "the limit is 16 ([api] batch_request_limit)")

	if st, b = e.post(t, `{"jsonrpc":"2.0","method":"get_status"}`, nil); st != 200 || len(b) != 0 {
		t.Fatalf("notification: HTTP %d, body %q", st, b)
	}
	if st, _ = e.post(t, `{"jsonrpc":"2.0","method":"get_status","id":1}`, map[string]string{"Content-Type": "text/plain"}); st != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: HTTP %d", st)
	}
	resp, err := http.Get(s.node.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: HTTP %d", resp.StatusCode)
	}
	// A browser wallet's preflight.
	req, _ := http.NewRequest(http.MethodOptions, s.node.PublicURL, nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Fatalf("preflight: HTTP %d, headers %v", resp.StatusCode, resp.Header)
	}
	// The node still serves.
	getStatus(t, e)
}

func (s *suite) testPrivate(t *testing.T) {
	for name, tok := range map[string]string{"no token": "", "wrong token": "not-the-token"} {
		e := newEndpoint(s.node.PrivateURL, tok)
		st, b := e.post(t, `{"jsonrpc":"2.0","method":"get_staking_addresses","id":1}`, nil)
		if st != http.StatusUnauthorized || !strings.Contains(string(b), "config/api_token") {
			t.Fatalf("%s: HTTP %d: %s", name, st, b)
		}
	}
	addrs := decode[[]string](t, "get_staking_addresses", s.priv.ok(t, "get_staking_addresses", raw(`[{}]`)))
	if !slices.Contains(addrs, s.addr.String()) {
		t.Fatalf("get_staking_addresses %v lacks the sandbox address %s", addrs, s.addr)
	}
	sig := decode[api.PubkeySig](t, "node_sign_message", s.priv.ok(t, "node_sign_message", raw(`[[104,105]]`)))
	st := decode[map[string]json.RawMessage](t, "get_status", s.pub.ok(t, "get_status", nil))
	if string(st["node_id"]) != `"`+sig.PublicKey.NodeID()+`"` || !crypto.Verify(sig.PublicKey, crypto.HashOf([]byte("hi")), sig.Signature) {
		t.Fatalf("node_sign_message: key %s (node %s), signature does not verify over blake3(message)", sig.PublicKey, st["node_id"])
	}
	s.priv.fails(t, "get_status", raw(`[{}]`), api.CodeWrongAPI, "The wrong API (either Public or Private) was called")
	s.priv.fails(t, "send_operations", raw(`[[]]`), api.CodeWrongAPI)
	s.pub.fails(t, "stop_node", nil, api.CodeWrongAPI, "The wrong API")
	s.pub.fails(t, "get_staking_addresses", nil, api.CodeWrongAPI)
	s.priv.ok(t, "node_ban_by_ip", raw(`[["192.0.2.1"]]`))
	banned := decode[api.NodeStatus](t, "get_status", s.pub.ok(t, "get_status", nil))
	if banned.NetworkStats.BannedPeerCount == 0 {
		t.Fatalf("node_ban_by_ip: get_status network_stats.banned_peer_count is 0 after banning an IP")
	}
	s.priv.ok(t, "node_unban_by_ip", raw(`[["192.0.2.1"]]`))
	s.priv.fails(t, "node_ban_by_ip", raw(`[["not-an-ip"]]`), api.CodeInvalidParams, "not an IP")
	s.priv.fails(t, "node_peers_whitelist", nil, api.CodeBadRequest, "not available")
	req, _ := http.NewRequest(http.MethodOptions, s.node.PrivateURL, nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("private preflight: HTTP %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func (s *suite) testShapes(t *testing.T) {
	fresh := types.AddressOf(newKey(t).Public())
	infos := decode[[]json.RawMessage](t, "get_addresses", s.pub.ok(t, "get_addresses", [][]string{{s.addr.String(), fresh.String()}}))
	if len(infos) != 2 {
		t.Fatalf("get_addresses: %d results", len(infos))
	}
	keys := []string{"address", "thread", "final_balance", "final_roll_count", "final_datastore_keys", "candidate_balance",
		"candidate_roll_count", "candidate_datastore_keys", "deferred_credits", "next_block_draws",
		"next_endorsement_draws", "created_blocks", "created_operations", "created_endorsements", "cycle_infos"}
	a := apitest.CheckFields(t, "get_addresses[0]", infos[0], keys...)
	f := apitest.CheckFields(t, "get_addresses[1]", infos[1], keys...)
	for k, want := range map[string]string{"final_balance": `"1000000"`, "final_roll_count": "100"} {
		if string(a[k]) != want {
			t.Errorf("sandbox address %s = %s, want %s", k, a[k], want)
		}
	}
	for k, want := range map[string]string{"final_balance": `"0"`, "candidate_balance": `"0"`, "final_roll_count": "0",
		"final_datastore_keys": "[]", "deferred_credits": "[]", "created_blocks": "[]", "next_block_draws": "[]"} {
		if string(f[k]) != want {
			t.Errorf("fresh address %s = %s, want %s", k, f[k], want)
		}
	}
	if draws := decode[[]types.Slot](t, "next_block_draws", a["next_block_draws"]); len(draws) == 0 {
		t.Error("the only staker has no next block draws")
	}
	if created := decode[[]string](t, "created_blocks", a["created_blocks"]); len(created) == 0 {
		t.Error("the only staker created no block")
	}
	for i, ci := range decode[[]json.RawMessage](t, "cycle_infos", a["cycle_infos"]) {
		apitest.CheckFields(t, fmt.Sprintf("cycle_infos[%d]", i), ci, "cycle", "is_final", "ok_count", "nok_count", "active_rolls")
	}

	stakers := decode[[][2]json.RawMessage](t, "get_stakers", s.pub.ok(t, "get_stakers", nil))
	if len(stakers) != 1 || string(stakers[0][0]) != `"`+s.addr.String()+`"` || string(stakers[0][1]) != "100" {
		t.Fatalf("get_stakers: %v", stakers)
	}
	for _, page := range []string{`[{"limit":0,"offset":0}]`, `[{"limit":18446744073709551615,"offset":18446744073709551615}]`, `[{"limit":5,"offset":1}]`} {
		if r := s.pub.ok(t, "get_stakers", raw(page)); string(r) != "[]" {
			t.Fatalf("get_stakers %s: %s", page, r)
		}
	}
	if r := s.pub.ok(t, "get_stakers", raw(`{"page_request":{"limit":18446744073709551615,"offset":0}}`)); !strings.Contains(string(r), s.addr.String()) {
		t.Fatalf("get_stakers with a huge limit: %s", r)
	}

	cliques := decode[[]json.RawMessage](t, "get_cliques", s.pub.ok(t, "get_cliques", raw(`[{}]`)))
	best := 0
	for i, c := range cliques {
		m := apitest.CheckFields(t, fmt.Sprintf("get_cliques[%d]", i), c, "block_ids", "fitness", "is_blockclique")
		if string(m["is_blockclique"]) == "true" {
			best++
		}
	}
	if best != 1 {
		t.Fatalf("%d blockcliques among %d cliques", best, len(cliques))
	}

	sums := decode[[]json.RawMessage](t, "get_graph_interval", s.pub.ok(t, "get_graph_interval", raw(`[{}]`)))
	var inClique *api.BlockSummary
	genesis := 0
	for i, raw := range sums {
		apitest.CheckFields(t, fmt.Sprintf("get_graph_interval[%d]", i), raw, "id", "is_final", "is_stale", "is_in_blockclique", "slot", "creator", "parents")
		b := decode[api.BlockSummary](t, "block summary", raw)
		if b.Slot.Period == 0 {
			genesis++
			if b.Creator.String() != genesisAddress {
				t.Errorf("genesis block %s: creator %s, want the genesis address %s", b.ID, b.Creator, genesisAddress)
			}
		} else if b.IsInBlockclique && inClique == nil {
			inClique = &b
		}
	}
	if genesis != 32 || inClique == nil {
		t.Fatalf("get_graph_interval: %d genesis blocks, blockclique block %v", genesis, inClique)
	}
	now := uint64(time.Now().UnixMilli())
	if r := decode[[]json.RawMessage](t, "get_graph_interval", s.pub.ok(t, "get_graph_interval", []any{map[string]uint64{"start": now + 3_600_000}})); len(r) != 0 {
		t.Fatalf("get_graph_interval in the future: %d blocks", len(r))
	}

	unknown := types.BlockID(crypto.HashOf([]byte("no such block"))).String()
	blocks := decode[[]json.RawMessage](t, "get_blocks", s.pub.ok(t, "get_blocks", [][]string{{inClique.ID.String(), unknown}}))
	if len(blocks) != 1 {
		t.Fatalf("get_blocks of a known and an unknown block: %d results", len(blocks))
	}
	bi := apitest.CheckFields(t, "get_blocks[0]", blocks[0], "id", "content")
	content := apitest.CheckFields(t, "get_blocks[0].content", bi["content"], "is_final", "is_in_blockclique", "is_candidate", "is_discarded", "block")
	if string(content["is_in_blockclique"]) != "true" || string(content["is_discarded"]) != "false" {
		t.Errorf("get_blocks content: %s", bi["content"])
	}
	block := apitest.CheckFields(t, "block", content["block"], "header", "operations")
	header := apitest.CheckFields(t, "block.header", block["header"], "content", "signature", "content_creator_pub_key", "content_creator_address", "id")
	apitest.CheckFields(t, "block.header.content", header["content"], "slot", "parents", "operation_merkle_root", "endorsements", "denunciations", "current_version", "announced_version")
	if string(header["id"]) != `"`+inClique.ID.String()+`"` {
		t.Errorf("block header id %s, want %s", header["id"], inClique.ID)
	}

	byslot := s.pub.ok(t, "get_blockclique_block_by_slot", []any{inClique.Slot})
	h := apitest.CheckFields(t, "get_blockclique_block_by_slot", byslot, "header", "operations")
	if !strings.Contains(string(h["header"]), inClique.ID.String()) {
		t.Errorf("get_blockclique_block_by_slot %v: %.200s", inClique.Slot, byslot)
	}
	if r := s.pub.ok(t, "get_blockclique_block_by_slot", raw(`{"arg":{"period":1000000,"thread":0}}`)); string(r) != "null" {
		t.Errorf("get_blockclique_block_by_slot of a future slot: %s", r)
	}

	addr := s.addr.String()
	if r := s.pub.ok(t, "get_datastore_entries", raw(`[[{"address":"`+addr+`","key":[1,2,3]}]]`)); string(r) != `[{"final_value":null,"candidate_value":null}]` {
		t.Errorf("get_datastore_entries: %s", r)
	}
	if r := s.pub.ok(t, "get_addresses_bytecode", raw(`[[{"address":"`+addr+`","is_final":true},{"address":"`+addr+`","is_final":false}]]`)); string(r) != `[[],[]]` {
		t.Errorf("get_addresses_bytecode: %s", r)
	}
	dk := decode[[]json.RawMessage](t, "get_addresses_datastore_keys", s.pub.ok(t, "get_addresses_datastore_keys",
		raw(`[[{"address":"`+addr+`","prefix":[],"is_final":true},{"address":"`+addr+`","prefix":[1],"is_final":false,"start_key":null,"inclusive_start_key":true,"end_key":null,"inclusive_end_key":true,"count":0}]]`)))
	if len(dk) != 2 {
		t.Fatalf("get_addresses_datastore_keys: %d results", len(dk))
	}
	for i, d := range dk {
		m := apitest.CheckFields(t, "get_addresses_datastore_keys", d, "address", "is_final", "keys")
		if string(m["keys"]) != "[]" || string(m["address"]) != `"`+addr+`"` || string(m["is_final"]) != fmt.Sprint(i == 0) {
			t.Errorf("get_addresses_datastore_keys[%d]: %s", i, d)
		}
	}
	events := decode[[]json.RawMessage](t, "get_filtered_sc_output_event", s.pub.ok(t, "get_filtered_sc_output_event", raw(`[{}]`)))
	for i, ev := range events {
		m := apitest.CheckFields(t, fmt.Sprintf("event %d", i), ev, "context", "data")
		apitest.CheckFields(t, "event context", m["context"], "slot", "block", "read_only", "index_in_slot", "call_stack", "origin_operation_id", "is_final", "is_error")
	}
	s.pub.ok(t, "get_filtered_sc_output_event", raw(`[{"start":{"period":0,"thread":0},"end":null,"emitter_address":"`+addr+`","is_final":true}]`))
	if r := s.pub.ok(t, "get_operations", [][]string{{types.OperationID(crypto.HashOf([]byte("x"))).String()}}); string(r) != "[]" {
		t.Errorf("get_operations of an unknown id: %s", r)
	}
	if r := s.pub.ok(t, "get_endorsements", [][]string{{}}); string(r) != "[]" {
		t.Errorf("get_endorsements of nothing: %s", r)
	}
	doc := apitest.CheckFields(t, "rpc.discover", s.pub.ok(t, "rpc.discover", nil), "openrpc", "info", "methods")
	if !strings.Contains(string(doc["methods"]), `"get_addresses_datastore_keys"`) {
		t.Error("rpc.discover lacks get_addresses_datastore_keys")
	}
	// A read-only call of a user address: Massa's shape, with the reason in result.Error.
	ro := s.pub.ok(t, "execute_read_only_call", raw(`[[{"max_gas":1000000,"target_address":"`+addr+`","target_function":"f","parameter":[]}]]`))
	var ros []map[string]json.RawMessage
	if err := json.Unmarshal(ro, &ros); err != nil || len(ros) != 1 {
		t.Fatalf("execute_read_only_call: %s (%v)", ro, err)
	}
	for _, f := range []string{"executed_at", "result", "output_events", "gas_cost", "state_changes"} {
		if _, ok := ros[0][f]; !ok {
			t.Errorf("execute_read_only_call result lacks %q: %s", f, ro)
		}
	}
	if !strings.Contains(string(ros[0]["result"]), `"Error":"readonly call failed: `) {
		t.Errorf("execute_read_only_call of a user address: result %s", ros[0]["result"])
	}
	s.pub.fails(t, "get_slots_transfers", raw(`[[{"period":1,"thread":0}]]`), api.CodeBadRequest, "execution traces")
}

// testWeb3Pattern calls the node the way a dapp does: one keep-alive
// connection, get_status with params [{}], pauses of 2 s between calls.
func (s *suite) testWeb3Pattern(t *testing.T) {
	e := newEndpoint(s.node.PublicURL, "")
	first := getStatus(t, e)
	time.Sleep(2 * time.Second)
	second := getStatus(t, e)
	if !first.LastSlot.Less(*second.LastSlot) {
		t.Fatalf("last_slot did not advance in 2 s: %v then %v", first.LastSlot, second.LastSlot)
	}
	e.ok(t, "get_addresses", [][]string{{s.addr.String()}})
	time.Sleep(2 * time.Second)
	infos := decode[[]json.RawMessage](t, "get_operations", e.ok(t, "get_operations", [][]string{{s.transferID.String()}}))
	if len(infos) != 1 {
		t.Fatalf("the transfer sent earlier is not found: %d results", len(infos))
	}
	checkWeb3OpStatus(t, apitest.CheckFields(t, "get_operations", infos[0], "in_pool", "is_operation_final", "op_exec_status"))
	getStatus(t, e)
}

// opStatus reads get_operations' status fields of id; found is false when
// the node does not know it.
func opStatus(t testing.TB, e *endpoint, id string) (inPool bool, final, exec *bool, found bool) {
	t.Helper()
	infos := decode[[]api.OperationInfo](t, "get_operations", e.ok(t, "get_operations", [][]string{{id}}))
	if len(infos) == 0 {
		return false, nil, nil, false
	}
	return infos[0].InPool, infos[0].IsOperationFinal, infos[0].OpExecStatus, true
}

// testExecuted waits for the transfer of testSendGood to execute
// speculatively, then checks the recipient's balance.
func (s *suite) testExecuted(t *testing.T) {
	eventually(t, 60*time.Second, "the transfer's speculative execution", func() bool {
		_, final, exec, found := opStatus(t, s.pub, s.transferID.String())
		if found && exec == nil && final != nil {
			t.Fatal("op_exec_status null with is_operation_final set")
		}
		return found && exec != nil
	})
	_, _, exec, _ := opStatus(t, s.pub, s.transferID.String())
	if !*exec {
		t.Fatal("the transfer failed")
	}
	infos := decode[[]api.AddressInfo](t, "get_addresses", s.pub.ok(t, "get_addresses", [][]string{{s.recipient.String()}}))
	// A transfer creating an address pays the 0.001 MAS ledger entry cost.
	if got := infos[0].CandidateBalance.String(); got != "0.999" {
		t.Fatalf("recipient candidate balance %s, want 0.999", got)
	}
	sender := decode[[]api.AddressInfo](t, "get_addresses", s.pub.ok(t, "get_addresses", [][]string{{s.addr.String()}}))
	if !slices.Contains(sender[0].CreatedOperations, s.transferID) {
		t.Errorf("created_operations of the sender lacks %s", s.transferID)
	}
}

// testEndorsements waits for a block holding endorsements and reads one.
func (s *suite) testEndorsements(t *testing.T) {
	var endoID string
	eventually(t, 60*time.Second, "a block with endorsements", func() bool {
		st := getStatus(t, s.pub)
		for th := uint8(0); th < 32; th++ {
			slot := types.Slot{Period: st.LastSlot.Period, Thread: th}
			r := s.pub.ok(t, "get_blockclique_block_by_slot", []any{slot})
			if string(r) == "null" {
				continue
			}
			var b struct {
				Header struct {
					Content struct {
						Endorsements []struct {
							ID string `json:"id"`
						} `json:"endorsements"`
					} `json:"content"`
				} `json:"header"`
			}
			if json.Unmarshal(r, &b) == nil && len(b.Header.Content.Endorsements) > 0 {
				endoID = b.Header.Content.Endorsements[0].ID
				return true
			}
		}
		return false
	})
	infos := decode[[]json.RawMessage](t, "get_endorsements", s.pub.ok(t, "get_endorsements", [][]string{{endoID}}))
	if len(infos) != 1 {
		t.Fatalf("get_endorsements of an included endorsement: %d results", len(infos))
	}
	info := apitest.CheckFields(t, "get_endorsements[0]", infos[0], "id", "in_pool", "in_blocks", "is_final", "endorsement")
	if ib := decode[[]string](t, "in_blocks", info["in_blocks"]); len(ib) != 1 {
		t.Errorf("in_blocks %v", ib)
	}
	e := apitest.CheckFields(t, "endorsement", info["endorsement"], "content", "signature", "content_creator_pub_key", "content_creator_address", "id")
	apitest.CheckFields(t, "endorsement.content", e["content"], "slot", "index", "endorsed_block")
}
