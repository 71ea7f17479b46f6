package execution

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/vm"
)

// callFrame is one level of the call stack (Massa's ExecutionStackElement).
type callFrame struct {
	addr  types.Address
	coins types.Amount
	// owned are the addresses the frame may write and spend from: its own
	// address and the contracts it created.
	owned []types.Address
	// opDS is the ExecuteSC datastore, visible to the operation's frame
	// only (hasDS).
	opDS  []types.DatastoreEntry
	hasDS bool
}

// internalError marks a failure of the node (a store read) met by a host
// function: it must abort the slot, not fail the operation.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// hostErr passes operation-level errors as they are and marks the others
// as internal before they travel through the VM.
func hostErr(err error) error {
	if err == nil || isOpError(err) {
		return err
	}
	var ie *internalError
	if errors.As(err, &ie) {
		return err
	}
	return &internalError{err}
}

// vmError turns the error of a VM run into the operation's error: an
// internal failure is returned as is (the slot aborts), anything else
// becomes an operation failure prefixed with context.
func vmError(err error, context string) error {
	var ie *internalError
	if errors.As(err, &ie) {
		return ie.err
	}
	return &opError{context + ": " + err.Error()}
}

// slotExec implements vm.Host for the VM.
var _ vm.Host = (*slotExec)(nil)

// Slot implements vm.Host.
func (x *slotExec) Slot() types.Slot { return x.slot }

// SlotTimestamp implements vm.Host.
func (x *slotExec) SlotTimestamp() uint64 { return x.c.cfg.SlotTimestamp(x.slot) }

// ChainID implements vm.Host.
func (x *slotExec) ChainID() uint64 { return x.c.cfg.ChainID }

// CallStack implements vm.Host.
func (x *slotExec) CallStack() []types.Address {
	out := make([]types.Address, len(x.frames))
	for i, f := range x.frames {
		out[i] = f.addr
	}
	return out
}

func (x *slotExec) top() *callFrame {
	if len(x.frames) == 0 {
		// The VM only runs inside an operation, message or request, which
		// always sets the stack.
		panic("execution: host function called with an empty call stack")
	}
	return &x.frames[len(x.frames)-1]
}

// CurrentAddress implements vm.Host.
func (x *slotExec) CurrentAddress() types.Address { return x.top().addr }

// OwnedAddresses implements vm.Host.
func (x *slotExec) OwnedAddresses() []types.Address { return slices.Clone(x.top().owned) }

// CallCoins implements vm.Host.
func (x *slotExec) CallCoins() types.Amount { return x.top().coins }

// CallerHasWriteAccess implements vm.Host: the previous frame (or the
// only one) owns the current address.
func (x *slotExec) CallerHasWriteAccess() bool {
	cur := x.top().addr
	caller := x.top()
	if n := len(x.frames); n >= 2 {
		caller = &x.frames[n-2]
	}
	return slices.Contains(caller.owned, cur)
}

// OriginOperationID implements vm.Host.
func (x *slotExec) OriginOperationID() (types.OperationID, bool) {
	if x.origin == nil {
		return types.OperationID{}, false
	}
	return *x.origin, true
}

// OperationDatastore implements vm.Host.
func (x *slotExec) OperationDatastore() ([]types.DatastoreEntry, bool) {
	t := x.top()
	return t.opDS, t.hasDS
}

// UnsafeRandom implements vm.Host.
func (x *slotExec) UnsafeRandom() uint64 { return x.rng.next() }

// canWrite reports whether the current frame may write addr.
func (x *slotExec) canWrite(addr types.Address) bool {
	return slices.Contains(x.top().owned, addr)
}

// checkTargetSC fails unless addr is an existing smart contract.
func (x *slotExec) checkTargetSC(addr types.Address) error {
	if !addr.SC {
		return &opError{fmt.Sprintf("the target address %s is not a smart contract address", addr)}
	}
	ok, err := x.view.Exists(addr)
	if err != nil {
		return err
	}
	if !ok {
		return &opError{fmt.Sprintf("the target address %s does not exist", addr)}
	}
	return nil
}

// InitCall implements vm.Host: coins move from the current address to the
// target (no write-right check: the target is an SC), then a frame owning
// only the target is pushed.
func (x *slotExec) InitCall(target types.Address, coins types.Amount) ([]byte, error) {
	if err := x.checkTargetSC(target); err != nil {
		return nil, hostErr(err)
	}
	code, ok, err := x.view.Bytecode(target)
	if err != nil {
		return nil, hostErr(err)
	}
	if !ok {
		return nil, &opError{fmt.Sprintf("bytecode not found for address %s", target)}
	}
	from := x.top().addr
	if err := x.transfer(&from, &target, coins); err != nil {
		return nil, hostErr(wrapOp(err, "error transferring %s coins from %s to %s", coins, from, target))
	}
	x.frames = append(x.frames, callFrame{addr: target, coins: coins, owned: []types.Address{target}})
	return code, nil
}

// FinishCall implements vm.Host.
func (x *slotExec) FinishCall() error {
	if len(x.frames) <= 1 {
		return &opError{"call stack out of bounds"}
	}
	x.frames = x.frames[:len(x.frames)-1]
	return nil
}

// CreateSC implements vm.Host: a new address from BLAKE3 tuple
// ("SC_ADDRESS", trail hash, created address index, nonce) (protocol.md
// §3.8), paid by the current address (entry cost plus bytecode storage)
// and owned by the current frame from then on.
func (x *slotExec) CreateSC(bytecode []byte) (types.Address, error) {
	creator := x.top().addr
	if len(bytecode) > types.MaxBytecodeLength {
		return types.Address{}, &opError{fmt.Sprintf("couldn't create new SC address: bytecode of %d bytes exceeds the maximum %d", len(bytecode), types.MaxBytecodeLength)}
	}
	var idx [8]byte
	putU64BE(idx[:], x.createdAddr)
	var addr types.Address
	for nonce := uint64(0); ; nonce++ {
		var n [8]byte
		putU64BE(n[:], nonce)
		addr = types.Address{SC: true, Hash: crypto.HashOfTuple([]byte("SC_ADDRESS"), x.trail[:], idx[:], n[:])}
		exists, err := x.view.Exists(addr)
		if err != nil {
			return types.Address{}, hostErr(err)
		}
		if !exists {
			break
		}
	}
	cost, err := ledger.SCCreationCost(len(bytecode))
	if err != nil {
		return types.Address{}, &opError{err.Error()}
	}
	if err := x.transfer(&creator, nil, cost); err != nil {
		return types.Address{}, hostErr(wrapOp(err, "couldn't create new SC address"))
	}
	x.supply.StorageCharged = x.supply.StorageCharged.SaturatingAdd(cost)
	x.led.CreateEntry(addr)
	x.led.SetBytecode(addr, slices.Clone(bytecode))
	x.top().owned = append(x.top().owned, addr)
	x.createdAddr++
	return addr, nil
}

// SetBytecode implements vm.Host: only an owned smart contract; the
// current address pays (or is refunded) the size difference.
func (x *slotExec) SetBytecode(addr types.Address, bytecode []byte) error {
	if !x.canWrite(addr) {
		return &opError{fmt.Sprintf("couldn't set address %s bytecode: not allowed in this context", addr)}
	}
	if !addr.SC {
		return &opError{fmt.Sprintf("couldn't set address %s bytecode: it is a user address", addr)}
	}
	if len(bytecode) > types.MaxBytecodeLength {
		return &opError{fmt.Sprintf("couldn't set address %s bytecode: %d bytes exceed the maximum %d", addr, len(bytecode), types.MaxBytecodeLength)}
	}
	old, ok, err := x.view.Bytecode(addr)
	if err != nil {
		return hostErr(err)
	}
	if !ok {
		return &opError{fmt.Sprintf("couldn't set address %s bytecode: entry does not exist", addr)}
	}
	if err := x.payStorage(x.top().addr, uint64(len(old)), uint64(len(bytecode))); err != nil {
		return hostErr(err)
	}
	x.led.SetBytecode(addr, slices.Clone(bytecode))
	return nil
}

// Balance implements vm.Host.
func (x *slotExec) Balance(addr types.Address) (types.Amount, error) {
	b, _, err := x.view.Balance(addr)
	return b, hostErr(err)
}

// Bytecode implements vm.Host.
func (x *slotExec) Bytecode(addr types.Address) ([]byte, bool, error) {
	code, ok, err := x.view.Bytecode(addr)
	return code, ok, hostErr(err)
}

// DatastoreValue implements vm.Host.
func (x *slotExec) DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error) {
	v, ok, err := x.view.DatastoreValue(addr, key)
	return v, ok, hostErr(err)
}

// DatastoreKeys implements vm.Host.
func (x *slotExec) DatastoreKeys(addr types.Address, prefix []byte) ([][]byte, bool, error) {
	keys, ok, err := x.view.DatastoreKeys(addr, ledger.KeyRange{Prefix: prefix})
	return keys, ok, hostErr(err)
}

// SetDatastore implements vm.Host: writes a datastore entry of an owned
// address; the current address pays the storage difference.
func (x *slotExec) SetDatastore(addr types.Address, key, value []byte) error {
	if !x.canWrite(addr) {
		return &opError{fmt.Sprintf("writing in the datastore of address %s is not allowed in this context", addr)}
	}
	return hostErr(x.setDatastore(x.top().addr, addr, key, value))
}

func (x *slotExec) setDatastore(payer, addr types.Address, key, value []byte) error {
	if len(key) == 0 || len(key) > ledger.MaxDatastoreKeyLength {
		return &opError{fmt.Sprintf("datastore key of %d bytes is not in [1, %d]", len(key), ledger.MaxDatastoreKeyLength)}
	}
	if len(value) > ledger.MaxDatastoreValueLength {
		return &opError{fmt.Sprintf("datastore value of %d bytes > %d", len(value), ledger.MaxDatastoreValueLength)}
	}
	exists, err := x.view.Exists(addr)
	if err != nil {
		return err
	}
	if !exists {
		return &opError{fmt.Sprintf("could not set data for address %s: entry does not exist", addr)}
	}
	old, had, err := x.view.DatastoreValue(addr, key)
	if err != nil {
		return err
	}
	var oldSize uint64
	if had {
		oldSize = ledger.DatastoreEntrySize(len(key), len(old))
	}
	if err := x.payStorage(payer, oldSize, ledger.DatastoreEntrySize(len(key), len(value))); err != nil {
		return err
	}
	x.led.SetDatastore(addr, slices.Clone(key), slices.Clone(value))
	return nil
}

// AppendDatastore implements vm.Host.
func (x *slotExec) AppendDatastore(addr types.Address, key, value []byte) error {
	if !x.canWrite(addr) {
		return &opError{fmt.Sprintf("appending to the datastore of address %s is not allowed in this context", addr)}
	}
	old, ok, err := x.view.DatastoreValue(addr, key)
	if err != nil {
		return hostErr(err)
	}
	if !ok {
		return &opError{fmt.Sprintf("appending to the datastore of address %s failed: entry %x not found", addr, key)}
	}
	return hostErr(x.setDatastore(x.top().addr, addr, key, append(slices.Clone(old), value...)))
}

// DeleteDatastore implements vm.Host: deletes an entry of an owned address
// and refunds its storage cost to the current address.
func (x *slotExec) DeleteDatastore(addr types.Address, key []byte) error {
	if !x.canWrite(addr) {
		return &opError{fmt.Sprintf("deleting from the datastore of address %s is not allowed in this context", addr)}
	}
	old, had, err := x.view.DatastoreValue(addr, key)
	if err != nil {
		return hostErr(err)
	}
	if !had {
		return &opError{fmt.Sprintf("could not delete data entry %x for address %s: entry does not exist", key, addr)}
	}
	if err := x.payStorage(x.top().addr, ledger.DatastoreEntrySize(len(key), len(old)), 0); err != nil {
		return hostErr(err)
	}
	x.led.DeleteDatastore(addr, slices.Clone(key))
	return nil
}

// TransferCoins implements vm.Host: the current frame may spend only from
// the addresses it owns, and credit a smart contract only if it owns it.
func (x *slotExec) TransferCoins(from, to types.Address, amount types.Amount) error {
	if !x.canWrite(from) {
		return &opError{fmt.Sprintf("spending from address %s is not allowed in this context", from)}
	}
	if to.SC && !x.canWrite(to) {
		return &opError{fmt.Sprintf("crediting SC address %s is not allowed without write access to it", to)}
	}
	return hostErr(x.transfer(&from, &to, amount))
}

// payStorage charges or refunds payer for a storage size change.
func (x *slotExec) payStorage(payer types.Address, oldBytes, newBytes uint64) error {
	charge, refund, err := ledger.CostDelta(oldBytes, newBytes)
	if err != nil {
		return &opError{err.Error()}
	}
	switch {
	case charge > 0:
		if err := x.transfer(&payer, nil, charge); err != nil {
			return wrapOp(err, "could not pay the storage cost")
		}
		x.supply.StorageCharged = x.supply.StorageCharged.SaturatingAdd(charge)
	case refund > 0:
		if err := x.transfer(nil, &payer, refund); err != nil {
			return err
		}
		x.supply.StorageRefunded = x.supply.StorageRefunded.SaturatingAdd(refund)
	}
	return nil
}

// Emit implements vm.Host: a contract event, within the size and count
// limits of an execution.
func (x *slotExec) Emit(data string) error {
	if len(data) > x.c.cfg.MaxEventDataSize {
		return &opError{fmt.Sprintf("event data size is too large: %d bytes > %d", len(data), x.c.cfg.MaxEventDataSize)}
	}
	x.userEvents++
	if x.userEvents > x.c.cfg.MaxEventsPerOperation {
		return &opError{fmt.Sprintf("too many events for this operation: more than %d", x.c.cfg.MaxEventsPerOperation)}
	}
	x.emit(data, false)
	return nil
}

// SendMessage implements vm.Host (protocol.md §4.1): the sender (current
// address) pays the coins, held by the pool, and the fee, burnt.
func (x *slotExec) SendMessage(m vm.Message) error {
	threads := x.c.cfg.threads()
	switch {
	case m.ValidityStart.Thread >= threads:
		return &opError{"validity start thread exceeds the configuration thread count"}
	case m.ValidityEnd.Thread >= threads:
		return &opError{"validity end thread exceeds the configuration thread count"}
	case !m.Target.SC:
		return &opError{"target address is not a smart contract address"}
	case m.ValidityEnd.Less(m.ValidityStart):
		return &opError{"validity end is earlier than the validity start"}
	case m.ValidityEnd.Less(x.slot):
		return &opError{"validity end is earlier than the current slot"}
	}
	sender := x.top().addr
	if err := x.transfer(&sender, nil, m.Coins); err != nil {
		return hostErr(wrapOp(err, "could not pay the message coins"))
	}
	if err := x.transfer(&sender, nil, m.Fee); err != nil {
		return hostErr(wrapOp(err, "could not pay the message fee"))
	}
	x.supply.AsyncCoinsHeld = x.supply.AsyncCoinsHeld.SaturatingAdd(m.Coins)
	x.supply.AsyncFeesBurnt = x.supply.AsyncFeesBurnt.SaturatingAdd(m.Fee)
	msg := &AsyncMessage{
		EmissionSlot:  x.slot,
		EmissionIndex: x.createdMsg,
		Sender:        sender,
		Destination:   m.Target,
		Function:      m.Function,
		MaxGas:        m.MaxGas,
		Fee:           m.Fee,
		Coins:         m.Coins,
		ValidityStart: m.ValidityStart,
		ValidityEnd:   m.ValidityEnd,
		Params:        slices.Clone(m.Params),
		CanBeExecuted: m.FilterAddress == nil,
	}
	if m.FilterAddress != nil {
		msg.Trigger = &AsyncTrigger{Address: *m.FilterAddress, Key: slices.Clone(m.FilterKey)}
	}
	x.createdMsg++
	x.async.add(msg)
	return nil
}

func putU64BE(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}
