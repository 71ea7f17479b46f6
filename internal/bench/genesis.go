package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/types"
)

// ParamSet is a named set of block limits a bench network runs with.
type ParamSet struct {
	Name                  string
	MaxBlockSize          uint32
	MaxOperationsPerBlock uint32
	MaxGasPerBlock        uint64
}

// Parameter set names.
const (
	ParamsMainnet = "mainnet"
	ParamsLifted  = "lifted"
)

// ParamSetByName returns "mainnet" (Massa's caps: 300,000-byte blocks of at
// most 5,000 operations) or "lifted" (caps far above what one node can
// fill, so that the node's own speed is what limits throughput).
func ParamSetByName(name string) (ParamSet, error) {
	m := config.MainnetParams()
	switch name {
	case ParamsMainnet:
		return ParamSet{Name: name, MaxBlockSize: m.MaxBlockSize, MaxOperationsPerBlock: m.MaxOperationsPerBlock, MaxGasPerBlock: m.MaxGasPerBlock}, nil
	case ParamsLifted:
		// 100,000 transfers of about 140 bytes, each booking the base
		// operation gas: 100 times mainnet's caps.
		const ops = 100_000
		return ParamSet{Name: name, MaxBlockSize: 30_000_000, MaxOperationsPerBlock: ops, MaxGasPerBlock: ops * types.BaseOperationGasCost}, nil
	}
	return ParamSet{}, fmt.Errorf("parameter set %q: want %q or %q: %w", name, ParamsMainnet, ParamsLifted, ErrBadOptions)
}

// GenesisSpec is the content of a bench network's genesis.json.
type GenesisSpec struct {
	// Params are the genesis.json "params" members (snake_case names of
	// config.NetworkParams); those not given keep mainnet's values.
	Params   map[string]any
	Balances map[types.Address]types.Amount
	Rolls    map[types.Address]uint64
}

// Encode writes the genesis.json that config.ParseGenesis reads.
func (g *GenesisSpec) Encode() ([]byte, error) {
	type entry struct {
		Balance types.Amount `json:"balance"`
	}
	doc := struct {
		Params        map[string]any    `json:"params,omitempty"`
		InitialLedger map[string]entry  `json:"initial_ledger"`
		InitialRolls  map[string]uint64 `json:"initial_rolls"`
	}{Params: g.Params, InitialLedger: map[string]entry{}, InitialRolls: map[string]uint64{}}
	for a, b := range g.Balances {
		doc.InitialLedger[a.String()] = entry{Balance: b}
	}
	for a, r := range g.Rolls {
		doc.InitialRolls[a.String()] = r
	}
	// encoding/json writes map keys sorted: the file is deterministic.
	return json.MarshalIndent(doc, "", " ")
}

// Write encodes the genesis, checks that the node will accept it (by
// parsing it back with config.ParseGenesis) and writes it to path.
func (g *GenesisSpec) Write(path string) error {
	data, err := g.Encode()
	if err != nil {
		return err
	}
	if _, err := config.ParseGenesis(path, data, config.MainnetParams()); err != nil {
		return fmt.Errorf("bench genesis: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
