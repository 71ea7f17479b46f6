package store

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Snapshot is a consistent read-only view of the store: its state keys,
// final slot and state hash all belong to the same commit. Bootstrap
// streaming reads from one so that the state it sends matches the slot it
// announces. A Snapshot must be closed; Store.Close waits for it.
type Snapshot struct {
	s    *Store
	snap *pebble.Snapshot
	slot Slot
	has  bool
	hash StateHash
}

// Snapshot opens a view of the last committed state.
func (s *Store) Snapshot() (*Snapshot, error) {
	// commitMu makes the Pebble snapshot and the in-memory slot and hash
	// refer to the same commit.
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	snap := &Snapshot{s: s, slot: s.slot, has: s.hasSlot, hash: s.hash}
	s.mu.RUnlock()
	snap.snap = s.db.NewSnapshot()
	return snap, nil
}

// Close releases the view. It is safe to call more than once.
func (sn *Snapshot) Close() error {
	if sn.snap == nil {
		return nil
	}
	err := sn.snap.Close()
	sn.snap = nil
	sn.s.release()
	return err
}

// FinalSlot returns the final slot of the view; ok is false on a fresh store.
func (sn *Snapshot) FinalSlot() (Slot, bool) { return sn.slot, sn.has }

// StateHash returns the state hash of the view.
func (sn *Snapshot) StateHash() StateHash { return sn.hash }

// Fingerprint returns BLAKE3-256 of the view's state hash.
func (sn *Snapshot) Fingerprint() crypto.Hash { return Fingerprint(sn.hash) }

// Get returns a copy of key's value in the view.
func (sn *Snapshot) Get(key []byte) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	if sn.snap == nil {
		return nil, false, ErrClosed
	}
	return get(sn.snap, key)
}

// Iterate is Store.Iterate over the view.
func (sn *Snapshot) Iterate(prefix, startAfter []byte, fn func(k, v []byte) bool) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	if sn.snap == nil {
		return ErrClosed
	}
	return iterate(sn.snap, prefix, startAfter, fn)
}

// RecomputeStateHash scans the view and returns its state hash from scratch.
func (sn *Snapshot) RecomputeStateHash() (StateHash, error) {
	if sn.snap == nil {
		return StateHash{}, ErrClosed
	}
	return recompute(sn.snap)
}
