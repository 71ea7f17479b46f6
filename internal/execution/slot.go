package execution

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// slotExec is the speculative context of the slot being executed. Reads go
// through this slot's changes, then the active history (newest first),
// then the final state; writes go to this slot's changes only.
type slotExec struct {
	c     *Core
	slot  types.Slot
	block *BlockToExecute
	id    *types.BlockID
	hist  []*SlotOutput
	// specOps indexes the operations of hist when hist is the core's
	// history (nil otherwise: read-only runs use a copy).
	specOps map[types.OperationID]struct{}
	// readOnly marks a read-only request's context: its events say so and
	// nothing it changes is kept.
	readOnly bool

	led      *ledger.Changes
	view     *ledger.View
	pos      *pos.Speculative
	ops      map[types.OperationID]ExecutedOp
	async    *asyncPool
	deferred *deferredRegistry

	events    []Event
	nextEvent uint64
	// frames is the call stack of the operation, message or request being
	// executed; origin its operation.
	frames []callFrame
	origin *types.OperationID
	// userEvents counts the contract events of the current operation,
	// message or request.
	userEvents int
	// createdAddr and createdMsg number the contracts and messages created
	// in the slot; rng is the slot's unsafe_random generator. All three are
	// restored when an operation fails.
	createdAddr uint64
	createdMsg  uint64
	rng         xoshiro256

	supply  Supply
	opCount int
	trail   crypto.Hash
}

// scSnapshot is the smart-contract state an operation failure restores.
type scSnapshot struct {
	createdAddr, createdMsg uint64
	rng                     xoshiro256
	asyncMark               int
	deferredMark            int
	frames                  []callFrame
}

func (x *slotExec) snapshotSC() scSnapshot {
	return scSnapshot{
		createdAddr: x.createdAddr, createdMsg: x.createdMsg, rng: x.rng,
		asyncMark: x.async.mark(), deferredMark: x.deferred.mark(), frames: slices.Clone(x.frames),
	}
}

func (x *slotExec) restoreSC(s scSnapshot) {
	x.createdAddr, x.createdMsg, x.rng = s.createdAddr, s.createdMsg, s.rng
	x.async.revert(s.asyncMark)
	x.deferred.revert(s.deferredMark)
	x.frames = s.frames
}

// userFrame is the call stack of an address acting on its own.
func userFrame(addr types.Address) []callFrame {
	return []callFrame{{addr: addr, owned: []types.Address{addr}}}
}

// trailHash is the execution trail hash of a slot (protocol.md §3.2):
// compute_from_tuple(prev, slot key, [read_only, has_block], block id).
func trailHash(prev crypto.Hash, slot types.Slot, id *types.BlockID, readOnly bool) crypto.Hash {
	key := slot.Key()
	flags := []byte{0, 0}
	if readOnly {
		flags[0] = 1
	}
	if id == nil {
		return crypto.HashOfTuple(prev[:], key[:], flags)
	}
	flags[1] = 1
	return crypto.HashOfTuple(prev[:], key[:], flags, id.Bytes())
}

// executeSlot executes slot on top of the final state and hist (the
// executed slots just before it, oldest first). It reads the core's final
// state but changes nothing in the core.
func (c *Core) executeSlot(slot types.Slot, block *BlockToExecute, hist []*SlotOutput) (*SlotOutput, error) {
	nOps := 0
	if block != nil {
		nOps = len(block.Operations)
	}
	x := &slotExec{
		c:     c,
		slot:  slot,
		block: block,
		id:    blockID(block),
		hist:  hist,
		led:   ledger.NewChanges(),
		// Sized for the block: growing a map of 20,000 entries rehashes
		// it a dozen times.
		ops: make(map[types.OperationID]ExecutedOp, nOps),
	}
	// executeSlot runs in the loop that alone changes the history, so
	// reading it here needs no lock.
	if len(hist) > 0 && len(hist) == len(c.history) && &hist[0] == &c.history[0] {
		x.specOps = c.specOps
	}
	layers := make([]*ledger.Changes, 0, len(hist)+1)
	posLayers := make([]pos.Layer, 0, len(hist))
	for _, h := range hist {
		layers = append(layers, h.Ledger)
		posLayers = append(posLayers, pos.Layer{Slot: h.Slot, Changes: h.PoS})
	}
	x.view = ledger.NewView(c.finalLedger, append(layers, x.led)...)
	x.pos = c.pos.Speculate(slot, posLayers)

	prev := c.finalTrail
	if len(hist) > 0 {
		prev = hist[len(hist)-1].Trail
	}
	x.trail = trailHash(prev, slot, x.id, false)
	x.rng = newSlotRNG(x.trail)
	x.async = newAsyncPool(c.finalAsync, hist)
	x.deferred = newDeferredRegistry(c.finalDeferred, hist)

	// Deferred calls booked for this slot run first (protocol.md §4.2).
	booked, err := x.runDeferredCalls()
	if err != nil {
		return nil, fmt.Errorf("slot %s: deferred calls: %w", slot, err)
	}

	remainingGas := c.cfg.MaxGasPerBlock
	if block != nil {
		credits := c.cfg.BlockReward
		for _, op := range block.Operations {
			if err := x.executeOperation(op, &remainingGas, &credits); err != nil {
				return nil, fmt.Errorf("slot %s, operation %s: %w", slot, op.ID, err)
			}
		}
		// Denunciations of the block would run here, adding half of the
		// slashed coins to credits (protocol.md §2.7); not implemented yet.
		x.pos.RecordProduction(block.Creator, x.id)
		if err := x.payRewards(credits); err != nil {
			return nil, fmt.Errorf("slot %s: rewards: %w", slot, err)
		}
	} else {
		producer, err := c.draws.Producer(slot)
		if err != nil {
			return nil, fmt.Errorf("%w: slot %s: %w", ErrDraws, slot, err)
		}
		x.pos.RecordProduction(producer, nil)
	}

	// Asynchronous messages run with the async budget minus the gas the
	// deferred calls booked, plus the gas the block left unused
	// (protocol.md §3.2 step 4).
	if err := x.runAsyncMessages(remainingGas, booked); err != nil {
		return nil, fmt.Errorf("slot %s: asynchronous messages: %w", slot, err)
	}

	if err := x.settle(); err != nil {
		return nil, fmt.Errorf("slot %s: settle: %w", slot, err)
	}
	return &SlotOutput{
		Slot:     slot,
		Block:    x.id,
		Ledger:   x.led,
		PoS:      x.pos.Changes(),
		Ops:      x.ops,
		Async:    x.async.changes,
		Deferred: x.deferred.changes,
		Events:   x.events,
		Trail:    x.trail,
		OpCount:  x.opCount,
		Supply:   x.supply,
	}, nil
}

// settle ends the slot (Massa's settle_slot): pays the deferred credits
// due, then, at the last slot of a cycle, applies the miss rule.
func (x *slotExec) settle() error {
	for _, cr := range x.pos.TakeDueCredits() {
		err := x.credit(cr.Address, cr.Amount)
		switch {
		case err == nil:
		case isOpError(err):
			// The credit is zeroed anyway: the coins are lost, as in Massa.
			x.supply.CreditsLost = x.supply.CreditsLost.SaturatingAdd(cr.Amount)
			x.c.log.Debug("deferred credit not paid", "slot", x.slot, "address", cr.Address, "amount", cr.Amount, "err", err)
		default:
			return err
		}
	}
	if err := x.settleAsync(); err != nil {
		return err
	}
	cfg := x.c.cfg.PoS
	if x.slot.IsLastOfCycle(cfg.PeriodsPerCycle, cfg.ThreadCount) {
		sold, err := x.pos.SettleProductionStats()
		if err != nil {
			return err
		}
		for _, s := range sold {
			x.c.log.Debug("rolls sold for missed blocks", "slot", x.slot, "address", s.Address, "credit", s.Amount)
		}
	}
	return nil
}

// executeOperation runs one operation of the block (protocol.md §3.4). It
// returns only internal errors: an operation that is skipped or fails is a
// normal outcome.
func (x *slotExec) executeOperation(op *types.SignedOperation, remainingGas *uint64, credits *types.Amount) error {
	cfg := &x.c.cfg
	o := &op.Op
	// 1. The block's period must be in [expire - validity, expire].
	start := uint64(0)
	if o.ExpirePeriod > cfg.OperationValidityPeriods {
		start = o.ExpirePeriod - cfg.OperationValidityPeriods
	}
	if x.slot.Period < start || x.slot.Period > o.ExpirePeriod {
		return nil
	}
	// 2. Its gas must fit in what the block has left.
	gas := o.GasUsage()
	if gas > *remainingGas {
		return nil
	}
	// 3. It must belong to the block's thread.
	sender := op.CreatorAddr
	thread := sender.Thread(cfg.threads())
	if thread != x.slot.Thread {
		return nil
	}
	// 4. It must not have been executed already.
	if done, err := x.isOpExecuted(op.ID); err != nil || done {
		return err
	}
	// 5. The lowest balance the sender may end with.
	initial, _, err := x.view.Balance(sender)
	if err != nil {
		return err
	}
	minBalance := initial.SaturatingSub(o.MaxSpending(cfg.PoS.RollPrice))

	id := op.ID
	x.origin = &id
	x.userEvents = 0
	defer func() { x.origin, x.frames = nil, nil }()
	// 6. The fee is burnt from the sender; an unpaid fee skips the
	// operation without recording it.
	x.frames = userFrame(sender)
	if err := x.transfer(&sender, nil, o.Fee); err != nil {
		if !isOpError(err) {
			return err
		}
		x.emit(truncateString("could not spend fees: "+err.Error(), cfg.MaxEventDataSize), true)
		return nil
	}
	*remainingGas -= gas
	*credits = credits.SaturatingAdd(o.Fee)
	x.supply.FeesBurnt = x.supply.FeesBurnt.SaturatingAdd(o.Fee)
	x.opCount++

	// 7. Snapshot, then the type's logic.
	cp := x.led.Checkpoint()
	defer x.led.DropCheckpoints()
	var posSnap *pos.Changes
	if o.Type != types.OpTransaction {
		posSnap = x.pos.Snapshot()
	}
	supplySnap := x.supply
	eventCount := len(x.events)
	scSnap := x.snapshotSC()

	runErr := x.runOperation(op)
	if runErr == nil {
		// 8. The max-spending guard.
		final, _, err := x.view.Balance(sender)
		if err != nil {
			return err
		}
		if final < minBalance {
			runErr = &opError{fmt.Sprintf("at the end of the execution of the operation, the sender %s was expected to have at least %s coins according to the operation's max spending, but has only %s.", sender, minBalance, final)}
		}
	}
	if runErr != nil && !isOpError(runErr) {
		return runErr
	}
	if runErr != nil {
		// 9. Failure: the fee stays paid, everything else is undone.
		x.restoreSC(scSnap)
		msg := fmt.Sprintf("runtime error when executing operation %s: %s", op.ID, runErr)
		x.emit(errorEventData(msg, cfg.MaxEventDataSize), true)
		if err := x.led.RevertTo(cp); err != nil {
			return err
		}
		if posSnap != nil {
			x.pos.Restore(posSnap)
		}
		x.supply = supplySnap
		for i := eventCount; i < len(x.events); i++ {
			x.events[i].Context.IsError = true
		}
	}
	x.ops[op.ID] = ExecutedOp{Success: runErr == nil, ValidUntil: types.Slot{Period: o.ExpirePeriod, Thread: thread}}
	return nil
}

// runOperation runs the logic of op's type. Operation-level failures are
// *opError.
func (x *slotExec) runOperation(op *types.SignedOperation) error {
	o := &op.Op
	sender := op.CreatorAddr
	x.frames = userFrame(sender)
	switch o.Type {
	case types.OpTransaction:
		if err := x.transfer(&sender, &o.Recipient, o.Amount); err != nil {
			return wrapOp(err, "transfer of %s coins from %s to %s failed", o.Amount, sender, o.Recipient)
		}
	case types.OpRollBuy:
		cost, err := x.c.cfg.PoS.RollPrice.MulU64(o.RollCount)
		if err != nil {
			return &opError{fmt.Sprintf("%s failed to buy %d rolls: overflow on the required coin amount", sender, o.RollCount)}
		}
		if err := x.transfer(&sender, nil, cost); err != nil {
			return wrapOp(err, "%s failed to buy %d rolls", sender, o.RollCount)
		}
		x.pos.BuyRolls(sender, o.RollCount)
	case types.OpRollSell:
		if err := x.pos.SellRolls(sender, o.RollCount); err != nil {
			if errors.Is(err, pos.ErrNotEnoughRolls) {
				return &opError{fmt.Sprintf("%s failed to sell %d rolls: %s", sender, o.RollCount, err)}
			}
			return err
		}
	case types.OpExecuteSC:
		if x.c.vm == nil {
			return &opError{ErrSCNotSupported.Error()}
		}
		// The sender's frame sees the operation datastore (protocol.md
		// §3.4 step 7).
		x.frames[0].opDS, x.frames[0].hasDS = o.Datastore(), true
		if _, err := x.c.vm.RunMain(x, o.Bytecode(), o.MaxGas()); err != nil {
			return vmError(err, "VM Error in ExecuteSC context")
		}
	case types.OpCallSC:
		if x.c.vm == nil {
			return &opError{ErrSCNotSupported.Error()}
		}
		return x.callSC(sender, o)
	default:
		return &opError{fmt.Sprintf("unknown operation type %d", o.Type)}
	}
	return nil
}

// callSC is CallSC with a VM: the target must be an existing SC, the coins
// move first, then the function runs with call stack [sender, target].
func (x *slotExec) callSC(sender types.Address, o *types.Operation) error {
	target, coins, function := o.Target(), o.Coins(), o.Function()
	if err := x.checkTargetSC(target); err != nil {
		return err
	}
	code, _, err := x.view.Bytecode(target)
	if err != nil {
		return err
	}
	if err := x.transfer(&sender, &target, coins); err != nil {
		return wrapOp(err, "failed to transfer %s operation coins from %s to %s", coins, sender, target)
	}
	if function == "" {
		return &opError{"no function to call in the CallSC operation"}
	}
	x.frames = append(x.frames, callFrame{addr: target, coins: coins, owned: []types.Address{target}})
	if _, err := x.c.vm.RunFunction(x, code, function, o.Param(), o.MaxGas()); err != nil {
		return vmError(err, "VM Error in CallSC context")
	}
	return nil
}

// payRewards splits the block credits (protocol.md §2.6): with E the
// endorsement count, part = credits / (3 * (1 + E)); the producer gets 3
// parts plus the remainder plus one part per included endorsement; each
// endorser and, per endorsement, the creator of the endorsed block get one
// part. Parts for missing endorsements are not minted; a credit that
// cannot be paid (fresh address, part below the creation cost) is not
// minted either.
func (x *slotExec) payRewards(credits types.Amount) error {
	b := x.block
	n := 3 * (1 + uint64(x.c.cfg.PoS.EndorsementCount))
	part, rem := credits.DivRemU64(n)
	producer := part.SaturatingAdd(part).SaturatingAdd(part).SaturatingAdd(rem)
	for _, endorser := range b.EndorsementCreators {
		producer = producer.SaturatingAdd(part)
		if err := x.reward(endorser, part); err != nil {
			return err
		}
		// The zero address stands for an unknown endorsed-block creator
		// (the node always knows it; this only guards against minting to
		// an address nobody owns).
		if b.EndorsedBlockCreator.IsZero() {
			continue
		}
		if err := x.reward(b.EndorsedBlockCreator, part); err != nil {
			return err
		}
	}
	return x.reward(b.Creator, producer)
}

// reward mints amount to addr, counting it when it lands.
func (x *slotExec) reward(addr types.Address, amount types.Amount) error {
	err := x.credit(addr, amount)
	switch {
	case err == nil:
		x.supply.RewardsMinted = x.supply.RewardsMinted.SaturatingAdd(amount)
	case isOpError(err):
		x.c.log.Debug("reward not paid", "slot", x.slot, "address", addr, "amount", amount, "err", err)
	default:
		return err
	}
	return nil
}

// credit adds coins from nowhere to addr (rewards, deferred credits).
func (x *slotExec) credit(addr types.Address, amount types.Amount) error {
	return x.transfer(nil, &addr, amount)
}

// transfer moves amount from from to to; a nil end creates or destroys
// the coins. Crediting a user address that does not exist creates it and
// takes the 0.001 MAS entry cost from the amount (failing below that);
// crediting a missing SC address fails. Nothing changes on failure.
func (x *slotExec) transfer(from, to *types.Address, amount types.Amount) error {
	var fromBal types.Amount
	if from != nil {
		bal, ok, err := x.view.Balance(*from)
		if err != nil {
			return err
		}
		if !ok {
			return &opError{fmt.Sprintf("spending address %s not found", *from)}
		}
		nb, err := bal.Sub(amount)
		if err != nil {
			return &opError{fmt.Sprintf("failed to transfer %s coins from spending address %s due to insufficient balance %s", amount, *from, bal)}
		}
		fromBal = nb
	}
	if to == nil {
		x.led.SetBalance(*from, fromBal)
		return nil
	}
	var (
		toBal  types.Amount
		exists bool
	)
	if from != nil && *from == *to {
		toBal, exists = fromBal, true
	} else {
		var err error
		if toBal, exists, err = x.view.Balance(*to); err != nil {
			return err
		}
	}
	create := false
	var newTo types.Amount
	switch {
	case exists:
		nb, err := toBal.Add(amount)
		if err != nil {
			return &opError{fmt.Sprintf("overflow in crediting address %s balance %s due to adding %s coins to balance", *to, toBal, amount)}
		}
		newTo = nb
	case to.SC:
		return &opError{fmt.Sprintf("cannot transfer coins to non-existing smart contract address %s", *to)}
	default:
		rest, err := amount.Sub(ledger.EntryBaseCost)
		if err != nil {
			return &opError{fmt.Sprintf("insufficient amount %s to create credited address %s", amount, *to)}
		}
		create, newTo = true, rest
	}
	if from != nil {
		x.led.SetBalance(*from, fromBal)
	}
	if create {
		x.led.CreateEntry(*to)
		x.supply.CreationCosts = x.supply.CreationCosts.SaturatingAdd(ledger.EntryBaseCost)
	}
	x.led.SetBalance(*to, newTo)
	return nil
}

// isOpExecuted looks id up in this slot, the history, then the final state.
func (x *slotExec) isOpExecuted(id types.OperationID) (bool, error) {
	if _, ok := x.ops[id]; ok {
		return true, nil
	}
	if x.specOps != nil {
		// x.hist is the core's history, whose index answers at once.
		if _, ok := x.specOps[id]; ok {
			return true, nil
		}
	} else {
		for i := len(x.hist) - 1; i >= 0; i-- {
			if _, ok := x.hist[i].Ops[id]; ok {
				return true, nil
			}
		}
	}
	_, ok := x.c.finalOps.status[id]
	return ok, nil
}

// emit appends an event with the current context.
func (x *slotExec) emit(data string, isError bool) {
	e := Event{Data: data, Context: EventContext{
		Slot:              x.slot,
		Block:             x.id,
		IndexInSlot:       x.nextEvent,
		ReadOnly:          x.readOnly,
		CallStack:         x.CallStack(),
		OriginOperationID: x.origin,
		IsError:           isError,
	}}
	// Massa resets the event counter when it reverts an operation, which
	// can give two events the same index; we keep indices unique.
	x.nextEvent++
	x.events = append(x.events, e)
}

// wrapOp prefixes an operation-level error; internal errors pass as is.
func wrapOp(err error, format string, args ...any) error {
	if !isOpError(err) {
		return err
	}
	return &opError{fmt.Sprintf(format, args...) + ": " + err.Error()}
}
