package execution

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

var modelSeed = flag.Uint64("model-seed", 0, "seed of TestRandomAgainstModel (0: random)")

// model is an independent, deliberately simple implementation of the
// rules the random test exercises: transfers, roll buys and sells,
// deferred credits, the 70% miss rule and the reward split.
type model struct {
	t         *testing.T
	threads   uint8
	ppc       uint64
	rollPrice uint64
	reward    uint64
	endorse   uint64
	bal       map[types.Address]uint64
	rolls     map[types.Address]uint64
	credits   map[types.Slot]map[types.Address]uint64
	ok, nok   map[uint64]map[types.Address]uint64 // per cycle
	executed  map[types.OperationID]bool
	producers []types.Address

	minted, fees, creation, lost uint64
	// blocks, undistributed (parts of absent endorsements) and
	// unpaid (rewards that could not create their address)
	blocks, undistributed, unpaid uint64
	// counters showing which paths the run exercised
	failed, skipped, sells, autoSells, paid int
}

const baseCost = 1_000_000 // 0.001 MAS

func (m *model) cycle(s types.Slot) uint64 { return s.Period / m.ppc }

func (m *model) lastSlot(cycle uint64) types.Slot {
	return types.Slot{Period: cycle*m.ppc + m.ppc - 1, Thread: m.threads - 1}
}

func (m *model) addCredit(s types.Slot, a types.Address, amt uint64) {
	if m.credits[s] == nil {
		m.credits[s] = map[types.Address]uint64{}
	}
	m.credits[s][a] += amt
}

// credit mints amt to a; false if a cannot be created.
func (m *model) credit(a types.Address, amt uint64) bool {
	if _, ok := m.bal[a]; ok {
		m.bal[a] += amt
		return true
	}
	if a.SC || amt < baseCost {
		return false
	}
	m.bal[a] = amt - baseCost
	m.creation += baseCost
	return true
}

func (m *model) stat(tab map[uint64]map[types.Address]uint64, cycle uint64, a types.Address) {
	if tab[cycle] == nil {
		tab[cycle] = map[types.Address]uint64{}
	}
	tab[cycle][a]++
}

func (m *model) applySlot(s types.Slot, b *BlockToExecute) {
	if b != nil {
		credits := m.reward
		for _, so := range b.Operations {
			op := so.Op
			sender := so.CreatorAddr
			start := uint64(0)
			if op.ExpirePeriod > 10 {
				start = op.ExpirePeriod - 10
			}
			if s.Period < start || s.Period > op.ExpirePeriod || sender.Thread(m.threads) != s.Thread || m.executed[so.ID] {
				m.skipped++
				continue
			}
			bal, exists := m.bal[sender]
			if !exists || bal < uint64(op.Fee) {
				m.skipped++
				continue
			}
			bal -= uint64(op.Fee)
			m.bal[sender] = bal
			credits += uint64(op.Fee)
			m.fees += uint64(op.Fee)
			success := false
			switch op.Type {
			case types.OpTransaction:
				amt := uint64(op.Amount)
				to := op.Recipient
				_, toExists := m.bal[to]
				switch {
				case bal < amt:
				case to == sender:
					success = true
				case toExists:
					m.bal[sender] -= amt
					m.bal[to] += amt
					success = true
				case !to.SC && amt >= baseCost:
					m.bal[sender] -= amt
					m.bal[to] = amt - baseCost
					m.creation += baseCost
					success = true
				}
			case types.OpRollBuy:
				cost := op.RollCount * m.rollPrice
				if bal >= cost {
					m.bal[sender] -= cost
					m.rolls[sender] += op.RollCount
					success = true
				}
			case types.OpRollSell:
				if m.rolls[sender] >= op.RollCount {
					m.rolls[sender] -= op.RollCount
					m.addCredit(m.lastSlot(m.cycle(s)+3), sender, op.RollCount*m.rollPrice)
					success = true
					m.sells++
				}
			}
			if !success {
				m.failed++
			}
			m.executed[so.ID] = true
		}
		m.stat(m.ok, m.cycle(s), b.Creator)
		m.blocks++
		part := credits / (3 * (1 + m.endorse))
		m.undistributed += 3 * (m.endorse - uint64(len(b.EndorsementCreators))) * part
		producer := 3*part + credits%(3*(1+m.endorse))
		for _, e := range b.EndorsementCreators {
			producer += part
			if m.credit(e, part) {
				m.minted += part
			} else {
				m.unpaid += part
			}
			if m.credit(b.EndorsedBlockCreator, part) {
				m.minted += part
			} else {
				m.unpaid += part
			}
		}
		if m.credit(b.Creator, producer) {
			m.minted += producer
		} else {
			m.unpaid += producer
		}
	} else {
		p := m.producers[s.Index(m.threads)%uint64(len(m.producers))]
		m.stat(m.nok, m.cycle(s), p)
	}
	// Deferred credits due now (they only ever sit at cycle ends).
	var due []types.Slot
	for cs := range m.credits {
		if !s.Less(cs) {
			due = append(due, cs)
		}
	}
	slices.SortFunc(due, types.Slot.Compare)
	for _, cs := range due {
		for a, amt := range m.credits[cs] {
			if amt > 0 && !m.credit(a, amt) {
				m.lost += amt
			}
			m.paid++
		}
		delete(m.credits, cs)
	}
	if s.IsLastOfCycle(m.ppc, m.threads) {
		c := m.cycle(s)
		seen := map[types.Address]bool{}
		for a := range m.ok[c] {
			seen[a] = true
		}
		for a := range m.nok[c] {
			seen[a] = true
		}
		for a := range seen {
			ok, nok := m.ok[c][a], m.nok[c][a]
			if nok*10 > 7*(ok+nok) && m.rolls[a] > 0 {
				m.addCredit(m.lastSlot(c+3), a, m.rolls[a]*m.rollPrice)
				m.rolls[a] = 0
				m.autoSells++
			}
		}
	}
}

// total is balances + rolls * price + pending credits.
func (m *model) total() uint64 {
	var t uint64
	for _, b := range m.bal {
		t += b
	}
	for _, r := range m.rolls {
		t += r * m.rollPrice
	}
	for _, cs := range m.credits {
		for _, a := range cs {
			t += a
		}
	}
	return t
}

func TestRandomAgainstModel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reward types.Amount
		fees   bool
	}{
		{"no-reward-no-fee", 0, false},
		{"reward-and-fees", mas("0.40001"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := *modelSeed
			if seed == 0 {
				seed = rand.Uint64()
			}
			t.Logf("seed %d (replay with -model-seed=%d)", seed, seed)
			runModel(t, seed, tc.reward, tc.fees, 1500)
		})
	}
}

func runModel(t *testing.T, seed uint64, reward types.Amount, withFees bool, steps int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	cfg := testConfig()
	cfg.BlockReward = reward
	const T = 2

	// 12 keys per thread; the first 8 of each exist at genesis.
	var keys []*crypto.SecretKey
	byThread := [T][]*crypto.SecretKey{}
	for i := 0; i < 24; i++ {
		k := testKey(100+i, i%T)
		keys = append(keys, k)
		byThread[i%T] = append(byThread[i%T], k)
	}
	var addrs []types.Address
	for _, k := range keys {
		addrs = append(addrs, addrOf(k))
	}
	scs := []types.Address{{SC: true, Hash: crypto.HashOf([]byte("sc0"))}}
	g := Genesis{}
	m := &model{
		t: t, threads: T, ppc: cfg.PoS.PeriodsPerCycle, rollPrice: uint64(cfg.PoS.RollPrice),
		reward: uint64(reward), endorse: uint64(cfg.PoS.EndorsementCount),
		bal: map[types.Address]uint64{}, rolls: map[types.Address]uint64{},
		credits: map[types.Slot]map[types.Address]uint64{},
		ok:      map[uint64]map[types.Address]uint64{}, nok: map[uint64]map[types.Address]uint64{},
		executed: map[types.OperationID]bool{},
	}
	for i, a := range addrs {
		if i%12 < 8 {
			b := types.Amount(rng.IntN(3000)) * types.OneMAS / 2
			g.Ledger = append(g.Ledger, GenesisEntry{Address: a, Balance: b})
			m.bal[a] = uint64(b)
		}
	}
	// Three stakers produce the blocks; a fourth is drawn too but never
	// produces, so the miss rule sells its rolls (again after each buy).
	stakers := []types.Address{addrs[0], addrs[1], addrs[2]}
	drawn := append(append([]types.Address(nil), stakers...), addrs[3])
	for i, s := range drawn {
		cfg.InitialRolls = append(cfg.InitialRolls, pos.RollCount{Address: s, Rolls: uint64(3 + i)})
		m.rolls[s] = uint64(3 + i)
	}
	m.producers = drawn
	initialTotal := m.total()

	h := newHarness(t, cfg, g, drawn)
	real := map[types.Slot]*BlockToExecute{}
	var history []*types.SignedOperation // for replays
	var supply Supply
	var reused, reexecuted uint64
	finalTarget := h.core.FinalSlot()
	cur := finalTarget
	blockN := 0
	newBlock := func(s types.Slot, decoy bool) *BlockToExecute {
		blockN++
		b := &BlockToExecute{
			ID:                   types.BlockID(crypto.HashOf([]byte(fmt.Sprint("block", seed, blockN)))),
			Slot:                 s,
			Creator:              stakers[rng.IntN(len(stakers))],
			EndorsedBlockCreator: addrs[rng.IntN(len(addrs))],
		}
		for i := rng.IntN(17); i > 0; i-- {
			b.EndorsementCreators = append(b.EndorsementCreators, addrs[rng.IntN(len(addrs))])
		}
		nOps := rng.IntN(12)
		if decoy {
			nOps = rng.IntN(3)
		}
		for i := 0; i < nOps; i++ {
			if len(history) > 0 && rng.IntN(15) == 0 {
				b.Operations = append(b.Operations, history[rng.IntN(len(history))]) // replay
				continue
			}
			thread := int(s.Thread)
			if rng.IntN(20) == 0 {
				thread = 1 - thread // wrong thread
			}
			k := byThread[thread][rng.IntN(len(byThread[thread]))]
			var fee types.Amount
			if withFees {
				fee = types.Amount(rng.IntN(50_000_000))
				if rng.IntN(30) == 0 {
					fee = mas("5000") // unpayable
				}
			}
			expire := s.Period + uint64(rng.IntN(10))
			if rng.IntN(25) == 0 {
				expire = s.Period + 15 // not valid yet
			}
			var op *types.SignedOperation
			switch r := rng.IntN(10); {
			case r < 7:
				to := addrs[rng.IntN(len(addrs))]
				if rng.IntN(30) == 0 {
					to = scs[0]
				}
				amt := types.Amount(rng.IntN(200)) * types.OneMAS / 4
				switch rng.IntN(8) {
				case 0:
					amt = types.Amount(rng.IntN(2_000_000)) // around the creation cost
				case 1:
					amt = mas("100000") // too much
				}
				op = transferOp(k, to, amt, fee, expire)
			case r < 9:
				op = rollOp(k, types.OpRollBuy, uint64(1+rng.IntN(3)), fee, expire)
			default:
				op = rollOp(k, types.OpRollSell, uint64(1+rng.IntN(3)), fee, expire)
			}
			b.Operations = append(b.Operations, op)
			history = append(history, op)
		}
		return b
	}

	compare := func(step int) {
		t.Helper()
		for _, a := range append(addrs, scs...) {
			got, ok, err := h.core.FinalBalance(a)
			if err != nil {
				t.Fatal(err)
			}
			want, wantOK := m.bal[a]
			if ok != wantOK || uint64(got) != want {
				t.Fatalf("step %d (final %s): balance of %s = %d (exists %v), model %d (exists %v)", step, h.core.FinalSlot(), a, got, ok, want, wantOK)
			}
			if r, _ := h.core.RollCounts(a); r != m.rolls[a] {
				t.Fatalf("step %d: rolls of %s = %d, model %d", step, a, r, m.rolls[a])
			}
		}
	}

	for step := 0; step < steps; step++ {
		cur = cur.Next(T)
		if rng.IntN(5) != 0 {
			real[cur] = newBlock(cur, false)
		}
		// Finality lags 0 to 6 slots behind the current slot.
		lagged := cur
		for i := rng.IntN(7); i > 0 && finalTarget.Less(lagged); i-- {
			lagged, _ = lagged.Prev(T)
		}
		var final []*BlockToExecute
		for s := finalTarget.Next(T); !lagged.Less(s); s = s.Next(T) {
			if b := real[s]; b != nil {
				final = append(final, b)
			}
			m.applySlot(s, real[s])
		}
		if finalTarget.Less(lagged) {
			finalTarget = lagged
		}
		var clique []*BlockToExecute
		for s := finalTarget.Next(T); !cur.Less(s); s = s.Next(T) {
			b := real[s]
			if rng.IntN(8) == 0 {
				b = newBlock(s, true) // a competing block, later replaced
			}
			if b != nil {
				clique = append(clique, b)
			}
		}
		latest := make([]types.Slot, T)
		for th := range latest {
			ls := types.Slot{Period: finalTarget.Period, Thread: uint8(th)}
			if uint8(th) > finalTarget.Thread {
				ls.Period--
			}
			latest[th] = ls
		}
		h.core.UpdateBlockclique(final, clique, latest)
		if _, err := h.core.Run(cfg.SlotTimestamp(cur)); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if got := h.core.FinalSlot(); got != finalTarget {
			t.Fatalf("step %d: final slot %s, want %s", step, got, finalTarget)
		}
		if step%25 == 0 {
			compare(step)
		}
		if step%150 == 149 {
			st := h.core.Stats()
			supply.add(st.FinalSupply)
			reused, reexecuted = reused+st.FinalSlotsReused, reexecuted+st.FinalSlotsExecuted
			h.reopen()
		}
	}
	compare(steps)
	st := h.core.Stats()
	supply.add(st.FinalSupply)
	reused, reexecuted = reused+st.FinalSlotsReused, reexecuted+st.FinalSlotsExecuted

	// No coin created or lost: the supply moved by exactly what the core
	// accounted, and that accounting matches the model's.
	if got := int64(m.total()) - int64(initialTotal); got != supply.Delta() {
		t.Fatalf("total supply moved by %d, accounted %d (%+v)", got, supply.Delta(), supply)
	}
	// Rewards: every block mints its reward plus the fees it burnt, minus
	// the parts of absent endorsements and the credits that could not be
	// paid.
	if uint64(supply.RewardsMinted)+m.undistributed+m.unpaid != m.blocks*uint64(reward)+uint64(supply.FeesBurnt) {
		t.Fatalf("rewards identity: minted %d + undistributed %d + unpaid %d != %d blocks * %d + fees %d",
			supply.RewardsMinted, m.undistributed, m.unpaid, m.blocks, reward, supply.FeesBurnt)
	}
	if uint64(supply.RewardsMinted) != m.minted || uint64(supply.FeesBurnt) != m.fees ||
		uint64(supply.CreationCosts) != m.creation || uint64(supply.CreditsLost) != m.lost {
		t.Fatalf("supply %+v, model minted %d fees %d creation %d lost %d", supply, m.minted, m.fees, m.creation, m.lost)
	}
	if err := h.st.Verify(); err != nil {
		t.Fatal(err)
	}
	t.Logf("final %s: %d executed ops (%d failed), %d skipped, %d roll sells, %d auto-sells, %d credits paid; "+
		"final slots reused %d, re-executed %d; minted %s, fees %s, creation %s, lost %s", h.core.FinalSlot(),
		len(m.executed), m.failed, m.skipped, m.sells, m.autoSells, m.paid, reused, reexecuted,
		supply.RewardsMinted, supply.FeesBurnt, supply.CreationCosts, supply.CreditsLost)

	// The same final blocks on a fresh store, finalized directly, give the
	// same state fingerprint.
	h2 := newHarness(t, cfg, g, drawn)
	var blocks []*BlockToExecute
	for _, b := range real {
		if !finalTarget.Less(b.Slot) {
			blocks = append(blocks, b)
		}
	}
	h2.finalizeTo(finalTarget, blocks...)
	if h.core.Fingerprint() != h2.core.Fingerprint() {
		t.Fatalf("replay on a fresh store: fingerprint %s, want %s", h2.core.Fingerprint(), h.core.Fingerprint())
	}
}
