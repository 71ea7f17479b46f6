package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

func testAddr(i byte) types.Address {
	var seed [crypto.SeedSize]byte
	seed[0] = i
	return types.AddressOf(crypto.SecretKeyFromSeed(seed).Public())
}

func TestNetworkParamsDefaults(t *testing.T) {
	p := MainnetParams()
	if p.ThreadCount != 32 || p.T0 != 16_000 || p.GenesisTimestamp != 1_705_312_800_000 || p.EndTimestamp != nil ||
		p.PeriodsPerCycle != 128 || p.EndorsementCount != 16 || p.DeltaF0 != 1088 || p.OperationValidityPeriods != 10 ||
		p.RollPrice.String() != "100" || p.BlockReward.String() != "0.40001" || p.MaxBlockSize != 300_000 ||
		p.MaxOperationsPerBlock != 5000 || p.MaxGasPerBlock != 4_294_967_295 || p.ChainID != 77658377 ||
		p.NetworkPrefix != "MAIN" || p.LastStartPeriod != 0 || p.PosMissRateThreshold != (Ratio{7, 10}) ||
		p.LedgerCostPerByte.String() != "0.0001" || p.LedgerEntryBaseCost.String() != "0.001" || p.DatastoreBaseSize != 4 {
		t.Fatalf("mainnet params differ from the spec: %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.SlotDuration() != 500 || p.DatastoreEntryBaseCost().String() != "0.0004" {
		t.Fatal("derived values")
	}
	s := SandboxParams(123)
	if s.ChainID != 77 || s.GenesisTimestamp != 123 || s.Validate() != nil {
		t.Fatalf("sandbox: %+v", s)
	}
}

func TestNetworkParamsValidate(t *testing.T) {
	end := uint64(5)
	tests := []struct {
		name string
		mod  func(*NetworkParams)
		want string
	}{
		{"not power of two", func(p *NetworkParams) { p.ThreadCount = 6; p.T0 = 6000 }, "thread_count = 6: must be a power of two"},
		{"one thread", func(p *NetworkParams) { p.ThreadCount = 1 }, "thread_count = 1"},
		{"t0 multiple", func(p *NetworkParams) { p.T0 = 1001 }, "t0 = 1001: must be a multiple of thread_count 32"},
		{"t0 zero", func(p *NetworkParams) { p.T0 = 0 }, "t0 = 0"},
		{"end before genesis", func(p *NetworkParams) { p.EndTimestamp = &end }, "end_timestamp = 5"},
		{"cycle", func(p *NetworkParams) { p.PeriodsPerCycle = 0 }, "periods_per_cycle = 0"},
		{"prefix", func(p *NetworkParams) { p.NetworkPrefix = "main" }, "network_prefix"},
		{"ratio", func(p *NetworkParams) { p.PosMissRateThreshold = Ratio{3, 2} }, "pos_miss_rate_threshold"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := MainnetParams()
			tc.mod(&p)
			err := p.Validate()
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRatio(t *testing.T) {
	for in, want := range map[string]Ratio{"7/10": {7, 10}, "0.7": {7, 10}, ".5": {1, 2}, "1": {1, 1}, "14/20": {7, 10}, "0": {0, 1}} {
		got, err := ParseRatio(in)
		if err != nil || got != want {
			t.Errorf("ParseRatio(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1/0", "a", "-0.5", "1e-3", "0.1234567890123456789"} {
		if _, err := ParseRatio(in); err == nil {
			t.Errorf("ParseRatio(%q) accepted", in)
		}
	}
}

func TestParseGenesis(t *testing.T) {
	a1, a2, a3 := testAddr(1), testAddr(2), testAddr(3)
	doc := `{
  "params": {"thread_count": 4, "t0": 1000, "genesis_timestamp": 1700000000000, "chain_id": 77,
             "roll_price": "10", "pos_miss_rate_threshold": "0.5", "end_timestamp": 1800000000000},
  "initial_ledger": {
    "` + a2.String() + `": {"balance": "1000", "bytecode": [0, 97, 115, 109], "datastore": [[[2], [20]], [[1], [10, 11]]]},
    "` + a1.String() + `": {"balance": "0.5", "bytecode": [], "datastore": {}}
  },
  "initial_rolls": {"` + a3.String() + `": 10, "` + a1.String() + `": 2},
  "initial_deferred_credits": {"` + a1.String() + `": [{"slot": {"period": 9, "thread": 3}, "amount": "1"},
                                                     {"slot": {"period": 2, "thread": 0}, "amount": "2.5"}]}
}`
	g, err := ParseGenesis("genesis.json", []byte(doc), MainnetParams())
	if err != nil {
		t.Fatal(err)
	}
	p := g.Params
	if p.ThreadCount != 4 || p.T0 != 1000 || p.GenesisTimestamp != 1_700_000_000_000 || p.ChainID != 77 ||
		p.RollPrice != 10*types.OneMAS || p.PosMissRateThreshold != (Ratio{1, 2}) || p.EndTimestamp == nil || *p.EndTimestamp != 1_800_000_000_000 {
		t.Fatalf("params: %+v", p)
	}
	if p.PeriodsPerCycle != 128 || p.BlockReward != types.MustAmount("0.40001") {
		t.Fatal("params not given must keep the base values")
	}
	if base := MainnetParams(); base.EndTimestamp != nil {
		t.Fatal("base params were modified")
	}
	if len(g.Ledger) != 2 || g.Ledger[0].Address.Compare(g.Ledger[1].Address) >= 0 {
		t.Fatalf("ledger not sorted: %+v", g.Ledger)
	}
	for _, e := range g.Ledger {
		switch e.Address {
		case a1:
			if e.Balance != types.MustAmount("0.5") || len(e.Bytecode) != 0 || len(e.Datastore) != 0 {
				t.Fatalf("a1 entry: %+v", e)
			}
		case a2:
			if e.Balance != 1000*types.OneMAS || string(e.Bytecode) != "\x00asm" || len(e.Datastore) != 2 ||
				e.Datastore[0].Key[0] != 1 || e.Datastore[1].Value[0] != 20 {
				t.Fatalf("a2 entry: %+v", e)
			}
		default:
			t.Fatalf("unexpected address %v", e.Address)
		}
	}
	if len(g.Rolls) != 2 || g.Rolls[0].Address.Compare(g.Rolls[1].Address) >= 0 {
		t.Fatalf("rolls: %+v", g.Rolls)
	}
	if len(g.DeferredCredits) != 2 || g.DeferredCredits[0].Slot != (types.Slot{Period: 2}) || g.DeferredCredits[1].Amount != types.OneMAS {
		t.Fatalf("deferred credits: %+v", g.DeferredCredits)
	}
}

func TestParseGenesisErrors(t *testing.T) {
	a := testAddr(1).String()
	sc := types.Address{SC: true, Hash: testAddr(2).Hash}.String()
	tests := []struct {
		name   string
		doc    string
		target error
		want   string
	}{
		{"syntax", "{\n\"params\": {\n\"t0\": 1000,,\n}}", ErrMalformed, "genesis.json:3:"},
		{"empty", "", ErrMalformed, "empty file"},
		{"trailing", `{} {}`, ErrMalformed, "unexpected data after the JSON value"},
		{"not object", `[]`, ErrInvalid, "genesis must be a JSON object"},
		{"unknown top field", `{"initial_roll": {}}`, ErrUnknownKey, `genesis: unknown field "initial_roll" (did you mean "initial_rolls"?)`},
		{"duplicate top field", `{"params": {}, "params": {}}`, ErrInvalid, `"params" appears twice`},
		{"unknown param", "{\"params\": {\n\"thread_cont\": 4}}", ErrUnknownKey, `genesis.json:2: params: unknown field "thread_cont" (did you mean "thread_count"?)`},
		{"param type", `{"params": {"thread_count": 300}}`, ErrInvalid, "params.thread_count = 300: want an integer from 0 to 255"},
		{"param amount", `{"params": {"roll_price": 100}}`, nil, "params.roll_price = 100: amount must be a decimal string"},
		{"param invalid", `{"params": {"thread_count": 6, "t0": 6000}}`, ErrInvalid, "genesis.json: params: thread_count = 6: must be a power of two"},
		{"bad address", `{"initial_ledger": {"AUnope": {"balance": "1"}}}`, ErrInvalid, "initial_ledger: address"},
		{"bad amount", `{"initial_ledger": {"` + a + `": {"balance": "1.0000000001"}}}`, types.ErrBadEncoding, ".balance: amount"},
		{"number amount", `{"initial_ledger": {"` + a + `": {"balance": 5}}}`, nil, ".balance: amount must be a decimal string"},
		{"missing balance", `{"initial_ledger": {"` + a + `": {"bytecode": []}}}`, ErrInvalid, `"balance" is missing`},
		{"unknown entry field", `{"initial_ledger": {"` + a + `": {"balance": "1", "balanse": "2"}}}`, ErrUnknownKey, `unknown field "balanse" (did you mean "balance"?)`},
		{"bytecode range", `{"initial_ledger": {"` + a + `": {"balance": "1", "bytecode": [1, 256]}}}`, ErrInvalid, "[1] = 256 is not a byte value"},
		{"bytecode type", `{"initial_ledger": {"` + a + `": {"balance": "1", "bytecode": "AGFzbQ=="}}}`, ErrInvalid, "bytecode: want an array of byte values"},
		{"datastore pair", `{"initial_ledger": {"` + a + `": {"balance": "1", "datastore": [[[1]]]}}}`, ErrInvalid, "datastore: [0]: want a [[key bytes], [value bytes]] pair"},
		{"datastore dup", `{"initial_ledger": {"` + a + `": {"balance": "1", "datastore": [[[1],[2]],[[1],[3]]]}}}`, ErrInvalid, "given twice"},
		{"datastore object", `{"initial_ledger": {"` + a + `": {"balance": "1", "datastore": {"k": [1]}}}}`, ErrInvalid, "datastore: write entries as an array"},
		{"duplicate address", `{"initial_rolls": {"` + a + `": 1, "` + a + `": 2}}`, ErrInvalid, "appears twice"},
		{"sc rolls", `{"initial_rolls": {"` + sc + `": 1}}`, ErrInvalid, "a smart contract cannot hold rolls"},
		{"rolls type", `{"initial_rolls": {"` + a + `": "ten"}}`, ErrInvalid, "want a whole number of rolls"},
		{"negative rolls", `{"initial_rolls": {"` + a + `": -1}}`, ErrInvalid, "want a whole number of rolls"},
		{"credit thread", `{"params": {"thread_count": 4, "t0": 4000}, "initial_deferred_credits": {"` + a + `": [{"slot": {"period": 1, "thread": 4}, "amount": "1"}]}}`, ErrInvalid, "thread 4 is not below thread_count 4"},
		{"credit fields", `{"initial_deferred_credits": {"` + a + `": [{"slot": {"period": 1, "thread": 0}}]}}`, ErrInvalid, `"slot" and "amount" are both required`},
		{"credit unknown", `{"initial_deferred_credits": {"` + a + `": [{"slot": {"period": 1, "thread": 0}, "amount": "1", "x": 1}]}}`, ErrInvalid, `unknown field "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseGenesis("genesis.json", []byte(tc.doc), MainnetParams())
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Fatalf("%q does not wrap %v", err, tc.target)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "genesis.json") {
				t.Fatalf("%q lacks %q", err, tc.want)
			}
		})
	}
}

func TestMassaSeparateFiles(t *testing.T) {
	a1, a2 := testAddr(1), testAddr(2)
	ledger := `{"` + a2.String() + `": {"balance": "250000000"}, "` + a1.String() + `": {"balance": "1", "bytecode": [], "datastore": []}}`
	rolls := `{"` + a1.String() + `": 100}`
	l, err := ParseInitialLedger("initial_ledger.json", []byte(ledger))
	if err != nil || len(l) != 2 || l[0].Address.Compare(l[1].Address) >= 0 {
		t.Fatalf("ledger: %v %+v", err, l)
	}
	r, err := ParseInitialRolls("initial_rolls.json", []byte(rolls))
	if err != nil || len(r) != 1 || r[0].Rolls != 100 || r[0].Address != a1 {
		t.Fatalf("rolls: %v %+v", err, r)
	}

	home := t.TempDir()
	dir := filepath.Join(home, "config")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Home = home

	// Nothing on disk: base params, empty state.
	g, err := c.LoadGenesis(MainnetParams(), "")
	if err != nil || g.Params.ChainID != ChainIDMainnet || len(g.Ledger)+len(g.Rolls) != 0 {
		t.Fatalf("empty genesis: %v %+v", err, g)
	}
	// An explicit path must exist.
	if _, err := c.LoadGenesis(MainnetParams(), filepath.Join(home, "missing.json")); err == nil {
		t.Fatal("missing explicit genesis accepted")
	}
	// Massa's separate files, at their default paths.
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("initial_ledger.json", ledger)
	write("initial_rolls.json", rolls)
	g, err = c.LoadGenesis(MainnetParams(), "")
	if err != nil || len(g.Ledger) != 2 || len(g.Rolls) != 1 {
		t.Fatalf("separate files: %v %+v", err, g)
	}
	// genesis.json with params only: combined with the separate files.
	write("genesis.json", `{"params": {"thread_count": 4, "t0": 1000}}`)
	g, err = c.LoadGenesis(MainnetParams(), "")
	if err != nil || g.Params.ThreadCount != 4 || len(g.Ledger) != 2 {
		t.Fatalf("combined: %v %+v", err, g)
	}
	// The ledger in both places: refused.
	write("genesis.json", `{"initial_ledger": {}}`)
	if _, err := c.LoadGenesis(MainnetParams(), ""); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "initial_ledger_path") {
		t.Fatalf("conflict not reported: %v", err)
	}
	write("genesis.json", `{"initial_rolls": {}}`)
	if err := os.Remove(filepath.Join(dir, "initial_ledger.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadGenesis(MainnetParams(), ""); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "initial_rolls_path") {
		t.Fatalf("conflict not reported: %v", err)
	}
	// A broken separate file names itself.
	write("genesis.json", `{}`)
	write("initial_rolls.json", `{"x": 1}`)
	if _, err := c.LoadGenesis(MainnetParams(), ""); err == nil || !strings.Contains(err.Error(), "initial_rolls.json") {
		t.Fatalf("bad rolls file: %v", err)
	}
}
