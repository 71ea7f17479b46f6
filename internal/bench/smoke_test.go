package bench

import (
	"context"
	"testing"
	"time"

	"github.com/gomassa/gomassa/test/testnode"
)

func TestMeasureVerify(t *testing.T) {
	r := MeasureVerify(context.Background(), 30*time.Millisecond, 16)
	if r.SinglePerSec <= 0 || r.BatchPerSec <= 0 || r.BatchCachedPerSec <= 0 || r.Cores < 1 || r.DistinctKeys != 16 {
		t.Fatalf("%+v", r)
	}
}

// TestSmokeRun loads a real node for a few seconds on a fast network
// (4 threads, t0 = 1 s, final after 5 blocks) and checks that the report
// adds up: every accepted operation final, latencies sampled, the node's
// process measured.
func TestSmokeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process")
	}
	o := DefaultOptions()
	o.NodeBin = testnode.Binary(t)
	o.Threads, o.T0, o.DeltaF0 = 4, 1000, 4*17
	o.Senders, o.Rate, o.Duration, o.Batch, o.Conns = 8, 200, 4*time.Second, 20, 2
	o.VerifyTime, o.ProfileSeconds, o.LatencySamples, o.Drain = 20*time.Millisecond, 2, 20, 40*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	l := r.Load
	if l.Accepted != 800 || l.Refused != 0 {
		t.Fatalf("accepted %d, refused %d: %v", l.Accepted, l.Refused, l.Reasons)
	}
	if r.Final.Ops != 800 || !r.Final.AllFinal {
		t.Fatalf("%d of 800 operations final", r.Final.Ops)
	}
	if r.Latency.Samples == 0 || r.Latency.P50ms <= 0 || r.Latency.BlocksToFinal != 5 {
		t.Fatalf("latency %+v", r.Latency)
	}
	if !r.Node.Available || r.Node.PeakRSSBytes <= 0 {
		t.Fatalf("node figures %+v", r.Node)
	}
	if r.Profile.File == "" && r.Profile.Error == "" {
		t.Fatal("no CPU profile taken")
	}
	if len(r.Targets) == 0 {
		t.Fatal("no targets evaluated")
	}
}
