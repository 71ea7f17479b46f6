package crypto

import (
	"runtime"
	"testing"
)

// benchBatch is the batch size of the benchmarks: 1024 distinct keys, each
// signing its own 32-byte digest, as in a full pool gossip.
const benchBatch = 1024

func benchItems(b *testing.B, n int) []SigItem {
	b.Helper()
	return honestItems(testKeys(n, "bench"), n, "bench")
}

func BenchmarkVerifySingle(b *testing.B) {
	items := benchItems(b, benchBatch)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		it := &items[i%len(items)]
		if !Verify(it.PublicKey, it.Digest, it.Signature) {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkVerifyBatch checks one batch of 1024 on one goroutine; ns/sig is
// the figure to compare with BenchmarkVerifySingle. "cold" has no key cache
// (every key decompressed each time), "cached" reuses expanded keys.
func BenchmarkVerifyBatch(b *testing.B) {
	items := benchItems(b, benchBatch)
	for _, bc := range []struct {
		name string
		v    *BatchVerifier
	}{
		{"cold", NewBatchVerifier(BatchOptions{Workers: 1, KeyCacheSize: -1})},
		{"cached", NewBatchVerifier(BatchOptions{Workers: 1})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.v.Verify(items) // warm the cache and the pool
			b.ResetTimer()
			for b.Loop() {
				if ok, _ := bc.v.Verify(items); !ok {
					b.Fatal("rejected")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/sig")
		})
	}
}

// BenchmarkVerifyBatchParallel spreads batches over all cores; ns/sig is
// wall time per signature, so it falls with the number of cores.
func BenchmarkVerifyBatchParallel(b *testing.B) {
	n := benchBatch * runtime.GOMAXPROCS(0)
	items := benchItems(b, n)
	for _, bc := range []struct {
		name string
		v    *BatchVerifier
	}{
		{"cold", NewBatchVerifier(BatchOptions{KeyCacheSize: -1})},
		{"cached", NewBatchVerifier(BatchOptions{KeyCacheSize: 2 * n})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.v.Verify(items)
			b.ResetTimer()
			for b.Loop() {
				if ok, _ := bc.v.Verify(items); !ok {
					b.Fatal("rejected")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/sig")
		})
	}
}

func benchHash(b *testing.B, size int) {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		_ = HashOf(data)
	}
}

func BenchmarkHash32(b *testing.B)  { benchHash(b, 32) }
func BenchmarkHash256(b *testing.B) { benchHash(b, 256) }
func BenchmarkHash4K(b *testing.B)  { benchHash(b, 4096) }

// BenchmarkHashParts shows the cost of the streaming API next to HashOf.
func BenchmarkHashParts(b *testing.B) {
	chain := []byte{0, 0, 0, 0, 4, 160, 248, 254}
	pub := make([]byte, 33)
	content := make([]byte, 150)
	b.SetBytes(int64(len(chain) + len(pub) + len(content)))
	for b.Loop() {
		_ = HashOfParts(chain, pub, content)
	}
}

func BenchmarkSign(b *testing.B) {
	k := SecretKeyFromSeed(HashOf([]byte("bench sign")))
	d := HashOf([]byte("digest"))
	for b.Loop() {
		_ = k.Sign(d)
	}
}
