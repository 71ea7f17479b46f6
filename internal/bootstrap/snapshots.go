package bootstrap

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// StateView is a consistent read view of a final state: keys, final slot
// and state fingerprint of one commit (a *store.Snapshot).
type StateView interface {
	FinalSlot() (types.Slot, bool)
	Fingerprint() crypto.Hash
	Iterate(prefix, startAfter []byte, fn func(k, v []byte) bool) error
	Close() error
}

// StateSource opens state views.
type StateSource interface {
	Snapshot() (StateView, error)
}

// StoreSource serves a *store.Store.
type StoreSource struct{ Store *store.Store }

// Snapshot opens a store snapshot.
func (s StoreSource) Snapshot() (StateView, error) {
	sn, err := s.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	return sn, nil
}

// snapEntry is one snapshot a server streams from, shared by the sessions
// that load it and kept a while after the last one for resumption.
type snapEntry struct {
	view     StateView
	slot     types.Slot
	fp       crypto.Hash
	lastUsed time.Time
	refs     int

	// totals is set by the counting goroutine once it has scanned the
	// view; stop asks it to end early, done is closed when it has.
	totals atomic.Pointer[Totals]
	stop   atomic.Bool
	done   chan struct{}
}

// Totals returns the snapshot's size once counted, else nil.
func (e *snapEntry) Totals() *Totals { return e.totals.Load() }

// count scans the view once to learn its size for clients' progress bars.
func (e *snapEntry) count() {
	defer close(e.done)
	var t Totals
	err := e.view.Iterate(nil, nil, func(k, v []byte) bool {
		t.Entries++
		t.Bytes += uint64(len(k) + len(v))
		return !e.stop.Load()
	})
	if err == nil && !e.stop.Load() {
		e.totals.Store(&t)
	}
}

// snapshots is the server's cache of snapshots, keyed by final slot:
// bounded in count and age (after its last use).
type snapshots struct {
	src     StateSource
	max     int
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries []*snapEntry
}

// fresh returns a snapshot of the current final state: the cached one
// when the state has not moved since, else a new one.
func (c *snapshots) fresh() (*snapEntry, error) {
	view, err := c.src.Snapshot()
	if err != nil {
		return nil, err
	}
	slot, ok := view.FinalSlot()
	if !ok {
		view.Close()
		return nil, errNoState
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.slot == slot {
			view.Close()
			e.refs++
			e.lastUsed = c.now()
			return e, nil
		}
	}
	e := &snapEntry{view: view, slot: slot, fp: view.Fingerprint(), lastUsed: c.now(), refs: 1, done: make(chan struct{})}
	c.entries = append(c.entries, e)
	go e.count()
	c.evictLocked()
	return e, nil
}

// bySlot returns the cached snapshot of slot, if still held.
func (c *snapshots) bySlot(slot types.Slot) (*snapEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictLocked()
	for _, e := range c.entries {
		if e.slot == slot {
			e.refs++
			e.lastUsed = c.now()
			return e, true
		}
	}
	return nil, false
}

func (c *snapshots) release(e *snapEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	e.lastUsed = c.now()
	c.evictLocked()
}

// evictLocked closes unused snapshots older than the TTL, then the oldest
// unused ones beyond the count limit.
func (c *snapshots) evictLocked() {
	now := c.now()
	keep := c.entries[:0]
	var drop []*snapEntry
	for _, e := range c.entries {
		if e.refs == 0 && now.Sub(e.lastUsed) > c.ttl {
			drop = append(drop, e)
		} else {
			keep = append(keep, e)
		}
	}
	c.entries = keep
	if len(c.entries) > c.max {
		idle := make([]*snapEntry, 0, len(c.entries))
		for _, e := range c.entries {
			if e.refs == 0 {
				idle = append(idle, e)
			}
		}
		slices.SortFunc(idle, func(a, b *snapEntry) int { return a.lastUsed.Compare(b.lastUsed) })
		for i := 0; i < len(idle) && len(c.entries)-i > c.max; i++ {
			drop = append(drop, idle[i])
		}
		c.entries = slices.DeleteFunc(c.entries, func(e *snapEntry) bool { return slices.Contains(drop, e) })
	}
	for _, e := range drop {
		closeEntry(e)
	}
}

func closeEntry(e *snapEntry) {
	e.stop.Store(true)
	<-e.done
	_ = e.view.Close()
}

// dropIdle closes every unused snapshot.
func (c *snapshots) dropIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.entries[:0]
	for _, e := range c.entries {
		if e.refs == 0 {
			closeEntry(e)
		} else {
			keep = append(keep, e)
		}
	}
	c.entries = keep
}

// closeAll closes every snapshot; sessions must have ended.
func (c *snapshots) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		closeEntry(e)
	}
	c.entries = nil
}

// held reports the slots of the cached snapshots (tests, logs).
func (c *snapshots) held() []types.Slot {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]types.Slot, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, e.slot)
	}
	return out
}
