package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
)

// DevnetOptions describe a local network of several nodes on 127.0.0.x.
type DevnetOptions struct {
	Dir   string // devnet directory: one home per node below it
	Nodes int
	// Network parameters; zero keeps Massa's mainnet value.
	ThreadCount     uint8
	T0              uint64
	DeltaF0         uint64
	PeriodsPerCycle uint64
	NowMS           uint64
	// FreePorts picks free ports instead of Massa's defaults, so that
	// several devnets (tests) can run side by side.
	FreePorts bool
	// FirstIP is the last byte of the first node's 127.0.0.x (default 2).
	FirstIP int
}

// DevnetNode is one node of a devnet.
type DevnetNode struct {
	Index      int    `json:"index"`
	Home       string `json:"home"`
	IP         string `json:"ip"`
	PublicAPI  string `json:"public_api"`
	PrivateAPI string `json:"private_api"`
	P2P        string `json:"p2p"`
	Metrics    string `json:"metrics"`
	// Bootstrap is the node's bootstrap server ([bootstrap] bind).
	Bootstrap string `json:"bootstrap,omitempty"`
	NodeID    string `json:"node_id"`
	Staker    string `json:"staking_address"`
	SecretKey string `json:"staking_secret_key"`
}

// Devnet is what PrepareDevnet writes to <dir>/devnet.json.
type Devnet struct {
	Nodes []DevnetNode `json:"nodes"`
	// Added are nodes that joined later by bootstrap (AddDevnetNode);
	// they hold no rolls and are not started with the others.
	Added        []DevnetNode `json:"added_nodes,omitempty"`
	PasswordFile string       `json:"password_file"`
	ChainID      uint64       `json:"chain_id"`
}

const (
	devnetFile        = "devnet.json"
	devnetBalance     = 1_000_000 * types.OneMAS
	devnetRolls       = 100
	devnetPublicPort  = 33035
	devnetPrivatePort = 33034
	devnetP2PPort     = 31244
	devnetMetricsPort = 31248
	devnetBootPort    = 31245
)

// devnetIP is the loopback address of node i (1-based): 127.0.0.2, .3, …
// (127.0.0.1 stays free for a sandbox).
func devnetIP(first, i int) string { return fmt.Sprintf("127.0.0.%d", first+i-1) }

// freePort asks the kernel for a free TCP port on ip.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		return 0, fmt.Errorf("devnet: cannot listen on %s: %w", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// PrepareDevnet creates (or reloads) the homes of a local network: one
// shared genesis, one staking key per node with the same rolls, node keys,
// and configs that make every node list the others as initial peers. It
// never starts anything.
func PrepareDevnet(o DevnetOptions) (*Devnet, error) {
	if o.Nodes < 1 || o.Nodes > 200 {
		return nil, fmt.Errorf("devnet: --nodes %d must be between 1 and 200", o.Nodes)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devnet: cannot create %s: %w", o.Dir, err)
	}
	manifest := filepath.Join(o.Dir, devnetFile)
	if b, err := os.ReadFile(manifest); err == nil {
		var d Devnet
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("devnet: %s is corrupt (%v): delete %s to create a new devnet", manifest, err, o.Dir)
		}
		if len(d.Nodes) != o.Nodes {
			return nil, fmt.Errorf("devnet: %s holds a devnet of %d nodes, not %d: use --nodes %d, or delete %s to create a new one", o.Dir, len(d.Nodes), o.Nodes, len(d.Nodes), o.Dir)
		}
		return &d, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("devnet: cannot read %s: %w", manifest, err)
	}

	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	pwFile := filepath.Join(o.Dir, "staking_password")
	if err := writeFileAtomic(pwFile, []byte(hex.EncodeToString(raw[:])+"\n"), 0o600); err != nil {
		return nil, err
	}
	pw := []byte(hex.EncodeToString(raw[:]))

	base := config.MainnetParams()
	params := map[string]any{
		"chain_id":       config.ChainIDSandbox,
		"network_prefix": "SAND",
	}
	t0 := base.T0
	if o.ThreadCount != 0 {
		params["thread_count"] = o.ThreadCount
	}
	if o.T0 != 0 {
		params["t0"] = o.T0
		t0 = o.T0
	}
	if o.DeltaF0 != 0 {
		params["delta_f0"] = o.DeltaF0
	}
	if o.PeriodsPerCycle != 0 {
		params["periods_per_cycle"] = o.PeriodsPerCycle
	}
	params["genesis_timestamp"] = o.NowMS + sandboxLeadMS + 2_000 - t0
	gen := sandboxGenesisFile{Params: params, InitialLedger: map[string]map[string]any{}, InitialRolls: map[string]uint64{}}

	d := &Devnet{PasswordFile: pwFile, ChainID: config.ChainIDSandbox}
	for i := 1; i <= o.Nodes; i++ {
		home := filepath.Join(o.Dir, fmt.Sprintf("node-%d", i))
		nodeKey, _, err := wallet.LoadOrCreateNodeKey(filepath.Join(home, "config", "node_privkey.key"), nil)
		if err != nil {
			return nil, err
		}
		staker, err := crypto.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		w, _, err := wallet.OpenOrCreate(filepath.Join(home, "config", "staking_wallets"), pw)
		if err != nil {
			return nil, err
		}
		if err := w.Add(staker); err != nil {
			return nil, err
		}
		addr := types.AddressOf(staker.Public()).String()
		gen.InitialLedger[addr] = map[string]any{"balance": devnetBalance.String()}
		gen.InitialRolls[addr] = devnetRolls
		first := o.FirstIP
		if first == 0 {
			first = 2
		}
		if first+o.Nodes-1 > 254 || first < 1 {
			return nil, fmt.Errorf("devnet: 127.0.0.%d to 127.0.0.%d is not a usable range", first, first+o.Nodes-1)
		}
		ip := devnetIP(first, i)
		ports := []int{devnetPublicPort, devnetPrivatePort, devnetP2PPort, devnetMetricsPort, devnetBootPort}
		if o.FreePorts {
			for k := range ports {
				if ports[k], err = freePort(ip); err != nil {
					return nil, err
				}
			}
		}
		d.Nodes = append(d.Nodes, DevnetNode{
			Index: i, Home: home, IP: ip,
			PublicAPI:  fmt.Sprintf("%s:%d", ip, ports[0]),
			PrivateAPI: fmt.Sprintf("%s:%d", ip, ports[1]),
			P2P:        fmt.Sprintf("%s:%d", ip, ports[2]),
			Metrics:    fmt.Sprintf("%s:%d", ip, ports[3]),
			Bootstrap:  fmt.Sprintf("%s:%d", ip, ports[4]),
			NodeID:     nodeKey.Public().NodeID(),
			Staker:     addr,
			SecretKey:  staker.String(),
		})
	}
	genBytes, err := json.MarshalIndent(gen, "", "  ")
	if err != nil {
		return nil, err
	}
	for _, nd := range d.Nodes {
		if err := writeFileAtomic(filepath.Join(nd.Home, "config", config.GenesisFileName), genBytes, 0o644); err != nil {
			return nil, err
		}
		peers := map[string]map[string]any{}
		for _, other := range d.Nodes {
			if other.Index != nd.Index {
				peers[other.NodeID] = map[string]any{"listeners": map[string]string{other.P2P: "Tcp"}, "category": "Bootstrap"}
			}
		}
		pb, err := json.MarshalIndent(peers, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(nd.Home, "config", "initial_peers.json"), pb, 0o644); err != nil {
			return nil, err
		}
		cfg := devnetConfig(nd, nil)
		if err := writeFileAtomic(filepath.Join(nd.Home, "config", config.ConfigFileName), []byte(cfg), 0o600); err != nil {
			return nil, err
		}
	}
	mb, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(manifest, mb, 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// devnetConfig is the config.toml of a devnet node; servers are the
// bootstrap servers it joins from (none for the genesis nodes).
func devnetConfig(nd DevnetNode, servers []DevnetNode) string {
	list := make([]string, 0, len(servers))
	for _, s := range servers {
		list = append(list, fmt.Sprintf("[%q, %q]", s.Bootstrap, s.NodeID))
	}
	return strings.Join([]string{
		"[api]",
		fmt.Sprintf("bind_public = %q", nd.PublicAPI),
		fmt.Sprintf("bind_private = %q", nd.PrivateAPI),
		fmt.Sprintf("bind_api = \"%s:0\"", nd.IP),
		"",
		"[network]",
		fmt.Sprintf("bind = %q", nd.P2P),
		fmt.Sprintf("routable_ip = %q", nd.IP),
		"initial_peers_file = \"config/initial_peers.json\"",
		"allow_local_peers = true",
		// Connections between 127.0.0.x addresses all come from
		// 127.0.0.1: the per-IP limit would cap each node at two peers.
		"max_in_connections_per_ip = 250",
		"",
		"[bootstrap]",
		fmt.Sprintf("bind = %q", nd.Bootstrap),
		fmt.Sprintf("bootstrap_list = [%s]", strings.Join(list, ", ")),
		"",
		"[metrics]",
		fmt.Sprintf("bind = %q", nd.Metrics),
		"",
	}, "\n")
}
