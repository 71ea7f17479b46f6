package execution

import "errors"

var (
	// ErrBadConfig reports unusable parameters.
	ErrBadConfig = errors.New("execution: invalid configuration")
	// ErrNotInitialized is returned by New on a store without genesis.
	ErrNotInitialized = errors.New("execution: final state not initialized (no genesis)")
	// ErrBroken is returned once a final commit failed half-way: the
	// in-memory state may differ from the store, the node must restart.
	ErrBroken = errors.New("execution: core stopped after a failed final commit")
	// ErrDraws wraps a selector error met while executing a missed slot.
	ErrDraws = errors.New("execution: producer draw unavailable")
	// ErrBadKey is returned when a stored execution key cannot be decoded.
	ErrBadKey = errors.New("execution: bad key")
	// ErrBadValue is returned when a stored execution value cannot be decoded.
	ErrBadValue = errors.New("execution: bad value")
	// ErrSCNotSupported is the failure of ExecuteSC and CallSC operations
	// while no VM is plugged in.
	ErrSCNotSupported = errors.New("smart contracts are not supported yet")
)

// opError is an operation-level failure: the operation is reverted and an
// error event emitted, the slot goes on. Every other error met while
// executing a slot is internal (a store read failed, an invariant broke)
// and aborts the slot.
type opError struct{ msg string }

func (e *opError) Error() string { return e.msg }

func isOpError(err error) bool {
	var oe *opError
	return errors.As(err, &oe)
}
