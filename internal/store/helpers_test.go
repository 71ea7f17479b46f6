package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Workload generator shared by the random and crash tests. A batch for
// commit index i is fully determined by (seed, i), so a parent process can
// replay what a killed child committed.

type opKind int

const (
	opPut opKind = iota
	opDelete
	opDeletePrefix
)

type testOp struct {
	kind opKind
	key  []byte // key, or prefix for opDeletePrefix
	val  []byte
}

var testPrefixes = []string{PrefixLedger, PrefixAsyncPool, PrefixExecutedOps, PrefixCycleHistory, PrefixDeferredCalls}

func randKey(r *rand.Rand) []byte {
	return fmt.Appendf(nil, "%sk%d", testPrefixes[r.IntN(len(testPrefixes))], r.IntN(50))
}

func genOps(r *rand.Rand) []testOp {
	n := r.IntN(30)
	ops := make([]testOp, 0, n)
	for range n {
		switch x := r.IntN(100); {
		case x < 3:
			// "prefix/k1" reaches k1 and k10..k19.
			p := fmt.Appendf(nil, "%sk%d", testPrefixes[r.IntN(len(testPrefixes))], r.IntN(5))
			ops = append(ops, testOp{kind: opDeletePrefix, key: p})
		case x < 25:
			ops = append(ops, testOp{kind: opDelete, key: randKey(r)})
		default:
			v := make([]byte, r.IntN(65))
			for i := range v {
				v[i] = byte(r.Uint32())
			}
			ops = append(ops, testOp{kind: opPut, key: randKey(r), val: v})
		}
	}
	return ops
}

// opsFor returns the batch of commit index i of a workload.
func opsFor(seed, i uint64) []testOp { return genOps(rand.New(rand.NewPCG(seed, i))) }

// slotOf maps commit index i to a strictly increasing slot.
func slotOf(i uint64) Slot { return Slot{Period: i / 32, Thread: uint8(i % 32)} }

func indexOf(s Slot) uint64 { return s.Period*32 + uint64(s.Thread) }

func fillBatch(b *Batch, ops []testOp) {
	for _, op := range ops {
		switch op.kind {
		case opPut:
			b.Put(op.key, op.val)
		case opDelete:
			b.Delete(op.key)
		case opDeletePrefix:
			b.DeletePrefix(op.key)
		}
	}
}

func applyModel(m map[string][]byte, ops []testOp) {
	for _, op := range ops {
		switch op.kind {
		case opPut:
			m[string(op.key)] = bytes.Clone(op.val)
		case opDelete:
			delete(m, string(op.key))
		case opDeletePrefix:
			for k := range m {
				if bytes.HasPrefix([]byte(k), op.key) {
					delete(m, k)
				}
			}
		}
	}
}

func modelHash(m map[string][]byte) StateHash {
	var acc StateHash
	for k, v := range m {
		h := PairHash([]byte(k), v)
		for i := range acc {
			acc[i] ^= h[i]
		}
	}
	return acc
}

// checkAgainstModel compares the whole state, the stored hash, a full
// recomputation and the model's own hash.
func checkAgainstModel(t *testing.T, s *Store, m map[string][]byte, what string) {
	t.Helper()
	got := map[string][]byte{}
	var order []string
	if err := s.Iterate(nil, nil, func(k, v []byte) bool {
		got[string(k)] = bytes.Clone(v)
		order = append(order, string(k))
		return true
	}); err != nil {
		t.Fatalf("%s: iterate: %v", what, err)
	}
	if !slices.IsSorted(order) {
		t.Fatalf("%s: iteration not in key order", what)
	}
	if len(got) != len(m) {
		t.Fatalf("%s: store has %d keys, model %d", what, len(got), len(m))
	}
	for k, v := range m {
		if gv, ok := got[k]; !ok || !bytes.Equal(gv, v) {
			t.Fatalf("%s: key %q: store %x (present %v), model %x", what, k, gv, ok, v)
		}
	}
	rec, err := s.RecomputeStateHash()
	if err != nil {
		t.Fatalf("%s: recompute: %v", what, err)
	}
	inc := s.StateHash()
	if inc != rec {
		t.Fatalf("%s: incremental hash %s != recomputed %s", what, Fingerprint(inc), Fingerprint(rec))
	}
	if mh := modelHash(m); inc != mh {
		t.Fatalf("%s: store hash %s != model hash %s", what, Fingerprint(inc), Fingerprint(mh))
	}
}

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{NoSync: true, MemTableSize: 4 << 20, CacheSize: 8 << 20})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}
