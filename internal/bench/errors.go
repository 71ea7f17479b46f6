package bench

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrProcFormat: a /proc file does not have the expected layout.
	ErrProcFormat = errors.New("unexpected /proc file format")
	// ErrBadOptions: the options of a run are inconsistent.
	ErrBadOptions = errors.New("invalid bench options")
	// ErrNodeExited: the sandbox node process ended during the run.
	ErrNodeExited = errors.New("node process exited")
	// ErrNodeStart: the sandbox node could not be started.
	ErrNodeStart = errors.New("cannot start the node")
	// ErrFunding: senders could not be funded from the given key.
	ErrFunding = errors.New("cannot fund the senders")
	// ErrRPC: the node answered something that is not the expected JSON-RPC result.
	ErrRPC = errors.New("unexpected JSON-RPC answer")
)
