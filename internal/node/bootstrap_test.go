package node

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/types"
)

// serverConfig is testConfig with a bootstrap server on a free port that
// lets the same IP bootstrap again at once.
const serverConfig = `[api]
bind_public = "127.0.0.1:0"
bind_private = "127.0.0.1:0"
bind_api = "127.0.0.1:0"

[network]
bind = "127.0.0.1:0"

[bootstrap]
bind = "127.0.0.1:0"
per_ip_min_interval = 1

[metrics]
enabled = false
`

// joinerConfig bootstraps from server (ip:port, node id), with a small
// desynchronization threshold.
func joinerConfig(server, id string) string {
	return fmt.Sprintf(`[api]
bind_public = "127.0.0.1:0"
bind_private = "127.0.0.1:0"
bind_api = "127.0.0.1:0"

[network]
bind = "127.0.0.1:0"

[bootstrap]
bind = ""
bootstrap_list = [[%q, %q]]
retry_delay = 100

[consensus]
desync_threshold = 6000

[metrics]
enabled = false
`, server, id)
}

// TestJoinByBootstrapAndResyncAfterDesync runs a network node that
// produces a chain and serves bootstraps, and a new node with the same
// genesis and no state: it bootstraps (state of the server's final slot,
// then the final blocks after it replayed), ends at the server's final
// slot with the server's fingerprint, and, cut off from the network (it
// has no peer), re-bootstraps once the desynchronization threshold passes.
func TestJoinByBootstrapAndResyncAfterDesync(t *testing.T) {
	homeA := newNetworkHome(t)
	writeTestFile(t, filepath.Join(homeA, "config", "config.toml"), []byte(serverConfig))
	clkA := clock.NewSimulatedMS(testGenesisMS - testT0)
	a := startSimNode(t, homeA, clkA, Options{Password: testPassword})
	a.advanceTo(slotMS(types.Slot{Period: 2 * testPeriodsPerCycle, Thread: 1}), nil)
	if a.n.BootstrapAddr() == "" {
		t.Fatal("no bootstrap server on the network node")
	}

	homeB := t.TempDir()
	writeTestFile(t, filepath.Join(homeB, "config", "genesis.json"), genesisJSON(testStakers()))
	writeTestFile(t, filepath.Join(homeB, "config", "config.toml"),
		[]byte(joinerConfig(a.n.BootstrapAddr(), a.n.nodeKey.Public().NodeID())))
	clkB := clock.NewSimulatedMS(clkA.NowMS())
	b := startSimNode(t, homeB, clkB, Options{Password: testPassword})

	if !strings.Contains(b.log.String(), "bootstrap finished") {
		t.Fatalf("no bootstrap in the new node's log:\n%s", b.log.tail(40))
	}
	// The final blocks came with the recent final history (the test chain
	// is younger than the periods consensus keeps).
	if m := regexp.MustCompile(`bootstrap finished.* final_blocks=(\d+)`).FindStringSubmatch(b.log.String()); m == nil || len(m[1]) < 2 {
		t.Fatalf("bootstrap brought %v final blocks, want the recent history", m)
	}
	if strings.Contains(b.log.String(), "genesis state written") {
		t.Fatal("the joining node wrote the genesis state")
	}
	slotA, _ := a.n.exec.StateHash()
	slotB, _ := b.n.exec.StateHash()
	if slotB != slotA || b.n.exec.Fingerprint() != a.n.exec.Fingerprint() {
		t.Fatalf("joiner at %s (%s), server at %s (%s)", slotB, b.n.exec.Fingerprint(), slotA, a.n.exec.Fingerprint())
	}
	for th := range uint8(testThreads) {
		idA, sA := a.n.graph.LatestFinal(th)
		idB, sB := b.n.graph.LatestFinal(th)
		if idA != idB || sA != sB {
			t.Fatalf("thread %d: joiner's latest final %s at %s, server's %s at %s", th, idB, sB, idA, sA)
		}
	}

	// Let the server's chain move on, then the joiner's clock: with no
	// peer it sees nothing become final and, past its threshold of 6 s,
	// bootstraps again, to the server's newer state.
	a.advanceTo(clkA.NowMS()+8_000, nil)
	b.advanceTo(clkB.NowMS()+8_000, nil)
	log := b.log.String()
	if !strings.Contains(log, "asking peers again") || !strings.Contains(log, "desynchronized: deleting the local chain") ||
		strings.Count(log, "bootstrap finished") != 2 {
		t.Fatalf("no re-bootstrap after desynchronization:\n%s", b.log.tail(60))
	}
	slotA, _ = a.n.exec.StateHash()
	slotB, _ = b.n.exec.StateHash()
	if slotB != slotA || b.n.exec.Fingerprint() != a.n.exec.Fingerprint() {
		t.Fatalf("after resync: joiner at %s (%s), server at %s (%s)", slotB, b.n.exec.Fingerprint(), slotA, a.n.exec.Fingerprint())
	}
	t.Logf("joiner log:\n%s", grepLines(b.log.String(), "bootstrap", "desync", "consensus restarted", "asking peers"))
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
