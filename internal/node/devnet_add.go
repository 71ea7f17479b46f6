package node

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/wallet"
)

// AddDevnetNode prepares the home of a new node that joins a devnet made
// by PrepareDevnet while it runs: same genesis, node 1 as its bootstrap
// server, the devnet's nodes as initial peers, an empty staking wallet
// (password: the devnet's), on the next 127.0.0.x address. It is recorded
// in devnet.json under added_nodes and never started by `devnet`: run it
// with `massa-node --home <home> --pwd-file <password file>`.
func AddDevnetNode(dir string, freePorts bool) (*DevnetNode, error) {
	manifest := filepath.Join(dir, devnetFile)
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return nil, fmt.Errorf("devnet: cannot read %s (prepare the devnet first): %w", manifest, err)
	}
	var d Devnet
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("devnet: %s is corrupt: %w", manifest, err)
	}
	if len(d.Nodes) == 0 || d.Nodes[0].Bootstrap == "" {
		return nil, fmt.Errorf("devnet: node 1 of %s serves no bootstrap (a devnet prepared by an older version): delete %s and prepare it again", dir, dir)
	}
	first := d.Nodes[0]
	ip1, err := netip.ParseAddr(first.IP)
	if err != nil || !ip1.Is4() {
		return nil, fmt.Errorf("devnet: node 1 has address %q", first.IP)
	}
	index := len(d.Nodes) + len(d.Added) + 1
	last := int(ip1.As4()[3]) + index - 1
	if last > 254 {
		return nil, fmt.Errorf("devnet: no address left after 127.0.0.%d", last-1)
	}
	ip := fmt.Sprintf("127.0.0.%d", last)
	ports := []int{devnetPublicPort, devnetPrivatePort, devnetP2PPort, devnetMetricsPort, devnetBootPort}
	if freePorts {
		for k := range ports {
			if ports[k], err = freePort(ip); err != nil {
				return nil, err
			}
		}
	}
	home := filepath.Join(dir, fmt.Sprintf("node-%d", index))
	nodeKey, _, err := wallet.LoadOrCreateNodeKey(filepath.Join(home, "config", "node_privkey.key"), nil)
	if err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(d.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("devnet: cannot read the staking password %s: %w", d.PasswordFile, err)
	}
	if _, _, err := wallet.OpenOrCreate(filepath.Join(home, "config", "staking_wallets"), []byte(strings.TrimSpace(string(pw)))); err != nil {
		return nil, err
	}
	nd := DevnetNode{
		Index: index, Home: home, IP: ip,
		PublicAPI:  fmt.Sprintf("%s:%d", ip, ports[0]),
		PrivateAPI: fmt.Sprintf("%s:%d", ip, ports[1]),
		P2P:        fmt.Sprintf("%s:%d", ip, ports[2]),
		Metrics:    fmt.Sprintf("%s:%d", ip, ports[3]),
		Bootstrap:  fmt.Sprintf("%s:%d", ip, ports[4]),
		NodeID:     nodeKey.Public().NodeID(),
	}
	gen, err := os.ReadFile(filepath.Join(first.Home, "config", config.GenesisFileName))
	if err != nil {
		return nil, fmt.Errorf("devnet: cannot read node 1's genesis: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(home, "config", config.GenesisFileName), gen, 0o644); err != nil {
		return nil, err
	}
	peers := map[string]map[string]any{}
	for _, other := range d.Nodes {
		peers[other.NodeID] = map[string]any{"listeners": map[string]string{other.P2P: "Tcp"}, "category": "Bootstrap"}
	}
	pb, err := json.MarshalIndent(peers, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(home, "config", "initial_peers.json"), pb, 0o644); err != nil {
		return nil, err
	}
	cfg := devnetConfig(nd, []DevnetNode{first})
	if err := writeFileAtomic(filepath.Join(home, "config", config.ConfigFileName), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	d.Added = append(d.Added, nd)
	mb, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(manifest, mb, 0o600); err != nil {
		return nil, err
	}
	return &nd, nil
}
