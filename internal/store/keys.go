package store

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// State key prefixes, spelled as Massa spells them (protocol.md §9.1). Every
// key under one of them is part of the state hash.
const (
	PrefixLedger                = "ledger/"
	PrefixCycleHistory          = "cycle_history/"
	PrefixDeferredCredits       = "deferred_credits/"
	PrefixAsyncPool             = "async_pool/"
	PrefixExecutedOps           = "executed_ops/"
	PrefixExecutedDenunciations = "executed_denunciations/"
	PrefixDeferredCalls         = "deferred_calls/"
	PrefixExecutionTrailHash    = "execution_trail_hash/"
	PrefixVersioning            = "versioning/"
	PrefixVersioningStats       = "versioning_stats/"
)

// StatePrefixes lists the known state prefixes in key order.
var StatePrefixes = []string{
	PrefixAsyncPool,
	PrefixCycleHistory,
	PrefixDeferredCalls,
	PrefixDeferredCredits,
	PrefixExecutedDenunciations,
	PrefixExecutedOps,
	PrefixExecutionTrailHash,
	PrefixLedger,
	PrefixVersioning,
	PrefixVersioningStats,
}

// Key joins a prefix and the parts that follow it into one state key.
func Key(prefix string, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// metaByte is the first byte of every metadata key. State keys may not start
// with it, so the metadata area sorts before the whole state area and a scan
// of the state (for the hash or for bootstrap) never meets it.
const metaByte = 0x00

// metaKey holds the single metadata record (final slot + state hash). One
// record, rather than Massa's two keys `c` and `h`, keeps the pair impossible
// to tear and gives the decoder a single input to check.
var metaKey = []byte{metaByte, 'm'}

// stateLower is the smallest possible state key (inclusive bound).
var stateLower = []byte{metaByte + 1}

// checkKey reports whether k may be used as a state key.
func checkKey(k []byte) error {
	if len(k) == 0 {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if k[0] == metaByte {
		return fmt.Errorf("%w: key %x is in the metadata area", ErrInvalidKey, k)
	}
	return nil
}

// checkPrefix reports whether p may be used as a state prefix. The empty
// prefix means the whole state.
func checkPrefix(p []byte) error {
	if len(p) > 0 && p[0] == metaByte {
		return fmt.Errorf("%w: prefix %x is in the metadata area", ErrInvalidKey, p)
	}
	return nil
}

// prefixBounds returns the [lower, upper) key range of prefix p inside the
// state area; a nil upper means no bound.
func prefixBounds(p []byte) (lower, upper []byte) {
	if len(p) == 0 {
		return stateLower, nil
	}
	return p, prefixEnd(p)
}

// prefixEnd returns the smallest key greater than every key starting with p,
// or nil if there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// SlotKeySize is the size of a slot in its DB key form.
const SlotKeySize = types.SlotKeySize

// Slot is types.Slot; the alias keeps store call sites short.
type Slot = types.Slot

// decodeSlot decodes the 9-byte DB key form of a slot read from disk.
func decodeSlot(b []byte) (Slot, error) {
	if len(b) != SlotKeySize {
		return Slot{}, fmt.Errorf("%w: slot key is %d bytes, want %d", ErrCorrupt, len(b), SlotKeySize)
	}
	return Slot{Period: binary.BigEndian.Uint64(b[:8]), Thread: b[8]}, nil
}
