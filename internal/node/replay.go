package node

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/execution"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// Replay rebuilds a node's final state from its genesis and the final
// blocks it stored, outside the node: crash tests compare the result with
// what the node committed, and an operator can check a home the same way.
// The node must not be running on the home (its databases are locked).

// Errors of the replay tool.
var (
	// ErrReplayNoGenesis: the home has no genesis file and no sandbox.
	ErrReplayNoGenesis = errors.New("no genesis to replay from")
	// ErrReplayStoreNotEmpty: the output store already holds a state.
	ErrReplayStoreNotEmpty = errors.New("replay needs an empty store")
	// ErrReplayShort: the blocks on disk do not reach the requested slot.
	ErrReplayShort = errors.New("final blocks on disk do not reach the requested slot")
)

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// GenesisPath is the genesis file the node was started with
	// (--genesis). Empty: <home>/config/genesis.json when it exists, else
	// the home's sandbox genesis, as the node itself decides.
	GenesisPath string
	// Until stops the replay once this slot is final. Nil replays every
	// final block on disk, up to the last slot the node itself finalizes
	// at restart from those blocks.
	Until *types.Slot
	// Logger receives execution's messages; nil discards them.
	Logger *slog.Logger
}

// ReplayResult describes a replayed state.
type ReplayResult struct {
	FinalSlot   types.Slot
	Fingerprint crypto.Hash
	// Blocks and Operations count the final blocks executed and the
	// operations they carried (executed or not).
	Blocks     int
	Operations int
	// Exec answers queries (balances, rolls, credits) on the replayed
	// state while the output store is open.
	Exec *execution.Core
}

// ReplayFinalBlocks rebuilds, in out (an empty store), the final state of
// the node whose home is home: the genesis state, then every final block
// stored in <home>/storage/blocks, in slot order, with every slot without a
// final block executed as a miss, until the final slot is until. It
// returns the state fingerprint and the final slot reached (until, unless
// the node's blocks cannot make it final: then an error wrapping
// ErrReplayShort).
func ReplayFinalBlocks(home string, out *store.Store, until types.Slot) (crypto.Hash, types.Slot, error) {
	r, err := Replay(home, out, ReplayOptions{Until: &until})
	if err != nil {
		return crypto.Hash{}, types.Slot{}, err
	}
	return r.Fingerprint, r.FinalSlot, nil
}

// Replay is ReplayFinalBlocks with options.
func Replay(home string, out *store.Store, opts ReplayOptions) (*ReplayResult, error) {
	cs, err := loadChainSetup(home, opts.GenesisPath)
	if err != nil {
		return nil, err
	}
	if _, ok := out.FinalSlot(); ok {
		return nil, ErrReplayStoreNotEmpty
	}
	bdb, err := openBlockDBReadOnly(home, cs)
	if err != nil {
		return nil, err
	}
	defer bdb.Close()
	index, err := bdb.finalIndex()
	if err != nil {
		return nil, fmt.Errorf("block database: %w", err)
	}

	created, err := execution.InitGenesis(cs.exec, out, cs.genesis)
	if err != nil {
		return nil, fmt.Errorf("genesis state: %w", err)
	}
	if !created {
		return nil, ErrReplayStoreNotEmpty
	}
	selector, err := pos.NewSelector(cs.exec.PoS, 6)
	if err != nil {
		return nil, err
	}
	machine, err := vm.New(vm.DefaultConfig())
	if err != nil {
		return nil, err
	}
	defer machine.Close()
	core, err := execution.New(cs.exec, out, execution.Deps{Draws: selector, Feeder: selector, VM: machine, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	var ferr error
	core.WithPoS(func(st *pos.State) {
		for _, c := range st.ReadyDrawCycles() {
			if err := selector.FeedFrom(st, c); err != nil {
				ferr = fmt.Errorf("draws of cycle %d: %w", c, err)
				return
			}
		}
	})
	if ferr != nil {
		return nil, ferr
	}

	threads := cs.params.ThreadCount
	genesisSlot := types.Slot{Period: cs.params.LastStartPeriod, Thread: threads - 1}
	// The last slot the node finalizes from these blocks: the blocks of
	// each thread are final up to their latest one, and execution's rule
	// (Core.cssFinal) decides the slots in between.
	latest := make([]types.Slot, threads)
	for t := range latest {
		latest[t] = lastSlotOfThreadAtOrBefore(genesisSlot, uint8(t), threads)
	}
	for _, e := range index {
		if latest[e.Slot.Thread].Less(e.Slot) {
			latest[e.Slot.Thread] = e.Slot
		}
	}
	stop := lastFinalizable(genesisSlot, latest, threads)
	if opts.Until != nil {
		if stop.Less(*opts.Until) {
			return nil, fmt.Errorf("%w: asked for %s, the blocks on disk make slots final up to %s", ErrReplayShort, *opts.Until, stop)
		}
		stop = *opts.Until
	}
	if stop.Less(genesisSlot) {
		return nil, fmt.Errorf("%w: %s is before the genesis slot %s", ErrReplayShort, stop, genesisSlot)
	}

	// Feed the blocks one at a time, telling execution that everything up
	// to each block is final: every final block up to there is on disk,
	// so the slots without one are misses, exactly as in the node.
	res := &ReplayResult{Exec: core}
	creators := make(map[types.BlockID]types.Address)
	for _, e := range index {
		if stop.Less(e.Slot) {
			break
		}
		sb, ok, err := bdb.Get(e.ID)
		if err != nil || !ok {
			return nil, fmt.Errorf("block database: final block %s at %s unreadable (found %v): %w", e.ID, e.Slot, ok, err)
		}
		b := sb.block
		if b.Slot() != e.Slot || b.ID() != e.ID {
			return nil, fmt.Errorf("block database: index says %s at %s, the block is %s at %s", e.ID, e.Slot, b.ID(), b.Slot())
		}
		endorsed, err := bdb.endorsedCreator(b, creators)
		if err != nil {
			return nil, err
		}
		creators[e.ID] = b.Creator()
		bte := &execution.BlockToExecute{
			ID: e.ID, Slot: e.Slot, Creator: b.Creator(), EndorsedBlockCreator: endorsed, Operations: sb.ops,
		}
		for _, en := range b.Header.Header.Endorsements {
			bte.EndorsementCreators = append(bte.EndorsementCreators, en.CreatorAddr)
		}
		core.UpdateBlockclique([]*execution.BlockToExecute{bte}, nil, finalUpTo(e.Slot, threads))
		if _, err := core.Run(0); err != nil {
			return nil, fmt.Errorf("execution at %s: %w", e.Slot, err)
		}
		res.Blocks++
		res.Operations += len(sb.ops)
	}
	core.UpdateBlockclique(nil, nil, finalUpTo(stop, threads))
	if _, err := core.Run(0); err != nil {
		return nil, fmt.Errorf("execution up to %s: %w", stop, err)
	}
	res.FinalSlot = core.FinalSlot()
	if res.FinalSlot != stop {
		return nil, fmt.Errorf("%w: execution stopped at %s, want %s", ErrReplayShort, res.FinalSlot, stop)
	}
	res.Fingerprint = out.Fingerprint()
	return res, nil
}

// FinalBlock is one final block read back from a home.
type FinalBlock struct {
	Slot       types.Slot
	ID         types.BlockID
	Block      *types.Block
	Operations []*types.SignedOperation
}

// FinalBlocks calls fn for every final block stored in home, in slot
// order, until fn returns an error. genesisPath is as in ReplayOptions.
func FinalBlocks(home, genesisPath string, fn func(FinalBlock) error) error {
	cs, err := loadChainSetup(home, genesisPath)
	if err != nil {
		return err
	}
	bdb, err := openBlockDBReadOnly(home, cs)
	if err != nil {
		return err
	}
	defer bdb.Close()
	index, err := bdb.finalIndex()
	if err != nil {
		return fmt.Errorf("block database: %w", err)
	}
	for _, e := range index {
		sb, ok, err := bdb.Get(e.ID)
		if err != nil || !ok {
			return fmt.Errorf("block database: final block %s at %s unreadable (found %v): %w", e.ID, e.Slot, ok, err)
		}
		if err := fn(FinalBlock{Slot: e.Slot, ID: e.ID, Block: sb.block, Operations: sb.ops}); err != nil {
			return err
		}
	}
	return nil
}

// chainSetup is what a node derives from its configuration and genesis
// to build execution; start and Replay both build it with newChainSetup.
type chainSetup struct {
	params     config.NetworkParams
	codec      types.CodecParams
	exec       execution.Config
	genesis    execution.Genesis
	genesisKey *crypto.SecretKey
}

// loadChainSetup reads home's configuration and the genesis the node
// would use, without creating anything: a home with neither a genesis
// file nor a sandbox is an error.
func loadChainSetup(home, genesisPath string) (*chainSetup, error) {
	cfg, err := config.Load(home)
	if err != nil {
		return nil, err
	}
	if genesisPath == "" {
		if _, err := os.Stat(config.GenesisPath(home)); err == nil {
			genesisPath = config.GenesisPath(home)
		}
	}
	var g *config.Genesis
	if genesisPath != "" {
		if g, err = cfg.LoadGenesis(config.MainnetParams(), genesisPath); err != nil {
			return nil, err
		}
	} else {
		p := filepath.Join(home, sandboxDirName, sandboxGenesis)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has neither %s nor %s", ErrReplayNoGenesis, home, config.GenesisPath(home), p)
		}
		if err != nil {
			return nil, err
		}
		if g, err = config.ParseGenesis(p, data, config.SandboxParams(0)); err != nil {
			return nil, err
		}
	}
	return newChainSetup(cfg, g)
}

// newChainSetup builds the execution configuration and genesis state the
// way start does.
func newChainSetup(cfg *config.Config, g *config.Genesis) (*chainSetup, error) {
	p := g.Params
	cs := &chainSetup{params: p}
	cs.codec = types.CodecParams{
		ThreadCount:               p.ThreadCount,
		EndorsementCount:          p.EndorsementCount,
		MaxOperationsPerBlock:     p.MaxOperationsPerBlock,
		MaxBlockSize:              p.MaxBlockSize,
		MaxDenunciationsPerHeader: 128,
	}
	var err error
	if cs.genesisKey, err = crypto.ParseSecretKey(GenesisKeyText); err != nil {
		return nil, err
	}
	posCfg := pos.Config{
		ThreadCount:      p.ThreadCount,
		PeriodsPerCycle:  p.PeriodsPerCycle,
		EndorsementCount: int(p.EndorsementCount),
		RollPrice:        p.RollPrice,
		MaxMissNum:       p.PosMissRateThreshold.Num,
		MaxMissDen:       p.PosMissRateThreshold.Den,
		SavedCycles:      7,
		GenesisAddress:   types.AddressOf(cs.genesisKey.Public()),
	}
	posCfg.InitialSeed = pos.DefaultConfig().InitialSeed
	var rolls []pos.RollCount
	for _, r := range g.Rolls {
		rolls = append(rolls, pos.RollCount{Address: r.Address, Rolls: r.Rolls})
	}
	pos.SortRollCounts(rolls)
	ec := execution.DefaultConfig(p.GenesisTimestamp)
	ec.PoS = posCfg
	ec.InitialRolls = rolls
	ec.T0 = p.T0
	ec.LastStartPeriod = p.LastStartPeriod
	ec.BlockReward = p.BlockReward
	ec.MaxGasPerBlock = p.MaxGasPerBlock
	ec.OperationValidityPeriods = p.OperationValidityPeriods
	ec.CursorDelay = uint64(cfg.Execution.CursorDelay)
	if ec.CursorDelay == 0 {
		ec.CursorDelay = execution.DefaultCursorDelay
	}
	if cfg.Execution.MaxFinalEvents > 0 {
		ec.MaxFinalEvents = int(cfg.Execution.MaxFinalEvents)
	}
	ec.ChainID = p.ChainID
	cs.exec = ec
	for _, e := range g.Ledger {
		ge := execution.GenesisEntry{Address: e.Address, Balance: e.Balance, Bytecode: e.Bytecode}
		if len(e.Datastore) > 0 {
			ge.Datastore = make(map[string][]byte, len(e.Datastore))
			for _, d := range e.Datastore {
				ge.Datastore[string(d.Key)] = d.Value
			}
		}
		cs.genesis.Ledger = append(cs.genesis.Ledger, ge)
	}
	for _, c := range g.DeferredCredits {
		cs.genesis.Credits = append(cs.genesis.Credits, pos.Credit{Slot: c.Slot, Address: c.Address, Amount: c.Amount})
	}
	return cs, nil
}

// replayBlockDB is the block database opened read-only.
type replayBlockDB struct {
	*blockDB
	genesis map[types.BlockID]bool
	// genesisAddr created the genesis blocks; period-1 blocks pay it for
	// endorsements of them, as Massa does.
	genesisAddr types.Address
}

func openBlockDBReadOnly(home string, cs *chainSetup) (*replayBlockDB, error) {
	dir := filepath.Join(home, "storage", "blocks")
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: quietPebble{}})
	if err != nil {
		return nil, fmt.Errorf("cannot open the block database %s (is the node still running?): %w", dir, err)
	}
	r := &replayBlockDB{blockDB: &blockDB{db: db, codec: cs.codec, chainID: cs.params.ChainID}, genesis: map[types.BlockID]bool{}, genesisAddr: types.AddressOf(cs.genesisKey.Public())}
	for t := uint8(0); t < cs.params.ThreadCount; t++ {
		r.genesis[types.GenesisBlock(cs.genesisKey, t, cs.params.LastStartPeriod).ID()] = true
	}
	return r, nil
}

// endorsedCreator is the creator of b's same-thread parent as the node
// gives it to execution: the creator of a final block, and the genesis
// address for a genesis parent.
func (b *replayBlockDB) endorsedCreator(blk *types.Block, known map[types.BlockID]types.Address) (types.Address, error) {
	pid := blk.Header.Header.SameThreadParent()
	if b.genesis[pid] {
		return b.genesisAddr, nil
	}
	if a, ok := known[pid]; ok {
		return a, nil
	}
	sb, ok, err := b.Get(pid)
	if err != nil {
		return types.Address{}, fmt.Errorf("block database: parent %s of %s: %w", pid, blk.ID(), err)
	}
	if !ok {
		return types.Address{}, fmt.Errorf("block database: parent %s of final block %s at %s is not stored", pid, blk.ID(), blk.Slot())
	}
	return sb.block.Creator(), nil
}

// lastSlotOfThreadAtOrBefore is the latest slot of thread t that is not
// after s (s itself when it is in thread t).
func lastSlotOfThreadAtOrBefore(s types.Slot, t, threads uint8) types.Slot {
	if t <= s.Thread {
		return types.Slot{Period: s.Period, Thread: t}
	}
	if s.Period == 0 {
		// No thread-t slot precedes s; callers never ask (s is at or
		// after the genesis slot, in the last thread).
		return types.Slot{Thread: t}
	}
	return types.Slot{Period: s.Period - 1, Thread: t}
}

// finalUpTo is the per-thread latest final slots that make every slot up
// to s final and no later one.
func finalUpTo(s types.Slot, threads uint8) []types.Slot {
	out := make([]types.Slot, threads)
	for t := range out {
		out[t] = lastSlotOfThreadAtOrBefore(s, uint8(t), threads)
	}
	return out
}

// lastFinalizable is the last slot after from that execution finalizes
// when the latest final block of each thread is at latest: the slot
// before the first one that is neither at or before its thread's latest
// final slot nor a full period (thread-count slots) before some thread's.
func lastFinalizable(from types.Slot, latest []types.Slot, threads uint8) types.Slot {
	var maxIdx uint64
	for _, l := range latest {
		maxIdx = max(maxIdx, l.Index(threads))
	}
	s := from
	for {
		next := s.Next(threads)
		final := !latest[next.Thread].Less(next) || maxIdx >= next.Index(threads)+uint64(threads)
		if !final {
			return s
		}
		s = next
	}
}
