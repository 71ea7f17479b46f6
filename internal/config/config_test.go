package config

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(FilePath(home), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

func mustParse(t *testing.T, body string) *Config {
	t.Helper()
	c, err := Parse("/h", "config.toml", []byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func parseErr(t *testing.T, body string, target error, wants ...string) string {
	t.Helper()
	_, err := Parse("/h", "config.toml", []byte(body))
	if err == nil {
		t.Fatalf("Parse(%q) succeeded", body)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("error %q does not wrap %v", err, target)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not contain %q", err, w)
		}
	}
	return err.Error()
}

func TestDefaultsMatchSpec(t *testing.T) {
	c := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"logging.level", c.Logging.Level, uint8(2)},
		{"api.bind_private", c.API.BindPrivate, "127.0.0.1:33034"},
		{"api.bind_public", c.API.BindPublic, "0.0.0.0:33035"},
		{"api.bind_api", c.API.BindAPI, "0.0.0.0:33036"},
		{"api.max_arguments", c.API.MaxArguments, uint64(128)},
		{"api.max_request_body_size", c.API.MaxRequestBodySize, uint32(52_428_800)},
		{"api.batch_request_limit", c.API.BatchRequestLimit, uint32(16)},
		{"api.draw_lookahead_period_count", c.API.DrawLookaheadPeriodCount, uint64(10)},
		{"api.max_datastore_keys_query", c.API.MaxDatastoreKeysQuery, uint32(500)},
		{"api.max_addresses_datastore_keys_query", c.API.MaxAddressesDatastoreKeysQuery, uint32(50)},
		{"network.bind", c.Network.Bind, "[::]:31244"},
		{"network.initial_peers_file", c.Network.InitialPeersFile, "config/initial_peers.json"},
		{"network.keypair_file", c.Network.KeypairFile, "config/node_privkey.key"},
		{"network.max_in_connections", c.Network.MaxInConnections, uint32(250)},
		{"network.target_out_connections", c.Network.TargetOutConnections, uint32(10)},
		{"network.max_in_connections_per_ip", c.Network.MaxInConnectionsPerIP, uint32(2)},
		{"network.ipv6", c.Network.IPv6, true},
		{"network.routable_ip", c.Network.RoutableIP, ""},
		{"bootstrap.bind", c.Bootstrap.Bind, "[::]:31245"},
		{"bootstrap.bootstrap_protocol", c.Bootstrap.BootstrapProtocol, "Both"},
		{"bootstrap.connect_timeout", c.Bootstrap.ConnectTimeout, Millis(15_000)},
		{"bootstrap.bootstrap_timeout", c.Bootstrap.BootstrapTimeout, Millis(1_200_000)},
		{"bootstrap.retry_delay", c.Bootstrap.RetryDelay, Millis(60_000)},
		{"bootstrap.max_ping", c.Bootstrap.MaxPing, Millis(10_000)},
		{"bootstrap.read_timeout", c.Bootstrap.ReadTimeout, Millis(300_000)},
		{"bootstrap.write_timeout", c.Bootstrap.WriteTimeout, Millis(300_000)},
		{"bootstrap.max_clock_delta", c.Bootstrap.MaxClockDelta, Millis(5_000)},
		{"bootstrap.max_simultaneous_bootstraps", c.Bootstrap.MaxSimultaneousBootstraps, uint32(2)},
		{"bootstrap.per_ip_min_interval", c.Bootstrap.PerIPMinInterval, Millis(180_000)},
		{"bootstrap.rate_limit", c.Bootstrap.RateLimit, uint64(20_971_520)},
		{"metrics.enabled", c.Metrics.Enabled, true},
		{"metrics.bind", c.Metrics.Bind, "[::]:31248"},
		{"pool.minimal_fees", c.Pool.MinimalFees.String(), "0.01"},
		{"pool.max_operation_pool_size", c.Pool.MaxOperationPoolSize, uint64(500_000)},
		{"execution.cursor_delay", c.Execution.CursorDelay, Millis(2_000)},
		{"execution.max_read_only_gas", c.Execution.MaxReadOnlyGas, uint64(4_294_967_295)},
		{"consensus.max_future_processing_blocks", c.Consensus.MaxFutureProcessingBlocks, uint64(400)},
		{"consensus.max_dependency_blocks", c.Consensus.MaxDependencyBlocks, uint64(2048)},
		{"consensus.max_discarded_blocks", c.Consensus.MaxDiscardedBlocks, uint64(100)},
		{"consensus.force_keep_final_periods", c.Consensus.ForceKeepFinalPeriods, uint64(1)},
		{"factory.staking_wallet_path", c.Factory.StakingWalletPath, "config/staking_wallets"},
		{"factory.stop_production_when_zero_connections", c.Factory.StopProductionWhenZeroConnections, false},
		{"ledger.disk_ledger_path", c.Ledger.DiskLedgerPath, "storage/ledger"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestLoadMissingFileIsDefaults(t *testing.T) {
	home := t.TempDir()
	c, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Home, want.File = home, FilePath(home)
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("got %+v", c)
	}
	if got := c.Path("config/x"); got != filepath.Join(home, "config/x") {
		t.Fatalf("Path = %s", got)
	}
	if got := c.Path("/abs"); got != "/abs" {
		t.Fatalf("Path(abs) = %s", got)
	}
	if _, err := LoadFile(home, filepath.Join(home, "nope.toml")); err == nil {
		t.Fatal("LoadFile of a missing explicit file must fail")
	}
}

func TestLoadFile(t *testing.T) {
	home := writeConfig(t, "[bootstrap]\nmax_ping = 20000\n[api]\nbind_public = \"0.0.0.0:43035\"\n")
	c, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bootstrap.MaxPing != 20_000 || c.API.BindPublic != "0.0.0.0:43035" || c.Bootstrap.MaxPing.Duration() != 20*time.Second {
		t.Fatalf("values not read: %+v", c.Bootstrap)
	}
	if c.API.BindPrivate != DefaultPrivateAPIBind {
		t.Fatal("unset key lost its default")
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		wants []string
	}{
		{"typo in section", "[api]\nbind_privat = \"127.0.0.1:1\"\n",
			[]string{`config.toml:2: unknown key "api.bind_privat" (did you mean "bind_private"?)`}},
		{"swapped letters", "[bootstrap]\nmax_pnig = 5\n", []string{`unknown key "bootstrap.max_pnig" (did you mean "max_ping"?)`}},
		{"key under wrong section", "[api]\nmax_ping = 5\n", []string{`unknown key "api.max_ping" (did you mean "max_ping" in [bootstrap]?)`}},
		{"root key", "level = 3\n", []string{`config.toml:1: unknown key "level" (did you mean "level" in [logging]?)`}},
		{"unknown section", "[apii]\nbind_public = \"x\"\n", []string{`unknown section [apii] (did you mean [api]?)`}},
		{"unknown key in protocol alias", "[protocol]\nbindd = \"0.0.0.0:1\"\n", []string{`unknown key "protocol.bindd" (did you mean "bind"?)`}},
		{"nothing close", "[api]\nzzzzzzzzzzzz = 1\n", []string{`unknown key "api.zzzzzzzzzzzz"`}},
		{"reserved staking", "[staking]\nfoo = 1\n", []string{`unknown key "staking.foo"`}},
		{"several", "[api]\nfoo1 = 1\n[network]\nbar2 = 2\n", []string{"network.bar2", "api.foo1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, tc.body, ErrUnknownKey, tc.wants...)
			if tc.name == "nothing close" && strings.Contains(msg, "did you mean") {
				t.Fatalf("suggested something for a far key: %s", msg)
			}
		})
	}
}

func TestMalformedTOML(t *testing.T) {
	msg := parseErr(t, "[api]\nbind_public = \"0.0.0.0:1\"\n[bootstrap\n", ErrMalformed, "config.toml:3:")
	if strings.Contains(msg, "\n") {
		t.Fatalf("malformed TOML error is not one line: %q", msg)
	}
	parseErr(t, "[api]\nmax_arguments = \"many\"\n", ErrInvalid,
		"config.toml:2:", "[api] max_arguments", "got a TOML string, want a non-negative integer")
	parseErr(t, "[bootstrap]\nmax_ping = -5\n", ErrInvalid, "config.toml:2:", "[bootstrap] max_ping")
	parseErr(t, "[api]\nmax_arguments = 1\nmax_arguments = 2\n", ErrMalformed, "config.toml:3:", "already defined")
}

func TestNetworkAndProtocolSections(t *testing.T) {
	// The FAQ's advice for machines without IPv6 uses [network].
	c := mustParse(t, "[network]\nbind = \"0.0.0.0:31244\"\nroutable_ip = \"203.0.113.7\"\n[bootstrap]\nbind = \"0.0.0.0:31245\"\n")
	if c.Network.Bind != "0.0.0.0:31244" || c.Network.RoutableIP != "203.0.113.7" {
		t.Fatalf("[network] not read: %+v", c.Network)
	}
	// Massa's own name for the section.
	c = mustParse(t, "[protocol]\nbind = \"0.0.0.0:41244\"\nmax_in_connections = 99\n")
	if c.Network.Bind != "0.0.0.0:41244" || c.Network.MaxInConnections != 99 {
		t.Fatalf("[protocol] not merged: %+v", c.Network)
	}
	// Both, on different keys or with equal values: merged.
	c = mustParse(t, "[network]\nipv6 = true\nbind = \"0.0.0.0:41244\"\n[protocol]\nbind = \"0.0.0.0:41244\"\ntarget_out_connections = 3\n")
	if c.Network.Bind != "0.0.0.0:41244" || c.Network.TargetOutConnections != 3 {
		t.Fatalf("merge: %+v", c.Network)
	}
	// Both, disagreeing: error naming both keys.
	parseErr(t, "[network]\nbind = \"0.0.0.0:1111\"\n[protocol]\nbind = \"0.0.0.0:2222\"\n", ErrConflict,
		"[network] bind and [protocol] bind")
}

func TestIPv6Switch(t *testing.T) {
	c := mustParse(t, "[network]\nipv6 = false\n")
	if c.Network.Bind != "0.0.0.0:31244" || c.Bootstrap.Bind != "0.0.0.0:31245" || c.Metrics.Bind != "0.0.0.0:31248" {
		t.Fatalf("wildcard binds not switched to IPv4: %+v %+v", c.Network, c.Bootstrap)
	}
	if c.Bootstrap.BootstrapProtocol != "IPv4" {
		t.Fatalf("bootstrap_protocol = %s", c.Bootstrap.BootstrapProtocol)
	}
	parseErr(t, "[network]\nipv6 = false\n[api]\nbind_private = \"[::1]:33034\"\n", ErrInvalid,
		`[api] bind_private = "[::1]:33034": is an IPv6 address but [network] ipv6 = false`)
	parseErr(t, "[network]\nipv6 = false\n[bootstrap]\nbootstrap_protocol = \"IPv6\"\n", ErrInvalid, "needs [network] ipv6 = true")
}

func TestValidate(t *testing.T) {
	const node = "N12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8j"
	tests := []struct {
		name string
		body string
		want string
	}{
		{"level", "[logging]\nlevel = 5\n", "[logging] level = 5: must be 0 (error) to 4 (trace)"},
		{"bind port", "[api]\nbind_public = \"0.0.0.0:99999\"\n", `[api] bind_public: "0.0.0.0:99999": port "99999" is not a number in 0..65535`},
		{"bind host", "[api]\nbind_public = \"localhost:1\"\n", "is not an IP address"},
		{"bind form", "[metrics]\nbind = \"31248\"\n", `want "ip:port"`},
		{"same port", "[api]\nbind_api = \"0.0.0.0:33035\"\n", "[api] bind_api = \"0.0.0.0:33035\": uses port 33035, as [api] bind_public does"},
		{"bootstrap pair", "[bootstrap]\nbootstrap_list = [[\"1.2.3.4:31245\"]]\n", "bootstrap_list[0]"},
		{"bootstrap node id", "[bootstrap]\nbootstrap_list = [[\"1.2.3.4:31245\", \"Nxyz\"]]\n", "node id \"Nxyz\""},
		{"bootstrap wildcard", "[bootstrap]\nbootstrap_list = [[\"0.0.0.0:31245\", \"" + node + "\"]]\n", "not a wildcard"},
		{"protocol", "[bootstrap]\nbootstrap_protocol = \"ipv4\"\n", `must be "IPv4", "IPv6" or "Both"`},
		{"zero timeout", "[bootstrap]\nmax_ping = 0\n", "[bootstrap] max_ping = 0: must be more than 0"},
		{"routable ip", "[network]\nroutable_ip = \"example.com\"\n", "[network] routable_ip"},
		{"amount", "[pool]\nminimal_fees = \"-1\"\n", "minimal_fees"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parseErr(t, tc.body, nil, "config.toml", tc.want)
		})
	}
	// A disabled metrics endpoint may share a port; a disabled bootstrap
	// server is an empty bind.
	c := mustParse(t, "[metrics]\nenabled = false\nbind = \"0.0.0.0:33035\"\n[bootstrap]\nbind = \"\"\n")
	for _, b := range c.Binds() {
		if strings.Contains(b.Key, "metrics") || strings.Contains(b.Key, "bootstrap") {
			t.Fatalf("disabled listener in Binds: %v", b)
		}
	}
	// Several problems are all reported.
	_, err := Parse("/h", "config.toml", []byte("[logging]\nlevel = 9\n[api]\nmax_arguments = 0\n"))
	if err == nil || !strings.Contains(err.Error(), "level") || !strings.Contains(err.Error(), "max_arguments") {
		t.Fatalf("not every problem reported: %v", err)
	}
	c = mustParse(t, "[bootstrap]\nbootstrap_list = [[\"[2001:db8::1]:31245\", \""+node+"\"], [\"1.2.3.4:31245\", \""+node+"\"]]\n")
	if len(c.Bootstrap.BootstrapList) != 2 {
		t.Fatal("bootstrap list not read")
	}
}

func TestAmountForms(t *testing.T) {
	for body, want := range map[string]string{
		"minimal_fees = \"0.5\"": "0.5",
		"minimal_fees = 0.02":    "0.02",
		"minimal_fees = 1":       "1",
		"minimal_fees = \"0\"":   "0",
	} {
		c := mustParse(t, "[pool]\n"+body+"\n")
		if got := c.Pool.MinimalFees.String(); got != want {
			t.Errorf("%s: got %s, want %s", body, got, want)
		}
	}
	parseErr(t, "[pool]\nminimal_fees = 0.0000000001\n", ErrInvalid, "config.toml: [pool] minimal_fees: amount")
}

func TestDumpReloads(t *testing.T) {
	const node = "N12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8j"
	in := mustParse(t, "[logging]\nlevel = 4\n[protocol]\nroutable_ip = \"2001:db8::7\"\n[bootstrap]\nbootstrap_list = [[\"1.2.3.4:31245\", \""+node+"\"]]\nmax_ping = 12345\n[pool]\nminimal_fees = \"0.123\"\n[metrics]\nenabled = false\n")
	var buf bytes.Buffer
	if err := Dump(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Parse(in.Home, in.File, buf.Bytes())
	if err != nil {
		t.Fatalf("dump does not re-load: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("dump changed the config:\n%+v\n%+v\n%s", in, out, buf.String())
	}
	for _, want := range []string{"[network]", "bind_private = '127.0.0.1:33034'", "minimal_fees = '0.123'", "max_ping = 12345"} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("dump lacks %q:\n%s", want, buf.String())
		}
	}
	// The defaults too.
	d := Default()
	buf.Reset()
	if err := Dump(&buf, &d); err != nil {
		t.Fatal(err)
	}
	out, err = Parse("", "", buf.Bytes())
	if err != nil || !reflect.DeepEqual(*out, d) {
		t.Fatalf("default dump does not re-load: %v", err)
	}
}

func TestParseBind(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port uint16
		ok   bool
	}{
		{"0.0.0.0:33035", "0.0.0.0", 33035, true},
		{"[::]:31244", "::", 31244, true},
		{"[::1]:0", "::1", 0, true},
		{"127.0.0.1:65535", "127.0.0.1", 65535, true},
		{"127.0.0.1:65536", "", 0, false},
		{"::1:80", "", 0, false},
		{"localhost:80", "", 0, false},
		{":80", "", 0, false},
		{"", "", 0, false},
		{"1.2.3.4", "", 0, false},
	}
	for _, tc := range tests {
		ip, port, err := ParseBind(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseBind(%q) err = %v", tc.in, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBadBind) {
				t.Errorf("ParseBind(%q): %v is not ErrBadBind", tc.in, err)
			}
			continue
		}
		if ip.String() != tc.host || port != tc.port {
			t.Errorf("ParseBind(%q) = %v %d", tc.in, ip, port)
		}
	}
}

func TestCheckPortsFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip("cannot listen on loopback:", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	taken := l.Addr().String()

	c := Default()
	c.File = "/home/u/.massa/node/config/config.toml"
	free := []Bind{{"[api] bind_private", "127.0.0.1:0"}}
	if err := CheckPortsFree(free, c.File); err != nil {
		t.Fatalf("free port reported: %v", err)
	}
	err = CheckPortsFree([]Bind{free[0], {"[api] bind_public", taken}}, c.File)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("taken port not reported: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"port " + strconv.Itoa(port) + " is already in use",
		"([api] bind_public in /home/u/.massa/node/config/config.toml); stop the other program or change the key",
	} {
		if !strings.Contains(msg, want) {
			t.Fatalf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Fatalf("not one line: %q", msg)
	}
	// When /proc is readable the holder is this test process.
	if pid, _, ok := findPortOwner("/proc", uint16(port)); ok {
		if pid != os.Getpid() {
			t.Fatalf("owner pid %d, want %d", pid, os.Getpid())
		}
		if !strings.Contains(msg, "(pid "+strconv.Itoa(os.Getpid())+")") {
			t.Fatalf("holder not named: %q", msg)
		}
	}
	if err := CheckPortsFree([]Bind{{"[api] bind_public", "bad"}}, ""); !errors.Is(err, ErrBadBind) {
		t.Fatalf("bad bind: %v", err)
	}
}

func TestListeningInodes(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8165 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:8165 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:7A6C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
   3: garbage
`
	got := listeningInodes(strings.NewReader(table), 0x8165)
	if !reflect.DeepEqual(got, []string{"4242"}) {
		t.Fatalf("inodes = %v", got)
	}
	if got := listeningInodes(strings.NewReader(table), 31340); !reflect.DeepEqual(got, []string{"5151"}) {
		t.Fatalf("inodes = %v", got)
	}
	if _, _, ok := findPortOwner(t.TempDir(), 1); ok {
		t.Fatal("owner found in an empty proc")
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"bind_privat", "bind_private", 1},
		{"max_pnig", "max_ping", 1},
		{"", "abc", 3},
		{"abc", "abc", 0},
		{"kitten", "sitting", 3},
	} {
		if d := editDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}

func TestMillis(t *testing.T) {
	if Millis(1500).Duration() != 1500*time.Millisecond {
		t.Fatal("Millis")
	}
	if Millis(^uint64(0)).Duration() <= 0 {
		t.Fatal("Millis overflow")
	}
	var a Amount
	if err := a.UnmarshalText([]byte("x")); err == nil {
		t.Fatal("bad amount accepted")
	}
	_ = types.OneMAS
}
