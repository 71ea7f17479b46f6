package execution

import (
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// unsignedOp builds an operation as execution sees it, without the cost of
// a signature (execution never checks signatures).
func unsignedOp(pub crypto.PublicKey, op types.Operation) *types.SignedOperation {
	content := op.Encode()
	return &types.SignedOperation{
		Op: op, Content: content, Creator: pub,
		ID:          types.OperationID(types.OperationHash(testChainID, pub, content)),
		CreatorAddr: types.AddressOf(pub),
	}
}

// BenchmarkExecuteBlockTransfers executes and finalizes (one store commit)
// blocks of 5000 transfers between 1000 existing addresses of the block's
// thread.
func BenchmarkExecuteBlockTransfers(b *testing.B) {
	const nAddr, nOps = 1000, 5000
	cfg := testConfig()
	var keys []*crypto.SecretKey
	var g Genesis
	for i := 0; len(keys) < nAddr; i++ {
		k := testKey(10_000+i, 0)
		keys = append(keys, k)
		g.Ledger = append(g.Ledger, GenesisEntry{Address: addrOf(k), Balance: mas("1000000")})
	}
	producer := addrOf(keys[0])
	h := newHarness(b, cfg, g, []types.Address{producer})
	blocks := make([]*BlockToExecute, b.N)
	for i := range blocks {
		slot := types.Slot{Period: uint64(i + 1)}
		blk := &BlockToExecute{ID: types.BlockID(crypto.HashOf([]byte{byte(i), byte(i >> 8), byte(i >> 16), 'b'})), Slot: slot, Creator: producer}
		for j := 0; j < nOps; j++ {
			from := keys[(j*7+i)%nAddr]
			to := addrOf(keys[(j*13+i+1)%nAddr])
			blk.Operations = append(blk.Operations, unsignedOp(from.Public(), types.Operation{
				Fee: mas("0.01"), ExpirePeriod: slot.Period + 5, Type: types.OpTransaction, Recipient: to, Amount: mas("1") + types.Amount(j),
			}))
		}
		blocks[i] = blk
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.finalizeTo(types.Slot{Period: uint64(i + 1), Thread: 1}, blocks[i])
	}
	b.StopTimer()
	if got := h.core.Stats().FinalExecutedOps; got != uint64(b.N*nOps) {
		b.Fatalf("%d ops executed, want %d", got, b.N*nOps)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nOps), "ns/transfer")
}
