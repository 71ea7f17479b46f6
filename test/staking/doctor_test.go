package staking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/test/testnode"
)

var (
	clientOnce sync.Once
	clientBin  string
	clientErr  error
)

// clientBinary builds cmd/massa-client once per test binary.
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

// massaClient runs the built massa-client as a new user would: its own
// home, the node's ports, the node's home for the private API token and a
// wallet password on the command line.
type massaClient struct {
	t                                      *testing.T
	bin, home, nodeHome, pubPort, privPort string
}

func newClient(t *testing.T, node *testnode.Node) *massaClient {
	port := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return p.Port()
	}
	return &massaClient{t: t, bin: clientBinary(t), home: t.TempDir(), nodeHome: node.Home,
		pubPort: port(node.PublicURL), privPort: port(node.PrivateURL)}
}

// run runs one command and returns stdout, stderr and the exit code.
func (c *massaClient) run(args ...string) (string, string, int) {
	c.t.Helper()
	all := append([]string{"--home", c.home, "--node-home", c.nodeHome, "--ip", "127.0.0.1",
		"--public-port", c.pubPort, "--private-port", c.privPort, "-p", "new user password"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, all...)
	cmd.Env = append(os.Environ(), "MASSA_CLIENT_PASSWORD=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("massa-client %v: %v", args, err)
	}
	if ctx.Err() != nil {
		c.t.Fatalf("massa-client %v did not finish within a minute", args)
	}
	return stdout.String(), stderr.String(), code
}

// mustRun runs a command that must succeed.
func (c *massaClient) mustRun(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("massa-client %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// doctorJSON runs staking_doctor --json and returns its checks by name and
// its exit code.
func (c *massaClient) doctorJSON() (map[string]check, int) {
	c.t.Helper()
	out, errOut, code := c.run("--json", "staking_doctor")
	var list []check
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &list); err != nil {
		c.t.Fatalf("staking_doctor --json printed %q (stderr %q): %v", out, errOut, err)
	}
	m := map[string]check{}
	for _, ch := range list {
		m[ch.Name] = ch
	}
	return m, code
}

// TestDoctorNamesRemovedStakingKey is the done-when: a sandbox
// whose staking key was removed, and a new user who imports that key in
// a fresh wallet and runs the staking doctor, which names the problem
// (key not registered) and prints the command that fixes it; after that
// command, the check passes.
func TestDoctorNamesRemovedStakingKey(t *testing.T) {
	home := t.TempDir()
	node := testnode.Start(t, home)
	defer node.Stop(t)
	key, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, node)
	c.mustRun("wallet_add_secret_keys", strings.TrimSpace(string(key)))
	var wallet map[string]json.RawMessage
	if err := json.Unmarshal([]byte(c.mustRun("--json", "wallet_info")), &wallet); err != nil || len(wallet) != 1 {
		t.Fatalf("wallet_info: %v %v", wallet, err)
	}
	var addr string
	for a := range wallet {
		addr = a
	}

	// The user's mistake: the node no longer stakes with the address.
	c.mustRun("node_stop_staking", addr)

	out, errOut, code := c.run("staking_doctor")
	t.Logf("massa-client staking_doctor (exit %d):\n%s", code, out)
	if code == 0 {
		t.Fatalf("staking_doctor exited 0 with the staking key removed:\n%s", out)
	}
	fix := "massa-client node_start_staking " + addr
	if !strings.Contains(out, "[FAIL] staking_keys") || !strings.Contains(out, "key not registered") || !strings.Contains(out, "fix: "+fix) {
		t.Fatalf("staking_doctor does not name the problem and its fix %q:\nstdout:\n%s\nstderr:\n%s", fix, out, errOut)
	}
	if !strings.Contains(out, "no peers (sandbox)") {
		t.Errorf("staking_doctor does not recognize the sandbox:\n%s", out)
	}
	checks, code := c.doctorJSON()
	if sk := checks["staking_keys"]; code == 0 || sk.OK || !strings.HasPrefix(sk.Fix, fix) {
		t.Fatalf("staking_doctor --json: exit %d, staking_keys %+v", code, sk)
	}
	for _, name := range []string{"node_running", "synchronized", "clock", "peers", "wallet", "active_rolls"} {
		if !checks[name].OK {
			t.Errorf("check %s fails on a fresh sandbox: %+v", name, checks[name])
		}
	}

	// The node itself warns as soon as the address misses a slot.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !node.WaitLog(ctx, `reason="key not registered"`) {
		t.Errorf("the node log has no miss warning:\n%s", node.Tail(30))
	}

	// The printed fix works.
	c.mustRun(strings.Fields(strings.TrimPrefix(fix, "massa-client "))...)
	checks, _ = c.doctorJSON()
	if sk := checks["staking_keys"]; !sk.OK {
		t.Fatalf("staking_keys still fails after %q: %+v", fix, sk)
	}
}
