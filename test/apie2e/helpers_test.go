package apie2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

// sandboxChainID is Massa's sandbox chain id, which the sandbox node uses.
const sandboxChainID = 77

// endpoint calls one API server with raw JSON-RPC, as massa-web3 does:
// POST, Content-Type application/json, ids counting from 0.
type endpoint struct {
	url   string
	token string
	http  *http.Client
	id    atomic.Int64
}

func newEndpoint(url, token string) *endpoint {
	return &endpoint{url: url, token: token, http: &http.Client{Timeout: 30 * time.Second}}
}

// raw is params given as literal JSON.
type raw string

// post sends body and returns the HTTP status and body.
func (e *endpoint) post(t testing.TB, body string, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", e.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// call sends one request and returns its result or error.
func (e *endpoint) call(t testing.TB, method string, params any) (json.RawMessage, *api.Error) {
	t.Helper()
	id := e.id.Add(1) - 1
	var p string
	switch v := params.(type) {
	case nil:
		p = ""
	case raw:
		p = string(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p = string(b)
	}
	body := fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"id":%d`, method, id)
	if p != "" {
		body += `,"params":` + p
	}
	body += "}"
	status, out := e.post(t, body, nil)
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %.500s", method, status, out)
	}
	var r struct {
		JSONRPC string          `json:"jsonrpc"`
		Result  json.RawMessage `json:"result"`
		Error   *api.Error      `json:"error"`
		ID      int64           `json:"id"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.JSONRPC != "2.0" || r.ID != id {
		t.Fatalf("%s: not the JSON-RPC answer to id %d (%v): %.500s", method, id, err, out)
	}
	return r.Result, r.Error
}

// ok is call that must succeed.
func (e *endpoint) ok(t testing.TB, method string, params any) json.RawMessage {
	t.Helper()
	res, rpcErr := e.call(t, method, params)
	if rpcErr != nil {
		t.Fatalf("%s: %v", method, rpcErr)
	}
	return res
}

// fails is call that must fail with code and a message containing wants.
func (e *endpoint) fails(t testing.TB, method string, params any, code int, wants ...string) *api.Error {
	t.Helper()
	res, rpcErr := e.call(t, method, params)
	if rpcErr == nil {
		t.Fatalf("%s succeeded: %.300s", method, res)
	}
	if rpcErr.Code != code {
		t.Fatalf("%s: error %q has code %d, want %d", method, rpcErr.Message, rpcErr.Code, code)
	}
	for _, w := range wants {
		if !strings.Contains(rpcErr.Message, w) {
			t.Fatalf("%s: error %q does not contain %q", method, rpcErr.Message, w)
		}
	}
	return rpcErr
}

// decode unmarshals a result, failing t on a shape mismatch.
func decode[T any](t testing.TB, what string, b json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: unexpected shape: %v: %.500s", what, err, b)
	}
	return v
}

// eventually polls f every 250 ms until it returns true or d passes.
func eventually(t testing.TB, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// status is the part of get_status the tests use.
type status struct {
	LastSlot    *types.Slot `json:"last_slot"`
	ChainID     uint64      `json:"chain_id"`
	MinimalFees string      `json:"minimal_fees"`
	PoolStats   [2]uint64   `json:"pool_stats"`
	Version     string      `json:"version"`
}

func getStatus(t testing.TB, e *endpoint) status {
	t.Helper()
	st := decode[status](t, "get_status", e.ok(t, "get_status", raw(`[{}]`)))
	if st.LastSlot == nil {
		t.Fatal("get_status: last_slot is null")
	}
	return st
}

// opInput is one send_operations item.
type opInput = api.OperationInput

func inputOf(pub crypto.PublicKey, sig crypto.Signature, content []byte) opInput {
	return opInput{CreatorPublicKey: pub.String(), Signature: sig.String(), SerializedContent: append([]byte(nil), content...)}
}

func signedInput(op *types.SignedOperation) opInput {
	return inputOf(op.Creator, op.Signature, op.Content)
}

// signRaw signs arbitrary content bytes for chainID as massa-web3 does.
func signRaw(key *crypto.SecretKey, chainID uint64, content []byte) opInput {
	h := types.OperationHash(chainID, key.Public(), content)
	return inputOf(key.Public(), key.Sign(h), content)
}

func transfer(key *crypto.SecretKey, to types.Address, amount, fee string, expire uint64) types.Operation {
	return types.Operation{Fee: types.MustAmount(fee), ExpirePeriod: expire, Type: types.OpTransaction,
		Recipient: to, Amount: types.MustAmount(amount)}
}

func newKey(t testing.TB) *crypto.SecretKey {
	t.Helper()
	k, err := crypto.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sandboxKey(t testing.TB, home string) *crypto.SecretKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.ParseSecretKey(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readToken(t testing.TB, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "config", "api_token"))
	if err != nil {
		t.Fatalf("the node did not write its private API token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// writeConfig writes <home>/config/config.toml: testnode's loopback config
// with apiKeys added to its [api] section.
func writeConfig(t testing.TB, home, apiKeys string) {
	t.Helper()
	cfg := strings.Replace(testnode.Config, "[api]\n", "[api]\n"+apiKeys, 1)
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	clientOnce sync.Once
	clientBin  string
	clientErr  error
)

// clientBinary builds cmd/massa-client once.
func clientBinary(t testing.TB) string {
	t.Helper()
	clientOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gomassa-client-bin")
		if err != nil {
			clientErr = err
			return
		}
		clientBin = filepath.Join(dir, "massa-client")
		cmd := exec.Command("go", "build", "-o", clientBin, "./cmd/massa-client")
		cmd.Dir = testnode.ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			clientErr = fmt.Errorf("go build massa-client: %v\n%s", err, out)
		}
	})
	if clientErr != nil {
		t.Fatal(clientErr)
	}
	return clientBin
}

// runProcess runs a command with a deadline and returns stdout, stderr and
// the exit code.
func runProcess(t testing.TB, timeout time.Duration, env []string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s\nstdout: %s\nstderr: %s", name, args, timeout, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), code
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mkdir(t testing.TB, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
