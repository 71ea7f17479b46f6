package store

import (
	"encoding/binary"
	"testing"
)

// BenchmarkCommit1000Puts commits batches of 1000 puts (half new keys, half
// overwrites) of ledger-sized entries, with and without the per-commit
// fsync.
func BenchmarkCommit1000Puts(b *testing.B) {
	for _, tc := range []struct {
		name   string
		noSync bool
	}{{"sync", false}, {"nosync", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: tc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			val := make([]byte, 64)
			batch := s.NewBatch()
			key := make([]byte, 0, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range 1000 {
					// Keys from the previous commit's second half are
					// rewritten, so each commit mixes inserts and updates.
					id := uint64(i)*500 + uint64(j)
					key = append(key[:0], PrefixLedger...)
					key = binary.BigEndian.AppendUint64(key, id)
					binary.BigEndian.PutUint64(val, uint64(i))
					batch.Put(key, val)
				}
				if err := s.Commit(batch, slotOf(uint64(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
