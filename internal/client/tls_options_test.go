package client

import (
	"io"
	"strings"
	"testing"
)

func TestPrivateTLSCAMakesHTTPS(t *testing.T) {
	home := t.TempDir()
	env := func(string) string { return "" }
	o, err := ParseOptions([]string{"--home", home, "--private-tls-ca", "/etc/node-ca.pem", "get_status"}, env, home, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.PrivateURL(), "https://") || !strings.HasPrefix(o.PublicURL(), "http://") {
		t.Fatalf("private %s public %s", o.PrivateURL(), o.PublicURL())
	}
	o, err = ParseOptions([]string{"--home", home, "get_status"}, env, home, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.PrivateURL(), "http://") {
		t.Fatalf("private %s without a CA", o.PrivateURL())
	}
}
