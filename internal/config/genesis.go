package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/gomassa/gomassa/internal/types"
)

// Limits on genesis files. They are read from the operator's disk, but a
// wrong file (a ledger dump, a binary) must fail cleanly, not exhaust memory.
const (
	maxGenesisFileSize      = 512 << 20
	maxDatastoreKeyLength   = 255        // MAX_DATASTORE_KEY_LENGTH
	maxDatastoreValueLength = 10_000_000 // MAX_DATASTORE_VALUE_LENGTH
	maxBytecodeLength       = 10_000_000 // MAX_BYTECODE_LENGTH
)

// Genesis is the initial state of a network. Every slice is sorted
// (ledger and rolls by Address.Compare, deferred credits by slot then
// address) so that building the genesis state is deterministic.
type Genesis struct {
	Params          NetworkParams
	Ledger          []LedgerEntry
	Rolls           []RollEntry
	DeferredCredits []DeferredCredit
}

// LedgerEntry is one initial ledger account.
type LedgerEntry struct {
	Address   types.Address
	Balance   types.Amount
	Bytecode  []byte
	Datastore []types.DatastoreEntry // sorted by key
}

// RollEntry gives an address its initial rolls.
type RollEntry struct {
	Address types.Address
	Rolls   uint64
}

// DeferredCredit is an amount credited to an address at a slot.
type DeferredCredit struct {
	Slot    types.Slot
	Address types.Address
	Amount  types.Amount
}

// LoadGenesis assembles the genesis of the network this node runs. The
// parameters start from base and take every field set in genesis.json's
// "params". genesis.json is read from path, or from <home>/config/
// genesis.json when path is empty (then a missing file means base and an
// empty state). Massa's separate initial_ledger.json ([ledger]
// initial_ledger_path) and initial_rolls.json ([selector]
// initial_rolls_path) are read when they exist; giving the ledger or the
// rolls in both places is an error, since neither can silently win.
func (c *Config) LoadGenesis(base NetworkParams, path string) (*Genesis, error) {
	explicit := path != ""
	if !explicit {
		path = GenesisPath(c.Home)
	}
	g := &Genesis{Params: base}
	var haveLedger, haveRolls bool
	data, err := readFile(path, maxGenesisFileSize)
	switch {
	case err == nil:
		d := &jsonDoc{name: path, data: data}
		if g, haveLedger, haveRolls, err = d.genesis(base); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		if err := g.Params.Validate(); err != nil {
			return nil, prefixEach("network parameters", err)
		}
	default:
		return nil, errorf("genesis file: %w", err)
	}

	if p := c.Path(c.Ledger.InitialLedgerPath); p != "" {
		data, err := readFile(p, maxGenesisFileSize)
		switch {
		case err == nil && haveLedger:
			return nil, errorf("the initial ledger is given twice, in %s (\"initial_ledger\") and in %s ([ledger] initial_ledger_path); keep one: %w", path, p, ErrConflict)
		case err == nil:
			if g.Ledger, err = ParseInitialLedger(p, data); err != nil {
				return nil, err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, errorf("[ledger] initial_ledger_path: %w", err)
		}
	}
	if p := c.Path(c.Selector.InitialRollsPath); p != "" {
		data, err := readFile(p, maxGenesisFileSize)
		switch {
		case err == nil && haveRolls:
			return nil, errorf("the initial rolls are given twice, in %s (\"initial_rolls\") and in %s ([selector] initial_rolls_path); keep one: %w", path, p, ErrConflict)
		case err == nil:
			if g.Rolls, err = ParseInitialRolls(p, data); err != nil {
				return nil, err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, errorf("[selector] initial_rolls_path: %w", err)
		}
	}
	return g, nil
}

// ParseGenesis parses a genesis.json, named name in errors:
//
//	{"params": {"thread_count": 4, "t0": 1000, ...},
//	 "initial_ledger": {"AU…": {"balance": "1000", "bytecode": [], "datastore": []}},
//	 "initial_rolls": {"AU…": 10},
//	 "initial_deferred_credits": {"AU…": [{"slot": {"period": 3, "thread": 0}, "amount": "5"}]}}
//
// Every member is optional; params not given keep base's values.
func ParseGenesis(name string, data []byte, base NetworkParams) (*Genesis, error) {
	g, _, _, err := (&jsonDoc{name: name, data: data}).genesis(base)
	return g, err
}

// ParseInitialLedger parses Massa's initial_ledger.json:
// { "AU…": {"balance": "…", "bytecode": [], "datastore": []} }.
func ParseInitialLedger(name string, data []byte) ([]LedgerEntry, error) {
	d := &jsonDoc{name: name, data: data}
	raw, base, err := d.root()
	if err != nil {
		return nil, err
	}
	return d.ledger(raw, base)
}

// ParseInitialRolls parses Massa's initial_rolls.json: { "AU…": <rolls> }.
func ParseInitialRolls(name string, data []byte) ([]RollEntry, error) {
	d := &jsonDoc{name: name, data: data}
	raw, base, err := d.root()
	if err != nil {
		return nil, err
	}
	return d.rolls(raw, base)
}

// jsonDoc reads one JSON file strictly: unknown and repeated members are
// errors, and every error names the file, the line and the member.
type jsonDoc struct {
	name string
	data []byte
}

func (d *jsonDoc) errorf(off int64, format string, args ...any) error {
	line := 1 + bytes.Count(d.data[:min(max(off, 0), int64(len(d.data)))], []byte{'\n'})
	return errorf("%s:%d: "+format, append([]any{d.name, line}, args...)...)
}

// root checks the whole document's syntax and returns its single value and
// that value's offset.
func (d *jsonDoc) root() ([]byte, int64, error) {
	if len(d.data) > maxGenesisFileSize {
		return nil, 0, errorf("%s: %d bytes, more than %d: %w", d.name, len(d.data), maxGenesisFileSize, ErrTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(d.data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, 0, d.errorf(se.Offset, "%v: %w", err, ErrMalformed)
		case errors.Is(err, io.EOF):
			return nil, 0, errorf("%s: empty file: %w", d.name, ErrMalformed)
		default:
			return nil, 0, d.errorf(dec.InputOffset(), "%v: %w", err, ErrMalformed)
		}
	}
	base := dec.InputOffset() - int64(len(raw))
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, 0, d.errorf(dec.InputOffset(), "unexpected data after the JSON value: %w", ErrMalformed)
	}
	return raw, base, nil
}

// object calls fn for each member of the JSON object raw found at offset
// base, refusing repeated keys (encoding/json would keep the last one).
func (d *jsonDoc) object(raw []byte, base int64, what string, fn func(key string, val []byte, off int64) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return d.errorf(base, "%s must be a JSON object: %w", what, ErrInvalid)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return d.errorf(base+dec.InputOffset(), "%s: %v: %w", what, err, ErrMalformed)
		}
		key, _ := tok.(string)
		keyOff := base + dec.InputOffset()
		if seen[key] {
			return d.errorf(keyOff, "%s: %q appears twice: %w", what, clip(key), ErrInvalid)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return d.errorf(keyOff, "%s: %v: %w", what, err, ErrMalformed)
		}
		if err := fn(key, val, base+dec.InputOffset()-int64(len(val))); err != nil {
			return err
		}
	}
	return nil
}

// unknown reports a member that is not one of known, with a suggestion.
func (d *jsonDoc) unknown(off int64, what, key string, known []string) error {
	msg := fmt.Sprintf("%s: unknown field %q", what, clip(key))
	if s := nearest(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return d.errorf(off, "%s: %w", msg, ErrUnknownKey)
}

func (d *jsonDoc) genesis(base NetworkParams) (g *Genesis, haveLedger, haveRolls bool, err error) {
	raw, off, err := d.root()
	if err != nil {
		return nil, false, false, err
	}
	g = &Genesis{Params: base}
	var credits []byte
	var creditsOff int64
	known := []string{"params", "initial_ledger", "initial_rolls", "initial_deferred_credits"}
	err = d.object(raw, off, "genesis", func(key string, val []byte, off int64) error {
		var err error
		switch key {
		case "params":
			err = d.params(val, off, &g.Params)
		case "initial_ledger":
			haveLedger = true
			g.Ledger, err = d.ledger(val, off)
		case "initial_rolls":
			haveRolls = true
			g.Rolls, err = d.rolls(val, off)
		case "initial_deferred_credits":
			credits, creditsOff = val, off // needs the final thread count
		default:
			err = d.unknown(off, "genesis", key, known)
		}
		return err
	})
	if err != nil {
		return nil, false, false, err
	}
	if err := g.Params.Validate(); err != nil {
		return nil, false, false, prefixEach(d.name+": params", err)
	}
	if credits != nil {
		if g.DeferredCredits, err = d.deferredCredits(credits, creditsOff, g.Params.ThreadCount); err != nil {
			return nil, false, false, err
		}
	}
	return g, haveLedger, haveRolls, nil
}

// params overrides the fields of p named in the object raw.
func (d *jsonDoc) params(raw []byte, off int64, p *NetworkParams) error {
	pv := reflect.ValueOf(p).Elem()
	fields := map[string]int{}
	var known []string
	for i := range pv.NumField() {
		tag := strings.Split(pv.Type().Field(i).Tag.Get("json"), ",")[0]
		fields[tag] = i
		known = append(known, tag)
	}
	return d.object(raw, off, "params", func(key string, val []byte, off int64) error {
		i, ok := fields[key]
		if !ok {
			return d.unknown(off, "params", key, known)
		}
		f := pv.Field(i)
		fresh := reflect.New(f.Type()) // decode into a fresh value: a pointer field must not alias base
		if err := json.Unmarshal(val, fresh.Interface()); err != nil {
			return d.errorf(off, "params.%s = %s: %s: %w", key, clip(string(val)), jsonTypeHint(err, f.Type()), ErrInvalid)
		}
		f.Set(fresh.Elem())
		return nil
	})
}

// jsonTypeHint rewrites encoding/json's type errors, which name Go types,
// into what the field expects.
func jsonTypeHint(err error, t reflect.Type) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("want an integer from 0 to %d", uint64(1)<<t.Bits()-1)
	case reflect.String:
		return "want a string"
	}
	return "wrong type"
}

func (d *jsonDoc) address(off int64, what, key string) (types.Address, error) {
	a, err := types.ParseAddress(key)
	if err != nil {
		return types.Address{}, d.errorf(off, "%s: %w: %w", what, err, ErrInvalid)
	}
	return a, nil
}

func (d *jsonDoc) ledger(raw []byte, off int64) ([]LedgerEntry, error) {
	var out []LedgerEntry
	seen := map[types.Address]bool{}
	err := d.object(raw, off, "initial_ledger", func(key string, val []byte, off int64) error {
		what := fmt.Sprintf("initial_ledger[%q]", clip(key))
		addr, err := d.address(off, "initial_ledger", key)
		if err != nil {
			return err
		}
		if seen[addr] {
			return d.errorf(off, "%s: address given twice: %w", what, ErrInvalid)
		}
		seen[addr] = true
		e := LedgerEntry{Address: addr}
		hasBalance := false
		err = d.object(val, off, what, func(k string, v []byte, off int64) error {
			switch k {
			case "balance":
				hasBalance = true
				if err := json.Unmarshal(v, &e.Balance); err != nil {
					return d.errorf(off, "%s.balance: %w: %w", what, err, ErrInvalid)
				}
			case "bytecode":
				b, err := byteArray(v, maxBytecodeLength)
				if err != nil {
					return d.errorf(off, "%s.bytecode: %w", what, err)
				}
				e.Bytecode = b
			case "datastore":
				ds, err := datastore(v)
				if err != nil {
					return d.errorf(off, "%s.datastore: %w", what, err)
				}
				e.Datastore = ds
			default:
				return d.unknown(off, what, k, []string{"balance", "bytecode", "datastore"})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !hasBalance {
			return d.errorf(off, "%s: \"balance\" is missing: %w", what, ErrInvalid)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b LedgerEntry) int { return a.Address.Compare(b.Address) })
	return out, nil
}

func (d *jsonDoc) rolls(raw []byte, off int64) ([]RollEntry, error) {
	var out []RollEntry
	seen := map[types.Address]bool{}
	err := d.object(raw, off, "initial_rolls", func(key string, val []byte, off int64) error {
		addr, err := d.address(off, "initial_rolls", key)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("initial_rolls[%q]", clip(key))
		if addr.SC {
			return d.errorf(off, "%s: a smart contract cannot hold rolls, only user (AU…) addresses: %w", what, ErrInvalid)
		}
		if seen[addr] {
			return d.errorf(off, "%s: address given twice: %w", what, ErrInvalid)
		}
		seen[addr] = true
		var n uint64
		if err := json.Unmarshal(val, &n); err != nil {
			return d.errorf(off, "%s = %s: want a whole number of rolls: %w", what, clip(string(val)), ErrInvalid)
		}
		out = append(out, RollEntry{Address: addr, Rolls: n})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b RollEntry) int { return a.Address.Compare(b.Address) })
	return out, nil
}

func (d *jsonDoc) deferredCredits(raw []byte, off int64, threads uint8) ([]DeferredCredit, error) {
	var out []DeferredCredit
	err := d.object(raw, off, "initial_deferred_credits", func(key string, val []byte, off int64) error {
		addr, err := d.address(off, "initial_deferred_credits", key)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("initial_deferred_credits[%q]", clip(key))
		var list []json.RawMessage
		if err := json.Unmarshal(val, &list); err != nil {
			return d.errorf(off, "%s: want an array of {\"slot\": {\"period\", \"thread\"}, \"amount\"}: %w", what, ErrInvalid)
		}
		seen := map[types.Slot]bool{}
		for i, item := range list {
			var c struct {
				Slot   *types.Slot   `json:"slot"`
				Amount *types.Amount `json:"amount"`
			}
			dec := json.NewDecoder(bytes.NewReader(item))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return d.errorf(off, "%s[%d]: %v: %w", what, i, err, ErrInvalid)
			}
			switch {
			case c.Slot == nil || c.Amount == nil:
				return d.errorf(off, "%s[%d]: \"slot\" and \"amount\" are both required: %w", what, i, ErrInvalid)
			case c.Slot.Thread >= threads:
				return d.errorf(off, "%s[%d]: thread %d is not below thread_count %d: %w", what, i, c.Slot.Thread, threads, ErrInvalid)
			case seen[*c.Slot]:
				return d.errorf(off, "%s[%d]: slot %v given twice: %w", what, i, *c.Slot, ErrInvalid)
			}
			seen[*c.Slot] = true
			out = append(out, DeferredCredit{Slot: *c.Slot, Address: addr, Amount: *c.Amount})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b DeferredCredit) int {
		if c := a.Slot.Compare(b.Slot); c != 0 {
			return c
		}
		return a.Address.Compare(b.Address)
	})
	return out, nil
}

// byteArray reads bytes written as a JSON array of numbers 0..255, the way
// Massa's files hold bytecode and datastore keys and values.
func byteArray(raw []byte, limit int) ([]byte, error) {
	var nums []uint16
	if err := json.Unmarshal(raw, &nums); err != nil {
		return nil, errorf("want an array of byte values 0..255: %w", ErrInvalid)
	}
	if len(nums) > limit {
		return nil, errorf("%d bytes, more than %d: %w", len(nums), limit, ErrTooLarge)
	}
	out := make([]byte, len(nums))
	for i, n := range nums {
		if n > 255 {
			return nil, errorf("[%d] = %d is not a byte value 0..255: %w", i, n, ErrInvalid)
		}
		out[i] = byte(n)
	}
	return out, nil
}

// datastore reads [[key bytes], [value bytes]] pairs; an empty object {}
// is accepted too (an empty map, as some Massa files write it).
func datastore(raw []byte) ([]types.DatastoreEntry, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(t, &m); err != nil || len(m) != 0 {
			return nil, errorf("write entries as an array of [[key bytes], [value bytes]] pairs: %w", ErrInvalid)
		}
		return nil, nil
	}
	var pairs [][]json.RawMessage
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errorf("want an array of [[key bytes], [value bytes]] pairs: %w", ErrInvalid)
	}
	out := make([]types.DatastoreEntry, 0, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, errorf("[%d]: want a [[key bytes], [value bytes]] pair: %w", i, ErrInvalid)
		}
		k, err := byteArray(p[0], maxDatastoreKeyLength)
		if err != nil {
			return nil, errorf("[%d] key: %w", i, err)
		}
		v, err := byteArray(p[1], maxDatastoreValueLength)
		if err != nil {
			return nil, errorf("[%d] value: %w", i, err)
		}
		out = append(out, types.DatastoreEntry{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	for i := 1; i < len(out); i++ {
		if bytes.Equal(out[i-1].Key, out[i].Key) {
			return nil, errorf("key %v given twice: %w", out[i].Key, ErrInvalid)
		}
	}
	return out, nil
}
