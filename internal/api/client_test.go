package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
)

func isUnauthorized(err error) bool { return errors.Is(err, api.ErrUnauthorized) }

func TestClient(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	ctx := context.Background()
	c := api.NewClient(h.pubURL, "")
	var st api.NodeStatus
	if err := c.Call(ctx, "get_status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.ChainID != apitest.ChainID || st.LastSlot == nil {
		t.Fatalf("status %+v", st)
	}
	err := c.Call(ctx, "get_addresses", []any{[]string{"nope"}}, nil)
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeInvalidParams {
		t.Fatalf("error %v is not an *api.Error with -32602", err)
	}
	// A server that is not JSON-RPC.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	if err := api.NewClient(plain.URL, "").Call(ctx, "get_status", nil, nil); err == nil || !strings.Contains(err.Error(), "not JSON-RPC") {
		t.Fatalf("non-JSON-RPC server: %v", err)
	}
	// No server.
	if err := api.NewClient("http://127.0.0.1:1", "").Call(ctx, "get_status", nil, nil); err == nil || !strings.Contains(err.Error(), "cannot reach the node") {
		t.Fatalf("no server: %v", err)
	}
}

func TestPrivateAPIOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, err := apitest.WriteSelfSignedCert(dir, net.ParseIP("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tlsPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	be := apitest.NewBackend()
	srv, err := api.ListenTLS("127.0.0.1:0", "[api] bind_private", api.NewServer(api.Private, be.Registry(), api.DefaultLimits(), nil, testToken), cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", srv.URL())
	}
	ctx := context.Background()
	c, err := api.NewTLSClient(srv.URL(), testToken, certFile)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	if err := c.Call(ctx, "get_staking_addresses", nil, &addrs); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	// The token is still required over TLS.
	bad, _ := api.NewTLSClient(srv.URL(), "wrong", certFile)
	if err := bad.Call(ctx, "get_staking_addresses", nil, nil); !isUnauthorized(err) {
		t.Fatalf("wrong token over TLS: %v", err)
	}
	// A client that does not trust the certificate refuses the server.
	if err := api.NewClient(srv.URL(), testToken).Call(ctx, "get_staking_addresses", nil, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	// Plain HTTP to the TLS port fails.
	if err := api.NewClient("http://"+srv.Addr().String(), testToken).Call(ctx, "get_staking_addresses", nil, nil); err == nil {
		t.Fatal("plain HTTP to the HTTPS port succeeded")
	}
	// Bad trust files.
	if _, err := api.NewTLSClient(srv.URL(), "", filepath.Join(dir, "missing.pem")); err == nil {
		t.Fatal("missing CA file accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := api.NewTLSClient(srv.URL(), "", junk); !errors.Is(err, api.ErrBadCA) {
		t.Fatalf("junk CA file: %v", err)
	}
	if _, err := api.ListenTLS("127.0.0.1:0", "[api] bind_private", http.NotFoundHandler(), emptyTLS(), nil); !errors.Is(err, api.ErrNoCertificate) {
		t.Fatalf("TLS without a certificate: %v", err)
	}
}

func TestListenReportsTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = api.Listen(ln.Addr().String(), "[api] bind_public", http.NotFoundHandler(), nil)
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) || !strings.Contains(err.Error(), "[api] bind_public") {
		t.Fatalf("taken port: %v", err)
	}
}
