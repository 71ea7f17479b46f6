package sim

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// -sim.seed reruns one seed; SIM_SEEDS sets how many seeds each test runs
// (default 50 for the honest network, fewer for the longer scenarios).
var seedFlag = flag.Int64("sim.seed", -1, "run only this seed")

func seedCount(def int) int {
	if v := os.Getenv("SIM_SEEDS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// forSeeds runs f for each seed, in subtests named by seed. A failure
// prints how to rerun its seed.
func forSeeds(t *testing.T, name string, def int, f func(t *testing.T, seed uint64)) {
	seeds := make([]uint64, 0, def)
	if *seedFlag >= 0 {
		seeds = append(seeds, uint64(*seedFlag))
	} else {
		for i := range seedCount(def) {
			seeds = append(seeds, uint64(i+1))
		}
	}
	start := time.Now()
	// The seeds run in parallel (go test -parallel, GOMAXPROCS by
	// default): each simulation is independent and mostly waits on one
	// goroutine at a time, or on its nodes' disk syncs.
	t.Run("seeds", func(t *testing.T) {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				defer func() {
					if t.Failed() {
						t.Logf("rerun with: go test ./internal/sim -run '%s' -sim.seed=%d -v", name, seed)
					}
				}()
				f(t, seed)
			})
		}
	})
	t.Logf("%d seeds in %v", len(seeds), time.Since(start).Round(time.Millisecond))
}

// newSim starts a simulation and stops it at the end of the test, printing
// its report and the nodes' last log lines when the test failed.
func newSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	cfg.Dir = simDir(t)
	if os.Getenv("SIM_LOG") == "debug" {
		cfg.LogLevel, cfg.LogLines = slog.LevelDebug, 5000
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(s.Report())
			for i := range s.Nodes() {
				t.Logf("--- node %d log tail:\n%s", i, s.Logs(i))
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func run(t *testing.T, s *Sim, period uint64) {
	t.Helper()
	if err := s.RunPeriods(period); err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, s *Sim) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// lossy is the network of most tests: 5% of messages lost, 5% delivered
// twice, delays of 10 to 300 ms (a slot lasts 250 ms).
func lossy(seed uint64) Config { return Config{Seed: seed, Drop: 0.05, Dup: 0.05} }

// runTo runs to virtual time ms.
func runTo(t *testing.T, s *Sim, ms uint64) {
	t.Helper()
	if err := s.Run(ms); err != nil {
		t.Fatal(err)
	}
}

// sendTransfers sends n transfers from random stakers to fresh addresses
// (or other stakers), each through a random running node, at random
// instants of the current period. required: see SendOperationsMayExpire.
func sendTransfers(t *testing.T, s *Sim, n int, required bool) {
	t.Helper()
	r := s.Rand()
	for range n {
		runTo(t, s, s.Now()+r.Uint64N(s.cfg.T0/uint64(n)+1))
		var via []int
		for i := range s.Nodes() {
			if s.Running(i) {
				via = append(via, i)
			}
		}
		from := r.IntN(s.Nodes())
		to := s.Address(r.IntN(s.Nodes()))
		if r.IntN(2) == 0 {
			to = s.NewAddress()
		}
		amount := types.Amount(1+r.Uint64N(5_000)) * types.OneMAS / 100
		send := s.SendOperations
		if !required {
			send = s.SendOperationsMayExpire
		}
		if err := send(via[r.IntN(len(via))], s.Transfer(from, to, amount)); err != nil {
			t.Fatal(err)
		}
	}
}

// simDir is where a simulation's homes go: a directory on /dev/shm when
// there is one (the nodes sync their databases on every final block, which
// a memory file system makes free), else the test's temporary directory.
// SIM_DIR chooses another parent.
func simDir(t *testing.T) string {
	parent := os.Getenv("SIM_DIR")
	if parent == "" {
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			parent = "/dev/shm"
		}
	}
	if parent == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "gomassa-sim-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestHonestNetwork: four honest nodes over a lossy network finalize the
// same blocks and reach the same state; transfers sent to any of them are
// final with the same effect everywhere.
func TestHonestNetwork(t *testing.T) {
	forSeeds(t, "TestHonestNetwork", 50, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		run(t, s, 3)
		sendTransfers(t, s, 3, true)
		run(t, s, 5)
		sendTransfers(t, s, 3, true)
		run(t, s, 16)
		check(t, s)
		if *seedFlag >= 0 {
			t.Log(s.Report())
		}
	})
}

// TestPartitionHeals: the network splits in two halves for two periods,
// shorter than either half needs to finalize on its own, then heals; the
// lighter branch goes stale and every node ends on one chain with one
// state.
func TestPartitionHeals(t *testing.T) {
	forSeeds(t, "TestPartitionHeals", 50, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		perm := r.Perm(s.Nodes())
		half := s.Nodes() / 2
		start := s.PeriodStart(4) + r.Uint64N(s.cfg.T0)
		runTo(t, s, start)
		s.Partition(perm[:half], perm[half:])
		sendTransfers(t, s, 2, false)
		runTo(t, s, start+2*s.cfg.T0)
		s.Heal()
		healed := s.Period()
		sendTransfers(t, s, 2, true)
		run(t, s, healed+12)
		check(t, s)
		if *seedFlag >= 0 {
			t.Log(s.Report())
		}
	})
}

// TestCrashRestart: a node crashes for five periods (more than a node
// needs to fall behind finality), restarts from its disk and catches up:
// same final blocks and state as the others, finality close to the clock.
func TestCrashRestart(t *testing.T) {
	forSeeds(t, "TestCrashRestart", 50, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		victim := r.IntN(s.Nodes())
		crashAt := s.PeriodStart(4) + r.Uint64N(s.cfg.T0)
		runTo(t, s, crashAt)
		if err := s.Crash(victim); err != nil {
			t.Fatal(err)
		}
		sendTransfers(t, s, 2, true)
		runTo(t, s, crashAt+5*s.cfg.T0)
		if err := s.Restart(victim); err != nil {
			t.Fatal(err)
		}
		back := s.Period()
		run(t, s, back+12)
		check(t, s)
		if *seedFlag >= 0 {
			t.Log(s.Report())
		}
	})
}

// TestDeterminism: two runs of one seed make the same chain, the same
// states and the same network history.
func TestDeterminism(t *testing.T) {
	forSeeds(t, "TestDeterminism", 2, func(t *testing.T, seed uint64) {
		var digests [2]string
		for i := range digests {
			s := newSim(t, Config{Seed: seed, Drop: 0.05, Dup: 0.05})
			run(t, s, 10)
			d, err := s.Digest()
			if err != nil {
				t.Fatal(err)
			}
			digests[i] = d.String()
		}
		if digests[0] != digests[1] {
			t.Fatalf("seed %d: two runs differ: digest %s then %s", seed, digests[0], digests[1])
		}
	})
}

// crashFor crashes node i at ms and restarts it after down ms.
func crashFor(t *testing.T, s *Sim, i int, at, down uint64) {
	t.Helper()
	runTo(t, s, at)
	if err := s.Crash(i); err != nil {
		t.Fatal(err)
	}
	runTo(t, s, at+down)
	if err := s.Restart(i); err != nil {
		t.Fatal(err)
	}
}

// TestLongCrash: a node down for a cycle and a half catches up across
// cycle boundaries (draws of cycles it never saw).
func TestLongCrash(t *testing.T) {
	forSeeds(t, "TestLongCrash", 10, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		crashFor(t, s, r.IntN(s.Nodes()), s.PeriodStart(5)+r.Uint64N(s.cfg.T0), 12*s.cfg.T0)
		sendTransfers(t, s, 2, true)
		run(t, s, s.Period()+12)
		check(t, s)
	})
}

// TestQuickRestart: a node restarted within the slot it stopped in must
// not sign a second block or endorsement for a slot (an equivocation its
// peers would denounce), and carries on.
func TestQuickRestart(t *testing.T) {
	forSeeds(t, "TestQuickRestart", 10, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		for range 3 {
			crashFor(t, s, r.IntN(s.Nodes()), s.Now()+s.cfg.T0+r.Uint64N(2*s.cfg.T0), 1+r.Uint64N(s.cfg.T0/uint64(s.cfg.Threads)))
		}
		run(t, s, s.Period()+12)
		check(t, s)
	})
}

// TestNetworkRestart: every node stops at the same instant and restarts
// two periods later from its own disk; the network resumes on one chain.
//
// It is not run by default: nodes stopped at one instant hold different
// final frontiers and lose their non-final blocks, and restarting each from
// its own disk is not a supported way to restart a whole network (Massa
// restarts every node from one final state, with a new last_start_period).
// Even with bugRestartParents fixed it fails for some seeds: a node that
// had finalized further than the others keeps final blocks the others
// never finalize (a final-block fork), and a node that was behind builds
// on its own older roots and stalls (no finality, then no draws for the
// next cycle). SIM_NETWORK_RESTART=1 runs it.
func TestNetworkRestart(t *testing.T) {
	if os.Getenv("SIM_NETWORK_RESTART") != "1" {
		t.Skip("unsupported scenario (see the comment); SIM_NETWORK_RESTART=1 runs it")
	}
	forSeeds(t, "TestNetworkRestart", 10, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		runTo(t, s, s.PeriodStart(6)+r.Uint64N(s.cfg.T0))
		for i := range s.Nodes() {
			if err := s.Crash(i); err != nil {
				t.Fatal(err)
			}
		}
		runTo(t, s, s.Now()+2*s.cfg.T0)
		for i := range s.Nodes() {
			if err := s.Restart(i); err != nil {
				t.Fatal(err)
			}
		}
		sendTransfers(t, s, 2, true)
		run(t, s, s.Period()+14)
		check(t, s)
	})
}

// TestChaos mixes everything: over 24 periods, each period may crash a
// node (at most one down at a time), restart it, cut the network in two
// for a period, or send transfers; then everyone comes back and the
// network has 14 periods to converge.
func TestChaos(t *testing.T) {
	forSeeds(t, "TestChaos", 10, func(t *testing.T, seed uint64) {
		s := newSim(t, lossy(seed))
		r := s.Rand()
		down := -1
		run(t, s, 3)
		for p := uint64(3); p < 24; p++ {
			runTo(t, s, s.PeriodStart(p)+r.Uint64N(s.cfg.T0))
			switch r.IntN(6) {
			case 0:
				if down < 0 {
					down = r.IntN(s.Nodes())
					if err := s.Crash(down); err != nil {
						t.Fatal(err)
					}
				}
			case 1:
				if down >= 0 {
					if err := s.Restart(down); err != nil {
						t.Fatal(err)
					}
					down = -1
				}
			case 2:
				perm := r.Perm(s.Nodes())
				cut := 1 + r.IntN(s.Nodes()-1)
				s.Partition(perm[:cut], perm[cut:])
				runTo(t, s, s.Now()+s.cfg.T0)
				s.Heal()
			case 3:
				sendTransfers(t, s, 1, false)
			}
		}
		s.Heal()
		if down >= 0 {
			if err := s.Restart(down); err != nil {
				t.Fatal(err)
			}
		}
		run(t, s, 38)
		check(t, s)
	})
}

// TestSupplyCheck checks the checker: coins sent to an address the
// simulation does not track leave the addresses it sums, which the supply
// check must report.
func TestSupplyCheck(t *testing.T) {
	s := newSim(t, Config{Seed: 1})
	run(t, s, 2)
	var seed [32]byte
	seed[0] = 7
	untracked := types.AddressOf(crypto.SecretKeyFromSeed(seed).Public())
	if err := s.SendOperations(0, s.Transfer(0, untracked, 5*types.OneMAS)); err != nil {
		t.Fatal(err)
	}
	run(t, s, 10)
	err := s.Check()
	if err == nil || !strings.Contains(err.Error(), "coins moved") {
		t.Fatalf("a transfer to an untracked address was not reported: %v", err)
	}
}
