package pos

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Store key layout, byte-exact with Massa (protocol.md §9.1):
//
//	cycle_history/ || cycle u64 BE || 0                      complete
//	cycle_history/ || cycle u64 BE || 1                      rng seed
//	cycle_history/ || cycle u64 BE || 2                      state hash snapshot
//	cycle_history/ || cycle u64 BE || 3 || address(34 B)    roll count
//	cycle_history/ || cycle u64 BE || 4 || address || 0|1   failures | successes
//	deferred_credits/ || slot key (9 B) || address(34 B)    credit
//
// Values follow Massa's serializers too, so that the state hash matches:
// complete = one byte 0/1; seed = u32 varint bit count || packed bytes;
// snapshot = ASCII '0' (none) or '1' || 512 bytes (Massa's Option
// serializer writes the characters '0'/'1'); counts and amounts = u64
// varint. Zero roll counts and zero credits are never stored.
const (
	PrefixCycleHistory    = "cycle_history/"
	PrefixDeferredCredits = "deferred_credits/"
)

const (
	tagComplete  = 0
	tagSeed      = 1
	tagSnapshot  = 2
	tagRolls     = 3
	tagStats     = 4
	statsFail    = 0
	statsSuccess = 1
)

// Op is one store write: a put of Value at Key, or a delete of Key.
type Op struct {
	Key    []byte
	Value  []byte
	Delete bool
}

func putOp(k, v []byte) Op { return Op{Key: k, Value: v} }
func deleteOp(k []byte) Op { return Op{Key: k, Delete: true} }

func cyclePrefix(cycle uint64, extra int) []byte {
	k := make([]byte, 0, len(PrefixCycleHistory)+8+extra)
	k = append(k, PrefixCycleHistory...)
	return binary.BigEndian.AppendUint64(k, cycle)
}

// CycleKeyPrefix is the prefix of every key of one cycle.
func CycleKeyPrefix(cycle uint64) []byte { return cyclePrefix(cycle, 0) }

func completeKey(c uint64) []byte { return append(cyclePrefix(c, 1), tagComplete) }
func seedKey(c uint64) []byte     { return append(cyclePrefix(c, 1), tagSeed) }
func snapshotKey(c uint64) []byte { return append(cyclePrefix(c, 1), tagSnapshot) }

func rollKey(c uint64, a types.Address) []byte {
	return a.AppendBinary(append(cyclePrefix(c, 1+types.AddressSize), tagRolls))
}

func statsKey(c uint64, a types.Address, which byte) []byte {
	k := a.AppendBinary(append(cyclePrefix(c, 2+types.AddressSize), tagStats))
	return append(k, which)
}

func creditKey(s types.Slot, a types.Address) []byte {
	k := make([]byte, 0, len(PrefixDeferredCredits)+types.SlotKeySize+types.AddressSize)
	k = append(k, PrefixDeferredCredits...)
	sk := s.Key()
	k = append(k, sk[:]...)
	return a.AppendBinary(k)
}

func encodeComplete(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

func encodeSeed(b SeedBits) []byte {
	v := types.AppendUvarint(make([]byte, 0, 5+len(b.Bytes())), uint64(b.Len()))
	return append(v, b.Bytes()...)
}

func encodeSnapshot(h *[crypto.XOFSize]byte) []byte {
	if h == nil {
		return []byte{'0'}
	}
	return append([]byte{'1'}, h[:]...)
}

func encodeU64(n uint64) []byte { return types.AppendUvarint(nil, n) }

// appendCycleOps writes every key of a cycle record.
func appendCycleOps(ops []Op, ci *CycleInfo) []Op {
	ops = append(ops,
		putOp(completeKey(ci.Cycle), encodeComplete(ci.Complete)),
		putOp(seedKey(ci.Cycle), encodeSeed(ci.Seed)),
		putOp(snapshotKey(ci.Cycle), encodeSnapshot(ci.Snapshot)))
	for _, rc := range ci.SortedRolls() {
		ops = append(ops, putOp(rollKey(ci.Cycle, rc.Address), encodeU64(rc.Rolls)))
	}
	for _, as := range ci.SortedStats() {
		ops = appendStatsOps(ops, ci.Cycle, as.Address, as.Stats)
	}
	return ops
}

// appendDeleteCycleOps deletes every key a cycle record has in the store.
func appendDeleteCycleOps(ops []Op, ci *CycleInfo) []Op {
	ops = append(ops, deleteOp(completeKey(ci.Cycle)), deleteOp(seedKey(ci.Cycle)), deleteOp(snapshotKey(ci.Cycle)))
	for _, a := range sortedAddresses(ci.Rolls) {
		ops = append(ops, deleteOp(rollKey(ci.Cycle, a)))
	}
	for _, a := range sortedAddresses(ci.Stats) {
		ops = append(ops, deleteOp(statsKey(ci.Cycle, a, statsFail)), deleteOp(statsKey(ci.Cycle, a, statsSuccess)))
	}
	return ops
}

func appendStatsOps(ops []Op, c uint64, a types.Address, s ProductionStats) []Op {
	return append(ops,
		putOp(statsKey(c, a, statsFail), encodeU64(s.NOK)),
		putOp(statsKey(c, a, statsSuccess), encodeU64(s.OK)))
}

// EncodeKV lists every key/value of the state (puts only), cycles in
// order then credits in (slot, address) order: what a fresh store must
// hold for this state.
func (s *State) EncodeKV() []Op {
	var ops []Op
	for _, ci := range s.cycles {
		ops = appendCycleOps(ops, ci)
	}
	for _, c := range s.DeferredCredits() {
		ops = append(ops, putOp(creditKey(c.Slot, c.Address), encodeU64(uint64(c.Amount))))
	}
	return ops
}

// Iterator walks the store's keys under prefix in key order, calling fn
// until it returns false. store.Store.Iterate fits with a nil startAfter.
type Iterator func(prefix []byte, fn func(k, v []byte) bool) error

// entry is one decoded key/value.
type entry struct {
	kind     byte // tag, or 'c' for a credit
	cycle    uint64
	addr     types.Address
	which    byte
	complete bool
	seed     SeedBits
	snapshot *[crypto.XOFSize]byte
	n        uint64
	slot     types.Slot
}

const kindCredit = 'c'

// decodeEntry parses one PoS key/value. It never panics and checks sizes
// before allocating.
func decodeEntry(cfg Config, k, v []byte) (entry, error) {
	switch {
	case bytes.HasPrefix(k, []byte(PrefixCycleHistory)):
		return decodeCycleEntry(cfg, k[len(PrefixCycleHistory):], v)
	case bytes.HasPrefix(k, []byte(PrefixDeferredCredits)):
		rest := k[len(PrefixDeferredCredits):]
		if len(rest) != types.SlotKeySize+types.AddressSize {
			return entry{}, fmt.Errorf("%w: credit key of %d bytes", ErrBadKey, len(k))
		}
		slot, err := types.SlotFromKey(rest[:types.SlotKeySize])
		if err != nil {
			return entry{}, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		if slot.Thread >= cfg.ThreadCount {
			return entry{}, fmt.Errorf("%w: credit slot thread %d", ErrBadKey, slot.Thread)
		}
		addr, err := types.AddressFromBytes(rest[types.SlotKeySize:])
		if err != nil {
			return entry{}, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		n, err := decodeU64(v, "credit")
		if err != nil {
			return entry{}, err
		}
		if n == 0 {
			return entry{}, fmt.Errorf("%w: zero credit stored", ErrBadValue)
		}
		return entry{kind: kindCredit, slot: slot, addr: addr, n: n}, nil
	}
	return entry{}, fmt.Errorf("%w: unknown prefix", ErrBadKey)
}

func decodeCycleEntry(cfg Config, rest, v []byte) (entry, error) {
	if len(rest) < 9 {
		return entry{}, fmt.Errorf("%w: cycle key too short", ErrBadKey)
	}
	e := entry{cycle: binary.BigEndian.Uint64(rest), kind: rest[8]}
	rest = rest[9:]
	switch e.kind {
	case tagComplete, tagSeed, tagSnapshot:
		if len(rest) != 0 {
			return e, fmt.Errorf("%w: %d trailing bytes after tag %d", ErrBadKey, len(rest), e.kind)
		}
	case tagRolls:
		a, err := types.AddressFromBytes(rest)
		if err != nil {
			return e, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		e.addr = a
	case tagStats:
		if len(rest) != types.AddressSize+1 {
			return e, fmt.Errorf("%w: stats key of %d bytes", ErrBadKey, len(rest))
		}
		a, err := types.AddressFromBytes(rest[:types.AddressSize])
		if err != nil {
			return e, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		e.addr, e.which = a, rest[types.AddressSize]
		if e.which != statsFail && e.which != statsSuccess {
			return e, fmt.Errorf("%w: stats kind %d", ErrBadKey, e.which)
		}
	default:
		return e, fmt.Errorf("%w: cycle tag %d", ErrBadKey, e.kind)
	}

	switch e.kind {
	case tagComplete:
		if len(v) != 1 || v[0] > 1 {
			return e, fmt.Errorf("%w: complete flag %x", ErrBadValue, v)
		}
		e.complete = v[0] == 1
	case tagSeed:
		r := types.NewReader(v, "rng seed")
		n := r.U32("bit count")
		if r.Err() != nil {
			return e, fmt.Errorf("%w: %w", ErrBadValue, r.Err())
		}
		if uint64(n) > cfg.SlotsPerCycle() {
			return e, fmt.Errorf("%w: %d seed bits, at most %d", ErrBadValue, n, cfg.SlotsPerCycle())
		}
		want := (int(n) + 7) / 8
		if r.Remaining() != want {
			return e, fmt.Errorf("%w: %d seed bytes for %d bits", ErrBadValue, r.Remaining(), n)
		}
		e.seed = SeedBits{bytes: append([]byte(nil), r.Rest()...), n: int(n)}
	case tagSnapshot:
		switch {
		case len(v) == 1 && v[0] == '0':
		case len(v) == 1+crypto.XOFSize && v[0] == '1':
			var h [crypto.XOFSize]byte
			copy(h[:], v[1:])
			e.snapshot = &h
		default:
			return e, fmt.Errorf("%w: snapshot of %d bytes", ErrBadValue, len(v))
		}
	case tagRolls:
		n, err := decodeU64(v, "roll count")
		if err != nil {
			return e, err
		}
		if n == 0 {
			return e, fmt.Errorf("%w: zero roll count stored", ErrBadValue)
		}
		e.n = n
	case tagStats:
		n, err := decodeU64(v, "production stats")
		if err != nil {
			return e, err
		}
		e.n = n
	}
	return e, nil
}

func decodeU64(v []byte, what string) (uint64, error) {
	r := types.NewReader(v, what)
	n := r.U64("value")
	if err := r.Done(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return n, nil
}

// Load rebuilds a State from the store (after a restart or a bootstrap).
// It checks the history is contiguous, that every cycle has its three
// fixed keys, that only the last cycle is incomplete, that complete cycles
// have a full seed and at most SavedCycles are kept, and that each
// address's stats have both counts.
func Load(cfg Config, initialRolls []RollCount, iterate Iterator) (*State, error) {
	s, err := New(cfg, initialRolls)
	if err != nil {
		return nil, err
	}
	type partial struct {
		ci                   *CycleInfo
		hasComplete, hasSeed bool
		hasSnapshot          bool
		fail, success        map[types.Address]uint64
	}
	var parts []*partial
	var decodeErr error
	get := func(c uint64) (*partial, error) {
		if n := len(parts); n > 0 {
			last := parts[n-1]
			if last.ci.Cycle == c {
				return last, nil
			}
			if last.ci.Cycle+1 != c {
				return nil, fmt.Errorf("%w: cycle %d after %d", ErrCycleSequence, c, last.ci.Cycle)
			}
		}
		if len(parts) >= cfg.SavedCycles {
			return nil, fmt.Errorf("%w: more than %d cycles stored", ErrCycleSequence, cfg.SavedCycles)
		}
		p := &partial{
			ci:      newCycleInfo(c, make(map[types.Address]uint64), SeedBits{}),
			fail:    make(map[types.Address]uint64),
			success: make(map[types.Address]uint64),
		}
		parts = append(parts, p)
		return p, nil
	}
	err = iterate([]byte(PrefixCycleHistory), func(k, v []byte) bool {
		e, err := decodeEntry(cfg, k, v)
		if err != nil {
			decodeErr = err
			return false
		}
		p, err := get(e.cycle)
		if err != nil {
			decodeErr = err
			return false
		}
		switch e.kind {
		case tagComplete:
			p.hasComplete, p.ci.Complete = true, e.complete
		case tagSeed:
			p.hasSeed, p.ci.Seed = true, e.seed
		case tagSnapshot:
			p.hasSnapshot, p.ci.Snapshot = true, e.snapshot
		case tagRolls:
			p.ci.Rolls[e.addr] = e.n
		case tagStats:
			if e.which == statsFail {
				p.fail[e.addr] = e.n
			} else {
				p.success[e.addr] = e.n
			}
		}
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, fmt.Errorf("load PoS cycle history: %w", err)
	}
	for i, p := range parts {
		c := p.ci.Cycle
		if !p.hasComplete || !p.hasSeed || !p.hasSnapshot {
			return nil, fmt.Errorf("load PoS: %w: cycle %d lacks a complete, seed or snapshot key", ErrBadValue, c)
		}
		if p.ci.Complete && uint64(p.ci.Seed.Len()) != cfg.SlotsPerCycle() {
			return nil, fmt.Errorf("load PoS: %w: complete cycle %d has %d bits", ErrSeedBits, c, p.ci.Seed.Len())
		}
		if !p.ci.Complete && i != len(parts)-1 {
			return nil, fmt.Errorf("load PoS: %w: cycle %d incomplete before the last", ErrCycleSequence, c)
		}
		if len(p.fail) != len(p.success) {
			return nil, fmt.Errorf("load PoS: %w: cycle %d stats lack a count", ErrBadValue, c)
		}
		for a, nok := range p.fail {
			ok, found := p.success[a]
			if !found {
				return nil, fmt.Errorf("load PoS: %w: cycle %d stats of %s lack successes", ErrBadValue, c, a)
			}
			p.ci.Stats[a] = ProductionStats{OK: ok, NOK: nok}
		}
		s.cycles = append(s.cycles, p.ci)
	}
	err = iterate([]byte(PrefixDeferredCredits), func(k, v []byte) bool {
		e, err := decodeEntry(cfg, k, v)
		if err != nil {
			decodeErr = err
			return false
		}
		s.setCredit(e.slot, e.addr, types.Amount(e.n))
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, fmt.Errorf("load PoS deferred credits: %w", err)
	}
	return s, nil
}
