package ledger

import (
	"bytes"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// View reads a stack of Changes over a base Reader: the newest layer that
// knows the answer wins. Layers are ordered oldest first. A View holds no
// copy: it must not be used while a layer is being mutated elsewhere.
type View struct {
	Base   Reader
	Layers []*Changes
}

// NewView returns a view of layers (oldest first) over base.
func NewView(base Reader, layers ...*Changes) *View {
	return &View{Base: base, Layers: layers}
}

// Balance implements Reader.
func (v *View) Balance(addr types.Address) (types.Amount, bool, error) {
	for i := len(v.Layers) - 1; i >= 0; i-- {
		switch a, p := v.Layers[i].Balance(addr); p {
		case Present:
			return a, true, nil
		case Absent:
			return 0, false, nil
		}
	}
	return v.Base.Balance(addr)
}

// Exists implements Reader.
func (v *View) Exists(addr types.Address) (bool, error) {
	for i := len(v.Layers) - 1; i >= 0; i-- {
		switch v.Layers[i].Exists(addr) {
		case Present:
			return true, nil
		case Absent:
			return false, nil
		}
	}
	return v.Base.Exists(addr)
}

// Bytecode implements Reader.
func (v *View) Bytecode(addr types.Address) ([]byte, bool, error) {
	for i := len(v.Layers) - 1; i >= 0; i-- {
		switch c, p := v.Layers[i].Bytecode(addr); p {
		case Present:
			return c, true, nil
		case Absent:
			return nil, false, nil
		}
	}
	return v.Base.Bytecode(addr)
}

// DatastoreValue implements Reader.
func (v *View) DatastoreValue(addr types.Address, key []byte) ([]byte, bool, error) {
	for i := len(v.Layers) - 1; i >= 0; i-- {
		switch val, p := v.Layers[i].DatastoreValue(addr, key); p {
		case Present:
			return val, true, nil
		case Absent:
			return nil, false, nil
		}
	}
	return v.Base.DatastoreValue(addr, key)
}

// DatastoreKeys implements Reader: the base keys with every layer's
// additions and deletions applied oldest to newest.
func (v *View) DatastoreKeys(addr types.Address, r KeyRange) ([][]byte, bool, error) {
	// The newest layer that sets or deletes the whole entry hides the base
	// and every older layer.
	from := 0
	useBase := true
	for i := len(v.Layers) - 1; i >= 0; i-- {
		if ch, ok := v.Layers[i].Get(addr); ok && ch.Kind != KindUpdate {
			from, useBase = i, false
			break
		}
	}
	exists := false
	present := make(map[string]bool) // overlay verdict per key
	deletes := 0
	for _, l := range v.Layers[from:] {
		ch, ok := l.Get(addr)
		if !ok {
			continue
		}
		switch ch.Kind {
		case KindDelete:
			exists = false
			clear(present)
			continue
		case KindSet:
			clear(present)
		}
		exists = true
		for k, op := range ch.Datastore {
			if !r.Contains([]byte(k)) {
				continue
			}
			present[k] = !op.Delete
			if op.Delete {
				deletes++
			}
		}
	}
	var base [][]byte
	if useBase {
		limit := 0
		if r.Limit > 0 {
			// Deleted keys may hide base keys; fetch enough to still fill
			// the limit after removing them.
			limit = r.Limit + deletes
		}
		var ok bool
		var err error
		if f, isFinal := v.Base.(*Final); isFinal {
			ok, err = f.Exists(addr)
			if err == nil && ok {
				base, err = f.datastoreKeys(addr, r, limit)
			}
		} else {
			rr := r
			rr.Limit = limit
			base, ok, err = v.Base.DatastoreKeys(addr, rr)
		}
		if err != nil {
			return nil, false, err
		}
		exists = exists || ok
	}
	if !exists {
		return nil, false, nil
	}
	out := make([][]byte, 0, len(base)+len(present))
	for _, k := range base {
		if p, ok := present[string(k)]; ok && !p {
			continue
		} else if ok {
			continue // re-added below from the overlay
		}
		out = append(out, k)
	}
	for k, p := range present {
		if p {
			out = append(out, []byte(k))
		}
	}
	slices.SortFunc(out, bytes.Compare)
	if r.Limit > 0 && len(out) > r.Limit {
		out = out[:r.Limit]
	}
	return out, true, nil
}
