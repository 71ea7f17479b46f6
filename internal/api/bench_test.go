package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
	"github.com/gomassa/gomassa/internal/types"
)

// noVerifyBackend is the fake node with a SendOperations that skips the
// signature checks, so that the benchmarks below measure the API's work
// (reading, decoding, answering) and not ed25519.
type noVerifyBackend struct{ *apitest.Backend }

func (noVerifyBackend) SendOperations(_ context.Context, ops []*types.SignedOperation) ([]types.OperationID, error) {
	ids := make([]types.OperationID, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	return ids, nil
}

// sendOpsBody is a send_operations request of n distinct transfers, laid
// out as massa-bench writes it (compact, positional params).
func sendOpsBody(tb testing.TB, n int, byName bool) []byte {
	tb.Helper()
	key := apitest.Key()
	in := make([]api.OperationInput, n)
	for i := range in {
		in[i] = apitest.OpInput(apitest.Transfer(key, apitest.ChainID, uint64(50+i), "0.01", fmt.Sprintf("%d.%03d", 1+i, i)))
	}
	var params any = []any{in}
	if byName {
		params = map[string]any{"arg": in}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "send_operations", "params": params})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// BenchmarkSendOperationsDecode runs one 128-operation send_operations
// request through the public server's handler: envelope, params, the
// operations' JSON and their binary decoding, and the answer.
func BenchmarkSendOperationsDecode(b *testing.B) {
	reg := api.NewRegistry()
	api.RegisterPublic(reg, noVerifyBackend{apitest.NewBackend()})
	srv := api.NewServer(api.Public, reg, api.DefaultLimits(), nil, "")
	for _, form := range []struct {
		name   string
		byName bool
	}{{"positional", false}, {"byname", true}} {
		body := sendOpsBody(b, 128, form.byName)
		b.Run(form.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
					b.Fatalf("HTTP %d: %.300s", rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}

// BenchmarkBytesUnmarshal decodes one 140-byte array, the size of a
// signed transfer.
func BenchmarkBytesUnmarshal(b *testing.B) {
	content := make([]byte, 140)
	for i := range content {
		content[i] = byte(i * 37)
	}
	data, err := json.Marshal(api.Bytes(content))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var out api.Bytes
		if err := out.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}
