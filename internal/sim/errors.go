package sim

import "errors"

var (
	// ErrConfig: the simulation's configuration is not usable.
	ErrConfig = errors.New("invalid simulation config")
	// ErrNodeStopped: a node's Run returned on its own (an error in its
	// main loop), or a node could not start.
	ErrNodeStopped = errors.New("node stopped")
	// ErrHang: a node did not go back to waiting for its clock within
	// HangTimeout of real time (a deadlock or an endless step).
	ErrHang = errors.New("node hangs")
	// ErrNodeDown: the operation needs a running node.
	ErrNodeDown = errors.New("node is down")
	// ErrInvariant: honest nodes disagree, or a node broke an invariant.
	ErrInvariant = errors.New("invariant violated")
)
