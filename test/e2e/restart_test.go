package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/types"
)

// TestRestartWithUnexecutedFinalBlocks rebuilds, deterministically, the
// disk a SIGKILL leaves when it lands between the moment the node stores
// newly final blocks and the moment execution commits them: the final
// state of one slot earlier beside the block database of now. Two nodes
// run the same workload on simulated clocks: B until its final cursor
// reaches a target, A until one slot before. A home with B's blocks and
// A's state must restart into B's final state, the one the replay of the
// final blocks gives. The first case stops before every thread has a
// final block, the second after.
func TestRestartWithUnexecutedFinalBlocks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target types.Slot // B runs until its final cursor reaches it
	}{
		{"some threads without a final block yet", types.Slot{Period: 1, Thread: 1}},
		{"every thread with final blocks", types.Slot{Period: 4, Thread: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := seedFor(t, wlDefaultSeed+7)
			// B: until the target is final; t2 is that time.
			homeB, t2 := runUntilFinal(t, seed, tc.target, 0)
			fs2, fp2, st := homeState(t, homeB)
			st.Close()
			// A: the same run, stopped one slot earlier.
			homeA, t1 := runUntilFinal(t, seed, types.Slot{}, t2-wlSlotMS)
			fs1, fp1, st := homeState(t, homeA)
			st.Close()
			if fs1 == fs2 {
				t.Fatalf("nothing became final in the last slot (%s): no unexecuted final block to replay", fs1)
			}
			r1, _ := replay(t, homeB, &fs1)
			if r1.Fingerprint != fp1 {
				t.Fatalf("the two runs diverged: A has %s at %s, B's blocks replay to %s", fp1, fs1, r1.Fingerprint)
			}

			// The crash image: B's home with A's final state.
			ledgerB := filepath.Join(homeB, "storage", "ledger")
			if err := os.RemoveAll(ledgerB); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(ledgerB, os.DirFS(filepath.Join(homeA, "storage", "ledger"))); err != nil {
				t.Fatal(err)
			}
			var stalled []types.Slot
			if err := node.FinalBlocks(homeB, "", func(fb node.FinalBlock) error {
				if fs1.Less(fb.Slot) {
					stalled = append(stalled, fb.Slot)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			t.Logf("crash image: state at %s (%s), final blocks on disk up to %s (%s), not executed: %v", fs1, fp1, fs2, fp2, stalled)

			// Restart at t2 and let the node do its first step.
			clk := clock.NewSimulatedMS(t2)
			s := startSimNode(t, clk, node.Options{Home: homeB, Password: wlPassword})
			st2, err := getStatus(context.Background(), s.pub)
			if err != nil {
				t.Fatal(err)
			}
			if st2.ExecutionStats.FinalCursor.Less(fs2) {
				t.Errorf("after the restart the final cursor is %s, before the crash it was %s: the final blocks after %s on disk were not executed",
					st2.ExecutionStats.FinalCursor, fs2, fs1)
			}
			// Then the chain goes on: six more periods.
			s.advanceTo(t2 + 6*wlT0)
			s.stop()
			fs3, fp3, st := homeState(t, homeB)
			st.Close()
			r3, _ := replay(t, homeB, &fs3)
			if fp3 != r3.Fingerprint {
				t.Errorf("six periods after the restart the node has %s at %s, the replay of its final blocks %s", fp3, fs3, r3.Fingerprint)
			}
			checkFinalChains(t, homeB)
			t.Logf("t1 %d, t2 %d: six periods after the restart the node is at %s with %s", t1, t2, fs3, fp3)
		})
	}
}

// runUntilFinal runs the workload's first phase on a fresh home and stops
// at the first slot time when the final cursor reaches target (stopAt 0),
// or at stopAt. It returns the home and the stop time.
func runUntilFinal(t *testing.T, seed uint64, target types.Slot, stopAt uint64) (string, uint64) {
	t.Helper()
	w := newWorkload(t, seed)
	home := w.newHome(wlShortCursorDelay)
	clk := clock.NewSimulatedMS(wlGenesisMS - 2*wlT0)
	s := startSimNode(t, clk, node.Options{Home: home, Password: wlPassword})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cur := types.Slot{Period: 1}
	s.advanceTo(slotMS(cur))
	for range 400 {
		if stopAt != 0 && clk.NowMS() >= stopAt {
			break
		}
		if stopAt == 0 {
			st, err := getStatus(ctx, s.pub)
			if err != nil {
				t.Fatal(err)
			}
			if !st.ExecutionStats.FinalCursor.Less(target) {
				break
			}
		}
		ops := make([]*types.SignedOperation, 0, 10)
		for range 10 {
			ops = append(ops, w.nextOp(1, cur.Period+5))
		}
		if _, err := sendOps(ctx, s.pub, ops); err != nil {
			t.Fatal(err)
		}
		cur = cur.Next(wlThreads)
		s.advanceTo(slotMS(cur))
	}
	now := clk.NowMS()
	s.stop()
	return home, now
}
