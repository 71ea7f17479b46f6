package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
)

type fakeV2 struct{ page *api.PageRequest }

func (f *fakeV2) LargestStakers(ctx context.Context, page *api.PageRequest) (api.LargestStakers, error) {
	f.page = page
	return api.LargestStakers{Content: [][2]any{{"AU1x", 3}}, TotalCount: 1}, nil
}

func (f *fakeV2) NextBlockBestParents(ctx context.Context) ([][2]any, error) {
	return [][2]any{{"B1x", 7}}, nil
}

func (f *fakeV2) Version(ctx context.Context) (string, error) { return "SAND.5.0", nil }

func TestV2Methods(t *testing.T) {
	reg := api.NewRegistry()
	f := &fakeV2{}
	api.RegisterV2(reg, f)
	srv := httptest.NewServer(api.NewServer(api.V2, reg, api.DefaultLimits(), nil, ""))
	defer srv.Close()
	post := func(body string) map[string]json.RawMessage {
		t.Helper()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if r := post(`{"jsonrpc":"2.0","method":"get_version","params":[],"id":1}`); string(r["result"]) != `"SAND.5.0"` {
		t.Fatalf("get_version: %s", r["result"])
	}
	r := post(`{"jsonrpc":"2.0","method":"get_largest_stakers","params":[{"page_request":{"limit":5,"offset":0}}],"id":2}`)
	if string(r["result"]) != `{"content":[["AU1x",3]],"total_count":1}` || f.page == nil || f.page.Limit != 5 {
		t.Fatalf("get_largest_stakers: %s (page %+v)", r["result"], f.page)
	}
	if r := post(`{"jsonrpc":"2.0","method":"get_next_block_best_parents","params":[],"id":3}`); string(r["result"]) != `[["B1x",7]]` {
		t.Fatalf("get_next_block_best_parents: %s", r["result"])
	}
	if r := post(`{"jsonrpc":"2.0","method":"get_status","params":[],"id":4}`); !strings.Contains(string(r["error"]), "-32601") {
		t.Fatalf("a public method on the v2 server: %s", r["error"])
	}
}
