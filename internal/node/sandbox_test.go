package node

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// sandboxHome is a home with only the loopback config.
func sandboxHome(t *testing.T) string {
	home := t.TempDir()
	writeTestFile(t, filepath.Join(home, "config", "config.toml"), []byte(testConfig))
	return home
}

// newQuiet builds a node without running it, returning what it printed.
func newQuiet(t *testing.T, opts Options) (*Node, string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdout = &out
	if opts.Clock == nil {
		opts.Clock = clock.NewSimulatedMS(testGenesisMS)
	}
	opts.Logger = discardLogger()
	n, err := New(opts)
	return n, out.String(), err
}

func readSandboxKey(t *testing.T, home string) *crypto.SecretKey {
	t.Helper()
	path := filepath.Join(home, "sandbox", "secret_key")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s has mode %v: readable by others", path, fi.Mode().Perm())
	}
	text := strings.TrimSpace(string(b))
	if !strings.HasPrefix(text, "S") {
		t.Fatalf("%s holds %q, not an S… key", path, text)
	}
	k, err := crypto.ParseSecretKey(text)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k
}

// TestSandboxCreatesKey checks that a home with no genesis gets a sandbox
// staking key, printed once with a warning, kept across starts, staking
// the whole sandbox chain.
func TestSandboxCreatesKey(t *testing.T) {
	home := sandboxHome(t)
	n, out, err := newQuiet(t, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	key := readSandboxKey(t, home)
	addr := types.AddressOf(key.Public())
	if strings.Count(out, key.String()) != 1 || !strings.Contains(out, "WARNING") || !strings.Contains(out, addr.String()) {
		t.Errorf("first start printed:\n%s\nwant the key %s once, its address and a warning", out, key)
	}
	if !n.sandbox || n.params.ChainID != 77 {
		t.Errorf("sandbox %v, chain id %d", n.sandbox, n.params.ChainID)
	}
	if got := n.staking.Addresses(); len(got) != 1 || got[0] != addr {
		t.Errorf("staking addresses %v, want [%s]", got, addr)
	}
	if len(n.genesis.Rolls) != 1 || n.genesis.Rolls[0].Address != addr || n.genesis.Rolls[0].Rolls == 0 {
		t.Errorf("genesis rolls %+v, want rolls for %s", n.genesis.Rolls, addr)
	}
	genesis := n.params.GenesisTimestamp

	// Second start: same key and chain, nothing printed.
	n2, out, err := newQuiet(t, Options{Home: home, Clock: clock.NewSimulatedMS(testGenesisMS + 3_600_000)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, key.String()) || strings.Contains(out, "WARNING") {
		t.Errorf("second start printed the key again:\n%s", out)
	}
	if k := readSandboxKey(t, home); k.String() != key.String() {
		t.Errorf("the sandbox key changed across starts")
	}
	if n2.params.GenesisTimestamp != genesis {
		t.Errorf("genesis moved from %d to %d across starts", genesis, n2.params.GenesisTimestamp)
	}

	// The same key given explicitly is accepted.
	if _, _, err := newQuiet(t, Options{Home: home, SandboxSecretKey: key.String()}); err != nil {
		t.Errorf("restart with the sandbox's own key: %v", err)
	}
}

// TestSandboxGivenKey checks --sandbox-secret-key: the given key stakes a
// new sandbox, and a second start with another key is refused with a clear
// message, changing nothing.
func TestSandboxGivenKey(t *testing.T) {
	var seed [crypto.SeedSize]byte
	copy(seed[:], "sandbox-given-key")
	key := crypto.SecretKeyFromSeed(seed)
	addr := types.AddressOf(key.Public())
	home := sandboxHome(t)
	n, out, err := newQuiet(t, Options{Home: home, SandboxSecretKey: key.String()})
	if err != nil {
		t.Fatal(err)
	}
	if k := readSandboxKey(t, home); k.String() != key.String() {
		t.Fatalf("sandbox/secret_key holds another key than the given one")
	}
	if strings.Contains(out, key.String()) {
		t.Errorf("a given key was printed back:\n%s", out)
	}
	if got := n.staking.Addresses(); len(got) != 1 || got[0] != addr {
		t.Errorf("staking addresses %v, want [%s]", got, addr)
	}

	before := snapshotTree(t, home)
	copy(seed[:], "another-sandbox-key")
	other := crypto.SecretKeyFromSeed(seed)
	_, _, err = newQuiet(t, Options{Home: home, SandboxSecretKey: other.String()})
	if err == nil {
		t.Fatal("a second start with another --sandbox-secret-key was accepted")
	}
	msg := err.Error()
	t.Logf("refused: %s", msg)
	for _, want := range []string{addr.String(), types.AddressOf(other.Public()).String(), "--sandbox-secret-key", filepath.Join(home, "sandbox")} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not mention %q", want)
		}
	}
	if strings.Contains(msg, other.String()) || strings.Contains(msg, key.String()) {
		t.Errorf("the refusal prints a secret key")
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("the refusal is not one line")
	}
	after := snapshotTree(t, home)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was created", p)
		}
	}

	// A malformed key is refused too.
	if _, _, err := newQuiet(t, Options{Home: sandboxHome(t), SandboxSecretKey: "S1nope"}); err == nil || !strings.Contains(err.Error(), "--sandbox-secret-key") {
		t.Errorf("malformed --sandbox-secret-key: %v", err)
	}
}

// TestSandboxRuns runs a sandbox (mainnet parameters, 32 threads) on a
// simulated clock for a few periods: its one staker makes every block and
// finality reaches every thread.
func TestSandboxRuns(t *testing.T) {
	home := sandboxHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS)
	s := startSimNode(t, home, clk, Options{})
	key := readSandboxKey(t, home)
	addr := types.AddressOf(key.Public())
	g, t0 := s.n.params.GenesisTimestamp, s.n.params.T0
	s.advanceTo(g+6*t0, nil)

	var sums []api.BlockSummary
	s.call("get_graph_interval", []any{map[string]any{}}, &sums)
	made := 0
	for _, b := range sums {
		if b.Slot.Period > 0 {
			made++
			if b.Creator != addr {
				t.Errorf("block %s at %s by %s, not the sandbox key", b.ID, b.Slot, b.Creator)
			}
		}
		if b.IsStale {
			t.Errorf("block %s went stale", b.ID)
		}
	}
	s.n.mu.RLock()
	fp := s.n.graph.LatestFinalPeriods()
	s.n.mu.RUnlock()
	for th, p := range fp {
		if p < 3 {
			t.Errorf("thread %d: final period %d after 6 periods", th, p)
		}
	}
	t.Logf("%d blocks, final periods %v", made, fp)
	if t.Failed() {
		t.Logf("%s", s.log.tail(40))
	}
}

// snapshotTree reads every regular file under dir, by path.
func snapshotTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[path] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSandboxReset checks that a sandbox reset halfway (its directory
// deleted but not the chain's storage) is refused at start, naming the
// storage, and that following the advice of the refusal to reuse the
// sandbox key starts a new chain.
func TestSandboxReset(t *testing.T) {
	home := sandboxHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS)
	s := startSimNode(t, home, clk, Options{})
	s.advanceTo(s.n.params.GenesisTimestamp+3*s.n.params.T0, nil)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	oldKey := readSandboxKey(t, home)

	// The refusal of another key says what to delete.
	var seed [crypto.SeedSize]byte
	copy(seed[:], "sandbox-reset-key")
	other := crypto.SecretKeyFromSeed(seed)
	_, _, err := newQuiet(t, Options{Home: home, SandboxSecretKey: other.String()})
	if err == nil {
		t.Fatal("another sandbox key was accepted")
	}
	dirs := []string{filepath.Join(home, "sandbox"), filepath.Join(home, "storage"), filepath.Join(home, "config", "staking_wallets")}
	for _, d := range dirs {
		if !strings.Contains(err.Error(), d) {
			t.Errorf("refusal %q does not name %s", err, d)
		}
	}

	// Deleting only the sandbox and the wallet leaves the old chain's
	// storage: Run refuses it instead of mixing two chains.
	for _, d := range []string{dirs[0], dirs[2]} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	n, _, err := newQuiet(t, Options{Home: home, SandboxSecretKey: other.String(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	runErr := n.Run(t.Context())
	t.Logf("Run: %v", runErr)
	if runErr == nil || !strings.Contains(runErr.Error(), dirs[1]) || !strings.Contains(runErr.Error(), "genesis") {
		t.Fatalf("Run over another chain's storage: %v", runErr)
	}

	// Deleting all three starts a new chain staked by the new key.
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	s2 := startSimNode(t, home, clk, Options{SandboxSecretKey: other.String()})
	if k := readSandboxKey(t, home); k.String() != other.String() || k.String() == oldKey.String() {
		t.Fatal("the new sandbox does not use the given key")
	}
	s2.advanceTo(s2.n.params.GenesisTimestamp+3*s2.n.params.T0, nil)
	var sums []api.BlockSummary
	s2.call("get_graph_interval", []any{map[string]any{}}, &sums)
	made := 0
	for _, b := range sums {
		if b.Slot.Period > 0 {
			made++
			if b.Creator != types.AddressOf(other.Public()) {
				t.Errorf("block at %s by %s after the reset", b.Slot, b.Creator)
			}
		}
	}
	if made == 0 {
		t.Error("the new sandbox chain produced nothing")
	}
}
