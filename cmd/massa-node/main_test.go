package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
)

// loopbackConfig puts every listener on a free loopback port and turns the
// metrics server off.
const loopbackConfig = `[api]
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

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// testKey is a deterministic staking key.
func testKey(i int) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	copy(seed[:], fmt.Sprintf("massa-node-cmd-test-%d", i))
	return crypto.SecretKeyFromSeed(seed)
}

// networkGenesis is a valid private-network genesis staked by key.
func networkGenesis(key *crypto.SecretKey) []byte {
	addr := types.AddressOf(key.Public()).String()
	b, _ := json.Marshal(map[string]any{
		"params": map[string]any{
			"thread_count": 4, "t0": 1000, "genesis_timestamp": 1_700_000_000_000,
			"periods_per_cycle": 8, "delta_f0": 20, "endorsement_count": 4,
			"chain_id": 4242, "network_prefix": "TEST",
		},
		"initial_ledger": map[string]any{addr: map[string]string{"balance": "1000"}},
		"initial_rolls":  map[string]uint64{addr: 10},
	})
	return b
}

// snapshotFiles reads every regular file under dir.
func snapshotFiles(t *testing.T, dir string) map[string][]byte {
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

// runCmd runs the command in-process and returns its exit code, stdout and
// stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestBadInput starts the node with one broken input at a time and checks
// that it exits non-zero with one clear line on stderr naming the file,
// and that it changed none of the files already in the home.
func TestBadInput(t *testing.T) {
	t.Setenv("MASSA_PASSWORD", "")

	walletKey := testKey(0)
	const goodPassword = "right horse battery staple"
	// One encrypted staking wallet, copied into the homes that need one.
	walletTemplate := filepath.Join(t.TempDir(), "staking_wallets")
	w, err := wallet.Create(walletTemplate, []byte(goodPassword))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(walletKey); err != nil {
		t.Fatal(err)
	}
	copyWallet := func(t *testing.T, home string) {
		ents, err := os.ReadDir(walletTemplate)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(walletTemplate, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(home, "config", "staking_wallets", e.Name()), b)
		}
	}
	network := func(t *testing.T, home string) {
		writeFile(t, filepath.Join(home, "config", "genesis.json"), networkGenesis(walletKey))
		copyWallet(t, home)
	}

	cases := []struct {
		name string
		// setup fills the home and returns extra arguments.
		setup func(t *testing.T, home string) []string
		// names are what the error must mention (the file and the way
		// out); "HOME" stands for the home directory.
		names []string
		// lines is how many lines stderr has when not one: one per
		// problem, each naming the file (names[0]).
		lines int
	}{
		{
			name: "malformed config",
			setup: func(t *testing.T, home string) []string {
				writeFile(t, filepath.Join(home, "config", "config.toml"), []byte("[api\nbind_public = \"127.0.0.1:0\"\n"))
				return nil
			},
			names: []string{"HOME/config/config.toml"},
		},
		{
			name: "unknown key",
			setup: func(t *testing.T, home string) []string {
				writeFile(t, filepath.Join(home, "config", "config.toml"), []byte(loopbackConfig+"\n[pool]\nmax_operation_pool_sise = 10\n"))
				return nil
			},
			names: []string{"HOME/config/config.toml", "max_operation_pool_sise"},
		},
		{
			name: "bad value",
			setup: func(t *testing.T, home string) []string {
				writeFile(t, filepath.Join(home, "config", "config.toml"), []byte(strings.Replace(loopbackConfig, `bind_public = "127.0.0.1:0"`, `bind_public = "not an address"`, 1)))
				return nil
			},
			names: []string{"HOME/config/config.toml", "bind_public"},
		},
		{
			name: "missing genesis file",
			setup: func(t *testing.T, home string) []string {
				return []string{"--genesis", filepath.Join(home, "nowhere", "genesis.json")}
			},
			names: []string{"HOME/nowhere/genesis.json"},
		},
		{
			name: "malformed genesis file",
			setup: func(t *testing.T, home string) []string {
				copyWallet(t, home)
				writeFile(t, filepath.Join(home, "config", "genesis.json"), []byte(`{"params": {"thread_count": 4}, "initial_legder": {}}`))
				return []string{"--pwd", goodPassword}
			},
			names: []string{"HOME/config/genesis.json", "initial_legder"},
		},
		{
			name: "invalid genesis parameters",
			setup: func(t *testing.T, home string) []string {
				copyWallet(t, home)
				writeFile(t, filepath.Join(home, "config", "genesis.json"), []byte(`{"params": {"thread_count": 3}}`))
				return []string{"--pwd", goodPassword}
			},
			// Two problems: one line each, each naming the file.
			lines: 2,
			names: []string{"HOME/config/genesis.json", "thread_count", "t0"},
		},
		{
			name: "corrupt node key",
			setup: func(t *testing.T, home string) []string {
				writeFile(t, filepath.Join(home, "config", "node_privkey.key"), []byte(`{"secret_key": "S12oops"`))
				return nil
			},
			names: []string{"HOME/config/node_privkey.key", "delete"},
		},
		{
			name: "unreadable node key",
			setup: func(t *testing.T, home string) []string {
				// A directory where the key file should be: unreadable
				// as a key even for root.
				if err := os.MkdirAll(filepath.Join(home, "config", "node_privkey.key"), 0o700); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(home, "config", "node_privkey.key", "x"), []byte("x"))
				return nil
			},
			names: []string{"HOME/config/node_privkey.key"},
		},
		{
			name: "corrupt sandbox key",
			setup: func(t *testing.T, home string) []string {
				writeFile(t, filepath.Join(home, "sandbox", "secret_key"), []byte("S1notakey\n"))
				return nil
			},
			names: []string{"HOME/sandbox/secret_key"},
		},
		{
			name: "wrong staking wallet password",
			setup: func(t *testing.T, home string) []string {
				network(t, home)
				return []string{"--pwd", "wrong password"}
			},
			names: []string{"HOME/config/staking_wallets", "password"},
		},
		{
			name: "no staking wallet password",
			setup: func(t *testing.T, home string) []string {
				network(t, home)
				return nil
			},
			names: []string{"HOME/config/staking_wallets", "--pwd", "MASSA_PASSWORD"},
		},
		{
			name: "missing password file",
			setup: func(t *testing.T, home string) []string {
				network(t, home)
				return []string{"--pwd-file", filepath.Join(home, "no-such-password")}
			},
			names: []string{"HOME/no-such-password"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			cfgPath := filepath.Join(home, "config", "config.toml")
			args := tc.setup(t, home)
			if _, err := os.Stat(cfgPath); err != nil {
				writeFile(t, cfgPath, []byte(loopbackConfig))
			}
			before := snapshotFiles(t, home)

			code, stdout, stderr := runCmd(t, append([]string{"--home", home}, args...)...)
			t.Logf("stderr: %s", stderr)
			if code == 0 {
				t.Fatalf("exit code 0; stdout:\n%s", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			want := max(tc.lines, 1)
			if stderr == "" || len(lines) != want {
				t.Errorf("stderr has %d lines, want %d:\n%s", len(lines), want, stderr)
			}
			for _, l := range lines {
				if file := strings.ReplaceAll(tc.names[0], "HOME", home); !strings.Contains(l, file) {
					t.Errorf("stderr line %q does not name %s", l, file)
				}
			}
			for _, name := range tc.names {
				name = strings.ReplaceAll(name, "HOME", home)
				if !strings.Contains(stderr, name) {
					t.Errorf("stderr does not mention %q", name)
				}
			}
			if strings.Contains(stderr, goodPassword) || strings.Contains(stderr, "wrong password\"") {
				t.Errorf("stderr shows a password")
			}

			after := snapshotFiles(t, home)
			for path, b := range before {
				if a, ok := after[path]; !ok {
					t.Errorf("%s was removed", path)
				} else if !bytes.Equal(a, b) {
					t.Errorf("%s was changed", path)
				}
			}
			var created []string
			for path := range after {
				if _, ok := before[path]; !ok {
					rel, _ := filepath.Rel(home, path)
					created = append(created, rel)
				}
			}
			sort.Strings(created)
			if len(created) > 0 {
				t.Logf("files created by the failed start: %v", created)
			}
		})
	}
}

// TestVersion checks that "version" and --version print one line and exit 0.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 || stderr != "" || strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(stdout, "massa-node gomassa ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// TestUsageErrors checks unknown flags and commands.
func TestUsageErrors(t *testing.T) {
	home := t.TempDir()
	code, _, stderr := runCmd(t, "--home", home, "--no-such-flag")
	if code != 2 || !strings.Contains(stderr, "no-such-flag") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "--home", home, "frobnicate")
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `"frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Errorf("a usage error wrote into the home: %v", ents)
	}
}

// TestConfigDump checks that "config dump" prints the effective
// configuration and refuses a broken file.
func TestConfigDump(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config", "config.toml"), []byte(loopbackConfig))
	code, stdout, stderr := runCmd(t, "--home", home, "config", "dump")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "127.0.0.1:0") {
		t.Errorf("config dump: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	writeFile(t, filepath.Join(home, "config", "config.toml"), []byte("[api]\nbogus = 1\n"))
	code, _, stderr = runCmd(t, "--home", home, "config", "dump")
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "bogus") {
		t.Errorf("config dump of a broken file: exit %d, stderr %q", code, stderr)
	}
}

// startCmd runs the command in a goroutine until its log shows the private
// API, and returns a function that stops it through stop_node and returns
// its exit code, stdout and stderr.
func startCmd(t *testing.T, args ...string) (stop func() (int, string, string)) {
	t.Helper()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	var stdout strings.Builder
	var mu sync.Mutex
	done := make(chan int, 1)
	go func() {
		code := run(args, pw, &stderr)
		pw.Close()
		done <- code
	}()
	ready := make(chan string, 1)
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			mu.Lock()
			stdout.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := privateAPIRe.FindStringSubmatch(sc.Text()); m != nil && !sent {
				ready <- m[1]
				sent = true
			}
		}
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		<-scanDone
		t.Fatalf("massa-node exited with %d before serving its API; stderr %q\n%s", code, stderr.String(), stdout.String())
	case <-time.After(time.Minute):
		t.Fatal("massa-node did not serve its API within a minute")
	}
	home := args[slices.Index(args, "--home")+1]
	return func() (int, string, string) {
		tok, err := os.ReadFile(filepath.Join(home, "config", "api_token"))
		if err != nil {
			t.Fatal(err)
		}
		c := api.NewClient("http://"+addr, strings.TrimSpace(string(tok)))
		if err := c.Call(t.Context(), "stop_node", nil, nil); err != nil {
			t.Fatalf("stop_node: %v", err)
		}
		var code int
		select {
		case code = <-done:
		case <-time.After(time.Minute):
			t.Fatal("massa-node did not stop within a minute of stop_node")
		}
		<-scanDone
		mu.Lock()
		defer mu.Unlock()
		return code, stdout.String(), stderr.String()
	}
}

var privateAPIRe = regexp.MustCompile(`private_api=(\S+)`)

// TestSandboxCommand starts the command with only a loopback config: it
// creates a sandbox key, prints it once with a warning, and keeps it; a
// second start with another --sandbox-secret-key is refused in one line.
func TestSandboxCommand(t *testing.T) {
	t.Setenv("MASSA_PASSWORD", "")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config", "config.toml"), []byte(loopbackConfig))

	code, stdout, stderr := startCmd(t, "--home", home)()
	if code != 0 || stderr != "" {
		t.Fatalf("first start: exit %d, stderr %q", code, stderr)
	}
	keyText, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := crypto.ParseSecretKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatalf("sandbox/secret_key: %v", err)
	}
	if strings.Count(stdout, key.String()) != 1 || !strings.Contains(stdout, "WARNING") {
		t.Errorf("first start should print the key once with a warning:\n%s", stdout)
	}

	code, stdout, stderr = startCmd(t, "--home", home)()
	if code != 0 || stderr != "" || strings.Contains(stdout, key.String()) {
		t.Errorf("second start: exit %d, stderr %q, key printed again: %v", code, stderr, strings.Contains(stdout, key.String()))
	}

	before := snapshotFiles(t, home)
	code, _, stderr = runCmd(t, "--home", home, "--sandbox-secret-key", testKey(7).String())
	t.Logf("stderr: %s", stderr)
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--sandbox-secret-key") ||
		!strings.Contains(stderr, types.AddressOf(key.Public()).String()) || strings.Contains(stderr, testKey(7).String()) {
		t.Errorf("another key: exit %d, stderr %q", code, stderr)
	}
	after := snapshotFiles(t, home)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("%s changed", p)
		}
	}

	code, _, stderr = startCmd(t, "--home", home, "--sandbox-secret-key", key.String())()
	if code != 0 || stderr != "" {
		t.Errorf("start with the sandbox's own key: exit %d, stderr %q", code, stderr)
	}
}
