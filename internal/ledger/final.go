package ledger

import (
	"bytes"
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// KV is the read side of the committed state that the ledger needs;
// *store.Store and *store.Snapshot satisfy it.
type KV interface {
	Get(key []byte) ([]byte, bool, error)
	Iterate(prefix, startAfter []byte, fn func(k, v []byte) bool) error
}

// Reader reads a ledger: the final one, or a View of changes over it.
type Reader interface {
	// Balance returns addr's balance; ok is false when addr does not exist.
	Balance(addr types.Address) (bal types.Amount, ok bool, err error)
	// Bytecode returns addr's bytecode (empty for a user address); ok is
	// false when addr does not exist.
	Bytecode(addr types.Address) (code []byte, ok bool, err error)
	// DatastoreValue returns one datastore value; ok is false when the
	// key or the address does not exist.
	DatastoreValue(addr types.Address, key []byte) (value []byte, ok bool, err error)
	// Exists reports whether addr has a ledger entry.
	Exists(addr types.Address) (bool, error)
	// DatastoreKeys lists addr's datastore keys in r, in ascending byte
	// order; ok is false when addr does not exist.
	DatastoreKeys(addr types.Address, r KeyRange) (keys [][]byte, ok bool, err error)
}

// KeyRange selects datastore keys: those starting with Prefix, within the
// optional Start and End bounds, at most Limit of them (0: no limit).
type KeyRange struct {
	Prefix         []byte
	Start          []byte // nil: no lower bound
	StartInclusive bool
	End            []byte // nil: no upper bound
	EndInclusive   bool
	Limit          int
}

// Contains reports whether key is selected by r, ignoring Limit.
func (r KeyRange) Contains(key []byte) bool {
	if !bytes.HasPrefix(key, r.Prefix) {
		return false
	}
	if r.Start != nil {
		c := bytes.Compare(key, r.Start)
		if c < 0 || (c == 0 && !r.StartInclusive) {
			return false
		}
	}
	return !r.pastEnd(key)
}

// pastEnd reports whether key is after the upper bound.
func (r KeyRange) pastEnd(key []byte) bool {
	if r.End == nil {
		return false
	}
	c := bytes.Compare(key, r.End)
	return c > 0 || (c == 0 && !r.EndInclusive)
}

// Final reads the committed ledger.
type Final struct {
	kv KV
}

// NewFinal returns a reader of the ledger committed in kv.
func NewFinal(kv KV) *Final { return &Final{kv: kv} }

// Balance implements Reader.
func (f *Final) Balance(addr types.Address) (types.Amount, bool, error) {
	v, ok, err := f.kv.Get(BalanceKey(addr))
	if err != nil || !ok {
		return 0, false, err
	}
	a, err := DecodeBalance(v)
	if err != nil {
		return 0, false, fmt.Errorf("balance of %s: %w", addr, err)
	}
	return a, true, nil
}

// Exists implements Reader.
func (f *Final) Exists(addr types.Address) (bool, error) {
	_, ok, err := f.kv.Get(BalanceKey(addr))
	return ok, err
}

// Bytecode implements Reader.
func (f *Final) Bytecode(addr types.Address) ([]byte, bool, error) {
	v, ok, err := f.kv.Get(BytecodeKey(addr))
	if err != nil {
		return nil, false, err
	}
	if !ok {
		exists, err := f.Exists(addr)
		if err != nil || !exists {
			return nil, false, err
		}
		return []byte{}, true, nil
	}
	code, err := DecodeBytecode(v)
	if err != nil {
		return nil, false, fmt.Errorf("bytecode of %s: %w", addr, err)
	}
	return code, true, nil
}

// DatastoreValue implements Reader.
func (f *Final) DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error) {
	return f.kv.Get(DatastoreKey(addr, key))
}

// DatastoreKeys implements Reader.
func (f *Final) DatastoreKeys(addr types.Address, r KeyRange) ([][]byte, bool, error) {
	exists, err := f.Exists(addr)
	if err != nil || !exists {
		return nil, false, err
	}
	keys, err := f.datastoreKeys(addr, r, r.Limit)
	return keys, true, err
}

// datastoreKeys lists the committed keys of addr in r, at most limit of
// them (0: all).
func (f *Final) datastoreKeys(addr types.Address, r KeyRange, limit int) ([][]byte, error) {
	prefix := DatastorePrefix(addr, r.Prefix)
	base := len(prefix) - len(r.Prefix)
	var startAfter []byte
	var out [][]byte
	if r.Start != nil && bytes.Compare(r.Start, r.Prefix) > 0 {
		full := DatastoreKey(addr, r.Start)
		startAfter = full
		if r.StartInclusive && r.Contains(r.Start) {
			if _, ok, err := f.kv.Get(full); err != nil {
				return nil, err
			} else if ok {
				out = append(out, bytes.Clone(r.Start))
			}
		}
	}
	if limit > 0 && len(out) >= limit {
		return out, nil
	}
	err := f.kv.Iterate(prefix, startAfter, func(k, _ []byte) bool {
		key := k[base:]
		if r.pastEnd(key) {
			return false
		}
		if r.Contains(key) {
			out = append(out, bytes.Clone(key))
		}
		return limit <= 0 || len(out) < limit
	})
	return out, err
}
