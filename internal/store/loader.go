package store

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/crypto"
)

// A bulk load writes a whole final state received from elsewhere (a
// bootstrap server) into an empty store, in key order, part by part:
//
//	l, _ := st.BeginLoad(slot, tag)  // or st.ResumeLoad() after a restart
//	l.Put(k, v) ...; l.Flush()       // one part: atomic, resumable
//	l.Finish(fingerprint)            // the store now has final slot `slot`
//
// While a load is in progress the store has no final slot and Commit
// refuses to run, so that nothing (a genesis write, execution) can mix
// its writes into a partial state. Each Flush writes the part's pairs and
// a progress record (slot, last key, partial state hash, counters, the
// caller's tag) in one Pebble batch, so after a kill the store holds the
// state up to the last flushed key and the hash of exactly those pairs:
// ResumeLoad continues from there. Finish checks the hash against the one
// the source announced and turns the progress record into the ordinary
// metadata record atomically.
//
// Flushes are not fsynced (a process kill loses nothing Pebble has
// accepted; a power loss may lose the last parts, and the WAL order keeps
// pairs and progress records consistent); Finish is.

// loadKey holds the progress record of a bulk load in progress. It lives in
// the metadata area, outside the state hash, and exists only during a load.
var loadKey = []byte{metaByte, 'l'}

// loadVersion is the format version of the progress record.
const loadVersion = 1

// maxLoadTag bounds the caller's tag stored in the progress record.
const maxLoadTag = 4096

// LoadProgress describes a bulk load in progress.
type LoadProgress struct {
	// Slot is the final slot of the state being loaded.
	Slot Slot
	// LastKey is the last key written (nil before the first Flush with
	// pairs); the next key must sort strictly after it.
	LastKey []byte
	// Entries and Bytes count the pairs (and their key+value bytes)
	// flushed so far.
	Entries uint64
	Bytes   uint64
	// Tag is the caller's data given to BeginLoad (bootstrap stores the
	// server it loads from).
	Tag []byte
}

// loadRecord is the on-disk form of a load in progress.
type loadRecord struct {
	LoadProgress
	hash StateHash
}

func encodeLoad(r *loadRecord) []byte {
	b := make([]byte, 0, 1+SlotKeySize+crypto.XOFSize+8+8+4+len(r.LastKey)+4+len(r.Tag))
	b = append(b, loadVersion)
	k := r.Slot.Key()
	b = append(b, k[:]...)
	b = append(b, r.hash[:]...)
	b = binary.BigEndian.AppendUint64(b, r.Entries)
	b = binary.BigEndian.AppendUint64(b, r.Bytes)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.LastKey)))
	b = append(b, r.LastKey...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Tag)))
	return append(b, r.Tag...)
}

// decodeLoad parses a progress record read from disk: sizes are checked
// before slicing and nothing may trail.
func decodeLoad(b []byte) (*loadRecord, error) {
	const fixed = 1 + SlotKeySize + crypto.XOFSize + 8 + 8 + 4
	bad := func(what string) error { return fmt.Errorf("%w: load progress record: %s", ErrCorrupt, what) }
	if len(b) < fixed+4 {
		return nil, bad(fmt.Sprintf("%d bytes, want at least %d", len(b), fixed+4))
	}
	if b[0] != loadVersion {
		return nil, bad(fmt.Sprintf("version %d, want %d", b[0], loadVersion))
	}
	slot, err := decodeSlot(b[1 : 1+SlotKeySize])
	if err != nil {
		return nil, err
	}
	r := &loadRecord{}
	r.Slot = slot
	off := 1 + SlotKeySize
	copy(r.hash[:], b[off:off+crypto.XOFSize])
	off += crypto.XOFSize
	r.Entries = binary.BigEndian.Uint64(b[off:])
	r.Bytes = binary.BigEndian.Uint64(b[off+8:])
	off += 16
	kl := int(binary.BigEndian.Uint32(b[off:]))
	off += 4
	if kl > len(b)-off-4 {
		return nil, bad("last key overruns the record")
	}
	if kl > 0 {
		r.LastKey = bytes.Clone(b[off : off+kl])
		if err := checkKey(r.LastKey); err != nil {
			return nil, bad(err.Error())
		}
	}
	off += kl
	tl := int(binary.BigEndian.Uint32(b[off:]))
	off += 4
	if tl > maxLoadTag || tl != len(b)-off {
		return nil, bad("tag length does not match the record")
	}
	r.Tag = bytes.Clone(b[off:])
	return r, nil
}

// LoadInProgress returns the progress of an unfinished bulk load.
func (s *Store) LoadInProgress() (LoadProgress, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.load == nil {
		return LoadProgress{}, false
	}
	p := s.load.LoadProgress
	p.LastKey, p.Tag = bytes.Clone(p.LastKey), bytes.Clone(p.Tag)
	return p, true
}

// Loader writes a bulk load. It is not safe for concurrent use; only one
// exists per store at a time.
type Loader struct {
	s      *Store
	rec    loadRecord
	batch  *pebble.Batch
	hasher pairHasher
	// pending counts pairs put since the last Flush.
	pending int
	done    bool
}

// BeginLoad starts a bulk load of the state of final slot slot into an
// empty store (no final slot, no state key, no load in progress). tag is
// kept with the progress (at most 4 KiB) for the caller to read back with
// LoadInProgress.
func (s *Store) BeginLoad(slot Slot, tag []byte) (*Loader, error) {
	if len(tag) > maxLoadTag {
		return nil, fmt.Errorf("%w: load tag of %d bytes, more than %d", ErrInvalidKey, len(tag), maxLoadTag)
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	s.mu.RLock()
	has, loading, busy := s.hasSlot, s.load != nil, s.loader != nil
	s.mu.RUnlock()
	switch {
	case busy:
		return nil, fmt.Errorf("%w: another loader is open", ErrLoadInProgress)
	case loading:
		return nil, fmt.Errorf("%w: resume it or wipe the store", ErrLoadInProgress)
	case has:
		return nil, fmt.Errorf("%w: the store already has final slot %v", ErrNotEmpty, s.slot)
	}
	empty, err := s.stateEmpty()
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, fmt.Errorf("%w: state keys present", ErrNotEmpty)
	}
	rec := loadRecord{LoadProgress: LoadProgress{Slot: slot, Tag: bytes.Clone(tag)}}
	if err := s.db.Set(loadKey, encodeLoad(&rec), s.wopts); err != nil {
		return nil, fmt.Errorf("store: begin load: %w", err)
	}
	l := &Loader{s: s, rec: rec, batch: s.db.NewBatch(), hasher: newPairHasher()}
	s.mu.Lock()
	s.load, s.loader = &rec, l
	s.mu.Unlock()
	return l, nil
}

// ResumeLoad reopens the bulk load in progress (after a restart).
func (s *Store) ResumeLoad() (*Loader, error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.load == nil {
		return nil, ErrNoLoad
	}
	if s.loader != nil {
		return nil, fmt.Errorf("%w: another loader is open", ErrLoadInProgress)
	}
	l := &Loader{s: s, rec: *s.load, batch: s.db.NewBatch(), hasher: newPairHasher()}
	l.rec.LastKey, l.rec.Tag = bytes.Clone(l.rec.LastKey), bytes.Clone(l.rec.Tag)
	s.loader = l
	return l, nil
}

// Progress returns the loader's progress, counting pairs not flushed yet.
func (l *Loader) Progress() LoadProgress {
	p := l.rec.LoadProgress
	p.LastKey, p.Tag = bytes.Clone(p.LastKey), bytes.Clone(p.Tag)
	return p
}

// Put adds one pair. Keys must come in strictly increasing order, after
// the last key of the load; values may be empty.
func (l *Loader) Put(key, value []byte) error {
	if l.done {
		return ErrLoaderClosed
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if l.rec.LastKey != nil && bytes.Compare(key, l.rec.LastKey) <= 0 {
		return fmt.Errorf("%w: %x after %x", ErrKeyOrder, clipKey(key), clipKey(l.rec.LastKey))
	}
	if err := l.batch.Set(key, value, nil); err != nil {
		return fmt.Errorf("store: load: %w", err)
	}
	l.hasher.xorPair(&l.rec.hash, key, value)
	l.rec.LastKey = append(l.rec.LastKey[:0], key...)
	l.rec.Entries++
	l.rec.Bytes += uint64(len(key) + len(value))
	l.pending++
	return nil
}

// parallelHashMin is the batch size from which PutBatch hashes pairs on
// several cores: the 512-byte XOF of each pair is most of a bulk load's
// CPU time.
const parallelHashMin = 4096

// PutBatch adds pairs (keys[i], values[i]) in order, as Put does, hashing
// them on up to GOMAXPROCS cores when there are many. On error nothing of
// the batch is added.
func (l *Loader) PutBatch(keys, values [][]byte) error {
	if l.done {
		return ErrLoaderClosed
	}
	if len(keys) != len(values) {
		return fmt.Errorf("%w: %d keys and %d values", ErrInvalidKey, len(keys), len(values))
	}
	prev := l.rec.LastKey
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
		if prev != nil && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: %x after %x", ErrKeyOrder, clipKey(k), clipKey(prev))
		}
		prev = k
	}
	workers := min(runtime.GOMAXPROCS(0), len(keys)/(parallelHashMin/2))
	if workers < 2 {
		for i, k := range keys {
			l.hasher.xorPair(&l.rec.hash, k, values[i])
		}
	} else {
		parts := make([]StateHash, workers)
		var wg sync.WaitGroup
		per := (len(keys) + workers - 1) / workers
		for w := range workers {
			lo, hi := w*per, min((w+1)*per, len(keys))
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := newPairHasher()
				for i := lo; i < hi; i++ {
					h.xorPair(&parts[w], keys[i], values[i])
				}
			}()
		}
		wg.Wait()
		for w := range parts {
			subtle.XORBytes(l.rec.hash[:], l.rec.hash[:], parts[w][:])
		}
	}
	for i, k := range keys {
		if err := l.batch.Set(k, values[i], nil); err != nil {
			// The hash already holds the batch: the loader is unusable.
			l.done = true
			return fmt.Errorf("store: load: %w", err)
		}
		l.rec.Bytes += uint64(len(k) + len(values[i]))
	}
	if len(keys) > 0 {
		l.rec.LastKey = append(l.rec.LastKey[:0], keys[len(keys)-1]...)
		l.rec.Entries += uint64(len(keys))
		l.pending += len(keys)
	}
	return nil
}

// clipKey shortens a key quoted in an error.
func clipKey(k []byte) []byte {
	if len(k) > 48 {
		return k[:48]
	}
	return k
}

// Flush writes the pairs put since the last Flush and the progress record
// in one atomic batch. A load interrupted after Flush resumes after the
// last key put before it.
func (l *Loader) Flush() error {
	if l.done {
		return ErrLoaderClosed
	}
	if l.pending == 0 {
		return nil
	}
	s := l.s
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	rec := l.rec
	if err := l.batch.Set(loadKey, encodeLoad(&rec), nil); err != nil {
		return fmt.Errorf("store: load: %w", err)
	}
	if err := l.batch.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("store: load flush: %w", err)
	}
	_ = l.batch.Close()
	l.batch = s.db.NewBatch()
	l.pending = 0
	rec.LastKey, rec.Tag = bytes.Clone(rec.LastKey), bytes.Clone(rec.Tag)
	s.mu.Lock()
	s.load = &rec
	s.mu.Unlock()
	return nil
}

// Fingerprint is the fingerprint of the pairs put so far.
func (l *Loader) Fingerprint() crypto.Hash { return Fingerprint(l.rec.hash) }

// Finish flushes, checks that the state hash of everything loaded has the
// fingerprint want (the one the source announced for the slot), and makes
// the load the store's final state at the load's slot, fsynced. On a
// mismatch it returns ErrStateHashMismatch and leaves the load in
// progress: the caller wipes the store (Wipe) and starts again.
func (l *Loader) Finish(want crypto.Hash) error {
	if err := l.Flush(); err != nil {
		return err
	}
	if got := Fingerprint(l.rec.hash); got != want {
		return fmt.Errorf("%w: loaded state of slot %v has fingerprint %s, the source announced %s",
			ErrStateHashMismatch, l.rec.Slot, got, want)
	}
	s := l.s
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(metaKey, encodeMeta(meta{slot: l.rec.Slot, hash: l.rec.hash}), nil); err != nil {
		return fmt.Errorf("store: finish load: %w", err)
	}
	if err := b.Delete(loadKey, nil); err != nil {
		return fmt.Errorf("store: finish load: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: finish load: %w", err)
	}
	l.close()
	s.mu.Lock()
	s.slot, s.hasSlot, s.hash, s.load = l.rec.Slot, true, l.rec.hash, nil
	s.mu.Unlock()
	s.log.Info("final state loaded", "final_slot", l.rec.Slot, "entries", l.rec.Entries, "bytes", l.rec.Bytes, "state_hash", Fingerprint(l.rec.hash))
	return nil
}

// Close abandons the loader without flushing: the load stays in progress
// at its last Flush, to be resumed or wiped.
func (l *Loader) Close() {
	if l.done {
		return
	}
	l.s.commitMu.Lock()
	defer l.s.commitMu.Unlock()
	l.close()
}

// close releases the loader; called with commitMu held.
func (l *Loader) close() {
	l.done = true
	_ = l.batch.Close()
	l.s.mu.Lock()
	if l.s.loader == l {
		l.s.loader = nil
	}
	l.s.mu.Unlock()
}

// Wipe deletes the whole state, the metadata and any load in progress,
// fsynced: the store is then as new. Open snapshots keep their view. A
// loader still open is closed first.
func (s *Store) Wipe() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	s.mu.RLock()
	l := s.loader
	s.mu.RUnlock()
	if l != nil {
		l.close()
	}
	// One range tombstone covers every key below the bound; keys at or
	// above it (starting with eight 0xff bytes, which no Massa prefix
	// does) are deleted one by one.
	bound := bytes.Repeat([]byte{0xff}, 8)
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange([]byte{metaByte}, bound, nil); err != nil {
		return fmt.Errorf("store: wipe: %w", err)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: bound})
	if err != nil {
		return fmt.Errorf("store: wipe: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := b.Delete(bytes.Clone(it.Key()), nil); err != nil {
			_ = it.Close()
			return fmt.Errorf("store: wipe: %w", err)
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("store: wipe: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: wipe: %w", err)
	}
	s.mu.Lock()
	s.slot, s.hasSlot, s.hash, s.load = Slot{}, false, StateHash{}, nil
	s.mu.Unlock()
	// Reclaim the space now rather than at Pebble's leisure: a wipe
	// precedes a bootstrap that writes a whole state again.
	if err := s.db.Compact(context.Background(), []byte{metaByte}, bound, false); err != nil && !errors.Is(err, pebble.ErrClosed) {
		s.log.Warn("compaction after wipe failed", "err", err)
	}
	s.log.Info("final state wiped")
	return nil
}
