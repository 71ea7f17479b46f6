package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/execution"
	"github.com/gomassa/gomassa/internal/pool"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/version"
	"github.com/gomassa/gomassa/internal/vm"
	"github.com/gomassa/gomassa/internal/wallet"
)

// GenesisKeyText is Massa's hard-coded key that signs the genesis blocks.
const GenesisKeyText = "S1UxdCJv5ckDK8z87E5Jq5fEfSVLi2cTHgtpfZy7iURs3KpPns8"

// Options are what the command line gives the node.
type Options struct {
	Home             string
	SandboxSecretKey string
	Password         string
	PasswordFile     string
	GenesisPath      string
	LogLevel         string
	Stdout           io.Writer
	// Clock is injected by tests; nil means the real clock.
	Clock clock.Clock
	// Logger overrides the default text logger (tests).
	Logger *slog.Logger
	// Network, when set, replaces the TCP peer-to-peer service (the
	// simulated network of internal/sim uses it). It is called once at
	// start with the node's identity key and the handler of what peers
	// send; the returned network must call the handler one call at a time.
	Network func(key *crypto.SecretKey, h protocol.Handler) (Network, error)
}

// Node is a running gomassa node.
type Node struct {
	opts    Options
	cfg     *config.Config
	params  config.NetworkParams
	genesis *config.Genesis
	sandbox bool
	log     *slog.Logger
	clk     clock.Clock
	cp      clock.Params
	codec   types.CodecParams
	version string
	token   string
	// genesisPath is the file the genesis was read from.
	genesisPath string

	nodeKey    *crypto.SecretKey
	genesisKey *crypto.SecretKey
	verifier   *crypto.BatchVerifier
	// verifySlots bounds the send_operations requests verifying at once.
	verifySlots chan struct{}

	staking *stakingKeys
	// monitor watches the staking addresses' block slots (staking_monitor.go).
	monitor *stakingMonitor

	store    *store.Store
	blockDB  *blockDB
	selector *pos.Selector
	exec     *execution.Core
	vm       *vm.VM
	opPool   *pool.Operations
	endoPool *pool.Endorsements

	// mu guards the consensus graph and the block storage below; the main
	// loop holds it to write, API queries to read.
	mu        sync.RWMutex
	graph     *consensus.Graph
	sources   map[types.BlockID]protocol.PeerID // who sent a block, to ban senders of invalid ones
	blocks    map[types.BlockID]*storedBlock
	opBlocks  opIndex // operations of held blocks, by id (opindex.go)
	endoIndex map[types.EndorsementID]types.BlockID
	produced  map[types.Slot]bool

	lastSlot       types.Slot
	haveLastSlot   bool
	lastEndorsed   types.Slot
	progressLogged types.Slot
	metricsSlot    types.Slot
	warnedNoDraws  bool
	noDrawsCycle   uint64
	haveEndorsed   bool
	stats          statsCounters
	startMS        uint64
	wake           chan struct{}
	stopRequested  chan struct{}
	stopOnce       sync.Once
	apiPublic      *api.HTTPServer
	apiPrivate     *api.HTTPServer
	apiV2          *api.HTTPServer
	metricsServer  *metricsServer
	metrics        *nodeMetrics
	closers        []func() error
	net            Network
	incoming       chan incoming
	runCtx         context.Context
	// boot is the bootstrap client/server and desync state (bootstrap.go).
	boot bootState
}

type statsCounters struct {
	producedBlocks uint64
}

// storedBlock is a block the node holds with its operations.
type storedBlock struct {
	block *types.Block
	ops   []*types.SignedOperation
	own   bool
	// released: an old final block held as its header only (opindex.go).
	released bool
}

// New prepares the home directory and every component, without starting
// anything that runs. Errors are one clear line naming the file and what to do.
func New(opts Options) (*Node, error) {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	cfg, err := config.Load(opts.Home)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, cfg: cfg, clk: opts.Clock, wake: make(chan struct{}, 1), stopRequested: make(chan struct{})}
	n.log = opts.Logger
	if n.log == nil {
		n.log = newLogger(opts.Stdout, cfg.Logging.Level, opts.LogLevel)
	}
	if err := os.MkdirAll(filepath.Join(opts.Home, "config"), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the node home %s: %w", opts.Home, err)
	}

	// Inputs are read before files are created: a network's genesis file
	// and staking wallet (password errors are the most common), then the
	// node key; the sandbox, which creates its key, genesis and wallet
	// password, comes last, so that a bad input never leaves a new
	// sandbox chain behind.
	var sandboxKey *crypto.SecretKey
	genesisFile := opts.GenesisPath
	if genesisFile != "" {
		if _, err := os.Stat(genesisFile); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("genesis file %s does not exist: give the path of the network's genesis.json, or no genesis file to run a sandbox", genesisFile)
		}
	} else if _, err := os.Stat(config.GenesisPath(opts.Home)); err == nil {
		genesisFile = config.GenesisPath(opts.Home)
	}
	if genesisFile != "" {
		g, err := cfg.LoadGenesis(config.MainnetParams(), genesisFile)
		if err != nil {
			return nil, err
		}
		n.genesis, n.genesisPath = g, genesisFile
		if err := n.openStakingWallet(nil, nil); err != nil {
			return nil, err
		}
	} else if len(cfg.Bootstrap.BootstrapList) > 0 {
		return nil, fmt.Errorf("%s lists bootstrap servers, but joining a network needs its genesis file (its parameters): give it with --genesis or put it in %s, or remove [bootstrap] bootstrap_list to run a sandbox", cfg.File, config.GenesisPath(opts.Home))
	}

	if n.genesisKey, err = crypto.ParseSecretKey(GenesisKeyText); err != nil {
		return nil, err
	}
	keyPath := cfg.Path(cfg.Network.KeypairFile)
	if n.nodeKey, _, err = wallet.LoadOrCreateNodeKey(keyPath, nil); err != nil {
		return nil, err
	}
	if n.token, err = loadOrCreateToken(opts.Home); err != nil {
		return nil, err
	}

	if n.genesis == nil {
		g, key, err := prepareSandbox(opts.Home, cfg.Path(cfg.Factory.StakingWalletPath), opts.SandboxSecretKey, n.clk.NowMS(), opts.Stdout)
		if err != nil {
			return nil, err
		}
		n.genesis, sandboxKey, n.sandbox = g, key, true
		n.genesisPath = filepath.Join(opts.Home, sandboxDirName, sandboxGenesis)
		cfg.Factory.StopProductionWhenZeroConnections = false
		pw, err := sandboxStakingPassword(opts.Home)
		if err != nil {
			return nil, err
		}
		if err := n.openStakingWallet(pw, sandboxKey); err != nil {
			return nil, err
		}
	}
	n.params = n.genesis.Params
	n.cp = clock.Params{GenesisTimestamp: n.params.GenesisTimestamp, T0: n.params.T0, ThreadCount: n.params.ThreadCount, EndTimestamp: n.params.EndTimestamp}
	n.codec = types.CodecParams{
		ThreadCount:               n.params.ThreadCount,
		EndorsementCount:          n.params.EndorsementCount,
		MaxOperationsPerBlock:     n.params.MaxOperationsPerBlock,
		MaxBlockSize:              n.params.MaxBlockSize,
		MaxDenunciationsPerHeader: 128,
	}
	n.version = version.String(n.params.NetworkPrefix)
	// send_operations verifies each request's signatures on one goroutine,
	// and at most GOMAXPROCS-1 requests at once: the main loop (block
	// production, execution) must keep a core however hard clients push.
	// Scheduling latency of the main loop was a quarter of its wall time
	// under load when every request fanned out over every core.
	n.verifier = crypto.NewBatchVerifier(crypto.BatchOptions{Workers: 1})
	n.verifySlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))
	return n, nil
}

// openStakingWallet opens (or creates) the encrypted staking wallet with
// pw, or, when pw is nil, with the password the options give. A sandbox
// passes its generated password and its key, registered in the wallet
// once so that removing it is remembered across restarts.
func (n *Node) openStakingWallet(pw []byte, sandboxKey *crypto.SecretKey) error {
	opts, cfg := n.opts, n.cfg
	walletDir := cfg.Path(cfg.Factory.StakingWalletPath)
	if pw == nil {
		exists, err := wallet.Exists(walletDir)
		if err != nil {
			return err
		}
		pw, err = wallet.Password(wallet.PasswordOptions{
			Value: opts.Password, EnvVars: []string{wallet.EnvPassword}, File: opts.PasswordFile,
			Prompt: "staking wallet password: ", Confirm: !exists, FlagName: "--pwd", FileFlagName: "--pwd-file",
		})
		if err != nil {
			return fmt.Errorf("staking wallet %s: %w", walletDir, err)
		}
	}
	w, _, err := wallet.OpenOrCreate(walletDir, pw)
	if errors.Is(err, wallet.ErrWrongPassword) {
		return fmt.Errorf("%w: give the password it was created with (--pwd, MASSA_PASSWORD or --pwd-file)", err)
	}
	if err != nil {
		return err
	}
	n.staking = newStakingKeys(w)
	if sandboxKey != nil {
		marker := filepath.Join(opts.Home, sandboxDirName, ".staking_key_registered")
		if _, err := os.Stat(marker); err != nil {
			if err := w.Add(sandboxKey); err != nil {
				return fmt.Errorf("cannot register the sandbox key in the staking wallet %s: %w", walletDir, err)
			}
			if err := writeFileAtomic(marker, []byte("the sandbox key was added to the staking wallet once\n"), 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func newLogger(out io.Writer, level uint8, override string) *slog.Logger {
	lv := slog.LevelInfo
	switch level {
	case 0:
		lv = slog.LevelError
	case 1:
		lv = slog.LevelWarn
	case 3, 4:
		lv = slog.LevelDebug
	}
	switch strings.ToLower(override) {
	case "error":
		lv = slog.LevelError
	case "warn", "warning":
		lv = slog.LevelWarn
	case "info":
		lv = slog.LevelInfo
	case "debug", "trace":
		lv = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lv}))
}

// Run starts every component, runs until ctx is cancelled or stop_node is
// called, then stops everything in reverse order.
func (n *Node) Run(ctx context.Context) error {
	if err := n.cfg.CheckPorts(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.runCtx = ctx
	go func() {
		select {
		case <-n.stopRequested:
			cancel()
		case <-ctx.Done():
		}
	}()
	// A desynchronized node restarts here, through a new bootstrap
	// (desync.go).
	for {
		err := n.runOnce(ctx)
		if !errors.Is(err, errDesynchronized) || ctx.Err() != nil {
			return err
		}
		if err := n.resync(err); err != nil {
			return err
		}
	}
}

// runOnce starts every component and runs the main loop until ctx ends or
// the loop fails, then stops everything.
func (n *Node) runOnce(ctx context.Context) error {
	if err := n.start(); err != nil {
		n.shutdown()
		if ctx.Err() != nil {
			return nil // stopped while bootstrapping
		}
		return err
	}
	defer n.shutdown()
	return n.loop(ctx)
}

// RequestStop asks the main loop to stop (stop_node).
func (n *Node) RequestStop() {
	n.stopOnce.Do(func() { close(n.stopRequested) })
}

func (n *Node) start() error {
	p := n.params
	storageDir := filepath.Join(n.opts.Home, "storage")
	st, err := store.Open(filepath.Join(storageDir, "ledger"), store.Options{Logger: n.log})
	if err != nil {
		return fmt.Errorf("cannot open the state database in %s: %w", storageDir, err)
	}
	n.store = st
	n.closers = append(n.closers, st.Close)
	if n.blockDB, err = openBlockDB(filepath.Join(storageDir, "blocks"), n.codec, p.ChainID); err != nil {
		return err
	}
	n.closers = append(n.closers, n.blockDB.Close)
	// A home's storage belongs to one chain: a new genesis (an edited
	// genesis.json, a reset sandbox) over an old storage would mix two
	// chains' states and blocks.
	if same, err := n.blockDB.CheckChain(chainIdentity(n.genesis)); err != nil {
		return fmt.Errorf("cannot read the block database in %s: %w", storageDir, err)
	} else if !same {
		return fmt.Errorf("%s holds another chain than the genesis %s describes (was the genesis changed, or the sandbox reset?): delete %s to start this chain from its genesis, or use another --home",
			storageDir, n.genesisPath, storageDir)
	}

	cs, err := newChainSetup(n.cfg, n.genesis)
	if err != nil {
		return err
	}
	if n.selector, err = pos.NewSelector(cs.exec.PoS, 6); err != nil {
		return err
	}
	if n.vm, err = vm.New(vm.DefaultConfig()); err != nil {
		return fmt.Errorf("smart-contract runtime: %w", err)
	}
	n.closers = append(n.closers, n.vm.Close)
	ecfg, eg := cs.exec, cs.genesis
	if err := n.bootstrapIfNeeded(); err != nil {
		return err
	}
	created, err := execution.InitGenesis(ecfg, st, eg)
	if err != nil {
		return fmt.Errorf("cannot write the genesis state: %w", err)
	}
	if created {
		n.log.Info("genesis state written", "fingerprint", st.Fingerprint(), "chain_id", p.ChainID)
	}
	if n.exec, err = execution.New(ecfg, st, execution.Deps{Draws: n.selector, Feeder: n.selector, VM: n.vm, Logger: n.log}); err != nil {
		return fmt.Errorf("cannot load the final state: %w", err)
	}
	if err := n.feedSelector(); err != nil {
		return err
	}

	n.opPool = pool.NewOperations(pool.Config{
		ThreadCount:     p.ThreadCount,
		MaxCount:        int(n.cfg.Pool.MaxOperationPoolSize),
		MaxBytes:        int(n.cfg.Pool.MaxOperationPoolBytes),
		MinimalFee:      n.cfg.Pool.MinimalFees.Amount,
		RollPrice:       p.RollPrice,
		MaxBlockSize:    int(p.MaxBlockSize),
		MaxOpsPerBlock:  int(p.MaxOperationsPerBlock),
		MaxGasPerBlock:  p.MaxGasPerBlock,
		ValidityPeriods: p.OperationValidityPeriods,
	}, poolState{n.exec})
	// The pool forgets operations once executed in a final slot: execution
	// hands their ids over after each run (step).
	n.exec.TrackFinalizedOps()
	maxEndo := int(n.cfg.Pool.MaxEndorsementsPoolSizePerThread) * int(p.ThreadCount)
	if maxEndo <= 0 {
		maxEndo = 25_000
	}
	n.endoPool = pool.NewEndorsements(p.ThreadCount, maxEndo, drawsAdapter{n.selector})

	if err := n.startConsensus(); err != nil {
		return err
	}
	if err := n.startNetwork(); err != nil {
		return err
	}
	if err := n.startBootstrapServer(); err != nil {
		return err
	}
	n.startMS = n.clk.NowMS()
	n.skipStartSlot(n.startMS)
	n.monitor = newStakingMonitor(n)
	if err := n.startAPI(); err != nil {
		return err
	}
	n.logStart()
	return nil
}

// skipStartSlot makes the node produce only for slots that begin after it
// started, as Massa's factories do. Consensus keeps only final blocks
// across a restart, so a node restarted within a slot does not know the
// block or the endorsements it signed for that slot before it stopped:
// signing again, on other parents, would be an equivocation (two blocks or
// endorsements by one key for one slot), which peers denounce.
func (n *Node) skipStartSlot(now uint64) {
	if cur, ok := n.cp.LatestSlotAt(now); ok {
		n.lastSlot, n.haveLastSlot = cur, true
		n.opPool.SetCurrentPeriod(cur.Period)
	}
	if target, ok := n.cp.LatestSlotAt(now + n.params.T0/2); ok {
		n.lastEndorsed, n.haveEndorsed = target, true
	}
}

// feedSelector gives the selector the draws of every cycle the final state
// can compute now (execution feeds later cycles as they complete).
func (n *Node) feedSelector() error {
	var ferr error
	n.exec.WithPoS(func(st *pos.State) {
		for _, c := range st.ReadyDrawCycles() {
			if err := n.selector.FeedFrom(st, c); err != nil {
				ferr = fmt.Errorf("draws of cycle %d: %w", c, err)
				return
			}
		}
	})
	return ferr
}

func (n *Node) logStart() {
	mode := "network"
	if n.sandbox {
		mode = "sandbox"
	}
	n.log.Info("node started",
		"mode", mode,
		"version", n.version,
		"node_id", n.nodeKey.Public().NodeID(),
		"chain_id", n.params.ChainID,
		"genesis", time.UnixMilli(int64(n.params.GenesisTimestamp)).UTC().Format(time.RFC3339),
		"public_api", n.apiPublic.Addr().String(),
		"private_api", n.apiPrivate.Addr().String(),
		"staking_addresses", len(n.staking.Addresses()),
	)
}

func (n *Node) shutdown() {
	if n.apiPublic != nil {
		_ = n.apiPublic.Stop()
	}
	if n.apiPrivate != nil {
		_ = n.apiPrivate.Stop()
	}
	if n.apiV2 != nil {
		_ = n.apiV2.Stop()
	}
	if n.metricsServer != nil {
		n.metricsServer.Stop()
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i](); err != nil {
			n.log.Warn("close", "err", err)
		}
	}
	n.closers = nil
	n.log.Info("node stopped")
}

// poolState adapts execution to the pool's view of the speculative state.
type poolState struct{ e *execution.Core }

func (p poolState) CandidateBalance(a types.Address) types.Amount {
	b, _, err := p.e.CandidateBalance(a)
	if err != nil {
		return 0
	}
	return b
}

func (p poolState) CandidateRollCount(a types.Address) uint64 {
	_, candidate := p.e.RollCounts(a)
	return candidate
}

func (p poolState) Executed(id types.OperationID) (executed, final bool) {
	return p.e.Executed(id)
}

// drawsAdapter gives consensus and the endorsement pool per-index endorsers.
type drawsAdapter struct{ s *pos.Selector }

func (d drawsAdapter) Producer(s types.Slot) (types.Address, error) {
	a, err := d.s.Producer(s)
	if errors.Is(err, pos.ErrDrawsNotReady) {
		return types.Address{}, consensus.ErrDrawsNotReady
	}
	return a, err
}

func (d drawsAdapter) Endorser(s types.Slot, i uint32) (types.Address, error) {
	es, err := d.s.Endorsers(s)
	if err != nil {
		if errors.Is(err, pos.ErrDrawsNotReady) {
			return types.Address{}, consensus.ErrDrawsNotReady
		}
		return types.Address{}, err
	}
	if int(i) >= len(es) {
		return types.Address{}, fmt.Errorf("endorsement index %d >= %d", i, len(es))
	}
	return es[i], nil
}
