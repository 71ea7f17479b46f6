package execution

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// DeferredCall is a call booked for a future slot (protocol.md §4.2). It
// runs at the start of TargetSlot, before the block's operations.
type DeferredCall struct {
	// ID is Massa's id bytes: version varint 0, target slot, index within
	// the slot (u64 BE), trail hash of the registering slot.
	ID         []byte
	Sender     types.Address
	TargetSlot types.Slot
	Target     types.Address
	Function   string
	Params     []byte
	// Coins are held until the call runs (or is cancelled); Fee was burnt
	// at registration, except its storage part, refunded at TargetSlot.
	Coins     types.Amount
	MaxGas    uint64
	Fee       types.Amount
	Cancelled bool
}

// deferredKey is a call's store key suffix: target slot key, index.
type deferredKey [types.SlotKeySize + 8]byte

func makeDeferredKey(s types.Slot, index uint64) deferredKey {
	var k deferredKey
	sk := s.Key()
	copy(k[:], sk[:])
	binary.BigEndian.PutUint64(k[types.SlotKeySize:], index)
	return k
}

// deferredCallID builds the id bytes.
func deferredCallID(s types.Slot, index uint64, trail crypto.Hash) []byte {
	id := types.AppendUvarint(nil, 0)
	id = s.AppendBinary(id)
	id = binary.BigEndian.AppendUint64(id, index)
	return append(id, trail[:]...)
}

// DeferredCallIDString is the text form of an id: "D" + base58check.
func DeferredCallIDString(id []byte) string { return "D" + crypto.Base58CheckEncode(id) }

// parseDeferredCallID parses the text form and returns the target slot and
// index the id encodes.
func parseDeferredCallID(s string, threads uint8) (types.Slot, uint64, error) {
	if !strings.HasPrefix(s, "D") {
		return types.Slot{}, 0, fmt.Errorf("invalid deferred call id %q: no D prefix", s)
	}
	b, err := crypto.Base58CheckDecode(s[1:])
	if err != nil {
		return types.Slot{}, 0, fmt.Errorf("invalid deferred call id %q: %w", s, err)
	}
	r := types.NewReader(b, "deferred call id")
	if v := r.U64("version"); r.Err() == nil && v != 0 {
		return types.Slot{}, 0, fmt.Errorf("invalid deferred call id %q: version %d", s, v)
	}
	slot := r.Slot("slot", threads)
	idx := r.Fixed("index", 8)
	r.Fixed("trail hash", crypto.HashSize)
	if err := r.Done(); err != nil {
		return types.Slot{}, 0, fmt.Errorf("invalid deferred call id %q: %w", s, err)
	}
	return slot, binary.BigEndian.Uint64(idx), nil
}

func (c *DeferredCall) index() uint64 {
	// The index follows the version varint (1 byte) and the slot.
	n := 1 + types.UvarintLen(c.TargetSlot.Period) + 1
	return binary.BigEndian.Uint64(c.ID[n : n+8])
}

func (c *DeferredCall) key() deferredKey { return makeDeferredKey(c.TargetSlot, c.index()) }

// effectiveGas is what the call books in its slot.
func (c *DeferredCall) effectiveGas(cst uint64) uint64 { return satAdd(c.MaxGas, cst) }

const deferredEncodingVersion = 0

func encodeDeferredCall(c *DeferredCall) []byte {
	out := make([]byte, 0, 200+len(c.Function)+len(c.Params))
	out = append(out, deferredEncodingVersion)
	out = types.AppendBytes(out, c.ID)
	out = c.Sender.AppendBinary(out)
	out = c.TargetSlot.AppendBinary(out)
	out = c.Target.AppendBinary(out)
	out = types.AppendBytes(out, []byte(c.Function))
	out = types.AppendBytes(out, c.Params)
	out = c.Coins.AppendBinary(out)
	out = types.AppendUvarint(out, c.MaxGas)
	out = c.Fee.AppendBinary(out)
	if c.Cancelled {
		return append(out, 1)
	}
	return append(out, 0)
}

func decodeDeferredCall(b []byte, threads uint8) (*DeferredCall, error) {
	r := types.NewReader(b, "deferred call")
	if v := r.Byte("version"); r.Err() == nil && v != deferredEncodingVersion {
		return nil, fmt.Errorf("%w: deferred call version %d", ErrBadValue, v)
	}
	c := &DeferredCall{}
	c.ID = r.Bytes("id", 128)
	c.Sender = r.Address("sender")
	c.TargetSlot = r.Slot("target slot", threads)
	c.Target = r.Address("target")
	c.Function = string(r.Bytes("function", types.MaxFunctionNameLength))
	c.Params = r.Bytes("params", types.MaxParametersSize)
	c.Coins = r.Amount("coins")
	c.MaxGas = r.U64("max gas")
	c.Fee = r.Amount("fee")
	switch f := r.Byte("cancelled"); f {
	case 0, 1:
		c.Cancelled = f == 1
	default:
		if r.Err() == nil {
			return nil, fmt.Errorf("%w: deferred call cancelled flag %d", ErrBadValue, f)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	slot, _, err := parseDeferredCallID(DeferredCallIDString(c.ID), threads)
	if err != nil || slot != c.TargetSlot {
		return nil, fmt.Errorf("%w: deferred call id does not match its slot", ErrBadValue)
	}
	return c, nil
}

// DeferredChanges are a slot's changes to the deferred-call registry: a
// call per key (nil: deleted) and the change of the total booked gas.
type DeferredChanges struct {
	Calls    map[deferredKey]*DeferredCall
	GasDelta int64
}

// finalDeferred is the final registry. Its per-slot maps are replaced,
// never modified, once published, so that a shallow copy of the outer map
// is a consistent snapshot for read-only requests.
type finalDeferred struct {
	bySlot map[types.Slot]map[uint64]*DeferredCall
	gas    uint64 // total effective gas booked by non-cancelled calls
}

func (f *finalDeferred) clone() *finalDeferred {
	return &finalDeferred{bySlot: maps.Clone(f.bySlot), gas: f.gas}
}

// apply commits a slot's changes (copy-on-write per slot).
func (f *finalDeferred) apply(ch *DeferredChanges) {
	if ch == nil {
		return
	}
	touched := map[types.Slot]map[uint64]*DeferredCall{}
	for k, c := range ch.Calls {
		s, _ := types.SlotFromKey(k[:types.SlotKeySize])
		m, ok := touched[s]
		if !ok {
			m = maps.Clone(f.bySlot[s])
			if m == nil {
				m = map[uint64]*DeferredCall{}
			}
			touched[s] = m
		}
		idx := binary.BigEndian.Uint64(k[types.SlotKeySize:])
		if c == nil {
			delete(m, idx)
		} else {
			m[idx] = c
		}
	}
	for s, m := range touched {
		if len(m) == 0 {
			delete(f.bySlot, s)
		} else {
			f.bySlot[s] = m
		}
	}
	f.gas = addDelta(f.gas, ch.GasDelta)
}

func addDelta(v uint64, d int64) uint64 {
	if d < 0 {
		if uint64(-d) > v {
			return 0
		}
		return v - uint64(-d)
	}
	return satAdd(v, uint64(d))
}

// deferredRegistry is the registry a slot works on: the final one, the
// history's changes, the slot's own changes.
type deferredRegistry struct {
	final   *finalDeferred
	hist    []*SlotOutput
	changes *DeferredChanges
	journal []deferredUndo
}

type deferredUndo struct {
	key     deferredKey
	prev    *DeferredCall
	hadPrev bool
	delta   int64
}

func newDeferredRegistry(final *finalDeferred, hist []*SlotOutput) *deferredRegistry {
	return &deferredRegistry{final: final, hist: hist, changes: &DeferredChanges{Calls: map[deferredKey]*DeferredCall{}}}
}

// slotCalls returns the calls booked for s, by index.
func (r *deferredRegistry) slotCalls(s types.Slot) map[uint64]*DeferredCall {
	out := maps.Clone(r.final.bySlot[s])
	if out == nil {
		out = map[uint64]*DeferredCall{}
	}
	apply := func(ch *DeferredChanges) {
		if ch == nil {
			return
		}
		for k, c := range ch.Calls {
			if ks, _ := types.SlotFromKey(k[:types.SlotKeySize]); ks != s {
				continue
			}
			idx := binary.BigEndian.Uint64(k[types.SlotKeySize:])
			if c == nil {
				delete(out, idx)
			} else {
				out[idx] = c
			}
		}
	}
	for _, h := range r.hist {
		apply(h.Deferred)
	}
	apply(r.changes)
	return out
}

func (r *deferredRegistry) get(s types.Slot, index uint64) (*DeferredCall, bool) {
	k := makeDeferredKey(s, index)
	if c, ok := r.changes.Calls[k]; ok {
		return c, c != nil
	}
	for i := len(r.hist) - 1; i >= 0; i-- {
		if ch := r.hist[i].Deferred; ch != nil {
			if c, ok := ch.Calls[k]; ok {
				return c, c != nil
			}
		}
	}
	c, ok := r.final.bySlot[s][index]
	return c, ok
}

// totalGas is the effective gas booked by every pending call.
func (r *deferredRegistry) totalGas() uint64 {
	g := r.final.gas
	for _, h := range r.hist {
		if h.Deferred != nil {
			g = addDelta(g, h.Deferred.GasDelta)
		}
	}
	return addDelta(g, r.changes.GasDelta)
}

// slotGas is the effective gas booked in s by non-cancelled calls.
func (r *deferredRegistry) slotGas(s types.Slot, cst uint64) uint64 {
	var g uint64
	for _, c := range r.slotCalls(s) {
		if !c.Cancelled {
			g = satAdd(g, c.effectiveGas(cst))
		}
	}
	return g
}

func (r *deferredRegistry) set(k deferredKey, c *DeferredCall, delta int64) {
	prev, had := r.changes.Calls[k]
	r.journal = append(r.journal, deferredUndo{key: k, prev: prev, hadPrev: had, delta: delta})
	r.changes.Calls[k] = c
	r.changes.GasDelta += delta
}

// mark and revert undo the changes since mark (a failed operation).
func (r *deferredRegistry) mark() int { return len(r.journal) }

func (r *deferredRegistry) revert(mark int) {
	for i := len(r.journal) - 1; i >= mark; i-- {
		u := r.journal[i]
		if u.hadPrev {
			r.changes.Calls[u.key] = u.prev
		} else {
			delete(r.changes.Calls, u.key)
		}
		r.changes.GasDelta -= u.delta
	}
	r.journal = r.journal[:mark]
}

// overbookingFee is Massa's quadratic penalty: zero below target
// occupancy, then growing so that booking the whole supply costs
// maxPenalty; the fee is the penalty's increase due to the request.
func overbookingFee(supply, target, current, request *big.Int, maxPenalty types.Amount) types.Amount {
	den := new(big.Int).Sub(supply, target)
	if den.Sign() <= 0 {
		return 0
	}
	relu := func(v *big.Int) *big.Int {
		r := new(big.Int).Sub(v, target)
		if r.Sign() < 0 {
			r.SetInt64(0)
		}
		return r
	}
	penalty := func(occ *big.Int) *big.Int {
		p := new(big.Int).SetUint64(uint64(maxPenalty))
		p.Mul(p, occ).Quo(p, den).Mul(p, occ).Quo(p, den)
		return p
	}
	after := penalty(relu(new(big.Int).Add(current, request)))
	before := penalty(relu(current))
	fee := after.Sub(after, before)
	if fee.Sign() <= 0 {
		return 0
	}
	if !fee.IsUint64() {
		return types.MaxAmount
	}
	return types.Amount(fee.Uint64())
}

// deferredStorageFee is the storage part of a booking, refunded when the
// call's slot comes: (params + 255 + 111) bytes at the ledger byte cost.
func deferredStorageFee(paramsSize uint64) types.Amount {
	c, err := ledger.BytesCost(satAdd(paramsSize, 255+111))
	if err != nil {
		return types.MaxAmount
	}
	return c
}

// deferredQuote is the price of booking maxGas (plus the constant cost) in
// target from slot current, or ok false when the booking is impossible:
// target not strictly in the future, more than MaxFutureSlots ahead, or
// not enough gas left in it.
func (x *slotExec) deferredQuote(target types.Slot, maxGas, paramsSize uint64) (types.Amount, bool) {
	cfg := &x.c.cfg
	threads := cfg.threads()
	if target.Thread >= threads || !x.slot.Less(target) {
		return 0, false
	}
	if target.Index(threads)-x.slot.Index(threads) > cfg.DeferredCallMaxFutureSlots {
		return 0, false
	}
	request := satAdd(maxGas, cfg.DeferredCallCstGas)
	occupancy := x.deferred.slotGas(target, cfg.DeferredCallCstGas)
	if satAdd(occupancy, request) > cfg.DeferredCallMaxSlotGas {
		return 0, false
	}
	// Integral part: a constant base fee per gas (Massa adjusts it per
	// slot with a controller; see the package notes).
	fee, err := cfg.DeferredCallBaseFee.MulU64(request)
	if err != nil {
		fee = types.MaxAmount
	}
	target2 := cfg.DeferredCallMaxSlotGas / 2
	b := func(v uint64) *big.Int { return new(big.Int).SetUint64(v) }
	slots := b(cfg.DeferredCallMaxFutureSlots)
	global := overbookingFee(new(big.Int).Mul(b(cfg.DeferredCallMaxSlotGas), slots), new(big.Int).Mul(b(target2), slots),
		b(x.deferred.totalGas()), b(request), cfg.DeferredCallGlobalPenalty)
	slot := overbookingFee(b(cfg.DeferredCallMaxSlotGas), b(target2), b(occupancy), b(request), cfg.DeferredCallSlotPenalty)
	return fee.SaturatingAdd(global).SaturatingAdd(slot).SaturatingAdd(deferredStorageFee(paramsSize)), true
}

// loadDeferred reads the final registry from the store.
func loadDeferred(st *store.Store, threads uint8, cst uint64) (*finalDeferred, error) {
	f := &finalDeferred{bySlot: map[types.Slot]map[uint64]*DeferredCall{}}
	var decodeErr error
	err := st.Iterate([]byte(store.PrefixDeferredCalls), nil, func(k, v []byte) bool {
		suffix := k[len(store.PrefixDeferredCalls):]
		c, err := decodeDeferredCall(v, threads)
		if err == nil && !bytes.Equal(suffix, func() []byte { kk := c.key(); return kk[:] }()) {
			err = fmt.Errorf("%w: deferred call key %x does not match its call", ErrBadKey, suffix)
		}
		if err != nil {
			decodeErr = err
			return false
		}
		m := f.bySlot[c.TargetSlot]
		if m == nil {
			m = map[uint64]*DeferredCall{}
			f.bySlot[c.TargetSlot] = m
		}
		m[c.index()] = c
		if !c.Cancelled {
			f.gas = satAdd(f.gas, c.effectiveGas(cst))
		}
		return true
	})
	if err == nil {
		err = decodeErr
	}
	return f, err
}

func deferredStoreKey(k deferredKey) []byte {
	return append([]byte(store.PrefixDeferredCalls), k[:]...)
}

// writeDeferredChanges adds a slot's registry changes to a commit batch.
func writeDeferredChanges(b *store.Batch, ch *DeferredChanges) {
	if ch == nil {
		return
	}
	keys := slices.Collect(maps.Keys(ch.Calls))
	slices.SortFunc(keys, func(a, b deferredKey) int { return bytes.Compare(a[:], b[:]) })
	for _, k := range keys {
		if c := ch.Calls[k]; c == nil {
			b.Delete(deferredStoreKey(k))
		} else {
			b.Put(deferredStoreKey(k), encodeDeferredCall(c))
		}
	}
}
