package execution

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// runDeferredCalls is step 2 of a slot (protocol.md §4.2): the calls
// booked for it leave the registry, their storage fee goes back to their
// senders, and the non-cancelled ones run in index order. It returns the
// gas they had booked (taken from the slot's async budget) and only
// internal errors.
func (x *slotExec) runDeferredCalls() (uint64, error) {
	calls := x.deferred.slotCalls(x.slot)
	if len(calls) == 0 {
		return 0, nil
	}
	cst := x.c.cfg.DeferredCallCstGas
	idxs := slices.Sorted(func(yield func(uint64) bool) {
		for i := range calls {
			if !yield(i) {
				return
			}
		}
	})
	var booked uint64
	for _, i := range idxs {
		c := calls[i]
		var delta int64
		if !c.Cancelled {
			booked = satAdd(booked, c.effectiveGas(cst))
			delta = -int64(c.effectiveGas(cst))
		}
		x.deferred.set(c.key(), nil, delta)
	}
	for _, i := range idxs {
		c := calls[i]
		refund := min(deferredStorageFee(uint64(len(c.Params))), c.Fee)
		if err := x.release(c.Sender, refund, &x.supply.DeferredCoinsReleased); err != nil {
			return 0, err
		}
		if c.Cancelled || x.c.vm == nil {
			if !c.Cancelled {
				// Without a VM the call cannot run: its coins go back.
				if err := x.release(c.Sender, c.Coins, &x.supply.DeferredCoinsReleased); err != nil {
					return 0, err
				}
			}
			continue
		}
		what := fmt.Sprintf("deferred call %s", DeferredCallIDString(c.ID))
		failed, err := x.executeCall(c.Sender, c.Target, c.Coins, c.Function, c.Params, c.MaxGas, what)
		if err != nil {
			return 0, err
		}
		if failed {
			if err := x.release(c.Sender, c.Coins, &x.supply.DeferredCoinsReleased); err != nil {
				return 0, err
			}
		} else {
			x.supply.DeferredCoinsReleased = x.supply.DeferredCoinsReleased.SaturatingAdd(c.Coins)
		}
	}
	return booked, nil
}

// release credits coins held by the registry or the message pool back to
// addr, counting them in *released. An address that cannot be credited
// loses them.
func (x *slotExec) release(addr types.Address, coins types.Amount, released *types.Amount) error {
	err := x.transfer(nil, &addr, coins)
	switch {
	case err == nil:
		*released = released.SaturatingAdd(coins)
	case isOpError(err):
		x.c.log.Debug("coins could not be given back", "slot", x.slot, "address", addr, "coins", coins, "err", err)
	default:
		return err
	}
	return nil
}

// DeferredCallQuote implements vm.Host.
func (x *slotExec) DeferredCallQuote(target types.Slot, maxGas, paramsSize uint64) (types.Amount, bool) {
	return x.deferredQuote(target, maxGas, paramsSize)
}

// DeferredCallRegister implements vm.Host: the current address pays the
// coins (held) and the quoted fee (burnt, its storage part refunded at the
// target slot).
func (x *slotExec) DeferredCallRegister(d vm.DeferredCall) (string, error) {
	switch {
	case d.Slot.Thread >= x.c.cfg.threads():
		return "", &opError{"target slot thread exceeds the configuration thread count"}
	case !d.Target.SC:
		return "", &opError{"target address is not a smart contract address"}
	}
	fee, ok := x.deferredQuote(d.Slot, d.MaxGas, uint64(len(d.Params)))
	if !ok {
		return "", &opError{"the deferred call cannot be registered: ensure that the target slot is after the current slot, not too far in the future, and that it has max_gas available"}
	}
	sender := x.top().addr
	if err := x.transfer(&sender, nil, d.Coins.SaturatingAdd(fee)); err != nil {
		return "", hostErr(wrapOp(err, "could not pay the deferred call coins and fee"))
	}
	x.supply.DeferredCoinsHeld = x.supply.DeferredCoinsHeld.SaturatingAdd(d.Coins)
	x.supply.DeferredFeesBurnt = x.supply.DeferredFeesBurnt.SaturatingAdd(fee)
	index := uint64(len(x.deferred.slotCalls(d.Slot)))
	c := &DeferredCall{
		ID:         deferredCallID(d.Slot, index, x.trail),
		Sender:     sender,
		TargetSlot: d.Slot,
		Target:     d.Target,
		Function:   d.Function,
		Params:     slices.Clone(d.Params),
		Coins:      d.Coins,
		MaxGas:     d.MaxGas,
		Fee:        fee,
	}
	x.deferred.set(c.key(), c, int64(c.effectiveGas(x.c.cfg.DeferredCallCstGas)))
	return DeferredCallIDString(c.ID), nil
}

func (x *slotExec) deferredByID(id string) (*DeferredCall, error) {
	slot, index, err := parseDeferredCallID(id, x.c.cfg.threads())
	if err != nil {
		return nil, &opError{err.Error()}
	}
	c, ok := x.deferred.get(slot, index)
	if !ok || DeferredCallIDString(c.ID) != id {
		return nil, nil
	}
	return c, nil
}

// DeferredCallExists implements vm.Host: cancelled calls do not exist.
func (x *slotExec) DeferredCallExists(id string) (bool, error) {
	c, err := x.deferredByID(id)
	if err != nil {
		return false, err
	}
	return c != nil && !c.Cancelled, nil
}

// DeferredCallCancel implements vm.Host: only the sender may cancel; the
// coins go back at once, the fee is kept and the call stays registered
// (ignored) until its slot.
func (x *slotExec) DeferredCallCancel(id string) error {
	c, err := x.deferredByID(id)
	switch {
	case err != nil:
		return err
	case c == nil:
		return &opError{"deferred call " + id + " does not exist"}
	case c.Cancelled:
		return &opError{"deferred call " + id + " is already cancelled"}
	case c.Sender != x.top().addr:
		return &opError{fmt.Sprintf("only the sender %s may cancel deferred call %s", c.Sender, id)}
	}
	n := *c
	n.Cancelled = true
	x.deferred.set(n.key(), &n, -int64(n.effectiveGas(x.c.cfg.DeferredCallCstGas)))
	return hostErr(x.release(n.Sender, n.Coins, &x.supply.DeferredCoinsReleased))
}
