package execution

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/gomassa/gomassa/internal/types"
)

// Event is a smart-contract output event (protocol.md §3.7). Execution
// emits error events itself: data {"massa_execution_error":"..."} when an
// operation fails after its fee was paid.
type Event struct {
	Data    string       `json:"data"`
	Context EventContext `json:"context"`
}

// EventContext says where an event comes from.
type EventContext struct {
	Slot     types.Slot     `json:"slot"`
	Block    *types.BlockID `json:"block"`
	ReadOnly bool           `json:"read_only"`
	// IndexInSlot orders the events of one slot.
	IndexInSlot uint64 `json:"index_in_slot"`
	// CallStack lists the addresses of the call, the original caller
	// first and the emitter last.
	CallStack         []types.Address    `json:"call_stack"`
	OriginOperationID *types.OperationID `json:"origin_operation_id"`
	IsFinal           bool               `json:"is_final"`
	IsError           bool               `json:"is_error"`
}

// EventFilter selects events as Massa's get_filtered_sc_output_event does.
// Nil fields do not filter.
type EventFilter struct {
	Start *types.Slot // inclusive
	End   *types.Slot // exclusive
	// EmitterAddress matches the last call-stack entry.
	EmitterAddress *types.Address
	// OriginalCallerAddress matches the first call-stack entry.
	OriginalCallerAddress *types.Address
	OriginalOperationID   *types.OperationID
	IsFinal               *bool
	IsError               *bool
}

// Match reports whether e passes the filter (IsFinal included).
func (f *EventFilter) Match(e *Event) bool {
	c := &e.Context
	if f.Start != nil && c.Slot.Less(*f.Start) {
		return false
	}
	if f.End != nil && !c.Slot.Less(*f.End) {
		return false
	}
	if f.EmitterAddress != nil && (len(c.CallStack) == 0 || c.CallStack[len(c.CallStack)-1] != *f.EmitterAddress) {
		return false
	}
	if f.OriginalCallerAddress != nil && (len(c.CallStack) == 0 || c.CallStack[0] != *f.OriginalCallerAddress) {
		return false
	}
	if f.OriginalOperationID != nil && (c.OriginOperationID == nil || *c.OriginOperationID != *f.OriginalOperationID) {
		return false
	}
	if f.IsFinal != nil && c.IsFinal != *f.IsFinal {
		return false
	}
	if f.IsError != nil && c.IsError != *f.IsError {
		return false
	}
	return true
}

// errorEventData is the data of the event of a failed operation:
// {"massa_execution_error":"<msg>"}, truncated to max bytes.
func errorEventData(msg string, max int) string {
	b, err := json.Marshal(map[string]string{"massa_execution_error": msg})
	if err != nil {
		// json.Marshal of a map[string]string cannot fail; keep the
		// message readable anyway.
		return truncateString(msg, max)
	}
	return truncateString(string(b), max)
}

// truncateString cuts s to at most max bytes on a UTF-8 boundary.
func truncateString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// eventStore keeps the latest final events, at most max of them, in a ring.
type eventStore struct {
	max   int
	buf   []Event
	start int // index of the oldest event when len(buf) == max
}

func newEventStore(max int) *eventStore { return &eventStore{max: max} }

// add appends events (already marked final), dropping the oldest ones
// beyond the bound.
func (s *eventStore) add(evs []Event) {
	if s.max == 0 {
		return
	}
	for _, e := range evs {
		if len(s.buf) < s.max {
			s.buf = append(s.buf, e)
			continue
		}
		s.buf[s.start] = e
		s.start = (s.start + 1) % s.max
	}
}

// len returns the number of stored events.
func (s *eventStore) len() int { return len(s.buf) }

// filter returns the stored events that match f, oldest first.
func (s *eventStore) filter(f *EventFilter, out []Event) []Event {
	n := len(s.buf)
	for i := 0; i < n; i++ {
		e := &s.buf[(s.start+i)%n]
		if f.Match(e) {
			out = append(out, cloneEvent(e))
		}
	}
	return out
}

// cloneEvent copies the slices of e so callers cannot alias the store.
func cloneEvent(e *Event) Event {
	out := *e
	out.Context.CallStack = append([]types.Address(nil), e.Context.CallStack...)
	return out
}
