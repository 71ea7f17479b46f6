package store

import "errors"

var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("store: closed")
	// ErrSlotNotIncreasing is returned by Commit when the new final slot is
	// not strictly after the current one: the change id must increase.
	ErrSlotNotIncreasing = errors.New("store: final slot does not increase")
	// ErrInvalidKey is returned for an empty key or a key (or prefix) that
	// would reach into the metadata area.
	ErrInvalidKey = errors.New("store: invalid state key")
	// ErrCorrupt is returned when the metadata on disk cannot be decoded or
	// does not fit the state it describes.
	ErrCorrupt = errors.New("store: corrupt metadata")
	// ErrStateHashMismatch is returned by Verify when the incrementally
	// maintained state hash differs from a full recomputation.
	ErrStateHashMismatch = errors.New("store: state hash mismatch")
)
