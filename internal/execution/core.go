package execution

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// Draws gives the block producer drawn for a slot (execution needs it for
// misses); *pos.Selector implements it.
type Draws interface {
	Producer(slot types.Slot) (types.Address, error)
}

// DrawFeeder receives the draw inputs of a cycle as soon as the final
// state can compute them (when cycle-2 completes); *pos.Selector
// implements it.
type DrawFeeder interface {
	Feed(in pos.DrawInputs) error
}

// Deps are the collaborators of the core.
type Deps struct {
	Draws Draws
	// Feeder is optional: without it the node feeds the selector itself.
	Feeder DrawFeeder
	// VM is optional: without it smart-contract operations fail.
	VM     VM
	Logger *slog.Logger
}

// Core is the deterministic execution state machine. It owns the final
// state in the store (ledger, PoS, executed operations, trail hash), the
// final PoS state in memory and the active history of speculatively
// executed slots.
//
// Concurrency: UpdateBlockclique and Run must be called from one goroutine
// (the driver, normally Service). Every query method may be called from any
// goroutine at any time: the driver holds the write lock only while it
// changes what queries read (appending to or truncating the history,
// committing a final slot), never while it executes a slot.
type Core struct {
	cfg         Config
	st          *store.Store
	finalLedger *ledger.Final
	pos         *pos.State
	draws       Draws
	feeder      DrawFeeder
	vm          VM
	log         *slog.Logger

	mu          sync.RWMutex
	broken      error
	finalSlot   types.Slot
	finalTrail  crypto.Hash
	finalOps    *opIndex
	finalEvents *eventStore
	// finalAsync is the final asynchronous message pool, finalDeferred
	// the final deferred-call registry.
	finalAsync    map[asyncKey]*AsyncMessage
	finalDeferred *finalDeferred
	history       []*SlotOutput
	// specOps indexes the operations of every history entry, so that
	// "is this op executed speculatively" is one lookup, not one per slot.
	specOps map[types.OperationID]struct{}
	// finalized collects the ids of finalized operations while
	// trackFinalized is on (TrackFinalizedOps, TakeFinalizedOps).
	finalized      []types.OperationID
	trackFinalized bool
	stats          Stats
	// pendingPoS is the state-hash snapshot of the last final slot's
	// cycle: it can only be written with the next final slot (the hash it
	// holds is the hash after the previous commit).
	pendingPoS []pos.Op

	// Driver-only inputs from consensus.
	finalBlocks map[types.Slot]*BlockToExecute
	clique      map[types.Slot]*BlockToExecute
	latestFinal []types.Slot
}

// Stats are the execution counters the API shows.
type Stats struct {
	FinalCursor  types.Slot
	ActiveCursor types.Slot
	// FinalBlocks and FinalExecutedOps count since the core started.
	FinalBlocks      uint64
	FinalExecutedOps uint64
	HistoryLength    int
	FinalEventCount  int
	// FinalSlotsReused counts final slots whose speculative output was
	// committed as is; FinalSlotsExecuted those executed again at
	// finalization (no history, or a history computed for other blocks).
	FinalSlotsReused   uint64
	FinalSlotsExecuted uint64
	// FinalSupply sums the Supply of the slots finalized since start.
	FinalSupply Supply
}

// trailKey holds the execution trail hash; the key is the prefix itself.
var trailKey = []byte(store.PrefixExecutionTrailHash)

// GenesisEntry is one initial ledger entry.
type GenesisEntry struct {
	Address   types.Address
	Balance   types.Amount
	Bytecode  []byte
	Datastore map[string][]byte
}

// Genesis is the initial final state, besides cfg.InitialRolls.
type Genesis struct {
	Ledger []GenesisEntry
	// Credits are initial deferred credits (vesting).
	Credits []pos.Credit
}

// InitGenesis writes the genesis state into an empty store as its first
// commit, at slot (last start period, last thread): the initial ledger,
// PoS cycle 0 with the initial rolls, the initial credits and a zero trail
// hash. On a store that already has a final slot it does nothing and
// returns false.
func InitGenesis(cfg Config, st *store.Store, g Genesis) (bool, error) {
	if err := cfg.Validate(); err != nil {
		return false, err
	}
	if _, ok := st.FinalSlot(); ok {
		return false, nil
	}
	b := st.NewBatch()
	lc := ledger.NewChanges()
	for _, e := range g.Ledger {
		lc.SetEntry(e.Address, e.Balance, e.Bytecode, e.Datastore)
	}
	if err := lc.ApplyTo(b, st); err != nil {
		return false, err
	}
	ps, err := pos.New(cfg.PoS, cfg.InitialRolls)
	if err != nil {
		return false, err
	}
	ops, err := ps.CreateInitialCycle()
	if err != nil {
		return false, err
	}
	applyPoSOps(b, ops)
	applyPoSOps(b, ps.AddInitialCredits(g.Credits))
	var zero crypto.Hash
	b.Put(trailKey, zero[:])
	gs := cfg.genesisSlot()
	if err := st.Commit(b, store.Slot(gs)); err != nil {
		return false, err
	}
	return true, nil
}

func applyPoSOps(b *store.Batch, ops []pos.Op) {
	for _, op := range ops {
		if op.Delete {
			b.Delete(op.Key)
		} else {
			b.Put(op.Key, op.Value)
		}
	}
}

// New loads the core from a store that holds a final state (written by
// InitGenesis or by bootstrap): final slot, trail hash, PoS state and
// executed operations.
func New(cfg Config, st *store.Store, deps Deps) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Draws == nil {
		return nil, fmt.Errorf("%w: no Draws", ErrBadConfig)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fs, ok := st.FinalSlot()
	if !ok {
		return nil, ErrNotInitialized
	}
	if v, ok := deps.VM.(*vm.VM); ok && v == nil {
		deps.VM = nil // a nil *vm.VM in the interface means "no VM"
	}
	c := &Core{
		cfg:         cfg,
		st:          st,
		finalLedger: ledger.NewFinal(st),
		draws:       deps.Draws,
		feeder:      deps.Feeder,
		vm:          deps.VM,
		log:         log,
		finalSlot:   types.Slot(fs),
		finalOps:    newOpIndex(),
		finalEvents: newEventStore(cfg.MaxFinalEvents),
		finalBlocks: make(map[types.Slot]*BlockToExecute),
		clique:      make(map[types.Slot]*BlockToExecute),
	}
	if c.finalSlot.Thread >= cfg.threads() {
		return nil, fmt.Errorf("%w: final slot %s has thread >= %d", store.ErrCorrupt, c.finalSlot, cfg.threads())
	}
	v, ok, err := st.Get(trailKey)
	if err != nil {
		return nil, err
	}
	if !ok || len(v) != crypto.HashSize {
		return nil, fmt.Errorf("%w: execution trail hash missing or of %d bytes", ErrBadValue, len(v))
	}
	copy(c.finalTrail[:], v)

	c.pos, err = pos.Load(cfg.PoS, cfg.InitialRolls, func(prefix []byte, fn func(k, v []byte) bool) error {
		return st.Iterate(prefix, nil, fn)
	})
	if err != nil {
		return nil, fmt.Errorf("load PoS state: %w", err)
	}
	var decodeErr error
	err = st.Iterate([]byte(store.PrefixExecutedOps), nil, func(k, v []byte) bool {
		id, e, err := decodeExecutedOp(k, v, cfg.threads())
		if err != nil {
			decodeErr = err
			return false
		}
		c.finalOps.add(id, e)
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, fmt.Errorf("load executed operations: %w", err)
	}
	if c.finalAsync, err = loadAsyncPool(st, cfg.threads()); err != nil {
		return nil, fmt.Errorf("load async pool: %w", err)
	}
	if c.finalDeferred, err = loadDeferred(st, cfg.threads(), cfg.DeferredCallCstGas); err != nil {
		return nil, fmt.Errorf("load deferred calls: %w", err)
	}
	if err := c.snapshotStateHash(); err != nil {
		return nil, err
	}
	// Until consensus says otherwise, the latest final slot of each thread
	// is the last one at or before the final cursor.
	c.latestFinal = make([]types.Slot, cfg.threads())
	for t := range c.latestFinal {
		s := types.Slot{Period: c.finalSlot.Period, Thread: uint8(t)}
		if uint8(t) > c.finalSlot.Thread {
			if s.Period == 0 {
				s = types.Slot{}
			} else {
				s.Period--
			}
		}
		c.latestFinal[t] = s
	}
	c.stats.FinalCursor, c.stats.ActiveCursor = c.finalSlot, c.finalSlot
	log.Info("execution loaded", "final_slot", c.finalSlot, "state_fingerprint", st.Fingerprint(), "executed_ops", len(c.finalOps.status), "async_messages", len(c.finalAsync))
	return c, nil
}

// snapshotStateHash records the state hash after the last commit as the
// snapshot of the final slot's cycle, to be written with the next commit.
func (c *Core) snapshotStateHash() error {
	op, err := c.pos.SetFinalStateHashSnapshot(c.pos.Config().CycleOf(c.finalSlot), c.st.StateHash())
	if err != nil {
		return fmt.Errorf("state hash snapshot: %w", err)
	}
	c.pendingPoS = []pos.Op{op}
	return nil
}

// UpdateBlockclique gives the core what consensus decided: final holds the
// blocks that became final since the last call, clique the current
// blockclique (non-final blocks; it replaces the previous one) and
// latestFinal the slot of the latest final block of each thread. Nothing
// is executed until Run.
func (c *Core) UpdateBlockclique(final, clique []*BlockToExecute, latestFinal []types.Slot) {
	for _, b := range final {
		if c.finalSlot.Less(b.Slot) {
			c.finalBlocks[b.Slot] = b
		}
	}
	clear(c.clique)
	for _, b := range clique {
		if c.finalSlot.Less(b.Slot) {
			c.clique[b.Slot] = b
		}
	}
	for t, s := range latestFinal {
		if t < len(c.latestFinal) && c.latestFinal[t].Less(s) {
			c.latestFinal[t] = s
		}
	}
}

// cssFinal reports whether consensus finality covers slot s: s is at or
// before the latest final slot of its thread, or some thread has a final
// slot at least t0 (thread-count slots) after s.
func (c *Core) cssFinal(s types.Slot) bool {
	if !c.latestFinal[s.Thread].Less(s) {
		return true
	}
	t := c.cfg.threads()
	limit := s.Index(t) + uint64(t)
	for _, f := range c.latestFinal {
		if f.Index(t) >= limit {
			return true
		}
	}
	return false
}

// content returns the block to execute at s (nil: a miss).
func (c *Core) content(s types.Slot) *BlockToExecute {
	if c.cssFinal(s) {
		return c.finalBlocks[s]
	}
	return c.clique[s]
}

// Run executes what is ready at time nowMS (ms): first every SCE-final
// slot not yet finalized, then candidate slots along the blockclique up to
// the latest slot whose time is at most nowMS - CursorDelay. It reports
// whether anything was executed. An error is fatal for finalization; a
// candidate slot whose draws are not known yet just stops the candidate
// pass.
func (c *Core) Run(nowMS uint64) (bool, error) {
	if c.broken != nil {
		return false, c.broken
	}
	progressed := false
	// Final slots. A slot is SCE-final when it and every earlier slot are
	// CSS-final; the slots before the next one are all finalized already.
	for {
		next := c.finalSlot.Next(c.cfg.threads())
		if !c.cssFinal(next) {
			break
		}
		block := c.finalBlocks[next]
		id := blockID(block)
		var out *SlotOutput
		reused := len(c.history) > 0 && c.history[0].Slot == next && sameBlock(c.history[0].Block, id)
		if reused {
			out = c.history[0]
		} else {
			if len(c.history) > 0 {
				c.log.Debug("speculative history mismatch at final slot, discarded", "slot", next, "history", len(c.history))
				c.mu.Lock()
				c.history = nil
				clear(c.specOps)
				c.mu.Unlock()
			}
			var err error
			if out, err = c.executeSlot(next, block, nil); err != nil {
				return progressed, err
			}
		}
		if err := c.finalize(out, reused); err != nil {
			return progressed, err
		}
		delete(c.finalBlocks, next)
		progressed = true
	}

	// Candidate slots: drop the history from the first slot whose content
	// changed, then execute up to the time cursor.
	c.truncateHistory()
	cursor, ok := c.cfg.LatestSlotAt(subSat(nowMS, c.cfg.CursorDelay))
	if !ok {
		return progressed, nil
	}
	for {
		next := c.activeCursor().Next(c.cfg.threads())
		if cursor.Less(next) {
			break
		}
		out, err := c.executeSlot(next, c.content(next), c.history)
		if err != nil {
			if errors.Is(err, ErrDraws) {
				c.log.Debug("candidate execution waits for draws", "slot", next, "err", err)
				return progressed, nil
			}
			return progressed, err
		}
		c.mu.Lock()
		c.history = append(c.history, out)
		if c.specOps == nil {
			c.specOps = make(map[types.OperationID]struct{})
		}
		for id := range out.Ops {
			c.specOps[id] = struct{}{}
		}
		c.stats.ActiveCursor = out.Slot
		c.stats.HistoryLength = len(c.history)
		c.mu.Unlock()
		progressed = true
	}
	return progressed, nil
}

func subSat(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// activeCursor is the last executed slot, candidate or final.
func (c *Core) activeCursor() types.Slot {
	if n := len(c.history); n > 0 {
		return c.history[n-1].Slot
	}
	return c.finalSlot
}

// truncateHistory drops the history from the first slot whose block is
// not the one consensus now puts there.
func (c *Core) truncateHistory() {
	for i, out := range c.history {
		if !sameBlock(out.Block, blockID(c.content(out.Slot))) {
			c.log.Debug("blockclique changed, truncating speculative history", "slot", out.Slot, "dropped", len(c.history)-i)
			c.mu.Lock()
			for _, h := range c.history[i:] {
				for id := range h.Ops {
					delete(c.specOps, id)
				}
			}
			clear(c.history[i:])
			c.history = c.history[:i]
			c.stats.ActiveCursor = c.activeCursor()
			c.stats.HistoryLength = len(c.history)
			c.mu.Unlock()
			return
		}
	}
}

// finalize commits the output of the next final slot: one atomic store
// batch with its ledger, PoS, executed-ops and trail-hash changes. reused
// says out is the front of the history.
func (c *Core) finalize(out *SlotOutput, reused bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.st.NewBatch()
	applyPoSOps(b, c.pendingPoS)
	if err := out.Ledger.ApplyTo(b, c.st); err != nil {
		return err
	}
	// The batch is keyed by key and written in key order by Commit: the
	// order of these calls does not matter. Each id is executed for the
	// first time (isOpExecuted guards replays while its key exists).
	for id, e := range out.Ops {
		b.PutNew(executedOpKey(id), encodeExecutedOp(e))
	}
	cutoff, prune := pruneCutoff(out.Slot, c.cfg.KeepExecutedHistoryExtraPeriods)
	if prune {
		for _, id := range c.finalOps.expiredBefore(cutoff) {
			b.Delete(executedOpKey(id))
		}
		for id, e := range out.Ops {
			if e.ValidUntil.Less(cutoff) {
				b.Delete(executedOpKey(id))
			}
		}
	}
	writeAsyncChanges(b, out.Async)
	writeDeferredChanges(b, out.Deferred)
	b.Put(trailKey, out.Trail[:])

	// pos.Apply changes the in-memory PoS state; from here a failure
	// leaves memory and store apart, so the core stops.
	res, err := c.pos.Apply(out.Slot, out.PoS)
	if err != nil {
		return fmt.Errorf("apply PoS changes of slot %s: %w", out.Slot, err)
	}
	applyPoSOps(b, res.Ops)
	if err := c.st.Commit(b, store.Slot(out.Slot)); err != nil {
		c.broken = fmt.Errorf("%w: slot %s: %w", ErrBroken, out.Slot, err)
		return c.broken
	}

	for id, e := range out.Ops {
		c.finalOps.add(id, e)
		if c.trackFinalized {
			c.finalized = append(c.finalized, id)
		}
	}
	if prune {
		c.finalOps.prune(cutoff)
	}
	c.finalSlot = out.Slot
	c.finalTrail = out.Trail
	applyAsyncChanges(c.finalAsync, out.Async)
	c.finalDeferred.apply(out.Deferred)
	for i := range out.Events {
		out.Events[i].Context.IsFinal = true
	}
	c.finalEvents.add(out.Events)
	if reused {
		for id := range c.history[0].Ops {
			delete(c.specOps, id)
		}
		c.history[0] = nil
		c.history = c.history[1:]
		c.stats.FinalSlotsReused++
	} else {
		c.stats.FinalSlotsExecuted++
	}
	if out.Block != nil {
		c.stats.FinalBlocks++
	}
	c.stats.FinalExecutedOps += uint64(out.OpCount)
	c.stats.FinalSupply.add(out.Supply)
	c.stats.FinalCursor = c.finalSlot
	c.stats.ActiveCursor = c.activeCursor()
	c.stats.HistoryLength = len(c.history)
	c.stats.FinalEventCount = c.finalEvents.len()

	if err := c.snapshotStateHash(); err != nil {
		c.broken = fmt.Errorf("%w: %w", ErrBroken, err)
		return c.broken
	}
	if res.Completed {
		c.log.Info("cycle complete", "cycle", res.Cycle, "state_fingerprint", c.st.Fingerprint())
		if c.feeder != nil {
			// A failed draw (no rolls left, say) does not stop execution:
			// the slots of that cycle will wait for draws, loudly.
			in, err := c.pos.DrawInputs(res.Cycle + 2)
			if err == nil {
				err = c.feeder.Feed(in)
			}
			if err != nil {
				c.log.Error("cannot compute draws", "cycle", res.Cycle+2, "err", err)
			}
		}
	}
	return nil
}
