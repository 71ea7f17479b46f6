package ledger

import "errors"

var (
	// ErrBadKey is returned when a state key is not a well-formed ledger key.
	ErrBadKey = errors.New("ledger: bad key")
	// ErrBadValue is returned when a stored ledger value cannot be decoded.
	ErrBadValue = errors.New("ledger: bad value")
	// ErrCostOverflow is returned when a storage cost does not fit an Amount.
	ErrCostOverflow = errors.New("ledger: storage cost overflows")
	// ErrNoCheckpoint is returned by RevertTo for a checkpoint that is not
	// open (already reverted past, or from another Changes).
	ErrNoCheckpoint = errors.New("ledger: unknown checkpoint")
)
