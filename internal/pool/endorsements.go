package pool

import (
	"fmt"
	"sort"
	"sync"

	"github.com/gomassa/gomassa/internal/types"
)

// EndorserDraws tells the endorsement pool who was drawn.
type EndorserDraws interface {
	Endorser(slot types.Slot, index uint32) (types.Address, error)
}

// maxEndorsedPerKey bounds how many different endorsed blocks one (slot,
// index) may carry: more than one means equivocation, and keeping a few
// is enough to catch it without letting a double-signer flood us.
const maxEndorsedPerKey = 4

type endoKey struct {
	slot  types.Slot
	index uint32
}

// Endorsements is the endorsement pool, indexed by (slot, index) and then
// by endorsed block.
type Endorsements struct {
	draws    EndorserDraws
	maxKeys  int
	mu       sync.Mutex
	byKey    map[endoKey]map[types.BlockID]*types.SignedEndorsement
	byID     map[types.EndorsementID]*types.SignedEndorsement
	finalPer []uint64
}

// NewEndorsements builds an endorsement pool holding at most maxKeys
// (slot, index) entries.
func NewEndorsements(threadCount uint8, maxKeys int, draws EndorserDraws) *Endorsements {
	return &Endorsements{
		draws:    draws,
		maxKeys:  maxKeys,
		byKey:    make(map[endoKey]map[types.BlockID]*types.SignedEndorsement),
		byID:     make(map[types.EndorsementID]*types.SignedEndorsement),
		finalPer: make([]uint64, threadCount),
	}
}

// Add stores a verified endorsement if its slot is not final yet and its
// creator was drawn for it.
func (p *Endorsements) Add(e *types.SignedEndorsement) error {
	s := e.Endorsement.Slot
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(s.Thread) < len(p.finalPer) && s.Period <= p.finalPer[s.Thread] {
		return fmt.Errorf("%w: endorsement for slot %s, thread %d is final up to period %d", ErrExpired, s, s.Thread, p.finalPer[s.Thread])
	}
	if _, ok := p.byID[e.ID]; ok {
		return fmt.Errorf("%w: %s", ErrDuplicate, e.ID)
	}
	drawn, err := p.draws.Endorser(s, e.Endorsement.Index)
	if err != nil {
		return fmt.Errorf("endorsement %s: draws of slot %s: %w", e.ID, s, err)
	}
	if drawn != e.CreatorAddr {
		return fmt.Errorf("%w: slot %s index %d was drawn for %s, not %s", ErrNotEndorser, s, e.Endorsement.Index, drawn, e.CreatorAddr)
	}
	k := endoKey{s, e.Endorsement.Index}
	m := p.byKey[k]
	if m == nil {
		if len(p.byKey) >= p.maxKeys {
			return fmt.Errorf("%w: %d endorsement slots held", ErrPoolFull, len(p.byKey))
		}
		m = make(map[types.BlockID]*types.SignedEndorsement)
		p.byKey[k] = m
	}
	if len(m) >= maxEndorsedPerKey {
		return fmt.Errorf("%w: slot %s index %d already has %d endorsed blocks", ErrPoolFull, s, e.Endorsement.Index, len(m))
	}
	m[e.Endorsement.EndorsedBlock] = e
	p.byID[e.ID] = e
	return nil
}

// BlockEndorsements returns, index by index, the endorsements of slot that
// endorse parent (the block's parent in its own thread).
func (p *Endorsements) BlockEndorsements(slot types.Slot, parent types.BlockID, count uint32) []*types.SignedEndorsement {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*types.SignedEndorsement
	for i := uint32(0); i < count; i++ {
		if e, ok := p.byKey[endoKey{slot, i}][parent]; ok {
			out = append(out, e)
		}
	}
	return out
}

// Contains reports whether the endorsement is pooled.
func (p *Endorsements) Contains(id types.EndorsementID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byID[id]
	return ok
}

// Get returns a pooled endorsement.
func (p *Endorsements) Get(id types.EndorsementID) (*types.SignedEndorsement, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byID[id]
	return e, ok
}

// Len is the number of pooled endorsements.
func (p *Endorsements) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byID)
}

// Prune drops endorsements whose slot is final in its thread.
func (p *Endorsements) Prune(finalPeriods []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	copy(p.finalPer, finalPeriods)
	keys := make([]endoKey, 0, len(p.byKey))
	for k := range p.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].slot.Less(keys[j].slot) })
	for _, k := range keys {
		if int(k.slot.Thread) < len(p.finalPer) && k.slot.Period <= p.finalPer[k.slot.Thread] {
			for _, e := range p.byKey[k] {
				delete(p.byID, e.ID)
			}
			delete(p.byKey, k)
		}
	}
}
