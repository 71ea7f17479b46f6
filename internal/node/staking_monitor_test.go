package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/client"
	"github.com/gomassa/gomassa/internal/clock"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// stakingRollPrice is the roll price of the staking tests' networks: small,
// so that rewards buy rolls within a few periods.
const stakingRollPrice = "1"

// stakingGenesis is a test-network genesis with the given rolls and
// balances, a small roll price and a larger block reward.
func stakingGenesis(rolls map[types.Address]uint64, balances map[types.Address]string) []byte {
	ledger := map[string]map[string]string{}
	for a, b := range balances {
		ledger[a.String()] = map[string]string{"balance": b}
	}
	r := map[string]uint64{}
	for a, n := range rolls {
		r[a.String()] = n
		if _, ok := ledger[a.String()]; !ok {
			ledger[a.String()] = map[string]string{"balance": "0"}
		}
	}
	doc := map[string]any{
		"params": map[string]any{
			"thread_count":      testThreads,
			"t0":                testT0,
			"genesis_timestamp": uint64(testGenesisMS),
			"periods_per_cycle": testPeriodsPerCycle,
			"delta_f0":          testDeltaF0,
			"endorsement_count": testEndorsements,
			"chain_id":          testChainID,
			"network_prefix":    "TEST",
			"roll_price":        stakingRollPrice,
			"block_reward":      "1",
		},
		"initial_ledger": ledger,
		"initial_rolls":  r,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// stakingHome is a network home whose genesis is stakingGenesis and whose
// config.toml adds extra.
func stakingHome(t *testing.T, genesis []byte, extra string) string {
	home := newNetworkHome(t)
	writeTestFile(t, filepath.Join(home, "config", "genesis.json"), genesis)
	writeTestFile(t, filepath.Join(home, "config", "config.toml"), []byte(testConfig+extra))
	return home
}

func mustAmount(t *testing.T, s string) types.Amount {
	t.Helper()
	a, err := types.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (s *simNode) private(method string, params []any, out any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.priv.Call(ctx, method, params, out); err != nil {
		s.t.Fatalf("%s: %v", method, err)
	}
}

func (s *simNode) warnings() []api.StakingWarning {
	var ws []api.StakingWarning
	s.private("get_staking_warnings", nil, &ws)
	return ws
}

// clientSession is massa-client's real command code talking to the node
// over its API, with a wallet of keys and the node's simulated clock.
func (s *simNode) clientSession(keys ...*crypto.SecretKey) *client.Session {
	s.t.Helper()
	port := func(addr string) int {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			s.t.Fatal(err)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			s.t.Fatal(err)
		}
		return n
	}
	dir := s.t.TempDir()
	opts := &client.Options{
		Home: dir, ConfigPath: filepath.Join(dir, "config.toml"), IP: "127.0.0.1",
		PublicPort: port(s.n.PublicAddr()), PrivatePort: port(s.n.PrivateAddr()),
		Token: s.n.Token(), WalletDir: filepath.Join(dir, "wallets"), Password: "client-pw", NodeHome: s.home,
	}
	cs := client.NewSession(opts, &bytes.Buffer{})
	cs.SetClock(s.clk.Now)
	if len(keys) > 0 {
		args := []string{"wallet_add_secret_keys"}
		for _, k := range keys {
			args = append(args, k.String())
		}
		if _, err := cs.Run(context.Background(), args); err != nil {
			s.t.Fatalf("wallet_add_secret_keys: %v", err)
		}
	}
	return cs
}

// doctorCheck mirrors one entry of staking_doctor --json.
type doctorCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// doctor runs staking_doctor through the client code and returns its
// checks by name, its human output and its exit code.
func (s *simNode) doctor(cs *client.Session, args ...string) (map[string]doctorCheck, string, int) {
	s.t.Helper()
	r, err := cs.Run(context.Background(), append([]string{"staking_doctor"}, args...))
	if err != nil {
		s.t.Fatalf("staking_doctor: %v", err)
	}
	raw, err := json.Marshal(r.JSON)
	if err != nil {
		s.t.Fatal(err)
	}
	var list []doctorCheck
	if err := json.Unmarshal(raw, &list); err != nil {
		s.t.Fatalf("staking_doctor --json: %v: %s", err, raw)
	}
	out := map[string]doctorCheck{}
	for _, c := range list {
		out[c.Name] = c
	}
	var human strings.Builder
	r.Human(client.NewPrinter(&human, cs.Display()))
	return out, human.String(), r.Code
}

// TestImplicitRollSellAndStakingWarnings runs two stakers and removes one
// staker's key for the whole of cycle 1: it misses every block slot of
// that cycle, so the node warns at each miss with reason "key not
// registered" and a miss budget that falls by one each time; its rolls
// are sold at the end of cycle 1 (0 rolls in cycle 1's counts, no draw
// from cycle 4) and its coins come back as a deferred credit paid at the
// last slot of cycle 4. The staking doctor, run through the client code,
// names the unregistered key, the missing rolls and the pending rolls,
// each with its fix.
func TestImplicitRollSellAndStakingWarnings(t *testing.T) {
	stakers := testStakers()
	a, b := stakers[3], stakers[1] // a keeps staking; b loses its key in cycle 1
	var seed [crypto.SeedSize]byte
	copy(seed[:], "staking-test-no-rolls")
	cKey := crypto.SecretKeyFromSeed(seed)
	c := types.AddressOf(cKey.Public()) // coins, no rolls, no staking key
	const bRolls = 10
	genesis := stakingGenesis(map[types.Address]uint64{a.addr: 30, b.addr: bRolls},
		map[types.Address]string{a.addr: "100", b.addr: "100", c: "100"})
	home := stakingHome(t, genesis, "")
	clk := clock.NewSimulatedMS(testGenesisMS - 2*testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	defer func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.log.tail(80))
		}
	}()
	price := mustAmount(t, stakingRollPrice)
	lastOf := func(cycle uint64) types.Slot {
		return types.Slot{Period: (cycle+1)*testPeriodsPerCycle - 1, Thread: testThreads - 1}
	}

	// Cycle 0: both stake. Then b's key goes, for every slot of cycle 1.
	s.advanceTo(slotMS(lastOf(0)), nil)
	if ws := s.warnings(); len(ws) != 0 {
		t.Fatalf("warnings while both stakers produce: %+v", ws)
	}
	s.private("remove_staking_addresses", []any{[]string{b.addr.String()}}, nil)

	// Watch b's candidate balance and credits slot by slot (the active
	// cursor moves one slot per step).
	type seen struct {
		balance types.Amount
		credits []pos.Credit
	}
	bySlot := map[types.Slot]seen{}
	watch := func() {
		cur := s.n.exec.Stats().ActiveCursor
		bal, _, err := s.n.exec.CandidateBalance(b.addr)
		if err != nil {
			t.Fatal(err)
		}
		cand, _ := s.n.exec.DeferredCredits(b.addr)
		bySlot[cur] = seen{bal, cand}
	}

	// Mid-cycle 1: the doctor names the missing key and the misses.
	s.advanceTo(slotMS(types.Slot{Period: 12, Thread: 0}), watch)
	ws := s.warnings()
	if len(ws) == 0 {
		t.Fatal("no staking warning after half a cycle without b's key")
	}
	cs := s.clientSession(a.key, b.key, cKey)
	checks, human, code := s.doctor(cs, b.addr.String())
	if code != client.ExitError {
		t.Errorf("doctor exit code %d with a key not registered", code)
	}
	if k := checks["staking_keys"]; k.OK || !strings.Contains(k.Detail, "key not registered") ||
		!strings.Contains(k.Fix, "massa-client node_start_staking "+b.addr.String()) || !strings.Contains(k.Fix, "node_add_staking_secret_keys") {
		t.Errorf("staking_keys check: %+v", k)
	}
	if m := checks["missed_slots"]; m.OK || !strings.Contains(m.Detail, "key not registered") ||
		!strings.Contains(m.Detail, "more misses allowed") || !strings.Contains(m.Fix, "node_start_staking "+b.addr.String()) {
		t.Errorf("missed_slots check: %+v", m)
	}
	if r := checks["active_rolls"]; !r.OK || !strings.Contains(r.Detail, fmt.Sprintf("%d active rolls in cycle 1", bRolls)) {
		t.Errorf("active_rolls check: %+v", r)
	}
	if c := checks["clock"]; !c.OK {
		t.Errorf("clock check on the node's own clock: %+v", c)
	}
	t.Logf("staking_doctor for the staker without its key:\n%s", human)
	if !strings.Contains(human, "[FAIL] staking_keys") || !strings.Contains(human, "fix: massa-client node_start_staking") {
		t.Errorf("human doctor output:\n%s", human)
	}
	// The doctor passes for a, whose key the node holds.
	if checks, _, _ := s.doctor(cs, a.addr.String()); !checks["staking_keys"].OK || !checks["missed_slots"].OK || !checks["synchronized"].OK {
		t.Errorf("doctor for the healthy staker: %+v", checks)
	}

	// No rolls at all: buy_rolls is the fix; once bought, the rolls are
	// pending until cycle current+3, whose start time the doctor prints.
	checks, _, _ = s.doctor(cs, c.String())
	if r := checks["active_rolls"]; r.OK || r.Fix != "massa-client buy_rolls "+c.String()+" 1 0.01" {
		t.Errorf("active_rolls check without rolls: %+v", r)
	}
	if _, err := cs.Run(context.Background(), []string{"buy_rolls", c.String(), "2", "0.01"}); err != nil {
		t.Fatalf("buy_rolls: %v", err)
	}

	s.advanceTo(slotMS(lastOf(1)), watch)
	checks, _, _ = s.doctor(cs, c.String())
	activeAt := fmt.Sprintf("cycle 4, at %s", time.UnixMilli(int64(testGenesisMS+4*testPeriodsPerCycle*testT0)).UTC().Format("2006-01-02 15:04:05.000 MST"))
	if p := checks["pending_rolls"]; !strings.Contains(p.Detail, "2 more rolls") || !strings.Contains(p.Detail, activeAt) {
		t.Errorf("pending_rolls check after buy_rolls: %+v (want %q)", p, activeAt)
	}
	if r := checks["active_rolls"]; r.OK || !strings.Contains(r.Fix, "wait until") {
		t.Errorf("active_rolls check with pending rolls only: %+v", r)
	}

	// b gets its key back for cycles 2 and 3, where it is still drawn.
	s.private("add_staking_secret_keys", []any{[]string{b.key.String()}}, nil)
	s.advanceTo(slotMS(types.Slot{Period: 5*testPeriodsPerCycle + 3}), watch)

	// Every miss of cycle 1 was warned, with the reason and a budget
	// falling by one from floor(0.7 * draws) - 1.
	var bw []api.StakingWarning
	for _, w := range s.warnings() {
		if w.Address != b.addr || w.Cycle != 1 {
			t.Errorf("unexpected warning %+v", w)
			continue
		}
		bw = append(bw, w)
	}
	var draws uint64
	d1, err := s.n.selector.Draws(1)
	if err != nil {
		t.Fatal(err)
	}
	for p := uint64(testPeriodsPerCycle); p < 2*testPeriodsPerCycle; p++ {
		for th := uint8(0); th < testThreads; th++ {
			if pr, _ := d1.Producer(types.Slot{Period: p, Thread: th}); pr == b.addr {
				draws++
			}
		}
	}
	t.Logf("b drawn %d times in cycle 1; warnings: first %+v, last %+v", draws, bw[0], bw[len(bw)-1])
	if draws == 0 || uint64(len(bw)) != draws {
		t.Fatalf("b was drawn %d times in cycle 1, %d warnings: %+v", draws, len(bw), bw)
	}
	for i, w := range bw {
		want := int64(7*draws/10) - int64(i+1)
		if w.Reason != ReasonKeyNotRegistered || w.MissBudget != want || w.CycleDraws != draws || w.NOKCount != uint64(i+1) {
			t.Errorf("warning %d: %+v, want reason %q, budget %d", i, w, ReasonKeyNotRegistered, want)
		}
		if i > 0 && !bw[i-1].Slot.Less(w.Slot) {
			t.Errorf("warnings out of slot order: %s then %s", bw[i-1].Slot, w.Slot)
		}
	}
	logText := s.log.String()
	if !strings.Contains(logText, "level=WARN msg=\"staking: block slot missed\"") || !strings.Contains(logText, "implicit roll sell") {
		t.Errorf("the node log lacks the miss warnings or the sale warning")
	}

	// get_addresses shows the stats and the sale; wallet_info too.
	var infos []api.AddressInfo
	s.call("get_addresses", []any{[]string{b.addr.String()}}, &infos)
	var c1 *api.CycleInfo
	for i := range infos[0].CycleInfos {
		if ci := &infos[0].CycleInfos[i]; ci.Cycle == 1 {
			c1 = ci
		}
	}
	if c1 == nil || c1.OKCount != 0 || c1.NOKCount != draws || !c1.IsFinal || c1.ActiveRolls == nil || *c1.ActiveRolls != bRolls {
		t.Errorf("cycle 1 of b in get_addresses: %+v", c1)
	}
	if infos[0].CandidateRollCount != 0 || infos[0].FinalRollCount != 0 {
		t.Errorf("b still has rolls: final %d candidate %d", infos[0].FinalRollCount, infos[0].CandidateRollCount)
	}
	r, err := cs.Run(context.Background(), []string{"wallet_info"})
	if err != nil {
		t.Fatal(err)
	}
	var wi strings.Builder
	r.Human(client.NewPrinter(&wi, cs.Display()))
	if !strings.Contains(wi.String(), "Blocks:") || !strings.Contains(wi.String(), "missed") {
		t.Errorf("wallet_info does not show production:\n%s", wi.String())
	}

	// The sale: 0 rolls in cycle 1's counts, drawn in cycle 3, not in 4.
	s.n.exec.WithPoS(func(st *pos.State) {
		c0, ok0 := st.CycleInfo(0)
		c1, ok1 := st.CycleInfo(1)
		if !ok0 || !ok1 || c0.Rolls[b.addr] != bRolls || c1.Rolls[b.addr] != 0 {
			t.Errorf("roll counts of b: cycle 0 %d, cycle 1 %d", c0.Rolls[b.addr], c1.Rolls[b.addr])
		}
	})
	drawnIn := func(cycle uint64) int {
		d, err := s.n.selector.Draws(cycle)
		if err != nil {
			t.Fatalf("draws of cycle %d: %v", cycle, err)
		}
		n := 0
		for p := cycle * testPeriodsPerCycle; p < (cycle+1)*testPeriodsPerCycle; p++ {
			for th := uint8(0); th < testThreads; th++ {
				if pr, _ := d.Producer(types.Slot{Period: p, Thread: th}); pr == b.addr {
					n++
				}
			}
		}
		return n
	}
	if drawnIn(3) == 0 || drawnIn(4) != 0 || drawnIn(5) != 0 {
		t.Errorf("b drawn %d times in cycle 3, %d in 4, %d in 5; want >0, 0, 0", drawnIn(3), drawnIn(4), drawnIn(5))
	}

	// The credit: pending until the last slot of cycle 4, paid there.
	credit, _ := price.MulU64(bRolls)
	last4 := lastOf(4)
	before, okB := bySlot[types.Slot{Period: last4.Period, Thread: last4.Thread - 1}]
	at, okA := bySlot[last4]
	if !okB || !okA {
		t.Fatalf("balances of b not seen around %s", last4)
	}
	if len(before.credits) != 1 || before.credits[0].Slot != last4 || before.credits[0].Amount != credit {
		t.Errorf("deferred credits of b before %s: %+v, want %s at %s", last4, before.credits, credit, last4)
	}
	if len(at.credits) != 0 || at.balance != before.balance+credit {
		t.Errorf("at %s: balance %s (before %s), credits %+v; want the %s credit paid", last4, at.balance, before.balance, at.credits, credit)
	}
	var bal []api.AddressInfo
	s.call("get_addresses", []any{[]string{b.addr.String()}}, &bal)
	if bal[0].FinalBalance < at.balance {
		t.Errorf("final balance %s below the candidate balance %s seen at %s", bal[0].FinalBalance, at.balance, last4)
	}
}

// TestMissBudget checks the budget arithmetic at its edges.
func TestMissBudget(t *testing.T) {
	for _, tc := range []struct {
		draws, nok uint64
		want       int64
	}{
		{0, 0, 0}, {10, 0, 7}, {10, 7, 0}, {10, 8, -1}, {3, 0, 2}, {3, 2, 0}, {3, 3, -1}, {1, 0, 0}, {1, 1, -1},
	} {
		if got := MissBudget(tc.draws, tc.nok, 7, 10); got != tc.want {
			t.Errorf("MissBudget(%d, %d) = %d, want %d", tc.draws, tc.nok, got, tc.want)
		}
		// The budget is exactly the number of further misses that keep the
		// rolls: nok+budget satisfies the rule, nok+budget+1 does not.
		if tc.draws > 0 && tc.want >= 0 {
			ok := pos.ProductionStats{OK: tc.draws - tc.nok - uint64(tc.want), NOK: tc.nok + uint64(tc.want)}
			bad := pos.ProductionStats{OK: ok.OK - min(ok.OK, 1), NOK: ok.NOK + 1}
			if !ok.Satisfying(7, 10) || (ok.OK > 0 && bad.Satisfying(7, 10)) {
				t.Errorf("draws %d nok %d: budget %d does not match the 70%% rule", tc.draws, tc.nok, tc.want)
			}
		}
	}
}

// TestAutoCompound runs a lone staker whose rewards auto-compounding
// turns into rolls: every buy is floor((balance - reserve - fee) / price)
// rolls, at most one is pending at a time, and the roll count grows by
// what was bought.
func TestAutoCompound(t *testing.T) {
	a := testStakers()[2]
	const initialRolls = 10
	genesis := stakingGenesis(map[types.Address]uint64{a.addr: initialRolls}, map[types.Address]string{a.addr: "0"})
	home := stakingHome(t, genesis, "\n[staking]\nauto_compound = \"all\"\nauto_compound_reserve = \"2\"\nauto_compound_fee = \"0.01\"\n")
	clk := clock.NewSimulatedMS(testGenesisMS - 2*testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	defer func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.log.tail(80))
		}
	}()
	price, reserve, fee := mustAmount(t, stakingRollPrice), mustAmount(t, "2"), mustAmount(t, "0.01")
	executed := func(id types.OperationID) bool {
		st := s.n.exec.OpExecStatus([]types.OperationID{id})
		return st[0].Speculative != nil || st[0].Final != nil
	}
	s.advanceTo(slotMS(types.Slot{Period: 3 * testPeriodsPerCycle}), func() {
		recs := s.n.compoundRecords()
		// At most one buy pending: every buy but the last has executed.
		for _, r := range recs[:max(len(recs), 1)-1] {
			if !executed(r.ID) {
				t.Fatalf("buy %s not executed while a later one was sent: %+v", r.ID, recs)
			}
		}
	})
	recs := s.n.compoundRecords()
	if len(recs) < 2 {
		t.Fatalf("auto-compounding sent %d roll buys in 3 cycles: %+v", len(recs), recs)
	}
	t.Logf("%d roll buys: %+v", len(recs), recs)
	var bought uint64
	for _, r := range recs {
		want := uint64(r.Balance-reserve-fee) / uint64(price)
		if r.Rolls != want || r.Rolls == 0 || r.Address != a.addr {
			t.Errorf("buy %+v: %d rolls, want floor((%s - %s - %s) / %s) = %d", r, r.Rolls, r.Balance, reserve, fee, price, want)
		}
		if executed(r.ID) {
			bought += r.Rolls
		}
	}
	_, cand := s.n.exec.RollCounts(a.addr)
	if cand != initialRolls+bought {
		t.Errorf("candidate rolls %d, want %d + %d bought", cand, initialRolls, bought)
	}
	if !strings.Contains(s.log.String(), "auto-compound: roll buy sent") {
		t.Error("no info log line for the roll buys")
	}
}

// TestClockJumpWarnings jumps the node's clock three periods ahead: the
// slots it never handled were missed by its stakers, each warned once
// with reason "clock skew".
func TestClockJumpWarnings(t *testing.T) {
	stakers := testStakers()
	a, b := stakers[3], stakers[1]
	genesis := stakingGenesis(map[types.Address]uint64{a.addr: 30, b.addr: 10}, map[types.Address]string{a.addr: "100", b.addr: "100"})
	home := stakingHome(t, genesis, "")
	clk := clock.NewSimulatedMS(testGenesisMS - 2*testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	defer func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", s.log.tail(80))
		}
	}()
	before := types.Slot{Period: 4, Thread: 1}
	s.advanceTo(slotMS(before), nil)
	if ws := s.warnings(); len(ws) != 0 {
		t.Fatalf("warnings before the jump: %+v", ws)
	}
	clk.Advance(3 * testT0 * time.Millisecond)
	s.waitIdle()
	after, _ := s.n.cp.LatestSlotAt(clk.NowMS())
	s.advanceTo(slotMS(types.Slot{Period: 3 * testPeriodsPerCycle}), nil)

	skipped := map[types.Slot]bool{}
	for sl := before.Next(testThreads); sl.Less(after); sl = sl.Next(testThreads) {
		skipped[sl] = true
	}
	ws := s.warnings()
	for _, w := range ws {
		if !skipped[w.Slot] || w.Reason != ReasonClockSkew {
			t.Errorf("unexpected warning %+v", w)
		}
		delete(skipped, w.Slot)
	}
	if len(skipped) != 0 {
		t.Errorf("skipped slots without a warning: %v (warnings %+v)", skipped, ws)
	}
}

// TestNoPeersWarnings runs a node that must not produce without peers
// ([factory] stop_production_when_zero_connections) and has none: each of
// its slots is warned as missed with reason "no peers".
func TestNoPeersWarnings(t *testing.T) {
	a := testStakers()[3]
	genesis := stakingGenesis(map[types.Address]uint64{a.addr: 10}, map[types.Address]string{a.addr: "100"})
	home := stakingHome(t, genesis, "\n[factory]\nstop_production_when_zero_connections = true\n")
	clk := clock.NewSimulatedMS(testGenesisMS - 2*testT0)
	s := startSimNode(t, home, clk, Options{Password: testPassword})
	s.advanceTo(slotMS(types.Slot{Period: 3}), nil)
	ws := s.warnings()
	if len(ws) < 2*testThreads {
		t.Fatalf("%d warnings after two periods without producing: %+v", len(ws), ws)
	}
	for i, w := range ws {
		if w.Reason != ReasonNoPeers || w.Address != a.addr || w.CycleDraws != testPeriodsPerCycle*testThreads-testThreads ||
			w.MissBudget != int64(7*w.CycleDraws/10)-int64(i+1) {
			t.Fatalf("warning %d: %+v", i, w)
		}
	}
}
