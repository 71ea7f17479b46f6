package bench

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
)

// RawLimits are the machine's signature-verification rates, measured with
// the node's own code (internal/crypto) on synthetic signatures.
type RawLimits struct {
	Cores        int     `json:"cores"`
	SinglePerSec float64 `json:"verify_single_per_sec"` // crypto.Verify, one goroutine per core
	// BatchPerSec is the raw batch rate: crypto.BatchVerifier without its
	// key cache, every public key decompressed for every signature, as
	// the library's own batch verification does. The targets use it.
	BatchPerSec float64 `json:"verify_batch_per_sec"`
	// BatchCachedPerSec is the rate of the verifier the node runs, whose
	// cache of expanded keys skips the decompression of known senders.
	BatchCachedPerSec float64 `json:"verify_batch_cached_per_sec"`
	BatchSize         int     `json:"batch_size"`
	DistinctKeys      int     `json:"distinct_keys"`
	MeasureSeconds    float64 `json:"measure_seconds"`
}

// MeasureVerify measures single and batch verification rates on every core
// for about d each. Signatures are by distinctKeys keys (as many as the
// load's senders, so the batch verifier's key cache behaves as in the
// node) over distinct digests.
func MeasureVerify(ctx context.Context, d time.Duration, distinctKeys int) RawLimits {
	const items = 4096
	const batch = crypto.DefaultMaxBatch
	distinctKeys = min(max(distinctKeys, 1), items)
	keys := make([]*crypto.SecretKey, distinctKeys)
	for i := range keys {
		keys[i] = DeriveKey(0, "verify", uint64(i))
	}
	sigs := make([]crypto.SigItem, items)
	for i := range sigs {
		k := keys[i%distinctKeys]
		var idx [8]byte
		for j := range idx {
			idx[j] = byte(uint64(i) >> (8 * j))
		}
		dg := crypto.HashOf(idx[:])
		sigs[i] = crypto.SigItem{PublicKey: k.Public(), Digest: dg, Signature: k.Sign(dg)}
	}
	cores := runtime.GOMAXPROCS(0)
	out := RawLimits{Cores: cores, BatchSize: batch, DistinctKeys: distinctKeys, MeasureSeconds: d.Seconds()}

	// Single: every core checks signatures one at a time.
	var n atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				if j%64 == 0 && (time.Now().After(deadline) || ctx.Err() != nil) {
					return
				}
				it := &sigs[(w+j*cores)%items]
				if crypto.Verify(it.PublicKey, it.Digest, it.Signature) {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	out.SinglePerSec = float64(n.Load()) / time.Since(start).Seconds()

	// Batch: the verifier spreads each batch over every core itself.
	out.BatchPerSec = batchRate(ctx, d, crypto.NewBatchVerifier(crypto.BatchOptions{KeyCacheSize: -1}), sigs, batch)
	out.BatchCachedPerSec = batchRate(ctx, d, crypto.NewBatchVerifier(crypto.BatchOptions{}), sigs, batch)
	return out
}

func batchRate(ctx context.Context, d time.Duration, v *crypto.BatchVerifier, sigs []crypto.SigItem, batch int) float64 {
	var done int
	start := time.Now()
	deadline := start.Add(d)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		lo := (i * batch) % len(sigs)
		if ok, _ := v.Verify(sigs[lo : lo+batch]); ok {
			done += batch
		}
	}
	return float64(done) / time.Since(start).Seconds()
}
