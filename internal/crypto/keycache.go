package crypto

import (
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// keyCache keeps expanded public keys (decompressed point plus the table
// voi uses for fast multiplication) so that a key seen again skips the
// square root and the table build. It holds two generations of at most
// half the capacity each: a hit in the old one is promoted, and when the
// current one fills up the old one is dropped whole. That bounds memory,
// keeps recently used keys and needs no per-entry bookkeeping.
//
// Only keys that decompress are stored; the cached value depends on the
// key bytes alone, so a hit gives the same verification result as a miss.
type keyCache struct {
	mu   sync.Mutex
	half int
	cur  map[PublicKey]*voi.ExpandedPublicKey
	old  map[PublicKey]*voi.ExpandedPublicKey
}

func newKeyCache(capacity int) *keyCache {
	half := max(capacity/2, 1)
	return &keyCache{half: half, cur: make(map[PublicKey]*voi.ExpandedPublicKey, half)}
}

// get returns the expanded key, or nil when pk is not a curve point.
func (c *keyCache) get(pk PublicKey) *voi.ExpandedPublicKey {
	c.mu.Lock()
	if e, ok := c.cur[pk]; ok {
		c.mu.Unlock()
		return e
	}
	if e, ok := c.old[pk]; ok {
		delete(c.old, pk)
		c.putLocked(pk, e)
		c.mu.Unlock()
		return e
	}
	c.mu.Unlock()

	// Expanding takes microseconds; do it outside the lock. Two callers
	// racing on the same key both compute it, which is harmless.
	e, err := voi.NewExpandedPublicKey(voi.PublicKey(pk[:]))
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.putLocked(pk, e)
	c.mu.Unlock()
	return e
}

func (c *keyCache) putLocked(pk PublicKey, e *voi.ExpandedPublicKey) {
	if len(c.cur) >= c.half {
		c.old = c.cur
		c.cur = make(map[PublicKey]*voi.ExpandedPublicKey, c.half)
	}
	c.cur[pk] = e
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
