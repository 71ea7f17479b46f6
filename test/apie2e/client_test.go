package apie2e

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/types"
)

// massaClient runs massa-client as a new user would: a fresh client home,
// the node's ports from its bound addresses, the node's home for the
// private API token, and a wallet password on the command line.
type massaClient struct {
	bin, home, nodeHome, pubPort, privPort string
}

func (s *suite) client(t testing.TB) *massaClient {
	t.Helper()
	port := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return p.Port()
	}
	home := filepath.Join(s.home, "..", "client-home")
	return &massaClient{bin: clientBinary(t), home: home, nodeHome: s.home,
		pubPort: port(s.node.PublicURL), privPort: port(s.node.PrivateURL)}
}

func (c *massaClient) args(jsonOut bool, cmd ...string) []string {
	a := []string{"--home", c.home, "--node-home", c.nodeHome, "--ip", "127.0.0.1",
		"--public-port", c.pubPort, "--private-port", c.privPort, "-p", "correct horse battery"}
	if jsonOut {
		a = append(a, "--json")
	}
	return append(a, cmd...)
}

// run runs one command with --json and returns its decoded output.
func (c *massaClient) run(t testing.TB, cmd ...string) json.RawMessage {
	t.Helper()
	stdout, stderr, code := runProcess(t, 60*time.Second, []string{"MASSA_CLIENT_PASSWORD="}, c.bin, c.args(true, cmd...)...)
	if code != 0 {
		t.Fatalf("massa-client %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(cmd, " "), code, stdout, stderr)
	}
	out := json.RawMessage(strings.TrimSpace(stdout))
	if !json.Valid(out) {
		t.Fatalf("massa-client --json %s printed non-JSON: %q (stderr %q)", strings.Join(cmd, " "), stdout, stderr)
	}
	return out
}

// human runs one command without --json and returns stdout.
func (c *massaClient) human(t testing.TB, cmd ...string) string {
	t.Helper()
	stdout, stderr, code := runProcess(t, 60*time.Second, nil, c.bin, c.args(false, cmd...)...)
	if code != 0 {
		t.Fatalf("massa-client %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(cmd, " "), code, stdout, stderr)
	}
	return stdout
}

func (s *suite) testClient(t *testing.T) {
	c := s.client(t)
	if err := os.MkdirAll(c.home, 0o700); err != nil {
		t.Fatal(err)
	}
	if out := c.human(t, "get_status"); !strings.Contains(out, "SAND.5.0") {
		t.Fatalf("get_status does not show the version:\n%s", out)
	}
	gen := decode[string](t, "wallet_generate_secret_key", c.run(t, "wallet_generate_secret_key"))
	generated, err := types.ParseAddress(gen)
	if err != nil {
		t.Fatalf("wallet_generate_secret_key printed %q: %v", gen, err)
	}
	c.run(t, "wallet_add_secret_keys", s.key.String())
	info := decode[map[string]json.RawMessage](t, "wallet_info", c.run(t, "wallet_info"))
	if len(info) != 2 || info[gen] == nil || info[s.addr.String()] == nil {
		t.Fatalf("wallet_info lists %v, want %s and %s", keysOf(info), gen, s.addr)
	}
	if !strings.Contains(string(info[s.addr.String()]), `"final_balance":"`) {
		t.Fatalf("wallet_info of the sandbox address has no balance: %s", info[s.addr.String()])
	}

	sent := decode[[]string](t, "send_transaction", c.run(t, "send_transaction", s.addr.String(), gen, "1", "0.01"))
	rolls := decode[[]string](t, "buy_rolls", c.run(t, "buy_rolls", s.addr.String(), "1", "0.01"))
	if len(sent) != 1 || len(rolls) != 1 {
		t.Fatalf("send_transaction %v, buy_rolls %v", sent, rolls)
	}
	ops := decode[[]api.OperationInfo](t, "get_operations", c.run(t, "get_operations", sent[0], rolls[0]))
	if len(ops) != 2 {
		t.Fatalf("get_operations of the two operations just sent: %d results", len(ops))
	}

	// Staking keys through the private API (the token comes from --node-home).
	staking := decode[[]string](t, "node_get_staking_addresses", c.run(t, "node_get_staking_addresses"))
	if !slices.Contains(staking, s.addr.String()) {
		t.Fatalf("node_get_staking_addresses %v lacks %s", staking, s.addr)
	}
	extra := newKey(t)
	extraAddr := types.AddressOf(extra.Public()).String()
	c.run(t, "node_add_staking_secret_keys", extra.String())
	staking = decode[[]string](t, "node_get_staking_addresses", c.run(t, "node_get_staking_addresses"))
	if !slices.Contains(staking, extraAddr) {
		t.Fatalf("after node_add_staking_secret_keys: %v lacks %s", staking, extraAddr)
	}
	c.run(t, "node_remove_staking_addresses", extraAddr)
	staking = decode[[]string](t, "node_get_staking_addresses", c.run(t, "node_get_staking_addresses"))
	if slices.Contains(staking, extraAddr) || !slices.Contains(staking, s.addr.String()) {
		t.Fatalf("after node_remove_staking_addresses: %v", staking)
	}

	// Without the token the private API refuses, and the client says why.
	stdout, stderr, code := runProcess(t, 60*time.Second, nil, c.bin, "--home", c.home, "--node-home", t.TempDir(),
		"--public-port", c.pubPort, "--private-port", c.privPort, "--json", "node_get_staking_addresses")
	if code == 0 || !strings.Contains(stdout+stderr, "token") {
		t.Fatalf("node_get_staking_addresses without the token: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	// Both operations execute (speculatively: finality takes ~40 s more).
	eventually(t, 60*time.Second, "the client's operations to execute", func() bool {
		ops := decode[[]api.OperationInfo](t, "get_operations", c.run(t, "get_operations", sent[0], rolls[0]))
		done := 0
		for _, o := range ops {
			if o.OpExecStatus != nil {
				if !*o.OpExecStatus {
					t.Fatalf("operation %s failed", o.ID)
				}
				done++
			}
		}
		return done == 2
	})
	addrs := decode[[]api.AddressInfo](t, "get_addresses", c.run(t, "get_addresses", s.addr.String(), generated.String()))
	if addrs[0].CandidateRollCount != 101 {
		t.Errorf("candidate rolls after buy_rolls: %d, want 101", addrs[0].CandidateRollCount)
	}
	if got := addrs[1].CandidateBalance.String(); got != "0.999" {
		t.Errorf("generated address candidate balance %s, want 0.999", got)
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *suite) testClientNodeStop(t *testing.T) {
	c := s.client(t)
	c.run(t, "node_stop")
	select {
	case <-s.node.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not stop within 30 s of node_stop")
	}
	if !strings.Contains(s.node.Log(), "stop requested through the private API") {
		t.Errorf("the node log does not record the stop request")
	}
	// A clean stop logs "node stopped" and prints no error line.
	if log := s.node.Log(); !strings.Contains(log, "node stopped") || strings.Contains(log, "massa-node:") {
		t.Fatalf("the node did not stop cleanly:\n%s", s.node.Tail(20))
	}
}
