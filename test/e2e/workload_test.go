package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
	"github.com/gomassa/gomassa/test/testnode"
)

// The workload network: 4 threads of 1 s periods (250 ms slots), one
// staker that holds every roll (so every block and endorsement is its),
// mainnet endorsement count and rewards, finality after about 8 blocks,
// and cycles long enough that no roll bought during the test is drawn and
// no roll-sale credit falls due.
const (
	wlThreads         = 4
	wlT0              = 1000
	wlSlotMS          = wlT0 / wlThreads
	wlGenesisMS       = 1_700_000_000_000
	wlPeriodsPerCycle = 128
	wlEndorsements    = 16
	wlDeltaF0         = 8 * (wlEndorsements + 1)
	wlChainID         = 4243
	wlUsers           = 50
	wlFresh           = 5
	wlPassword        = "e2e-workload-password"
	wlDefaultSeed     = 20_240_601
	// wlShortCursorDelay executes each block well before the next one of
	// its thread (the default, 2 s, is two periods of this network).
	wlShortCursorDelay = 100
	// Operations per slot and slots per phase: 2 phases x 40 slots x 40
	// operations, about 3 200 operations.
	wlOpsPerSlot   = 40
	wlSlotsPerPart = 40
)

var (
	wlRollPrice   = config.MainnetParams().RollPrice
	wlBlockReward = config.MainnetParams().BlockReward
	wlStakerFunds = 1_000_000 * types.OneMAS
)

// sentOp is an operation the node accepted, with what the model expects
// it to do.
type sentOp struct {
	op       *types.SignedOperation
	mustFail bool // accepted although the node should have refused it
}

// workload generates operations and keeps the model: initial balances,
// what every accepted operation does, and what senders can still spend.
type workload struct {
	t       *testing.T
	rng     *rand.Rand
	staker  account
	users   []account
	fresh   []account
	probe   account // funded, never holds rolls: the roll-sell refusal
	initial map[types.Address]types.Amount

	sent    []*sentOp
	byID    map[types.OperationID]*sentOp
	refused map[types.OperationID]string // must never be in a block: reason
	// spendable is the initial balance minus the most every sent
	// operation may spend (incoming coins are ignored): a sender never
	// sends what it might not afford.
	spendable map[types.Address]types.Amount
	// sellable is the rolls bought in a phase already final, minus the
	// rolls sold since.
	sellable  map[types.Address]uint64
	boughtNow map[types.Address]uint64
	maxExpire uint64
	// exactlyOnce: every block is executed before the next block of its
	// thread is produced, so no operation may be in two final blocks.
	exactlyOnce bool
}

func newWorkload(t *testing.T, seed uint64) *workload {
	w := &workload{
		t:         t,
		rng:       newRand(seed),
		staker:    deterministicAccount("staker", 0),
		probe:     deterministicAccount("probe", 0),
		initial:   map[types.Address]types.Amount{},
		byID:      map[types.OperationID]*sentOp{},
		refused:   map[types.OperationID]string{},
		spendable: map[types.Address]types.Amount{},
		sellable:  map[types.Address]uint64{},
		boughtNow: map[types.Address]uint64{},
	}
	w.initial[w.staker.addr] = wlStakerFunds
	for i := range wlUsers {
		u := deterministicAccount("user", i)
		w.users = append(w.users, u)
		w.initial[u.addr] = types.Amount(5_000+w.rng.IntN(15_000)) * types.OneMAS
	}
	for i := range wlFresh {
		w.fresh = append(w.fresh, deterministicAccount("fresh", i))
	}
	w.initial[w.probe.addr] = 50 * types.OneMAS
	for a, b := range w.initial {
		w.spendable[a] = b
	}
	return w
}

// genesisJSON is the network's genesis file.
func (w *workload) genesisJSON() []byte {
	led := map[string]map[string]string{}
	for a, b := range w.initial {
		led[a.String()] = map[string]string{"balance": b.String()}
	}
	doc := map[string]any{
		"params": map[string]any{
			"thread_count":      wlThreads,
			"t0":                wlT0,
			"genesis_timestamp": uint64(wlGenesisMS),
			"periods_per_cycle": wlPeriodsPerCycle,
			"delta_f0":          wlDeltaF0,
			"endorsement_count": wlEndorsements,
			"chain_id":          wlChainID,
			"network_prefix":    "WORK",
		},
		"initial_ledger": led,
		"initial_rolls":  map[string]uint64{w.staker.addr.String(): 100},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// newHome prepares a home for the workload network: loopback listeners,
// the execution cursor delay (ms), config/genesis.json and a staking wallet
// with the staker's key.
func (w *workload) newHome(cursorDelay uint64) string {
	t := w.t
	home := t.TempDir()
	cfg := testnode.Config + fmt.Sprintf("\n[execution]\ncursor_delay = %d\n", cursorDelay)
	for path, data := range map[string][]byte{
		filepath.Join(home, "config", "config.toml"):  []byte(cfg),
		filepath.Join(home, "config", "genesis.json"): w.genesisJSON(),
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wl, err := wallet.Create(filepath.Join(home, "config", "staking_wallets"), []byte(wlPassword))
	if err != nil {
		t.Fatal(err)
	}
	if err := wl.Add(w.staker.key); err != nil {
		t.Fatal(err)
	}
	return home
}

func (w *workload) fee() types.Amount {
	return types.MustAmount("0.01") + types.Amount(w.rng.Int64N(10_000_000))
}

// nextOp draws one valid operation; phase 1 sends transfers and roll buys,
// phase 2 also sells rolls bought in phase 1.
func (w *workload) nextOp(phase int, expire uint64) *types.SignedOperation {
	for {
		u := w.users[w.rng.IntN(len(w.users))]
		op := types.Operation{Fee: w.fee(), ExpirePeriod: expire}
		r := w.rng.IntN(100)
		switch {
		case phase == 2 && r < 15 && w.sellable[u.addr] > 0:
			op.Type = types.OpRollSell
			op.RollCount = 1 + w.rng.Uint64N(w.sellable[u.addr])
		case r >= 92:
			op.Type = types.OpRollBuy
			op.RollCount = 1 + w.rng.Uint64N(3)
		default:
			op.Type = types.OpTransaction
			op.Amount = types.Amount(1_000_000 + w.rng.Int64N(int64(10*types.OneMAS)))
			switch x := w.rng.IntN(100); {
			case x < 5:
				op.Recipient = w.fresh[w.rng.IntN(len(w.fresh))].addr
			case x < 7:
				op.Recipient = w.staker.addr
			default:
				op.Recipient = w.users[w.rng.IntN(len(w.users))].addr
			}
		}
		spend := op.MaxSpending(wlRollPrice)
		if spend > w.spendable[u.addr] {
			continue
		}
		w.spendable[u.addr] -= spend
		switch op.Type {
		case types.OpRollSell:
			w.sellable[u.addr] -= op.RollCount
		case types.OpRollBuy:
			w.boughtNow[u.addr] += op.RollCount
		}
		w.maxExpire = max(w.maxExpire, expire)
		return types.SignOperation(op, u.key, wlChainID)
	}
}

// accepted records operations the node took.
func (w *workload) accepted(ops []*types.SignedOperation, mustFail bool) {
	for _, op := range ops {
		s := &sentOp{op: op, mustFail: mustFail}
		w.sent = append(w.sent, s)
		w.byID[op.ID] = s
	}
}

// phaseFinal makes the rolls bought so far sellable.
func (w *workload) phaseFinal() {
	for a, n := range w.boughtNow {
		w.sellable[a] += n
	}
	clear(w.boughtNow)
}

// wlRun is one run of the workload.
type wlRun struct {
	home        string
	finalSlot   types.Slot
	fingerprint crypto.Hash
	ops         int
	blocks      int
}

// TestWorkloadModel runs a node in-process on a simulated clock, sends
// about 3 200 random transfers, roll buys and roll sells from 50 funded
// addresses through send_operations, waits until they are final and
// checks every balance, roll count and deferred credit against a model
// computed independently (rewards from the final blocks' contents), checks
// that operations that must be refused are refused with their reason and
// never reach a block, then replays the final blocks twice and checks the
// fingerprints (determinism).
func TestWorkloadModel(t *testing.T) {
	seed := seedFor(t, wlDefaultSeed)
	start := time.Now()
	r := runWorkload(t, seed, wlShortCursorDelay)
	t.Logf("workload seed %d: %d operations accepted, %d final blocks, final slot %s, state fingerprint %s (%.1f s)",
		seed, r.ops, r.blocks, r.finalSlot, r.fingerprint, time.Since(start).Seconds())
}

// TestWorkloadDeterminism runs the same workload twice on two fresh homes:
// on the simulated clock the two nodes must build the same blocks and end
// with the same state fingerprint. It keeps the default 2 s execution
// cursor delay, two periods of this network: a block is then produced
// before the previous block of its thread is executed, so operations are
// included again in the next blocks, and must be executed only once.
func TestWorkloadDeterminism(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the workload twice")
	}
	seed := seedFor(t, wlDefaultSeed+1)
	a := runWorkload(t, seed, 0)
	b := runWorkload(t, seed, 0)
	if a.finalSlot != b.finalSlot || a.fingerprint != b.fingerprint {
		t.Fatalf("same workload, different states: run 1 %s at %s, run 2 %s at %s", a.fingerprint, a.finalSlot, b.fingerprint, b.finalSlot)
	}
	t.Logf("two runs of seed %d agree: final slot %s, fingerprint %s", seed, a.finalSlot, a.fingerprint)
}

func slotAtMS(ms uint64) types.Slot {
	return types.SlotFromIndex((ms-wlGenesisMS)/wlSlotMS, wlThreads)
}

func slotMS(s types.Slot) uint64 { return wlGenesisMS + s.Index(wlThreads)*wlSlotMS }

// runWorkload runs the workload of seed on a fresh home with the given
// execution cursor delay (ms; 0 keeps the default) and checks it.
func runWorkload(t *testing.T, seed, cursorDelay uint64) wlRun {
	w := newWorkload(t, seed)
	w.exactlyOnce = cursorDelay > 0 && cursorDelay < wlSlotMS
	home := w.newHome(cursorDelay)
	clk := clock.NewSimulatedMS(wlGenesisMS - 2*wlT0)
	s := startSimNode(t, clk, node.Options{Home: home, Password: wlPassword})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// First blocks at period 1.
	next := types.Slot{Period: 1}
	s.advanceTo(slotMS(next))

	send := func(ops []*types.SignedOperation) {
		t.Helper()
		for i := 0; i < len(ops); i += 100 {
			chunk := ops[i:min(i+100, len(ops))]
			ids, err := sendOps(ctx, s.pub, chunk)
			if err != nil {
				t.Fatalf("send_operations refused valid operations at %s: %v", slotAtMS(clk.NowMS()), err)
			}
			for j, id := range ids {
				if id != chunk[j].ID {
					t.Fatalf("send_operations answered id %s for %s", id, chunk[j].ID)
				}
			}
			w.accepted(chunk, false)
		}
	}
	// waitFinal advances time until every slot up to the latest expire
	// period sent is final: each operation is then executed or expired.
	waitFinal := func() {
		t.Helper()
		target := types.Slot{Period: w.maxExpire, Thread: wlThreads - 1}
		for range 400 {
			st, err := getStatus(ctx, s.pub)
			if err != nil {
				t.Fatal(err)
			}
			if !st.ExecutionStats.FinalCursor.Less(target) {
				return
			}
			next = slotAtMS(clk.NowMS()).Next(wlThreads)
			s.advanceTo(slotMS(next))
		}
		t.Fatalf("the final cursor did not reach %s", target)
	}

	var phase2 [][]*types.SignedOperation
	for phase := 1; phase <= 2; phase++ {
		for i := range wlSlotsPerPart {
			cur := slotAtMS(clk.NowMS())
			expire := cur.Period + 5
			ops := make([]*types.SignedOperation, 0, wlOpsPerSlot)
			for range wlOpsPerSlot {
				ops = append(ops, w.nextOp(phase, expire))
			}
			send(ops)
			if phase == 2 {
				phase2 = append(phase2, ops)
				if i == wlSlotsPerPart/2 {
					// ops[0] is pooled; phase2[i-12][0], sent three
					// periods ago, is executed but not expired.
					w.sendRefused(ctx, s, cur, ops[0], phase2[i-12][0])
				}
			}
			s.advanceTo(slotMS(cur.Next(wlThreads)))
		}
		waitFinal()
		w.phaseFinal()
	}

	// Everything is final: read the final state through the API, on a
	// quiescent node (the clock does not move any more).
	st, err := getStatus(ctx, s.pub)
	if err != nil {
		t.Fatal(err)
	}
	genesisKey, err := crypto.ParseSecretKey(node.GenesisKeyText)
	if err != nil {
		t.Fatal(err)
	}
	genesisAddr := types.AddressOf(genesisKey.Public())
	addrs := []types.Address{w.staker.addr, w.probe.addr, genesisAddr}
	for _, u := range w.users {
		addrs = append(addrs, u.addr)
	}
	for _, f := range w.fresh {
		addrs = append(addrs, f.addr)
	}
	infos, err := getAddresses(ctx, s.pub, addrs)
	if err != nil {
		t.Fatal(err)
	}
	s.stop()

	// The node's own final state, then the model.
	fs, fp, st0 := homeState(t, home)
	st0.Close()
	if fs != st.ExecutionStats.FinalCursor {
		t.Fatalf("the store's final slot %s differs from the API's final cursor %s", fs, st.ExecutionStats.FinalCursor)
	}
	checkFinalChains(t, home)
	m := w.expected(home, genesisAddr)
	checkAgainstModel(t, w, m, infos, genesisAddr)

	// Determinism: two replays of the same final blocks on fresh stores.
	r1, d1 := replay(t, home, &fs)
	r2, d2 := replay(t, home, &fs)
	if r1.Fingerprint != r2.Fingerprint {
		t.Fatalf("two replays of the same final blocks differ: %s and %s", r1.Fingerprint, r2.Fingerprint)
	}
	if r1.Fingerprint != fp || r1.FinalSlot != fs {
		t.Fatalf("replay gives %s at %s, the node has %s at %s", r1.Fingerprint, r1.FinalSlot, fp, fs)
	}
	for _, a := range addrs {
		b, _, err := r1.Exec.FinalBalance(a)
		if err != nil {
			t.Fatal(err)
		}
		rolls, _ := r1.Exec.RollCounts(a)
		if b != infos[a].FinalBalance || rolls != infos[a].FinalRollCount {
			t.Errorf("%s: replayed balance %s rolls %d, node %s rolls %d", a, b, rolls, infos[a].FinalBalance, infos[a].FinalRollCount)
		}
	}
	t.Logf("replayed %d final blocks (%d operations) twice in %v and %v: fingerprint %s at %s",
		r1.Blocks, r1.Operations, d1.Round(time.Millisecond), d2.Round(time.Millisecond), r1.Fingerprint, r1.FinalSlot)
	return wlRun{home: home, finalSlot: fs, fingerprint: fp, ops: len(w.sent), blocks: m.blocks}
}

// sendRefused sends, one per call, operations the node must refuse, and
// checks each error names the reason. pooled is an operation just
// accepted, executed one that was executed (both sent again).
func (w *workload) sendRefused(ctx context.Context, s *simNode, cur types.Slot, pooled, executed *types.SignedOperation) {
	t := w.t
	u := w.users[0]
	poor := deterministicAccount("poor", 0)
	transfer := func(from account, amount types.Amount, expire uint64, chainID uint64) *types.SignedOperation {
		return types.SignOperation(types.Operation{
			Fee: types.MustAmount("0.01"), ExpirePeriod: expire, Type: types.OpTransaction,
			Recipient: w.users[1].addr, Amount: amount,
		}, from.key, chainID)
	}
	cases := []struct {
		name string
		op   *types.SignedOperation
		want string // in the error, lower case
	}{
		{"expired", transfer(u, types.OneMAS, cur.Period-2, wlChainID), "expired"},
		{"wrong chain id", transfer(u, types.OneMAS, cur.Period+5, config.ChainIDSandbox), "signature"},
		{"unfunded sender", transfer(poor, types.OneMAS, cur.Period+5, wlChainID), "cannot pay"},
		{"more than the balance", transfer(u, 10_000_000*types.OneMAS, cur.Period+5, wlChainID), "cannot pay"},
		{"roll sell of more rolls than owned", types.SignOperation(types.Operation{
			Fee: types.MustAmount("0.01"), ExpirePeriod: cur.Period + 5, Type: types.OpRollSell, RollCount: 3,
		}, w.probe.key, wlChainID), "roll"},
		{"already executed", executed, "already executed"},
	}
	for _, c := range cases {
		_, err := sendOps(ctx, s.pub, []*types.SignedOperation{c.op})
		switch {
		case err == nil:
			t.Errorf("send_operations accepted an operation it must refuse (%s): %s", c.name, c.op.ID)
			if c.op != executed {
				// It will be executed: as a failure, the fee paid.
				w.accepted([]*types.SignedOperation{c.op}, true)
				w.spendable[c.op.CreatorAddr] -= c.op.Op.Fee
			}
		case !strings.Contains(strings.ToLower(err.Error()), c.want):
			t.Errorf("send_operations refused %s with %q, which does not say %q", c.name, err, c.want)
		default:
			t.Logf("refused as expected (%s): %v", c.name, err)
		}
		if err != nil && c.op != executed {
			w.refused[c.op.ID] = c.name
		}
	}
	// An operation already in the pool, sent again, is either refused as
	// a duplicate or acknowledged with its id (Massa's pool ignores
	// duplicates, so that clients may retry); either way it runs once,
	// which the model checks.
	ids, err := sendOps(ctx, s.pub, []*types.SignedOperation{pooled})
	switch {
	case err == nil && (len(ids) != 1 || ids[0] != pooled.ID):
		t.Errorf("send_operations acknowledged the duplicate %s with ids %v", pooled.ID, ids)
	case err == nil:
		t.Logf("duplicate of a pooled operation acknowledged with its id (idempotent): %s", pooled.ID)
	case !strings.Contains(strings.ToLower(err.Error()), "already"):
		t.Errorf("send_operations refused a duplicate with %q, which does not say \"already\"", err)
	default:
		t.Logf("refused as expected (duplicate of a pooled operation): %v", err)
	}
}

// modelResult is what the model expects of the final state.
type modelResult struct {
	balances map[types.Address]types.Amount
	rolls    map[types.Address]uint64
	credits  map[types.Address]types.Amount
	blocks   int
	// genesisParts is what the genesis address earns as the creator of
	// the genesis blocks that period-1 endorsements endorse.
	genesisParts types.Amount
}

// expected computes the model. Which operations ran, and in which block,
// comes from the final blocks on disk; what they do, and the rewards,
// are computed here from the protocol's rules, independently of
// execution.
func (w *workload) expected(home string, genesisAddr types.Address) *modelResult {
	t := w.t
	m := &modelResult{balances: map[types.Address]types.Amount{}, rolls: map[types.Address]uint64{}, credits: map[types.Address]types.Amount{}}
	for a, b := range w.initial {
		m.balances[a] = b
	}
	m.rolls[w.staker.addr] = 100
	add := func(a types.Address, x types.Amount) {
		b, ok := m.balances[a]
		if !ok {
			// A fresh address pays the entry cost out of its first credit.
			x -= ledger.EntryBaseCost
		}
		m.balances[a] = b + x
	}
	sub := func(a types.Address, x types.Amount) {
		if m.balances[a] < x {
			t.Fatalf("model: %s cannot pay %s", a, x)
		}
		m.balances[a] -= x
	}
	executed := map[types.OperationID]int{}
	creators := map[types.BlockID]types.Address{}
	genesisIDs := map[types.BlockID]bool{}
	gk, _ := crypto.ParseSecretKey(node.GenesisKeyText)
	for th := range uint8(wlThreads) {
		genesisIDs[types.GenesisBlock(gk, th, 0).ID()] = true
	}
	err := node.FinalBlocks(home, "", func(fb node.FinalBlock) error {
		m.blocks++
		creators[fb.ID] = fb.Block.Creator()
		if fb.Block.Creator() != w.staker.addr {
			return fmt.Errorf("block %s at %s made by %s, not the only staker", fb.ID, fb.Slot, fb.Block.Creator())
		}
		credits := wlBlockReward
		for _, op := range fb.Operations {
			if reason, bad := w.refused[op.ID]; bad {
				t.Errorf("operation %s refused by send_operations (%s) is in final block %s at %s", op.ID, reason, fb.ID, fb.Slot)
			}
			s, ok := w.byID[op.ID]
			if !ok {
				return fmt.Errorf("final block %s at %s holds operation %s the test never sent", fb.ID, fb.Slot, op.ID)
			}
			executed[op.ID]++
			if executed[op.ID] > 1 {
				continue // already executed: skipped, no fee
			}
			o := &op.Op
			if fb.Slot.Period > o.ExpirePeriod || fb.Slot.Period+10 < o.ExpirePeriod || op.CreatorAddr.Thread(wlThreads) != fb.Slot.Thread {
				return fmt.Errorf("operation %s (expire %d, thread %d) is in a block at %s", op.ID, o.ExpirePeriod, op.CreatorAddr.Thread(wlThreads), fb.Slot)
			}
			sub(op.CreatorAddr, o.Fee)
			credits += o.Fee
			if s.mustFail {
				continue
			}
			switch o.Type {
			case types.OpTransaction:
				sub(op.CreatorAddr, o.Amount)
				add(o.Recipient, o.Amount)
			case types.OpRollBuy:
				cost, _ := wlRollPrice.MulU64(o.RollCount)
				sub(op.CreatorAddr, cost)
				m.rolls[op.CreatorAddr] += o.RollCount
			case types.OpRollSell:
				if m.rolls[op.CreatorAddr] < o.RollCount {
					return fmt.Errorf("model: %s sells %d rolls, owns %d", op.CreatorAddr, o.RollCount, m.rolls[op.CreatorAddr])
				}
				m.rolls[op.CreatorAddr] -= o.RollCount
				c, _ := wlRollPrice.MulU64(o.RollCount)
				m.credits[op.CreatorAddr] += c
			}
		}
		// Rewards (protocol.md §2.6).
		part, rem := credits.DivRemU64(3 * (1 + wlEndorsements))
		n := types.Amount(len(fb.Block.Header.Header.Endorsements))
		add(fb.Block.Creator(), 3*part+rem+n*part)
		for _, e := range fb.Block.Header.Header.Endorsements {
			add(e.CreatorAddr, part)
		}
		parent := fb.Block.Header.Header.SameThreadParent()
		if genesisIDs[parent] {
			m.genesisParts += n * part
		} else if c, ok := creators[parent]; ok {
			add(c, n*part)
		} else {
			return fmt.Errorf("block %s at %s: same-thread parent %s is neither final nor genesis", fb.ID, fb.Slot, parent)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lost, repeated := 0, 0
	for _, s := range w.sent {
		if executed[s.op.ID] > 1 {
			repeated++
		}
		if executed[s.op.ID] == 0 {
			lost++
			if lost <= 5 {
				t.Errorf("operation %s (expire %d) was accepted but never reached a final block", s.op.ID, s.op.Op.ExpirePeriod)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d accepted operations never reached a final block", lost, len(w.sent))
	}
	if repeated > 0 && w.exactlyOnce {
		t.Errorf("%d operations are in more than one final block, although each block was executed before the next one of its thread was produced", repeated)
	}
	t.Logf("model: %d final blocks; %d accepted operations, %d of them in more than one final block (executed once)", m.blocks, len(w.sent), repeated)
	return m
}

func checkAgainstModel(t *testing.T, w *workload, m *modelResult, infos map[types.Address]api.AddressInfo, genesisAddr types.Address) {
	t.Helper()
	mismatches := 0
	for a, info := range infos {
		if a == genesisAddr {
			continue
		}
		want := m.balances[a]
		var credits types.Amount
		for _, c := range info.DeferredCredits {
			credits += c.Amount
		}
		if info.FinalBalance != want || info.FinalRollCount != m.rolls[a] || credits != m.credits[a] {
			mismatches++
			t.Errorf("%s: node has balance %s, rolls %d, deferred credits %s; model %s, %d, %s",
				a, info.FinalBalance, info.FinalRollCount, credits, want, m.rolls[a], m.credits[a])
		}
		if info.CandidateBalance != info.FinalBalance && a != w.staker.addr {
			t.Errorf("%s: candidate balance %s differs from the final %s with nothing pending", a, info.CandidateBalance, info.FinalBalance)
		}
	}
	// Massa pays the creator of an endorsed genesis block (the genesis
	// address) its part, as for any endorsed block.
	g := infos[genesisAddr]
	wantG := types.Amount(0)
	if m.genesisParts > 0 {
		wantG = m.genesisParts - ledger.EntryBaseCost
	}
	if g.FinalBalance != wantG {
		t.Errorf("genesis address %s: final balance %s, want %s: the endorsements in period-1 blocks endorse the genesis blocks, "+
			"whose creator (the genesis address) is owed one part per endorsement (%s in all, minus the 0.001 MAS entry cost), as Massa pays them",
			genesisAddr, g.FinalBalance, wantG, m.genesisParts)
	}
	t.Logf("model: %d addresses checked, %d mismatches; staker balance %s", len(infos), mismatches, infos[w.staker.addr].FinalBalance)
}
