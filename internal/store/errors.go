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
	// ErrLoadInProgress is returned by Commit and BeginLoad while a bulk
	// load is unfinished (resume it with ResumeLoad, or Wipe the store).
	ErrLoadInProgress = errors.New("store: bulk load in progress")
	// ErrNoLoad is returned by ResumeLoad when no bulk load is in progress.
	ErrNoLoad = errors.New("store: no bulk load in progress")
	// ErrNotEmpty is returned by BeginLoad on a store that holds a state.
	ErrNotEmpty = errors.New("store: not empty")
	// ErrKeyOrder is returned by Loader.Put for a key that does not sort
	// strictly after the previous one.
	ErrKeyOrder = errors.New("store: bulk load keys out of order")
	// ErrLoaderClosed is returned by a Loader used after Finish or Close.
	ErrLoaderClosed = errors.New("store: loader closed")
)
