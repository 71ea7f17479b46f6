package vm

import "github.com/gomassa/gomassa/internal/types"

// Host is the execution context a run works on: the call stack and the
// speculative state of the slot being executed. Package execution
// implements it; every state rule (write rights, storage costs, limits)
// lives there, the VM only decodes the contract's arguments and encodes
// the results.
//
// An error returned by a Host method fails the run; the VM returns it
// wrapped (errors.Is/As see through), so the host may tell its own
// internal failures from contract failures.
type Host interface {
	// Slot is the slot being executed; SlotTimestamp its time in ms.
	Slot() types.Slot
	SlotTimestamp() uint64
	ChainID() uint64
	// CallStack lists the frames' addresses, original caller first and
	// the current address last.
	CallStack() []types.Address
	// CurrentAddress is the last address of the call stack.
	CurrentAddress() types.Address
	// OwnedAddresses are the addresses the current frame may write: itself
	// and the addresses it created.
	OwnedAddresses() []types.Address
	// CallCoins are the coins sent with the current call.
	CallCoins() types.Amount
	// CallerHasWriteAccess reports whether the previous frame owns the
	// current address.
	CallerHasWriteAccess() bool
	// OriginOperationID is the operation that started the execution.
	OriginOperationID() (types.OperationID, bool)
	// OperationDatastore is the ExecuteSC datastore, visible only to the
	// frame it was given to (ok false elsewhere).
	OperationDatastore() ([]types.DatastoreEntry, bool)
	// UnsafeRandom draws from the slot's deterministic generator.
	UnsafeRandom() uint64

	// InitCall starts a call to target: moves coins from the current
	// address, pushes a frame, returns target's bytecode. FinishCall pops
	// it once the call returned.
	InitCall(target types.Address, coins types.Amount) ([]byte, error)
	FinishCall() error
	// CreateSC creates a smart contract owned by the current frame.
	CreateSC(bytecode []byte) (types.Address, error)
	SetBytecode(addr types.Address, bytecode []byte) error

	// Balance returns addr's balance, zero when it does not exist.
	Balance(addr types.Address) (types.Amount, error)
	Bytecode(addr types.Address) ([]byte, bool, error)
	DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error)
	// DatastoreKeys lists addr's keys starting with prefix in byte order;
	// ok is false when addr does not exist.
	DatastoreKeys(addr types.Address, prefix []byte) ([][]byte, bool, error)
	SetDatastore(addr types.Address, key, value []byte) error
	AppendDatastore(addr types.Address, key, value []byte) error
	DeleteDatastore(addr types.Address, key []byte) error
	// TransferCoins moves coins between addresses, checking write rights.
	TransferCoins(from, to types.Address, amount types.Amount) error
	// Emit emits an event of the current call.
	Emit(data string) error
	// SendMessage registers an asynchronous message from the current
	// address (protocol.md §4.1).
	SendMessage(m Message) error

	// Deferred calls (protocol.md §4.2). DeferredCallQuote prices booking
	// maxGas at slot (ok false: impossible); DeferredCallRegister books a
	// call paid by the current address and returns its id ("D..."); a
	// cancelled call does not exist; only its sender may cancel it.
	DeferredCallQuote(slot types.Slot, maxGas, paramsSize uint64) (fee types.Amount, ok bool)
	DeferredCallRegister(c DeferredCall) (id string, err error)
	DeferredCallExists(id string) (bool, error)
	DeferredCallCancel(id string) error
}

// DeferredCall is a call deferred_call_register books.
type DeferredCall struct {
	Target   types.Address
	Function string
	Slot     types.Slot
	MaxGas   uint64
	Params   []byte
	Coins    types.Amount
}

// Message is an asynchronous message as send_message gives it; the host
// checks it against the slot and the ledger.
type Message struct {
	Target        types.Address
	Function      string
	ValidityStart types.Slot
	ValidityEnd   types.Slot
	MaxGas        uint64
	Fee           types.Amount
	Coins         types.Amount
	Params        []byte
	// Filter, when set, keeps the message from running until a slot writes
	// to FilterAddress (and to FilterKey in its datastore, when set).
	FilterAddress *types.Address
	FilterKey     []byte
}
