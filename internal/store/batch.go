package store

import (
	"bytes"
	"strings"
)

// Batch collects the state changes of one final slot. It is not safe for
// concurrent use. Keys are only checked at Commit, so a bad key surfaces as
// a Commit error rather than at every call site.
//
// A Batch does not read through to the store: execution keeps its own
// overlay of speculative changes and only hands the final result here.
type Batch struct {
	// ops holds the last write of each key in this batch; del marks a
	// deletion. Keeping only the last write is enough because the state
	// hash is an XOR: the hashes of intermediate values cancel out.
	ops map[string]batchOp
	// prefixes are the DeletePrefix calls, expanded against the committed
	// DB at Commit time.
	prefixes [][]byte
}

type batchOp struct {
	val []byte
	del bool
	// fresh: the writer guarantees the key is not committed (PutNew), so
	// Commit skips reading its old value.
	fresh bool
}

// NewBatch returns an empty batch.
func (s *Store) NewBatch() *Batch { return newBatch() }

func newBatch() *Batch { return &Batch{ops: make(map[string]batchOp)} }

// Put sets key to value. Both are copied.
func (b *Batch) Put(key, value []byte) {
	v := make([]byte, len(value))
	copy(v, value)
	b.ops[string(key)] = batchOp{val: v}
}

// PutNew sets a key the caller guarantees is not committed, such as the
// key of an operation executed for the first time (replay protection
// forbids a second execution while its key exists): Commit then folds
// only the new pair into the state hash and skips reading the old value,
// half the cost of a commit under load. A wrong guarantee makes the
// incremental state hash differ from a recomputation (RecomputeStateHash).
func (b *Batch) PutNew(key, value []byte) {
	v := make([]byte, len(value))
	copy(v, value)
	b.ops[string(key)] = batchOp{val: v, fresh: true}
}

// Delete removes key.
func (b *Batch) Delete(key []byte) {
	b.ops[string(key)] = batchOp{del: true}
}

// DeletePrefix removes every key that starts with prefix, both committed
// keys and keys put earlier in this batch; keys put after this call
// survive. The empty prefix means the whole state. Its cost is one scan of
// this batch now and one scan of the prefix in the DB at Commit.
func (b *Batch) DeletePrefix(prefix []byte) {
	p := string(prefix)
	for k := range b.ops {
		if strings.HasPrefix(k, p) {
			b.ops[k] = batchOp{del: true}
		}
	}
	b.prefixes = append(b.prefixes, bytes.Clone(prefix))
}

// Len returns the number of distinct keys written so far, not counting the
// keys a DeletePrefix will reach in the DB.
func (b *Batch) Len() int { return len(b.ops) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	clear(b.ops)
	b.prefixes = b.prefixes[:0]
}
