package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions drive the sender.
type LoadOptions struct {
	Conns    int           // concurrent HTTP connections
	Duration time.Duration // stop sending after this long
	Paced    bool          // send each batch at its Due time; else back to back
	// Hold, when set, is asked before each unpaced batch; while it returns
	// true the sender waits (backpressure on the node's pool).
	Hold func() bool
	// OnSample is called for each accepted batch carrying a sample, with
	// the times the request was sent and answered.
	OnSample func(s *Sample, sent, answered time.Time)
}

// LoadStats count what the sender did.
type LoadStats struct {
	Sent     int            `json:"sent_ops"`
	Accepted int            `json:"accepted_ops"`
	Refused  int            `json:"refused_ops"`
	Reasons  map[string]int `json:"refused_reasons,omitempty"` // operations per normalized reason
	Elapsed  time.Duration  `json:"elapsed_ns"`
	// Exhausted: every pre-signed batch was sent before Duration ended.
	Exhausted bool `json:"exhausted"`
	// MaxLag is the largest delay between a paced batch's due time and
	// its sending (the sender or the node could not keep the pace).
	MaxLag time.Duration `json:"max_lag_ns"`
	// Held is the time spent waiting for the node's pool to drain.
	Held time.Duration `json:"held_ns"`
	// Request times of send_operations calls: mean and max.
	MeanCall time.Duration `json:"mean_call_ns"`
	MaxCall  time.Duration `json:"max_call_ns"`
}

// SendLoad sends batches through c until opts.Duration has passed or the
// batches run out.
func SendLoad(ctx context.Context, c *rpcClient, batches []*Batch, opts LoadOptions) LoadStats {
	conns := max(opts.Conns, 1)
	var (
		mu       sync.Mutex
		st       = LoadStats{Reasons: map[string]int{}}
		accepted atomic.Int64
		calls    int
		callTime time.Duration
	)
	work := make(chan *Batch)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				sent := time.Now()
				_, err := c.post(ctx, b.Body)
				answered := time.Now()
				mu.Lock()
				calls++
				callTime += answered.Sub(sent)
				st.MaxCall = max(st.MaxCall, answered.Sub(sent))
				st.Sent += b.Count
				if err == nil {
					st.Accepted += b.Count
				} else {
					st.Refused += b.Count
					var re *rpcError
					reason := err.Error()
					if errors.As(err, &re) {
						reason = re.Message
					}
					if ctx.Err() != nil {
						reason = "interrupted"
					}
					st.Reasons[normalizeReason(reason)] += b.Count
				}
				mu.Unlock()
				if err == nil {
					accepted.Add(int64(b.Count))
					if b.Sample != nil && opts.OnSample != nil {
						opts.OnSample(b.Sample, sent, answered)
					}
				}
			}
		}()
	}

	start := time.Now()
	end := start.Add(opts.Duration)
	var maxLag, held time.Duration
	i := 0
loop:
	for ; i < len(batches); i++ {
		b := batches[i]
		if opts.Paced {
			due := start.Add(b.Due)
			if !due.Before(end) {
				break
			}
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					break loop
				}
			}
		} else {
			for opts.Hold != nil && opts.Hold() && time.Now().Before(end) {
				t := time.Now()
				select {
				case <-time.After(20 * time.Millisecond):
				case <-ctx.Done():
					break loop
				}
				held += time.Since(t)
			}
			if !time.Now().Before(end) {
				break
			}
		}
		select {
		case work <- b:
		case <-ctx.Done():
			break loop
		}
		if opts.Paced {
			maxLag = max(maxLag, time.Since(start.Add(b.Due)))
		}
	}
	close(work)
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.Exhausted = !opts.Paced && i == len(batches) && st.Elapsed < opts.Duration
	st.MaxLag, st.Held = maxLag, held
	if calls > 0 {
		st.MeanCall = callTime / time.Duration(calls)
	}
	if len(st.Reasons) == 0 {
		st.Reasons = nil
	}
	return st
}
