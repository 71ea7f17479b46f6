package config

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api/apitest"
)

func TestPrivateAPIExposure(t *testing.T) {
	for _, tc := range []struct {
		bind string
		ok   bool
	}{
		{"127.0.0.1:33034", true},
		{"127.0.0.2:33034", true},
		{"[::1]:33034", true},
		{"0.0.0.0:33034", false},
		{"[::]:33034", false},
		{"192.0.2.10:33034", false},
	} {
		_, err := Parse("/h", "config.toml", []byte("[api]\nbind_private = \""+tc.bind+"\"\n"))
		if tc.ok != (err == nil) {
			t.Fatalf("bind_private = %s: error %v", tc.bind, err)
		}
		if err == nil {
			continue
		}
		want := "[api] bind_private = " + tc.bind + " is not a loopback address: set [api] private_tls_cert and private_tls_key, or bind to 127.0.0.1"
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") || !errors.Is(err, ErrInvalid) {
			t.Fatalf("bind_private = %s: %q, want one line with %q", tc.bind, err, want)
		}
	}
	parseErr(t, "[api]\nprivate_tls_cert = \"c.pem\"\n", ErrConflict, "private_tls_cert and private_tls_key must be set together")
	parseErr(t, "[api]\nprivate_tls_key = \"k.pem\"\n", ErrConflict, "must be set together")
	parseErr(t, "[api]\nbind_private = \"0.0.0.0:1\"\nprivate_tls_cert = \"nope.pem\"\nprivate_tls_key = \"nope-key.pem\"\n", ErrInvalid,
		`[api] private_tls_cert = "nope.pem"`, "cannot load the certificate pair")
}

func TestPrivateTLSConfig(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "config")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := apitest.WriteSelfSignedCert(dir, net.ParseIP("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(home, "config.toml", []byte("[api]\nbind_private = \"0.0.0.0:33034\"\nprivate_tls_cert = \"config/cert.pem\"\nprivate_tls_key = \"config/key.pem\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.PrivateTLSConfig()
	if err != nil || tc == nil || len(tc.Certificates) != 1 {
		t.Fatalf("PrivateTLSConfig: %v %v", tc, err)
	}
	// Absolute paths work too, and no TLS means nil.
	c.API.PrivateTLSCert, c.API.PrivateTLSKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if tc, err := c.PrivateTLSConfig(); err != nil || tc == nil {
		t.Fatalf("absolute paths: %v", err)
	}
	d := Default()
	if tc, err := d.PrivateTLSConfig(); tc != nil || err != nil {
		t.Fatalf("defaults: %v %v", tc, err)
	}
	// A key that does not match the certificate.
	other := t.TempDir()
	if _, _, err := apitest.WriteSelfSignedCert(other); err != nil {
		t.Fatal(err)
	}
	c.API.PrivateTLSKey = filepath.Join(other, "key.pem")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "cannot load the certificate pair") {
		t.Fatalf("mismatched key: %v", err)
	}
}
