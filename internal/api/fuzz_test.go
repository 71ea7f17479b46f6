package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
)

// FuzzServeBody sends arbitrary bodies to both servers: nothing panics, and
// every answer is empty (notifications) or JSON-RPC: one response object, or
// an array of them.
func FuzzServeBody(f *testing.F) {
	key := apitest.Key()
	op := apitest.OpInput(apitest.Transfer(key, apitest.ChainID, 50, "0.01", "1"))
	opBytes, _ := json.Marshal([]any{[]any{op}})
	for _, seed := range []string{
		`{"jsonrpc":"2.0","method":"get_status","params":[{}],"id":0}`,
		`{"jsonrpc":"2.0","method":"get_addresses","params":[["AU12m1gXHUGxBZsDF4veeWfYaRmpztBCieHhPBaqf3fcRF2LdAuZ7"]],"id":1}`,
		`{"jsonrpc":"2.0","method":"get_stakers","params":{"page_request":{"limit":1,"offset":0}},"id":"x"}`,
		`{"jsonrpc":"2.0","method":"send_operations","params":` + string(opBytes) + `,"id":2}`,
		`{"jsonrpc":"2.0","method":"get_datastore_entries","params":[[{"address":"AU1","key":[1,2,300]}]],"id":3}`,
		`{"jsonrpc":"2.0","method":"get_blockclique_block_by_slot","params":[{"period":1,"thread":0}],"id":4}`,
		`{"jsonrpc":"2.0","method":"get_staking_addresses","id":5}`,
		`{"jsonrpc":"2.0","method":"node_sign_message","params":[[1,2,3]],"id":6}`,
		`[{"jsonrpc":"2.0","method":"get_status","id":1},{"jsonrpc":"2.0","method":"get_cliques"}]`,
		`[{"jsonrpc":"2.0","method":"get_status"}]`,
		`[]`, `[1,2]`, `{`, ``, `null`, `"x"`, `{"jsonrpc":"2.0","method":"get_status","id":{}}`,
		`{"jsonrpc":"2.0","method":"get_filtered_sc_output_event","params":[{"start":{"period":1,"thread":0},"is_final":true}],"id":7}`,
		`{"jsonrpc":"2.0","method":"execute_read_only_call","params":[[{"max_gas":1,"target_address":"AS1","target_function":"f","parameter":[],"coins":"1.5"}]],"id":8}`,
	} {
		f.Add([]byte(seed))
	}
	be := apitest.NewBackend()
	reg := be.Registry()
	lim := api.DefaultLimits()
	lim.MaxBodyBytes = 1 << 16
	servers := []*api.Server{
		api.NewServer(api.Public, reg, lim, nil, ""),
		api.NewServer(api.Private, reg, lim, nil, testToken),
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range servers {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			out := rec.Body.Bytes()
			if len(out) == 0 {
				if rec.Code != http.StatusOK {
					t.Fatalf("HTTP %d without a body", rec.Code)
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("answer is not JSON: %q", out)
			}
			var items []json.RawMessage
			if bytes.HasPrefix(bytes.TrimSpace(out), []byte("[")) {
				if err := json.Unmarshal(out, &items); err != nil || len(items) == 0 {
					t.Fatalf("batch answer %q: %v", out, err)
				}
			} else {
				items = []json.RawMessage{out}
			}
			for _, it := range items {
				var r struct {
					JSONRPC string          `json:"jsonrpc"`
					ID      json.RawMessage `json:"id"`
					Error   *api.Error      `json:"error"`
					Result  json.RawMessage `json:"result"`
				}
				if err := json.Unmarshal(it, &r); err != nil || r.JSONRPC != "2.0" || len(r.ID) == 0 {
					t.Fatalf("not a JSON-RPC response: %q (%v)", it, err)
				}
				if r.Error != nil && (r.Error.Code == 0 || r.Error.Message == "") {
					t.Fatalf("empty error: %q", it)
				}
			}
		}
	})
}
