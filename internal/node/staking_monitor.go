package node

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// Why a staking address of the node missed a block slot: the "reason" of
// get_staking_warnings and of the WARN log line.
const (
	// ReasonKeyNotRegistered: the address was drawn (it has active rolls)
	// but the node no longer holds its key (remove_staking_addresses).
	ReasonKeyNotRegistered = "key not registered"
	// ReasonNotSynchronized: the draws of the slot's cycle were missing
	// when the slot came, or the final state lagged far behind the clock.
	ReasonNotSynchronized = "not synchronized"
	// ReasonNoPeers: the node did not produce because it had no peer and
	// [factory] stop_production_when_zero_connections is set (never in a
	// sandbox).
	ReasonNoPeers = "no peers"
	// ReasonStale: the node produced the block, and consensus discarded
	// it as stale.
	ReasonStale = "block produced but went stale"
	// ReasonClockSkew: the node handled the slot late (its clock jumped,
	// or it was stalled), or skipped it.
	ReasonClockSkew = "clock skew"
	// ReasonUnknown: the node produced a block that never became final,
	// for no reason it noticed.
	ReasonUnknown = "unknown"
)

const (
	// maxStakingWarnings bounds the ring of get_staking_warnings.
	maxStakingWarnings = 256
	// maxPendingDraws bounds the own draws waiting for finality, and the
	// slots remembered as handled without draws.
	maxPendingDraws = 8192
	// syncLagMaxPeriods: a final state more than this many periods (or
	// one cycle, if shorter) behind the slot being produced is "not
	// synchronized"; a healthy chain finalizes within a few periods.
	syncLagMaxPeriods = 16
)

// missEvent is a missed slot the monitor noticed, not yet a warning.
type missEvent struct {
	slot   types.Slot
	addr   types.Address
	reason string
	detail string
	at     uint64
}

// pendingDraw is a slot drawn for a watched address whose outcome is
// known once execution finalizes it.
type pendingDraw struct {
	addr types.Address
	// note is what the node noticed at slot time that would explain a
	// miss (zero reason: nothing).
	note missEvent
	// warned: a warning was given already (key not registered, skipped
	// slot, no peers, stale block), for reason warnedFor; finality adds no
	// second one.
	warned    bool
	warnedFor string
}

// stakingMonitor follows the block slots of the node's staking addresses
// and turns each miss into a WARN log line and an entry of
// get_staking_warnings, with its reason and the miss budget left in the
// cycle. The main loop feeds it (watchStakingSlot, noteStaleBlock,
// afterStakingExecution); the API reads the warnings.
//
// Watched addresses are those the staking wallet held at start or at any
// slot since, and those [staking] auto_compound lists: an address removed
// with remove_staking_addresses stays watched, which is how "key not
// registered" is noticed. (The set is not persisted: after a restart,
// only the current staking addresses are watched; the staking doctor
// compares the wallet instead.)
type stakingMonitor struct {
	mu      sync.Mutex
	watched map[types.Address]bool
	// last is the latest slot handled (skipped slots lie between it and
	// the next one).
	last     types.Slot
	haveLast bool
	pending  map[types.Slot]*pendingDraw
	// undrawn are slots handled while their draws were missing, in order.
	undrawn []types.Slot
	fresh   []missEvent
	// missed holds the warned misses at slots not yet final, which the
	// final production stats do not count yet.
	missed map[types.Slot]types.Address
	// draws caches, per cycle, how many block slots each watched address
	// was drawn for.
	draws map[uint64]map[types.Address]uint64
	// sellLogged remembers (cycle, address) pairs whose certain sale was
	// logged.
	sellLogged map[sellKey]bool
	ring       []api.StakingWarning
	next       int
	// logged throttles the WARN lines per address (the ring keeps every
	// warning): a sandbox whose only key was removed misses two slots a
	// second.
	logged map[types.Address]*missLog

	compound *compounder
}

// missLog is the last WARN line logged for an address's misses.
type missLog struct {
	atMS       uint64
	reason     string
	suppressed uint64
}

type sellKey struct {
	cycle uint64
	addr  types.Address
}

// newStakingMonitor watches the staking addresses the node starts with,
// and those auto-compounding names.
func newStakingMonitor(n *Node) *stakingMonitor {
	m := &stakingMonitor{
		watched:    map[types.Address]bool{},
		pending:    map[types.Slot]*pendingDraw{},
		missed:     map[types.Slot]types.Address{},
		draws:      map[uint64]map[types.Address]uint64{},
		sellLogged: map[sellKey]bool{},
		logged:     map[types.Address]*missLog{},
		compound:   newCompounder(n),
	}
	for _, a := range n.staking.Addresses() {
		m.watched[a] = true
	}
	if m.compound != nil {
		for _, a := range m.compound.addrs {
			m.watched[a] = true
		}
	}
	return m
}

// watchStakingSlot is called by the main loop, with n.mu held, once the
// block of the new slot cur was produced or not: it records the draws of
// watched addresses for cur and for any slot the loop skipped since the
// previous call, with what the node knows at this time.
func (n *Node) watchStakingSlot(cur types.Slot, now uint64) {
	m := n.monitor
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range n.staking.Addresses() {
		m.watched[a] = true
	}
	threads := n.params.ThreadCount
	from := cur
	if m.haveLast {
		if !m.last.Less(cur) {
			return
		}
		from = m.last.Next(threads)
		// A node asleep for hours catches up one cycle of slots at most.
		if span := n.params.PeriodsPerCycle * uint64(threads); cur.Index(threads)-from.Index(threads) > span {
			from = types.Slot{Period: cur.Period - n.params.PeriodsPerCycle, Thread: cur.Thread}
		}
	}
	m.last, m.haveLast = cur, true
	for s := from; ; s = s.Next(threads) {
		if s.Period > n.params.LastStartPeriod {
			n.watchSlot(m, s, s != cur, now)
		}
		if s == cur {
			break
		}
	}
}

// watchSlot records slot s; skipped says the loop never handled it at its
// time. Called with n.mu and m.mu held.
func (n *Node) watchSlot(m *stakingMonitor, s types.Slot, skipped bool, now uint64) {
	producer, err := n.selector.Producer(s)
	if err != nil {
		// Without draws the node cannot tell whether one of its addresses
		// was drawn; finality will say (resolveFinalDraws).
		if len(m.undrawn) >= maxPendingDraws {
			m.undrawn = m.undrawn[1:]
		}
		m.undrawn = append(m.undrawn, s)
		return
	}
	if !m.watched[producer] {
		return
	}
	// A full pending set (finality stalled for long) still lets the
	// misses known now be warned; only their later check is dropped.
	pd := &pendingDraw{addr: producer}
	if len(m.pending) < maxPendingDraws {
		m.pending[s] = pd
	}
	slotMS := n.cp.SlotTimestamp(s)
	_, hasKey := n.staking.Get(producer)
	warn := func(reason, detail string) {
		pd.warned, pd.warnedFor = true, reason
		m.fresh = append(m.fresh, missEvent{slot: s, addr: producer, reason: reason, detail: detail, at: now})
	}
	switch {
	case !hasKey:
		warn(ReasonKeyNotRegistered, "the address has active rolls and was drawn, but the node does not hold its key (it was removed from the staking wallet)")
		return
	case skipped:
		warn(ReasonClockSkew, fmt.Sprintf("the node never handled this slot: it reached slot %s at once (its clock jumped, or it was stalled)", m.last))
		return
	case !n.produced[s] && n.cfg.Factory.StopProductionWhenZeroConnections && !n.connected():
		warn(ReasonNoPeers, "the node had no peer connection and [factory] stop_production_when_zero_connections is set, so it did not produce")
		return
	}
	// Produced (or not, for a reason found later): note what could explain
	// a miss, most telling first.
	fs := n.exec.FinalSlot()
	lagLimit := min(n.params.PeriodsPerCycle, syncLagMaxPeriods)
	tolerance := n.params.SlotDuration() / 2
	switch {
	case s.Period > fs.Period+lagLimit:
		pd.note = missEvent{reason: ReasonNotSynchronized,
			detail: fmt.Sprintf("the final state lagged %d periods behind the slot (final slot %s)", s.Period-fs.Period, fs)}
	case now > slotMS+tolerance:
		pd.note = missEvent{reason: ReasonClockSkew,
			detail: fmt.Sprintf("the node handled the slot %d ms after its time (its clock jumped, or it was stalled)", now-slotMS)}
	}
}

// noteStaleBlock is called by handle, with n.mu held, for each block
// consensus discards as stale: one the node produced for a watched
// address is a missed slot.
func (n *Node) noteStaleBlock(d consensus.Discard) {
	m := n.monitor
	if m == nil {
		return
	}
	sb, ok := n.blocks[d.ID]
	if !ok || !sb.own {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pd := m.pending[d.Slot]
	if pd == nil {
		if len(m.pending) >= maxPendingDraws {
			return
		}
		pd = &pendingDraw{addr: d.Creator}
		m.pending[d.Slot] = pd
	}
	if pd.warned {
		return
	}
	pd.warned, pd.warnedFor = true, ReasonStale
	m.fresh = append(m.fresh, missEvent{slot: d.Slot, addr: d.Creator, reason: ReasonStale, at: n.clk.NowMS(),
		detail: fmt.Sprintf("the node produced block %s, which consensus discarded as stale (another branch won: check the connectivity and the load of the machine)", d.ID)})
}

// afterStakingExecution runs after execution in each step of the main
// loop (without n.mu): it settles the slots that became final, turns the
// misses noticed into warnings, then lets auto-compounding act.
func (n *Node) afterStakingExecution(now uint64) {
	m := n.monitor
	if m == nil {
		return
	}
	final := n.exec.FinalSlot()
	events := n.resolveFinalDraws(m, final)
	if len(events) > 0 {
		sort.Slice(events, func(i, j int) bool { return events[i].slot.Less(events[j].slot) })
		for _, ev := range events {
			n.raiseStakingWarning(m, ev, final)
		}
	}
	m.mu.Lock()
	for s := range m.missed {
		if !final.Less(s) {
			delete(m.missed, s)
		}
	}
	cur := n.exec.Stats().ActiveCursor
	for c := range m.draws {
		if c+2 < n.cycleOf(cur) {
			delete(m.draws, c)
		}
	}
	m.mu.Unlock()
	n.autoCompound(now)
}

// resolveFinalDraws returns the misses noticed since the last call plus
// those finality reveals: own draws at final slots without a final block.
func (n *Node) resolveFinalDraws(m *stakingMonitor, final types.Slot) []missEvent {
	m.mu.Lock()
	events := m.fresh
	m.fresh = nil
	var done []types.Slot
	for s := range m.pending {
		if !final.Less(s) {
			done = append(done, s)
		}
	}
	var undrawn []types.Slot
	for len(m.undrawn) > 0 && !final.Less(m.undrawn[0]) {
		undrawn = append(undrawn, m.undrawn[0])
		m.undrawn = m.undrawn[1:]
	}
	pend := make(map[types.Slot]pendingDraw, len(done))
	for _, s := range done {
		pend[s] = *m.pending[s]
		delete(m.pending, s)
	}
	watched := make(map[types.Address]bool, len(m.watched))
	for a := range m.watched {
		watched[a] = true
	}
	m.mu.Unlock()

	now := n.clk.NowMS()
	for _, s := range done {
		pd := pend[s]
		if pd.warned && pd.warnedFor == ReasonKeyNotRegistered && n.finalBlockAt(s) {
			// Another node produced with the key: the address was moved,
			// not lost. Stop watching it until it is a staking address here
			// again.
			m.mu.Lock()
			delete(m.watched, pd.addr)
			m.mu.Unlock()
			n.log.Info("staking: an address removed from this node is staked by another node; no longer watched", "address", pd.addr, "slot", s)
			continue
		}
		if pd.warned || n.finalBlockAt(s) {
			continue
		}
		ev := pd.note
		if ev.reason == "" {
			ev.reason, ev.detail = ReasonUnknown, "the node produced a block for this slot, and it did not become final"
		}
		ev.slot, ev.addr, ev.at = s, pd.addr, now
		events = append(events, ev)
	}
	for _, s := range undrawn {
		p, err := n.selector.Producer(s)
		if err != nil || !watched[p] || n.finalBlockAt(s) {
			continue
		}
		events = append(events, missEvent{slot: s, addr: p, reason: ReasonNotSynchronized, at: now,
			detail: fmt.Sprintf("the draws of cycle %d were not known when the slot came (the final state was too far behind)", n.cycleOf(s))})
	}
	return events
}

// finalBlockAt reports whether a final block is stored at slot s. A read
// error counts as a block: no warning is better than a false one.
func (n *Node) finalBlockAt(s types.Slot) bool {
	_, err := n.blockDB.FinalAt(s)
	return !errors.Is(err, errNoFinalBlock)
}

func (n *Node) cycleOf(s types.Slot) uint64 { return s.Period / n.params.PeriodsPerCycle }

// raiseStakingWarning computes the miss budget of ev's address in ev's
// cycle, logs the warning and keeps it for get_staking_warnings.
func (n *Node) raiseStakingWarning(m *stakingMonitor, ev missEvent, final types.Slot) {
	cycle := n.cycleOf(ev.slot)
	m.mu.Lock()
	if final.Less(ev.slot) {
		m.missed[ev.slot] = ev.addr
	}
	pendingMisses := uint64(0)
	for s, a := range m.missed {
		if a == ev.addr && n.cycleOf(s) == cycle && final.Less(s) {
			pendingMisses++
		}
	}
	draws, cached := m.draws[cycle][ev.addr]
	m.mu.Unlock()

	if !cached {
		draws = n.countDraws(m, cycle, ev.addr)
	}
	var stats pos.ProductionStats
	rolls := uint64(0)
	n.exec.WithPoS(func(st *pos.State) {
		stats, _ = st.ProductionStats(cycle, ev.addr)
		rolls = st.RollCount(ev.addr)
	})
	nok := stats.NOK + pendingMisses
	draws = max(draws, stats.OK+nok)
	budget := MissBudget(draws, nok, n.params.PosMissRateThreshold.Num, n.params.PosMissRateThreshold.Den)
	w := api.StakingWarning{
		Slot: ev.slot, Address: ev.addr, Cycle: cycle, Reason: ev.reason, Detail: ev.detail,
		MissBudget: budget, CycleDraws: draws, OKCount: stats.OK, NOKCount: nok, Time: ev.at,
	}
	m.mu.Lock()
	if len(m.ring) < maxStakingWarnings {
		m.ring = append(m.ring, w)
	} else {
		m.ring[m.next] = w
		m.next = (m.next + 1) % maxStakingWarnings
	}
	logSale := budget < 0 && !m.sellLogged[sellKey{cycle, ev.addr}]
	if logSale {
		m.sellLogged[sellKey{cycle, ev.addr}] = true
		for k := range m.sellLogged {
			if k.cycle+3 < cycle {
				delete(m.sellLogged, k)
			}
		}
	}
	// One line per miss, except that misses of one address for one reason
	// within a period are folded into the next line.
	lg := m.logged[ev.addr]
	if lg == nil {
		lg = &missLog{}
		m.logged[ev.addr] = lg
	}
	logMiss := lg.reason != ev.reason || ev.at >= lg.atMS+n.params.T0 || logSale || lg.atMS == 0
	suppressed := lg.suppressed
	if logMiss {
		lg.atMS, lg.reason, lg.suppressed = ev.at, ev.reason, 0
	} else {
		lg.suppressed++
	}
	m.mu.Unlock()

	if logMiss {
		args := []any{"slot", ev.slot, "address", ev.addr, "reason", ev.reason, "detail", ev.detail,
			"cycle", cycle, "missed", nok, "produced", stats.OK, "draws", draws, "miss_budget", budget}
		if suppressed > 0 {
			args = append(args, "misses_not_logged", suppressed)
		}
		n.log.Warn("staking: block slot missed", args...)
	}
	if logSale {
		th := n.params.PosMissRateThreshold
		credit := types.Slot{Period: (cycle+4)*n.params.PeriodsPerCycle - 1, Thread: n.params.ThreadCount - 1}
		n.log.Warn(fmt.Sprintf("staking: the address missed more than %d/%d of its block slots of cycle %d: all its rolls will be sold at the end of the cycle (implicit roll sell); their coins come back as a deferred credit at slot %s",
			th.Num, th.Den, cycle, credit), "address", ev.addr, "cycle", cycle, "rolls", rolls, "missed", nok, "draws", draws)
	}
}

// MissBudget is how many more block slots of a cycle an address may miss
// and keep its rolls, if it produces every other slot it is drawn for:
// the largest k with (nok + k) / draws <= num/den, that is
// floor(num * draws / den) - nok, where draws counts every block slot of
// the address in the cycle (produced, missed or still to come) and nok
// the slots it missed so far. The implicit sell happens at the end of the
// cycle when nok / (ok + nok) > num/den (protocol.md §2.4); at the end,
// ok + nok = draws. Negative: the sale is already certain. An address
// never drawn has nothing to miss (0).
func MissBudget(draws, nok, num, den uint64) int64 {
	if den == 0 || draws == 0 {
		return 0
	}
	allowed := num * draws / den // draws <= slots per cycle: no overflow
	return int64(allowed) - int64(nok)
}

// countDraws counts addr's block slots in cycle, caching the counts of
// every watched address (one pass over the cycle's draws).
func (n *Node) countDraws(m *stakingMonitor, cycle uint64, addr types.Address) uint64 {
	d, err := n.selector.Draws(cycle)
	if err != nil {
		return 0
	}
	m.mu.Lock()
	watched := make(map[types.Address]bool, len(m.watched)+1)
	for a := range m.watched {
		watched[a] = true
	}
	m.mu.Unlock()
	watched[addr] = true
	counts := map[types.Address]uint64{}
	first := cycle * n.params.PeriodsPerCycle
	for p := first; p < first+n.params.PeriodsPerCycle; p++ {
		if p <= n.params.LastStartPeriod {
			continue
		}
		for t := uint8(0); t < n.params.ThreadCount; t++ {
			a, err := d.Producer(types.Slot{Period: p, Thread: t})
			if err == nil && watched[a] {
				counts[a]++
			}
		}
	}
	m.mu.Lock()
	m.draws[cycle] = counts
	m.mu.Unlock()
	return counts[addr]
}

// stakingWarnings lists the kept warnings, oldest first.
func (m *stakingMonitor) list() []api.StakingWarning {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]api.StakingWarning, 0, len(m.ring))
	out = append(out, m.ring[m.next:]...)
	return append(out, m.ring[:m.next]...)
}

// StakingWarnings serves get_staking_warnings (private API).
func (b privateBackend) StakingWarnings(ctx context.Context) ([]api.StakingWarning, error) {
	if b.n.monitor == nil {
		return []api.StakingWarning{}, nil
	}
	return b.n.monitor.list(), nil
}

// FinalAt returns the id of the final block stored at slot s
// (ErrNoFinalBlock if none).
func (b *blockDB) FinalAt(s types.Slot) (types.BlockID, error) {
	v, closer, err := b.db.Get(finalKey(s))
	if errors.Is(err, pebble.ErrNotFound) {
		return types.BlockID{}, fmt.Errorf("%w at %s", errNoFinalBlock, s)
	}
	if err != nil {
		return types.BlockID{}, err
	}
	defer closer.Close()
	r := types.NewReader(v, "final index")
	id := r.BlockID("block id")
	if err := r.Done(); err != nil {
		return types.BlockID{}, err
	}
	return id, nil
}
