package execution

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// runAsyncMessages is step 4 of a slot (protocol.md §3.2, §4.1): the
// messages the slot may run, in id order, within MaxAsyncGas minus what
// the slot's deferred calls booked, plus the gas the block left unused.
// It returns only internal errors.
func (x *slotExec) runAsyncMessages(gasLeft, deferredBooked uint64) error {
	if x.c.vm == nil {
		// Without a VM no message was ever sent; any in the pool (from a
		// bootstrap) waits and expires.
		return nil
	}
	cfg := &x.c.cfg
	budget := satAdd(cfg.MaxAsyncGas-min(deferredBooked, cfg.MaxAsyncGas), gasLeft)
	for _, m := range x.async.takeBatch(x.slot, budget, cfg.AsyncMsgCstGas) {
		if err := x.executeAsyncMessage(m); err != nil {
			return err
		}
	}
	return nil
}

// executeAsyncMessage runs one message; on failure its coins go back to
// the sender (the fee is not refunded).
func (x *slotExec) executeAsyncMessage(m *AsyncMessage) error {
	what := fmt.Sprintf("asynchronous message (emitted at slot %s, index %d)", m.EmissionSlot, m.EmissionIndex)
	failed, err := x.executeCall(m.Sender, m.Destination, m.Coins, m.Function, m.Params, m.MaxGas, what)
	if err != nil {
		return err
	}
	if failed {
		return x.reimburse(m)
	}
	x.supply.AsyncCoinsReleased = x.supply.AsyncCoinsReleased.SaturatingAdd(m.Coins)
	return nil
}

// executeCall runs a call the slot makes on its own (a message, a deferred
// call): call stack [sender, target], coins credited to the target (they
// were taken from the sender earlier), then function(params) with maxGas.
// On failure everything is undone and an error event is emitted; the
// caller gives the coins back. It returns only internal errors.
func (x *slotExec) executeCall(sender, target types.Address, coins types.Amount, function string, params []byte, maxGas uint64, what string) (failed bool, err error) {
	x.origin = nil
	x.userEvents = 0
	x.frames = []callFrame{
		{addr: sender, owned: []types.Address{sender}},
		{addr: target, coins: coins, owned: []types.Address{target}},
	}
	defer func() { x.frames = nil }()
	cp := x.led.Checkpoint()
	defer x.led.DropCheckpoints()
	supplySnap := x.supply
	eventCount := len(x.events)
	scSnap := x.snapshotSC()

	runErr := func() error {
		if err := x.transfer(nil, &target, coins); err != nil {
			return wrapOp(err, "could not credit the coins to %s", target)
		}
		code, ok, err := x.view.Bytecode(target)
		if err != nil {
			return err
		}
		if !ok || len(code) == 0 {
			return &opError{fmt.Sprintf("the target %s has no bytecode", target)}
		}
		if _, err := x.c.vm.RunFunction(x, code, function, params, maxGas); err != nil {
			return vmError(err, "VM Error in "+what+" context")
		}
		return nil
	}()
	if runErr == nil {
		return false, nil
	}
	if !isOpError(runErr) {
		return false, runErr
	}
	if err := x.led.RevertTo(cp); err != nil {
		return false, err
	}
	x.supply = supplySnap
	x.restoreSC(scSnap)
	for i := eventCount; i < len(x.events); i++ {
		x.events[i].Context.IsError = true
	}
	x.emit(errorEventData(fmt.Sprintf("%s failed: %s", what, runErr), x.c.cfg.MaxEventDataSize), true)
	return true, nil
}

// reimburse gives a dropped message's coins back to its sender.
func (x *slotExec) reimburse(m *AsyncMessage) error {
	return x.release(m.Sender, m.Coins, &x.supply.AsyncCoinsReleased)
}

// settleAsync expires and evicts messages (reimbursing them) and activates
// the triggered ones, at the end of the slot.
func (x *slotExec) settleAsync() error {
	for _, m := range x.async.settle(x.slot, x.led, x.c.cfg.MaxAsyncPoolLength) {
		if err := x.reimburse(m); err != nil {
			return err
		}
	}
	return nil
}

// loadAsyncPool reads the final message pool from the store.
func loadAsyncPool(st *store.Store, threads uint8) (map[asyncKey]*AsyncMessage, error) {
	pool := make(map[asyncKey]*AsyncMessage)
	var decodeErr error
	err := st.Iterate([]byte(store.PrefixAsyncPool), nil, func(k, v []byte) bool {
		m, err := decodeAsyncEntry(k, v, threads)
		if err != nil {
			decodeErr = err
			return false
		}
		pool[m.key()] = m
		return true
	})
	if err == nil {
		err = decodeErr
	}
	return pool, err
}

// writeAsyncChanges adds a slot's pool changes to a commit batch.
func writeAsyncChanges(b *store.Batch, ch AsyncChanges) {
	for _, k := range ch.sortedKeys() {
		if m := ch[k]; m == nil {
			b.Delete(asyncStoreKey(k))
		} else {
			b.Put(asyncStoreKey(k), encodeAsyncMessage(m))
		}
	}
}
