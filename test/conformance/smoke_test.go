// Package conformance runs Massa's own JavaScript client against a real
// gomassa sandbox node: every step of web3-smoke.mjs, EXTENDED ones included. CONFORMANCE_DIR must point to a copy of
// ../shared/conformance where `npm ci` has run (scripts/conformance.sh
// prepares it); without it the test is skipped.
package conformance

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/test/testnode"
)

// requiredSteps must all pass, EXTENDED ones included (SMOKE_EXTENDED=0
// skips those for a quicker local run).
var requiredSteps = []string{
	"node status (get_status)",
	"account balance (get_addresses)",
	"transfer 1 MAS to a fresh address, final",
	"buy 1 roll, final",
	"deploy main.wasm (ExecuteSC + deployer), final",
	"call increment(5) (CallSC), final",
	"read-only call getCounter()",
	"read events (get_filtered_sc_output_event)",
}

var extendedSteps = []string{
	"EXTENDED contract sendCoins(fresh, 0.1 MAS)",
	"EXTENDED callOther(self, 1)",
	"EXTENDED scheduleMessage -> onAsyncMessage event",
}

var passRe = regexp.MustCompile(`^PASS (.*) \(\d+ ms\)`)

func TestWeb3Smoke(t *testing.T) {
	dir := os.Getenv("CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("CONFORMANCE_DIR not set (run scripts/conformance.sh)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@massalabs", "massa-web3")); err != nil {
		t.Skipf("massa-web3 not installed in %s: %v", dir, err)
	}
	home := t.TempDir()
	node := testnode.Start(t, home)
	defer node.Stop(t)
	key, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "web3-smoke.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"RPC_URL="+node.PublicURL,
		"SECRET_KEY="+strings.TrimSpace(string(key)),
		"FINAL_TIMEOUT_MS=150000",
	)
	steps := requiredSteps
	if os.Getenv("SMOKE_EXTENDED") != "0" {
		cmd.Env = append(cmd.Env, "EXTENDED=1")
		steps = append(append([]string(nil), requiredSteps...), extendedSteps...)
	}
	out, _ := cmd.CombinedOutput() // the exit code counts failed steps; we judge step by step
	t.Logf("web3-smoke.mjs output:\n%s", out)
	passed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if m := passRe.FindStringSubmatch(line); m != nil {
			passed[m[1]] = true
		}
	}
	for _, s := range steps {
		if !passed[s] {
			t.Errorf("web3 smoke step %q did not pass", s)
		}
	}
	if t.Failed() {
		t.Logf("node log tail:\n%s", node.Tail(60))
	}
}
