package bench

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// Batch is one send_operations request, encoded before the clock starts.
type Batch struct {
	Body  []byte        // the whole JSON-RPC request
	Count int           // operations in it
	Due   time.Duration // when to send it, from the start of the load (paced runs)
	// Sample, when set, is an operation of the batch whose finality is
	// followed to measure latency.
	Sample *Sample
}

// Sample is an operation whose latency is measured.
type Sample struct {
	ID     types.OperationID
	Thread uint8
}

// TransferBase is the smallest amount a load transfer sends, in nanoMAS:
// the first with a 2-byte varint.
const TransferBase = 128

// SignPlan says what to pre-sign.
type SignPlan struct {
	Senders   []*Sender
	ChainID   uint64
	Fee       types.Amount
	Ops       int     // total operations
	BatchSize int     // operations per send_operations call
	Rate      float64 // ops/s; 0 = unpaced (every Due is 0)
	// Expire gives the expire_period of an operation due at the given
	// offset from the start of the load.
	Expire func(due time.Duration) uint64
	// SampleEvery: one batch in SampleEvery carries a latency sample.
	SampleEvery int
}

// SignStats describes the pre-signed load.
type SignStats struct {
	Ops         int
	Batches     int
	AvgOpBytes  float64 // SecureShare size, what a block's size limit counts
	SignSeconds float64
	BodyBytes   int64
}

// Presign signs and encodes every operation of the plan on all cores.
// Operation i is a transfer of TransferBase + i/len(Senders) nanoMAS from
// sender i mod len(Senders) to another sender, so every operation differs,
// no transfer creates a ledger entry, and every operation has the same
// size (the amount's varint stays 2 bytes for 16,256 rounds of senders):
// a block's size limit then holds a fixed number of them.
func Presign(ctx context.Context, p SignPlan) ([]*Batch, SignStats, error) {
	n := len(p.Senders)
	if n < 2 || p.Ops <= 0 || p.BatchSize <= 0 || p.Expire == nil {
		return nil, SignStats{}, fmt.Errorf("sign plan: %d senders, %d operations, batch %d: %w", n, p.Ops, p.BatchSize, ErrBadOptions)
	}
	start := time.Now()
	nb := (p.Ops + p.BatchSize - 1) / p.BatchSize
	batches := make([]*Batch, nb)
	sizes := make([]int64, nb)
	var wg sync.WaitGroup
	next := make(chan int)
	workers := runtime.GOMAXPROCS(0)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				batches[b], sizes[b] = signBatch(p, b)
			}
		}()
	}
	var err error
feed:
	for b := range nb {
		select {
		case next <- b:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, SignStats{}, err
	}
	st := SignStats{Ops: p.Ops, Batches: nb, SignSeconds: time.Since(start).Seconds()}
	var total int64
	for b, s := range sizes {
		total += s
		st.BodyBytes += int64(len(batches[b].Body))
	}
	st.AvgOpBytes = float64(total) / float64(p.Ops)
	return batches, st, nil
}

func signBatch(p SignPlan, b int) (*Batch, int64) {
	n := len(p.Senders)
	lo := b * p.BatchSize
	hi := min(lo+p.BatchSize, p.Ops)
	var due time.Duration
	if p.Rate > 0 {
		due = time.Duration(float64(lo) / p.Rate * float64(time.Second))
	}
	expire := p.Expire(due)
	out := &Batch{Count: hi - lo, Due: due}
	body := make([]byte, 0, 64+(hi-lo)*360)
	body = append(body, `{"jsonrpc":"2.0","id":`...)
	body = strconv.AppendInt(body, int64(b)+1, 10)
	body = append(body, `,"method":"send_operations","params":[[`...)
	var bytes int64
	for i := lo; i < hi; i++ {
		s := p.Senders[i%n]
		round := i / n
		to := p.Senders[(i+1+round%(n-1))%n] // never s: the offset is 1..n-1
		op := types.Operation{
			Fee:          p.Fee,
			ExpirePeriod: expire,
			Type:         types.OpTransaction,
			Recipient:    to.Address,
			Amount:       types.Amount(TransferBase + round),
		}
		so := types.SignOperation(op, s.Key, p.ChainID)
		bytes += int64(so.SerializedLen)
		if i == lo && p.SampleEvery > 0 && b%p.SampleEvery == 0 {
			out.Sample = &Sample{ID: so.ID, Thread: s.Thread}
		}
		if i > lo {
			body = append(body, ',')
		}
		body = append(body, `{"creator_public_key":"`...)
		body = append(body, s.pubText...)
		body = append(body, `","signature":"`...)
		body = append(body, so.Signature.String()...)
		body = append(body, `","serialized_content":[`...)
		for j, c := range so.Content {
			if j > 0 {
				body = append(body, ',')
			}
			body = strconv.AppendUint(body, uint64(c), 10)
		}
		body = append(body, "]}"...)
	}
	body = append(body, "]]}"...)
	out.Body = body
	return out, bytes
}
