package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// addr is the fake node's staker.
var addr = types.AddressOf(apitest.Key().Public()).String()

func TestParamForms(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	slot := `{"period":1,"thread":0}`
	for _, tc := range []struct {
		method string
		forms  []string
		call   string // backend method that must be reached
	}{
		{"get_addresses", []string{`[["` + addr + `"]]`, `{"arg":["` + addr + `"]}`, `[["` + addr + `"], "ignored extra"]`}, "Addresses"},
		{"get_operations", []string{`[[]]`, `{"arg":[]}`}, "Operations"},
		{"get_blocks", []string{`[[]]`, `{"arg":[]}`}, "Blocks"},
		{"get_endorsements", []string{`[[]]`, `{"arg":[]}`}, "Endorsements"},
		{"get_blockclique_block_by_slot", []string{`[` + slot + `]`, `{"arg":` + slot + `}`}, "BlockcliqueBlockBySlot"},
		{"get_graph_interval", []string{`[{"start":1,"end":2}]`, `{"arg":{"start":1}}`, `[{}]`, `[]`}, "GraphInterval"},
		{"get_stakers", []string{`[]`, `[null]`, `[{"limit":5,"offset":0}]`, `{"page_request":{"limit":5,"offset":0}}`, `{"pageRequest":{"limit":5,"offset":0}}`, `{}`}, "Stakers"},
		{"get_datastore_entries", []string{`[[{"address":"` + addr + `","key":[1,2]}]]`, `{"arg":[{"address":"` + addr + `","key":[]}]}`}, "DatastoreEntries"},
		{"get_addresses_bytecode", []string{`[[{"address":"` + addr + `","is_final":true}]]`, `{"args":[{"address":"` + addr + `","is_final":false}]}`}, "AddressesBytecode"},
		{"get_addresses_datastore_keys", []string{`[[{"address":"` + addr + `","prefix":[],"is_final":true}]]`,
			`{"arg":[{"address":"` + addr + `","prefix":[1],"is_final":false,"start_key":[0],"inclusive_start_key":true,"end_key":[9],"inclusive_end_key":false,"count":10}]}`}, "AddressesDatastoreKeys"},
		{"get_filtered_sc_output_event", []string{`[{}]`, `[{"start":` + slot + `,"end":null,"is_final":true,"is_error":false}]`, `{"arg":{"emitter_address":"` + addr + `"}}`}, "FilteredEvents"},
		{"execute_read_only_call", []string{`[[{"max_gas":1000000,"target_address":"` + addr + `","target_function":"f","parameter":[],"caller_address":null,"coins":null,"fee":"0.01"}]]`}, "ExecuteReadOnlyCall"},
		{"execute_read_only_bytecode", []string{`[[{"max_gas":1000000,"bytecode":[0,97,115,109],"address":"` + addr + `","operation_datastore":[0],"fee":"0"}]]`}, "ExecuteReadOnlyBytecode"},
		{"send_operations", []string{`[[]]`, `{"arg":[]}`}, "SendOperations"},
	} {
		for _, form := range tc.forms {
			before := len(h.be.Calls())
			h.ok(t, h.pubURL, tc.method, form)
			calls := h.be.Calls()
			if len(calls) != before+1 || calls[before] != tc.call {
				t.Fatalf("%s %s: backend calls %v, want %s", tc.method, form, calls[before:], tc.call)
			}
		}
	}
	priv := []struct {
		method string
		forms  []string
	}{
		{"node_sign_message", []string{`[[104,105]]`, `{"arg":[104,105]}`}},
		{"add_staking_secret_keys", []string{`[["` + apitest.Key().String() + `"]]`, `{"arg":[]}`}},
		{"remove_staking_addresses", []string{`[["` + addr + `"]]`, `{"arg":["` + addr + `"]}`}},
		{"node_add_to_bootstrap_whitelist", []string{`[["192.0.2.7","2001:db8::1"]]`, `{"arg":["192.0.2.7"]}`}},
		{"node_ban_by_id", []string{`[["` + apitest.Key().Public().NodeID() + `"]]`}},
	}
	for _, tc := range priv {
		for _, form := range tc.forms {
			h.ok(t, h.privURL, tc.method, form)
		}
	}
}

func TestResultShapes(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	var st map[string]json.RawMessage
	if err := json.Unmarshal(h.ok(t, h.pubURL, "get_status", `[{}]`), &st); err != nil {
		t.Fatal(err)
	}
	apitest.CheckStatusShape(t, st)

	var infos []map[string]json.RawMessage
	if err := json.Unmarshal(h.ok(t, h.pubURL, "get_addresses", `[["`+addr+`"]]`), &infos); err != nil || len(infos) != 1 {
		t.Fatalf("get_addresses: %v", err)
	}
	for _, k := range []string{"address", "thread", "final_balance", "final_roll_count", "final_datastore_keys",
		"candidate_balance", "candidate_roll_count", "candidate_datastore_keys", "deferred_credits",
		"next_block_draws", "next_endorsement_draws", "created_blocks", "created_operations",
		"created_endorsements", "cycle_infos"} {
		if v, ok := infos[0][k]; !ok || string(v) == "null" {
			t.Errorf("get_addresses: %s missing or null", k)
		}
	}
	if string(infos[0]["final_balance"]) != `"1000"` {
		t.Errorf("final_balance %s, want a decimal string", infos[0]["final_balance"])
	}

	var stakers [][2]json.RawMessage
	if err := json.Unmarshal(h.ok(t, h.pubURL, "get_stakers", `[]`), &stakers); err != nil || len(stakers) != 1 {
		t.Fatalf("get_stakers: %v", err)
	}
	if string(stakers[0][0]) != `"`+addr+`"` || string(stakers[0][1]) != "100" {
		t.Fatalf("get_stakers: %s", stakers)
	}
	if r := h.ok(t, h.pubURL, "get_blockclique_block_by_slot", `[{"period":1,"thread":0}]`); string(r) != "null" {
		t.Fatalf("get_blockclique_block_by_slot of an empty slot: %s", r)
	}
	if r := h.ok(t, h.pubURL, "get_datastore_entries", `[[{"address":"`+addr+`","key":[1]}]]`); string(r) != `[{"final_value":null,"candidate_value":null}]` {
		t.Fatalf("get_datastore_entries: %s", r)
	}
	if r := h.ok(t, h.pubURL, "get_addresses_bytecode", `[[{"address":"`+addr+`","is_final":true}]]`); string(r) != `[[]]` {
		t.Fatalf("get_addresses_bytecode: %s", r)
	}
	if r := h.ok(t, h.pubURL, "get_cliques", ``); !strings.Contains(string(r), `"block_ids":[]`) || !strings.Contains(string(r), `"is_blockclique":true`) {
		t.Fatalf("get_cliques: %s", r)
	}
	if r := h.ok(t, h.privURL, "stop_node", ``); string(r) != "null" || !h.be.Stopped() {
		t.Fatalf("stop_node: %s", r)
	}
	var sig api.PubkeySig
	if err := json.Unmarshal(h.ok(t, h.privURL, "node_sign_message", `[[104,105]]`), &sig); err != nil {
		t.Fatal(err)
	}
	if !crypto.Verify(sig.PublicKey, crypto.HashOf([]byte("hi")), sig.Signature) {
		t.Fatal("node_sign_message: the signature does not verify over blake3(message)")
	}
	var doc struct {
		OpenRPC string `json:"openrpc"`
		Methods []struct {
			Name   string `json:"name"`
			Params []struct {
				Name string `json:"name"`
			} `json:"params"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(h.ok(t, h.pubURL, "rpc.discover", `[{}]`), &doc); err != nil || doc.OpenRPC == "" {
		t.Fatalf("rpc.discover: %v", err)
	}
	found := map[string]int{}
	for _, m := range doc.Methods {
		found[m.Name] = len(m.Params)
	}
	if n, ok := found["get_stakers"]; !ok || n != 1 || len(found) != len(h.reg.Methods(api.Public))+len(h.reg.Methods(api.Private)) {
		t.Fatalf("rpc.discover lists %v", found)
	}
	h.fails(t, h.pubURL, "get_slots_transfers", `[[]]`, api.CodeBadRequest, "execution traces")
	h.fails(t, h.pubURL, "get_deferred_call_quote", `[[]]`, api.CodeBadRequest, "get_deferred_call_quote", "not supported yet")
	h.fails(t, h.privURL, "node_ban_by_ip", `[["192.0.2.1"]]`, api.CodeBadRequest, "This request is currently not available")
}

func TestInvalidParams(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, tc := range []struct {
		method, params string
		wants          []string
	}{
		{"get_addresses", `[["xyz"]]`, []string{"addresses[0]", "xyz"}},
		{"get_addresses", `[[5]]`, []string{"addresses[0]: expected a string, got a number"}},
		{"get_addresses", `["` + addr + `"]`, []string{"addresses: expected an array, got a string"}},
		{"get_addresses", `[{"address":"` + addr + `"}]`, []string{"addresses: expected an array, got an object"}},
		{"get_addresses", `[]`, []string{"missing parameter addresses"}},
		{"get_addresses", `[null]`, []string{"missing parameter addresses"}},
		{"get_addresses", `{"addresses":["` + addr + `"]}`, []string{"missing parameter addresses"}},
		{"get_operations", `[["O1"]]`, []string{"operation ids[0]"}},
		{"get_blocks", `[[true]]`, []string{"block ids[0]: expected a string, got a boolean"}},
		{"get_endorsements", `[["B12iL52kye2CraMXdkdKDxjZJXF9it6E4hz8KEj656QnhvwocvBX"]]`, []string{"endorsement ids[0]"}},
		{"get_datastore_entries", `[[{"address":"` + addr + `","key":"k"}]]`, []string{"datastore entries[0].key: expected an array, got a string"}},
		{"get_datastore_entries", `[[{"address":"` + addr + `","key":[1,300]}]]`, []string{"datastore entries[0].key", "300 is not in 0..255"}},
		{"get_datastore_entries", `[[{"address":"` + addr + `","key":[]},{"address":"AU1x","key":[]}]]`, []string{"datastore entries[1].address"}},
		{"get_datastore_entries", `[[{"address":7,"key":[]}]]`, []string{"datastore entries[0].address: expected a string, got a number"}},
		{"get_blockclique_block_by_slot", `[{"period":"1","thread":0}]`, []string{"slot.period: expected a non-negative integer, got a string"}},
		{"get_blockclique_block_by_slot", `[{"period":1,"thread":-1}]`, []string{"slot.thread: expected a non-negative integer, got -1"}},
		{"get_blockclique_block_by_slot", `[{"period":1,"thread":256}]`, []string{"slot.thread", "256"}},
		{"get_blockclique_block_by_slot", `[[1,0]]`, []string{"slot: expected an object, got an array"}},
		{"get_graph_interval", `[{"start":"yesterday"}]`, []string{"time interval.start: expected a non-negative integer, got a string"}},
		{"get_stakers", `[{"limit":"ten"}]`, []string{"page_request.limit: expected a non-negative integer, got a string"}},
		{"get_addresses_bytecode", `[[{"address":"` + addr + `","is_final":"yes"}]]`, []string{"addresses[0].is_final: expected a boolean, got a string"}},
		{"get_addresses_datastore_keys", `[[{"address":"` + addr + `","prefix":[],"is_final":true,"count":-1}]]`, []string{"requests[0].count: expected a non-negative integer, got -1"}},
		{"get_filtered_sc_output_event", `[{"start":{"period":1}, "is_final":1}]`, []string{"filter.is_final: expected a boolean, got a number"}},
		{"get_filtered_sc_output_event", `[{"end":5}]`, []string{"filter.end: expected an object, got a number"}},
		{"execute_read_only_call", `[[{"max_gas":1,"target_address":"` + addr + `","target_function":"f","parameter":[],"coins":5}]]`, []string{"read-only calls[0].coins", "decimal string"}},
		{"execute_read_only_call", `[[{"max_gas":-1,"target_address":"` + addr + `","target_function":"f","parameter":[]}]]`, []string{"read-only calls[0].max_gas: expected a non-negative integer, got -1"}},
		{"execute_read_only_bytecode", `[[{"max_gas":1,"bytecode":{},"fee":"0.0000000001"}]]`, []string{"read-only requests[0].bytecode"}},
		{"execute_read_only_bytecode", `[[{"max_gas":1,"bytecode":[],"fee":"0.0000000001"}]]`, []string{"read-only requests[0].fee"}},
		{"send_operations", `[{"creator_public_key":"P1"}]`, []string{"operations: expected an array, got an object"}},
		{"send_operations", `[[{"creator_public_key":5,"signature":"","serialized_content":[]}]]`, []string{"operations[0].creator_public_key: expected a string, got a number"}},
		{"send_operations", `[[{"creator_public_key":"P1","signature":"x","serialized_content":[256]}]]`, []string{"operations[0].serialized_content", "256 is not in 0..255"}},
	} {
		h.fails(t, h.pubURL, tc.method, tc.params, api.CodeInvalidParams, tc.wants...)
	}
	for _, tc := range []struct {
		method, params string
		wants          []string
	}{
		{"node_sign_message", `["hi"]`, []string{"message: expected an array, got a string"}},
		{"add_staking_secret_keys", `[["S1nope"]]`, []string{"secret keys[0]"}},
		{"node_ban_by_id", `[["AU1"]]`, []string{"node ids[0]"}},
		{"node_add_to_bootstrap_whitelist", `[["300.1.1.1"]]`, []string{"ips[0]", `"300.1.1.1" is not an IP address`}},
		{"remove_staking_addresses", `{"arg":"` + addr + `"}`, []string{"addresses: expected an array, got a string"}},
	} {
		h.fails(t, h.privURL, tc.method, tc.params, api.CodeInvalidParams, tc.wants...)
	}
	if calls := h.be.Calls(); len(calls) != 0 {
		t.Fatalf("invalid params reached the backend: %v", calls)
	}
}

func TestArgumentLimits(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	list := func(n int, item string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = item
		}
		return "[[" + strings.Join(items, ",") + "]]"
	}
	h.ok(t, h.pubURL, "get_addresses", list(128, `"`+addr+`"`))
	h.fails(t, h.pubURL, "get_addresses", list(129, `"`+addr+`"`), api.CodeBadRequest, "addresses has 129 items, the limit is 128 ([api] max_arguments)")
	h.fails(t, h.pubURL, "send_operations", list(129, `{}`), api.CodeBadRequest, "the limit is 128 ([api] max_arguments)")
	key := `{"address":"` + addr + `","prefix":[],"is_final":true}`
	h.ok(t, h.pubURL, "get_addresses_datastore_keys", list(50, key))
	h.fails(t, h.pubURL, "get_addresses_datastore_keys", list(51, key), api.CodeBadRequest, "51, the limit is 50 ([api] max_addresses_datastore_keys_query)")

	lim := api.DefaultLimits()
	lim.MaxArguments, lim.MaxDatastoreKeysRequests = 2, 1
	h2 := newHarness(t, lim)
	h2.fails(t, h2.pubURL, "get_addresses", list(3, `"`+addr+`"`), api.CodeBadRequest, "the limit is 2 ([api] max_arguments)")
	h2.fails(t, h2.pubURL, "get_addresses_datastore_keys", list(2, key), api.CodeBadRequest, "the limit is 1 ([api] max_addresses_datastore_keys_query)")
}

// opJSON is the send_operations argument of ops.
func opJSON(t *testing.T, ops ...any) string {
	t.Helper()
	return "[" + mustJSON(t, ops) + "]"
}

func TestSendOperationsBadInput(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	key := apitest.Key()
	good := apitest.Transfer(key, apitest.ChainID, 50, "0.01", "1")
	withContent := func(c []byte) api.OperationInput {
		in := apitest.OpInput(good)
		in.SerializedContent = c
		return in
	}
	unknownType := types.AppendUvarint(types.AppendUvarint(types.MustAmount("0.01").AppendBinary(nil), 50), 9)
	otherChain := apitest.Transfer(key, 77658377, 50, "0.01", "1")
	otherKey, _ := crypto.GenerateKey(deterministic{})
	forged := apitest.OpInput(good)
	forged.CreatorPublicKey = otherKey.Public().String()
	for _, tc := range []struct {
		name  string
		input any
		code  int
		wants []string
	}{
		{"wrong chain id", apitest.OpInput(otherChain), api.CodeBadRequest, []string{"operation 0", "invalid signature", "chain id 77"}},
		{"bad signature", forged, api.CodeBadRequest, []string{"operation 0", "invalid signature"}},
		{"truncated", withContent(good.Content[:len(good.Content)-3]), api.CodeBadRequest, []string{"operation 0: serialized_content"}},
		{"empty content", withContent([]byte{}), api.CodeBadRequest, []string{"operation 0: serialized_content"}},
		{"trailing bytes", withContent(append(append([]byte{}, good.Content...), 0)), api.CodeBadRequest, []string{"operation 0: serialized_content", "trailing"}},
		{"unknown type", withContent(unknownType), api.CodeBadRequest, []string{"operation 0: serialized_content", "type", "9"}},
		{"bad key text", api.OperationInput{CreatorPublicKey: "P1xyz", Signature: good.Signature.String(), SerializedContent: good.Content}, api.CodeBadRequest, []string{"operation 0: creator_public_key"}},
		{"bad signature text", api.OperationInput{CreatorPublicKey: good.Creator.String(), Signature: "1111", SerializedContent: good.Content}, api.CodeBadRequest, []string{"operation 0: signature"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fails(t, h.pubURL, "send_operations", opJSON(t, tc.input), tc.code, tc.wants...)
			// All or nothing: a bad operation after a good one refuses both.
			e := h.fails(t, h.pubURL, "send_operations", opJSON(t, apitest.OpInput(good), tc.input), tc.code)
			if !strings.Contains(e.Message, "operation 1") {
				t.Fatalf("error %q does not name operation 1", e.Message)
			}
			if n := len(h.be.Pool()); n != 0 {
				t.Fatalf("%d operations pooled", n)
			}
		})
	}
	var ids []string
	if err := json.Unmarshal(h.ok(t, h.pubURL, "send_operations", opJSON(t, apitest.OpInput(good))), &ids); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{good.ID.String()}) {
		t.Fatalf("send_operations returned %v, want [%s]", ids, good.ID)
	}
	// The pooled operation reads back in Massa's shape.
	var infos []map[string]json.RawMessage
	if err := json.Unmarshal(h.ok(t, h.pubURL, "get_operations", `[["`+good.ID.String()+`"]]`), &infos); err != nil || len(infos) != 1 {
		t.Fatalf("get_operations: %v", err)
	}
	for _, k := range []string{"id", "in_pool", "in_blocks", "is_operation_final", "thread", "operation", "op_exec_status"} {
		if _, ok := infos[0][k]; !ok {
			t.Errorf("get_operations: %s missing", k)
		}
	}
	var op map[string]json.RawMessage
	if err := json.Unmarshal(infos[0]["operation"], &op); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"content", "signature", "content_creator_pub_key", "content_creator_address", "id"} {
		if _, ok := op[k]; !ok {
			t.Errorf("get_operations: operation.%s missing", k)
		}
	}
	if !strings.Contains(string(op["content"]), fmt.Sprintf(`"expire_period":%d`, 50)) {
		t.Errorf("operation content %s", op["content"])
	}
}

// deterministic is a reader of zeros plus one, for a fixed second key.
type deterministic struct{}

func (deterministic) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 7
	}
	return len(p), nil
}
