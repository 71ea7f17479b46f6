package crypto

import (
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// genCache is a bounded cache of values that depend on their key alone.
// It holds two generations of at most half the capacity each: a hit in
// the old one is promoted, and when the current one fills up the old one
// is dropped whole. That bounds memory, keeps recently used keys and needs
// no per-entry bookkeeping.
type genCache[K comparable, V any] struct {
	mu   sync.Mutex
	half int
	cur  map[K]V
	old  map[K]V
}

func newGenCache[K comparable, V any](capacity int) *genCache[K, V] {
	half := max(capacity/2, 1)
	return &genCache[K, V]{half: half, cur: make(map[K]V, half)}
}

func (c *genCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		delete(c.old, k)
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *genCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	c.putLocked(k, v)
	c.mu.Unlock()
}

func (c *genCache[K, V]) putLocked(k K, v V) {
	if len(c.cur) >= c.half {
		c.old = c.cur
		c.cur = make(map[K]V, c.half)
	}
	c.cur[k] = v
}

func (c *genCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// keyCache keeps expanded public keys (decompressed point plus the table
// voi uses for fast multiplication) so that a key seen again skips the
// square root and the table build.
//
// Only keys that decompress are stored; the cached value depends on the
// key bytes alone, so a hit gives the same verification result as a miss.
type keyCache struct {
	c *genCache[PublicKey, *voi.ExpandedPublicKey]
}

func newKeyCache(capacity int) *keyCache {
	return &keyCache{c: newGenCache[PublicKey, *voi.ExpandedPublicKey](capacity)}
}

// get returns the expanded key, or nil when pk is not a curve point.
func (c *keyCache) get(pk PublicKey) *voi.ExpandedPublicKey {
	if e, ok := c.c.get(pk); ok {
		return e
	}
	// Expanding takes microseconds; do it outside the lock. Two callers
	// racing on the same key both compute it, which is harmless.
	e, err := voi.NewExpandedPublicKey(voi.PublicKey(pk[:]))
	if err != nil {
		return nil
	}
	c.c.put(pk, e)
	return e
}

func (c *keyCache) len() int { return c.c.len() }

// parsedKeys remembers the text forms of public keys that parsed, so that
// a sender seen again skips base58, the checksum and the point
// decompression (together ~6 % of a loaded node's CPU). Only valid keys
// are stored, and a key's text maps to one key, so a hit and a miss give
// the same result.
var parsedKeys = newGenCache[string, PublicKey](8192)
