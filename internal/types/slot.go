package types

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Slot is a (period, thread) position of the block DAG, ordered by period
// then thread.
type Slot struct {
	Period uint64 `json:"period"`
	Thread uint8  `json:"thread"`
}

// SlotKeySize is the size of the key form of a slot.
const SlotKeySize = 9

// Compare returns -1, 0 or 1.
func (s Slot) Compare(o Slot) int {
	switch {
	case s.Period < o.Period:
		return -1
	case s.Period > o.Period:
		return 1
	case s.Thread < o.Thread:
		return -1
	case s.Thread > o.Thread:
		return 1
	}
	return 0
}

// Less reports s < o.
func (s Slot) Less(o Slot) bool { return s.Compare(o) < 0 }

// Next returns the slot after s for threadCount threads.
func (s Slot) Next(threadCount uint8) Slot {
	if s.Thread+1 >= threadCount {
		return Slot{Period: s.Period + 1, Thread: 0}
	}
	return Slot{Period: s.Period, Thread: s.Thread + 1}
}

// Prev returns the slot before s, and false at (0,0).
func (s Slot) Prev(threadCount uint8) (Slot, bool) {
	if s.Thread > 0 {
		return Slot{Period: s.Period, Thread: s.Thread - 1}, true
	}
	if s.Period == 0 {
		return Slot{}, false
	}
	return Slot{Period: s.Period - 1, Thread: threadCount - 1}, true
}

// Index is the global position of s: period*threadCount + thread.
func (s Slot) Index(threadCount uint8) uint64 {
	return s.Period*uint64(threadCount) + uint64(s.Thread)
}

// SlotFromIndex is the inverse of Index.
func SlotFromIndex(i uint64, threadCount uint8) Slot {
	return Slot{Period: i / uint64(threadCount), Thread: uint8(i % uint64(threadCount))}
}

// Cycle of the slot for a given cycle length.
func (s Slot) Cycle(periodsPerCycle uint64) uint64 { return s.Period / periodsPerCycle }

// IsLastOfCycle reports whether s is the last slot of its cycle.
func (s Slot) IsLastOfCycle(periodsPerCycle uint64, threadCount uint8) bool {
	return s.Period%periodsPerCycle == periodsPerCycle-1 && s.Thread == threadCount-1
}

// Key is the 9-byte key form: 8-byte big-endian period || thread.
func (s Slot) Key() [SlotKeySize]byte {
	var k [SlotKeySize]byte
	binary.BigEndian.PutUint64(k[:8], s.Period)
	k[8] = s.Thread
	return k
}

// SlotFromKey parses the key form.
func SlotFromKey(b []byte) (Slot, error) {
	if len(b) != SlotKeySize {
		return Slot{}, fmt.Errorf("slot key: %d bytes: %w", len(b), ErrBadEncoding)
	}
	return Slot{Period: binary.BigEndian.Uint64(b[:8]), Thread: b[8]}, nil
}

// AppendBinary appends the wire form: u64 varint period || thread byte.
func (s Slot) AppendBinary(dst []byte) []byte {
	dst = AppendUvarint(dst, s.Period)
	return append(dst, s.Thread)
}

// Slot reads a slot, checking the thread against threadCount.
func (r *Reader) Slot(field string, threadCount uint8) Slot {
	p := r.uvarintSuffix(field, " period", 64)
	t := r.byteSuffix(field, " thread")
	if r.err == nil && t >= threadCount {
		r.Failf(field+" thread", ErrOutOfRange, "%d >= thread count %d", t, threadCount)
	}
	return Slot{Period: p, Thread: t}
}

// String prints "(period, thread)" for logs.
func (s Slot) String() string { return fmt.Sprintf("(%d, %d)", s.Period, s.Thread) }

// ParseSlot parses the client's "period,thread" form.
func ParseSlot(str string) (Slot, error) {
	p, t, ok := strings.Cut(str, ",")
	if !ok {
		return Slot{}, fmt.Errorf("slot %q: want period,thread: %w", str, ErrBadEncoding)
	}
	period, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
	if err != nil {
		return Slot{}, fmt.Errorf("slot %q: period: %w", str, ErrBadEncoding)
	}
	thread, err := strconv.ParseUint(strings.TrimSpace(t), 10, 8)
	if err != nil {
		return Slot{}, fmt.Errorf("slot %q: thread: %w", str, ErrBadEncoding)
	}
	return Slot{Period: period, Thread: uint8(thread)}, nil
}

// IndexedSlot is a slot with an endorsement index.
type IndexedSlot struct {
	Slot  Slot `json:"slot"`
	Index int  `json:"index"`
}
