package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method: the smallest value such that at least p % of the
// values are at most it. It does not modify ds. An empty input gives 0.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	switch {
	case p <= 0 || math.IsNaN(p):
		return s[0]
	case p >= 100:
		return s[len(s)-1]
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// LatencySummary summarises sampled latencies.
type LatencySummary struct {
	Samples int           `json:"samples"`
	P50     time.Duration `json:"p50_ns"`
	P95     time.Duration `json:"p95_ns"`
	Min     time.Duration `json:"min_ns"`
	Max     time.Duration `json:"max_ns"`
}

// Summarize computes the summary of ds.
func Summarize(ds []time.Duration) LatencySummary {
	if len(ds) == 0 {
		return LatencySummary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return LatencySummary{
		Samples: len(s),
		P50:     percentileSorted(s, 50),
		P95:     percentileSorted(s, 95),
		Min:     s[0],
		Max:     s[len(s)-1],
	}
}

// CountPoint is a cumulative count observed at an instant.
type CountPoint struct {
	At    time.Duration // since the start of the load
	Count uint64
}

// SustainedRate is the rate of a cumulative count between the moments it
// reached lo and hi of its final increase (fractions, e.g. 0.1 and 0.9),
// found by linear interpolation. Cutting the head and the tail leaves out
// the ramp-up (the first operations are final only after the finality
// delay) and the drain, so a steady stream is measured at its steady rate.
// It returns the rate per second and the window; 0 when the count barely
// moved.
func SustainedRate(points []CountPoint, lo, hi float64) (perSecond float64, window time.Duration) {
	if len(points) < 2 || lo < 0 || hi > 1 || lo >= hi {
		return 0, 0
	}
	base, top := points[0].Count, points[len(points)-1].Count
	if top <= base {
		return 0, 0
	}
	total := float64(top - base)
	cross := func(frac float64) (time.Duration, bool) {
		target := float64(base) + frac*total
		for i := 1; i < len(points); i++ {
			a, b := points[i-1], points[i]
			if float64(b.Count) >= target && b.Count > a.Count {
				f := (target - float64(a.Count)) / float64(b.Count-a.Count)
				f = min(max(f, 0), 1)
				return a.At + time.Duration(f*float64(b.At-a.At)), true
			}
		}
		return 0, false
	}
	t0, ok0 := cross(lo)
	t1, ok1 := cross(hi)
	if !ok0 || !ok1 || t1 <= t0 {
		return 0, 0
	}
	return (hi - lo) * total / (t1 - t0).Seconds(), t1 - t0
}

// CountAt interpolates the cumulative count at instant at (the first or
// last point outside the observed range).
func CountAt(points []CountPoint, at time.Duration) float64 {
	if len(points) == 0 {
		return 0
	}
	if at <= points[0].At {
		return float64(points[0].Count)
	}
	for i := 1; i < len(points); i++ {
		a, b := points[i-1], points[i]
		if at <= b.At {
			if b.At == a.At {
				return float64(b.Count)
			}
			f := float64(at-a.At) / float64(b.At-a.At)
			return float64(a.Count) + f*(float64(b.Count)-float64(a.Count))
		}
	}
	return float64(points[len(points)-1].Count)
}

// WindowRate is the rate of a cumulative count between two instants.
func WindowRate(points []CountPoint, from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	return (CountAt(points, to) - CountAt(points, from)) / (to - from).Seconds()
}
