package store

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/gomassa/gomassa/internal/crypto"
)

// DefaultMemTableSize is the Pebble memtable size used when Options leaves
// it zero: 64 MiB measured 1.6x better sustained writes than Pebble's 4 MiB.
const DefaultMemTableSize = 64 << 20

// DefaultCacheSize is the block cache size used when Options leaves it zero.
const DefaultCacheSize = 64 << 20

// Options configures Open. The zero value is the safe default: fsync on
// every commit, 64 MiB memtable, no logging.
type Options struct {
	// MemTableSize is the Pebble memtable size in bytes; 0 means
	// DefaultMemTableSize.
	MemTableSize uint64
	// CacheSize is the Pebble block cache size in bytes; 0 means
	// DefaultCacheSize.
	CacheSize int64
	// Logger receives Pebble's messages and the store's own; nil discards.
	Logger *slog.Logger
	// NoSync turns off the one fsync per committed slot. Only for tests and
	// benchmarks: without it a power loss (not a process kill) can lose the
	// last slots. The field is negative so that the zero value syncs.
	NoSync bool
	// InMemory keeps the whole DB in RAM (Pebble's in-memory file system);
	// dir is then ignored. For tests of other packages.
	InMemory bool
}

// Store is the node's durable final state: one Pebble keyspace holding the
// state keys and, in a separate metadata area, the final slot and the state
// hash that describe them. Reads are safe concurrently with each other and
// with Commit; commits are serialized.
type Store struct {
	db     *pebble.DB
	log    *slog.Logger
	wopts  *pebble.WriteOptions
	hasher pairHasher // used under commitMu only

	// commitMu serializes Commit, Snapshot and Close.
	commitMu sync.Mutex

	// mu guards the fields below. Readers hold it only to register
	// themselves in readers, never during I/O, so a long Iterate does not
	// hold up commits.
	mu      sync.RWMutex
	closed  bool
	hasSlot bool
	slot    Slot
	hash    StateHash
	commits uint64
	readers sync.WaitGroup
	// load is the progress of an unfinished bulk load (loader.go); the
	// store then has no final slot and Commit refuses to run. loader is
	// the open Loader, if any.
	load   *loadRecord
	loader *Loader
}

// Open opens (or creates) the store in dir. On an existing DB it loads the
// final slot and the state hash from the metadata record; it does not
// rescan the state (use Verify for that).
func Open(dir string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	memtable := opts.MemTableSize
	if memtable == 0 {
		memtable = DefaultMemTableSize
	}
	cacheSize := opts.CacheSize
	if cacheSize == 0 {
		cacheSize = DefaultCacheSize
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref() // the DB holds its own reference

	// Pebble's defaults are pure Go: Snappy block compression (zstd, which
	// has a cgo variant, is never selected), so the store builds and runs
	// with CGO_ENABLED=0.
	po := &pebble.Options{
		Cache:              cache,
		MemTableSize:       memtable,
		Logger:             pebbleLogger{log: log},
		FormatMajorVersion: pebble.FormatNewest,
	}
	// Every final slot's commit reads the old value of each key it writes
	// (for the state hash), and most of those keys are new (executed
	// operation ids): Bloom filters answer those misses from memory
	// instead of searching each level. L1+ inherit L0's policy.
	po.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	if opts.InMemory {
		po.FS = vfs.NewMem()
		dir = ""
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", dir, err)
	}
	s := &Store{
		db:     db,
		log:    log,
		wopts:  pebble.Sync,
		hasher: newPairHasher(),
	}
	if opts.NoSync {
		s.wopts = pebble.NoSync
	}
	if err := s.loadMeta(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if s.hasSlot {
		log.Info("final state opened", "dir", dir, "final_slot", s.slot, "state_hash", Fingerprint(s.hash))
	} else {
		log.Info("final state created", "dir", dir)
	}
	return s, nil
}

// loadMeta reads the metadata record. A DB with state keys but no record
// was not written by this package (every commit writes both atomically).
func (s *Store) loadMeta() error {
	load, err := s.readLoad()
	if err != nil {
		return err
	}
	v, closer, err := s.db.Get(metaKey)
	if errors.Is(err, pebble.ErrNotFound) {
		if load != nil {
			s.load = load
			s.log.Info("unfinished bulk load found", "slot", load.Slot, "entries", load.Entries)
			return nil
		}
		empty, err := s.stateEmpty()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%w: state keys present but no metadata record", ErrCorrupt)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: read metadata: %w", err)
	}
	m, err := decodeMeta(v)
	_ = closer.Close()
	if err != nil {
		return err
	}
	if load != nil {
		// Finish swaps the two records atomically: both present means
		// the DB was not written by this package.
		return fmt.Errorf("%w: both a final state record and a bulk load record", ErrCorrupt)
	}
	s.hasSlot, s.slot, s.hash = true, m.slot, m.hash
	return nil
}

// readLoad reads the bulk load progress record, if any.
func (s *Store) readLoad() (*loadRecord, error) {
	v, closer, err := s.db.Get(loadKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read load record: %w", err)
	}
	defer closer.Close()
	return decodeLoad(v)
}

func (s *Store) stateEmpty() (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: stateLower})
	if err != nil {
		return false, fmt.Errorf("store: iterate: %w", err)
	}
	found := it.First()
	if err := it.Close(); err != nil {
		return false, fmt.Errorf("store: iterate: %w", err)
	}
	return !found, nil
}

// Close waits for running reads and open snapshots to end, then closes the
// DB. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	l := s.loader
	s.mu.Unlock()
	if l != nil {
		l.close() // the load stays resumable at its last Flush
	}
	s.readers.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// acquire registers a reader so Close waits for it. Every successful
// acquire must be paired with release.
func (s *Store) acquire() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.readers.Add(1)
	return nil
}

func (s *Store) release() { s.readers.Done() }

// FinalSlot returns the slot of the last committed batch; ok is false on a
// fresh store.
func (s *Store) FinalSlot() (slot Slot, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.slot, s.hasSlot
}

// StateHash returns the 512-byte state hash after the last commit.
func (s *Store) StateHash() StateHash {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hash
}

// Fingerprint returns BLAKE3-256 of the state hash.
func (s *Store) Fingerprint() crypto.Hash { return Fingerprint(s.StateHash()) }

// Get returns a copy of the committed value of key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	if err := s.acquire(); err != nil {
		return nil, false, err
	}
	defer s.release()
	return get(s.db, key)
}

// Iterate calls fn for each committed key that starts with prefix and sorts
// strictly after startAfter (nil: from the first key), in key order, until
// fn returns false. k and v are only valid during the call. The view is a
// point in time taken when Iterate starts; a caller that also needs the
// matching final slot uses Snapshot. fn must not call Close.
func (s *Store) Iterate(prefix, startAfter []byte, fn func(k, v []byte) bool) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return iterate(s.db, prefix, startAfter, fn)
}

// RecomputeStateHash scans the whole state and returns its hash from
// scratch. Commits may run meanwhile, so the result is only comparable with
// StateHash when none do; Verify and Snapshot.RecomputeStateHash do not
// have that limit.
func (s *Store) RecomputeStateHash() (StateHash, error) {
	if err := s.acquire(); err != nil {
		return StateHash{}, err
	}
	defer s.release()
	return recompute(s.db)
}

// Verify recomputes the state hash over a snapshot and compares it with
// the incrementally maintained one stored beside that snapshot.
func (s *Store) Verify() error {
	snap, err := s.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	got, err := snap.RecomputeStateHash()
	if err != nil {
		return err
	}
	if got != snap.hash {
		return fmt.Errorf("%w at slot %v: stored %s, recomputed %s",
			ErrStateHashMismatch, snap.slot, Fingerprint(snap.hash), Fingerprint(got))
	}
	return nil
}

// Commit applies every change of b, the new final slot and the new state
// hash in one atomic Pebble batch (fsynced unless NoSync): after a crash the
// store holds either the previous final slot or this one, never a mix. slot
// must be strictly after the current final slot. On success b is reset for
// reuse; on error neither the store nor b is changed.
func (s *Store) Commit(b *Batch, slot Slot) error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()

	s.mu.RLock()
	cur, has, hash, loading := s.slot, s.hasSlot, s.hash, s.load != nil
	s.mu.RUnlock()
	if loading {
		return fmt.Errorf("%w: commit of slot %v refused", ErrLoadInProgress, slot)
	}
	if has && slot.Compare(cur) <= 0 {
		return fmt.Errorf("%w: commit %v after %v", ErrSlotNotIncreasing, slot, cur)
	}
	for k := range b.ops {
		if err := checkKey([]byte(k)); err != nil {
			return err
		}
	}
	for _, p := range b.prefixes {
		if err := checkPrefix(p); err != nil {
			return err
		}
	}

	// Committed keys reached by DeletePrefix and not written again in b,
	// with their old values (already read, so no second Get).
	swept := make(map[string][]byte)
	for _, p := range b.prefixes {
		err := iterate(s.db, p, nil, func(k, v []byte) bool {
			if _, ok := b.ops[string(k)]; !ok {
				swept[string(k)] = bytes.Clone(v)
			}
			return true
		})
		if err != nil {
			return err
		}
	}

	keys := make([]string, 0, len(b.ops)+len(swept))
	for k := range b.ops {
		keys = append(keys, k)
	}
	for k := range swept {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic write order; cheaper Pebble inserts

	// Reading each key's old value and hashing both pairs is most of a
	// commit's cost (the hashes are 512-byte XOFs); it is done on every
	// core, each worker folding its share into its own accumulator. XOR
	// commutes, and the batch is then written in key order by one
	// goroutine, so the result does not depend on the split.
	acts := make([]action, len(keys))
	if err := s.evalKeys(keys, b, swept, acts, &hash); err != nil {
		return err
	}
	pb := s.db.NewBatch()
	defer pb.Close()
	changed := 0
	for i, k := range keys {
		var err error
		switch acts[i] {
		case actSet:
			err = pb.Set([]byte(k), b.ops[k].val, nil)
		case actDelete:
			err = pb.Delete([]byte(k), nil)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("store: batch write: %w", err)
		}
		changed++
	}
	if err := pb.Set(metaKey, encodeMeta(meta{slot: slot, hash: hash}), nil); err != nil {
		return fmt.Errorf("store: batch meta: %w", err)
	}
	if err := pb.Commit(s.wopts); err != nil {
		return fmt.Errorf("store: commit slot %v: %w", slot, err)
	}

	s.mu.Lock()
	s.slot, s.hasSlot, s.hash = slot, true, hash
	s.commits++
	s.mu.Unlock()
	s.log.Debug("final slot committed", "slot", slot, "keys", changed, "state_hash", Fingerprint(hash))
	b.Reset()
	return nil
}

// action is what a commit does with one key.
type action uint8

const (
	actNone action = iota // the write changes nothing
	actSet
	actDelete
)

// parallelEvalMin is the number of keys from which a commit spreads its
// reads and hashing over several goroutines.
const parallelEvalMin = 256

// evalKeys decides the action of every key of a commit and folds the
// old and new pairs of the keys that change into hash.
//
// The keys are taken in chunks from a shared counter by the calling
// goroutine and by up to GOMAXPROCS-1 helpers, and the caller waits only
// for chunks a helper has taken, never for a helper to start: under load
// the helpers queue behind API goroutines (the main loop waited for them
// a third of its time when the keys were split up front), so whatever
// they have not taken the caller does itself.
func (s *Store) evalKeys(keys []string, b *Batch, swept map[string][]byte, acts []action, hash *StateHash) error {
	const chunk = 64
	n := len(keys)
	if n == 0 {
		return nil
	}
	helpers := 0
	if n >= parallelEvalMin {
		helpers = min(runtime.GOMAXPROCS(0)-1, 7)
	}
	var (
		next, remaining atomic.Int64
		failed          atomic.Bool
		done            = make(chan struct{})
		accs            = make([]StateHash, helpers+1)
		errs            = make([]error, helpers+1)
	)
	remaining.Store(int64(n))
	work := func(w int, h pairHasher) {
		for {
			lo := int(next.Add(chunk)) - chunk
			if lo >= n {
				return
			}
			hi := min(lo+chunk, n)
			for i := lo; i < hi && !failed.Load(); i++ {
				k := keys[i]
				if old, ok := swept[k]; ok {
					h.xorPair(&accs[w], []byte(k), old)
					acts[i] = actDelete
					continue
				}
				a, err := s.evalOne(h, &accs[w], []byte(k), b.ops[k])
				if err != nil {
					errs[w] = err
					failed.Store(true)
					break
				}
				acts[i] = a
			}
			if remaining.Add(int64(lo-hi)) == 0 {
				close(done)
			}
		}
	}
	for w := 1; w <= helpers; w++ {
		go work(w, newPairHasher())
	}
	work(0, s.hasher)
	<-done
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := range accs {
		subtle.XORBytes(hash[:], hash[:], accs[i][:])
	}
	return nil
}

// evalOne reads key's committed value and returns what writing op does,
// folding the old and new pairs into acc when the key changes.
func (s *Store) evalOne(h pairHasher, acc *StateHash, key []byte, op batchOp) (action, error) {
	if op.fresh && !op.del {
		h.xorPair(acc, key, op.val)
		return actSet, nil
	}
	old, closer, err := s.db.Get(key)
	found := err == nil
	if err != nil && !errors.Is(err, pebble.ErrNotFound) {
		return actNone, fmt.Errorf("store: read %x: %w", key, err)
	}
	if found {
		defer closer.Close()
		if !op.del && bytes.Equal(old, op.val) {
			return actNone, nil
		}
		h.xorPair(acc, key, old)
	}
	if op.del {
		if !found {
			return actNone, nil
		}
		return actDelete, nil
	}
	h.xorPair(acc, key, op.val)
	return actSet, nil
}

// Stats are cheap counters for metrics and logs.
type Stats struct {
	// FinalSlot is the last committed slot (zero if HasFinalSlot is false).
	FinalSlot    Slot
	HasFinalSlot bool
	// Commits counts commits since Open.
	Commits uint64
	// DiskUsageBytes is Pebble's estimate of the space used on disk.
	DiskUsageBytes uint64
}

// Stats returns the current counters.
func (s *Store) Stats() (Stats, error) {
	if err := s.acquire(); err != nil {
		return Stats{}, err
	}
	defer s.release()
	s.mu.RLock()
	st := Stats{FinalSlot: s.slot, HasFinalSlot: s.hasSlot, Commits: s.commits}
	s.mu.RUnlock()
	st.DiskUsageBytes = s.db.Metrics().DiskSpaceUsage()
	return st, nil
}

// get reads one key from r and returns a copy of its value.
func get(r pebble.Reader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get %x: %w", key, err)
	}
	out := append([]byte{}, v...)
	if err := closer.Close(); err != nil {
		return nil, false, fmt.Errorf("store: get %x: %w", key, err)
	}
	return out, true, nil
}

func iterate(r pebble.Reader, prefix, startAfter []byte, fn func(k, v []byte) bool) error {
	lower, upper := prefixBounds(prefix)
	if startAfter != nil {
		// The smallest key strictly after startAfter is startAfter||0x00.
		next := append(bytes.Clone(startAfter), 0)
		if bytes.Compare(next, lower) > 0 {
			lower = next
		}
	}
	if upper != nil && bytes.Compare(lower, upper) >= 0 {
		return nil
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("store: iterate: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("store: iterate: %w", err)
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("store: iterate: %w", err)
	}
	return nil
}

func recompute(r pebble.Reader) (StateHash, error) {
	var acc StateHash
	h := newPairHasher()
	err := iterate(r, nil, nil, func(k, v []byte) bool {
		h.xorPair(&acc, k, v)
		return true
	})
	return acc, err
}
