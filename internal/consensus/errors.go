package consensus

import "errors"

// Sentinel errors of the consensus core. Discard.Err wraps one of them with
// the details of the check that failed; callers test them with errors.Is.
var (
	// ErrDrawsNotReady is what a Draws implementation returns when the
	// selector has not computed the draws of a slot yet. The block then
	// waits for its slot and is checked again on a later Tick. Any other
	// Draws error is handled the same way, as Massa does.
	ErrDrawsNotReady = errors.New("draws not ready")
	// ErrBadParams reports unusable consensus parameters.
	ErrBadParams = errors.New("invalid consensus parameters")
	// ErrMalformedHeader reports a header whose shape does not fit the
	// network parameters (thread, parent count, endorsement indices).
	ErrMalformedHeader = errors.New("malformed header")
	// ErrWrongProducer reports a creator that was not drawn for the slot.
	ErrWrongProducer = errors.New("creator was not drawn to produce this slot")
	// ErrWrongEndorser reports an endorsement whose creator was not drawn
	// for its (slot, index).
	ErrWrongEndorser = errors.New("endorser was not drawn for this slot and index")
	// ErrBadParent reports a parent in the wrong thread or not older than
	// the block.
	ErrBadParent = errors.New("parent in the wrong thread or not older than the block")
	// ErrIncompatibleParents reports parents that are not mutually
	// compatible.
	ErrIncompatibleParents = errors.New("parents are not mutually compatible")
	// ErrGrandpa reports parents that are not topologically consistent: a
	// parent older than a block of its thread that another parent builds
	// on.
	ErrGrandpa = errors.New("parents are not topologically consistent")
	// ErrIncompatibleWithParent reports a block incompatible with one of its
	// own parents.
	ErrIncompatibleWithParent = errors.New("block is incompatible with one of its parents")
	// ErrInvalidDependency reports a block that builds on an invalid block.
	ErrInvalidDependency = errors.New("depends on an invalid block")
	// ErrStale reports a block that cannot join the blockclique any more.
	ErrStale = errors.New("stale block")
	// ErrPrunedFinal is the reason of a final block dropped by pruning.
	ErrPrunedFinal = errors.New("final block pruned from the graph")
	// ErrInvariant reports a broken internal invariant found by
	// CheckInvariants.
	ErrInvariant = errors.New("consensus invariant broken")
)
