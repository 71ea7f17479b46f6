package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
)

const testToken = "0123456789abcdef0123456789abcdef"

// harness is a public and a private server over one fake backend.
type harness struct {
	be      *apitest.Backend
	reg     *api.Registry
	pubSrv  *api.Server
	privSrv *api.Server
	pub     *httptest.Server
	priv    *httptest.Server
	pubURL  string
	privURL string
	limits  api.Limits
}

func newHarness(t *testing.T, limits api.Limits, extra ...func(*api.Registry)) *harness {
	t.Helper()
	h := &harness{be: apitest.NewBackend(), limits: limits}
	h.reg = h.be.Registry()
	for _, f := range extra {
		f(h.reg)
	}
	h.pubSrv = api.NewServer(api.Public, h.reg, limits, nil, "")
	h.privSrv = api.NewServer(api.Private, h.reg, limits, nil, testToken)
	h.pub = httptest.NewServer(h.pubSrv)
	h.priv = httptest.NewServer(h.privSrv)
	t.Cleanup(h.pub.Close)
	t.Cleanup(h.priv.Close)
	h.pubURL, h.privURL = h.pub.URL, h.priv.URL
	return h
}

// httpResult is a raw HTTP answer.
type httpResult struct {
	status int
	header http.Header
	body   []byte
}

// do sends an HTTP request with a JSON content type unless headers say
// otherwise; a private-server URL gets the token unless headers set
// Authorization.
func (h *harness) do(t *testing.T, method, url, body string, headers map[string]string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if url == h.privURL {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpResult{resp.StatusCode, resp.Header, b}
}

func (h *harness) post(t *testing.T, url, body string) httpResult {
	t.Helper()
	return h.do(t, http.MethodPost, url, body, nil)
}

// rpcReply is one decoded JSON-RPC response, keeping the raw members so
// that tests can check what is present.
type rpcReply struct {
	members map[string]json.RawMessage
	Result  json.RawMessage
	Error   *api.Error
	ID      json.RawMessage
}

func decodeReply(t *testing.T, b []byte) rpcReply {
	t.Helper()
	var r rpcReply
	if err := json.Unmarshal(b, &r.members); err != nil {
		t.Fatalf("not a JSON-RPC response object: %v: %s", err, b)
	}
	if string(r.members["jsonrpc"]) != `"2.0"` {
		t.Fatalf("response without \"jsonrpc\": \"2.0\": %s", b)
	}
	if _, ok := r.members["id"]; !ok {
		t.Fatalf("response without id: %s", b)
	}
	_, hasRes := r.members["result"]
	_, hasErr := r.members["error"]
	if hasRes == hasErr {
		t.Fatalf("response must hold exactly one of result and error: %s", b)
	}
	r.Result, r.ID = r.members["result"], r.members["id"]
	if hasErr {
		r.Error = new(api.Error)
		dec := json.NewDecoder(bytes.NewReader(r.members["error"]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(r.Error); err != nil {
			t.Fatalf("error object is not {code, message}: %v: %s", err, b)
		}
	}
	return r
}

// call sends one request with id 1 and params given as raw JSON (empty
// means no params member).
func (h *harness) call(t *testing.T, url, method, params string) rpcReply {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":` + quote(method)
	if params != "" {
		body += `,"params":` + params
	}
	body += "}"
	res := h.post(t, url, body)
	if res.status != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", method, res.status, res.body)
	}
	r := decodeReply(t, res.body)
	if string(r.ID) != "1" {
		t.Fatalf("%s: id %s, want 1", method, r.ID)
	}
	return r
}

// ok is call that must succeed; it returns the result.
func (h *harness) ok(t *testing.T, url, method, params string) json.RawMessage {
	t.Helper()
	r := h.call(t, url, method, params)
	if r.Error != nil {
		t.Fatalf("%s %s: %v", method, params, r.Error)
	}
	return r.Result
}

// fails is call that must fail with code and a message containing wants.
func (h *harness) fails(t *testing.T, url, method, params string, code int, wants ...string) *api.Error {
	t.Helper()
	r := h.call(t, url, method, params)
	if r.Error == nil {
		t.Fatalf("%s %s succeeded: %s", method, params, r.Result)
	}
	checkError(t, r.Error, code, wants...)
	return r.Error
}

func checkError(t *testing.T, e *api.Error, code int, wants ...string) {
	t.Helper()
	if e.Code != code {
		t.Fatalf("error %q: code %d, want %d", e.Message, e.Code, code)
	}
	for _, w := range wants {
		if !strings.Contains(e.Message, w) {
			t.Fatalf("error %q does not contain %q", e.Message, w)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
