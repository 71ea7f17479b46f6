package execution

import (
	"fmt"
	"slices"

	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// ExecutedOp records an executed operation (protocol.md §3.6): whether it
// succeeded and the last slot in which it could have been included,
// (expire period, sender thread). It guards against replays until pruned.
type ExecutedOp struct {
	Success    bool
	ValidUntil types.Slot
}

// executedOpKey is "executed_ops/" || op id (version byte 0 || 32-byte hash).
func executedOpKey(id types.OperationID) []byte {
	k := make([]byte, 0, len(store.PrefixExecutedOps)+types.IDSize)
	k = append(k, store.PrefixExecutedOps...)
	return id.AppendBinary(k)
}

// encodeExecutedOp is Massa's value: bool byte || slot (period varint,
// thread byte).
func encodeExecutedOp(e ExecutedOp) []byte {
	v := make([]byte, 0, 1+types.UvarintLen(e.ValidUntil.Period)+1)
	if e.Success {
		v = append(v, 1)
	} else {
		v = append(v, 0)
	}
	return e.ValidUntil.AppendBinary(v)
}

// decodeExecutedOp parses a stored (key, value) pair of the executed-ops
// prefix, strictly.
func decodeExecutedOp(k, v []byte, threadCount uint8) (types.OperationID, ExecutedOp, error) {
	p := len(store.PrefixExecutedOps)
	if len(k) != p+types.IDSize || string(k[:p]) != store.PrefixExecutedOps {
		return types.OperationID{}, ExecutedOp{}, fmt.Errorf("%w: executed op key of %d bytes", ErrBadKey, len(k))
	}
	kr := types.NewReader(k[p:], "executed op key")
	id := kr.OperationID("id")
	if err := kr.Done(); err != nil {
		return types.OperationID{}, ExecutedOp{}, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	r := types.NewReader(v, "executed op")
	var e ExecutedOp
	switch b := r.Byte("success"); {
	case r.Err() != nil:
	case b == 1:
		e.Success = true
	case b != 0:
		r.Failf("success", types.ErrBadEncoding, "bool byte %d", b)
	}
	e.ValidUntil = r.Slot("valid_until", threadCount)
	if err := r.Done(); err != nil {
		return types.OperationID{}, ExecutedOp{}, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return id, e, nil
}

// opIndex is the in-memory copy of the final executed operations: their
// status for replay checks and the API, and their ids by valid-until slot
// for pruning.
type opIndex struct {
	status   map[types.OperationID]ExecutedOp
	byExpiry map[types.Slot][]types.OperationID
	slots    []types.Slot // keys of byExpiry, ascending
}

func newOpIndex() *opIndex {
	return &opIndex{
		status:   make(map[types.OperationID]ExecutedOp),
		byExpiry: make(map[types.Slot][]types.OperationID),
	}
}

func (x *opIndex) add(id types.OperationID, e ExecutedOp) {
	if old, ok := x.status[id]; ok && old.ValidUntil == e.ValidUntil {
		x.status[id] = e
		return
	}
	x.status[id] = e
	ids, ok := x.byExpiry[e.ValidUntil]
	if !ok {
		i, _ := slices.BinarySearchFunc(x.slots, e.ValidUntil, types.Slot.Compare)
		x.slots = slices.Insert(x.slots, i, e.ValidUntil)
	}
	x.byExpiry[e.ValidUntil] = append(ids, id)
}

// expiredBefore lists the ids whose valid-until slot is < cutoff.
func (x *opIndex) expiredBefore(cutoff types.Slot) []types.OperationID {
	var out []types.OperationID
	for _, s := range x.slots {
		if !s.Less(cutoff) {
			break
		}
		for _, id := range x.byExpiry[s] {
			// An id re-added with another slot is listed twice; only the
			// current slot counts.
			if e, ok := x.status[id]; ok && e.ValidUntil == s {
				out = append(out, id)
			}
		}
	}
	return out
}

// prune drops every id whose valid-until slot is < cutoff.
func (x *opIndex) prune(cutoff types.Slot) {
	n := 0
	for _, s := range x.slots {
		if !s.Less(cutoff) {
			break
		}
		for _, id := range x.byExpiry[s] {
			if e, ok := x.status[id]; ok && e.ValidUntil == s {
				delete(x.status, id)
			}
		}
		delete(x.byExpiry, s)
		n++
	}
	x.slots = slices.Delete(x.slots, 0, n)
}

// pruneCutoff is the slot before which executed ops are forgotten when
// slot is finalized: (period - keep, thread); false while period < keep.
func pruneCutoff(slot types.Slot, keep uint64) (types.Slot, bool) {
	if slot.Period < keep {
		return types.Slot{}, false
	}
	return types.Slot{Period: slot.Period - keep, Thread: slot.Thread}, true
}
