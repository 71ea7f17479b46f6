package crypto

import (
	"runtime"
	"sync"
	"sync/atomic"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// SigItem is one signature to check: sig over the 32-byte digest by key.
type SigItem struct {
	PublicKey PublicKey
	Digest    Hash
	Signature Signature
}

const (
	// DefaultMaxBatch is the largest number of signatures put in one
	// multiscalar equation. Past about a thousand entries the per-signature
	// gain flattens while a failed batch costs more to bisect serially.
	DefaultMaxBatch = 1024

	// DefaultKeyCacheSize bounds the expanded public keys a BatchVerifier
	// keeps (about 1.5 KiB each, so roughly 6 MiB at the default).
	DefaultKeyCacheSize = 4096

	// smallInput is the size up to which a batch is checked one by one:
	// a batch equation over one or two entries saves nothing.
	smallInput = 2

	// minParallelChunk keeps chunks big enough that handing one to another
	// goroutine (about a microsecond) stays small next to the work (a
	// signature is tens of microseconds).
	minParallelChunk = 16

	// voiPrecomputeLimit mirrors the batch size under which voi uses
	// per-key precomputed tables; at or above it voi switches to a plain
	// multiscalar multiplication and expanding keys on the fly is waste.
	voiPrecomputeLimit = 94
)

// BatchOptions configures a BatchVerifier. The zero value gives the defaults.
type BatchOptions struct {
	// Workers is the number of goroutines a call may use; 0 means
	// runtime.GOMAXPROCS(0) read at each call.
	Workers int
	// MaxBatch is the largest batch handed to one equation; 0 means
	// DefaultMaxBatch.
	MaxBatch int
	// KeyCacheSize bounds the cache of expanded public keys; 0 means
	// DefaultKeyCacheSize and a negative value disables the cache.
	KeyCacheSize int
}

// BatchVerifier checks many signatures at once, in batches spread over
// several goroutines. It applies exactly the rule of Verify (ZIP-215, see
// verifyOptions): an entry is reported valid by a BatchVerifier if and only
// if Verify accepts it. The batch equation uses fresh randomness from
// crypto/rand; a wrong signature can pass it only with probability about
// 2^-128, so results are deterministic in practice.
//
// It is safe for concurrent use. Components that verify in volume (protocol,
// pool, block checks) should share one, built by the node, so that the key
// cache is shared too.
type BatchVerifier struct {
	workers  int
	maxBatch int
	keys     *keyCache // nil when disabled
	pool     sync.Pool // *voi.BatchVerifier, reused between chunks
}

// NewBatchVerifier builds a BatchVerifier.
func NewBatchVerifier(opts BatchOptions) *BatchVerifier {
	v := &BatchVerifier{workers: opts.Workers, maxBatch: opts.MaxBatch}
	if v.maxBatch <= 0 {
		v.maxBatch = DefaultMaxBatch
	}
	switch {
	case opts.KeyCacheSize == 0:
		v.keys = newKeyCache(DefaultKeyCacheSize)
	case opts.KeyCacheSize > 0:
		v.keys = newKeyCache(opts.KeyCacheSize)
	}
	maxBatch := v.maxBatch
	v.pool.New = func() any { return voi.NewBatchVerifierWithCapacity(maxBatch) }
	return v
}

// CachedKeys reports how many expanded public keys are cached, for metrics.
func (v *BatchVerifier) CachedKeys() int {
	if v.keys == nil {
		return 0
	}
	return v.keys.len()
}

// VerifyBatch checks every item with a BatchVerifier that has no key cache
// and uses all cores. It returns whether all are valid and, if not, the
// indices of the invalid ones in ascending order.
func VerifyBatch(items []SigItem) (allOK bool, bad []int) {
	return uncached.Verify(items)
}

// VerifyBatchAll reports whether every item is valid, stopping at the first
// failed batch. It is the cheaper call when one bad signature rejects the
// whole set, as for the operations of a block.
func VerifyBatchAll(items []SigItem) bool {
	return uncached.VerifyAll(items)
}

// uncached holds no mutable state beyond a pool of scratch verifiers, so
// sharing it between callers leaks nothing from one call to another.
var uncached = NewBatchVerifier(BatchOptions{KeyCacheSize: -1})

// Verify checks every item. It returns whether all are valid and, if not,
// the indices of the invalid ones in ascending order. An empty input is
// valid.
func (v *BatchVerifier) Verify(items []SigItem) (allOK bool, bad []int) {
	if len(items) <= smallInput {
		for i := range items {
			if !v.verifyOne(&items[i]) {
				bad = append(bad, i)
			}
		}
		return len(bad) == 0, bad
	}
	valid := make([]bool, len(items))
	v.forChunks(len(items), func(lo, hi int) bool {
		v.verifyChunk(items[lo:hi], valid[lo:hi])
		return true
	})
	for i, ok := range valid {
		if !ok {
			bad = append(bad, i)
		}
	}
	return len(bad) == 0, bad
}

// VerifyAll reports whether every item is valid. Unlike Verify it does not
// find which entries failed, which saves re-checking a failed batch one
// signature at a time, and it stops handing out work after a failure.
func (v *BatchVerifier) VerifyAll(items []SigItem) bool {
	if len(items) <= smallInput {
		for i := range items {
			if !v.verifyOne(&items[i]) {
				return false
			}
		}
		return true
	}
	var failed atomic.Bool
	v.forChunks(len(items), func(lo, hi int) bool {
		if failed.Load() {
			return false
		}
		if !v.chunkAllValid(items[lo:hi]) {
			failed.Store(true)
			return false
		}
		return true
	})
	return !failed.Load()
}

// verifyOne checks a single item with the same rule as Verify, using the
// cached expanded key when there is one.
func (v *BatchVerifier) verifyOne(it *SigItem) bool {
	if v.keys == nil {
		return Verify(it.PublicKey, it.Digest, it.Signature)
	}
	exp := v.keys.get(it.PublicKey)
	if exp == nil {
		return false
	}
	return voi.VerifyExpandedWithOptions(exp, it.Digest[:], it.Signature[:], verifyOptions)
}

// fill adds chunk to bv and returns, for each entry added, its index in
// chunk. With the key cache on, items whose key is not a curve point are
// left out and passed to onBadKey: they are invalid under every path.
func (v *BatchVerifier) fill(bv *voi.BatchVerifier, chunk []SigItem, onBadKey func(i int)) []int {
	idx := make([]int, 0, len(chunk))
	if v.keys == nil {
		if len(chunk) >= voiPrecomputeLimit {
			bv.ForceNoPublicKeyExpansion()
		}
		for i := range chunk {
			it := &chunk[i]
			bv.AddWithOptions(voi.PublicKey(it.PublicKey[:]), it.Digest[:], it.Signature[:], verifyOptions)
			idx = append(idx, i)
		}
		return idx
	}
	for i := range chunk {
		it := &chunk[i]
		exp := v.keys.get(it.PublicKey)
		if exp == nil {
			onBadKey(i)
			continue
		}
		bv.AddExpandedWithOptions(exp, it.Digest[:], it.Signature[:], verifyOptions)
		idx = append(idx, i)
	}
	return idx
}

// verifyChunk writes into valid[i] whether chunk[i] is valid. voi checks the
// whole batch first and, only if that fails, re-checks each entry alone with
// the same cofactored equation, which names the bad ones.
func (v *BatchVerifier) verifyChunk(chunk []SigItem, valid []bool) {
	bv := v.pool.Get().(*voi.BatchVerifier)
	defer v.release(bv)
	idx := v.fill(bv, chunk, func(i int) { valid[i] = false })
	if len(idx) == 0 {
		return
	}
	_, res := bv.Verify(nil)
	for j, i := range idx {
		valid[i] = res[j]
	}
}

// chunkAllValid reports whether every entry of chunk is valid.
func (v *BatchVerifier) chunkAllValid(chunk []SigItem) bool {
	bv := v.pool.Get().(*voi.BatchVerifier)
	defer v.release(bv)
	badKey := false
	idx := v.fill(bv, chunk, func(int) { badKey = true })
	if badKey {
		return false
	}
	if len(idx) == 0 {
		return true
	}
	return bv.VerifyBatchOnly(nil)
}

func (v *BatchVerifier) release(bv *voi.BatchVerifier) {
	bv.Reset()
	v.pool.Put(bv)
}

// forChunks splits [0, n) into balanced chunks of at most maxBatch entries
// and runs fn on them with up to the configured number of goroutines, the
// caller's included. fn returning false stops further chunks from starting.
// It returns once every started chunk has finished.
func (v *BatchVerifier) forChunks(n int, fn func(lo, hi int) bool) {
	workers := v.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := chunkSize(n, workers, v.maxBatch)
	chunks := (n + size - 1) / size
	if chunks == 1 {
		fn(0, n)
		return
	}
	var (
		next atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	work := func() {
		for !stop.Load() {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * size
			hi := min(lo+size, n)
			if !fn(lo, hi) {
				stop.Store(true)
			}
		}
	}
	helpers := min(workers, chunks) - 1
	wg.Add(helpers)
	for range helpers {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// chunkSize picks the chunk length for n entries: as few chunks as maxBatch
// allows, raised to a multiple of workers so that every goroutine gets the
// same share, and never so small that the hand-off dominates.
func chunkSize(n, workers, maxBatch int) int {
	if n <= 0 {
		return 1
	}
	chunks := (n + maxBatch - 1) / maxBatch
	if workers > 1 {
		if chunks >= workers {
			chunks = (chunks + workers - 1) / workers * workers
		} else {
			chunks = max(chunks, min(workers, (n+minParallelChunk-1)/minParallelChunk))
		}
	}
	chunks = max(chunks, 1)
	return (n + chunks - 1) / chunks
}
