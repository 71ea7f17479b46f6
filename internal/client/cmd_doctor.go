package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/types"
)

// The staking doctor runs the seed FAQ's diagnostic process for "my rolls
// were sold / I produce no block" in one command: is the node running and
// synchronized, is its clock right, does it have peers, does the wallet
// hold addresses with active rolls, does the node stake with them, are
// rolls waiting to become active, were slots missed this cycle (and how
// many more may be), and when the next draws are. Each failed check names
// the command that fixes it.

// doctorCheck is one line of staking_doctor (--json prints the list).
type doctorCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	// Fix is the command (or action) that fixes a failed check; empty
	// when the check passed.
	Fix string `json:"fix"`
}

// Doctor check names, in the order they run.
const (
	checkNode        = "node_running"
	checkSync        = "synchronized"
	checkClock       = "clock"
	checkPeers       = "peers"
	checkWallet      = "wallet"
	checkActiveRolls = "active_rolls"
	checkStakingKeys = "staking_keys"
	checkPending     = "pending_rolls"
	checkMissed      = "missed_slots"
	checkNextDraws   = "next_draws"
)

const (
	// doctorClockTolerance is the clock difference the doctor accepts
	// between the node and this machine (bootstrap refuses 5 s).
	doctorClockTolerance = 2 * time.Second
	// doctorSyncLagPeriods: a final execution cursor more than this many
	// periods (or one cycle, if shorter) behind the current slot means the
	// node is not synchronized.
	doctorSyncLagPeriods = 16
	// missRateNum / missRateDen is the miss rate above which an address's
	// rolls are sold at the end of a cycle (protocol.md §2.4).
	missRateNum = 7
	missRateDen = 10
	// sandboxChainID is Massa's sandbox chain id (a one-node chain).
	sandboxChainID = 77
	// doctorDrawsShown bounds the draws listed per address.
	doctorDrawsShown = 5
)

// SetClock replaces the clock the doctor compares the node's with (tests
// that run a node on a simulated clock).
func (s *Session) SetClock(now func() time.Time) { s.now = now }

func (s *Session) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// doctor holds what the checks found so far.
type doctor struct {
	s      *Session
	checks []doctorCheck
	st     api.NodeStatus
	// filter restricts the wallet addresses checked (arguments).
	filter []types.Address
	addrs  []types.Address
	infos  map[types.Address]*api.AddressInfo
	// staked are the addresses with active rolls this cycle, pending those
	// with more candidate rolls than active ones.
	staked []types.Address
	// nodeKeys are the node's staking addresses (nil if unknown).
	nodeKeys    []types.Address
	nodeKeysErr error
}

func (d *doctor) add(name string, ok bool, detail, fix string) {
	if ok {
		fix = ""
	}
	d.checks = append(d.checks, doctorCheck{Name: name, OK: ok, Detail: detail, Fix: fix})
}

func cmdStakingDoctor(ctx context.Context, s *Session, args []string) (*Result, error) {
	filter, err := argAddresses("Address", args)
	if err != nil {
		return nil, err
	}
	d := &doctor{s: s, filter: filter, infos: map[types.Address]*api.AddressInfo{}}
	d.run(ctx)
	failed := 0
	for _, c := range d.checks {
		if !c.OK {
			failed++
		}
	}
	r := &Result{JSON: d.checks, Human: func(p *Printer) { d.print(p, failed) }}
	if failed > 0 {
		r.Code = ExitError
	}
	return r, nil
}

func (d *doctor) print(p *Printer, failed int) {
	for _, c := range d.checks {
		mark := "[ OK ]"
		if !c.OK {
			mark = "[FAIL]"
		}
		lines := strings.Split(c.Detail, "\n")
		p.Line("%s %s: %s", mark, c.Name, lines[0])
		for _, l := range lines[1:] {
			p.Line("       %s", l)
		}
		if c.Fix != "" {
			p.Line("       fix: %s", c.Fix)
		}
	}
	if failed == 0 {
		p.Line("All %d checks passed.", len(d.checks))
	} else {
		p.Line("%d of %d checks failed: run the fix of each, then staking_doctor again.", failed, len(d.checks))
	}
}

func (d *doctor) run(ctx context.Context) {
	s := d.s
	if err := s.call(ctx, public, "get_status", nil, &d.st); err != nil {
		d.add(checkNode, false, fmt.Sprintf("the node does not answer: %v", err),
			"start the node (massa-node), or point the client at it (--ip, --public-port, --private-port); then run massa-client staking_doctor again")
		return
	}
	s.checkChainID(d.st.ChainID)
	d.add(checkNode, true, fmt.Sprintf("version %s, chain id %d, node id %s", d.st.Version, d.st.ChainID, d.st.NodeID), "")
	d.checkSync()
	d.checkClock()
	d.checkPeers()
	if !d.loadWallet(ctx) {
		return
	}
	d.loadNodeKeys(ctx)
	d.checkActiveRolls()
	d.checkStakingKeys()
	d.checkPending()
	d.checkMissed(ctx)
	d.checkNextDraws()
}

// slotTime is the time of a slot (ms since the epoch).
func (d *doctor) slotTime(sl types.Slot) uint64 {
	c := d.st.Config
	t := c.GenesisTimestamp + sl.Period*c.T0
	if c.ThreadCount > 0 {
		t += uint64(sl.Thread) * (c.T0 / uint64(c.ThreadCount))
	}
	return t
}

// cycleTime is when a cycle starts: genesis + cycle * periods_per_cycle * t0.
func (d *doctor) cycleTime(cycle uint64) uint64 {
	c := d.st.Config
	return c.GenesisTimestamp + cycle*c.PeriodsPerCycle*c.T0
}

func (d *doctor) isSandbox() bool {
	return d.st.ChainID == sandboxChainID || strings.HasPrefix(d.st.Version, "SAND.")
}

func (d *doctor) checkSync() {
	st := &d.st
	if st.LastSlot == nil || st.CurrentTime < st.Config.GenesisTimestamp {
		d.add(checkSync, true, fmt.Sprintf("the chain starts at %s", millis(st.Config.GenesisTimestamp)), "")
		return
	}
	last, final := *st.LastSlot, st.ExecutionStats.FinalCursor
	limit := uint64(doctorSyncLagPeriods)
	if ppc := st.Config.PeriodsPerCycle; ppc > 0 {
		limit = min(limit, ppc)
	}
	lag := uint64(0)
	if last.Period > final.Period {
		lag = last.Period - final.Period
	}
	detail := fmt.Sprintf("current slot %s, final state at slot %s (%d periods behind)", slotText(last), slotText(final), lag)
	if lag <= limit {
		d.add(checkSync, true, detail, "")
		return
	}
	d.add(checkSync, false, detail+fmt.Sprintf("; more than %d periods behind, the node cannot know its draws and misses its slots", limit),
		"restart the node: massa-client node_stop, then start massa-node again; make sure the machine meets the hardware requirements and no other program hogs it")
}

func (d *doctor) checkClock() {
	node := int64(d.st.CurrentTime)
	here := d.s.clock().UnixMilli()
	skew := time.Duration(node-here) * time.Millisecond
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	abs := max(skew, -skew)
	detail := fmt.Sprintf("the node's clock is %s %s this machine's", abs.Round(time.Millisecond), dir)
	if abs < time.Millisecond {
		detail = "the node's clock agrees with this machine's"
	}
	if !d.isSandbox() {
		detail += "; peers' clocks: not measured (this node has no peer-to-peer network yet)"
	}
	if abs <= doctorClockTolerance {
		d.add(checkClock, true, detail, "")
		return
	}
	d.add(checkClock, false, detail+fmt.Sprintf(" (more than %s: blocks are produced at the wrong time and missed)", doctorClockTolerance),
		"synchronize the clocks with NTP on the node's machine (and this one): sudo timedatectl set-ntp true")
}

func (d *doctor) checkPeers() {
	ns := d.st.NetworkStats
	in, out := ns.InConnectionCount, ns.OutConnectionCount
	if in+out == 0 {
		out = uint64(len(d.st.ConnectedNodes))
	}
	if d.isSandbox() {
		d.add(checkPeers, true, "no peers (sandbox): a sandbox produces every block alone", "")
		return
	}
	detail := fmt.Sprintf("%d incoming, %d outgoing connections", in, out)
	if in+out > 0 {
		d.add(checkPeers, true, detail, "")
		return
	}
	d.add(checkPeers, false, detail+": the node cannot receive or broadcast blocks, so its blocks are lost",
		"let peers reach the node: open TCP port 31244 (e.g. sudo ufw allow 31244/tcp), check [network] routable_ip and [bootstrap] bootstrap_list in the node's config.toml, then restart massa-node")
}

// loadWallet opens the wallet and reads its addresses from the node.
func (d *doctor) loadWallet(ctx context.Context) bool {
	w, err := d.s.Wallet()
	if err != nil {
		d.add(checkWallet, false, fmt.Sprintf("cannot open the wallet %s: %v", d.s.opts.WalletDir, err),
			"give the wallet password: massa-client -p <password> staking_doctor (or set MASSA_CLIENT_PASSWORD)")
		return false
	}
	d.addrs = w.Addresses()
	if len(d.filter) > 0 {
		for _, a := range d.filter {
			if !slices.Contains(d.addrs, a) {
				d.add(checkWallet, false, fmt.Sprintf("%s is not in the wallet %s", d.s.display.Address(a), w.Dir()),
					fmt.Sprintf("massa-client wallet_add_secret_keys <secret key of %s>", a))
				return false
			}
		}
		d.addrs = d.filter
	}
	if len(d.addrs) == 0 {
		d.add(checkWallet, false, fmt.Sprintf("the wallet %s holds no address", w.Dir()),
			"massa-client wallet_generate_secret_key (then send it coins and buy rolls), or massa-client wallet_add_secret_keys <secret key>")
		return false
	}
	var list []api.AddressInfo
	if err := d.s.call(ctx, public, "get_addresses", []any{strs(d.addrs)}, &list); err != nil {
		d.add(checkWallet, false, fmt.Sprintf("%d address(es), but the node does not describe them: %v", len(d.addrs), err),
			"massa-client get_addresses "+strings.Join(strs(d.addrs), " ")+" (and check the node's log)")
		return false
	}
	for i := range list {
		d.infos[list[i].Address] = &list[i]
	}
	d.add(checkWallet, true, fmt.Sprintf("%d address(es) in %s", len(d.addrs), w.Dir()), "")
	return true
}

func (d *doctor) loadNodeKeys(ctx context.Context) {
	var keys []types.Address
	if err := d.s.call(ctx, private, "get_staking_addresses", nil, &keys); err != nil {
		d.nodeKeysErr = err
		return
	}
	d.nodeKeys = keys
}

// cycleInfo returns addr's entry of the current cycle, else the latest.
func (d *doctor) cycleInfo(a types.Address) (api.CycleInfo, bool) {
	info := d.infos[a]
	if info == nil || len(info.CycleInfos) == 0 {
		return api.CycleInfo{}, false
	}
	for _, c := range info.CycleInfos {
		if c.Cycle == d.st.CurrentCycle {
			return c, true
		}
	}
	return info.CycleInfos[len(info.CycleInfos)-1], true
}

func (d *doctor) active(a types.Address) uint64 {
	if ci, ok := d.cycleInfo(a); ok && ci.ActiveRolls != nil {
		return *ci.ActiveRolls
	}
	return 0
}

// activation says when rolls bought now count: cycle current+3.
func (d *doctor) activation() string {
	c := d.st.CurrentCycle + 3
	return fmt.Sprintf("cycle %d, at %s", c, millis(d.cycleTime(c)))
}

func (d *doctor) checkActiveRolls() {
	var lines, pending []string
	for _, a := range d.addrs {
		n := d.active(a)
		if n > 0 {
			d.staked = append(d.staked, a)
			lines = append(lines, fmt.Sprintf("%s: %d active rolls in cycle %d", d.s.display.Address(a), n, d.st.CurrentCycle))
		} else if info := d.infos[a]; info != nil && info.CandidateRollCount > 0 {
			pending = append(pending, fmt.Sprintf("%s: %d rolls, none active yet (active from %s)",
				d.s.display.Address(a), info.CandidateRollCount, d.activation()))
		}
	}
	if len(d.staked) > 0 {
		d.add(checkActiveRolls, true, strings.Join(append(lines, pending...), "\n"), "")
		return
	}
	if len(pending) > 0 {
		d.add(checkActiveRolls, false, "no address has active rolls yet, so none is drawn to produce blocks:\n"+strings.Join(pending, "\n"),
			fmt.Sprintf("nothing to run: wait until %s (rolls bought in cycle %d become active at cycle %d)",
				millis(d.cycleTime(d.st.CurrentCycle+3)), d.st.CurrentCycle, d.st.CurrentCycle+3))
		return
	}
	// Suggest a buy from the richest address.
	best := d.addrs[0]
	for _, a := range d.addrs {
		if ia, ib := d.infos[a], d.infos[best]; ia != nil && (ib == nil || ia.CandidateBalance > ib.CandidateBalance) {
			best = a
		}
	}
	fee := d.st.MinimalFees
	price := d.st.Config.RollPrice
	detail := fmt.Sprintf("no wallet address has active rolls in cycle %d: the node has nothing to stake with", d.st.CurrentCycle)
	if info := d.infos[best]; info != nil && info.CandidateBalance < price.SaturatingAdd(fee) {
		detail += fmt.Sprintf("; %s has %s and a roll costs %s plus the fee %s: send it coins first (massa-client send_transaction <from> %s <amount> %s)",
			d.s.display.Address(best), mas(info.CandidateBalance), mas(price), mas(fee), best, fee)
	}
	d.add(checkActiveRolls, false, detail+fmt.Sprintf("; rolls bought now become active at %s", d.activation()),
		fmt.Sprintf("massa-client buy_rolls %s 1 %s", best, fee))
}

func (d *doctor) checkStakingKeys() {
	// Addresses that have, or will have, rolls need their key on the node.
	var need []types.Address
	for _, a := range d.addrs {
		info := d.infos[a]
		if d.active(a) > 0 || (info != nil && info.CandidateRollCount > 0) {
			need = append(need, a)
		}
	}
	if d.nodeKeysErr != nil {
		d.add(checkStakingKeys, false, fmt.Sprintf("cannot read the node's staking addresses from its private API: %v", d.nodeKeysErr),
			"give the node's private API token: massa-client --node-home <node home> staking_doctor (or --token <token>)")
		return
	}
	var missing, ok []string
	for _, a := range need {
		if slices.Contains(d.nodeKeys, a) {
			ok = append(ok, d.s.display.Address(a))
		} else {
			missing = append(missing, a.String())
		}
	}
	var extra []string
	for _, a := range d.nodeKeys {
		if !slices.Contains(d.addrs, a) {
			extra = append(extra, d.s.display.Address(a))
		}
	}
	note := ""
	if len(extra) > 0 {
		note = fmt.Sprintf("\nthe node also stakes with %s (not in this wallet)", strings.Join(extra, ", "))
	}
	if len(need) == 0 {
		d.add(checkStakingKeys, true, fmt.Sprintf("no wallet address has rolls; the node stakes with %d address(es)", len(d.nodeKeys))+note, "")
		return
	}
	if len(missing) == 0 {
		d.add(checkStakingKeys, true, "the node stakes with "+strings.Join(ok, ", ")+note, "")
		return
	}
	lines := make([]string, len(missing))
	for i, a := range missing {
		addr, _ := types.ParseAddress(a)
		rolls := fmt.Sprintf("%d active rolls", d.active(addr))
		if d.active(addr) == 0 {
			rolls = fmt.Sprintf("rolls that become active at %s", d.activation())
		}
		lines[i] = fmt.Sprintf("%s: key not registered: it has %s but the node does not hold its key, so it will miss every block it is drawn for; after a cycle with more than %d%% missed, all its rolls are sold",
			d.s.display.Address(addr), rolls, 100*missRateNum/missRateDen)
	}
	d.add(checkStakingKeys, false, strings.Join(lines, "\n")+note,
		fmt.Sprintf("massa-client node_start_staking %s (or: massa-client node_add_staking_secret_keys <secret key of each address>)", strings.Join(missing, " ")))
}

func (d *doctor) checkPending() {
	var lines []string
	for _, a := range d.addrs {
		info := d.infos[a]
		if info == nil {
			continue
		}
		act, cand := d.active(a), info.CandidateRollCount
		switch {
		case cand > act:
			lines = append(lines, fmt.Sprintf("%s: %d more rolls (%d candidate, %d active) become active at %s",
				d.s.display.Address(a), cand-act, cand, act, d.activation()))
		case cand < act:
			lines = append(lines, fmt.Sprintf("%s: %d rolls sold (%d candidate, %d active): they stop counting at %s; their coins come back as deferred credits",
				d.s.display.Address(a), act-cand, cand, act, d.activation()))
		}
		for _, c := range info.DeferredCredits {
			lines = append(lines, fmt.Sprintf("%s: %s deferred credit paid at slot %s (%s)",
				d.s.display.Address(a), mas(c.Amount), slotText(c.Slot), millis(d.slotTime(c.Slot))))
		}
	}
	if len(lines) == 0 {
		d.add(checkPending, true, "no roll waiting to become active or being sold", "")
		return
	}
	d.add(checkPending, true, strings.Join(lines, "\n"), "")
}

// missFix is the fix for a miss reason reported by the node.
func missFix(reason string, addr types.Address) string {
	switch reason {
	case "key not registered":
		return "massa-client node_start_staking " + addr.String()
	case "not synchronized":
		return "restart the node: massa-client node_stop, then start massa-node again; check that the machine meets the hardware requirements"
	case "clock skew":
		return "synchronize the node machine's clock with NTP: sudo timedatectl set-ntp true"
	case "no peers":
		return "let peers reach the node: open TCP port 31244 (e.g. sudo ufw allow 31244/tcp) and restart massa-node"
	case "block produced but went stale":
		return "check the node's connectivity and load (its log shows \"block went stale\"); a node that is often late loses its blocks"
	}
	return "read the node's log for \"staking: block slot missed\" to see why"
}

func (d *doctor) checkMissed(ctx context.Context) {
	var warnings []api.StakingWarning
	warnErr := d.s.call(ctx, private, "get_staking_warnings", nil, &warnings)
	latest := map[types.Address]api.StakingWarning{}
	for _, w := range warnings {
		if w.Cycle == d.st.CurrentCycle {
			latest[w.Address] = w
		}
	}
	var lines, fixes []string
	failed := false
	for _, a := range d.addrs {
		info := d.infos[a]
		if info == nil {
			continue
		}
		ci, ok := d.cycleInfo(a)
		w, warned := latest[a]
		if (!ok || ci.OKCount+ci.NOKCount == 0) && !warned {
			if d.active(a) > 0 {
				lines = append(lines, fmt.Sprintf("%s: no block slot settled yet in cycle %d", d.s.display.Address(a), d.st.CurrentCycle))
			}
			continue
		}
		okN, nok := ci.OKCount, ci.NOKCount
		if warned && w.NOKCount > nok {
			// The node counts misses of slots not final yet too.
			okN, nok = w.OKCount, w.NOKCount
		}
		line := fmt.Sprintf("%s: cycle %d: %d blocks produced, %d missed", d.s.display.Address(a), d.st.CurrentCycle, okN, nok)
		if warned {
			switch {
			case w.MissBudget < 0:
				line += fmt.Sprintf("; more than %d%% of its %d slots missed: all its rolls will be sold at the end of the cycle", 100*missRateNum/missRateDen, w.CycleDraws)
			default:
				line += fmt.Sprintf("; %d more misses allowed this cycle (of %d slots drawn) before all its rolls are sold", w.MissBudget, w.CycleDraws)
			}
			line += fmt.Sprintf("\n  last miss: slot %s: %s (%s)", slotText(w.Slot), w.Reason, w.Detail)
		} else if nok*missRateDen > missRateNum*(okN+nok) {
			line += fmt.Sprintf("; more than %d%% missed so far", 100*missRateNum/missRateDen)
		}
		lines = append(lines, line)
		if nok > 0 || warned {
			failed = true
			reason := ""
			if warned {
				reason = w.Reason
			}
			if f := missFix(reason, a); !slices.Contains(fixes, f) {
				fixes = append(fixes, f)
			}
		}
	}
	// Why rolls were sold: the previous, settled cycle.
	if prev := d.st.CurrentCycle; prev > 0 {
		for _, a := range d.addrs {
			info := d.infos[a]
			if info == nil {
				continue
			}
			for _, c := range info.CycleInfos {
				if c.Cycle != prev-1 || !c.IsFinal || c.NOKCount*missRateDen <= missRateNum*(c.OKCount+c.NOKCount) {
					continue
				}
				failed = true
				lines = append(lines, fmt.Sprintf("%s: cycle %d: %d of %d block slots missed, more than %d%%: all its rolls were sold at the end of that cycle (implicit roll sell); the coins come back as a deferred credit",
					d.s.display.Address(a), c.Cycle, c.NOKCount, c.OKCount+c.NOKCount, 100*missRateNum/missRateDen))
				if f := fmt.Sprintf("fix the cause, then buy rolls again: massa-client buy_rolls %s <RollCount> %s", a, d.st.MinimalFees); !slices.Contains(fixes, f) {
					fixes = append(fixes, f)
				}
			}
		}
	}
	if warnErr != nil && !errors.Is(warnErr, api.ErrUnauthorized) {
		lines = append(lines, "the node gives no staking warnings (get_staking_warnings): miss reasons unknown")
	}
	if len(lines) == 0 {
		lines = append(lines, "no block slot of the wallet's addresses this cycle")
	}
	d.add(checkMissed, !failed, strings.Join(lines, "\n"), strings.Join(fixes, "; "))
}

func (d *doctor) checkNextDraws() {
	var lines []string
	for _, a := range d.staked {
		info := d.infos[a]
		if info == nil {
			continue
		}
		draws := slices.Clone(info.NextBlockDraws)
		sort.Slice(draws, func(i, j int) bool { return draws[i].Less(draws[j]) })
		if len(draws) == 0 {
			lines = append(lines, fmt.Sprintf("%s: no block draw in the next periods the node looks ahead (normal with few rolls)", d.s.display.Address(a)))
			continue
		}
		parts := make([]string, 0, doctorDrawsShown)
		for _, sl := range draws[:min(len(draws), doctorDrawsShown)] {
			parts = append(parts, fmt.Sprintf("%s at %s", slotText(sl), millis(d.slotTime(sl))))
		}
		more := ""
		if len(draws) > doctorDrawsShown {
			more = fmt.Sprintf(" (+%d more)", len(draws)-doctorDrawsShown)
		}
		lines = append(lines, fmt.Sprintf("%s: next blocks %s%s", d.s.display.Address(a), strings.Join(parts, ", "), more))
	}
	if len(lines) == 0 {
		lines = append(lines, "no wallet address has active rolls, so none is drawn")
	}
	d.add(checkNextDraws, true, strings.Join(lines, "\n"), "")
}
