package execution

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/types"
)

// slotExec implements Host for the VM.
var _ Host = (*slotExec)(nil)

// Slot implements Host.
func (x *slotExec) Slot() types.Slot { return x.slot }

// CallStack implements Host.
func (x *slotExec) CallStack() []types.Address { return append([]types.Address(nil), x.stack...) }

// OperationDatastore implements Host.
func (x *slotExec) OperationDatastore() []types.DatastoreEntry { return x.opDS }

// Balance implements Host.
func (x *slotExec) Balance(addr types.Address) (types.Amount, bool, error) {
	return x.view.Balance(addr)
}

// Bytecode implements Host.
func (x *slotExec) Bytecode(addr types.Address) ([]byte, bool, error) {
	return x.view.Bytecode(addr)
}

// DatastoreValue implements Host.
func (x *slotExec) DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error) {
	return x.view.DatastoreValue(addr, key)
}

func (x *slotExec) current() (types.Address, error) {
	if len(x.stack) == 0 {
		return types.Address{}, &opError{"empty call stack"}
	}
	return x.stack[len(x.stack)-1], nil
}

// Transfer implements Host: only the current address may spend.
func (x *slotExec) Transfer(from, to types.Address, amount types.Amount) error {
	cur, err := x.current()
	if err != nil {
		return err
	}
	if from != cur {
		return &opError{fmt.Sprintf("spending from address %s is not allowed in this context", from)}
	}
	return x.transfer(&from, &to, amount)
}

// SetDatastore implements Host: writes the current address's datastore,
// charging it the storage cost difference (protocol.md §3.3).
func (x *slotExec) SetDatastore(key, value []byte) error {
	cur, err := x.current()
	if err != nil {
		return err
	}
	if len(key) == 0 || len(key) > ledger.MaxDatastoreKeyLength {
		return &opError{fmt.Sprintf("datastore key of %d bytes is not in [1, %d]", len(key), ledger.MaxDatastoreKeyLength)}
	}
	if len(value) > ledger.MaxDatastoreValueLength {
		return &opError{fmt.Sprintf("datastore value of %d bytes > %d", len(value), ledger.MaxDatastoreValueLength)}
	}
	exists, err := x.view.Exists(cur)
	if err != nil {
		return err
	}
	if !exists {
		return &opError{fmt.Sprintf("could not set data for address %s: entry does not exist", cur)}
	}
	old, had, err := x.view.DatastoreValue(cur, key)
	if err != nil {
		return err
	}
	var oldSize uint64
	if had {
		oldSize = ledger.DatastoreEntrySize(len(key), len(old))
	}
	if err := x.payStorage(cur, oldSize, ledger.DatastoreEntrySize(len(key), len(value))); err != nil {
		return err
	}
	x.led.SetDatastore(cur, append([]byte(nil), key...), append([]byte(nil), value...))
	return nil
}

// DeleteDatastore implements Host: deletes a key of the current address
// and refunds its storage cost.
func (x *slotExec) DeleteDatastore(key []byte) error {
	cur, err := x.current()
	if err != nil {
		return err
	}
	old, had, err := x.view.DatastoreValue(cur, key)
	if err != nil {
		return err
	}
	if !had {
		return &opError{fmt.Sprintf("could not delete data entry %x for address %s: entry does not exist", key, cur)}
	}
	if err := x.payStorage(cur, ledger.DatastoreEntrySize(len(key), len(old)), 0); err != nil {
		return err
	}
	x.led.DeleteDatastore(cur, append([]byte(nil), key...))
	return nil
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
			return err
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

// Emit implements Host.
func (x *slotExec) Emit(data string) { x.emit(data, false) }
