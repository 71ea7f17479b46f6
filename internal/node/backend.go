package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/execution"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/pool"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// publicBackend and privateBackend expose the node to the API servers.
type publicBackend struct{ n *Node }
type privateBackend struct{ n *Node }

func (n *Node) startAPI() error {
	limits := api.DefaultLimits()
	if v := n.cfg.API.MaxRequestBodySize; v > 0 {
		limits.MaxBodyBytes = int64(v)
	}
	limits.MaxBatch = int(n.cfg.API.BatchRequestLimit)
	if v := n.cfg.API.MaxArguments; v > 0 {
		limits.MaxArguments = int(v)
	}
	if v := n.cfg.API.MaxAddressesDatastoreKeysQuery; v > 0 {
		limits.MaxDatastoreKeysRequests = int(v)
	}
	// config.Validate already refused a non-loopback private bind without
	// TLS, and checked that the certificate pair loads.
	privateTLS, err := n.cfg.PrivateTLSConfig()
	if err != nil {
		return err
	}
	reg := api.NewRegistry()
	api.RegisterPublic(reg, publicBackend{n})
	api.RegisterPrivate(reg, privateBackend{n})
	api.RegisterV2(reg, v2Backend{n})
	pub := api.NewServer(api.Public, reg, limits, n.log, "")
	pub.SetCORS(n.cfg.API.EnableCORS)
	if n.apiPublic, err = api.Listen(n.cfg.API.BindPublic, "[api] bind_public", pub, n.log); err != nil {
		return err
	}
	priv := api.NewServer(api.Private, reg, limits, n.log, n.token)
	if n.apiPrivate, err = api.ListenTLS(n.cfg.API.BindPrivate, "[api] bind_private", priv, privateTLS, n.log); err != nil {
		return err
	}
	if n.cfg.API.BindAPI != "" {
		v2 := api.NewServer(api.V2, reg, limits, n.log, "")
		v2.SetCORS(n.cfg.API.EnableCORS)
		if n.apiV2, err = api.Listen(n.cfg.API.BindAPI, "[api] bind_api", v2, n.log); err != nil {
			return err
		}
	}
	if n.cfg.Metrics.Enabled && n.cfg.Metrics.Bind != "" {
		m := newNodeMetrics()
		n.metrics = m
		if n.metricsServer, err = startMetrics(n.cfg.Metrics.Bind, m.reg); err != nil {
			return fmt.Errorf("cannot listen on %s ([metrics] bind): %w", n.cfg.Metrics.Bind, err)
		}
	}
	return nil
}

// PublicAddr is the bound public API address (tests use port 0).
func (n *Node) PublicAddr() string { return n.apiPublic.Addr().String() }

// PrivateAddr is the bound private API address.
func (n *Node) PrivateAddr() string { return n.apiPrivate.Addr().String() }

// Token is the private API token.
func (n *Node) Token() string { return n.token }

func (b publicBackend) ChainID() uint64 { return b.n.params.ChainID }

func (b publicBackend) Status(ctx context.Context) (api.NodeStatus, error) {
	n := b.n
	now := n.clk.NowMS()
	p := n.params
	st := api.NodeStatus{
		NodeID:            n.nodeKey.Public().NodeID(),
		NodeIP:            nodeIP(n.cfg.Network.RoutableIP),
		Version:           n.version,
		CurrentTime:       now,
		ConnectedNodes:    map[string][2]any{},
		ChainID:           p.ChainID,
		MinimalFees:       n.cfg.Pool.MinimalFees.Amount,
		CurrentMIPVersion: mipVersion,
		Config: api.CompactConfig{
			GenesisTimestamp: p.GenesisTimestamp, EndTimestamp: p.EndTimestamp, ThreadCount: p.ThreadCount,
			T0: p.T0, DeltaF0: p.DeltaF0, OperationValidityPeriods: p.OperationValidityPeriods,
			PeriodsPerCycle: p.PeriodsPerCycle, BlockReward: p.BlockReward, RollPrice: p.RollPrice,
			MaxBlockSize: p.MaxBlockSize,
		},
	}
	if s, ok := n.cp.LatestSlotAt(now); ok {
		st.LastSlot = &s
		st.NextSlot = s.Next(p.ThreadCount)
	} else {
		st.NextSlot = types.Slot{Period: p.LastStartPeriod, Thread: 0}
		zero := types.Slot{}
		st.LastSlot = &zero
	}
	cycle := st.NextSlot.Period / p.PeriodsPerCycle
	if st.LastSlot != nil {
		cycle = st.LastSlot.Period / p.PeriodsPerCycle
	}
	st.CurrentCycle = cycle
	st.CurrentCycleTime = n.cp.SlotTimestamp(types.Slot{Period: cycle * p.PeriodsPerCycle})
	st.NextCycleTime = n.cp.SlotTimestamp(types.Slot{Period: (cycle + 1) * p.PeriodsPerCycle})

	n.mu.RLock()
	gs := n.graph.Stats()
	n.mu.RUnlock()
	st.ConsensusStats = api.ConsensusStats{
		StartTimespan: n.startMS, EndTimespan: now,
		FinalBlockCount: gs.FinalBlockCount, StaleBlockCount: gs.StaleBlockCount, CliqueCount: uint64(gs.CliqueCount),
	}
	ops, _ := n.opPool.Len()
	st.PoolStats = [2]uint64{uint64(ops), uint64(n.endoPool.Len())}
	peers, ns := n.peerSummary()
	st.ConnectedNodes = peers
	st.NetworkStats = api.NetworkStats{
		InConnectionCount: uint64(ns.InPeers), OutConnectionCount: uint64(ns.OutPeers),
		KnownPeerCount: uint64(ns.KnownPeers), BannedPeerCount: uint64(ns.BannedPeers + ns.BannedIPs),
		ActiveNodeCount: uint64(ns.Peers),
	}
	es := n.exec.Stats()
	st.ExecutionStats = api.ExecutionStats{
		TimeWindowStart: n.startMS, TimeWindowEnd: now,
		FinalBlockCount: es.FinalBlocks, FinalExecutedOperationsCount: es.FinalExecutedOps,
		ActiveCursor: es.ActiveCursor, FinalCursor: es.FinalCursor,
	}
	return st, nil
}

// nodeIP is get_status.node_ip: the announced IP, or null.
func nodeIP(routable string) *string {
	if routable == "" {
		return nil
	}
	return &routable
}

func (b publicBackend) Addresses(ctx context.Context, addrs []types.Address) ([]api.AddressInfo, error) {
	n := b.n
	p := n.params
	out := make([]api.AddressInfo, 0, len(addrs))
	now := n.clk.NowMS()
	cur, _ := n.cp.LatestSlotAt(now)
	lookahead := n.cfg.API.DrawLookaheadPeriodCount
	if lookahead == 0 {
		lookahead = 10
	}
	to := types.Slot{Period: cur.Period + lookahead, Thread: p.ThreadCount - 1}
	for _, a := range addrs {
		info := api.AddressInfo{Address: a, Thread: a.Thread(p.ThreadCount)}
		fb, _, cb, _, err := n.exec.Balances(a)
		if err != nil {
			return nil, err
		}
		info.FinalBalance, info.CandidateBalance = fb, cb
		info.FinalRollCount, info.CandidateRollCount = n.exec.RollCounts(a)
		fk, _, err := n.exec.DatastoreKeys(a, ledger.KeyRange{}, true)
		if err != nil {
			return nil, err
		}
		ck, _, err := n.exec.DatastoreKeys(a, ledger.KeyRange{}, false)
		if err != nil {
			return nil, err
		}
		info.FinalDatastoreKeys, info.CandidateDatastoreKeys = toBytesList(fk), toBytesList(ck)
		cand, _ := n.exec.DeferredCredits(a)
		info.DeferredCredits = []api.DeferredCredit{}
		for _, c := range cand {
			info.DeferredCredits = append(info.DeferredCredits, api.DeferredCredit{Slot: c.Slot, Amount: c.Amount})
		}
		blocks, endos := n.selector.NextDraws(a, cur.Next(p.ThreadCount), to)
		info.NextBlockDraws = nonNil(blocks)
		info.NextEndorsementDraws = nonNil(endos)
		info.CreatedBlocks, info.CreatedOperations, info.CreatedEndorsements = n.createdBy(a)
		info.CycleInfos = n.cycleInfos(a)
		out = append(out, info)
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func toBytesList(keys [][]byte) []api.Bytes {
	out := make([]api.Bytes, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// createdBy lists the blocks, operations and endorsements of addr the node
// holds in memory.
func (n *Node) createdBy(a types.Address) ([]types.BlockID, []types.OperationID, []types.EndorsementID) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	blocks := []types.BlockID{}
	ops := []types.OperationID{}
	endos := []types.EndorsementID{}
	seenOps := map[types.OperationID]bool{}
	for id, sb := range n.blocks {
		if sb.block.Creator() == a && !sb.block.Header.Header.IsGenesis() {
			blocks = append(blocks, id)
		}
		for _, op := range sb.ops {
			if op.CreatorAddr == a && !seenOps[op.ID] {
				seenOps[op.ID] = true
				ops = append(ops, op.ID)
			}
		}
		for _, e := range sb.block.Header.Header.Endorsements {
			if e.CreatorAddr == a {
				endos = append(endos, e.ID)
			}
		}
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Compare(blocks[j]) < 0 })
	sort.Slice(ops, func(i, j int) bool { return ops[i].Compare(ops[j]) < 0 })
	sort.Slice(endos, func(i, j int) bool { return string(endos[i][:]) < string(endos[j][:]) })
	return blocks, ops, endos
}

// cycleInfos gives, for each kept cycle, addr's production counts and the
// rolls its draws use.
func (n *Node) cycleInfos(a types.Address) []api.CycleInfo {
	out := []api.CycleInfo{}
	n.exec.WithPoS(func(st *pos.State) {
		first, last, ok := st.CycleRange()
		if !ok {
			return
		}
		for c := first; c <= last; c++ {
			ps, _ := st.ProductionStats(c, a)
			ci := api.CycleInfo{Cycle: c, IsFinal: st.IsComplete(c), OKCount: ps.OK, NOKCount: ps.NOK}
			if r, ok := st.ActiveRolls(a, c); ok {
				rr := r
				ci.ActiveRolls = &rr
			}
			out = append(out, ci)
		}
	})
	return out
}

func (b publicBackend) Operations(ctx context.Context, ids []types.OperationID) ([]api.OperationInfo, error) {
	n := b.n
	statuses := n.exec.OpExecStatus(ids)
	out := []api.OperationInfo{}
	for i, id := range ids {
		op, inPool := n.opPool.Get(id)
		n.mu.RLock()
		inBlocks := n.opBlocks.blocks(id)
		if op == nil {
			op = n.opBlocks.op(id)
		}
		n.mu.RUnlock()
		if len(inBlocks) == 0 {
			// Not in a block held with its operations: a final block
			// whose operations were released, or one older than what
			// the node holds, has it in the block database.
			var bid types.BlockID
			var found bool
			var err error
			if op == nil {
				op, bid, found, err = n.blockDB.Operation(id)
			} else {
				bid, found, err = n.blockDB.OperationBlock(id)
			}
			if err != nil {
				return nil, fmt.Errorf("operation %s: %w", id, err)
			}
			if found {
				inBlocks = []types.BlockID{bid}
			}
		}
		if op == nil {
			continue
		}
		info := api.OperationInfo{
			ID: id, InPool: inPool, InBlocks: nonNil(inBlocks),
			Thread: op.Thread(n.params.ThreadCount), Operation: op.JSON(),
		}
		st := statuses[i]
		switch {
		case st.Final != nil:
			t := true
			info.IsOperationFinal, info.OpExecStatus = &t, st.Final
		case st.Speculative != nil:
			f := false
			info.IsOperationFinal, info.OpExecStatus = &f, st.Speculative
		}
		out = append(out, info)
	}
	return out, nil
}

func (b publicBackend) Endorsements(ctx context.Context, ids []types.EndorsementID) ([]api.EndorsementInfo, error) {
	n := b.n
	out := []api.EndorsementInfo{}
	for _, id := range ids {
		e, inPool := n.endoPool.Get(id)
		n.mu.RLock()
		bid, inBlock := n.endoIndex[id]
		isFinal := false
		if inBlock {
			if e == nil {
				for _, x := range n.blocks[bid].block.Header.Header.Endorsements {
					if x.ID == id {
						e = x
					}
				}
			}
			st, _ := n.graph.Status(bid)
			isFinal = st == consensus.StatusFinal
		}
		n.mu.RUnlock()
		if e == nil {
			continue
		}
		info := api.EndorsementInfo{ID: id, InPool: inPool, InBlocks: []types.BlockID{}, IsFinal: isFinal, Endorsement: e.JSON()}
		if inBlock {
			info.InBlocks = []types.BlockID{bid}
		}
		out = append(out, info)
	}
	return out, nil
}

func (b publicBackend) Blocks(ctx context.Context, ids []types.BlockID) ([]api.BlockInfo, error) {
	n := b.n
	out := []api.BlockInfo{}
	for _, id := range ids {
		n.mu.RLock()
		sb, ok := n.blocks[id]
		var blk *types.Block
		stripped := false
		if ok {
			blk, stripped = sb.block, sb.stripped()
		}
		info, known := n.graph.BlockInfo(id)
		n.mu.RUnlock()
		if stripped {
			// Held as a header only: the operation ids come from disk.
			r, err := n.readReleased(id, false)
			if err != nil {
				return nil, err
			}
			blk = r.block
		}
		if !ok {
			stored, found, err := n.blockDB.Get(id)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			out = append(out, api.BlockInfo{ID: id, Content: &api.BlockInfoContent{IsFinal: true, Block: stored.block}})
			continue
		}
		c := &api.BlockInfoContent{Block: blk}
		if known {
			c.IsFinal = info.IsFinal
			c.IsInBlockclique = info.InBlockclique
			c.IsCandidate = info.Status == consensus.StatusActive && !info.IsFinal
			c.IsDiscarded = info.DiscardErr != nil
		}
		out = append(out, api.BlockInfo{ID: id, Content: c})
	}
	return out, nil
}

func (b publicBackend) BlockcliqueBlockBySlot(ctx context.Context, slot types.Slot) (any, error) {
	n := b.n
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.graph.BlockcliqueBlockAt(slot)
	if !ok {
		return nil, nil
	}
	if sb, ok := n.blocks[id]; ok {
		return n.fullBlock(sb)
	}
	return nil, nil
}

func (b publicBackend) GraphInterval(ctx context.Context, start, end *uint64) ([]api.BlockSummary, error) {
	n := b.n
	from := types.Slot{}
	to := types.Slot{Period: ^uint64(0), Thread: n.params.ThreadCount - 1}
	if start != nil {
		if s, ok := n.cp.LatestSlotAt(*start); ok {
			from = s
		}
	}
	if end != nil {
		if s, ok := n.cp.LatestSlotAt(*end); ok {
			to = s
		} else {
			return []api.BlockSummary{}, nil
		}
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	sums := n.graph.GraphInterval(from, to)
	out := make([]api.BlockSummary, 0, len(sums))
	for _, s := range sums {
		creator := s.Creator
		if sb, ok := n.blocks[s.ID]; ok && creator == (types.Address{}) {
			// The graph knows genesis blocks by id only; their creator
			// is the genesis key, which the stored block holds.
			creator = sb.block.Creator()
		}
		out = append(out, api.BlockSummary{ID: s.ID, IsFinal: s.IsFinal, IsStale: s.IsStale, IsInBlockclique: s.InBlockclique,
			Slot: s.Slot, Creator: creator, Parents: nonNil(s.Parents)})
	}
	return out, nil
}

func (b publicBackend) Cliques(ctx context.Context) ([]api.Clique, error) {
	n := b.n
	n.mu.RLock()
	cs := n.graph.Cliques()
	n.mu.RUnlock()
	out := make([]api.Clique, 0, len(cs))
	for _, c := range cs {
		out = append(out, api.Clique{BlockIDs: nonNil(c.IDs), Fitness: c.Fitness, IsBlockclique: c.IsBlockclique})
	}
	return out, nil
}

func (b publicBackend) Stakers(ctx context.Context, page *api.PageRequest) ([][2]any, error) {
	n := b.n
	cur, _ := n.cp.LatestSlotAt(n.clk.NowMS())
	cycle := cur.Period / n.params.PeriodsPerCycle
	rolls := map[types.Address]uint64{}
	if cycle < 3 {
		for _, r := range n.genesis.Rolls {
			rolls[r.Address] = r.Rolls
		}
	} else {
		n.exec.WithPoS(func(st *pos.State) {
			if ci, ok := st.CycleInfo(cycle - 3); ok {
				for a, r := range ci.Rolls {
					rolls[a] = r
				}
			}
		})
	}
	type staker struct {
		a types.Address
		r uint64
	}
	var list []staker
	for a, r := range rolls {
		if r > 0 {
			list = append(list, staker{a, r})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].r != list[j].r {
			return list[i].r > list[j].r
		}
		return list[i].a.Compare(list[j].a) < 0
	})
	if page != nil {
		// Offset and limit are client u64s: clamp before converting, so
		// that huge values select nothing rather than wrap negative.
		off := uint64(len(list))
		if page.Offset < off {
			off = page.Offset
		}
		end := uint64(len(list))
		if page.Limit < end-off {
			end = off + page.Limit
		}
		list = list[off:end]
	}
	out := make([][2]any, len(list))
	for i, s := range list {
		out[i] = [2]any{s.a, s.r}
	}
	return out, nil
}

func (b publicBackend) DatastoreEntries(ctx context.Context, in []api.DatastoreEntryInput) ([]api.DatastoreEntryOutput, error) {
	out := make([]api.DatastoreEntryOutput, 0, len(in))
	for _, e := range in {
		f, fok, c, cok, err := b.n.exec.DatastoreEntry(e.Address, e.Key)
		if err != nil {
			return nil, err
		}
		var o api.DatastoreEntryOutput
		if fok {
			v := api.Bytes(f)
			o.FinalValue = &v
		}
		if cok {
			v := api.Bytes(c)
			o.CandidateValue = &v
		}
		out = append(out, o)
	}
	return out, nil
}

func (b publicBackend) AddressesBytecode(ctx context.Context, in []api.AddressBytecodeInput) ([]api.Bytes, error) {
	out := make([]api.Bytes, 0, len(in))
	for _, e := range in {
		f, _, c, _, err := b.n.exec.Bytecodes(e.Address)
		if err != nil {
			return nil, err
		}
		if e.IsFinal {
			out = append(out, api.Bytes(f))
		} else {
			out = append(out, api.Bytes(c))
		}
	}
	return out, nil
}

func (b publicBackend) AddressesDatastoreKeys(ctx context.Context, in []api.DatastoreKeysInput) ([]api.DatastoreKeysOutput, error) {
	out := make([]api.DatastoreKeysOutput, 0, len(in))
	maxKeys := int(b.n.cfg.API.MaxDatastoreKeysQuery)
	if maxKeys == 0 {
		maxKeys = 500
	}
	for _, e := range in {
		r := ledger.KeyRange{Prefix: e.Prefix, Limit: maxKeys}
		if e.StartKey != nil {
			r.Start = *e.StartKey
			r.StartInclusive = e.InclusiveStartKey == nil || *e.InclusiveStartKey
		}
		if e.EndKey != nil {
			r.End = *e.EndKey
			r.EndInclusive = e.InclusiveEndKey == nil || *e.InclusiveEndKey
		}
		if e.Count != nil && *e.Count < uint64(maxKeys) {
			r.Limit = int(*e.Count)
		}
		if r.Limit == 0 {
			// count = 0 asks for no key; the ledger reads Limit 0 as
			// "no limit", which would bypass max_datastore_keys_query.
			out = append(out, api.DatastoreKeysOutput{Address: e.Address, IsFinal: e.IsFinal, Keys: []api.Bytes{}})
			continue
		}
		keys, _, err := b.n.exec.DatastoreKeys(e.Address, r, e.IsFinal)
		if err != nil {
			return nil, err
		}
		out = append(out, api.DatastoreKeysOutput{Address: e.Address, IsFinal: e.IsFinal, Keys: toBytesList(keys)})
	}
	return out, nil
}

func (b publicBackend) SendOperations(ctx context.Context, ops []*types.SignedOperation) ([]types.OperationID, error) {
	n := b.n
	items := make([]crypto.SigItem, len(ops))
	for i, op := range ops {
		pk, h, s := op.SigItem()
		items[i] = crypto.SigItem{PublicKey: pk, Digest: h, Signature: s}
	}
	select {
	case n.verifySlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ok, bad := n.verifier.Verify(items)
	<-n.verifySlots
	if !ok {
		return nil, api.BadRequest("operation %d (%s): invalid signature (is it signed for chain id %d?)", bad[0], ops[bad[0]].ID, n.params.ChainID)
	}
	// An operation already pooled is accepted again and its id returned,
	// as Massa's pool ignores duplicates: a client that resends after a
	// lost answer (massa-web3 retries) must not see an error. Add runs
	// the pool's checks; a refusal removes what the request added, so the
	// request is all or nothing. When the request could only fit by
	// evicting pooled operations, every operation is checked first, so a
	// request refused half-way evicts nothing.
	size := 0
	for _, op := range ops {
		size += op.SerializedLen
	}
	if !n.opPool.HasRoomFor(len(ops), size) {
		for i, op := range ops {
			if err := n.opPool.Check(op); err != nil && !errors.Is(err, pool.ErrDuplicate) {
				return nil, api.Errorf(api.CodePool, "operation %d (%s) refused: %v", i, op.ID, err)
			}
		}
	}
	ids := make([]types.OperationID, 0, len(ops))
	var added []types.OperationID
	for i, op := range ops {
		switch err := n.opPool.Add(op); {
		case err == nil:
			added = append(added, op.ID)
		case errors.Is(err, pool.ErrDuplicate):
		default:
			// Operations checked one by one can still fail together (their
			// sum exceeds the sender's balance): all or nothing.
			n.opPool.Remove(added)
			return nil, api.Errorf(api.CodePool, "operation %d (%s) refused: %v", i, op.ID, err)
		}
		ids = append(ids, op.ID)
	}
	if n.net != nil {
		n.net.PropagateOperations(ops)
	}
	return ids, nil
}

func (b publicBackend) FilteredEvents(ctx context.Context, f api.EventFilter) ([]api.SCOutputEvent, error) {
	var ef execution.EventFilter
	ef.Start, ef.End, ef.IsFinal, ef.IsError = f.Start, f.End, f.IsFinal, f.IsError
	parseAddr := func(s *string, field string) (*types.Address, error) {
		if s == nil {
			return nil, nil
		}
		a, err := types.ParseAddress(*s)
		if err != nil {
			return nil, api.Errorf(api.CodeInvalidParams, "Invalid params: %s: %v", field, err)
		}
		return &a, nil
	}
	var err error
	if ef.EmitterAddress, err = parseAddr(f.EmitterAddress, "emitter_address"); err != nil {
		return nil, err
	}
	if ef.OriginalCallerAddress, err = parseAddr(f.OriginalCallerAddress, "original_caller_address"); err != nil {
		return nil, err
	}
	if f.OriginalOperationID != nil {
		id, err := types.ParseOperationID(*f.OriginalOperationID)
		if err != nil {
			return nil, api.Errorf(api.CodeInvalidParams, "Invalid params: original_operation_id: %v", err)
		}
		ef.OriginalOperationID = &id
	}
	evs := b.n.exec.Events(ef)
	out := make([]api.SCOutputEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, toAPIEvent(e))
	}
	return out, nil
}

// readOnlyResult renders an execution read-only result in Massa's shape.
func readOnlyResult(r execution.ReadOnlyResult) api.ReadOnlyResult {
	out := api.ReadOnlyResult{
		ExecutedAt:   r.ExecutedAt,
		GasCost:      r.GasCost,
		OutputEvents: make([]api.SCOutputEvent, 0, len(r.Events)),
		// Only ledger changes are tracked for read-only runs; the other
		// parts are empty, in the shapes clients read.
		StateChanges: map[string]any{
			"ledger_changes": map[string]any{}, "async_pool_changes": []any{}, "deferred_call_changes": map[string]any{},
			"pos_changes": map[string]any{}, "executed_ops_changes": map[string]any{},
			"executed_denunciations_changes": []any{}, "execution_trail_hash_change": nil,
		},
	}
	if r.Error != "" {
		out.Result = map[string]any{"Error": "readonly call failed: " + r.Error}
	} else {
		out.Result = map[string]any{"Ok": api.Bytes(nonNil(r.Result))}
	}
	for _, e := range r.Events {
		out.OutputEvents = append(out.OutputEvents, toAPIEvent(e))
	}
	return out
}

func toAPIEvent(e execution.Event) api.SCOutputEvent {
	c := e.Context
	return api.SCOutputEvent{Data: e.Data, Context: api.EventContext{
		Slot: c.Slot, Block: c.Block, ReadOnly: c.ReadOnly, IndexInSlot: c.IndexInSlot,
		CallStack: nonNil(c.CallStack), OriginOperationID: c.OriginOperationID, IsFinal: c.IsFinal, IsError: c.IsError,
	}}
}

func parseOptAddress(s *string, field string) (*types.Address, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	a, err := types.ParseAddress(*s)
	if err != nil {
		return nil, api.Errorf(api.CodeInvalidParams, "Invalid params: %s: %v", field, err)
	}
	return &a, nil
}

func (b publicBackend) ExecuteReadOnlyBytecode(ctx context.Context, in []api.ReadOnlyBytecodeInput) ([]api.ReadOnlyResult, error) {
	out := make([]api.ReadOnlyResult, 0, len(in))
	for i, req := range in {
		caller, err := parseOptAddress(req.Address, fmt.Sprintf("[%d].address", i))
		if err != nil {
			return nil, err
		}
		var ds []types.DatastoreEntry
		if req.OperationDatastore != nil && len(*req.OperationDatastore) > 0 {
			if ds, err = types.DecodeDatastore(*req.OperationDatastore); err != nil {
				return nil, api.Errorf(api.CodeInvalidParams, "Invalid params: [%d].operation_datastore: %v", i, err)
			}
		}
		r, err := b.n.exec.ExecuteReadOnlyBytecode(req.Bytecode, req.MaxGas, caller, ds, req.Fee)
		if err != nil {
			return nil, api.Errorf(api.CodeExecution, "Execution error: %v", err)
		}
		out = append(out, readOnlyResult(r))
	}
	return out, nil
}

func (b publicBackend) ExecuteReadOnlyCall(ctx context.Context, in []api.ReadOnlyCallInput) ([]api.ReadOnlyResult, error) {
	out := make([]api.ReadOnlyResult, 0, len(in))
	for i, req := range in {
		target, err := types.ParseAddress(req.TargetAddress)
		if err != nil {
			return nil, api.Errorf(api.CodeInvalidParams, "Invalid params: [%d].target_address: %v", i, err)
		}
		caller, err := parseOptAddress(req.CallerAddress, fmt.Sprintf("[%d].caller_address", i))
		if err != nil {
			return nil, err
		}
		r, err := b.n.exec.ExecuteReadOnlyCall(target, req.TargetFunction, req.Parameter, req.MaxGas, caller, req.Coins, req.Fee)
		if err != nil {
			return nil, api.Errorf(api.CodeExecution, "Execution error: %v", err)
		}
		out = append(out, readOnlyResult(r))
	}
	return out, nil
}

// Private API.

func (b privateBackend) Stop(ctx context.Context) error {
	b.n.log.Info("stop requested through the private API")
	b.n.RequestStop()
	return nil
}

func (b privateBackend) SignMessage(ctx context.Context, msg []byte) (api.PubkeySig, error) {
	k := b.n.nodeKey
	return api.PubkeySig{PublicKey: k.Public(), Signature: k.Sign(crypto.HashOf(msg))}, nil
}

func (b privateBackend) AddStakingKeys(ctx context.Context, keys []*crypto.SecretKey) error {
	if err := b.n.staking.Add(keys); err != nil {
		return api.Errorf(api.CodeWallet, "Wallet error: %v", err)
	}
	for _, k := range keys {
		b.n.log.Info("staking key added", "address", types.AddressOf(k.Public()))
	}
	return nil
}

func (b privateBackend) RemoveStakingAddresses(ctx context.Context, addrs []types.Address) error {
	if err := b.n.staking.Remove(addrs); err != nil {
		return api.Errorf(api.CodeWallet, "Wallet error: %v", err)
	}
	for _, a := range addrs {
		b.n.log.Info("staking address removed", "address", a)
	}
	return nil
}

func (b privateBackend) StakingAddresses(ctx context.Context) ([]types.Address, error) {
	return nonNil(b.n.staking.Addresses()), nil
}

// msgNoWhitelist keeps Massa's wording: its node does not serve peer
// whitelists through the API either.
const msgNoWhitelist = "This request is currently not available: peer whitelists are not editable through the API yet"

func (b privateBackend) BanByID(ctx context.Context, ids []crypto.PublicKey, ban bool) error {
	for _, id := range ids {
		if ban {
			b.n.net.Ban(protocol.PeerID(id))
		} else {
			b.n.net.Unban(protocol.PeerID(id))
		}
		b.n.log.Info("peer ban changed through the private API", "node_id", id.NodeID(), "banned", ban)
	}
	return nil
}

func (b privateBackend) BanByIP(ctx context.Context, ips []net.IP, ban bool) error {
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return api.BadRequest("%s is not an IP address", ip)
		}
		a = a.Unmap()
		if ban {
			b.n.net.BanIP(a)
		} else {
			b.n.net.UnbanIP(a)
		}
		b.n.log.Info("IP ban changed through the private API", "ip", a, "banned", ban)
	}
	return nil
}

func (b privateBackend) PeersWhitelist(ctx context.Context) ([]string, error) {
	return nil, api.Errorf(api.CodeBadRequest, "%s", msgNoWhitelist)
}

func (b privateBackend) EditPeersWhitelist(ctx context.Context, ips []net.IP, add bool) error {
	return api.Errorf(api.CodeBadRequest, "%s", msgNoWhitelist)
}

func (b privateBackend) BootstrapList(ctx context.Context, white bool) ([]string, error) {
	return nil, api.Errorf(api.CodeBadRequest, "This request is currently not available: bootstrap is not part of this version yet")
}

func (b privateBackend) EditBootstrapList(ctx context.Context, white bool, ips []net.IP, add bool) error {
	return api.Errorf(api.CodeBadRequest, "This request is currently not available: bootstrap is not part of this version yet")
}

func (b privateBackend) BootstrapWhitelistAllowAll(ctx context.Context) error {
	return api.Errorf(api.CodeBadRequest, "This request is currently not available: bootstrap is not part of this version yet")
}

// v2Backend serves Massa's "API v2" HTTP methods.
type v2Backend struct{ n *Node }

func (b v2Backend) LargestStakers(ctx context.Context, page *api.PageRequest) (api.LargestStakers, error) {
	all, err := publicBackend(b).Stakers(ctx, nil)
	if err != nil {
		return api.LargestStakers{}, err
	}
	out := api.LargestStakers{TotalCount: uint64(len(all)), Content: all}
	if page != nil {
		off := int(min(page.Offset, uint64(len(all))))
		end := int(min(uint64(off)+min(page.Limit, uint64(len(all))), uint64(len(all))))
		out.Content = all[off:end]
	}
	if out.Content == nil {
		out.Content = [][2]any{}
	}
	return out, nil
}

func (b v2Backend) NextBlockBestParents(ctx context.Context) ([][2]any, error) {
	n := b.n
	n.mu.RLock()
	defer n.mu.RUnlock()
	parents := n.graph.BestParents()
	out := make([][2]any, 0, len(parents))
	for _, id := range parents {
		var period uint64
		if info, ok := n.graph.BlockInfo(id); ok {
			period = info.Slot.Period
		}
		out = append(out, [2]any{id, period})
	}
	return out, nil
}

func (b v2Backend) Version(ctx context.Context) (string, error) { return b.n.version, nil }
