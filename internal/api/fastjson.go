package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Hand-written readers for the hot shapes of the API: the request
// object, a byte array ([1,2,3]), params, and send_operations'
// operations. encoding/json reads them through reflection and scans every
// byte of a request several times (validate, then decode, at each level
// that holds a json.RawMessage or a custom decoder); a 128-operation
// send_operations request spent most of its time there. Each reader
// handles the common shape in one pass and hands anything else back to
// encoding/json, so errors and corner cases (escapes, odd key case,
// nulls) keep their established behaviour.

// errSlowPath tells the caller to use encoding/json instead: the input is
// not in the simple shape the fast reader handles (it may still be valid).
var errSlowPath = errors.New("not in the fast path's shape")

// ByteValueError is an element of a byte array that is not an integer
// 0..255.
type ByteValueError struct {
	Index int    // position in the array
	Got   string // the JSON kind ("a string") or the number as written
	// Range is set for an integer outside 0..255 (Got is the number).
	Range bool
}

func (e *ByteValueError) Error() string {
	if e.Range {
		return fmt.Sprintf("byte %d: %s is not in 0..255", e.Index, e.Got)
	}
	return fmt.Sprintf("byte %d: expected an integer, got %s", e.Index, e.Got)
}

// maxEchoedNumber bounds how much of a refused number an error repeats.
const maxEchoedNumber = 40

func echoNumber(lit []byte) string {
	if len(lit) > maxEchoedNumber {
		return string(lit[:maxEchoedNumber]) + "…"
	}
	return string(lit)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// parseByteList reads the array of byte values that opens at data[i]
// ('['). It returns the bytes and the index just past the closing ']'.
// Elements are JSON integers 0..255 ("-0" is 0, as encoding/json reads it
// into an int) or null (0, as encoding/json leaves an int untouched).
// An element that is valid JSON but not such a value is a
// *ByteValueError; anything else (malformed JSON) is errSlowPath, for
// encoding/json to describe.
func parseByteList(data []byte, i int) ([]byte, int, error) {
	// Size the result exactly before allocating: the elements up to the
	// first ']' are at most its commas plus one, and a well-formed array
	// of numbers ends at its first ']'.
	n := bytes.IndexByte(data[i:], ']')
	if n < 0 {
		return nil, 0, errSlowPath
	}
	out := make([]byte, 0, bytes.Count(data[i:i+n], []byte{','})+1)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return out, i + 1, nil
	}
	for idx := 0; ; idx++ {
		if i >= len(data) {
			return nil, 0, errSlowPath
		}
		// The usual element, 1 to 3 digits and a comma, without the
		// general number reader.
		if c := data[i]; c >= '1' && c <= '9' && i+3 < len(data) {
			v, j := int(c-'0'), i+1
			for ; j < i+3 && data[j] >= '0' && data[j] <= '9'; j++ {
				v = v*10 + int(data[j]-'0')
			}
			if data[j] == ',' && v <= 255 {
				out = append(out, byte(v))
				i = skipSpace(data, j+1)
				continue
			}
		}
		switch c := data[i]; {
		case c == '-' || (c >= '0' && c <= '9'):
			v, end, isInt := scanNumber(data, i)
			if end < 0 {
				return nil, 0, errSlowPath
			}
			switch {
			case !isInt:
				return nil, 0, &ByteValueError{Index: idx, Got: echoNumber(data[i:end])}
			case v > 255 || (c == '-' && v != 0):
				return nil, 0, &ByteValueError{Index: idx, Got: echoNumber(data[i:end]), Range: true}
			}
			out = append(out, byte(v))
			i = end
		case c == 'n' && bytes.HasPrefix(data[i:], []byte("null")):
			out = append(out, 0)
			i += 4
		case c == '"':
			return nil, 0, &ByteValueError{Index: idx, Got: "a string"}
		case c == '[':
			return nil, 0, &ByteValueError{Index: idx, Got: "an array"}
		case c == '{':
			return nil, 0, &ByteValueError{Index: idx, Got: "an object"}
		case bytes.HasPrefix(data[i:], []byte("true")) || bytes.HasPrefix(data[i:], []byte("false")):
			return nil, 0, &ByteValueError{Index: idx, Got: "a boolean"}
		default:
			return nil, 0, errSlowPath
		}
		next, done, ok := afterElement(data, i)
		switch {
		case !ok:
			return nil, 0, errSlowPath
		case done:
			return out, next, nil
		}
		i = next
	}
}

// afterElement reads what follows an array element that ends before
// data[i]: a comma, and then next is the index of the next element, or
// the closing ']', and then done is set and next is the index past it.
// ok is false when neither follows.
func afterElement(data []byte, i int) (next int, done, ok bool) {
	i = skipSpace(data, i)
	if i >= len(data) {
		return 0, false, false
	}
	switch data[i] {
	case ',':
		return skipSpace(data, i+1), false, true
	case ']':
		return i + 1, true, true
	}
	return 0, false, false
}

// scanNumber reads the JSON number at data[i] by the JSON grammar. It
// returns its magnitude when it is an integer (capped at 256: only 0..255
// matter), the index past it (-1 when it breaks the grammar), and whether
// it is an integer (no fraction, no exponent: encoding/json refuses those
// for an int). What follows the number is the caller's to check.
func scanNumber(data []byte, i int) (v int, end int, isInt bool) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, -1, false
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
			v = min(v*10+int(data[i]-'0'), 256)
		}
	default:
		return 0, -1, false
	}
	isInt = true
	if i < len(data) && data[i] == '.' {
		isInt = false
		i++
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return 0, -1, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return 0, -1, false
		}
	}
	return v, i, isInt
}

// A valueReader returns the index past the JSON value at data[i], or
// false; depth is the number of containers around it. skipValue trusts
// its input to be valid JSON; validValue checks it.
type valueReader func(data []byte, i, depth int) (int, bool)

// splitArray splits a JSON array into its elements, as json.Unmarshal
// into []json.RawMessage does, without copying them. raw must be valid
// JSON (it is cut from a request that has been validated), trimmed:
// splitArray only follows strings and nesting, and reports false when
// raw is not shaped as it expects.
func splitArray(raw []byte) ([]json.RawMessage, bool) {
	items, end, ok := splitArrayAt(raw, 0, 0, skipValue)
	return items, ok && end == len(raw)
}

// splitArrayAt splits the array at data[i] with read and returns its
// elements (not nil, even when there are none) and the index past it.
func splitArrayAt(data []byte, i, depth int, read valueReader) ([]json.RawMessage, int, bool) {
	if i >= len(data) || data[i] != '[' || depth >= maxJSONDepth {
		return nil, 0, false
	}
	out := []json.RawMessage{}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return out, i + 1, true
	}
	for {
		end, ok := read(data, i, depth+1)
		if !ok {
			return nil, 0, false
		}
		out = append(out, data[i:end:end])
		next, done, ok := afterElement(data, end)
		switch {
		case !ok:
			return nil, 0, false
		case done:
			return out, next, true
		}
		i = next
	}
}

// skipValue returns the index past the JSON value at data[i], trusting
// data to be valid JSON (see splitArray).
func skipValue(data []byte, i, _ int) (int, bool) {
	if i >= len(data) {
		return i, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '[', '{':
		depth := 0
		for i < len(data) {
			if !structural[data[i]] {
				i++
				continue
			}
			switch data[i] {
			case '"':
				end, ok := skipString(data, i)
				if !ok {
					return i, false
				}
				i = end
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	start := i
	for i < len(data) && !isSpace(data[i]) && data[i] != ',' && data[i] != ']' && data[i] != '}' {
		i++
	}
	return i, i > start
}

// structural marks the bytes skipValue stops at inside a container.
var structural = [256]bool{'"': true, '[': true, ']': true, '{': true, '}': true}

// skipString returns the index past the JSON string at data[i] ('"').
func skipString(data []byte, i int) (int, bool) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(data), false
}

// plainString reads the JSON string at data[i] ('"') when it is printable
// ASCII without escapes, which then reads as itself (keys, public keys,
// signatures); ok is false for any other string.
func plainString(data []byte, i int) (s []byte, end int, ok bool) {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// Fields of OperationInput, as bits of a seen-set.
const (
	opFieldKey = 1 << iota
	opFieldSig
	opFieldContent
)

// decodeOperationsFast reads the argument of send_operations when it is an array of objects whose keys are exactly
// OperationInput's, each at most once, with plain strings and byte arrays
// for values; the result is what json.Unmarshal would give. ok is false
// for any other input, valid or not, which encoding/json then decodes
// (and words the errors of).
func decodeOperationsFast(raw []byte) (ops []OperationInput, ok bool) {
	raw = bytes.TrimRight(raw[skipSpace(raw, 0):], " \t\r\n")
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	// A capacity bound that needs no pass over the values: the objects
	// are at most the '{' of raw, and the server's argument limit keeps
	// real calls far below the cap.
	ops = make([]OperationInput, 0, min(bytes.Count(raw, []byte{'{'}), 1024))
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return ops, i+1 == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '{' {
			return nil, false
		}
		var op OperationInput
		var end int
		if end, ok = decodeOperationFast(raw, i, &op); !ok {
			return nil, false
		}
		ops = append(ops, op)
		next, done, ok := afterElement(raw, end)
		switch {
		case !ok:
			return nil, false
		case done:
			return ops, next == len(raw)
		}
		i = next
	}
}

// decodeOperationFast reads one operation object at raw[i] ('{') into op
// and returns the index past it.
func decodeOperationFast(raw []byte, i int, op *OperationInput) (int, bool) {
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1, true
	}
	seen := 0
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, false
		}
		key, end, ok := plainString(raw, i)
		if !ok {
			return 0, false
		}
		var field int
		switch string(key) {
		case "creator_public_key":
			field = opFieldKey
		case "signature":
			field = opFieldSig
		case "serialized_content":
			field = opFieldContent
		default:
			return 0, false
		}
		if seen&field != 0 {
			return 0, false
		}
		seen |= field
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return 0, false
		}
		i = skipSpace(raw, i+1)
		if i >= len(raw) {
			return 0, false
		}
		switch field {
		case opFieldContent:
			if raw[i] != '[' {
				return 0, false
			}
			b, end, err := parseByteList(raw, i)
			if err != nil {
				return 0, false
			}
			op.SerializedContent, i = b, end
		default:
			if raw[i] != '"' {
				return 0, false
			}
			s, end, ok := plainString(raw, i)
			if !ok {
				return 0, false
			}
			if field == opFieldKey {
				op.CreatorPublicKey = string(s)
			} else {
				op.Signature = string(s)
			}
			i = end
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return 0, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// splitObject reads a JSON object into its members, as json.Unmarshal
// into map[string]json.RawMessage does (the last of repeated keys wins),
// without copying the values. raw must be valid JSON (see splitArray);
// keys with escapes or non-ASCII letters are left to encoding/json.
func splitObject(raw []byte) (map[string]json.RawMessage, bool) {
	out := make(map[string]json.RawMessage)
	ok := eachMember(raw, func(key, val []byte) bool {
		out[string(key)] = val
		return true
	})
	return out, ok
}

// eachMember calls f with each key (plain, see plainString) and value of
// the JSON object raw, which must be valid JSON (see splitArray), up to
// trailing space. It reports false when raw is not an object of plain
// keys or f returns false.
func eachMember(raw []byte, f func(key, val []byte) bool) bool {
	return walkObject(raw, func(key []byte, i int) (int, bool) {
		end, ok := skipValue(raw, i, 1)
		return end, ok && f(key, raw[i:end:end])
	})
}

// walkObject walks the object raw (up to trailing space) member by
// member: for each plain key (see plainString) it calls value with the
// index of the member's value, which reads it and returns the index past
// it. It reports false when raw is not such an object or value fails.
func walkObject(raw []byte, value func(key []byte, i int) (end int, ok bool)) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		key, end, ok := plainString(raw, i)
		if !ok {
			return false
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		if i = skipSpace(raw, i+1); i >= len(raw) {
			return false
		}
		if end, ok = value(key, i); !ok {
			return false
		}
		if i = skipSpace(raw, end); i >= len(raw) {
			return false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return skipSpace(raw, i+1) == len(raw)
		default:
			return false
		}
	}
}

// requestFields are the members of a request object.
var requestFields = [...]string{"jsonrpc", "method", "params", "id"}

// readRequest is json.Unmarshal(raw, req) for a request object whose
// keys are plain (see plainString) and whose "jsonrpc" and "method" are
// plain strings; it reads the values with read and reports false,
// leaving req alone, for any other input, valid or not. With validValue
// it accepts valid JSON only, and so stands for encoding/json's
// validation too. An array of params is split on the way (req.items),
// which spares parseParams another pass over it.
//
// encoding/json matches keys without regard to case: a key that differs
// from a field name only by case goes to encoding/json.
func readRequest(raw []byte, read valueReader, req *request) bool {
	var r request
	ok := walkObject(raw, func(key []byte, i int) (end int, ok bool) {
		if string(key) == "params" && raw[i] == '[' {
			if r.items, end, ok = splitArrayAt(raw, i, 1, read); ok {
				r.Params = raw[i:end:end]
			}
			return end, ok
		}
		end, ok = read(raw, i, 1)
		return end, ok && r.set(key, raw[i:end:end])
	})
	if !ok {
		return false
	}
	*req = r
	return true
}

// set stores the member key: val of a request object (other than an
// array of params), or reports false when encoding/json must read it.
func (r *request) set(key, val []byte) bool {
	switch string(key) {
	case "jsonrpc", "method":
		if len(val) == 0 || val[0] != '"' {
			return false
		}
		s, end, ok := plainString(val, 0)
		if !ok || end != len(val) {
			return false
		}
		str := string(s)
		if key[0] == 'j' {
			r.JSONRPC = &str
		} else {
			r.Method = &str
		}
	case "params":
		r.Params, r.items = val, nil
	case "id":
		r.ID = val
	default:
		for _, f := range requestFields {
			if bytes.EqualFold(key, []byte(f)) {
				return false
			}
		}
	}
	return true
}

// maxJSONDepth is encoding/json's nesting limit: json.Valid refuses
// deeper input, so validValue does too.
const maxJSONDepth = 10000

// validJSON is json.Valid (the same answer for every input) in a single
// pass without encoding/json's per-byte state machine, which costs about
// three times as much on the long number arrays of send_operations.
func validJSON(data []byte) bool {
	end, ok := validValue(data, skipSpace(data, 0), 0)
	return ok && skipSpace(data, end) == len(data)
}

// validValue checks the JSON value at data[i], inside depth containers,
// as encoding/json's scanner does, and returns the index past it.
func validValue(data []byte, i, depth int) (int, bool) {
	stack := make([]byte, 0, 64) // the containers opened here, '[' or '{'
	for {
		// A value starts at i.
		if i >= len(data) {
			return 0, false
		}
		switch c := data[i]; {
		case c == '{' || c == '[':
			if depth+len(stack) >= maxJSONDepth {
				return 0, false
			}
			stack = append(stack, c)
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' or ']'
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = validKey(data, i); !ok {
					return 0, false
				}
			}
			continue
		case c == '"':
			end, ok := validString(data, i)
			if !ok {
				return 0, false
			}
			i = end
		case c == '-' || (c >= '0' && c <= '9'):
			_, end, _ := scanNumber(data, i)
			if end < 0 {
				return 0, false
			}
			i = end
		case c == 't' && bytes.HasPrefix(data[i:], []byte("true")):
			i += 4
		case c == 'f' && bytes.HasPrefix(data[i:], []byte("false")):
			i += 5
		case c == 'n' && bytes.HasPrefix(data[i:], []byte("null")):
			i += 4
		default:
			return 0, false
		}
		// A value ended at i: close containers until another value is
		// due, or this one is complete.
		for {
			if len(stack) == 0 {
				return i, true
			}
			if i = skipSpace(data, i); i >= len(data) {
				return 0, false
			}
			top := stack[len(stack)-1]
			if data[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if data[i] != ',' {
				return 0, false
			}
			i = skipSpace(data, i+1)
			if top == '{' {
				var ok bool
				if i, ok = validKey(data, i); !ok {
					return 0, false
				}
			}
			break
		}
	}
}

// validKey checks an object key and its colon at data[i] and returns the
// index of the value after them.
func validKey(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false
	}
	end, ok := validString(data, i)
	if !ok {
		return 0, false
	}
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return 0, false
	}
	return skipSpace(data, i+1), true
}

// validString checks the JSON string at data[i] ('"') as encoding/json's
// scanner does (control characters and bad escapes refused; other bytes,
// UTF-8 or not, accepted) and returns the index past it.
func validString(data []byte, i int) (int, bool) {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			j++
			if j >= len(data) {
				return 0, false
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(data) {
					return 0, false
				}
				for _, h := range data[j+1 : j+5] {
					if !isHex(h) {
						return 0, false
					}
				}
				j += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
