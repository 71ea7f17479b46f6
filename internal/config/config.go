package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// Default ports and binds (Massa's defaults).
const (
	DefaultP2PBind         = "[::]:31244"
	DefaultBootstrapBind   = "[::]:31245"
	DefaultPrivateAPIBind  = "127.0.0.1:33034"
	DefaultPublicAPIBind   = "0.0.0.0:33035"
	DefaultAPIv2Bind       = "0.0.0.0:33036"
	DefaultMetricsBind     = "[::]:31248"
	DefaultHomeDir         = ".massa/node" // under the user's home directory
	ConfigFileName         = "config.toml"
	GenesisFileName        = "genesis.json"
	configDirName          = "config"
	maxConfigFileSize      = 4 << 20
	bootstrapProtocolIPv4  = "IPv4"
	bootstrapProtocolIPv6  = "IPv6"
	bootstrapProtocolBoth  = "Both"
	defaultMinimalFees     = "0.01"
	defaultMaxReadOnlyGas  = 4_294_967_295
	defaultMaxRequestBytes = 52_428_800
)

// Millis is a duration in integer milliseconds, as Massa writes durations
// in config.toml.
type Millis uint64

// Duration converts to a time.Duration, saturating instead of overflowing.
func (m Millis) Duration() time.Duration {
	if m > Millis(1<<63-1)/Millis(time.Millisecond) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(m) * time.Millisecond
}

// Amount is a MAS amount in config.toml. It is written as a string
// ("0.01") like Massa's files, and a bare TOML number (0.01, 1) is read as
// MAS too, from its literal text, so no float rounding ever applies.
type Amount struct{ types.Amount }

// MarshalText writes the decimal MAS string.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.Amount.String()), nil }

// UnmarshalText parses a decimal MAS amount.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := types.ParseAmount(string(b))
	if err != nil {
		return err
	}
	a.Amount = v
	return nil
}

// Config is the node's configuration. Field tags are the TOML keys; their
// names are a contract with operators (they are Massa's) and must not change.
// Paths are relative to Home unless absolute; use Path to resolve them.
type Config struct {
	// Home is the node's home directory; File the config file read (or the
	// one that would have been read). Neither is a TOML key.
	Home string `toml:"-"`
	File string `toml:"-"`

	Logging   LoggingConfig   `toml:"logging"`
	API       APIConfig       `toml:"api"`
	Network   NetworkConfig   `toml:"network"`
	Bootstrap BootstrapConfig `toml:"bootstrap"`
	Metrics   MetricsConfig   `toml:"metrics"`
	Pool      PoolConfig      `toml:"pool"`
	Execution ExecutionConfig `toml:"execution"`
	Consensus ConsensusConfig `toml:"consensus"`
	Factory   FactoryConfig   `toml:"factory"`
	Selector  SelectorConfig  `toml:"selector"`
	Ledger    LedgerConfig    `toml:"ledger"`
	Staking   StakingConfig   `toml:"staking"`
}

// LoggingConfig is [logging].
type LoggingConfig struct {
	// Level: 0 error, 1 warn, 2 info, 3 debug, 4 trace (Massa's scale).
	Level uint8 `toml:"level"`
}

// APIConfig is [api]: the JSON-RPC servers.
type APIConfig struct {
	BindPrivate                    string `toml:"bind_private"`
	BindPublic                     string `toml:"bind_public"`
	BindAPI                        string `toml:"bind_api"` // "API v2" and WebSocket subscriptions
	MaxArguments                   uint64 `toml:"max_arguments"`
	MaxRequestBodySize             uint32 `toml:"max_request_body_size"`
	MaxResponseBodySize            uint32 `toml:"max_response_body_size"`
	MaxConnections                 uint32 `toml:"max_connections"`
	BatchRequestLimit              uint32 `toml:"batch_request_limit"` // 0 disables batches
	DrawLookaheadPeriodCount       uint64 `toml:"draw_lookahead_period_count"`
	MaxDatastoreKeysQuery          uint32 `toml:"max_datastore_keys_query"`
	MaxAddressesDatastoreKeysQuery uint32 `toml:"max_addresses_datastore_keys_query"`
	// EnableCORS answers browser preflight requests, so that web pages
	// using massa-web3 can talk to the public API. Not a Massa key.
	EnableCORS bool `toml:"enable_cors"`
	// PrivateTLSCert and PrivateTLSKey (PEM files, relative to the home)
	// make the private API serve HTTPS. They are required to bind it to a
	// non-loopback address, so that its token never crosses a network in
	// clear. Not Massa keys (Massa's private API is loopback-only HTTP).
	PrivateTLSCert string `toml:"private_tls_cert"`
	PrivateTLSKey  string `toml:"private_tls_key"`
}

// NetworkConfig is [network], also read from Massa's [protocol]: the P2P
// layer.
type NetworkConfig struct {
	Bind string `toml:"bind"`
	// RoutableIP is the IP announced to peers; empty = none announced.
	RoutableIP              string `toml:"routable_ip"`
	InitialPeersFile        string `toml:"initial_peers_file"`
	KeypairFile             string `toml:"keypair_file"`
	MaxInConnections        uint32 `toml:"max_in_connections"`
	MaxInConnectionsPerIP   uint32 `toml:"max_in_connections_per_ip"`
	TargetOutConnections    uint32 `toml:"target_out_connections"`
	MaxOperationsPerMessage uint32 `toml:"max_operations_per_message"`
	// IPv6 false turns every "[::]" bind into "0.0.0.0" and bootstraps over
	// IPv4 only, for machines where IPv6 is disabled.
	IPv6 bool `toml:"ipv6"`
	// AllowLocalPeers lets the node connect to peers on loopback and
	// private addresses learnt from other peers (a devnet on 127.0.0.x).
	// Peers listed in initial_peers_file are always allowed.
	AllowLocalPeers bool `toml:"allow_local_peers"`
}

// BootstrapConfig is [bootstrap].
type BootstrapConfig struct {
	// Bind of the bootstrap server; empty = no server.
	Bind string `toml:"bind"`
	// BootstrapList holds ["ip:port", "N…node id"] pairs.
	BootstrapList             [][]string `toml:"bootstrap_list"`
	BootstrapProtocol         string     `toml:"bootstrap_protocol"` // "IPv4", "IPv6" or "Both"
	BootstrapWhitelistPath    string     `toml:"bootstrap_whitelist_path"`
	BootstrapBlacklistPath    string     `toml:"bootstrap_blacklist_path"`
	ConnectTimeout            Millis     `toml:"connect_timeout"`
	BootstrapTimeout          Millis     `toml:"bootstrap_timeout"`
	RetryDelay                Millis     `toml:"retry_delay"`
	MaxPing                   Millis     `toml:"max_ping"`
	ReadTimeout               Millis     `toml:"read_timeout"`
	WriteTimeout              Millis     `toml:"write_timeout"`
	ReadErrorTimeout          Millis     `toml:"read_error_timeout"`
	WriteErrorTimeout         Millis     `toml:"write_error_timeout"`
	MaxClockDelta             Millis     `toml:"max_clock_delta"`
	CacheDuration             Millis     `toml:"cache_duration"`
	MaxSimultaneousBootstraps uint32     `toml:"max_simultaneous_bootstraps"`
	IPListMaxSize             uint32     `toml:"ip_list_max_size"`
	PerIPMinInterval          Millis     `toml:"per_ip_min_interval"`
	RateLimit                 uint64     `toml:"rate_limit"` // bytes per second
}

// MetricsConfig is [metrics]: the Prometheus endpoint.
type MetricsConfig struct {
	Enabled bool   `toml:"enabled"`
	Bind    string `toml:"bind"`
}

// PoolConfig is [pool].
type PoolConfig struct {
	MinimalFees                      Amount `toml:"minimal_fees"`
	MaxOperationPoolSize             uint64 `toml:"max_operation_pool_size"`
	MaxOperationPoolBytes            uint64 `toml:"max_operation_pool_bytes"`
	MaxEndorsementsPoolSizePerThread uint64 `toml:"max_endorsements_pool_size_per_thread"`
}

// ExecutionConfig is [execution].
type ExecutionConfig struct {
	// CursorDelay: how long after its slot a block is executed
	// speculatively, to let it arrive.
	CursorDelay    Millis `toml:"cursor_delay"`
	MaxReadOnlyGas uint64 `toml:"max_read_only_gas"`
	MaxFinalEvents uint64 `toml:"max_final_events"` // size of the event store
}

// ConsensusConfig is [consensus].
type ConsensusConfig struct {
	MaxFutureProcessingBlocks uint64 `toml:"max_future_processing_blocks"`
	MaxDependencyBlocks       uint64 `toml:"max_dependency_blocks"`
	MaxDiscardedBlocks        uint64 `toml:"max_discarded_blocks"`
	// ForceKeepFinalPeriods: final blocks older than this many periods
	// (behind their thread's latest final period) keep only their header
	// in memory; their operations are read from the block database when
	// asked for. Massa's default is 5; ours is 1, since every final block
	// is on disk with an index of its operations, and each period kept
	// costs t0 x the operation rate in memory (160,000 operations at
	// 10,000/s). At most 32 (force_keep_final_periods_without_ops).
	ForceKeepFinalPeriods uint64 `toml:"force_keep_final_periods"`
	// DesyncThreshold: a node that has seen no block from the network
	// become final for this long re-bootstraps (half of it first makes it
	// ask its peers again). 0 means Massa's two cycles (t0 x
	// periods_per_cycle x 2). Not a Massa key.
	DesyncThreshold Millis `toml:"desync_threshold"`
}

// FactoryConfig is [factory].
type FactoryConfig struct {
	StakingWalletPath string `toml:"staking_wallet_path"`
	// StopProductionWhenZeroConnections avoids producing a lone fork when
	// the node is cut off; false lets a sandbox produce alone.
	StopProductionWhenZeroConnections bool `toml:"stop_production_when_zero_connections"`
}

// SelectorConfig is [selector].
type SelectorConfig struct {
	InitialRollsPath string `toml:"initial_rolls_path"` // used if the file exists
}

// LedgerConfig is [ledger].
type LedgerConfig struct {
	InitialLedgerPath string `toml:"initial_ledger_path"` // used if the file exists
	DiskLedgerPath    string `toml:"disk_ledger_path"`
}

// StakingConfig is [staking]: what the node does with its staking
// addresses besides producing. Not Massa keys.
type StakingConfig struct {
	// AutoCompound lists the staking addresses whose rewards the node
	// turns into rolls ("all" for every staking address; empty: none).
	AutoCompound AddressList `toml:"auto_compound"`
	// AutoCompoundReserve is the balance (MAS) auto-compounding never spends.
	AutoCompoundReserve Amount `toml:"auto_compound_reserve"`
	// AutoCompoundFee is the fee of each roll buy auto-compounding sends.
	AutoCompoundFee Amount `toml:"auto_compound_fee"`
}

// Default returns the built-in configuration (Massa's defaults). Home and
// File are empty; Load fills them.
func Default() Config {
	return Config{
		Logging: LoggingConfig{Level: 2},
		API: APIConfig{
			BindPrivate:                    DefaultPrivateAPIBind,
			BindPublic:                     DefaultPublicAPIBind,
			BindAPI:                        DefaultAPIv2Bind,
			MaxArguments:                   128,
			MaxRequestBodySize:             defaultMaxRequestBytes,
			MaxResponseBodySize:            defaultMaxRequestBytes,
			MaxConnections:                 100,
			BatchRequestLimit:              16,
			DrawLookaheadPeriodCount:       10,
			MaxDatastoreKeysQuery:          500,
			MaxAddressesDatastoreKeysQuery: 50,
			EnableCORS:                     true,
		},
		Network: NetworkConfig{
			Bind:                    DefaultP2PBind,
			InitialPeersFile:        "config/initial_peers.json",
			KeypairFile:             "config/node_privkey.key",
			MaxInConnections:        250,
			MaxInConnectionsPerIP:   2,
			TargetOutConnections:    10,
			MaxOperationsPerMessage: 5000,
			IPv6:                    true,
		},
		Bootstrap: BootstrapConfig{
			Bind:                      DefaultBootstrapBind,
			BootstrapList:             [][]string{},
			BootstrapProtocol:         bootstrapProtocolBoth,
			BootstrapWhitelistPath:    "config/bootstrap_whitelist.json",
			BootstrapBlacklistPath:    "config/bootstrap_blacklist.json",
			ConnectTimeout:            15_000,
			BootstrapTimeout:          1_200_000,
			RetryDelay:                60_000,
			MaxPing:                   10_000,
			ReadTimeout:               300_000,
			WriteTimeout:              300_000,
			ReadErrorTimeout:          200,
			WriteErrorTimeout:         200,
			MaxClockDelta:             5_000,
			CacheDuration:             15_000,
			MaxSimultaneousBootstraps: 2,
			IPListMaxSize:             10_000,
			PerIPMinInterval:          180_000,
			RateLimit:                 20_971_520,
		},
		Metrics: MetricsConfig{Enabled: true, Bind: DefaultMetricsBind},
		Pool: PoolConfig{
			MinimalFees:                      Amount{types.MustAmount(defaultMinimalFees)},
			MaxOperationPoolSize:             500_000,
			MaxOperationPoolBytes:            512 << 20,
			MaxEndorsementsPoolSizePerThread: 1_000,
		},
		Execution: ExecutionConfig{
			CursorDelay:    2_000,
			MaxReadOnlyGas: defaultMaxReadOnlyGas,
			MaxFinalEvents: 10_000,
		},
		Consensus: ConsensusConfig{
			MaxFutureProcessingBlocks: 400,
			MaxDependencyBlocks:       2_048,
			MaxDiscardedBlocks:        100,
			ForceKeepFinalPeriods:     1,
		},
		Factory:  FactoryConfig{StakingWalletPath: "config/staking_wallets"},
		Selector: SelectorConfig{InitialRollsPath: "config/initial_rolls.json"},
		Ledger: LedgerConfig{
			InitialLedgerPath: "config/initial_ledger.json",
			DiskLedgerPath:    "storage/ledger",
		},
		Staking: StakingConfig{
			AutoCompound:        AddressList{},
			AutoCompoundReserve: Amount{types.MustAmount(defaultAutoCompoundReserve)},
			AutoCompoundFee:     Amount{types.MustAmount(defaultMinimalFees)},
		},
	}
}

// DefaultHome is ~/.massa/node.
func DefaultHome() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", errorf("cannot find the user's home directory (give --home): %w", err)
	}
	return filepath.Join(h, DefaultHomeDir), nil
}

// FilePath is <home>/config/config.toml.
func FilePath(home string) string { return filepath.Join(home, configDirName, ConfigFileName) }

// GenesisPath is <home>/config/genesis.json.
func GenesisPath(home string) string { return filepath.Join(home, configDirName, GenesisFileName) }

// Path resolves a path from the configuration: absolute paths are kept,
// relative ones are taken from Home.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Home, p)
}
