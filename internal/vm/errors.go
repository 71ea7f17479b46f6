package vm

import "errors"

var (
	// ErrBadConfig reports unusable VM parameters.
	ErrBadConfig = errors.New("vm: invalid configuration")
	// ErrOutOfGas is a run that used up its gas.
	ErrOutOfGas = errors.New("not enough gas")
	// ErrBytecode reports bytecode that cannot be run: too short, of an
	// unknown or unsupported flavour, malformed, or rejected by the
	// compiler.
	ErrBytecode = errors.New("invalid bytecode")
	// ErrFunction reports a call to a function the module does not export,
	// or exports with an unsupported signature.
	ErrFunction = errors.New("invalid function")
	// ErrExecution is a failure of the contract itself: a trap, an abort,
	// a host function refusing its arguments.
	ErrExecution = errors.New("execution error")
	// ErrDepth is a call chain deeper than the limit (25 in Massa).
	ErrDepth = errors.New("recursion depth limit reached")
	// ErrNotSupported is an ABI function this runtime does not implement.
	ErrNotSupported = errors.New("not supported by this node")
)
