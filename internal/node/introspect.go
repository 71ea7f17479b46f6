package node

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/execution"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// Read-only views of a running node for the network simulator
// (internal/sim) and tests: they let a harness compare several nodes
// without going through the JSON API. Each takes the lock of the component
// it reads, so it is safe while the node runs; the values are consistent
// with each other only while the main loop is idle (the simulator calls
// them between two of the loop's steps).

// FinalBlockRef is a final block by slot.
type FinalBlockRef struct {
	Slot types.Slot
	ID   types.BlockID
}

// FinalAccount is an address's final state that holds coins.
type FinalAccount struct {
	Balance types.Amount
	Rolls   uint64
	// Deferred sums the final deferred credits not paid yet.
	Deferred types.Amount
}

// FinalState returns the last slot execution finalized and the fingerprint
// of the final state after it.
func (n *Node) FinalState() (types.Slot, crypto.Hash) {
	slot, h := n.exec.StateHash()
	return slot, store.Fingerprint(h)
}

// LatestFinalPeriods returns, per thread, the period of consensus's latest
// final block.
func (n *Node) LatestFinalPeriods() []uint64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.graph.LatestFinalPeriods()
}

// FinalBlocks lists every final block saved in the block database, by slot.
// Slots without an entry are misses (or not final yet).
func (n *Node) FinalBlocks() ([]FinalBlockRef, error) {
	return n.blockDB.finalIndex()
}

// finalIndex lists the final index ('f' || slot key -> block id) in slot
// order.
func (b *blockDB) finalIndex() ([]FinalBlockRef, error) {
	it, err := b.db.NewIter(&pebble.IterOptions{LowerBound: []byte{finalPrefix}, UpperBound: []byte{finalPrefix + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []FinalBlockRef
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 1+types.SlotKeySize {
			return nil, fmt.Errorf("final index key of %d bytes", len(k))
		}
		s, err := types.SlotFromKey(k[1:])
		if err != nil {
			return nil, fmt.Errorf("final index key: %w", err)
		}
		r := types.NewReader(it.Value(), "final index")
		id := r.BlockID("block id")
		if err := r.Done(); err != nil {
			return nil, err
		}
		out = append(out, FinalBlockRef{Slot: s, ID: id})
	}
	return out, it.Error()
}

// FinalAccountOf returns addr's final balance, roll count and pending
// deferred credits.
func (n *Node) FinalAccountOf(addr types.Address) (FinalAccount, error) {
	bal, _, err := n.exec.FinalBalance(addr)
	if err != nil {
		return FinalAccount{}, err
	}
	a := FinalAccount{Balance: bal}
	a.Rolls, _ = n.exec.RollCounts(addr)
	_, final := n.exec.DeferredCredits(addr)
	for _, c := range final {
		a.Deferred = a.Deferred.SaturatingAdd(c.Amount)
	}
	return a, nil
}

// FinalSupply is what execution minted and burnt in the slots it
// finalized since this node started (not since genesis).
func (n *Node) FinalSupply() execution.Supply { return n.exec.Stats().FinalSupply }

// OperationFinal reports whether operation id was executed in a final
// slot, and whether it succeeded. Execution forgets executed operations
// once they expire.
func (n *Node) OperationFinal(id types.OperationID) (executed, success bool) {
	st := n.exec.OpExecStatus([]types.OperationID{id})
	if len(st) != 1 || st[0].Final == nil {
		return false, false
	}
	return true, *st[0].Final
}

// GraphStats returns consensus's counters.
func (n *Node) GraphStats() consensus.Stats {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.graph.Stats()
}

// CheckGraph verifies consensus's internal invariants (slow: tests only).
func (n *Node) CheckGraph() error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.graph.CheckInvariants()
}

// StakingAddresses lists the addresses the node produces with.
func (n *Node) StakingAddresses() []types.Address { return n.staking.Addresses() }

// AddVolatileStakingKeys makes the node produce blocks and endorsements
// with keys held in memory only, never written to its staking wallet. The
// network simulator uses it: opening a wallet costs a 600 000-round PBKDF2
// per key, which dominated the start of simulated nodes. Call it between
// New and Run.
func (n *Node) AddVolatileStakingKeys(keys ...*crypto.SecretKey) {
	if n.staking.volatile == nil {
		n.staking.volatile = make(map[types.Address]*crypto.SecretKey, len(keys))
	}
	for _, k := range keys {
		n.staking.volatile[types.AddressOf(k.Public())] = k
	}
}
