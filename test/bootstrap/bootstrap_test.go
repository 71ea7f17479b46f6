// Package bootstrap runs real massa-node processes to check that a new
// node joins a running network by bootstrapping (spec/protocol.md §7):
//
//   - TestJoinRunningDevnet: a 3-node devnet whose genesis funds 100,000
//     extra addresses runs; a fourth node, prepared with
//     `massa-node devnet --add-node`, bootstraps from node 1 (state,
//     final blocks, peers); its first attempt is killed with SIGKILL
//     halfway and the restarted node resumes from its last key. It then
//     finalizes the same blocks as node 1 and
//     reaches the same final state (the fingerprint of each completed
//     cycle's state, logged by every node, must match). Then the new
//     node is cut off (it bans its peers): past its desync_threshold it
//     deletes its chain and bootstraps again, and once unbanned it catches
//     up with the others.
//
// Skipped with -short (about 2 minutes).
package bootstrap

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

const extraAddresses = 100_000

func status(t *testing.T, c *api.Client) api.NodeStatus {
	t.Helper()
	var st api.NodeStatus
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "get_status", nil, &st); err != nil {
		t.Fatalf("get_status: %v", err)
	}
	return st
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// fundAddresses adds n addresses with a balance to the genesis file of
// every home (the same bytes everywhere).
func fundAddresses(t *testing.T, homes []string, n int) {
	t.Helper()
	path := filepath.Join(homes[0], "config", "genesis.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	var ledger map[string]map[string]any
	if err := json.Unmarshal(g["initial_ledger"], &ledger); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		h := crypto.HashOf(fmt.Appendf(nil, "bootstrap-e2e-%d", i))
		ledger[types.AddressOf(crypto.PublicKey(h)).String()] = map[string]any{"balance": strconv.Itoa(1 + i%1000)}
	}
	if g["initial_ledger"], err = json.Marshal(ledger); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, home := range homes {
		if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// addToSection inserts lines right after a [section] header of a home's
// config.toml, adding the section if it is missing.
func addToSection(t *testing.T, home, section string, lines ...string) {
	t.Helper()
	path := filepath.Join(home, "config", "config.toml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, hdr := string(raw), "["+section+"]\n"
	add := strings.Join(lines, "\n") + "\n"
	if strings.Contains(s, hdr) {
		s = strings.Replace(s, hdr, hdr+add, 1)
	} else {
		s += "\n" + hdr + add
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	cycleRe    = regexp.MustCompile(`msg="cycle complete" cycle=(\d+) state_fingerprint=(\S+)`)
	loadedRe   = regexp.MustCompile(`msg="final state loaded" final_slot="\(\d+, \d+\)" entries=(\d+)`)
	replayRe   = regexp.MustCompile(`consensus restarted from the final blocks on disk.* replayed_final_blocks=(\d+)`)
	finishedRe = regexp.MustCompile(`msg="bootstrap finished" .*final_slot="\((\d+), (\d+)\)".* entries=(\d+) mb=(\S+) .*duration=(\S+) mb_per_s=(\S+)`)
)

// cycleFingerprints reads the completed cycles' state fingerprints a node
// logged; a cycle logged twice with two values fails the test.
func cycleFingerprints(t *testing.T, log string) map[uint64]string {
	t.Helper()
	out := map[uint64]string{}
	for _, m := range cycleRe.FindAllStringSubmatch(log, -1) {
		c, _ := strconv.ParseUint(m[1], 10, 64)
		if prev, ok := out[c]; ok && prev != m[2] {
			t.Fatalf("cycle %d logged with fingerprints %s and %s", c, prev, m[2])
		}
		out[c] = m[2]
	}
	return out
}

func graph(t *testing.T, c *api.Client) map[types.Slot]api.BlockSummary {
	t.Helper()
	var sums []api.BlockSummary
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "get_graph_interval", []any{map[string]any{}}, &sums); err != nil {
		t.Fatalf("get_graph_interval: %v", err)
	}
	out := map[types.Slot]api.BlockSummary{}
	for _, b := range sums {
		if b.IsFinal {
			out[b.Slot] = b
		}
	}
	return out
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// killHalfway starts a node that bootstraps and kills it with SIGKILL a
// moment after the state started to arrive.
func killHalfway(t *testing.T, bin, home, pwFile string) {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "--home", home, "--pwd-file", pwFile)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	eventually(t, 30*time.Second, "the first bootstrap to receive state", func() bool {
		return strings.Contains(out.String(), "bootstrap: receiving the final state")
	})
	time.Sleep(1500 * time.Millisecond)
	if strings.Contains(out.String(), "bootstrap finished") {
		t.Fatalf("the rate-limited bootstrap finished before the kill:\n%s", out.String())
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

func TestJoinRunningDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes")
	}
	bin := testnode.Binary(t)
	dir := t.TempDir()
	devnetDir := filepath.Join(dir, "devnet")
	first := 10 + rand.IntN(200)
	out, err := exec.Command(bin, "--home", dir, "devnet", "--prepare-only", "--free-ports", "--first-ip", strconv.Itoa(first),
		"--nodes", "3", "--threads", "4", "--t0", "2000", "--delta-f0", "68", "--periods-per-cycle", "8").CombinedOutput()
	if err != nil {
		t.Fatalf("devnet --prepare-only: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(devnetDir, "devnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d node.Devnet
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	homes := make([]string, len(d.Nodes))
	for i, nd := range d.Nodes {
		homes[i] = nd.Home
		if nd.Bootstrap == "" {
			t.Fatalf("node %d has no bootstrap server", i+1)
		}
	}
	fundAddresses(t, homes, extraAddresses)
	// Node 1 lets the new node bootstrap again soon (after its desync).
	addToSection(t, homes[0], "bootstrap", "per_ip_min_interval = 1000")

	nodes := make([]*testnode.Node, 0, 4)
	clients := make([]*api.Client, 0, 4)
	defer func() {
		for i, n := range nodes {
			if t.Failed() {
				t.Logf("node %d log tail:\n%s", i+1, n.Tail(40))
			}
			n.Stop(t)
		}
	}()
	for _, nd := range d.Nodes {
		n := testnode.Start(t, nd.Home, "--pwd-file", d.PasswordFile)
		nodes = append(nodes, n)
		clients = append(clients, api.NewClient(n.PublicURL, ""))
	}
	eventually(t, 90*time.Second, "final blocks on every node", func() bool {
		for _, c := range clients {
			st := status(t, c)
			if len(st.ConnectedNodes) == 0 || st.ConsensusStats.FinalBlockCount < 8 {
				return false
			}
		}
		return true
	})

	// A fourth node joins by bootstrap.
	out, err = exec.Command(bin, "--home", dir, "devnet", "--add-node", "--free-ports").CombinedOutput()
	if err != nil {
		t.Fatalf("devnet --add-node: %v\n%s", err, out)
	}
	if raw, err = os.ReadFile(filepath.Join(devnetDir, "devnet.json")); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d); err != nil || len(d.Added) != 1 {
		t.Fatalf("added nodes: %+v (%v)", d.Added, err)
	}
	joiner := d.Added[0]
	addToSection(t, joiner.Home, "bootstrap", "retry_delay = 1000")
	addToSection(t, joiner.Home, "consensus", "desync_threshold = 12000")

	// A first attempt, slowed down to 2 MB/s, is killed (SIGKILL) halfway.
	addToSection(t, joiner.Home, "bootstrap", "rate_limit = 2000000")
	killHalfway(t, bin, joiner.Home, d.PasswordFile)
	cfgPath := filepath.Join(joiner.Home, "config", "config.toml")
	cfgRaw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(cfgRaw), "rate_limit = 2000000\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}

	// The restarted node resumes from its last key.
	started := time.Now()
	n4 := testnode.Start(t, joiner.Home, "--pwd-file", d.PasswordFile)
	nodes = append(nodes, n4)
	c4 := api.NewClient(n4.PublicURL, "")
	m := finishedRe.FindStringSubmatch(n4.Log())
	if m == nil {
		t.Fatalf("no \"bootstrap finished\" line in the new node's log:\n%s", n4.Tail(40))
	}
	bootPeriod, _ := strconv.ParseUint(m[1], 10, 64)
	entries, _ := strconv.ParseUint(m[3], 10, 64)
	lm := loadedRe.FindStringSubmatch(n4.Log())
	if lm == nil {
		t.Fatalf("no \"final state loaded\" line:\n%s", n4.Tail(40))
	}
	total, _ := strconv.ParseUint(lm[1], 10, 64)
	if !strings.Contains(n4.Log(), "resuming an interrupted bootstrap") || !strings.Contains(m[0], "resumed=true") ||
		entries == 0 || entries >= total || total < 2*extraAddresses {
		t.Fatalf("not a resumed bootstrap: %d entries in this session, %d loaded in all:\n%s", entries, total, n4.Tail(40))
	}
	t.Logf("node 4 resumed its bootstrap at final period %d: %s more entries (%d in all), %s MB in %s (%s MB/s); API up %s after start",
		bootPeriod, m[3], total, m[4], m[5], m[6], time.Since(started).Round(time.Millisecond))
	if r := replayRe.FindStringSubmatch(n4.Log()); r != nil {
		t.Logf("node 4 replayed %s final blocks after the bootstrap slot", r[1])
	}
	if strings.Contains(n4.Log(), "genesis state written") {
		t.Fatal("the new node wrote the genesis state instead of bootstrapping")
	}

	// It follows the network: same final blocks as node 1, and the same
	// final state at the end of a cycle completed after it joined.
	joinCycle := bootPeriod / 8
	eventually(t, 90*time.Second, "node 4 to complete a cycle after joining with node 1's state", func() bool {
		fp1, fp4 := cycleFingerprints(t, nodes[0].Log()), cycleFingerprints(t, n4.Log())
		for c, f4 := range fp4 {
			if f1, ok := fp1[c]; ok && f1 != f4 {
				t.Fatalf("cycle %d: node 4 state %s, node 1 %s", c, f4, f1)
			}
		}
		f4, ok := fp4[joinCycle+1]
		return ok && fp1[joinCycle+1] == f4
	})
	g1, g4 := graph(t, clients[0]), graph(t, c4)
	same := 0
	for s, b4 := range g4 {
		if b1, ok := g1[s]; ok {
			if b1.ID != b4.ID {
				t.Fatalf("final block at %s: node 4 %s, node 1 %s", s, b4.ID, b1.ID)
			}
			if s.Period > bootPeriod {
				same++
			}
		}
	}
	if same < 1 {
		t.Fatalf("only %d common final blocks after the join", same)
	}
	st1, st4 := status(t, clients[0]), status(t, c4)
	t.Logf("node 1 final cursor %s, node 4 %s; %d common final blocks after the join", st1.ExecutionStats.FinalCursor, st4.ExecutionStats.FinalCursor, same)

	// Cut off from its peers, node 4 desynchronizes and bootstraps again.
	token, err := os.ReadFile(filepath.Join(joiner.Home, "config", "api_token"))
	if err != nil {
		t.Fatal(err)
	}
	priv := api.NewClient(n4.PrivateURL, strings.TrimSpace(string(token)))
	ids := make([]string, 0, len(d.Nodes))
	for _, nd := range d.Nodes {
		ids = append(ids, nd.NodeID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := priv.Call(ctx, "node_ban_by_id", []any{ids}, nil); err != nil {
		t.Fatalf("node_ban_by_id: %v", err)
	}
	eventually(t, 60*time.Second, "node 4 to bootstrap again after desynchronizing", func() bool {
		l := n4.Log()
		return strings.Contains(l, "desynchronized: deleting the local chain") && strings.Count(l, "bootstrap finished") >= 2 &&
			strings.Count(l, "public_api=") >= 2
	})
	eventually(t, 30*time.Second, "node 4's API after the restart", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return priv.Call(ctx, "node_unban_by_id", []any{ids}, nil) == nil
	})
	target := status(t, clients[0]).ExecutionStats.FinalCursor
	eventually(t, 60*time.Second, "node 4 to catch up after its re-bootstrap", func() bool {
		return !status(t, c4).ExecutionStats.FinalCursor.Less(target)
	})
	if os.Getenv("GOMASSA_BOOTSTRAP_LOG") != "" {
		t.Logf("node 4 log:\n%s", n4.Log())
	}
}
