package vm

import (
	"container/list"
	"context"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/vm/wasm"
)

// cachedModule is a compiled module; refs counts the runs using it, so
// that an evicted module is closed only once no run holds it.
type cachedModule struct {
	key      crypto.Hash
	meta     *wasm.Metered
	compiled wazero.CompiledModule
	refs     int
	evicted  bool
	elem     *list.Element
}

// moduleCache is an LRU of compiled modules keyed by the BLAKE3 hash of
// their bytecode.
type moduleCache struct {
	size    int
	compile func([]byte) (*wasm.Metered, wazero.CompiledModule, error)

	mu    sync.Mutex
	lru   *list.List // front = most recent; values are *cachedModule
	items map[crypto.Hash]*cachedModule
}

func newModuleCache(size int, compile func([]byte) (*wasm.Metered, wazero.CompiledModule, error)) *moduleCache {
	return &moduleCache{size: size, compile: compile, lru: list.New(), items: make(map[crypto.Hash]*cachedModule)}
}

// acquire returns the compiled module of bytecode, compiling it on a miss.
// The caller must release it.
func (c *moduleCache) acquire(bytecode []byte) (*cachedModule, error) {
	key := crypto.HashOf(bytecode)
	c.mu.Lock()
	if m, ok := c.items[key]; ok {
		m.refs++
		c.lru.MoveToFront(m.elem)
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()

	// Compile without the lock: two runs may compile the same module at
	// once, the second one to insert it closes its copy.
	meta, cm, err := c.compile(bytecode)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.items[key]; ok {
		_ = cm.Close(context.Background())
		m.refs++
		c.lru.MoveToFront(m.elem)
		return m, nil
	}
	m := &cachedModule{key: key, meta: meta, compiled: cm, refs: 1}
	m.elem = c.lru.PushFront(m)
	c.items[key] = m
	for c.lru.Len() > c.size {
		old := c.lru.Remove(c.lru.Back()).(*cachedModule)
		delete(c.items, old.key)
		old.evicted = true
		if old.refs == 0 {
			_ = old.compiled.Close(context.Background())
		}
	}
	return m, nil
}

func (c *moduleCache) release(m *cachedModule) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.refs--
	if m.evicted && m.refs == 0 {
		_ = m.compiled.Close(context.Background())
	}
}

func (c *moduleCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// close forgets every module (the runtime's Close releases them).
func (c *moduleCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.items)
}
