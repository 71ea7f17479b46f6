package ledger

import (
	"bytes"
	"maps"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// Kind says how a Change acts on the entry below it.
type Kind uint8

// Change kinds (Massa's SetUpdateOrDelete).
const (
	// KindUpdate changes the fields marked present and keeps the others.
	KindUpdate Kind = iota
	// KindSet replaces the whole entry: the address exists afterwards with
	// exactly Balance, Bytecode and the datastore entries of the change.
	KindSet
	// KindDelete removes the entry and every datastore key.
	KindDelete
)

// DatastoreOp is the change of one datastore key: a new value or a
// deletion. In a KindSet change every op is a value.
type DatastoreOp struct {
	Value  []byte
	Delete bool
}

// Change is the change of one address's entry.
type Change struct {
	Kind Kind
	// HasBalance and HasBytecode are always true for KindSet.
	HasBalance  bool
	Balance     types.Amount
	HasBytecode bool
	Bytecode    []byte
	// Datastore maps a datastore key (as a string) to its change. For a
	// KindSet change it is the whole datastore.
	Datastore map[string]DatastoreOp
}

func (c *Change) clone() *Change {
	if c == nil {
		return nil
	}
	out := *c
	if c.Datastore != nil {
		out.Datastore = maps.Clone(c.Datastore)
	}
	return &out
}

// applyUpdate folds an update u into c (which is a Set or an Update).
func (c *Change) applyUpdate(u *Change) {
	if u.HasBalance {
		c.HasBalance, c.Balance = true, u.Balance
	}
	if u.HasBytecode {
		c.HasBytecode, c.Bytecode = true, u.Bytecode
	}
	for k, op := range u.Datastore {
		if c.Kind == KindSet && op.Delete {
			delete(c.Datastore, k)
			continue
		}
		if c.Datastore == nil {
			c.Datastore = make(map[string]DatastoreOp)
		}
		c.Datastore[k] = op
	}
}

// newSet returns a Set change holding an empty entry.
func newSet() *Change {
	return &Change{Kind: KindSet, HasBalance: true, HasBytecode: true, Bytecode: []byte{}}
}

// Presence is the answer of a Changes lookup.
type Presence uint8

const (
	// Unknown: the changes say nothing, read the layer below.
	Unknown Presence = iota
	// Present: the value is the one returned.
	Present
	// Absent: the address (or datastore key) does not exist.
	Absent
)

// Changes are the ledger changes of one or more slots, per address. The
// zero value is not usable; call NewChanges.
//
// Checkpoint and RevertTo give the per-operation snapshot of execution
// without copying the whole map: while a checkpoint is open, the first
// mutation of an address after it saves that address's previous change in
// a journal, and RevertTo restores the saved changes in reverse order.
type Changes struct {
	entries map[types.Address]*Change

	journal   []journalEntry
	journalOn bool
	gen       uint64
	saved     map[types.Address]uint64 // address -> gen of its last journal entry
}

type journalEntry struct {
	addr types.Address
	prev *Change // nil: the address had no change
}

// Checkpoint marks a point that RevertTo can return to.
type Checkpoint struct {
	pos int
	gen uint64
	c   *Changes
}

// NewChanges returns empty changes.
func NewChanges() *Changes {
	return &Changes{entries: make(map[types.Address]*Change)}
}

// Len returns the number of addresses changed.
func (c *Changes) Len() int { return len(c.entries) }

// Get returns the change of addr, if any. The result must not be modified.
func (c *Changes) Get(addr types.Address) (*Change, bool) {
	ch, ok := c.entries[addr]
	return ch, ok
}

// Addresses returns the changed addresses in Massa's address order.
func (c *Changes) Addresses() []types.Address {
	out := make([]types.Address, 0, len(c.entries))
	for a := range c.entries {
		out = append(out, a)
	}
	slices.SortFunc(out, types.Address.Compare)
	return out
}

// Clone returns a deep copy without journal.
func (c *Changes) Clone() *Changes {
	out := &Changes{entries: make(map[types.Address]*Change, len(c.entries))}
	for a, ch := range c.entries {
		out.entries[a] = ch.clone()
	}
	return out
}

// Checkpoint opens a checkpoint. Checkpoints nest; reverting to an outer
// one also undoes everything after the inner ones.
func (c *Changes) Checkpoint() Checkpoint {
	c.gen++
	c.journalOn = true
	if c.saved == nil {
		c.saved = make(map[types.Address]uint64)
	}
	return Checkpoint{pos: len(c.journal), gen: c.gen, c: c}
}

// RevertTo undoes every mutation made since cp. cp stays valid: the caller
// may mutate and revert to it again.
func (c *Changes) RevertTo(cp Checkpoint) error {
	if cp.c != c || !c.journalOn || cp.pos > len(c.journal) {
		return ErrNoCheckpoint
	}
	for i := len(c.journal) - 1; i >= cp.pos; i-- {
		e := c.journal[i]
		if e.prev == nil {
			delete(c.entries, e.addr)
		} else {
			c.entries[e.addr] = e.prev
		}
	}
	clear(c.journal[cp.pos:])
	c.journal = c.journal[:cp.pos]
	// A new generation makes the next mutation of any address journal
	// again, so cp can be reverted to once more.
	c.gen++
	return nil
}

// DropCheckpoints forgets every open checkpoint and the journal: the
// current changes become the base. Execution calls it after each operation.
func (c *Changes) DropCheckpoints() {
	clear(c.journal)
	c.journal = c.journal[:0]
	c.journalOn = false
	clear(c.saved)
}

// touch returns the mutable change of addr (nil if none), journaling its
// previous state when a checkpoint is open.
func (c *Changes) touch(addr types.Address) *Change {
	ch := c.entries[addr]
	if c.journalOn && c.saved[addr] != c.gen {
		c.saved[addr] = c.gen
		c.journal = append(c.journal, journalEntry{addr: addr, prev: ch.clone()})
	}
	return ch
}

// update applies the update u to addr.
func (c *Changes) update(addr types.Address, u *Change) {
	ch := c.touch(addr)
	switch {
	case ch == nil:
		n := &Change{Kind: KindUpdate}
		n.applyUpdate(u)
		c.entries[addr] = n
	case ch.Kind == KindDelete:
		// Updating a deleted entry recreates it from an empty entry, as
		// Massa applies an update to a default entry.
		n := newSet()
		n.applyUpdate(u)
		c.entries[addr] = n
	default:
		ch.applyUpdate(u)
	}
}

// SetBalance sets the balance of addr.
func (c *Changes) SetBalance(addr types.Address, a types.Amount) {
	c.update(addr, &Change{HasBalance: true, Balance: a})
}

// SetBytecode sets the bytecode of addr. code is kept, not copied.
func (c *Changes) SetBytecode(addr types.Address, code []byte) {
	if code == nil {
		code = []byte{}
	}
	c.update(addr, &Change{HasBytecode: true, Bytecode: code})
}

// SetDatastore sets one datastore entry of addr. value is kept, not copied.
func (c *Changes) SetDatastore(addr types.Address, key, value []byte) {
	if value == nil {
		value = []byte{}
	}
	c.update(addr, &Change{Datastore: map[string]DatastoreOp{string(key): {Value: value}}})
}

// DeleteDatastore deletes one datastore entry of addr.
func (c *Changes) DeleteDatastore(addr types.Address, key []byte) {
	c.update(addr, &Change{Datastore: map[string]DatastoreOp{string(key): {Delete: true}}})
}

// CreateEntry creates addr with a zero balance, empty bytecode and an
// empty datastore, replacing whatever was there.
func (c *Changes) CreateEntry(addr types.Address) {
	c.touch(addr)
	c.entries[addr] = newSet()
}

// SetEntry sets the whole entry of addr (genesis, tests).
func (c *Changes) SetEntry(addr types.Address, balance types.Amount, code []byte, datastore map[string][]byte) {
	c.touch(addr)
	n := newSet()
	n.Balance = balance
	if code != nil {
		n.Bytecode = code
	}
	if len(datastore) > 0 {
		n.Datastore = make(map[string]DatastoreOp, len(datastore))
		for k, v := range datastore {
			n.Datastore[k] = DatastoreOp{Value: v}
		}
	}
	c.entries[addr] = n
}

// DeleteEntry removes addr and all its data.
func (c *Changes) DeleteEntry(addr types.Address) {
	c.touch(addr)
	c.entries[addr] = &Change{Kind: KindDelete}
}

// Merge applies other on top of c: afterwards c reads as c then other.
// other is not modified; values are shared, not copied, which is safe
// because changes never modify a value in place.
func (c *Changes) Merge(other *Changes) {
	for addr, o := range other.entries {
		switch o.Kind {
		case KindSet, KindDelete:
			c.touch(addr)
			c.entries[addr] = o.clone()
		default:
			c.update(addr, o)
		}
	}
}

// Balance looks addr's balance up in the changes.
func (c *Changes) Balance(addr types.Address) (types.Amount, Presence) {
	ch, ok := c.entries[addr]
	switch {
	case !ok:
		return 0, Unknown
	case ch.Kind == KindDelete:
		return 0, Absent
	case ch.HasBalance:
		return ch.Balance, Present
	}
	return 0, Unknown
}

// Bytecode looks addr's bytecode up in the changes.
func (c *Changes) Bytecode(addr types.Address) ([]byte, Presence) {
	ch, ok := c.entries[addr]
	switch {
	case !ok:
		return nil, Unknown
	case ch.Kind == KindDelete:
		return nil, Absent
	case ch.HasBytecode:
		return ch.Bytecode, Present
	}
	return nil, Unknown
}

// Exists looks addr's existence up in the changes: a Set or an Update means
// the entry exists (an update is only made to an existing entry).
func (c *Changes) Exists(addr types.Address) Presence {
	ch, ok := c.entries[addr]
	switch {
	case !ok:
		return Unknown
	case ch.Kind == KindDelete:
		return Absent
	}
	return Present
}

// DatastoreValue looks one datastore entry up in the changes.
func (c *Changes) DatastoreValue(addr types.Address, key []byte) ([]byte, Presence) {
	ch, ok := c.entries[addr]
	if !ok {
		return nil, Unknown
	}
	if ch.Kind == KindDelete {
		return nil, Absent
	}
	op, ok := ch.Datastore[string(key)]
	switch {
	case ok && op.Delete:
		return nil, Absent
	case ok:
		return op.Value, Present
	case ch.Kind == KindSet:
		return nil, Absent
	}
	return nil, Unknown
}

// Writer receives the state writes of a final slot; *store.Batch is one.
type Writer interface {
	Put(key, value []byte)
	Delete(key []byte)
}

// ApplyTo writes the changes as store puts and deletes, reading base (the
// committed state the batch applies to) to find the keys a Set or a Delete
// must remove. Addresses are written in a fixed order.
func (c *Changes) ApplyTo(w Writer, base KV) error {
	for _, addr := range c.Addresses() {
		ch := c.entries[addr]
		switch ch.Kind {
		case KindSet, KindDelete:
			prefix := AddressPrefix(addr)
			var stale [][]byte
			err := base.Iterate(prefix, nil, func(k, _ []byte) bool {
				if ch.Kind == KindDelete || !setRewrites(ch, k) {
					stale = append(stale, bytes.Clone(k))
				}
				return true
			})
			if err != nil {
				return err
			}
			for _, k := range stale {
				w.Delete(k)
			}
			if ch.Kind == KindSet {
				w.Put(VersionKey(addr), EncodeVersion())
				w.Put(BalanceKey(addr), EncodeBalance(ch.Balance))
				w.Put(BytecodeKey(addr), EncodeBytecode(ch.Bytecode))
				for _, k := range sortedKeys(ch.Datastore) {
					w.Put(DatastoreKey(addr, []byte(k)), ch.Datastore[k].Value)
				}
			}
		default:
			if ch.HasBalance {
				w.Put(BalanceKey(addr), EncodeBalance(ch.Balance))
			}
			if ch.HasBytecode {
				w.Put(BytecodeKey(addr), EncodeBytecode(ch.Bytecode))
			}
			for _, k := range sortedKeys(ch.Datastore) {
				op := ch.Datastore[k]
				if op.Delete {
					w.Delete(DatastoreKey(addr, []byte(k)))
				} else {
					w.Put(DatastoreKey(addr, []byte(k)), op.Value)
				}
			}
		}
	}
	return nil
}

// setRewrites reports whether the Set change ch writes the state key k
// again (so it need not be deleted first).
func setRewrites(ch *Change, k []byte) bool {
	if len(k) <= AddressPrefixSize {
		return false
	}
	switch KeyType(k[AddressPrefixSize]) {
	case KeyVersion, KeyBalance, KeyBytecode:
		return len(k) == AddressPrefixSize+1
	case KeyDatastore:
		_, ok := ch.Datastore[string(k[AddressPrefixSize+1:])]
		return ok
	}
	return false
}

func sortedKeys(m map[string]DatastoreOp) []string {
	if len(m) == 0 {
		return nil
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
