package bootstrap

import (
	"context"
	"fmt"
	"testing"

	"github.com/gomassa/gomassa/internal/types"
)

// BenchmarkBootstrap measures a whole bootstrap over loopback (handshake,
// state stream with signatures, client-side hashing and Pebble writes,
// blocks, peers) of a ledger of 100,000 and 1,000,000 addresses (two keys
// each), without the per-connection rate limit. Run with -benchtime=1x:
//
//	go test ./internal/bootstrap -run '^$' -bench Bootstrap -benchtime 1x
func BenchmarkBootstrap(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("addresses=%d", n), func(b *testing.B) {
			src := openStore(b)
			fillStore(b, src, n, types.Slot{Period: 3})
			srv := startServer(b, src, func(c *ServerConfig) { c.PartBytes = 1 << 20 })
			var bytes, entries uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := openStore(b)
				b.StartTimer()
				res, err := Run(context.Background(), clientConfig(srv.addr()), dst, &memBlocks{})
				if err != nil {
					b.Fatal(err)
				}
				bytes += res.Bytes
				entries += res.Entries
				b.StopTimer()
				if dst.Fingerprint() != src.Fingerprint() {
					b.Fatal("fingerprint differs")
				}
				dst.Close()
				srv.mu.Lock()
				clear(srv.ips) // the next iteration comes from the same IP
				srv.mu.Unlock()
				b.StartTimer()
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(bytes)/1e6/sec, "MB/s")
			b.ReportMetric(float64(entries)/sec, "entries/s")
		})
	}
}
