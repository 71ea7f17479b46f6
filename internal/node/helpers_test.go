package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
)

// testConfig puts every listener on a free loopback port and turns the
// metrics server off, so that tests never collide on ports.
const testConfig = `[api]
bind_public = "127.0.0.1:0"
bind_private = "127.0.0.1:0"
bind_api = "127.0.0.1:0"

[network]
bind = "127.0.0.1:0"

[bootstrap]
bind = ""

[metrics]
enabled = false
`

// testPassword protects the staking wallets the tests create.
const testPassword = "node-test-password"

// Small network parameters: 4 threads of 1 s periods (250 ms slots),
// 8-period cycles, 4 endorsements per block.
const (
	testThreads         = 4
	testT0              = 1000
	testPeriodsPerCycle = 8
	testEndorsements    = 4
	testDeltaF0         = 4 * (testEndorsements + 1)
	testGenesisMS       = 1_700_000_000_000
	testChainID         = 4242
)

// testStaker is one genesis staking key.
type testStaker struct {
	key   *crypto.SecretKey
	addr  types.Address
	rolls uint64
}

// testStakers are deterministic keys with different roll counts.
func testStakers() []testStaker {
	rolls := []uint64{5, 10, 20, 40}
	out := make([]testStaker, len(rolls))
	for i, r := range rolls {
		var seed [crypto.SeedSize]byte
		copy(seed[:], fmt.Sprintf("node-test-staker-%d", i))
		k := crypto.SecretKeyFromSeed(seed)
		out[i] = testStaker{key: k, addr: types.AddressOf(k.Public()), rolls: r}
	}
	return out
}

// genesisJSON is the genesis of the test network.
func genesisJSON(stakers []testStaker) []byte {
	ledger := map[string]map[string]string{}
	rolls := map[string]uint64{}
	for _, s := range stakers {
		ledger[s.addr.String()] = map[string]string{"balance": "1000"}
		rolls[s.addr.String()] = s.rolls
	}
	doc := map[string]any{
		"params": map[string]any{
			"thread_count":      testThreads,
			"t0":                testT0,
			"genesis_timestamp": uint64(testGenesisMS),
			"periods_per_cycle": testPeriodsPerCycle,
			"delta_f0":          testDeltaF0,
			"endorsement_count": testEndorsements,
			"chain_id":          testChainID,
			"network_prefix":    "TEST",
		},
		"initial_ledger": ledger,
		"initial_rolls":  rolls,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// TestMain removes the shared staking wallet the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if walletDir != "" {
		os.RemoveAll(filepath.Dir(walletDir))
	}
	os.Exit(code)
}

var (
	walletOnce sync.Once
	walletDir  string
	walletErr  error
)

// stakingWalletTemplate builds, once per test binary, an encrypted staking
// wallet holding every test staker (each key costs a slow key derivation),
// which homes then copy.
func stakingWalletTemplate(t testing.TB) string {
	walletOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gomassa-node-wallet")
		if err != nil {
			walletErr = err
			return
		}
		walletDir = filepath.Join(dir, "staking_wallets")
		w, err := wallet.Create(walletDir, []byte(testPassword))
		if err != nil {
			walletErr = err
			return
		}
		var keys []*crypto.SecretKey
		for _, s := range testStakers() {
			keys = append(keys, s.key)
		}
		walletErr = w.Add(keys...)
	})
	if walletErr != nil {
		t.Fatal(walletErr)
	}
	return walletDir
}

// newNetworkHome prepares a home for the test network: the loopback-only
// config, the genesis file and a copy of the staking wallet.
func newNetworkHome(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	writeTestFile(t, filepath.Join(home, "config", "config.toml"), []byte(testConfig))
	writeTestFile(t, filepath.Join(home, "config", "genesis.json"), genesisJSON(testStakers()))
	src := stakingWalletTemplate(t)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(home, "config", "staking_wallets", e.Name()), b)
	}
	return home
}

func writeTestFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// logBuffer collects a node's log; tests print its tail when they fail.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tail returns the last n lines.
func (l *logBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// simNode is a node running in this process on a simulated clock. The
// test moves time; the node's main loop is the only user of the clock's
// timers, so "one timer armed" means the loop has finished its step and
// waits: the test then queries a quiescent node.
type simNode struct {
	t      testing.TB
	home   string
	clk    *clock.Simulated
	n      *Node
	log    *logBuffer
	stdout *logBuffer
	cancel context.CancelFunc
	done   chan struct{}
	runErr error
	pub    *api.Client
	priv   *api.Client
}

// startSimNode builds a node over home with opts (Home, Clock, Logger and
// Stdout are filled in) and runs it until its main loop waits for the
// clock.
func startSimNode(t testing.TB, home string, clk *clock.Simulated, opts Options) *simNode {
	t.Helper()
	s := &simNode{t: t, home: home, clk: clk, log: &logBuffer{}, stdout: &logBuffer{}, done: make(chan struct{})}
	opts.Home, opts.Clock = home, clk
	opts.Logger = slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Stdout = s.stdout
	n, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.n = n
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.runErr = n.Run(ctx)
	}()
	t.Cleanup(func() { s.stop() })
	s.waitIdle()
	s.pub = api.NewClient("http://"+n.PublicAddr(), "")
	s.priv = api.NewClient("http://"+n.PrivateAddr(), n.Token())
	return s
}

// waitIdle waits until the node's loop has armed its next timer. It fails
// the test if the node stops or does not get there in a minute of real
// time (a hang, not a timing assertion).
func (s *simNode) waitIdle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.clk.WaitForTimers(ctx, 1); err != nil {
		select {
		case <-s.done:
			s.t.Fatalf("node stopped: %v\n%s", s.runErr, s.log.tail(60))
		default:
		}
		s.t.Fatalf("node loop did not become idle: %v\n%s", err, s.log.tail(60))
	}
}

// advanceTo moves virtual time to ms, one timer at a time, letting the
// node finish each step before the next.
func (s *simNode) advanceTo(ms uint64, each func()) {
	s.t.Helper()
	for s.clk.NowMS() < ms {
		if !s.clk.AdvanceToNextTimer() {
			s.t.Fatal("the node armed no timer")
		}
		s.waitIdle()
		if each != nil {
			each()
		}
	}
}

// stop cancels Run and waits for it to return (a minute at most: a hang).
func (s *simNode) stop() error {
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.t.Fatalf("Run did not return after cancel\n%s", s.log.tail(60))
	}
	return s.runErr
}

// slotMS is the time of a slot on the test network.
func slotMS(sl types.Slot) uint64 {
	return testGenesisMS + sl.Period*testT0 + uint64(sl.Thread)*(testT0/testThreads)
}

func (s *simNode) call(method string, params []any, out any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.pub.Call(ctx, method, params, out); err != nil {
		s.t.Fatalf("%s: %v", method, err)
	}
}
