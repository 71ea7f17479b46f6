package node

import (
	"os"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// fingerprints records the final state fingerprint at each final slot the
// test saw while the node was idle.
type fingerprints map[types.Slot]crypto.Hash

func (f fingerprints) record(s *simNode) {
	s.t.Helper()
	slot, _ := s.n.exec.StateHash()
	fp := s.n.exec.Fingerprint()
	if prev, ok := f[slot]; ok && prev != fp {
		s.t.Fatalf("final slot %s: fingerprint %s, earlier %s", slot, fp, prev)
	}
	f[slot] = fp
}

// graphBlocks returns the blocks of the node's graph by slot, failing on
// two blocks at one slot.
func graphBlocks(s *simNode) map[types.Slot]api.BlockSummary {
	s.t.Helper()
	var sums []api.BlockSummary
	s.call("get_graph_interval", []any{map[string]any{}}, &sums)
	out := map[types.Slot]api.BlockSummary{}
	for _, b := range sums {
		if o, ok := out[b.Slot]; ok {
			s.t.Fatalf("two blocks at %s: %s by %s and %s by %s", b.Slot, o.ID, o.Creator, b.ID, b.Creator)
		}
		out[b.Slot] = b
	}
	return out
}

// TestStopAndRestart checks that Run returns when its context is
// cancelled and when stop_node is called, and that a new node on the same
// home continues the same chain: the final slot does not go back, the
// state fingerprint at each final slot is the one the first run had, and
// finality keeps advancing.
func TestStopAndRestart(t *testing.T) {
	home := newNetworkHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS - testT0)
	fps := fingerprints{}

	// First run: three cycles, then cancel.
	s1 := startSimNode(t, home, clk, Options{Password: testPassword})
	s1.advanceTo(slotMS(types.Slot{Period: 3 * testPeriodsPerCycle, Thread: 2}), func() { fps.record(s1) })
	stopSlot, _ := s1.n.exec.StateHash()
	stopFP := s1.n.exec.Fingerprint()
	var status1 api.NodeStatus
	s1.call("get_status", nil, &status1)
	before := graphBlocks(s1)
	if stopSlot.Period < 2*testPeriodsPerCycle {
		t.Fatalf("final slot %s after three cycles", stopSlot)
	}
	stopped := time.Now()
	if err := s1.stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	t.Logf("Run returned %v after cancel; final slot %s, fingerprint %s", time.Since(stopped), stopSlot, stopFP)

	// Second run at the same instant (a quick restart): it must not make
	// a second, different block for a slot it already filled.
	s2 := startSimNode(t, home, clk, Options{Password: testPassword})
	fps.record(s2)
	if slot, _ := s2.n.exec.StateHash(); slot.Less(stopSlot) {
		t.Fatalf("after restart the final slot is %s, before the stop %s", slot, stopSlot)
	}
	if fps[stopSlot] != stopFP {
		t.Fatalf("fingerprint at %s changed across the restart", stopSlot)
	}
	var status2 api.NodeStatus
	s2.call("get_status", nil, &status2)
	if status2.Config != status1.Config || status2.ChainID != status1.ChainID || status2.NodeID != status1.NodeID {
		t.Fatalf("the restarted node runs another network or identity:\n%+v\n%+v", status1.Config, status2.Config)
	}
	after := graphBlocks(s2)
	for sl, b := range after {
		if o, ok := before[sl]; ok && o.ID != b.ID && o.Creator == b.Creator {
			t.Errorf("slot %s: %s produced %s before the restart and %s after it", sl, b.Creator, o.ID, b.ID)
		}
	}

	// The chain goes on: two more cycles, finality in every thread.
	s2.advanceTo(slotMS(types.Slot{Period: 5 * testPeriodsPerCycle}), func() { fps.record(s2) })
	s2.n.mu.RLock()
	fp := s2.n.graph.LatestFinalPeriods()
	s2.n.mu.RUnlock()
	for th, p := range fp {
		if p < 4*testPeriodsPerCycle {
			t.Errorf("thread %d: final period %d after restart", th, p)
		}
	}
	var st api.NodeStatus
	s2.call("get_status", nil, &st)
	if st.ConsensusStats.StaleBlockCount != 0 {
		t.Errorf("%d stale blocks after restart", st.ConsensusStats.StaleBlockCount)
	}

	// stop_node through the private API also ends Run, without error.
	if err := s2.priv.Call(t.Context(), "stop_node", nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s2.done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after stop_node")
	}
	if s2.runErr != nil {
		t.Fatalf("Run after stop_node: %v", s2.runErr)
	}

	// A third start, after a downtime of two periods, replays nothing
	// twice and keeps every fingerprint the earlier runs recorded.
	clk.Advance(2 * testT0 * time.Millisecond)
	s3 := startSimNode(t, home, clk, Options{Password: testPassword})
	fps.record(s3)
	s3.advanceTo(slotMS(types.Slot{Period: 7 * testPeriodsPerCycle}), func() { fps.record(s3) })
	s3.n.mu.RLock()
	fp = s3.n.graph.LatestFinalPeriods()
	s3.n.mu.RUnlock()
	for th, p := range fp {
		if p < 6*testPeriodsPerCycle {
			t.Errorf("thread %d: final period %d after the second restart", th, p)
		}
	}
	if t.Failed() {
		t.Logf("log of the last run:\n%s", s3.log.tail(60))
	}
}

// TestRestartAfterLongDowntime restarts a one-node chain after it was
// stopped for more than a cycle. It documents a known stall: the draws of
// the current cycle c need cycle c-2 complete, which needs final blocks
// after the last final slot, which nobody can produce without the draws.
// Massa gets out of this with a network restart that interpolates the PoS
// cycles over the downtime (protocol.md §9.3); gomassa has no such step
// yet, so a sandbox stopped for more than about a cycle (34 min with
// mainnet parameters) never produces again. Set GOMASSA_KNOWN_BUGS=1 to
// run it.
func TestRestartAfterLongDowntime(t *testing.T) {
	if os.Getenv("GOMASSA_KNOWN_BUGS") == "" {
		t.Skip("known stall after a downtime of more than a cycle; GOMASSA_KNOWN_BUGS=1 runs it")
	}
	home := newNetworkHome(t)
	clk := clock.NewSimulatedMS(testGenesisMS - testT0)
	s1 := startSimNode(t, home, clk, Options{Password: testPassword})
	s1.advanceTo(slotMS(types.Slot{Period: 3 * testPeriodsPerCycle}), nil)
	if err := s1.stop(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * testPeriodsPerCycle * testT0 * time.Millisecond)
	s2 := startSimNode(t, home, clk, Options{Password: testPassword})
	before, _ := s2.n.exec.StateHash()
	s2.advanceTo(clk.NowMS()+2*testPeriodsPerCycle*testT0, nil)
	after, _ := s2.n.exec.StateHash()
	if !before.Less(after) {
		t.Fatalf("the final slot stayed at %s for two cycles after the restart\n%s", after, s2.log.tail(20))
	}
}
