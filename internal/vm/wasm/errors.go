package wasm

import "errors"

var (
	// ErrMalformed reports bytes that are not a well-formed module.
	ErrMalformed = errors.New("wasm: malformed module")
	// ErrUnsupported reports a well-formed module using a feature the
	// runtime does not accept (an opcode outside the supported set, a
	// memory or global import, shared memory, too many pages).
	ErrUnsupported = errors.New("wasm: unsupported module")
	// ErrTooLarge reports a count or size beyond the parser's bounds.
	ErrTooLarge = errors.New("wasm: module too large")
)
