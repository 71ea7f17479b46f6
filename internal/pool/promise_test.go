package pool

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// TestAdmissionFastPathAgrees checks that admission with the upper-bound
// fast path decides exactly as the exact count of what unexecuted pooled
// operations promise, through random adds, executions and removals on
// senders near their balance and roll limits.
func TestAdmissionFastPathAgrees(t *testing.T) {
	cfg := testConfig()
	cfg.MaxCount = 1 << 20
	r := rand.New(rand.NewPCG(3, 4))
	var keys []*crypto.SecretKey
	st := &fakeState{bal: map[types.Address]types.Amount{}, executed: map[types.OperationID]bool{}, rolls: map[types.Address]uint64{}}
	for i := range 4 {
		k := newKey(t, uint64(i)+500)
		keys = append(keys, k)
		st.bal[types.AddressOf(k.Public())] = types.MustAmount("3")
		st.rolls[types.AddressOf(k.Public())] = 3
	}
	p := NewOperations(cfg, st)
	p.SetCurrentPeriod(5)
	var pooled []types.OperationID
	outcomes := map[string]int{}
	for step := range 3000 {
		k := keys[r.IntN(len(keys))]
		addr := types.AddressOf(k.Public())
		var op *types.SignedOperation
		if r.IntN(4) == 0 {
			o := types.Operation{Fee: types.MustAmount("0.01"), ExpirePeriod: 10, Type: types.OpRollSell, RollCount: uint64(r.IntN(3))}
			o.Amount = types.Amount(step) // unused by roll sells: only makes ids differ
			o.Fee += types.Amount(step)
			op = types.SignOperation(o, k, 77)
		} else {
			op = transfer(k, "0.01", fmt.Sprintf("0.%d", 1+r.IntN(9)), 10+uint64(step%2))
		}
		want := referenceCheck(p, st, op)
		got := p.Add(op)
		if (got == nil) != (want == nil) || (got != nil && !errors.Is(got, want)) {
			t.Fatalf("step %d: Add = %v, the exact count says %v", step, got, want)
		}
		if got == nil {
			pooled = append(pooled, op.ID)
		}
		switch {
		case got == nil:
			outcomes["accepted"]++
		case errors.Is(got, ErrInsufficientBalance):
			outcomes["balance"]++
		case errors.Is(got, ErrNotEnoughRolls):
			outcomes["rolls"]++
		}
		switch r.IntN(5) {
		case 0: // an operation gets executed (or a blockclique change undoes one)
			if len(pooled) > 0 {
				id := pooled[r.IntN(len(pooled))]
				st.executed[id] = !st.executed[id]
			}
		case 1:
			if len(pooled) > 0 {
				i := r.IntN(len(pooled))
				p.Remove([]types.OperationID{pooled[i]})
				pooled = append(pooled[:i], pooled[i+1:]...)
			}
		case 2: // the balance moves
			st.bal[addr] = types.Amount(r.Uint64N(uint64(5 * types.OneMAS)))
		}
	}
	for _, k := range []string{"accepted", "balance", "rolls"} {
		if outcomes[k] < 20 {
			t.Fatalf("too few %q outcomes to exercise both paths: %v", k, outcomes)
		}
	}
}

// referenceCheck is what admission decides counting every unexecuted
// pooled operation of the sender, without the fast path.
func referenceCheck(p *Operations, st *fakeState, op *types.SignedOperation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if executed, _ := st.Executed(op.ID); executed {
		return ErrAlreadyExecuted
	}
	if _, ok := p.byID[op.ID]; ok {
		return ErrDuplicate
	}
	spend, sells := p.promised(op.CreatorAddr)
	if op.Op.Type == types.OpRollSell {
		owned := st.rolls[op.CreatorAddr]
		if op.Op.RollCount == 0 || op.Op.RollCount > owned || sells+op.Op.RollCount > owned {
			return ErrNotEnoughRolls
		}
	}
	if op.Op.MaxSpending(p.cfg.RollPrice) > st.bal[op.CreatorAddr].SaturatingSub(spend) {
		return ErrInsufficientBalance
	}
	return nil
}
