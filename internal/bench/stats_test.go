package bench

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 50, 3 * time.Millisecond}, // nearest rank: ceil(2.5) = 3rd
		{ms(5, 1, 4, 2, 3), 95, 5 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 100, 5 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 0, 1 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 20, 1 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 21, 2 * time.Millisecond},
		{ms(10, 20, 30, 40), 50, 20 * time.Millisecond},
		{ms(10, 20, 30, 40), math.NaN(), 10 * time.Millisecond},
	}
	for _, c := range cases {
		in := append([]time.Duration(nil), c.in...)
		if got := Percentile(c.in, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.in, c.p, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("Percentile modified its input")
			}
		}
	}
	s := Summarize(ms(9, 1, 5))
	if s.Samples != 3 || s.P50 != 5*time.Millisecond || s.Min != time.Millisecond || s.Max != 9*time.Millisecond || s.P95 != 9*time.Millisecond {
		t.Fatalf("Summarize: %+v", s)
	}
}

func TestRates(t *testing.T) {
	// 100 per second from t=10 s to t=20 s, flat elsewhere.
	var pts []CountPoint
	for s := 0; s <= 30; s++ {
		c := 0
		switch {
		case s >= 20:
			c = 1000
		case s > 10:
			c = (s - 10) * 100
		}
		pts = append(pts, CountPoint{At: time.Duration(s) * time.Second, Count: uint64(1000 + c)})
	}
	if r, w := SustainedRate(pts, 0.1, 0.9); math.Abs(r-100) > 1e-9 || w != 8*time.Second {
		t.Fatalf("SustainedRate = %v over %v, want 100 over 8s", r, w)
	}
	if r := WindowRate(pts, 12*time.Second, 17*time.Second); math.Abs(r-100) > 1e-9 {
		t.Fatalf("WindowRate = %v", r)
	}
	if c := CountAt(pts, 12500*time.Millisecond); math.Abs(c-1250) > 1e-9 {
		t.Fatalf("CountAt = %v", c)
	}
	if c := CountAt(pts, time.Hour); c != 2000 {
		t.Fatalf("CountAt past the end = %v", c)
	}
	if r, _ := SustainedRate(pts[:5], 0.1, 0.9); r != 0 {
		t.Fatalf("flat count: rate %v", r)
	}
}

func TestNextSlotTime(t *testing.T) {
	c := clockInfo{genesis: 1_000_000, t0: 16_000, threads: 32}
	at := func(ms int64) time.Time { return time.UnixMilli(ms) }
	// Thread 3's slots are at genesis + 1500 + k*16000.
	if got := c.nextSlotTime(3, at(1_000_000)); !got.Equal(at(1_001_500)) {
		t.Fatalf("got %v", got.UnixMilli())
	}
	if got := c.nextSlotTime(3, at(1_001_501)); !got.Equal(at(1_017_500)) {
		t.Fatalf("got %v", got.UnixMilli())
	}
	if got := c.nextSlotTime(3, at(1_017_500)); !got.Equal(at(1_017_500)) {
		t.Fatalf("got %v", got.UnixMilli())
	}
	if p := c.periodAt(at(1_040_000)); p != 2 {
		t.Fatalf("period %d", p)
	}
}

func TestNormalizeReason(t *testing.T) {
	a := normalizeReason("operation 3 (O1BNsv9VL8A3xd9tDnsqyN7anvoAhjnpSs9pp3DwK9aEvenz7Dk) refused: pool full: 500000 operations, 70000000 bytes; fee 0.01 is not higher")
	b := normalizeReason("operation 17 (O12qXrYwN9f8gWQ3RsC9ZgPiKjo8nbsmFZyTQDs4Lm5Ufn8Pbv2) refused: pool full: 500001 operations, 70000140 bytes; fee 0.01 is not higher")
	if a != b {
		t.Fatalf("same cause, two reasons:\n%s\n%s", a, b)
	}
	if want := "operation # (#) refused: pool full: # operations, # bytes; fee # is not higher"; a != want {
		t.Fatalf("got %q", a)
	}
}
