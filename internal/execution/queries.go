package execution

import (
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// Every method in this file is safe to call from any goroutine: it holds
// the read lock, so it sees the final state and the history of one moment.

// candidateView reads the final ledger with the whole history on top.
// Callers hold c.mu.
func (c *Core) candidateView() *ledger.View {
	layers := make([]*ledger.Changes, len(c.history))
	for i, h := range c.history {
		layers[i] = h.Ledger
	}
	return ledger.NewView(c.finalLedger, layers...)
}

// Balances returns addr's final and candidate balances; each ok is false
// when addr does not exist in that state.
func (c *Core) Balances(addr types.Address) (final types.Amount, finalOK bool, candidate types.Amount, candidateOK bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if final, finalOK, err = c.finalLedger.Balance(addr); err != nil {
		return
	}
	candidate, candidateOK, err = c.candidateView().Balance(addr)
	return
}

// CandidateBalance is addr's balance after the latest executed slot (the
// speculative state the pool checks operations against).
func (c *Core) CandidateBalance(addr types.Address) (types.Amount, bool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.candidateView().Balance(addr)
}

// FinalBalance is addr's balance in the final state.
func (c *Core) FinalBalance(addr types.Address) (types.Amount, bool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.finalLedger.Balance(addr)
}

// RollCounts returns addr's final and candidate roll counts.
func (c *Core) RollCounts(addr types.Address) (final, candidate uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	layers := make([]*pos.Changes, len(c.history))
	for i, h := range c.history {
		layers[i] = h.PoS
	}
	return c.pos.RollCount(addr), c.pos.RollCountWith(addr, layers...)
}

// DeferredCredits returns addr's pending deferred credits, candidate
// (history overlaid, zeros removed) and final, sorted by slot.
func (c *Core) DeferredCredits(addr types.Address) (candidate, final []pos.Credit) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	final = c.pos.DeferredCreditsOf(addr)
	bySlot := make(map[types.Slot]types.Amount, len(final))
	for _, cr := range final {
		bySlot[cr.Slot] = cr.Amount
	}
	for _, h := range c.history {
		for _, cr := range h.PoS.SortedCredits() {
			if cr.Address == addr {
				bySlot[cr.Slot] = cr.Amount
			}
		}
	}
	for s, a := range bySlot {
		if a != 0 {
			candidate = append(candidate, pos.Credit{Slot: s, Address: addr, Amount: a})
		}
	}
	slices.SortFunc(candidate, func(a, b pos.Credit) int { return a.Slot.Compare(b.Slot) })
	return candidate, final
}

// Bytecodes returns addr's final and candidate bytecode.
func (c *Core) Bytecodes(addr types.Address) (final []byte, finalOK bool, candidate []byte, candidateOK bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if final, finalOK, err = c.finalLedger.Bytecode(addr); err != nil {
		return
	}
	candidate, candidateOK, err = c.candidateView().Bytecode(addr)
	return
}

// DatastoreEntry returns one datastore value, final and candidate.
func (c *Core) DatastoreEntry(addr types.Address, key []byte) (final []byte, finalOK bool, candidate []byte, candidateOK bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if final, finalOK, err = c.finalLedger.DatastoreValue(addr, key); err != nil {
		return
	}
	candidate, candidateOK, err = c.candidateView().DatastoreValue(addr, key)
	return
}

// DatastoreKeys lists addr's datastore keys in r, from the final state or
// the candidate one; ok is false when addr does not exist there.
func (c *Core) DatastoreKeys(addr types.Address, r ledger.KeyRange, final bool) (keys [][]byte, ok bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if final {
		return c.finalLedger.DatastoreKeys(addr, r)
	}
	return c.candidateView().DatastoreKeys(addr, r)
}

// OpStatus is the execution status of an operation; nil means unknown
// (never executed, or forgotten after its expiry). A final status is
// also the speculative one.
type OpStatus struct {
	Speculative *bool
	Final       *bool
}

// OpExecStatus returns the status of each id.
func (c *Core) OpExecStatus(ids []types.OperationID) []OpStatus {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]OpStatus, len(ids))
	for i, id := range ids {
		if e, ok := c.finalOps.status[id]; ok {
			s := e.Success
			out[i] = OpStatus{Speculative: &s, Final: &s}
			continue
		}
		if _, ok := c.specOps[id]; !ok {
			continue
		}
		for j := len(c.history) - 1; j >= 0; j-- {
			if e, ok := c.history[j].Ops[id]; ok {
				s := e.Success
				out[i].Speculative = &s
				break
			}
		}
	}
	return out
}

// Executed reports whether the operation was executed in a final slot
// (final) or in any executed slot, final or candidate (executed): two
// lookups, where OpExecStatus walks the history for the outcome. The pool
// asks this for every operation it holds.
func (c *Core) Executed(id types.OperationID) (executed, final bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	// Candidate slots first: the pool mostly asks about operations its
	// blocks carry, and that map is several times smaller than the final
	// one (ids are kept 20 periods there). The two sets are disjoint: an
	// operation leaves specOps when its slot is finalized.
	if _, ok := c.specOps[id]; ok {
		return true, false
	}
	if _, ok := c.finalOps.status[id]; ok {
		return true, true
	}
	return false, false
}

// TrackFinalizedOps makes the core remember the ids of the operations of
// every slot it finalizes from now on, until TakeFinalizedOps hands them
// over. A caller that turns it on must take them regularly.
func (c *Core) TrackFinalizedOps() {
	c.mu.Lock()
	c.trackFinalized = true
	c.mu.Unlock()
}

// TakeFinalizedOps returns the ids of the operations finalized since the
// previous call (in no particular order) and forgets them. The pool drops
// them by id instead of asking about each operation it holds.
func (c *Core) TakeFinalizedOps() []types.OperationID {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := c.finalized
	c.finalized = nil
	return ids
}

// Events returns the events that pass f: final ones from the bounded
// final store, candidate ones from the history, final first.
func (c *Core) Events(f EventFilter) []Event {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Event
	if f.IsFinal == nil || *f.IsFinal {
		out = c.finalEvents.filter(&f, out)
	}
	if f.IsFinal == nil || !*f.IsFinal {
		for _, h := range c.history {
			for i := range h.Events {
				if f.Match(&h.Events[i]) {
					out = append(out, cloneEvent(&h.Events[i]))
				}
			}
		}
	}
	return out
}

// Stats returns the execution counters.
func (c *Core) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stats
}

// FinalSlot is the last finalized slot.
func (c *Core) FinalSlot() types.Slot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.finalSlot
}

// StateHash returns the final slot and the 512-byte state hash after it.
func (c *Core) StateHash() (types.Slot, store.StateHash) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.finalSlot, c.st.StateHash()
}

// Fingerprint is BLAKE3-256 of the final state hash (what logs show and
// nodes compare).
func (c *Core) Fingerprint() crypto.Hash {
	_, h := c.StateHash()
	return store.Fingerprint(h)
}

// WithPoS runs fn with the final PoS state under the read lock, for API
// queries that need more of it (cycle infos, stakers). fn must not keep
// the state or modify it.
func (c *Core) WithPoS(fn func(*pos.State)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.pos)
}
