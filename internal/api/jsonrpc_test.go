package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
)

func TestZeroArgumentMethodsIgnoreParams(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, params := range []string{"", `[{}]`, `[]`, `{}`, `null`, `[1, "x"]`, `{"arg": 5}`, `5`, `"text"`} {
		for _, m := range []string{"get_status", "get_cliques"} {
			h.ok(t, h.pubURL, m, params)
		}
		for _, m := range []string{"get_staking_addresses", "node_bootstrap_whitelist"} {
			h.ok(t, h.privURL, m, params)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, url := range []string{h.pubURL, h.privURL} {
		h.fails(t, url, "get_statuss", `[]`, api.CodeMethodNotFound, "Method not found: get_statuss")
		h.fails(t, url, "node_whitelist", `[]`, api.CodeMethodNotFound, "node_whitelist")
	}
}

func TestWrongAPI(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	pub, priv := h.reg.Methods(api.Public), h.reg.Methods(api.Private)
	if len(pub) < 20 || len(priv) < 15 {
		t.Fatalf("registry has %d public and %d private methods", len(pub), len(priv))
	}
	for _, m := range pub {
		h.fails(t, h.privURL, m, `[]`, api.CodeWrongAPI, "The wrong API (either Public or Private) was called")
	}
	for _, m := range priv {
		h.fails(t, h.pubURL, m, `[]`, api.CodeWrongAPI, "The wrong API (either Public or Private) was called")
	}
	if calls := h.be.Calls(); len(calls) != 0 {
		t.Fatalf("wrong-API calls reached the backend: %v", calls)
	}
}

func TestSpecMethodsRegistered(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	pub := []string{"get_status", "get_cliques", "get_stakers", "get_operations", "get_endorsements", "get_blocks",
		"get_blockclique_block_by_slot", "get_graph_interval", "get_datastore_entries", "get_addresses",
		"get_addresses_bytecode", "get_addresses_datastore_keys", "get_slots_transfers", "send_operations",
		"get_filtered_sc_output_event", "execute_read_only_bytecode", "execute_read_only_call",
		"get_deferred_call_quote", "get_deferred_call_info", "get_deferred_call_ids_by_slot", "rpc.discover"}
	priv := []string{"stop_node", "node_sign_message", "add_staking_secret_keys", "remove_staking_addresses",
		"get_staking_addresses", "node_ban_by_id", "node_unban_by_id", "node_ban_by_ip", "node_unban_by_ip",
		"node_peers_whitelist", "node_add_to_peers_whitelist", "node_remove_from_peers_whitelist",
		"node_bootstrap_whitelist", "node_bootstrap_blacklist", "node_bootstrap_whitelist_allow_all",
		"node_add_to_bootstrap_whitelist", "node_remove_from_bootstrap_whitelist",
		"node_add_to_bootstrap_blacklist", "node_remove_from_bootstrap_blacklist"}
	have := h.reg.Methods(api.Public)
	for _, m := range pub {
		if !slices.Contains(have, m) {
			t.Errorf("public method %s is not registered", m)
		}
	}
	have = h.reg.Methods(api.Private)
	for _, m := range priv {
		if !slices.Contains(have, m) {
			t.Errorf("private method %s is not registered", m)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, tc := range []struct {
		name, body string
		code       int
		id         string
		want       string
	}{
		{"truncated", `{"jsonrpc":"2.0","method":"get_status"`, api.CodeParseError, "null", "Parse error"},
		{"garbage", `hello`, api.CodeParseError, "null", "Parse error"},
		{"empty body", ``, api.CodeParseError, "null", "Parse error"},
		{"trailing bytes", `{"jsonrpc":"2.0","method":"get_status","id":1} x`, api.CodeParseError, "null", "Parse error"},
		{"truncated batch", `[{"jsonrpc":"2.0","method":"get_status","id":1}`, api.CodeParseError, "null", "Parse error"},
		{"number", `5`, api.CodeInvalidRequest, "null", "a request must be a JSON object"},
		{"string", `"get_status"`, api.CodeInvalidRequest, "null", "a request must be a JSON object"},
		{"null", `null`, api.CodeInvalidRequest, "null", `"jsonrpc" must be "2.0"`},
		{"no version", `{"method":"get_status","id":1}`, api.CodeInvalidRequest, "1", `"jsonrpc" must be "2.0"`},
		{"old version", `{"jsonrpc":"1.0","method":"get_status","id":"a"}`, api.CodeInvalidRequest, `"a"`, `"jsonrpc" must be "2.0"`},
		{"numeric version", `{"jsonrpc":2.0,"method":"get_status","id":1}`, api.CodeInvalidRequest, "1", "jsonrpc: expected a string, got a number"},
		{"no method", `{"jsonrpc":"2.0","id":1}`, api.CodeInvalidRequest, "1", `"method" is missing`},
		{"empty method", `{"jsonrpc":"2.0","method":"","id":1}`, api.CodeInvalidRequest, "1", `"method" is missing`},
		{"method not a string", `{"jsonrpc":"2.0","method":5,"id":7}`, api.CodeInvalidRequest, "7", "method: expected a string, got a number"},
		{"object id", `{"jsonrpc":"2.0","method":"get_status","id":{"a":1}}`, api.CodeInvalidRequest, "null", "id must be a string, a number or null"},
		{"array id", `{"jsonrpc":"2.0","method":"get_status","id":[1]}`, api.CodeInvalidRequest, "null", "id must be"},
		{"params not a container", `{"jsonrpc":"2.0","method":"get_addresses","params":"AU1","id":1}`, api.CodeInvalidParams, "1", "params must be an array or an object, got a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			urls := []string{h.pubURL, h.privURL}
			if tc.code == api.CodeInvalidParams {
				urls = urls[:1] // a public method: WrongAPI on the private server
			}
			for _, url := range urls {
				res := h.post(t, url, tc.body)
				if res.status != http.StatusOK {
					t.Fatalf("HTTP %d: %s", res.status, res.body)
				}
				r := decodeReply(t, res.body)
				if r.Error == nil {
					t.Fatalf("succeeded: %s", res.body)
				}
				checkError(t, r.Error, tc.code, tc.want)
				if string(r.ID) != tc.id {
					t.Fatalf("id %s, want %s", r.ID, tc.id)
				}
			}
		})
	}
	// The server still serves.
	h.ok(t, h.pubURL, "get_status", `[{}]`)
}

func TestIDsAreEchoed(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, id := range []string{`0`, `18446744073709551615`, `-3`, `1.5`, `"abc"`, `""`, `null`} {
		res := h.post(t, h.pubURL, `{"jsonrpc":"2.0","method":"get_status","params":[{}],"id":`+id+`}`)
		r := decodeReply(t, res.body)
		if r.Error != nil || string(r.ID) != id {
			t.Fatalf("id %s: got id %s, error %v", id, r.ID, r.Error)
		}
	}
}

func TestNotifications(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, body := range []string{
		`{"jsonrpc":"2.0","method":"get_status","params":[{}]}`,
		`{"jsonrpc":"2.0","method":"no_such_method"}`,
		`{"jsonrpc":"2.0","method":"get_addresses","params":[["bad"]]}`,
		`[{"jsonrpc":"2.0","method":"get_status"},{"jsonrpc":"2.0","method":"get_cliques"}]`,
	} {
		res := h.post(t, h.pubURL, body)
		if res.status != http.StatusOK || len(res.body) != 0 {
			t.Fatalf("%s: HTTP %d with body %q, want 200 and no body", body, res.status, res.body)
		}
	}
	// A batch mixing calls and notifications answers the calls only.
	res := h.post(t, h.pubURL, `[{"jsonrpc":"2.0","method":"get_status"},{"jsonrpc":"2.0","method":"get_cliques","id":9}]`)
	var batch []json.RawMessage
	if err := json.Unmarshal(res.body, &batch); err != nil || len(batch) != 1 {
		t.Fatalf("batch answer %s: %v", res.body, err)
	}
	if r := decodeReply(t, batch[0]); string(r.ID) != "9" || r.Error != nil {
		t.Fatalf("batch answer %s", batch[0])
	}
}

func batchBody(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"jsonrpc":"2.0","method":"get_status","params":[{}],"id":%d}`, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestBatchLimits(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	res := h.post(t, h.pubURL, batchBody(16))
	var batch []json.RawMessage
	if err := json.Unmarshal(res.body, &batch); err != nil || len(batch) != 16 {
		t.Fatalf("batch of 16: %v: %.300s", err, res.body)
	}
	for i, b := range batch {
		r := decodeReply(t, b)
		if r.Error != nil || string(r.ID) != fmt.Sprint(i) {
			t.Fatalf("batch answer %d: %s", i, b)
		}
	}
	r := decodeReply(t, h.post(t, h.pubURL, batchBody(17)).body)
	if r.Error == nil {
		t.Fatal("batch of 17 accepted")
	}
	checkError(t, r.Error, api.CodeInvalidRequest, "batch of 17 requests, the limit is 16 ([api] batch_request_limit)")

	r = decodeReply(t, h.post(t, h.pubURL, `[]`).body)
	checkError(t, r.Error, api.CodeInvalidRequest, "empty batch")

	// Items that are not requests get their own errors.
	res = h.post(t, h.pubURL, `[1, {"jsonrpc":"2.0","method":"nope","id":2}, {"jsonrpc":"2.0","method":"get_status","id":3}]`)
	batch = nil
	if err := json.Unmarshal(res.body, &batch); err != nil || len(batch) != 3 {
		t.Fatalf("mixed batch: %v: %s", err, res.body)
	}
	checkError(t, decodeReply(t, batch[0]).Error, api.CodeInvalidRequest)
	checkError(t, decodeReply(t, batch[1]).Error, api.CodeMethodNotFound)
	if decodeReply(t, batch[2]).Error != nil {
		t.Fatalf("valid item failed: %s", batch[2])
	}

	// batch_request_limit = 0 disables batches, not single calls.
	lim := api.DefaultLimits()
	lim.MaxBatch = 0
	h0 := newHarness(t, lim)
	r = decodeReply(t, h0.post(t, h0.pubURL, batchBody(1)).body)
	checkError(t, r.Error, api.CodeInvalidRequest, "batch requests are disabled ([api] batch_request_limit = 0)")
	h0.ok(t, h0.pubURL, "get_status", `[{}]`)
}

func TestBodySizeLimit(t *testing.T) {
	lim := api.DefaultLimits()
	lim.MaxBodyBytes = 1024
	h := newHarness(t, lim)
	small := `{"jsonrpc":"2.0","method":"get_status","id":1,"pad":"` + strings.Repeat("x", 900) + `"}`
	if res := h.post(t, h.pubURL, small); res.status != http.StatusOK || decodeReply(t, res.body).Error != nil {
		t.Fatalf("small body refused: %d %s", res.status, res.body)
	}
	big := `{"jsonrpc":"2.0","method":"get_status","id":1,"pad":"` + strings.Repeat("x", 2000) + `"}`
	for _, url := range []string{h.pubURL, h.privURL} {
		res := h.post(t, url, big)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d for an oversized body", res.status)
		}
		checkError(t, decodeReply(t, res.body).Error, api.CodeInvalidRequest, "larger than 1024 bytes ([api] max_request_body_size)")
	}
	// Without a Content-Length (chunked), the limit holds too.
	req, _ := http.NewRequest(http.MethodPost, h.pubURL, struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.ContentLength != -1 && req.ContentLength != 0 {
		t.Fatalf("request was not chunked (%d)", req.ContentLength)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: HTTP %d", resp.StatusCode)
	}
	h.ok(t, h.pubURL, "get_status", `[{}]`)
}

func TestHTTPMethodAndContentType(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	body := `{"jsonrpc":"2.0","method":"get_status","id":1}`
	for _, url := range []string{h.pubURL, h.privURL} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			res := h.do(t, m, url, body, nil)
			if res.status != http.StatusMethodNotAllowed || !strings.Contains(res.header.Get("Allow"), "POST") {
				t.Fatalf("%s: HTTP %d, Allow %q", m, res.status, res.header.Get("Allow"))
			}
		}
		for ct, want := range map[string]int{
			"application/json":                  200,
			"application/json; charset=utf-8":   200,
			"application/json;charset=UTF-8":    200,
			"Application/JSON":                  200,
			"application/json-rpc":              200,
			"text/plain":                        415,
			"application/x-www-form-urlencoded": 415,
			"application/jsonx":                 415,
			"application/json; charset=latin1":  415,
			"not a media type;;":                415,
		} {
			res := h.do(t, http.MethodPost, url, body, map[string]string{"Content-Type": ct})
			if res.status != want {
				t.Fatalf("Content-Type %q: HTTP %d, want %d: %s", ct, res.status, want, res.body)
			}
		}
	}
}

func TestCORS(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	preflight := map[string]string{
		"Origin":                         "https://wallet.example",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "content-type",
	}
	res := h.do(t, http.MethodOptions, h.pubURL, "", preflight)
	if res.status != http.StatusOK {
		t.Fatalf("public preflight: HTTP %d", res.status)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "content-type",
	} {
		if !strings.Contains(res.header.Get(k), want) {
			t.Fatalf("public preflight: %s = %q, want %q", k, res.header.Get(k), want)
		}
	}
	res = h.do(t, http.MethodPost, h.pubURL, `{"jsonrpc":"2.0","method":"get_status","id":1}`, map[string]string{"Origin": "https://wallet.example"})
	if res.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("public POST without Access-Control-Allow-Origin")
	}

	// The private server never allows cross-origin calls.
	res = h.do(t, http.MethodOptions, h.privURL, "", preflight)
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("private preflight: HTTP %d, ACAO %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
	res = h.do(t, http.MethodPost, h.privURL, `{"jsonrpc":"2.0","method":"get_staking_addresses","id":1}`, map[string]string{"Origin": "https://evil.example"})
	if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("private POST: HTTP %d, ACAO %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}

	// [api] enable_cors = false.
	h.pubSrv.SetCORS(false)
	res = h.do(t, http.MethodOptions, h.pubURL, "", preflight)
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight with CORS off: HTTP %d", res.status)
	}
	h.privSrv.SetCORS(true) // has no effect on the private side
	if res := h.do(t, http.MethodOptions, h.privURL, "", preflight); res.status != http.StatusMethodNotAllowed {
		t.Fatal("SetCORS(true) opened the private server")
	}
}

func TestPrivateToken(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	body := `{"jsonrpc":"2.0","method":"get_staking_addresses","id":1}`
	for name, auth := range map[string]string{
		"missing":    "",
		"wrong":      "Bearer nope",
		"no scheme":  "x" + testToken,
		"truncated":  "Bearer " + testToken[:10],
		"extra":      "Bearer " + testToken + "0",
		"basic auth": "Basic " + testToken,
		"bare token": testToken,
	} {
		hdr := map[string]string{"Authorization": auth}
		if auth == "" {
			hdr = map[string]string{"Authorization": ""}
		}
		res := h.do(t, http.MethodPost, h.privURL, body, hdr)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("%s token: HTTP %d", name, res.status)
		}
		checkError(t, decodeReply(t, res.body).Error, api.CodeBadRequest, "the private API needs the token from <node home>/config/api_token")
	}
	if calls := h.be.Calls(); len(calls) != 0 {
		t.Fatalf("unauthorized calls reached the backend: %v", calls)
	}
	h.ok(t, h.privURL, "get_staking_addresses", `[]`)
	// The scheme is case-insensitive (RFC 7235).
	if res := h.do(t, http.MethodPost, h.privURL, body, map[string]string{"Authorization": "bearer " + testToken}); res.status != http.StatusOK {
		t.Fatalf("lower-case scheme: HTTP %d", res.status)
	}
	// The public server asks for no token.
	res := h.do(t, http.MethodPost, h.pubURL, `{"jsonrpc":"2.0","method":"get_status","id":1}`, map[string]string{"Authorization": ""})
	if res.status != http.StatusOK {
		t.Fatalf("public server: HTTP %d", res.status)
	}

	// The client reports a refused token with ErrUnauthorized.
	err := api.NewClient(h.privURL, "wrong").Call(context.Background(), "get_staking_addresses", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "api_token") {
		t.Fatalf("client with a wrong token: %v", err)
	}
	if !isUnauthorized(err) {
		t.Fatalf("client error %v does not wrap ErrUnauthorized", err)
	}
}

type marshalPanic struct{}

func (marshalPanic) MarshalJSON() ([]byte, error) { panic("cannot encode") }

type marshalFails struct{}

func (marshalFails) MarshalJSON() ([]byte, error) { return nil, fmt.Errorf("cannot encode") }

func TestPanicsAreContained(t *testing.T) {
	h := newHarness(t, api.DefaultLimits(), func(r *api.Registry) {
		r.Register(api.Public, "test_panic", nil, func(context.Context, api.Params) (any, error) {
			var s []int
			return s[len(s)], nil // an index out of range: a real bug in a handler
		})
		r.Register(api.Public, "test_result_panics", nil, func(context.Context, api.Params) (any, error) {
			return marshalPanic{}, nil
		})
		r.Register(api.Public, "test_result_fails", nil, func(context.Context, api.Params) (any, error) {
			return marshalFails{}, nil
		})
		r.Register(api.Public, "test_plain_error", nil, func(context.Context, api.Params) (any, error) {
			return nil, fmt.Errorf("disk on fire")
		})
		r.Register(api.Public, "test_unit", nil, func(context.Context, api.Params) (any, error) {
			return nil, nil
		})
	})
	for i := 0; i < 3; i++ {
		h.fails(t, h.pubURL, "test_panic", `[]`, api.CodeInternalServer, "Internal server error in test_panic")
		h.fails(t, h.pubURL, "test_result_fails", `[]`, api.CodeInternal, "the result of test_result_fails cannot be encoded")
		res := h.post(t, h.pubURL, `{"jsonrpc":"2.0","method":"test_result_panics","id":1}`)
		checkError(t, decodeReply(t, res.body).Error, api.CodeInternal, "Internal error")
		h.fails(t, h.pubURL, "test_plain_error", `[]`, api.CodeInternalServer, "disk on fire")
		h.ok(t, h.pubURL, "get_status", `[{}]`)
	}
	// A unit result is "result": null, present.
	r := h.call(t, h.pubURL, "test_unit", "")
	if raw, ok := r.members["result"]; !ok || string(raw) != "null" {
		t.Fatalf("unit result: %v", r.members)
	}
}

func TestMethodsAnswerConcurrently(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			c := api.NewClient(h.pubURL, "")
			var st api.NodeStatus
			for j := 0; j < 20; j++ {
				if err := c.Call(context.Background(), "get_status", []any{map[string]any{}}, &st); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
