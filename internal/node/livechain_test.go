package node

import (
	"fmt"
	"sort"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// chainObserver follows a running test node through its public API: who
// the selector drew for each slot (get_addresses' next_block_draws) and
// every block the graph showed (get_graph_interval).
type chainObserver struct {
	s       *simNode
	stakers []testStaker
	drawn   map[types.Slot]types.Address
	blocks  map[types.BlockID]api.BlockSummary
	// snapshots are the final-state-hash snapshots of complete cycles,
	// read from the node's PoS state while it still keeps them.
	snapshots map[uint64][crypto.XOFSize]byte
}

func newChainObserver(s *simNode, stakers []testStaker) *chainObserver {
	return &chainObserver{s: s, stakers: stakers, drawn: map[types.Slot]types.Address{},
		blocks: map[types.BlockID]api.BlockSummary{}, snapshots: map[uint64][crypto.XOFSize]byte{}}
}

// observe records the draws ahead and the blocks of the graph now.
func (o *chainObserver) observe() {
	t := o.s.t
	t.Helper()
	addrs := make([]string, len(o.stakers))
	for i, st := range o.stakers {
		addrs[i] = st.addr.String()
	}
	var infos []api.AddressInfo
	o.s.call("get_addresses", []any{addrs}, &infos)
	for _, info := range infos {
		for _, sl := range info.NextBlockDraws {
			if prev, ok := o.drawn[sl]; ok && prev != info.Address {
				t.Fatalf("slot %s drawn for %s, then for %s", sl, prev, info.Address)
			}
			o.drawn[sl] = info.Address
			// The API and the node's selector must agree.
			if p, err := o.s.n.selector.Producer(sl); err != nil || p != info.Address {
				t.Fatalf("slot %s: get_addresses says %s, selector says %s (%v)", sl, info.Address, p, err)
			}
		}
	}
	var sums []api.BlockSummary
	o.s.call("get_graph_interval", []any{map[string]any{}}, &sums)
	for _, b := range sums {
		o.blocks[b.ID] = b
	}
	o.s.n.exec.WithPoS(func(st *pos.State) {
		first, last, ok := st.CycleRange()
		for c := first; ok && c <= last; c++ {
			if ci, ok := st.CycleInfo(c); ok && ci.Complete && ci.Snapshot != nil {
				if prev, seen := o.snapshots[c]; seen && prev != *ci.Snapshot {
					t.Fatalf("the snapshot of complete cycle %d changed", c)
				}
				o.snapshots[c] = *ci.Snapshot
			}
		}
	})
}

// checkDraws recomputes the producer draws of cycles 0..last from the
// genesis rolls, the initial seed and, from cycle 2 on, the seed bits of
// the final blocks the API showed and the recorded state-hash snapshots,
// and compares them with what the node's API announced.
func (o *chainObserver) checkDraws(last uint64, bySlot map[types.Slot]api.BlockSummary) {
	t := o.s.t
	t.Helper()
	genesisKey, err := crypto.ParseSecretKey(GenesisKeyText)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pos.DefaultConfig()
	cfg.ThreadCount, cfg.PeriodsPerCycle, cfg.EndorsementCount = testThreads, testPeriodsPerCycle, testEndorsements
	cfg.GenesisAddress = types.AddressOf(genesisKey.Public())
	var rolls []pos.RollCount
	for _, st := range o.stakers {
		rolls = append(rolls, pos.RollCount{Address: st.addr, Rolls: st.rolls})
	}
	pos.SortRollCounts(rolls)
	initial := pos.InitialSeeds(cfg.InitialSeed)
	for c := uint64(0); c <= last; c++ {
		in := pos.DrawInputs{Cycle: c, Rolls: rolls}
		if c < 2 {
			in.Seed = initial[c]
		} else {
			// Seed bits of cycle c-2: zero for the genesis period, then
			// the first bit of each slot's block id.
			var bits pos.SeedBits
			for p := (c - 2) * testPeriodsPerCycle; p < (c-1)*testPeriodsPerCycle; p++ {
				for th := uint8(0); th < testThreads; th++ {
					if p == 0 {
						bits.Append(false)
						continue
					}
					b, ok := bySlot[types.Slot{Period: p, Thread: th}]
					if !ok {
						t.Fatalf("draws of cycle %d: no block seen at (%d,%d)", c, p, th)
					}
					bits.Append(b.ID.FirstBit())
				}
			}
			var snap *[crypto.XOFSize]byte
			if c >= 3 {
				s, ok := o.snapshots[c-3]
				if !ok {
					t.Fatalf("draws of cycle %d: the snapshot of cycle %d was never seen", c, c-3)
				}
				snap = &s
			}
			in.Seed = pos.CycleSeed(c-2, bits, snap)
		}
		d, err := pos.DrawCycle(cfg, in)
		if err != nil {
			t.Fatal(err)
		}
		for p := c * testPeriodsPerCycle; p < (c+1)*testPeriodsPerCycle; p++ {
			for th := uint8(0); th < testThreads; th++ {
				sl := types.Slot{Period: p, Thread: th}
				want, err := d.Producer(sl)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := o.drawn[sl]; p > 0 && (!ok || got != want) {
					t.Fatalf("slot %s: recomputed draw %s, node announced %s", sl, want, got)
				}
			}
		}
	}
}

// TestLiveChainSimulated runs a four-staker private network in one process
// on a simulated clock across seven cycles and checks that finality
// advances in every thread, that every slot gets exactly one block, made
// by the address the selector drew, and that nothing goes stale.
func TestLiveChainSimulated(t *testing.T) {
	stakers := testStakers()
	home := newNetworkHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS - 3*testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	defer func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.log.tail(80))
		}
	}()

	var staking []types.Address
	if err := s.priv.Call(t.Context(), "get_staking_addresses", nil, &staking); err != nil {
		t.Fatal(err)
	}
	if len(staking) != len(stakers) {
		t.Fatalf("staking addresses %v, want the %d genesis stakers", staking, len(stakers))
	}

	const periods = 7*testPeriodsPerCycle + 4
	obs := newChainObserver(s, stakers)
	obs.observe()
	lastFinal := make([]uint64, testThreads)
	for p := uint64(1); p <= periods; p++ {
		s.advanceTo(slotMS(types.Slot{Period: p}), nil)
		obs.observe()
		if p%testPeriodsPerCycle == 0 {
			// Finality moves forward in every thread each cycle.
			s.n.mu.RLock()
			fp := s.n.graph.LatestFinalPeriods()
			s.n.mu.RUnlock()
			for th, f := range fp {
				if p > 2*testPeriodsPerCycle && f <= lastFinal[th] {
					t.Fatalf("period %d: thread %d final period stuck at %d", p, th, f)
				}
				lastFinal[th] = f
			}
		}
	}
	// Let the last slots settle (the graph stops short of the clock).
	s.advanceTo(slotMS(types.Slot{Period: periods, Thread: testThreads - 1}), obs.observe)

	s.n.mu.RLock()
	finalPeriods := s.n.graph.LatestFinalPeriods()
	s.n.mu.RUnlock()
	minFinal := finalPeriods[0]
	for _, f := range finalPeriods {
		minFinal = min(minFinal, f)
	}
	t.Logf("after %d periods: final periods per thread %v", periods, finalPeriods)
	if minFinal < 5*testPeriodsPerCycle {
		t.Fatalf("final periods %v: finality did not reach cycle 5", finalPeriods)
	}

	// Every block the graph ever showed: one per slot, by the drawn
	// producer, never stale.
	bySlot := map[types.Slot]api.BlockSummary{}
	var ids []types.BlockID
	for id, b := range obs.blocks {
		if b.IsStale {
			t.Errorf("block %s at %s by %s went stale", id, b.Slot, b.Creator)
		}
		if b.Slot.Period == 0 {
			continue
		}
		if other, ok := bySlot[b.Slot]; ok {
			t.Errorf("two blocks at %s: %s and %s", b.Slot, other.ID, id)
		}
		bySlot[b.Slot] = b
		ids = append(ids, id)
		want, ok := obs.drawn[b.Slot]
		if !ok {
			t.Errorf("block %s at %s: the API never showed who was drawn", id, b.Slot)
		} else if b.Creator != want {
			t.Errorf("block %s at %s created by %s, drawn producer %s", id, b.Slot, b.Creator, want)
		}
	}
	for p := uint64(1); p <= minFinal; p++ {
		for th := uint8(0); th < testThreads; th++ {
			if _, ok := bySlot[types.Slot{Period: p, Thread: th}]; !ok {
				t.Errorf("no block at final slot (%d,%d)", p, th)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	// The draws of cycles 3 and later depend on the state-hash snapshots:
	// recompute them independently of the node's selector.
	obs.checkDraws(minFinal/testPeriodsPerCycle, bySlot)

	// The blocks up to the final periods are final (pruned ones are read
	// back from the block database).
	sort.Slice(ids, func(i, j int) bool {
		return bySlot[obs.blocks[ids[i]].Slot].Slot.Less(bySlot[obs.blocks[ids[j]].Slot].Slot)
	})
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	type blockInfo struct {
		ID      types.BlockID `json:"id"`
		Content *struct {
			IsFinal         bool         `json:"is_final"`
			IsInBlockclique bool         `json:"is_in_blockclique"`
			Block           *types.Block `json:"block"`
		} `json:"content"`
	}
	var infos []blockInfo
	for i := 0; i < len(strs); i += 100 {
		var part []blockInfo
		s.call("get_blocks", []any{strs[i:min(i+100, len(strs))]}, &part)
		infos = append(infos, part...)
	}
	if len(infos) != len(ids) {
		t.Fatalf("get_blocks returned %d of %d blocks", len(infos), len(ids))
	}
	for _, info := range infos {
		b := obs.blocks[info.ID]
		if info.Content == nil {
			t.Fatalf("block %s: no content", info.ID)
		}
		if b.Slot.Period <= finalPeriods[b.Slot.Thread] && !info.Content.IsFinal {
			t.Errorf("block %s at %s is not final although its thread's final period is %d", info.ID, b.Slot, finalPeriods[b.Slot.Thread])
		}
		if b.Slot.Period > finalPeriods[b.Slot.Thread] && !info.Content.IsInBlockclique {
			t.Errorf("non-final block %s at %s is not in the blockclique", info.ID, b.Slot)
		}
		// The node endorses its own blocks: every endorsement slot is
		// drawn among its stakers, so every block is fully endorsed.
		blk := info.Content.Block
		if blk == nil || blk.ID() != info.ID || blk.Creator() != b.Creator {
			t.Fatalf("block %s: get_blocks content does not match the graph", info.ID)
		}
		if e := len(blk.Header.Header.Endorsements); b.Slot.Period > 0 && e != testEndorsements {
			t.Errorf("block %s at %s has %d endorsements, want %d", info.ID, b.Slot, e, testEndorsements)
		}
	}

	var st api.NodeStatus
	s.call("get_status", nil, &st)
	if st.ConsensusStats.StaleBlockCount != 0 {
		t.Errorf("get_status: %d stale blocks", st.ConsensusStats.StaleBlockCount)
	}
	if st.ExecutionStats.FinalCursor.Period < 5*testPeriodsPerCycle {
		t.Errorf("execution final cursor %s did not reach cycle 5", st.ExecutionStats.FinalCursor)
	}

	// No staker missed a slot, so none lost rolls; each produced blocks
	// in proportion to nothing less than one slot.
	addrs := make([]string, len(stakers))
	for i, st := range stakers {
		addrs[i] = st.addr.String()
	}
	var ainfos []api.AddressInfo
	s.call("get_addresses", []any{addrs}, &ainfos)
	for i, info := range ainfos {
		if info.FinalRollCount != stakers[i].rolls {
			t.Errorf("%s: final roll count %d, genesis gave %d", info.Address, info.FinalRollCount, stakers[i].rolls)
		}
		for _, ci := range info.CycleInfos {
			if ci.NOKCount != 0 {
				t.Errorf("%s: cycle %d has %d missed blocks", info.Address, ci.Cycle, ci.NOKCount)
			}
		}
	}
	count := map[types.Address]int{}
	for _, b := range bySlot {
		count[b.Creator]++
	}
	summary := ""
	for _, st := range stakers {
		summary += fmt.Sprintf(" %s(%d rolls)=%d", st.addr, st.rolls, count[st.addr])
	}
	t.Logf("blocks per staker:%s", summary)
}
