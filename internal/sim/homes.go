package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Fixed chain facts of every simulation.
const (
	genesisMS      = 1_700_000_000_000
	simChainID     = 77_001
	simPrefix      = "SIMU"
	walletPassword = "gomassa-sim"
	initialBalance = 1000 * types.OneMAS
)

// nodeConfig keeps every listener on a free loopback port (the API is
// started but never called) and the metrics server off. The P2P bind is
// unused: the simulated network replaces the TCP service.
const nodeConfig = `[api]
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

// keyFor derives a fixed key from a name.
func keyFor(name string) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	copy(seed[:], name)
	return crypto.SecretKeyFromSeed(seed)
}

func stakerKey(i int) *crypto.SecretKey { return keyFor(fmt.Sprintf("gomassa-sim-staker-%d", i)) }
func nodeKey(i int) *crypto.SecretKey   { return keyFor(fmt.Sprintf("gomassa-sim-node-%d", i)) }

// genesisJSON is the genesis every node of a simulation shares.
func (s *Sim) genesisJSON() ([]byte, error) {
	ledger := map[string]map[string]string{}
	rolls := map[string]uint64{}
	for _, n := range s.nodes {
		ledger[n.addr.String()] = map[string]string{"balance": initialBalance.String()}
		rolls[n.addr.String()] = n.rolls
	}
	c := s.cfg
	doc := map[string]any{
		"params": map[string]any{
			"thread_count":      c.Threads,
			"t0":                c.T0,
			"genesis_timestamp": uint64(genesisMS),
			"periods_per_cycle": c.PeriodsPerCycle,
			"delta_f0":          c.DeltaF0,
			"endorsement_count": c.Endorsements,
			"chain_id":          simChainID,
			"network_prefix":    simPrefix,
		},
		"initial_ledger": ledger,
		"initial_rolls":  rolls,
	}
	return json.MarshalIndent(doc, "", "  ")
}

// prepareHome writes node i's home: config, genesis and node key. The
// staking wallet stays empty: the staking key is given to the node in
// memory (node.AddVolatileStakingKeys), since opening an encrypted wallet
// costs a 600 000-round PBKDF2 per key and start.
func (s *Sim) prepareHome(n *simNode, genesis []byte) error {
	nk, err := json.Marshal(nodeKey(n.idx))
	if err != nil {
		return err
	}
	cfgDir := filepath.Join(n.home, "config")
	write := map[string][]byte{
		filepath.Join(cfgDir, "config.toml"):      []byte(nodeConfig),
		filepath.Join(cfgDir, "genesis.json"):     genesis,
		filepath.Join(cfgDir, "node_privkey.key"): nk,
	}
	for path, b := range write {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
