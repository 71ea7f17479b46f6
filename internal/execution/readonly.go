package execution

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// DefaultReadOnlyCaller is the caller of a read-only request that names
// none. Massa's API draws a random address; a fixed one keeps the node
// deterministic and behaves the same for every contract that does not
// look at its caller.
var DefaultReadOnlyCaller = types.Address{Hash: crypto.HashOf([]byte("gomassa read-only caller"))}

// ReadOnlyResult is the outcome of a read-only request (the JSON-RPC
// ExecuteReadOnlyResponse).
type ReadOnlyResult struct {
	// ExecutedAt is the slot the request ran at: the one after the latest
	// executed slot.
	ExecutedAt types.Slot
	// Result is what the called function returned (empty for bytecode);
	// Error is set instead when the request failed (Massa's API shows it
	// as "readonly call failed: " + Error).
	Result []byte
	Error  string
	// GasCost is Massa's estimate of the gas the same operation needs:
	// the gas used, at least the gas used before the last (sub-)call plus
	// one instance cost. It is 0 when the request failed, as in Massa.
	GasCost uint64
	// Events are the events the run emitted (read_only set).
	Events []Event
	// LedgerChanges are the ledger changes the run would have made.
	LedgerChanges *ledger.Changes
}

// ExecuteReadOnlyBytecode runs main of bytecode on top of the candidate
// state, as an ExecuteSC from caller (nil: DefaultReadOnlyCaller) with the
// given operation datastore; fee, when set, is debited from the caller
// first. Nothing is kept. The error is only for internal failures; a
// failing request fills Result.Error.
func (c *Core) ExecuteReadOnlyBytecode(bytecode []byte, maxGas uint64, caller *types.Address, datastore []types.DatastoreEntry, fee *types.Amount) (ReadOnlyResult, error) {
	return c.executeReadOnly(maxGas, caller, fee, func(x *slotExec, from types.Address) ([]byte, vm.Result, error) {
		x.frames[0].opDS, x.frames[0].hasDS = datastore, true
		res, err := c.vm.RunMain(x, bytecode, maxGas)
		if err != nil {
			return nil, res, vmError(err, "VM Error in ReadOnlyExecutionTarget::BytecodeExecution context")
		}
		return nil, res, nil
	})
}

// ExecuteReadOnlyCall calls function(param) of the contract target on top
// of the candidate state, as a CallSC from caller (nil:
// DefaultReadOnlyCaller) sending coins; fee, when set, is debited from the
// caller first. Nothing is kept. The error is only for internal failures;
// a failing request fills Result.Error.
func (c *Core) ExecuteReadOnlyCall(target types.Address, function string, param []byte, maxGas uint64, caller *types.Address, coins, fee *types.Amount) (ReadOnlyResult, error) {
	return c.executeReadOnly(maxGas, caller, fee, func(x *slotExec, from types.Address) ([]byte, vm.Result, error) {
		if err := x.checkTargetSC(target); err != nil {
			return nil, vm.Result{}, err
		}
		code, _, err := x.view.Bytecode(target)
		if err != nil {
			return nil, vm.Result{}, err
		}
		var sent types.Amount
		if coins != nil {
			sent = *coins
			if err := x.transfer(&from, &target, sent); err != nil {
				return nil, vm.Result{}, wrapOp(err, "failed to transfer %s coins from %s to %s", sent, from, target)
			}
		}
		x.frames = append(x.frames, callFrame{addr: target, coins: sent, owned: []types.Address{target}})
		res, err := c.vm.RunFunction(x, code, function, param, maxGas)
		if err != nil {
			return nil, res, vmError(err, "VM Error in ReadOnlyExecutionTarget::FunctionCall context")
		}
		return res.Return, res, nil
	})
}

// executeReadOnly sets up a read-only context at the slot after the
// latest executed one, over a snapshot of the final state and the
// history, and runs fn in it.
func (c *Core) executeReadOnly(maxGas uint64, caller *types.Address, fee *types.Amount,
	fn func(x *slotExec, caller types.Address) ([]byte, vm.Result, error)) (ReadOnlyResult, error) {
	from := DefaultReadOnlyCaller
	if caller != nil {
		from = *caller
	}

	c.mu.RLock()
	if c.broken != nil {
		c.mu.RUnlock()
		return ReadOnlyResult{}, c.broken
	}
	snap, err := c.st.Snapshot()
	if err != nil {
		c.mu.RUnlock()
		return ReadOnlyResult{}, err
	}
	defer snap.Close()
	hist := slices.Clone(c.history)
	finalAsync := maps.Clone(c.finalAsync)
	finalDeferred := c.finalDeferred.clone()
	prev := c.finalTrail
	if len(hist) > 0 {
		prev = hist[len(hist)-1].Trail
	}
	slot := c.activeCursor().Next(c.cfg.threads())
	c.mu.RUnlock()

	out := ReadOnlyResult{ExecutedAt: slot}
	switch {
	case c.vm == nil:
		out.Error = ErrSCNotSupported.Error()
		return out, nil
	case maxGas > c.cfg.MaxReadOnlyGas:
		out.Error = fmt.Sprintf("execution gas for read-only call is %d which is above the maximum allowed %d", maxGas, c.cfg.MaxReadOnlyGas)
		return out, nil
	}

	x := &slotExec{
		c:        c,
		slot:     slot,
		hist:     hist,
		readOnly: true,
		led:      ledger.NewChanges(),
		ops:      make(map[types.OperationID]ExecutedOp),
	}
	layers := make([]*ledger.Changes, 0, len(hist)+1)
	for _, h := range hist {
		layers = append(layers, h.Ledger)
	}
	x.view = ledger.NewView(ledger.NewFinal(snap), append(layers, x.led)...)
	x.trail = trailHash(prev, slot, nil, true)
	x.rng = newSlotRNG(x.trail)
	x.async = newAsyncPool(finalAsync, hist)
	x.deferred = newDeferredRegistry(finalDeferred, hist)
	x.frames = userFrame(from)

	runErr := func() error {
		if fee != nil {
			if err := x.transfer(&from, nil, *fee); err != nil {
				return wrapOp(err, "could not spend the fee of %s from %s", *fee, from)
			}
		}
		ret, res, err := fn(x, from)
		if err != nil {
			return err
		}
		out.Result = ret
		used := maxGas - min(res.RemainingGas, maxGas)
		beforeLast := maxGas - min(res.GasBeforeLastCall, maxGas)
		out.GasCost = max(used, satAdd(beforeLast, c.cfg.MaxInstanceGas))
		return nil
	}()
	if runErr != nil {
		if !isOpError(runErr) {
			return ReadOnlyResult{}, runErr
		}
		out.Error = runErr.Error()
		out.Result, out.GasCost = nil, 0
	}
	out.Events = x.events
	out.LedgerChanges = x.led
	return out, nil
}
