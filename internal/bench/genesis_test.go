package bench

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	ps, err := ParamSetByName(ParamsLifted)
	if err != nil {
		t.Fatal(err)
	}
	senders, err := DeriveSenders(7, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	staker := DeriveKey(7, "staker", 0)
	g := &GenesisSpec{
		Params: map[string]any{
			"thread_count": uint8(8), "t0": uint64(4000), "genesis_timestamp": uint64(1_700_000_000_000),
			"max_block_size": ps.MaxBlockSize, "max_operations_per_block": ps.MaxOperationsPerBlock,
			"max_gas_per_block": ps.MaxGasPerBlock, "chain_id": uint64(77), "network_prefix": "BNCH",
		},
		Balances: map[types.Address]types.Amount{types.AddressOf(staker.Public()): 5 * types.OneMAS},
		Rolls:    map[types.Address]uint64{types.AddressOf(staker.Public()): 100},
	}
	for i, s := range senders {
		g.Balances[s.Address] = types.Amount(1000 + i)
	}
	path := filepath.Join(t.TempDir(), "config", "genesis.json")
	if err := g.Write(path); err != nil {
		t.Fatal(err)
	}
	data, err := g.Encode()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := g.Encode()
	if string(again) != string(data) {
		t.Fatal("Encode is not deterministic")
	}
	got, err := config.ParseGenesis("genesis.json", data, config.MainnetParams())
	if err != nil {
		t.Fatal(err)
	}
	p := got.Params
	if p.ThreadCount != 8 || p.T0 != 4000 || p.MaxBlockSize != ps.MaxBlockSize || p.MaxOperationsPerBlock != ps.MaxOperationsPerBlock ||
		p.MaxGasPerBlock != ps.MaxGasPerBlock || p.ChainID != 77 || p.NetworkPrefix != "BNCH" || p.GenesisTimestamp != 1_700_000_000_000 {
		t.Fatalf("params: %+v", p)
	}
	if p.PeriodsPerCycle != config.MainnetParams().PeriodsPerCycle {
		t.Fatal("a parameter not given lost mainnet's value")
	}
	if len(got.Ledger) != len(g.Balances) || len(got.Rolls) != 1 || got.Rolls[0].Rolls != 100 {
		t.Fatalf("ledger %d entries, rolls %+v", len(got.Ledger), got.Rolls)
	}
	for _, e := range got.Ledger {
		if g.Balances[e.Address] != e.Balance {
			t.Fatalf("%s: balance %s, want %s", e.Address, e.Balance, g.Balances[e.Address])
		}
	}
	bad := &GenesisSpec{Params: map[string]any{"thread_count": uint8(3)}}
	if err := bad.Write(filepath.Join(t.TempDir(), "g.json")); err == nil {
		t.Fatal("a genesis the node would refuse was written")
	}
	if _, err := ParamSetByName("testnet"); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("unknown parameter set: %v", err)
	}
}

func TestDeriveSendersSpread(t *testing.T) {
	s, err := DeriveSenders(1, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	per := map[uint8]int{}
	seen := map[types.Address]bool{}
	for _, x := range s {
		if x.Address.Thread(32) != x.Thread || seen[x.Address] {
			t.Fatalf("bad sender %+v", x.Address)
		}
		seen[x.Address] = true
		per[x.Thread]++
	}
	for th := range uint8(32) {
		if per[th] != 2 {
			t.Fatalf("thread %d has %d senders", th, per[th])
		}
	}
	again, _ := DeriveSenders(1, 32, 2)
	if again[5].Address != s[5].Address {
		t.Fatal("not deterministic")
	}
}

func TestCapacity(t *testing.T) {
	ps, _ := ParamSetByName(ParamsMainnet)
	st := &nodeStatus{}
	st.Config.ThreadCount, st.Config.T0, st.Config.MaxBlockSize = 32, 16_000, 300_000
	c := capacity(ps, st, 139)
	if c.OpsPerBlock != 2158 || c.BoundBy != "max_block_size" || c.OpsPerSec != 4316 {
		t.Fatalf("mainnet cap: %+v", c)
	}
	lifted, _ := ParamSetByName(ParamsLifted)
	st.Config.MaxBlockSize = lifted.MaxBlockSize
	if c := capacity(lifted, st, 139); c.OpsPerBlock != 100_000 {
		t.Fatalf("lifted cap: %+v", c)
	}
}
