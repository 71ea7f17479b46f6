package e2e_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

// Crash test schedule: the first run lasts long enough for the first
// blocks to become final (a sandbox needs about 35 s per block), and may
// end before or after every thread has one; later
// runs are either short (a kill during start-up, often while the node
// replays final blocks it had not executed) or long enough for new blocks
// to become final. About four minutes in all.
const (
	crashKills       = 6
	crashFirstMin    = 45 * time.Second // ~52 s: every thread has a final block
	crashFirstMax    = 60 * time.Second
	crashShortMax    = 8 * time.Second
	crashLongMin     = 36 * time.Second
	crashLongMax     = 46 * time.Second
	crashShortChance = 0.35
	crashRecipients  = 8
)

// apiSnapshot is final state read through the API at one final slot.
type apiSnapshot struct {
	slot  types.Slot
	infos map[types.Address]api.AddressInfo
}

// crashLoad streams operations to whichever node process is up and
// watches its final cursor.
type crashLoad struct {
	t          *testing.T
	rng        *rand.Rand // used by the load goroutine only
	staker     account
	recipients []account
	client     atomic.Pointer[api.Client]

	mu       sync.Mutex
	observed types.Slot // highest final cursor seen through the API
	snapshot *apiSnapshot
	accepted int
	refused  int
}

func (l *crashLoad) touched() []types.Address {
	out := []types.Address{l.staker.addr}
	for _, r := range l.recipients {
		out = append(out, r.addr)
	}
	return out
}

// run sends a few operations every 400 ms until ctx ends.
func (l *crashLoad) run(ctx context.Context) {
	tick := time.NewTicker(400 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c := l.client.Load()
		if c == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		l.step(cctx, c)
		cancel()
	}
}

func (l *crashLoad) step(ctx context.Context, c *api.Client) {
	st, err := getStatus(ctx, c)
	if err != nil || st.LastSlot == nil {
		return // the node is going down, or not up yet
	}
	l.mu.Lock()
	if l.observed.Less(st.ExecutionStats.FinalCursor) {
		l.observed = st.ExecutionStats.FinalCursor
	}
	l.mu.Unlock()
	expire := st.LastSlot.Period + 5
	var ops []*types.SignedOperation
	for range 1 + l.rng.IntN(4) {
		op := types.Operation{Fee: types.MustAmount("0.01") + types.Amount(l.rng.IntN(1000)), ExpirePeriod: expire}
		from := l.staker
		switch r := l.rng.IntN(100); {
		case r < 10:
			op.Type, op.RollCount = types.OpRollBuy, 1
		case r < 30:
			// A recipient sends coins on; refused while it has none.
			from = l.recipients[l.rng.IntN(len(l.recipients))]
			op.Type = types.OpTransaction
			op.Recipient = l.recipients[l.rng.IntN(len(l.recipients))].addr
			op.Amount = types.Amount(1_000_000 + l.rng.Int64N(int64(types.OneMAS)))
		default:
			op.Type = types.OpTransaction
			op.Recipient = l.recipients[l.rng.IntN(len(l.recipients))].addr
			op.Amount = types.Amount(1_000_000 + l.rng.Int64N(int64(5*types.OneMAS)))
		}
		ops = append(ops, types.SignOperation(op, from.key, config.ChainIDSandbox))
	}
	for _, op := range ops {
		_, err := sendOps(ctx, c, []*types.SignedOperation{op})
		l.mu.Lock()
		if err == nil {
			l.accepted++
		} else {
			l.refused++
		}
		l.mu.Unlock()
	}
	// A snapshot of the touched addresses at one final slot: the final
	// cursor did not move while they were read.
	infos, err := getAddresses(ctx, c, l.touched())
	if err != nil {
		return
	}
	st2, err := getStatus(ctx, c)
	if err != nil || st2.ExecutionStats.FinalCursor != st.ExecutionStats.FinalCursor {
		return
	}
	l.mu.Lock()
	l.snapshot = &apiSnapshot{slot: st.ExecutionStats.FinalCursor, infos: infos}
	l.mu.Unlock()
}

var executionLoadedRe = regexp.MustCompile(`msg="execution loaded" final_slot="\((\d+), (\d+)\)" state_fingerprint=(\S+)`)

// TestCrashRecovery runs a real sandbox massa-node, streams transfers
// and roll buys to it, kills it with SIGKILL at random moments and
// restarts it, and after every kill checks that its final state is
// exactly the state rebuilt from genesis by replaying the final blocks it
// stored (node.ReplayFinalBlocks), that it resumes at a final slot at
// least the last one it reported, and that the balances and rolls its API
// reported at a final slot are the replayed ones at that slot.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a real node for about four minutes")
	}
	seed := seedFor(t, uint64(time.Now().UnixNano()))
	rng := newRand(seed)
	testStart := time.Now()
	home := t.TempDir()
	load := &crashLoad{t: t, rng: newRand(seed + 1)}
	for range crashRecipients {
		load.recipients = append(load.recipients, randomAccount(rng))
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	var (
		prevFinal types.Slot
		prevFP    crypto.Hash
	)
	for run := 0; run <= crashKills; run++ {
		n := testnode.Start(t, home)
		if run == 0 {
			load.staker = sandboxAccount(t, home)
			wg.Add(1)
			go func() {
				defer wg.Done()
				load.run(ctx)
			}()
		} else {
			checkResumed(t, n, prevFinal, prevFP)
		}
		load.client.Store(api.NewClient(n.PublicURL, ""))

		var d time.Duration
		switch {
		case run == crashKills:
			d = crashShortMax // the last run ends with a clean stop
		case run == 0:
			d = crashFirstMin + time.Duration(rng.Int64N(int64(crashFirstMax-crashFirstMin)))
		case rng.Float64() < crashShortChance:
			d = time.Duration(rng.Int64N(int64(crashShortMax)))
		default:
			d = crashLongMin + time.Duration(rng.Int64N(int64(crashLongMax-crashLongMin)))
		}
		select {
		case <-time.After(d):
		case <-n.Done():
			t.Fatalf("run %d: massa-node exited by itself:\n%s", run, n.Tail(40))
		}
		load.client.Store(nil)
		how := "SIGKILL"
		if run == crashKills {
			how = "SIGINT"
			n.Stop(t)
		} else {
			n.Kill()
		}
		load.mu.Lock()
		observed, snap := load.observed, load.snapshot
		load.snapshot = nil
		load.mu.Unlock()
		if t.Failed() {
			t.Fatalf("run %d log tail:\n%s", run, n.Tail(40))
		}
		prevFinal, prevFP = checkAfterStop(t, home, run, how, d, observed, snap, load.touched())
		if t.Failed() {
			t.Fatalf("run %d log tail:\n%s", run, n.Tail(40))
		}
	}
	load.mu.Lock()
	t.Logf("%d stops (%d SIGKILL), %d operations accepted, %d refused, %.0f s in all",
		crashKills+1, crashKills, load.accepted, load.refused, time.Since(testStart).Seconds())
	load.mu.Unlock()
}

// sandboxAccount reads the sandbox staking key the node created.
func sandboxAccount(t *testing.T, home string) account {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "sandbox", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.ParseSecretKey(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return account{key: k, addr: types.AddressOf(k.Public())}
}

// checkAfterStop compares a stopped node's state with the replay of its
// final blocks and returns its final slot and fingerprint.
func checkAfterStop(t *testing.T, home string, run int, how string, ran time.Duration, observed types.Slot, snap *apiSnapshot, touched []types.Address) (types.Slot, crypto.Hash) {
	t.Helper()
	fs, fp, st := homeState(t, home)
	defer st.Close()
	if fs.Less(observed) {
		t.Errorf("run %d: after %s the final slot on disk is %s, but the API reported %s before", run, how, fs, observed)
	}
	r, took := replay(t, home, &fs)
	if r.FinalSlot != fs || r.Fingerprint != fp {
		t.Errorf("run %d: after %s the node has %s at %s; replaying its final blocks gives %s at %s", run, how, fp, fs, r.Fingerprint, r.FinalSlot)
	}
	checkFinalChains(t, home)
	final := ledger.NewFinal(st)
	for _, a := range touched {
		nb, _, err := final.Balance(a)
		if err != nil {
			t.Fatal(err)
		}
		rb, _, err := r.Exec.FinalBalance(a)
		if err != nil {
			t.Fatal(err)
		}
		if nb != rb {
			t.Errorf("run %d: %s has %s on disk, %s in the replay", run, a, nb, rb)
		}
	}
	failedBefore := t.Failed()
	snapMsg := "no API snapshot"
	if snap != nil {
		rs, _ := replay(t, home, &snap.slot)
		for _, a := range touched {
			rb, _, err := rs.Exec.FinalBalance(a)
			if err != nil {
				t.Fatal(err)
			}
			rr, _ := rs.Exec.RollCounts(a)
			info := snap.infos[a]
			if info.FinalBalance != rb || info.FinalRollCount != rr {
				t.Errorf("run %d: at final slot %s the API reported %s with %s and %d rolls; the replay has %s and %d rolls",
					run, snap.slot, a, info.FinalBalance, info.FinalRollCount, rb, rr)
			}
		}
		snapMsg = "API balances at " + snap.slot.String() + " checked against the replay"
	}
	if t.Failed() && !failedBefore {
		keepHome(t, home, run)
	}
	t.Logf("run %d: %s after %.1f s: final slot %s (API saw %s), fingerprint %s = replay of %d blocks, %d ops (%v); %s",
		run, how, ran.Seconds(), fs, observed, fp, r.Blocks, r.Operations, took.Round(time.Millisecond), snapMsg)
	return fs, fp
}

// keepHome copies a home whose state disagrees with the replay out of the
// test's temporary directory, for a post-mortem.
func keepHome(t *testing.T, home string, run int) {
	t.Helper()
	dst, err := os.MkdirTemp("", "gomassa-e2e-crash-*")
	if err != nil {
		t.Log(err)
		return
	}
	if err := os.CopyFS(dst, os.DirFS(home)); err != nil {
		t.Logf("cannot keep the home: %v", err)
		return
	}
	t.Logf("run %d: the node's home is kept in %s", run, dst)
}

// checkResumed checks that a restarted node loaded the final state it
// had on disk and goes on from there.
func checkResumed(t *testing.T, n *testnode.Node, prev types.Slot, prevFP crypto.Hash) {
	t.Helper()
	m := executionLoadedRe.FindStringSubmatch(n.Log())
	if m == nil {
		t.Fatalf("restarted node did not log the state it loaded:\n%s", n.Tail(30))
	}
	loaded, err := types.ParseSlot(m[1] + "," + m[2])
	if err != nil {
		t.Fatal(err)
	}
	if loaded != prev || m[3] != prevFP.String() {
		t.Errorf("restarted node loaded final slot %s with fingerprint %s, the disk had %s at %s", loaded, m[3], prevFP, prev)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := getStatus(ctx, api.NewClient(n.PublicURL, ""))
	if err != nil {
		t.Fatalf("get_status after restart: %v", err)
	}
	if st.ExecutionStats.FinalCursor.Less(prev) {
		t.Errorf("restarted node reports final cursor %s, before %s", st.ExecutionStats.FinalCursor, prev)
	}
}
