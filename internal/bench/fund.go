package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// fundSenders sends amount from funder to every sender and waits until
// every transfer is final (used against a running node, where the bench
// cannot write the genesis).
func fundSenders(ctx context.Context, c *rpcClient, funder *crypto.SecretKey, senders []*Sender, amount, fee types.Amount, st *nodeStatus, batch int, log func(string, ...any)) error {
	period := uint64(0)
	if st.LastSlot != nil {
		period = st.LastSlot.Period
	}
	validity := st.Config.OperationValidityPeriods
	if validity == 0 {
		validity = types.OperationValidityPeriods
	}
	expire := period + validity
	var ids []types.OperationID
	for lo := 0; lo < len(senders); lo += batch {
		hi := min(lo+batch, len(senders))
		var in []map[string]any
		for _, s := range senders[lo:hi] {
			op := types.Operation{Fee: fee, ExpirePeriod: expire, Type: types.OpTransaction, Recipient: s.Address, Amount: amount}
			so := types.SignOperation(op, funder, st.ChainID)
			ids = append(ids, so.ID)
			in = append(in, map[string]any{
				"creator_public_key": so.Creator.String(),
				"signature":          so.Signature.String(),
				"serialized_content": byteList(so.Content),
			})
		}
		if err := c.call(ctx, "send_operations", []any{in}, nil); err != nil {
			return fmt.Errorf("%w: %w", ErrFunding, err)
		}
	}
	log("funding %d senders with %s MAS each from %s; waiting for finality", len(senders), amount, types.AddressOf(funder.Public()))
	deadline := time.Now().Add(time.Duration(validity+4) * time.Duration(st.Config.T0) * time.Millisecond)
	pending := ids
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d of %d funding transfers not final after %d periods", ErrFunding, len(pending), len(ids), validity+4)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		var left []types.OperationID
		for lo := 0; lo < len(pending); lo += batch {
			hi := min(lo+batch, len(pending))
			res, err := c.operations(ctx, pending[lo:hi])
			if err != nil {
				return fmt.Errorf("%w: %w", ErrFunding, err)
			}
			final := map[types.OperationID]bool{}
			for _, r := range res {
				if r.IsFinal != nil && *r.IsFinal {
					final[r.ID] = true
				}
			}
			for _, id := range pending[lo:hi] {
				if !final[id] {
					left = append(left, id)
				}
			}
		}
		pending = left
	}
	return nil
}

// byteList marshals as a JSON array of numbers, as send_operations wants
// serialized_content.
type byteList []byte

func (b byteList) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 2+4*len(b))
	out = append(out, '[')
	for i, c := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = fmt.Appendf(out, "%d", c)
	}
	return append(out, ']'), nil
}
