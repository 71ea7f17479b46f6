package node

import (
	"context"
	"fmt"
	"time"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/execution"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// mipVersion is the network version our headers announce as current
// (MIP-0001, active on Massa mainnet since 2025).
const mipVersion = 1

// pruneEvery is how many slots pass between two prunes of the graph.
const pruneEvery = 32

func (n *Node) consensusParams() consensus.Params {
	p := consensus.DefaultParams()
	p.ThreadCount = n.params.ThreadCount
	p.T0 = n.params.T0
	p.DeltaF0 = n.params.DeltaF0
	p.EndorsementCount = n.params.EndorsementCount
	p.LastStartPeriod = n.params.LastStartPeriod
	if v := n.cfg.Consensus.MaxFutureProcessingBlocks; v > 0 {
		p.MaxFutureProcessingBlocks = int(v)
	}
	if v := n.cfg.Consensus.MaxDependencyBlocks; v > 0 {
		p.MaxDependencyBlocks = int(v)
	}
	if v := n.cfg.Consensus.MaxDiscardedBlocks; v > 0 {
		p.MaxDiscardedBlocks = int(v)
	}
	p.ForceKeepFinalPeriods = min(n.cfg.Consensus.ForceKeepFinalPeriods, p.ForceKeepFinalPeriodsWithoutOps)
	return p
}

func consensusHeader(b *types.Block) consensus.Header {
	h := consensus.Header{ID: b.ID(), Slot: b.Slot(), Parents: b.Parents(), Creator: b.Creator()}
	for _, e := range b.Header.Header.Endorsements {
		h.Endorsers = append(h.Endorsers, consensus.EndorsementRef{Index: e.Endorsement.Index, Creator: e.CreatorAddr})
	}
	return h
}

// startConsensus builds the graph: from the genesis blocks on a new chain,
// or, after a restart, from the latest final block of each thread kept in
// the block database; final blocks that execution had not committed yet are
// handed to it again so it replays them exactly.
func (n *Node) startConsensus() error {
	p := n.consensusParams()
	n.blocks = make(map[types.BlockID]*storedBlock)
	n.sources = make(map[types.BlockID]protocol.PeerID)
	n.opBlocks = make(opIndex)
	n.endoIndex = make(map[types.EndorsementID]types.BlockID)
	n.produced = make(map[types.Slot]bool)

	roots, found, err := n.blockDB.LatestFinalPerThread(n.params.ThreadCount)
	if err != nil {
		return fmt.Errorf("block database: %w", err)
	}
	anyFound := false
	for _, f := range found {
		anyFound = anyFound || f
	}
	// The genesis blocks are always held: they are the roots of threads
	// with no final block yet, and the parents whose creator (the genesis
	// address) period-1 blocks pay for their endorsements.
	genesisIDs := make([]types.BlockID, n.params.ThreadCount)
	for t := range genesisIDs {
		g := types.GenesisBlock(n.genesisKey, uint8(t), n.params.LastStartPeriod)
		genesisIDs[t] = g.ID()
		n.storeBlock(&storedBlock{block: g})
	}
	if !anyFound {
		n.graph, err = consensus.New(p, genesisIDs, drawsAdapter{n.selector})
		return err
	}
	// After a restart, each thread restarts from its latest final block on
	// disk, or from genesis if none of its blocks was final yet.
	var headers []consensus.Header
	for t, id := range roots {
		if !found[t] {
			id = genesisIDs[t]
		}
		sb, ok := n.blocks[id]
		if !ok {
			var err error
			sb, ok, err = n.blockDB.Get(id)
			if err != nil || !ok {
				return fmt.Errorf("block database: final block %s unreadable (%v): delete %s to rebuild it", id, err, "storage/blocks")
			}
			n.storeBlock(sb)
		}
		headers = append(headers, consensusHeader(sb.block))
	}
	var older []consensus.Header
	for t, id := range genesisIDs {
		if found[t] {
			older = append(older, consensusHeader(n.blocks[id].block))
		}
	}
	// New blocks may name as parent a final block older than the latest
	// final block of that thread: keep the recent final history (as far
	// back as consensus keeps final blocks) in the graph too.
	keep := p.ForceKeepFinalPeriodsWithoutOps
	minRoot := headers[0].Slot.Period
	for _, h := range headers {
		minRoot = min(minRoot, h.Slot.Period)
	}
	from := types.Slot{}
	if minRoot > keep+1 {
		from = types.Slot{Period: minRoot - keep - 1}
	}
	recent, err := n.blockDB.FinalAfter(from)
	if err != nil {
		return err
	}
	// Blocks older than ForceKeepFinalPeriods are held as headers only,
	// as if consensus had already released their operations (it will, at
	// its next prune): reading up to keep periods of operations back into
	// memory would undo the bound a restart under load relies on.
	for _, id := range recent {
		sb, ok := n.blocks[id]
		if !ok {
			blk, found, err := n.blockDB.GetHeader(id)
			if err != nil || !found {
				return fmt.Errorf("block database: final block %s unreadable (%v)", id, err)
			}
			sb = &storedBlock{block: blk}
		}
		s := sb.block.Slot()
		root := headers[s.Thread].Slot.Period
		if s.Period < root && s.Period+keep >= root {
			if sb.stripped() && s.Period+p.ForceKeepFinalPeriods >= root {
				full, found, err := n.blockDB.Get(id)
				if err != nil || !found {
					return fmt.Errorf("block database: final block %s unreadable (%v)", id, err)
				}
				sb = full
			} else if sb.stripped() {
				sb.release()
			}
			n.storeBlock(sb)
			older = append(older, consensusHeader(sb.block))
		}
	}
	if n.graph, err = consensus.NewFromFinalWith(p, headers, older, drawsAdapter{n.selector}); err != nil {
		return err
	}
	// Replay final blocks execution had not committed before the stop.
	fs := n.exec.FinalSlot()
	ids, err := n.blockDB.FinalAfter(fs)
	if err != nil {
		return err
	}
	var finals []*execution.BlockToExecute
	for _, id := range ids {
		sb, ok, err := n.blockDB.Get(id)
		if err != nil || !ok {
			return fmt.Errorf("block database: final block %s unreadable (%v)", id, err)
		}
		n.storeBlock(sb)
		bte, err := n.toExecute(sb, n.creatorOf(sb.block.Header.Header.SameThreadParent()))
		if err != nil {
			return err
		}
		finals = append(finals, bte)
	}
	n.exec.UpdateBlockclique(finals, nil, n.latestFinalSlots())
	n.log.Info("consensus restarted from the final blocks on disk", "final_slot", fs, "replayed_final_blocks", len(finals))
	return nil
}

// creatorOf returns the creator of a block the node holds (zero address
// when unknown, which execution treats as no endorsed-block creator).
func (n *Node) creatorOf(id types.BlockID) types.Address {
	if sb, ok := n.blocks[id]; ok {
		return sb.block.Creator()
	}
	if blk, ok, _ := n.blockDB.GetHeader(id); ok {
		return blk.Creator()
	}
	return types.Address{}
}

func (n *Node) storeBlock(sb *storedBlock) {
	id := sb.block.ID()
	if _, ok := n.blocks[id]; ok {
		return
	}
	n.blocks[id] = sb
	for i, op := range sb.ops {
		n.opBlocks.add(op.ID, sb, i)
	}
	for _, e := range sb.block.Header.Header.Endorsements {
		n.endoIndex[e.ID] = id
	}
}

func (n *Node) dropBlock(id types.BlockID) {
	delete(n.sources, id)
	sb, ok := n.blocks[id]
	if !ok {
		return
	}
	delete(n.blocks, id)
	for _, op := range sb.ops {
		n.opBlocks.remove(op.ID, sb)
	}
	for _, e := range sb.block.Header.Header.Endorsements {
		delete(n.endoIndex, e.ID)
	}
}

// toExecute builds what execution needs of a block. Blocks reach
// execution before their operations can be released (when final, or while
// in the blockclique, never final), so a stripped block is not expected
// here; if one comes, its operations are read back from the block database
// rather than executing it empty.
func (n *Node) toExecute(sb *storedBlock, endorsedCreator types.Address) (*execution.BlockToExecute, error) {
	ops, err := n.blockOps(sb)
	if err != nil {
		return nil, err
	}
	b := &execution.BlockToExecute{
		ID:                   sb.block.ID(),
		Slot:                 sb.block.Slot(),
		Creator:              sb.block.Creator(),
		EndorsedBlockCreator: endorsedCreator,
		Operations:           ops,
	}
	for _, e := range sb.block.Header.Header.Endorsements {
		b.EndorsementCreators = append(b.EndorsementCreators, e.CreatorAddr)
	}
	return b, nil
}

func (n *Node) latestFinalSlots() []types.Slot {
	out := make([]types.Slot, n.params.ThreadCount)
	for t := range out {
		_, s := n.graph.LatestFinal(uint8(t))
		out[t] = s
	}
	return out
}

// handle applies a consensus output: persists and executes new final
// blocks, follows the blockclique, prunes pools. Called with n.mu held.
func (n *Node) handle(out consensus.Output) error {
	for _, d := range out.NewInvalid {
		n.log.Warn("invalid block discarded", "slot", d.Slot, "id", d.ID, "creator", d.Creator, "err", d.Err)
	}
	for _, d := range out.NewStale {
		n.log.Info("block went stale", "slot", d.Slot, "id", d.ID, "creator", d.Creator)
		n.noteStaleBlock(d) // staking_monitor.go
	}
	var finals []*execution.BlockToExecute
	for _, f := range out.NewFinal {
		sb, ok := n.blocks[f.ID]
		if !ok {
			return fmt.Errorf("final block %s at %s is not stored", f.ID, f.Slot)
		}
		if err := n.blockDB.SaveFinal(sb); err != nil {
			return fmt.Errorf("cannot save final block %s: %w", f.ID, err)
		}
		endorsed := f.SameThreadParentCreator
		if !f.HasSameThreadParentCreator || endorsed.IsZero() {
			// Consensus knows genesis and restart roots by id only.
			endorsed = n.creatorOf(sb.block.Header.Header.SameThreadParent())
		}
		bte, err := n.toExecute(sb, endorsed)
		if err != nil {
			return fmt.Errorf("final block %s: %w", f.ID, err)
		}
		finals = append(finals, bte)
	}
	if len(finals) > 0 || out.BlockcliqueChanged {
		var clique []*execution.BlockToExecute
		for _, id := range n.graph.Blockclique() {
			sb, ok := n.blocks[id]
			if !ok {
				continue
			}
			info, _ := n.graph.BlockInfo(id)
			endorsed := info.SameThreadParentCreator
			if !info.HasSameThreadParentCreator || endorsed.IsZero() {
				endorsed = n.creatorOf(sb.block.Header.Header.SameThreadParent())
			}
			bte, err := n.toExecute(sb, endorsed)
			if err != nil {
				return fmt.Errorf("blockclique block %s: %w", id, err)
			}
			clique = append(clique, bte)
		}
		n.exec.UpdateBlockclique(finals, clique, n.latestFinalSlots())
	}
	if out.FinalPeriodsChanged {
		n.opPool.Prune(out.FinalPeriods)
		n.endoPool.Prune(out.FinalPeriods)
	}
	// Old final blocks stay as headers; their operations are on disk
	// (SaveFinal ran when they became final, in an earlier output: Prune,
	// which releases, finalizes nothing).
	for _, id := range out.OpsReleasable {
		n.releaseOps(id)
	}
	for _, id := range out.Pruned {
		n.dropBlock(id)
	}
	for _, id := range out.Forgotten {
		if _, known := n.graph.Status(id); !known {
			n.dropBlock(id)
		}
	}
	if n.net != nil {
		wished := make([]types.BlockID, 0, len(out.WishlistAdded))
		for _, w := range out.WishlistAdded {
			wished = append(wished, w.ID)
		}
		invalid := make([]types.BlockID, 0, len(out.NewInvalid))
		for _, d := range out.NewInvalid {
			invalid = append(invalid, d.ID)
		}
		n.networkAfterHandle(out.NewActive, wished, out.WishlistRemoved, invalid)
	}
	return nil
}

// loop is the node's main loop: one step per wake-up, waking at the next
// moment something is due (slot, endorsement time, execution cursor).
func (n *Node) loop(ctx context.Context) error {
	waiting := false
	for {
		now := n.clk.NowMS()
		if now < n.params.GenesisTimestamp {
			if !waiting {
				n.log.Info("waiting for genesis", "in", time.Duration(n.params.GenesisTimestamp-now)*time.Millisecond)
				waiting = true
			}
		} else if err := n.step(now); err != nil {
			return err
		}
		t := n.clk.NewTimer(time.Duration(n.nextWake(now)-now) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		case <-n.wake:
			t.Stop()
		}
	}
}

// nextWake is the next time something may be due: a slot boundary, an
// endorsement production time or an execution cursor time. They all fall
// on slot boundaries shifted by fixed offsets.
func (n *Node) nextWake(now uint64) uint64 {
	g := n.params.GenesisTimestamp
	if now < g {
		return g
	}
	d := n.params.SlotDuration()
	offsets := []uint64{0, (d - (n.params.T0/2)%d) % d, uint64(n.cfg.Execution.CursorDelay) % d}
	best := now + 1000
	for _, off := range offsets {
		base := g + off
		if now < base {
			best = min(best, base)
			continue
		}
		k := (now-base)/d + 1
		best = min(best, base+k*d)
	}
	return max(best, now+1)
}

// step does what is due at time now.
func (n *Node) step(now uint64) error {
	cur, ok := n.cp.LatestSlotAt(now)
	if !ok {
		return nil
	}
	var tm stepTimer
	tm.start()
	n.mu.Lock()
	tm.mark(phaseLock)
	err := func() error {
		if err := n.drainIncoming(cur); err != nil {
			return err
		}
		if err := n.handle(n.graph.Tick(cur)); err != nil {
			return err
		}
		tm.mark(phaseConsensus)
		newSlot := !n.haveLastSlot || n.lastSlot.Less(cur)
		if newSlot {
			n.lastSlot, n.haveLastSlot = cur, true
			n.opPool.SetCurrentPeriod(cur.Period)
		}
		n.produceEndorsements(now)
		if newSlot && cur.Period > n.params.LastStartPeriod {
			if err := n.produceBlock(cur); err != nil {
				return err
			}
			n.watchStakingSlot(cur, now) // staking_monitor.go
		}
		tm.mark(phaseProduce)
		if newSlot && cur.Index(n.params.ThreadCount)%pruneEvery == 0 {
			if err := n.handle(n.graph.Prune()); err != nil {
				return err
			}
			for s := range n.produced {
				if s.Period+n.params.PeriodsPerCycle < cur.Period {
					delete(n.produced, s)
				}
			}
		}
		tm.mark(phaseConsensus)
		return nil
	}()
	n.mu.Unlock()
	if err != nil {
		return err
	}
	for i := 0; i < 10_000; i++ {
		progressed, err := n.exec.Run(now)
		if err != nil {
			return fmt.Errorf("execution: %w", err)
		}
		if !progressed {
			break
		}
	}
	tm.mark(phaseExecution)
	if ids := n.exec.TakeFinalizedOps(); len(ids) > 0 {
		n.opPool.Remove(ids)
	}
	tm.mark(phasePool)
	n.observeStep(cur, &tm)
	n.afterStakingExecution(now) // staking_monitor.go, compound.go
	// desync.go: a node cut off from the network re-bootstraps.
	if err := n.checkDesync(now); err != nil {
		return err
	}
	if n.metricsSlot.Less(cur) {
		n.metricsSlot = cur
		n.updateMetrics()
	}
	if n.progressLogged.Less(cur) && cur.Thread == 0 {
		n.progressLogged = cur
		n.logProgress(cur)
	}
	return nil
}

// logProgress prints one info line every few periods: enough for an
// operator to see the chain move without flooding the log.
func (n *Node) logProgress(cur types.Slot) {
	n.mu.RLock()
	fp := n.graph.LatestFinalPeriods()
	stats := n.graph.Stats()
	n.mu.RUnlock()
	minF, maxF := fp[0], fp[0]
	for _, p := range fp {
		minF, maxF = min(minF, p), max(maxF, p)
	}
	es := n.exec.Stats()
	ops, _ := n.opPool.Len()
	n.log.Info("chain progress", "slot", cur, "final_period_min", minF, "final_period_max", maxF,
		"final_blocks", stats.FinalBlockCount, "stale_blocks", stats.StaleBlockCount, "cliques", stats.CliqueCount,
		"final_cursor", es.FinalCursor, "pool_ops", ops, "state", n.exec.Fingerprint())
}

// produceBlock builds, signs and integrates the block of slot if one of
// the node's staking addresses was drawn for it. Called with n.mu held.
func (n *Node) produceBlock(slot types.Slot) error {
	if n.produced[slot] {
		return nil
	}
	producer, err := n.selector.Producer(slot)
	if err != nil {
		// Draws of cycle c need cycle c-2 final: a chain whose final state
		// is two cycles behind (a network, or a sandbox, down for more than
		// a cycle) cannot draw producers any more. Say so once per cycle
		// instead of staying silent.
		cycle := slot.Period / n.params.PeriodsPerCycle
		if !n.warnedNoDraws || n.noDrawsCycle != cycle {
			n.warnedNoDraws, n.noDrawsCycle = true, cycle
			n.log.Warn("no block producer can be drawn: the final state is too far behind the clock (was the chain stopped for more than a cycle?)",
				"slot", slot, "cycle", cycle, "final_slot", n.exec.FinalSlot(), "err", err)
		}
		return nil
	}
	key, ok := n.staking.Get(producer)
	if !ok {
		return nil
	}
	if n.cfg.Factory.StopProductionWhenZeroConnections && !n.connected() {
		n.log.Warn("not producing: no peer connected ([factory] stop_production_when_zero_connections)", "slot", slot, "address", producer)
		return nil
	}
	n.produced[slot] = true
	parents := n.graph.BestParents()
	endos := n.endoPool.BlockEndorsements(slot, parents[slot.Thread], n.params.EndorsementCount)
	ops := n.opPool.BlockOperations(slot)
	ids := make([]types.OperationID, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	hdr := types.BlockHeader{CurrentVersion: mipVersion, Slot: slot, Parents: parents, Endorsements: endos}
	blk := types.SignBlock(hdr, ids, key)
	n.storeBlock(&storedBlock{block: blk, ops: ops, own: true})
	if err := n.handle(n.graph.AddBlock(consensusHeader(blk), slot, true)); err != nil {
		return err
	}
	n.stats.producedBlocks++
	if n.metrics != nil {
		n.metrics.produced.Inc()
	}
	n.log.Debug("block produced", "slot", slot, "id", blk.ID(), "operations", len(ops), "endorsements", len(endos), "creator", producer)
	return nil
}

// produceEndorsements signs, for each slot whose endorsement time
// (slot time - t0/2) has come, the endorsements drawn for the node's
// staking addresses. Called with n.mu held.
func (n *Node) produceEndorsements(now uint64) {
	half := n.params.T0 / 2
	target, ok := n.cp.LatestSlotAt(now + half)
	if !ok {
		return
	}
	start := target
	if n.haveEndorsed {
		if !n.lastEndorsed.Less(target) {
			return
		}
		start = n.lastEndorsed.Next(n.params.ThreadCount)
		// Never catch up on more than one period of past slots.
		if target.Period > start.Period+1 {
			start = types.Slot{Period: target.Period - 1, Thread: target.Thread}
		}
	}
	for s := start; !target.Less(s); s = s.Next(n.params.ThreadCount) {
		n.lastEndorsed, n.haveEndorsed = s, true
		if s.Period <= n.params.LastStartPeriod {
			continue
		}
		endorsers, err := n.selector.Endorsers(s)
		if err != nil {
			continue
		}
		var endorsed types.BlockID
		haveEndorsed := false
		for i, a := range endorsers {
			key, ok := n.staking.Get(a)
			if !ok {
				continue
			}
			if !haveEndorsed {
				endorsed, haveEndorsed = n.graph.LatestBlockcliqueBlockBefore(s), true
			}
			e := types.SignEndorsement(types.Endorsement{Slot: s, Index: uint32(i), EndorsedBlock: endorsed}, key)
			if err := n.endoPool.Add(e); err != nil {
				n.log.Debug("own endorsement refused", "slot", s, "index", i, "err", err)
			} else if n.net != nil {
				n.net.PropagateEndorsements([]*types.SignedEndorsement{e})
			}
		}
	}
}
