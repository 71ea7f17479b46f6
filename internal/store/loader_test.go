package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

// sourceState commits n ledger-like pairs to a fresh store and returns it.
func sourceState(t *testing.T, n int) *Store {
	t.Helper()
	src, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	b := src.NewBatch()
	for i := range n {
		b.Put(fmt.Appendf(nil, "%sk%06d", PrefixLedger, i), fmt.Appendf(nil, "v%d", i*7))
	}
	b.Put([]byte(PrefixAsyncPool+"x"), nil)
	if err := src.Commit(b, Slot{Period: 9, Thread: 3}); err != nil {
		t.Fatal(err)
	}
	return src
}

// copyFrom streams src's pairs after `after` into l, flushing every `part`
// pairs, and stops after `limit` pairs (0: all).
func copyFrom(t *testing.T, src *Store, l *Loader, after []byte, part, limit int) int {
	t.Helper()
	n := 0
	var perr error
	err := src.Iterate(nil, after, func(k, v []byte) bool {
		if perr = l.Put(k, v); perr != nil {
			return false
		}
		n++
		if n%part == 0 {
			if perr = l.Flush(); perr != nil {
				return false
			}
		}
		return limit == 0 || n < limit
	})
	if err != nil || perr != nil {
		t.Fatal(err, perr)
	}
	return n
}

func TestBulkLoadResumeAndFinish(t *testing.T) {
	src := sourceState(t, 1000)
	dir := t.TempDir()
	dst, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	l, err := dst.BeginLoad(Slot{Period: 9, Thread: 3}, []byte("server-1"))
	if err != nil {
		t.Fatal(err)
	}
	// 450 pairs put, 400 flushed: the last 50 are lost with the "crash".
	copyFrom(t, src, l, nil, 100, 450)
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}

	dst, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	p, ok := dst.LoadInProgress()
	if !ok || p.Entries != 400 || string(p.Tag) != "server-1" || p.Slot != (Slot{Period: 9, Thread: 3}) {
		t.Fatalf("progress after restart: %+v %v", p, ok)
	}
	if _, has := dst.FinalSlot(); has {
		t.Fatal("a store mid-load must have no final slot")
	}
	if err := dst.Commit(dst.NewBatch(), Slot{Period: 1}); !errors.Is(err, ErrLoadInProgress) {
		t.Fatalf("commit during a load: %v", err)
	}
	if _, err := dst.BeginLoad(Slot{}, nil); !errors.Is(err, ErrLoadInProgress) {
		t.Fatalf("second BeginLoad: %v", err)
	}
	l, err = dst.ResumeLoad()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(p.LastKey, nil); !errors.Is(err, ErrKeyOrder) {
		t.Fatalf("repeated key: %v", err)
	}
	copyFrom(t, src, l, p.LastKey, 100, 0)
	var wrong crypto.Hash
	if err := l.Finish(wrong); !errors.Is(err, ErrStateHashMismatch) {
		t.Fatalf("finish with a wrong fingerprint: %v", err)
	}
	if err := l.Finish(src.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if s, ok := dst.FinalSlot(); !ok || s != (Slot{Period: 9, Thread: 3}) {
		t.Fatalf("final slot after load: %v %v", s, ok)
	}
	if dst.StateHash() != src.StateHash() {
		t.Fatal("state hash differs from the source")
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
	if _, ok := dst.LoadInProgress(); ok {
		t.Fatal("load still in progress after Finish")
	}
	// The loaded store takes ordinary commits.
	b := dst.NewBatch()
	b.Put([]byte(PrefixLedger+"new"), []byte{1})
	if err := dst.Commit(b, Slot{Period: 10}); err != nil {
		t.Fatal(err)
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestPutBatchMatchesPut(t *testing.T) {
	var keys, values [][]byte
	for i := range 20_000 {
		keys = append(keys, fmt.Appendf(nil, "%sk%06d", PrefixLedger, i))
		values = append(values, fmt.Appendf(nil, "v%d", i))
	}
	one, err := Open(t.TempDir(), Options{NoSync: true, InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	many, err := Open(t.TempDir(), Options{NoSync: true, InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer many.Close()
	l1, _ := one.BeginLoad(Slot{Period: 1}, nil)
	for i := range keys {
		if err := l1.Put(keys[i], values[i]); err != nil {
			t.Fatal(err)
		}
	}
	l2, _ := many.BeginLoad(Slot{Period: 1}, nil)
	if err := l2.PutBatch(keys[:5], values[:5]); err != nil {
		t.Fatal(err)
	}
	if err := l2.PutBatch(keys[5:], values[5:]); err != nil {
		t.Fatal(err)
	}
	if err := l2.PutBatch([][]byte{keys[3]}, [][]byte{nil}); !errors.Is(err, ErrKeyOrder) {
		t.Fatalf("out-of-order batch: %v", err)
	}
	if l1.Fingerprint() != l2.Fingerprint() || l2.Progress().Entries != uint64(len(keys)) {
		t.Fatalf("PutBatch gives %s (%d entries), Put %s", l2.Fingerprint(), l2.Progress().Entries, l1.Fingerprint())
	}
	if err := l2.Finish(l1.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := many.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestWipe(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	b := st.NewBatch()
	b.Put([]byte(PrefixLedger+"a"), []byte("1"))
	b.Put([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte("top"))
	if err := st.Commit(b, Slot{Period: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginLoad(Slot{Period: 3}, nil); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("BeginLoad on a full store: %v", err)
	}
	if err := st.Wipe(); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.FinalSlot(); ok {
		t.Fatal("final slot after wipe")
	}
	l, err := st.BeginLoad(Slot{Period: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put([]byte(PrefixLedger+"b"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	// Wiping mid-load drops the load too.
	if err := st.Wipe(); err != nil {
		t.Fatal(err)
	}
	if err := l.Put([]byte(PrefixLedger+"c"), nil); !errors.Is(err, ErrLoaderClosed) {
		t.Fatalf("put on a wiped loader: %v", err)
	}
	st.Close()
	st, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.LoadInProgress(); ok {
		t.Fatal("load record survived the wipe")
	}
	empty, err := st.stateEmpty()
	if err != nil || !empty {
		t.Fatalf("state after wipe: empty=%v %v", empty, err)
	}
}

func TestDecodeLoadRejectsBadRecords(t *testing.T) {
	good := encodeLoad(&loadRecord{LoadProgress: LoadProgress{Slot: Slot{Period: 5}, LastKey: []byte("ledger/x"), Tag: []byte("t")}})
	if _, err := decodeLoad(good); err != nil {
		t.Fatal(err)
	}
	for i := range len(good) {
		if _, err := decodeLoad(good[:i]); err == nil {
			t.Fatalf("truncated record of %d bytes accepted", i)
		}
	}
	if _, err := decodeLoad(append(good, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzDecodeLoad(f *testing.F) {
	f.Add(encodeLoad(&loadRecord{LoadProgress: LoadProgress{Slot: Slot{Period: 5}, LastKey: []byte("ledger/x"), Tag: []byte("t")}}))
	f.Add([]byte{loadVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeLoad(b)
		if err != nil {
			return
		}
		if got := encodeLoad(r); string(got) != string(b) {
			t.Fatalf("round trip differs")
		}
	})
}

// BenchmarkBulkLoad measures Loader throughput for ledger-sized pairs.
func BenchmarkBulkLoad(b *testing.B) {
	val := make([]byte, 16)
	for i := 0; i < b.N; i++ {
		st, err := Open(b.TempDir(), Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		l, err := st.BeginLoad(Slot{Period: 1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for j := range 100_000 {
			if err := l.Put(fmt.Appendf(nil, "%s%040d", PrefixLedger, j), val); err != nil {
				b.Fatal(err)
			}
			if j%10_000 == 9_999 {
				if err := l.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := l.Finish(l.Fingerprint()); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "entries/s")
}
