package bench

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

func TestPresign(t *testing.T) {
	senders, err := DeriveSenders(3, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	plan := SignPlan{
		Senders: senders, ChainID: 77, Fee: types.MustAmount("0.01"), Ops: 50, BatchSize: 16, Rate: 100,
		Expire:      func(due time.Duration) uint64 { return 10 + uint64(due/time.Second) },
		SampleEvery: 2,
	}
	batches, st, err := Presign(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 4 || st.Ops != 50 || batches[3].Count != 2 || batches[2].Due != 320*time.Millisecond {
		t.Fatalf("%d batches, stats %+v, last %d ops, third due %v", len(batches), st, batches[3].Count, batches[2].Due)
	}
	ids := map[types.OperationID]bool{}
	var total int
	for i, b := range batches {
		var req struct {
			Method string `json:"method"`
			Params [][]struct {
				Key string `json:"creator_public_key"`
				Sig string `json:"signature"`
				Raw []int  `json:"serialized_content"`
			} `json:"params"`
		}
		if err := json.Unmarshal(b.Body, &req); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if req.Method != "send_operations" || len(req.Params) != 1 || len(req.Params[0]) != b.Count {
			t.Fatalf("batch %d: %s with %d operations", i, req.Method, len(req.Params[0]))
		}
		if (b.Sample != nil) != (i%2 == 0) {
			t.Fatalf("batch %d: sample %v", i, b.Sample)
		}
		for j, o := range req.Params[0] {
			pub, err := crypto.ParsePublicKey(o.Key)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := crypto.ParseSignature(o.Sig)
			if err != nil {
				t.Fatal(err)
			}
			content := make([]byte, len(o.Raw))
			for k, v := range o.Raw {
				content[k] = byte(v)
			}
			so, err := types.NewSignedOperation(content, pub, sig, 77)
			if err != nil {
				t.Fatal(err)
			}
			if !so.VerifySignature() || so.Op.Type != types.OpTransaction || so.Op.Recipient == so.CreatorAddr {
				t.Fatalf("batch %d op %d: bad operation", i, j)
			}
			if want := 10 + uint64(b.Due/time.Second); so.Op.ExpirePeriod != want {
				t.Fatalf("expire %d, want %d", so.Op.ExpirePeriod, want)
			}
			if ids[so.ID] {
				t.Fatalf("duplicate operation %s", so.ID)
			}
			ids[so.ID] = true
			if j == 0 && b.Sample != nil && (b.Sample.ID != so.ID || b.Sample.Thread != so.Thread(4)) {
				t.Fatalf("sample does not match the batch's first operation")
			}
			total++
		}
	}
	if total != 50 {
		t.Fatalf("%d operations", total)
	}
}
