package config

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "[api]\nbind_public = \"0.0.0.0:33035\"\n", "[protocol]\nbind = \"[::]:1\"\n[network]\nbind = \"[::]:1\"\n",
		"[pool]\nminimal_fees = 0.5\n", "[bootstrap]\nbootstrap_list = [[\"1.2.3.4:5\", \"N1\"]]\n", "[api\n", "level = 1",
		"[network]\nipv6 = false\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("/h", "config.toml", data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse returned an invalid config: %v", err)
		}
	})
}

func FuzzParseGenesis(f *testing.F) {
	a := testAddr(1).String()
	for _, s := range []string{
		"{}", `{"params": {"thread_count": 4, "t0": 1000}}`,
		`{"initial_ledger": {"` + a + `": {"balance": "1", "bytecode": [1,2], "datastore": [[[1],[2]]]}}}`,
		`{"initial_rolls": {"` + a + `": 3}}`,
		`{"initial_deferred_credits": {"` + a + `": [{"slot": {"period": 1, "thread": 0}, "amount": "1"}]}}`,
		`{"params": {"pos_miss_rate_threshold": 0.7}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGenesis("genesis.json", data, MainnetParams())
		if err != nil {
			return
		}
		if err := g.Params.Validate(); err != nil {
			t.Fatalf("invalid params accepted: %v", err)
		}
		for i := 1; i < len(g.Ledger); i++ {
			if g.Ledger[i-1].Address.Compare(g.Ledger[i].Address) >= 0 {
				t.Fatal("ledger not strictly sorted")
			}
		}
		for i := 1; i < len(g.Rolls); i++ {
			if g.Rolls[i-1].Address.Compare(g.Rolls[i].Address) >= 0 {
				t.Fatal("rolls not strictly sorted")
			}
		}
	})
}

func FuzzParseBind(f *testing.F) {
	for _, s := range []string{"0.0.0.0:33035", "[::]:31244", "[fe80::1%eth0]:1", ":1", "a:b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, port, err := ParseBind(s)
		if err != nil {
			return
		}
		if !ip.IsValid() {
			t.Fatalf("invalid ip from %q", s)
		}
		_ = port
	})
}
