package client

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/types"
)

// query calls method and keeps the node's JSON as the --json result, so
// scripts see exactly what the node answered; people see v decoded.
func query[T any](ctx context.Context, s *Session, sd side, method string, params []any, human func(p *Printer, v T)) (*Result, error) {
	var raw json.RawMessage
	if err := s.call(ctx, sd, method, params, &raw); err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: unexpected result shape: %w", method, err)
	}
	return &Result{JSON: raw, Human: func(p *Printer) { human(p, v) }}, nil
}

func cmdGetStatus(ctx context.Context, s *Session, _ []string) (*Result, error) {
	r, err := query(ctx, s, public, "get_status", nil, printStatus)
	if err != nil {
		return nil, err
	}
	var st api.NodeStatus
	if json.Unmarshal(r.JSON.(json.RawMessage), &st) == nil {
		s.checkChainID(st.ChainID)
	}
	return r, nil
}

func printStatus(p *Printer, st api.NodeStatus) {
	d := p.D
	ip := "unknown"
	if st.NodeIP != nil {
		ip = *st.NodeIP
	}
	last := "none yet"
	if st.LastSlot != nil {
		last = slotText(*st.LastSlot)
	}
	p.Line("Node")
	p.KVs(2,
		KV{"Node id", d.Text(types.KindNodeID, st.NodeID)},
		KV{"Node IP", ip},
		KV{"Version", st.Version},
		KV{"Chain id", strconv.FormatUint(st.ChainID, 10)},
		KV{"MIP version", strconv.FormatUint(uint64(st.CurrentMIPVersion), 10)},
		KV{"Minimal fees", mas(st.MinimalFees)},
	)
	p.Line("Time")
	p.KVs(2,
		KV{"Current time", millis(st.CurrentTime)},
		KV{"Current cycle", fmt.Sprintf("%d (started %s, next at %s)", st.CurrentCycle, millis(st.CurrentCycleTime), millis(st.NextCycleTime))},
		KV{"Last slot", last},
		KV{"Next slot", slotText(st.NextSlot)},
	)
	cs := st.ConsensusStats
	p.Line("Consensus (%s to %s)", millis(cs.StartTimespan), millis(cs.EndTimespan))
	p.KVs(2,
		KV{"Final blocks", strconv.FormatUint(cs.FinalBlockCount, 10)},
		KV{"Stale blocks", strconv.FormatUint(cs.StaleBlockCount, 10)},
		KV{"Cliques", strconv.FormatUint(cs.CliqueCount, 10)},
	)
	es := st.ExecutionStats
	p.Line("Execution")
	p.KVs(2,
		KV{"Final blocks", strconv.FormatUint(es.FinalBlockCount, 10)},
		KV{"Final executed operations", strconv.FormatUint(es.FinalExecutedOperationsCount, 10)},
		KV{"Active cursor", slotText(es.ActiveCursor)},
		KV{"Final cursor", slotText(es.FinalCursor)},
	)
	p.Line("Pool")
	p.KVs(2,
		KV{"Operations", strconv.FormatUint(st.PoolStats[0], 10)},
		KV{"Endorsements", strconv.FormatUint(st.PoolStats[1], 10)},
	)
	ns := st.NetworkStats
	p.Line("Network")
	p.KVs(2,
		KV{"Connections", fmt.Sprintf("%d in, %d out", ns.InConnectionCount, ns.OutConnectionCount)},
		KV{"Known peers", strconv.FormatUint(ns.KnownPeerCount, 10)},
		KV{"Banned peers", strconv.FormatUint(ns.BannedPeerCount, 10)},
		KV{"Active nodes", strconv.FormatUint(ns.ActiveNodeCount, 10)},
	)
	ids := make([]string, 0, len(st.ConnectedNodes))
	for id := range st.ConnectedNodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	peers := make([]string, len(ids))
	for i, id := range ids {
		v := st.ConnectedNodes[id]
		dir := "in"
		if out, _ := v[1].(bool); out {
			dir = "out"
		}
		peers[i] = fmt.Sprintf("%s  %v (%s)", d.Text(types.KindNodeID, id), v[0], dir)
	}
	p.List(0, "Connected nodes", peers)
	c := st.Config
	end := "none"
	if c.EndTimestamp != nil {
		end = millis(*c.EndTimestamp)
	}
	p.Line("Configuration")
	p.KVs(2,
		KV{"Genesis", millis(c.GenesisTimestamp)},
		KV{"End", end},
		KV{"Threads", strconv.Itoa(int(c.ThreadCount))},
		KV{"t0", duration(c.T0)},
		KV{"Periods per cycle", strconv.FormatUint(c.PeriodsPerCycle, 10)},
		KV{"Finality threshold (delta_f0)", strconv.FormatUint(c.DeltaF0, 10)},
		KV{"Operation validity periods", strconv.FormatUint(c.OperationValidityPeriods, 10)},
		KV{"Block reward", mas(c.BlockReward)},
		KV{"Roll price", mas(c.RollPrice)},
		KV{"Max block size", fmt.Sprintf("%d bytes", c.MaxBlockSize)},
	)
}

func cmdGetAddresses(ctx context.Context, s *Session, args []string) (*Result, error) {
	addrs, err := argAddresses("Address", args)
	if err != nil {
		return nil, err
	}
	return query(ctx, s, public, "get_addresses", []any{strs(addrs)}, func(p *Printer, infos []api.AddressInfo) {
		for i := range infos {
			if i > 0 {
				p.Line("")
			}
			printAddressInfo(p, &infos[i], true)
		}
	})
}

// activeRolls is the active roll count of the latest cycle known, as Massa's
// compact address view takes it.
func activeRolls(a *api.AddressInfo) uint64 {
	if n := len(a.CycleInfos); n > 0 && a.CycleInfos[n-1].ActiveRolls != nil {
		return *a.CycleInfos[n-1].ActiveRolls
	}
	return 0
}

func deferredText(credits []api.DeferredCredit) string {
	if len(credits) == 0 {
		return "none"
	}
	lines := make([]string, len(credits))
	for i, c := range credits {
		lines[i] = fmt.Sprintf("%s unlocked at slot %s", mas(c.Amount), slotText(c.Slot))
	}
	return strings.Join(lines, "\n")
}

func slotsText(slots []types.Slot) string {
	if len(slots) == 0 {
		return "none"
	}
	parts := make([]string, len(slots))
	for i, s := range slots {
		parts[i] = slotText(s)
	}
	return strings.Join(parts, ", ")
}

// printAddressInfo prints one address; full adds draws, cycles and counts.
func printAddressInfo(p *Printer, a *api.AddressInfo, full bool) {
	p.Line("Address %s (thread %d)", p.D.Address(a.Address), a.Thread)
	kvs := []KV{
		{"Balance", fmt.Sprintf("final %s, candidate %s", mas(a.FinalBalance), mas(a.CandidateBalance))},
		{"Rolls", fmt.Sprintf("active %d, final %d, candidate %d", activeRolls(a), a.FinalRollCount, a.CandidateRollCount)},
		{"Deferred credits", deferredText(a.DeferredCredits)},
	}
	if full {
		cycles := make([]string, len(a.CycleInfos))
		for i, c := range a.CycleInfos {
			state := "candidate"
			if c.IsFinal {
				state = "final"
			}
			rolls := ""
			if c.ActiveRolls != nil {
				rolls = fmt.Sprintf(", %d active rolls", *c.ActiveRolls)
			}
			cycles[i] = fmt.Sprintf("cycle %d (%s): %d blocks produced, %d missed%s", c.Cycle, state, c.OKCount, c.NOKCount, rolls)
		}
		cyc := "none"
		if len(cycles) > 0 {
			cyc = strings.Join(cycles, "\n")
		}
		ends := make([]string, len(a.NextEndorsementDraws))
		for i, e := range a.NextEndorsementDraws {
			ends[i] = fmt.Sprintf("%s #%d", slotText(e.Slot), e.Index)
		}
		endText := "none"
		if len(ends) > 0 {
			endText = strings.Join(ends, ", ")
		}
		kvs = append(kvs,
			KV{"Cycles", cyc},
			KV{"Next block draws", slotsText(a.NextBlockDraws)},
			KV{"Next endorsement draws", endText},
			KV{"Datastore keys", fmt.Sprintf("final %d, candidate %d", len(a.FinalDatastoreKeys), len(a.CandidateDatastoreKeys))},
			KV{"Created", fmt.Sprintf("%d blocks, %d operations, %d endorsements", len(a.CreatedBlocks), len(a.CreatedOperations), len(a.CreatedEndorsements))},
		)
	}
	p.KVs(2, kvs...)
}

// blockView is the part of a BlockInfo people look at.
type blockView struct {
	ID      string `json:"id"`
	Content *struct {
		IsFinal         bool `json:"is_final"`
		IsInBlockclique bool `json:"is_in_blockclique"`
		IsCandidate     bool `json:"is_candidate"`
		IsDiscarded     bool `json:"is_discarded"`
		Block           *struct {
			Header struct {
				Content struct {
					CurrentVersion   uint32            `json:"current_version"`
					AnnouncedVersion *uint32           `json:"announced_version"`
					Slot             types.Slot        `json:"slot"`
					Parents          []string          `json:"parents"`
					Endorsements     []json.RawMessage `json:"endorsements"`
					Denunciations    []json.RawMessage `json:"denunciations"`
				} `json:"content"`
				CreatorAddress   string `json:"content_creator_address"`
				CreatorPublicKey string `json:"content_creator_pub_key"`
			} `json:"header"`
			Operations []string `json:"operations"`
		} `json:"block"`
	} `json:"content"`
}

func ids(d types.Display, k types.DisplayKind, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = d.Text(k, s)
	}
	return out
}

func idsText(d types.Display, k types.DisplayKind, list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(ids(d, k, list), "\n")
}

func cmdGetBlocks(ctx context.Context, s *Session, args []string) (*Result, error) {
	list := make([]string, len(args))
	for i, a := range args {
		id, err := types.ParseBlockIDDisplay(a)
		if err != nil {
			return nil, badArg(nth("BlockId", i, len(args)), err)
		}
		list[i] = id.String()
	}
	return query(ctx, s, public, "get_blocks", []any{list}, func(p *Printer, blocks []blockView) {
		if len(blocks) == 0 {
			p.Line("No such block known to the node.")
		}
		for i, b := range blocks {
			if i > 0 {
				p.Line("")
			}
			printBlock(p, &b)
		}
	})
}

func printBlock(p *Printer, b *blockView) {
	d := p.D
	p.Line("Block %s", d.Text(types.KindBlockID, b.ID))
	if b.Content == nil {
		p.Line("  (no content)")
		return
	}
	c := b.Content
	var status []string
	for _, f := range []struct {
		on   bool
		name string
	}{{c.IsFinal, "final"}, {c.IsInBlockclique, "in blockclique"}, {c.IsCandidate, "candidate"}, {c.IsDiscarded, "discarded"}} {
		if f.on {
			status = append(status, f.name)
		}
	}
	kvs := []KV{{"Status", strings.Join(status, ", ")}}
	if blk := c.Block; blk != nil {
		h := blk.Header
		announced := "none"
		if h.Content.AnnouncedVersion != nil {
			announced = strconv.FormatUint(uint64(*h.Content.AnnouncedVersion), 10)
		}
		kvs = append(kvs,
			KV{"Slot", slotText(h.Content.Slot)},
			KV{"Creator", fmt.Sprintf("%s (%s)", d.Text(types.KindAddress, h.CreatorAddress), d.Text(types.KindPublicKey, h.CreatorPublicKey))},
			KV{"Version", fmt.Sprintf("current %d, announced %s", h.Content.CurrentVersion, announced)},
			KV{"Parents", idsText(d, types.KindBlockID, h.Content.Parents)},
			KV{"Endorsements", strconv.Itoa(len(h.Content.Endorsements))},
			KV{"Denunciations", strconv.Itoa(len(h.Content.Denunciations))},
			KV{"Operations", fmt.Sprintf("%d", len(blk.Operations))},
		)
		if len(blk.Operations) > 0 {
			kvs = append(kvs, KV{"Operation ids", idsText(d, types.KindOperationID, blk.Operations)})
		}
	}
	p.KVs(2, kvs...)
}

// operationView is an OperationInfo as people read it; the operation type
// stays raw and is rendered per variant.
type operationView struct {
	ID               string   `json:"id"`
	InPool           bool     `json:"in_pool"`
	InBlocks         []string `json:"in_blocks"`
	IsOperationFinal *bool    `json:"is_operation_final"`
	Thread           uint8    `json:"thread"`
	Operation        struct {
		Content struct {
			Fee          types.Amount               `json:"fee"`
			ExpirePeriod uint64                     `json:"expire_period"`
			Op           map[string]json.RawMessage `json:"op"`
		} `json:"content"`
		CreatorAddress   string `json:"content_creator_address"`
		CreatorPublicKey string `json:"content_creator_pub_key"`
	} `json:"operation"`
	OpExecStatus *bool `json:"op_exec_status"`
}

func cmdGetOperations(ctx context.Context, s *Session, args []string) (*Result, error) {
	list := make([]string, len(args))
	for i, a := range args {
		id, err := types.ParseOperationIDDisplay(a)
		if err != nil {
			return nil, badArg(nth("OperationId", i, len(args)), err)
		}
		list[i] = id.String()
	}
	return query(ctx, s, public, "get_operations", []any{list}, func(p *Printer, ops []operationView) {
		if len(ops) == 0 {
			p.Line("No such operation known to the node.")
		}
		for i, o := range ops {
			if i > 0 {
				p.Line("")
			}
			printOperation(p, &o)
		}
	})
}

func printOperation(p *Printer, o *operationView) {
	d := p.D
	c := o.Operation.Content
	p.Line("Operation %s", d.Text(types.KindOperationID, o.ID))
	kvs := []KV{
		{"In pool", yesNo(o.InPool)},
		{"In blocks", idsText(d, types.KindBlockID, o.InBlocks)},
		{"Final", optBool(o.IsOperationFinal, "yes", "no", "unknown")},
		{"Execution", optBool(o.OpExecStatus, "succeeded", "failed", "not executed yet")},
		{"Thread", strconv.Itoa(int(o.Thread))},
		{"Creator", fmt.Sprintf("%s (%s)", d.Text(types.KindAddress, o.Operation.CreatorAddress), d.Text(types.KindPublicKey, o.Operation.CreatorPublicKey))},
		{"Fee", mas(c.Fee)},
		{"Expire period", strconv.FormatUint(c.ExpirePeriod, 10)},
	}
	p.KVs(2, append(kvs, opTypeKVs(d, c.Op)...)...)
}

// opTypeKVs renders the externally tagged operation type of spec §6.5.
func opTypeKVs(d types.Display, op map[string]json.RawMessage) []KV {
	for name, raw := range op {
		var f struct {
			RecipientAddress string          `json:"recipient_address"`
			Amount           types.Amount    `json:"amount"`
			RollCount        uint64          `json:"roll_count"`
			Data             api.Bytes       `json:"data"`
			MaxGas           uint64          `json:"max_gas"`
			MaxCoins         types.Amount    `json:"max_coins"`
			Datastore        json.RawMessage `json:"datastore"`
			TargetAddr       string          `json:"target_addr"`
			TargetFunc       string          `json:"target_func"`
			Param            api.Bytes       `json:"param"`
			Coins            types.Amount    `json:"coins"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return []KV{{"Type", name}, {"Details", string(raw)}}
		}
		switch name {
		case "Transaction":
			return []KV{{"Type", "transaction"}, {"Recipient", d.Text(types.KindAddress, f.RecipientAddress)}, {"Amount", mas(f.Amount)}}
		case "RollBuy":
			return []KV{{"Type", "roll buy"}, {"Rolls", strconv.FormatUint(f.RollCount, 10)}}
		case "RollSell":
			return []KV{{"Type", "roll sell"}, {"Rolls", strconv.FormatUint(f.RollCount, 10)}}
		case "ExecuteSC":
			var ds [][2]api.Bytes
			_ = json.Unmarshal(f.Datastore, &ds)
			return []KV{{"Type", "execute smart contract"}, {"Bytecode", fmt.Sprintf("%d bytes", len(f.Data))},
				{"Max gas", strconv.FormatUint(f.MaxGas, 10)}, {"Max coins", mas(f.MaxCoins)}, {"Datastore", fmt.Sprintf("%d entries", len(ds))}}
		case "CallSC":
			return []KV{{"Type", "call smart contract"}, {"Target", d.Text(types.KindAddress, f.TargetAddr)}, {"Function", f.TargetFunc},
				{"Parameter", bytesText(f.Param)}, {"Max gas", strconv.FormatUint(f.MaxGas, 10)}, {"Coins", mas(f.Coins)}}
		}
		return []KV{{"Type", name}, {"Details", string(raw)}}
	}
	return []KV{{"Type", "unknown"}}
}

// endorsementView is an EndorsementInfo as people read it.
type endorsementView struct {
	ID          string   `json:"id"`
	InPool      bool     `json:"in_pool"`
	InBlocks    []string `json:"in_blocks"`
	IsFinal     bool     `json:"is_final"`
	Endorsement struct {
		Content struct {
			Slot          types.Slot `json:"slot"`
			Index         uint32     `json:"index"`
			EndorsedBlock string     `json:"endorsed_block"`
		} `json:"content"`
		CreatorAddress string `json:"content_creator_address"`
	} `json:"endorsement"`
}

func cmdGetEndorsements(ctx context.Context, s *Session, args []string) (*Result, error) {
	list := make([]string, len(args))
	for i, a := range args {
		id, err := types.ParseEndorsementIDDisplay(a)
		if err != nil {
			return nil, badArg(nth("EndorsementId", i, len(args)), err)
		}
		list[i] = id.String()
	}
	return query(ctx, s, public, "get_endorsements", []any{list}, func(p *Printer, es []endorsementView) {
		if len(es) == 0 {
			p.Line("No such endorsement known to the node.")
		}
		d := p.D
		for i, e := range es {
			if i > 0 {
				p.Line("")
			}
			c := e.Endorsement.Content
			p.Line("Endorsement %s", d.Text(types.KindEndorsementID, e.ID))
			p.KVs(2,
				KV{"Slot", slotText(c.Slot)},
				KV{"Index", strconv.FormatUint(uint64(c.Index), 10)},
				KV{"Endorsed block", d.Text(types.KindBlockID, c.EndorsedBlock)},
				KV{"Creator", d.Text(types.KindAddress, e.Endorsement.CreatorAddress)},
				KV{"In pool", yesNo(e.InPool)},
				KV{"In blocks", idsText(d, types.KindBlockID, e.InBlocks)},
				KV{"Final", yesNo(e.IsFinal)},
			)
		}
	})
}

func cmdGetDatastoreEntry(ctx context.Context, s *Session, args []string) (*Result, error) {
	addr, err := argAddress("Address", args[0])
	if err != nil {
		return nil, err
	}
	in := []api.DatastoreEntryInput{{Address: addr, Key: api.Bytes(args[1])}}
	return query(ctx, s, public, "get_datastore_entries", []any{in}, func(p *Printer, out []api.DatastoreEntryOutput) {
		value := func(b *api.Bytes) string {
			if b == nil {
				return "absent"
			}
			return bytesText(*b)
		}
		for _, e := range out {
			p.KVs(0, KV{"Final value", value(e.FinalValue)}, KV{"Candidate value", value(e.CandidateValue)})
		}
	})
}

// eventFilterKeys are the key=value filters of get_filtered_sc_output_event.
var eventFilterKeys = []string{"start", "end", "emitter_address", "caller_address", "operation_id", "is_final", "is_error"}

func parseEventFilter(args []string) (api.EventFilter, error) {
	var f api.EventFilter
	seen := make(map[string]bool)
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || v == "" {
			return f, fmt.Errorf("%w: %q: want key=value with key one of %s", ErrBadArgument, a, strings.Join(eventFilterKeys, ", "))
		}
		if seen[k] {
			return f, fmt.Errorf("%w: %s given twice", ErrBadArgument, k)
		}
		seen[k] = true
		switch k {
		case "start", "end":
			sl, err := types.ParseSlot(v)
			if err != nil {
				return f, badArg(k, err)
			}
			if k == "start" {
				f.Start = &sl
			} else {
				f.End = &sl
			}
		case "emitter_address", "caller_address":
			addr, err := argAddress(k, v)
			if err != nil {
				return f, err
			}
			t := addr.String()
			if k == "emitter_address" {
				f.EmitterAddress = &t
			} else {
				f.OriginalCallerAddress = &t
			}
		case "operation_id":
			id, err := types.ParseOperationIDDisplay(v)
			if err != nil {
				return f, badArg(k, err)
			}
			t := id.String()
			f.OriginalOperationID = &t
		case "is_final", "is_error":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, badArg(k, fmt.Errorf("%q is not true or false", v))
			}
			if k == "is_final" {
				f.IsFinal = &b
			} else {
				f.IsError = &b
			}
		default:
			return f, fmt.Errorf("%w: unknown filter %q; the filters are %s", ErrBadArgument, k, strings.Join(eventFilterKeys, ", "))
		}
	}
	return f, nil
}

func cmdGetEvents(ctx context.Context, s *Session, args []string) (*Result, error) {
	f, err := parseEventFilter(args)
	if err != nil {
		return nil, err
	}
	return query(ctx, s, public, "get_filtered_sc_output_event", []any{f}, func(p *Printer, evs []api.SCOutputEvent) {
		if len(evs) == 0 {
			p.Line("No event matches.")
		}
		printEvents(p, 0, evs)
	})
}

func printEvents(p *Printer, indent int, evs []api.SCOutputEvent) {
	d := p.D
	pad := strings.Repeat(" ", indent)
	for _, e := range evs {
		c := e.Context
		var tags []string
		if c.IsFinal {
			tags = append(tags, "final")
		} else {
			tags = append(tags, "candidate")
		}
		if c.IsError {
			tags = append(tags, "error")
		}
		if c.ReadOnly {
			tags = append(tags, "read-only")
		}
		where := ""
		if c.OriginOperationID != nil {
			where = " operation " + d.OperationID(*c.OriginOperationID)
		}
		if c.Block != nil {
			where += " block " + d.BlockID(*c.Block)
		}
		stack := make([]string, len(c.CallStack))
		for i, a := range c.CallStack {
			stack[i] = d.Address(a)
		}
		p.Line("%sEvent at slot %s #%d (%s)%s", pad, slotText(c.Slot), c.IndexInSlot, strings.Join(tags, ", "), where)
		if len(stack) > 0 {
			p.Line("%s  call stack: %s", pad, strings.Join(stack, " -> "))
		}
		p.Line("%s  %s", pad, e.Data)
	}
}

// staker is one [address, rolls] pair of get_stakers.
type staker struct {
	Address string
	Rolls   uint64
}

func (st *staker) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("staker: want [address, rolls]")
	}
	if err := json.Unmarshal(pair[0], &st.Address); err != nil {
		return fmt.Errorf("staker address: %w", err)
	}
	return json.Unmarshal(pair[1], &st.Rolls)
}

func cmdGetStakers(ctx context.Context, s *Session, args []string) (*Result, error) {
	var params []any
	if len(args) > 0 {
		page := api.PageRequest{Limit: 0}
		var err error
		if page.Limit, err = argU64("Limit", args[0]); err != nil {
			return nil, err
		}
		if len(args) > 1 {
			if page.Offset, err = argU64("Offset", args[1]); err != nil {
				return nil, err
			}
		}
		params = []any{page}
	}
	return query(ctx, s, public, "get_stakers", params, func(p *Printer, sts []staker) {
		if len(sts) == 0 {
			p.Line("No stakers.")
			return
		}
		kvs := make([]KV, len(sts))
		for i, st := range sts {
			kvs[i] = KV{p.D.Text(types.KindAddress, st.Address), fmt.Sprintf("%d rolls", st.Rolls)}
		}
		p.KVs(0, kvs...)
	})
}

func cmdGetCliques(ctx context.Context, s *Session, _ []string) (*Result, error) {
	return query(ctx, s, public, "get_cliques", nil, func(p *Printer, cliques []api.Clique) {
		if len(cliques) == 0 {
			p.Line("No clique.")
		}
		for i, c := range cliques {
			kind := ""
			if c.IsBlockclique {
				kind = ", the blockclique"
			}
			p.Line("Clique %d (fitness %d, %d blocks%s)", i, c.Fitness, len(c.BlockIDs), kind)
			for _, id := range c.BlockIDs {
				p.Line("  %s", p.D.BlockID(id))
			}
		}
	})
}
