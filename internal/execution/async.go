package execution

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math/bits"
	"slices"

	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// AsyncMessage is an asynchronous message waiting in the pool
// (protocol.md §4.1): a call of Function on Destination that some slot in
// [ValidityStart, ValidityEnd] will run with MaxGas, in fee-per-gas order.
type AsyncMessage struct {
	EmissionSlot  types.Slot
	EmissionIndex uint64
	Sender        types.Address
	Destination   types.Address
	Function      string
	MaxGas        uint64
	// Fee was burnt at emission; Coins are held by the pool and credited
	// to Destination when the message runs (or given back to Sender).
	Fee           types.Amount
	Coins         types.Amount
	ValidityStart types.Slot
	ValidityEnd   types.Slot
	Params        []byte
	// Trigger, when set, makes the message wait for a write to an address
	// (and key) before it may run.
	Trigger       *AsyncTrigger
	CanBeExecuted bool
}

// AsyncTrigger is the filter of a triggered message. A nil Key matches any
// write to Address.
type AsyncTrigger struct {
	Address types.Address
	Key     []byte
}

// asyncKey identifies a message: emission slot key and emission index. It
// is also the message's store key suffix.
type asyncKey [types.SlotKeySize + 8]byte

func (m *AsyncMessage) key() asyncKey {
	var k asyncKey
	sk := m.EmissionSlot.Key()
	copy(k[:], sk[:])
	binary.BigEndian.PutUint64(k[types.SlotKeySize:], m.EmissionIndex)
	return k
}

// compareAsync is Massa's message id order: the highest fee per gas
// first, then the earliest emission slot, then the emission index. The
// lowest id runs first; the highest is evicted first.
func compareAsync(a, b *AsyncMessage) int {
	// a.Fee/a.MaxGas > b.Fee/b.MaxGas  <=>  a.Fee*b.MaxGas > b.Fee*a.MaxGas
	// (max gas is at least the instance cost, never zero; a zero max gas
	// from a corrupted store would only compare as an infinite ratio).
	ah, al := bits.Mul64(uint64(a.Fee), b.MaxGas)
	bh, bl := bits.Mul64(uint64(b.Fee), a.MaxGas)
	switch {
	case ah != bh:
		if ah > bh {
			return -1
		}
		return 1
	case al != bl:
		if al > bl {
			return -1
		}
		return 1
	}
	if c := a.EmissionSlot.Compare(b.EmissionSlot); c != 0 {
		return c
	}
	switch {
	case a.EmissionIndex < b.EmissionIndex:
		return -1
	case a.EmissionIndex > b.EmissionIndex:
		return 1
	}
	return 0
}

// asyncStoreKey is the store key of a message.
func asyncStoreKey(k asyncKey) []byte {
	return append([]byte(store.PrefixAsyncPool), k[:]...)
}

const asyncEncodingVersion = 0

// encodeAsyncMessage is the stored form of a message.
func encodeAsyncMessage(m *AsyncMessage) []byte {
	out := make([]byte, 0, 160+len(m.Function)+len(m.Params))
	out = append(out, asyncEncodingVersion)
	out = m.EmissionSlot.AppendBinary(out)
	out = types.AppendUvarint(out, m.EmissionIndex)
	out = m.Sender.AppendBinary(out)
	out = m.Destination.AppendBinary(out)
	out = types.AppendBytes(out, []byte(m.Function))
	out = types.AppendUvarint(out, m.MaxGas)
	out = m.Fee.AppendBinary(out)
	out = m.Coins.AppendBinary(out)
	out = m.ValidityStart.AppendBinary(out)
	out = m.ValidityEnd.AppendBinary(out)
	out = types.AppendBytes(out, m.Params)
	switch {
	case m.Trigger == nil:
		out = append(out, 0)
	case m.Trigger.Key == nil:
		out = append(out, 1)
		out = m.Trigger.Address.AppendBinary(out)
	default:
		out = append(out, 2)
		out = m.Trigger.Address.AppendBinary(out)
		out = types.AppendBytes(out, m.Trigger.Key)
	}
	if m.CanBeExecuted {
		return append(out, 1)
	}
	return append(out, 0)
}

// decodeAsyncMessage reads a stored message (the store is outside input:
// it may come from a bootstrap peer).
func decodeAsyncMessage(b []byte, threads uint8) (*AsyncMessage, error) {
	r := types.NewReader(b, "async message")
	if v := r.Byte("version"); r.Err() == nil && v != asyncEncodingVersion {
		return nil, fmt.Errorf("%w: async message version %d", ErrBadValue, v)
	}
	m := &AsyncMessage{}
	m.EmissionSlot = r.Slot("emission slot", threads)
	m.EmissionIndex = r.U64("emission index")
	m.Sender = r.Address("sender")
	m.Destination = r.Address("destination")
	m.Function = string(r.Bytes("function", types.MaxFunctionNameLength))
	m.MaxGas = r.U64("max gas")
	m.Fee = r.Amount("fee")
	m.Coins = r.Amount("coins")
	m.ValidityStart = r.Slot("validity start", threads)
	m.ValidityEnd = r.Slot("validity end", threads)
	m.Params = r.Bytes("params", types.MaxParametersSize)
	switch t := r.Byte("trigger"); t {
	case 0:
	case 1, 2:
		m.Trigger = &AsyncTrigger{Address: r.Address("trigger address")}
		if t == 2 {
			m.Trigger.Key = r.Bytes("trigger key", ledger.MaxDatastoreKeyLength)
		}
	default:
		if r.Err() == nil {
			return nil, fmt.Errorf("%w: async message trigger flag %d", ErrBadValue, t)
		}
	}
	switch c := r.Byte("can be executed"); c {
	case 0, 1:
		m.CanBeExecuted = c == 1
	default:
		if r.Err() == nil {
			return nil, fmt.Errorf("%w: async message executable flag %d", ErrBadValue, c)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return m, nil
}

// decodeAsyncEntry decodes a stored pool entry and checks that its key
// matches the message.
func decodeAsyncEntry(k, v []byte, threads uint8) (*AsyncMessage, error) {
	suffix := k[len(store.PrefixAsyncPool):]
	if len(suffix) != len(asyncKey{}) {
		return nil, fmt.Errorf("%w: async pool key of %d bytes", ErrBadKey, len(suffix))
	}
	m, err := decodeAsyncMessage(v, threads)
	if err != nil {
		return nil, err
	}
	if mk := m.key(); !bytes.Equal(mk[:], suffix) {
		return nil, fmt.Errorf("%w: async pool key %x does not match its message", ErrBadKey, suffix)
	}
	return m, nil
}

// AsyncChanges are a slot's changes to the pool: a message per key, nil
// for a deletion. Messages are never modified in place: a change stores a
// new value.
type AsyncChanges map[asyncKey]*AsyncMessage

// asyncPool is the speculative pool a slot works on.
type asyncPool struct {
	msgs    map[asyncKey]*AsyncMessage // the pool as the slot sees it
	changes AsyncChanges               // what the slot changed
	added   []asyncKey                 // messages added by the slot, in order
}

// newAsyncPool overlays the history's changes (oldest first) on the final
// pool.
func newAsyncPool(final map[asyncKey]*AsyncMessage, hist []*SlotOutput) *asyncPool {
	p := &asyncPool{msgs: maps.Clone(final), changes: make(AsyncChanges)}
	if p.msgs == nil {
		p.msgs = make(map[asyncKey]*AsyncMessage)
	}
	for _, h := range hist {
		applyAsyncChanges(p.msgs, h.Async)
	}
	return p
}

// applyAsyncChanges applies ch to pool.
func applyAsyncChanges(pool map[asyncKey]*AsyncMessage, ch AsyncChanges) {
	for k, m := range ch {
		if m == nil {
			delete(pool, k)
		} else {
			pool[k] = m
		}
	}
}

func (p *asyncPool) add(m *AsyncMessage) {
	k := m.key()
	p.msgs[k] = m
	p.changes[k] = m
	p.added = append(p.added, k)
}

func (p *asyncPool) remove(k asyncKey) {
	delete(p.msgs, k)
	p.changes[k] = nil
}

// mark and revert undo the messages added since mark (a failed
// operation or message).
func (p *asyncPool) mark() int { return len(p.added) }

func (p *asyncPool) revert(mark int) {
	for _, k := range p.added[mark:] {
		delete(p.msgs, k)
		delete(p.changes, k)
	}
	p.added = p.added[:mark]
}

// sorted returns the messages in id order.
func (p *asyncPool) sorted() []*AsyncMessage {
	out := slices.Collect(maps.Values(p.msgs))
	slices.SortFunc(out, compareAsync)
	return out
}

// takeBatch removes and returns, in id order, the messages slot may run:
// in their validity window, executable, and whose max gas plus the
// constant cost still fits in what is left of budget.
func (p *asyncPool) takeBatch(slot types.Slot, budget, cstGas uint64) []*AsyncMessage {
	var out []*AsyncMessage
	for _, m := range p.sorted() {
		need := satAdd(m.MaxGas, cstGas)
		if need > budget || !m.CanBeExecuted || slot.Less(m.ValidityStart) || m.ValidityEnd.Less(slot) {
			continue
		}
		budget -= need
		out = append(out, m)
	}
	for _, m := range out {
		p.remove(m.key())
	}
	return out
}

// settle ends the slot for the pool (Massa's settle_slot): removes the
// expired messages (validity end before slot) and, beyond maxLen, the
// lowest-priority ones, returning them for reimbursement; then activates
// the triggered messages whose filter matches the slot's ledger changes.
func (p *asyncPool) settle(slot types.Slot, led *ledger.Changes, maxLen int) []*AsyncMessage {
	var out []*AsyncMessage
	sorted := p.sorted()
	kept := sorted[:0]
	for _, m := range sorted {
		if m.ValidityEnd.Less(slot) {
			out = append(out, m)
			p.remove(m.key())
			continue
		}
		kept = append(kept, m)
	}
	for len(kept) > maxLen {
		m := kept[len(kept)-1]
		kept = kept[:len(kept)-1]
		out = append(out, m)
		p.remove(m.key())
	}
	for _, m := range kept {
		if m.Trigger == nil || m.CanBeExecuted || !triggered(m.Trigger, led) {
			continue
		}
		n := *m
		n.CanBeExecuted = true
		k := m.key()
		p.msgs[k] = &n
		p.changes[k] = &n
	}
	return out
}

// triggered reports whether the slot's ledger changes write to the
// trigger's address (and key).
func triggered(t *AsyncTrigger, led *ledger.Changes) bool {
	ch, ok := led.Get(t.Address)
	if !ok {
		return false
	}
	if t.Key == nil || ch.Kind == ledger.KindDelete {
		return true
	}
	_, ok = ch.Datastore[string(t.Key)]
	return ok
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

// sortedKeys returns the keys of ch in byte order (deterministic
// writes).
func (ch AsyncChanges) sortedKeys() []asyncKey {
	keys := slices.Collect(maps.Keys(ch))
	slices.SortFunc(keys, func(a, b asyncKey) int { return bytes.Compare(a[:], b[:]) })
	return keys
}
