package pos

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gomassa/gomassa/internal/types"
)

// Selector caches the draws of the latest cycles and answers who produces
// and endorses a slot. It is the one piece of this package shared by many
// goroutines (consensus, factories, pools, API), so it holds a lock; it
// starts nothing and reads no clock. Computing draws is CPU work (a few ms
// per mainnet cycle): the owning service may call DrawCycle itself, off its
// hot path, and Insert the result.
type Selector struct {
	cfg      Config
	capacity int

	mu    sync.RWMutex
	cache []*Draws // ascending cycle
}

// NewSelector returns an empty selector keeping at most capacity cycles
// (SELECTOR_DRAW_CACHE_SIZE is 6 on mainnet).
func NewSelector(cfg Config, capacity int) (*Selector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if capacity < 1 {
		return nil, fmt.Errorf("%w: selector capacity %d", ErrBadConfig, capacity)
	}
	return &Selector{cfg: cfg, capacity: capacity}, nil
}

// Feed computes and caches the draws of one cycle.
func (s *Selector) Feed(in DrawInputs) error {
	d, err := DrawCycle(s.cfg, in)
	if err != nil {
		return err
	}
	s.Insert(d)
	return nil
}

// FeedFrom computes the draws of cycle from the final PoS state.
func (s *Selector) FeedFrom(st *State, cycle uint64) error {
	in, err := st.DrawInputs(cycle)
	if err != nil {
		return err
	}
	return s.Feed(in)
}

// Insert caches computed draws, replacing those of the same cycle and
// evicting the oldest cycles beyond capacity.
func (s *Selector) Insert(d *Draws) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := slices.BinarySearchFunc(s.cache, d.cycle, func(x *Draws, c uint64) int {
		switch {
		case x.cycle < c:
			return -1
		case x.cycle > c:
			return 1
		}
		return 0
	})
	if found {
		s.cache[i] = d
	} else {
		s.cache = slices.Insert(s.cache, i, d)
	}
	if n := len(s.cache) - s.capacity; n > 0 {
		clear(s.cache[:n])
		s.cache = slices.Delete(s.cache, 0, n)
	}
}

// Cycles lists the cached cycles, ascending.
func (s *Selector) Cycles() []uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]uint64, len(s.cache))
	for i, d := range s.cache {
		out[i] = d.cycle
	}
	return out
}

// Draws returns the cached draws of cycle.
func (s *Selector) Draws(cycle uint64) (*Draws, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.draws(cycle)
}

func (s *Selector) draws(cycle uint64) (*Draws, error) {
	for _, d := range s.cache {
		if d.cycle == cycle {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: cycle %d", ErrDrawsNotReady, cycle)
}

// Producer returns the block producer of slot.
func (s *Selector) Producer(slot types.Slot) (types.Address, error) {
	d, err := s.Draws(s.cfg.CycleOf(slot))
	if err != nil {
		return types.Address{}, err
	}
	return d.Producer(slot)
}

// Endorsers returns the EndorsementCount endorsers of slot, index 0 first.
func (s *Selector) Endorsers(slot types.Slot) ([]types.Address, error) {
	d, err := s.Draws(s.cfg.CycleOf(slot))
	if err != nil {
		return nil, err
	}
	return d.Endorsers(slot)
}

// Selection returns producer and endorsers of slot.
func (s *Selector) Selection(slot types.Slot) (Selection, error) {
	d, err := s.Draws(s.cfg.CycleOf(slot))
	if err != nil {
		return Selection{}, err
	}
	return d.Selection(slot)
}

// SlotSelection is a Selection with its slot.
type SlotSelection struct {
	Slot types.Slot
	Selection
}

// SelectionsInRange lists the available selections of the slots in
// [from, to], in slot order, stopping at the first slot whose cycle is not
// cached (as Massa's get_available_selections_in_range). With a non-nil
// filter only selections involving an address it accepts are listed.
func (s *Selector) SelectionsInRange(from, to types.Slot, filter func(types.Address) bool) []SlotSelection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.cache) == 0 {
		return nil
	}
	if first := s.cfg.FirstSlot(s.cache[0].cycle); from.Less(first) {
		from = first
	}
	if last := s.cfg.LastSlot(s.cache[len(s.cache)-1].cycle); last.Less(to) {
		to = last
	}
	var out []SlotSelection
	var d *Draws
	if to.Less(from) || from.Thread >= s.cfg.ThreadCount {
		return nil
	}
	for slot := from; !to.Less(slot); slot = slot.Next(s.cfg.ThreadCount) {
		c := s.cfg.CycleOf(slot)
		if d == nil || d.cycle != c {
			var err error
			if d, err = s.draws(c); err != nil {
				break
			}
		}
		sel, err := d.Selection(slot)
		if err != nil {
			break
		}
		if filter == nil || filter(sel.Producer) || slices.ContainsFunc(sel.Endorsements, filter) {
			out = append(out, SlotSelection{Slot: slot, Selection: sel})
		}
		if slot == to {
			break // also stops the wrap-around after the very last slot
		}
	}
	return out
}

// NextDraws returns the slots in [from, to] where addr produces a block and
// the (slot, index) pairs where it endorses, from the cached cycles only:
// the API's next_block_draws and next_endorsement_draws.
func (s *Selector) NextDraws(addr types.Address, from, to types.Slot) ([]types.Slot, []types.IndexedSlot) {
	blocks := []types.Slot{}
	endorsements := []types.IndexedSlot{}
	is := func(a types.Address) bool { return a == addr }
	for _, sel := range s.SelectionsInRange(from, to, is) {
		if sel.Producer == addr {
			blocks = append(blocks, sel.Slot)
		}
		for i, e := range sel.Endorsements {
			if e == addr {
				endorsements = append(endorsements, types.IndexedSlot{Slot: sel.Slot, Index: i})
			}
		}
	}
	return blocks, endorsements
}
