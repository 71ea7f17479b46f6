package store

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	crashDirEnv  = "STORE_CRASH_CHILD_DIR"
	crashSeedEnv = "STORE_CRASH_CHILD_SEED"
	// crashChildMaxCommits bounds an orphaned child if the parent dies.
	crashChildMaxCommits = 5000
)

// TestCrashChild is the child half of TestCrashRecovery: run only when the
// parent re-executes the test binary with the env vars set. It resumes the
// deterministic workload after the last committed slot and commits (with
// fsync) until it is killed, printing one line per commit.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only run as the child of TestCrashRecovery")
	}
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	next := uint64(0)
	if sl, ok := s.FinalSlot(); ok {
		next = indexOf(sl) + 1
	}
	b := s.NewBatch()
	for i := next; i < next+crashChildMaxCommits; i++ {
		fillBatch(b, opsFor(seed, i))
		if err := s.Commit(b, slotOf(i)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %d\n", i)
	}
	_ = s.Close()
}

// TestCrashRecovery kills a committing child process with SIGKILL at random
// moments (including during Open) and checks after each kill that the store
// reopens at a whole slot, that its stored hash equals a full recomputation
// and that its content equals a replay of the workload up to that slot.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seed := randomSeed(t, 0xc0ffee)
	defer func() {
		if t.Failed() {
			t.Logf("replay with STORE_SEED=%d", seed)
		}
	}()
	r := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	prev := int64(-1) // last committed index seen after a kill

	for round := range 10 {
		target := int64(r.IntN(40))                              // commits to wait for
		delay := time.Duration(r.IntN(15000)) * time.Microsecond // then kill

		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var seen atomic.Int64
		reached := make(chan struct{})
		eof := make(chan struct{})
		go func() {
			defer close(eof)
			sc := bufio.NewScanner(out)
			once := target == 0 // then the parent closes reached itself
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "committed ") && seen.Add(1) >= target && !once {
					once = true
					close(reached)
				}
			}
		}()
		if target == 0 {
			close(reached)
		}
		select {
		case <-reached:
		case <-eof:
			_ = cmd.Wait()
			t.Fatalf("round %d: child ended before %d commits: %s", round, target, stderr.String())
		case <-time.After(15 * time.Second): // deadline guard, not a timing assertion
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: child made no progress: %s", round, stderr.String())
		}
		time.Sleep(delay) // lands the kill at a random point of a commit
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-eof
		_ = cmd.Wait()

		s := openTest(t, dir)
		last := int64(-1)
		if sl, ok := s.FinalSlot(); ok {
			last = int64(indexOf(sl))
		}
		// Every printed commit was fsynced before the line was written.
		if minLast := prev + seen.Load(); last < minLast {
			t.Fatalf("round %d: final index %d, but child reported commits up to %d", round, last, minLast)
		}
		m := map[string][]byte{}
		for i := int64(0); i <= last; i++ {
			applyModel(m, opsFor(seed, uint64(i)))
		}
		checkAgainstModel(t, s, m, fmt.Sprintf("round %d (index %d)", round, last))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after %d+ commits, recovered at index %d", round, seen.Load(), last)
		prev = last
	}
}
