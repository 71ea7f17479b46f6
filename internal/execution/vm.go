package execution

import "github.com/gomassa/gomassa/internal/types"

// VM runs smart-contract bytecode; the wazero runtime and the Massa host
// ABI implement it in a later package. With no VM, ExecuteSC and CallSC
// operations fail (after their fee is paid) with ErrSCNotSupported.
//
// A returned error fails the operation: execution reverts every change the
// call made through Host and emits the error event. Gas accounting and
// call depth are the VM's business.
type VM interface {
	// RunMain runs the main function of a bytecode sent by ExecuteSC.
	RunMain(h Host, bytecode []byte, maxGas uint64) error
	// RunFunction calls function(param) of the bytecode of a CallSC target.
	RunFunction(h Host, bytecode []byte, function string, param []byte, maxGas uint64) error
}

// Host is the state a VM call works on: the speculative state of the slot
// being executed. It is the seed of the host ABI; the VM issue extends it
// (address creation, async messages, deferred calls, ...).
type Host interface {
	// Slot is the slot being executed.
	Slot() types.Slot
	// CallStack lists the call's addresses, original caller first.
	CallStack() []types.Address
	// OperationDatastore is the datastore of the ExecuteSC operation.
	OperationDatastore() []types.DatastoreEntry

	Balance(addr types.Address) (types.Amount, bool, error)
	Bytecode(addr types.Address) ([]byte, bool, error)
	DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error)
	// Transfer moves coins from an address the call may spend from.
	Transfer(from, to types.Address, amount types.Amount) error
	// SetDatastore and DeleteDatastore write the current address's
	// datastore, charging or refunding the storage cost to it.
	SetDatastore(key, value []byte) error
	DeleteDatastore(key []byte) error
	// Emit emits an event from the current call.
	Emit(data string)
}
