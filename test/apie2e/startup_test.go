package apie2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
	"github.com/gomassa/gomassa/test/testnode"
)

// startFails runs massa-node on home, which must refuse to start, and
// returns its error output.
func startFails(t *testing.T, home string) string {
	t.Helper()
	stdout, stderr, code := runProcess(t, 30*time.Second, nil, testnode.Binary(t), "--home", home)
	if code == 0 {
		t.Fatalf("massa-node started and exited 0\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if strings.Contains(stdout, "node started") {
		t.Fatalf("massa-node started a component before refusing:\n%s", stdout)
	}
	return strings.TrimSpace(stderr)
}

// oneLine fails t unless out is one line holding every want.
func oneLine(t *testing.T, out string, wants ...string) {
	t.Helper()
	if strings.Contains(out, "\n") {
		t.Fatalf("the error takes several lines:\n%s", out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("the error %q does not contain %q", out, w)
		}
	}
}

func TestTakenPortIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	home := t.TempDir()
	writeConfig(t, home, "")
	cfg := strings.Replace(testnode.Config, `bind_public = "127.0.0.1:0"`, fmt.Sprintf(`bind_public = "127.0.0.1:%d"`, port), 1)
	writeFile(t, filepath.Join(home, "config", "config.toml"), cfg)
	out := startFails(t, home)
	oneLine(t, out, fmt.Sprintf("port %d is already in use", port), "[api] bind_public")
}

func TestPrivateAPIBeyondLoopbackNeedsTLS(t *testing.T) {
	home := t.TempDir()
	cfg := strings.Replace(testnode.Config, `bind_private = "127.0.0.1:0"`, `bind_private = "0.0.0.0:33034"`, 1)
	writeFile(t, filepath.Join(home, "config", "config.toml"), cfg)
	out := startFails(t, home)
	oneLine(t, out, "[api] bind_private = 0.0.0.0:33034 is not a loopback address: set [api] private_tls_cert and private_tls_key, or bind to 127.0.0.1")

	// A certificate that does not load is named too.
	writeFile(t, filepath.Join(home, "config", "config.toml"), strings.Replace(cfg, "[api]\n",
		"[api]\nprivate_tls_cert = \"config/missing.pem\"\nprivate_tls_key = \"config/missing-key.pem\"\n", 1))
	oneLine(t, startFails(t, home), "[api] private_tls_cert", "config/missing.pem")
}

func TestPrivateAPIOverTLS(t *testing.T) {
	home := t.TempDir()
	certFile, _, err := apitest.WriteSelfSignedCert(mkdir(t, filepath.Join(home, "config")), net.ParseIP("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	// Bound to every interface, as an operator reaching the node from
	// another machine would; the test connects over loopback.
	writeConfig(t, home, "private_tls_cert = \"config/cert.pem\"\nprivate_tls_key = \"config/key.pem\"\n")
	cfgPath := filepath.Join(home, "config", "config.toml")
	writeFile(t, cfgPath, strings.Replace(readFile(t, cfgPath), `bind_private = "127.0.0.1:0"`, `bind_private = "0.0.0.0:0"`, 1))
	n := testnode.Start(t, home)
	defer n.Stop(t)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(n.PrivateURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://127.0.0.1:" + port
	token := readToken(t, home)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := api.NewTLSClient(url, token, certFile)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	if err := c.Call(ctx, "get_staking_addresses", nil, &addrs); err != nil || len(addrs) != 1 {
		t.Fatalf("get_staking_addresses over TLS: %v %v", addrs, err)
	}
	noToken, _ := api.NewTLSClient(url, "", certFile)
	if err := noToken.Call(ctx, "get_staking_addresses", nil, nil); err == nil || !strings.Contains(err.Error(), "api_token") {
		t.Fatalf("without the token over TLS: %v", err)
	}
	if err := api.NewClient("http://127.0.0.1:"+port, token).Call(ctx, "get_staking_addresses", nil, nil); err == nil {
		t.Fatal("plain HTTP to the TLS private port succeeded")
	}
	// The public API stays plain HTTP.
	if err := api.NewClient(n.PublicURL, "").Call(ctx, "get_status", []any{map[string]any{}}, nil); err != nil {
		t.Fatal(err)
	}
}
