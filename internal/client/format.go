package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gomassa/gomassa/internal/types"
)

// Result is what a command produced: the value --json prints and the way
// people see it.
type Result struct {
	// JSON is marshalled for --json; nil prints null (Massa's unit result).
	JSON any
	// Human prints the result for people; nil prints nothing.
	Human func(p *Printer)
	// Code is the exit code of a one-shot run once the result is printed
	// (staking_doctor: ExitError when a check failed); 0 means ExitOK.
	Code int
}

// unit is a result with no value and a message for people.
func unit(msg string) *Result {
	return &Result{Human: func(p *Printer) { p.Line("%s", msg) }}
}

// Printer writes human output: plain lines and blocks of aligned key/value
// lines, with ids and keys rendered through Display.
type Printer struct {
	w io.Writer
	D types.Display
}

// NewPrinter writes to w with display d.
func NewPrinter(w io.Writer, d types.Display) *Printer { return &Printer{w: w, D: d} }

// Line prints one formatted line.
func (p *Printer) Line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// KV is one key/value line.
type KV struct {
	K string
	V string
}

// KVs prints pairs with their values aligned, indented by indent spaces.
// Multi-line values continue under the value column.
func (p *Printer) KVs(indent int, pairs ...KV) {
	width := 0
	for _, kv := range pairs {
		width = max(width, utf8.RuneCountInString(kv.K))
	}
	pad := strings.Repeat(" ", indent)
	cont := strings.Repeat(" ", indent+width+2)
	for _, kv := range pairs {
		lines := strings.Split(kv.V, "\n")
		fmt.Fprintf(p.w, "%s%s:%s %s\n", pad, kv.K, strings.Repeat(" ", width-utf8.RuneCountInString(kv.K)), lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(p.w, "%s%s\n", cont, l)
		}
	}
}

// List prints items one per line under a title, or "title: none".
func (p *Printer) List(indent int, title string, items []string) {
	pad := strings.Repeat(" ", indent)
	if len(items) == 0 {
		fmt.Fprintf(p.w, "%s%s: none\n", pad, title)
		return
	}
	fmt.Fprintf(p.w, "%s%s:\n", pad, title)
	for _, it := range items {
		fmt.Fprintf(p.w, "%s  %s\n", pad, it)
	}
}

// mas renders an amount for people: "12.5 MAS".
func mas(a types.Amount) string { return a.String() + " MAS" }

// yesNo renders a boolean for people.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// optBool renders a nullable boolean ("unknown" for null).
func optBool(b *bool, yes, no, unknown string) string {
	switch {
	case b == nil:
		return unknown
	case *b:
		return yes
	default:
		return no
	}
}

// millis renders a MassaTime (ms since the epoch) as UTC time; --json
// keeps the raw number.
func millis(ms uint64) string {
	if ms == 0 || ms > 1<<62 {
		return strconv.FormatUint(ms, 10)
	}
	return time.UnixMilli(int64(ms)).UTC().Format("2006-01-02 15:04:05.000 MST")
}

// duration renders a millisecond span.
func duration(ms uint64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

// slotText renders a slot as "(period, thread)".
func slotText(s types.Slot) string { return s.String() }

// bytesText renders bytes for people: the UTF-8 text when it is printable,
// else hex, with the length.
func bytesText(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	if utf8.Valid(b) && printable(string(b)) {
		return fmt.Sprintf("%q (%d bytes)", string(b), len(b))
	}
	return fmt.Sprintf("0x%x (%d bytes)", b, len(b))
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// marshalJSON is the --json rendering: compact, one line, maps with sorted
// keys (encoding/json sorts them), so the same result prints the same bytes.
func marshalJSON(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // event data and messages stay readable
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
