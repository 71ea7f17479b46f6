package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// oldBytesUnmarshal is Bytes.UnmarshalJSON as it was before the fast
// path: encoding/json into []int, then a range check. The fast path must
// decide as it does, byte for byte.
func oldBytesUnmarshal(data []byte) (Bytes, error) {
	var nums []int
	if err := json.Unmarshal(data, &nums); err != nil {
		return nil, err
	}
	out := make([]byte, len(nums))
	for i, n := range nums {
		if n < 0 || n > 255 {
			return nil, fmt.Errorf("byte %d: %d is not in 0..255", i, n)
		}
		out[i] = byte(n)
	}
	return out, nil
}

var bytesSeeds = []string{
	`[]`, `[0]`, `[1,2,3]`, `[255]`, `[256]`, `[-1]`, `[-0]`, `[0,255,128,7]`,
	" [ 1 ,\t2 ,\r\n3 ] ", "\n[]\n", `[ ]`, `null`, ` null `, `[null]`, `[1,null,2]`,
	`[1.0]`, `[1.5]`, `[1e2]`, `[1E+2]`, `[-1e-2]`, `[01]`, `[00]`, `[-]`, `[-01]`, `[1.]`, `[.5]`, `[1e]`,
	`[1,]`, `[,1]`, `[1 2]`, `[1,,2]`, `[1`, `[1,2`, `]`, `[`, ``, ` `, `[]]`, `[] x`, `[1]]`,
	`["a"]`, `[1,"a"]`, `[[1]]`, `[{}]`, `[true]`, `[false]`, `[nul]`, `[tru]`, `[1,nullx]`,
	`"AAEC"`, `{}`, `{"a":1}`, `5`, `true`, `"[1]"`,
	`[99999999999999999999]`, `[9223372036854775807]`, `[9223372036854775808]`, `[-9223372036854775808]`,
	`[1,2,3,"]"]`, `[1,"x,y",2]`, "[1,\u00a02]", "\ufeff[1]", `[1]` + "\x00",
}

// FuzzBytesUnmarshal checks the fast Bytes decoder against the old one on
// arbitrary input: the same accept/reject decision and the same bytes,
// called directly and through encoding/json.
func FuzzBytesUnmarshal(f *testing.F) {
	for _, s := range bytesSeeds {
		f.Add([]byte(s))
	}
	var big bytes.Buffer
	big.WriteByte('[')
	for i := range 300 {
		if i > 0 {
			big.WriteByte(',')
		}
		fmt.Fprintf(&big, "%d", i*7%256)
	}
	big.WriteByte(']')
	f.Add(big.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := oldBytesUnmarshal(data)
		var got Bytes
		gotErr := got.UnmarshalJSON(data)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, old decoder %v", data, gotErr, wantErr)
		}
		if gotErr == nil && (!bytes.Equal(got, want) || got == nil) {
			t.Fatalf("%q: %v, old decoder %v", data, got, want)
		}
		// Inside a document, as API arguments are read.
		doc := append(append([]byte(`{"k":`), data...), '}')
		var viaJSON struct {
			K Bytes `json:"k"`
		}
		var oldJSON struct {
			K oldBytes `json:"k"`
		}
		errNew, errOld := json.Unmarshal(doc, &viaJSON), json.Unmarshal(doc, &oldJSON)
		if (errNew == nil) != (errOld == nil) {
			t.Fatalf("%q in a document: error %v, old decoder %v", data, errNew, errOld)
		}
		if errNew == nil && !bytes.Equal(viaJSON.K, oldJSON.K) {
			t.Fatalf("%q in a document: %v, old decoder %v", data, viaJSON.K, oldJSON.K)
		}
	})
}

// oldBytes decodes with oldBytesUnmarshal.
type oldBytes []byte

func (b *oldBytes) UnmarshalJSON(data []byte) error {
	out, err := oldBytesUnmarshal(data)
	if err != nil {
		return err
	}
	*b = oldBytes(out)
	return nil
}

func TestBytesErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{`[1,"a"]`, "byte 1: expected an integer, got a string"},
		{`[1, 2, [3]]`, "byte 2: expected an integer, got an array"},
		{`[{}]`, "byte 0: expected an integer, got an object"},
		{`[true]`, "byte 0: expected an integer, got a boolean"},
		{`[1.5]`, "byte 0: expected an integer, got 1.5"},
		{`[0, 1e2]`, "byte 1: expected an integer, got 1e2"},
		{`[0,256]`, "byte 1: 256 is not in 0..255"},
		{`[-1]`, "byte 0: -1 is not in 0..255"},
		{`[99999999999999999999]`, "byte 0: 99999999999999999999 is not in 0..255"},
		{`"AAEC"`, "expected an array of byte values: json: cannot unmarshal string into Go value of type []int"},
		{`[1,]`, "expected an array of byte values: invalid character ']'"},
	} {
		var b Bytes
		err := b.UnmarshalJSON([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.want)
		}
		var bve *ByteValueError
		if strings.HasPrefix(tc.want, "byte ") && !errors.As(err, &bve) {
			t.Errorf("%s: %T is not a *ByteValueError", tc.in, err)
		}
	}
	for in, want := range map[string][]byte{
		` [ 1 ,	2 ,
3 ] `: {1, 2, 3},
		`[1,null,2]`: {1, 0, 2},
		`[-0]`:       {0},
		`null`:       {},
		`[]`:         {},
	} {
		var b Bytes
		if err := b.UnmarshalJSON([]byte(in)); err != nil || !bytes.Equal(b, want) || b == nil {
			t.Errorf("%q: %v (%v), want %v", in, b, err, want)
		}
	}
}

var jsonSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"send_operations","params":[[{"creator_public_key":"P1","signature":"1","serialized_content":[1,2,3]}]]}`,
	`{"jsonrpc":"2.0","id":"x","method":"m","params":{"arg":[1,2],"a_b":{"c":[]}}}`,
	`{"Method":"m","JSONRPC":"2.0"}`, `{"method":"m","method":null}`, `{"method":"\u006d"}`, `{"jsonrpc":2.0}`,
	`{"id":null,"params":null,"x":[{"y":"]}"}]}`, `[1,[2,[3]],{"a":"b\"c"}]`, `[]`, `{}`, ` [ ] `, `{ }`,
	`"\u00e9\ud800"`, `"\x"`, "\"\x01\"", "\"\xff\"", `-0.5e+10`, `1.`, `01`, `[1,]`, `{"a":1,}`, `{"a" 1}`,
	`{"a":1}}`, `[[[[[[[[]]]]]]]]`, `[{"a":[{"b":[true,false,null]}]}]`, `tru`, `nulll`, `null`, ` `, ``,
	"[\"caf\xc3\xa9\"]", `{"operations":[{"creator_public_key":"P","signature":"S","serialized_content":[],"extra":1}]}`,
	`[{"creator_public_key":"P","Signature":"S"}]`, `[{"creator_public_key":"P","creator_public_key":"Q"}]`,
	`[{"serialized_content":null}]`, `[null]`, `[{"signature":"a\"b"}]`, `[{}, {"signature":"x"}]`,
}

// FuzzValidJSON checks validJSON against json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range append(jsonSeeds, bytesSeeds...) {
		f.Add([]byte(s))
	}
	f.Add(bytes.Repeat([]byte{'['}, maxJSONDepth+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid %v", data, got, want)
		}
	})
}

func TestValidJSONDepth(t *testing.T) {
	for _, n := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		doc := strings.Repeat("[", n) + strings.Repeat("]", n)
		if got, want := validJSON([]byte(doc)), json.Valid([]byte(doc)); got != want {
			t.Errorf("depth %d: validJSON %v, json.Valid %v", n, got, want)
		}
	}
}

// FuzzSplitJSON checks the readers that cut JSON (params arrays and
// objects, request objects) against encoding/json: where they answer,
// they answer as it does, and arrays never go to it.
func FuzzSplitJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"params":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`))
	f.Add([]byte(`{"params":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The validating request reader, on any input.
		var got request
		if readRequest(data, validValue, &got) {
			if !json.Valid(data) {
				t.Fatalf("readRequest(%q) accepted invalid JSON", data)
			}
			checkRequest(t, data, got)
			var trusted request
			if !readRequest(data, skipValue, &trusted) || !reflect.DeepEqual(trusted, got) {
				t.Fatalf("readRequest(%q) trusting: %+v, validating: %+v", data, trusted, got)
			}
		}
		if !json.Valid(data) {
			return
		}
		if readRequest(data, skipValue, &got) {
			checkRequest(t, data, got)
		}
		trimmed := bytes.TrimSpace(data)
		var wantArr []json.RawMessage
		arrErr := json.Unmarshal(data, &wantArr)
		if got, ok := splitArray(trimmed); ok {
			if arrErr != nil || !reflect.DeepEqual(rawStrings(got), rawStrings(wantArr)) {
				t.Fatalf("splitArray(%q) = %q, json %q (%v)", data, got, wantArr, arrErr)
			}
		} else if arrErr == nil && trimmed[0] == '[' {
			t.Fatalf("splitArray(%q) refused an array", data)
		}
		var wantObj map[string]json.RawMessage
		objErr := json.Unmarshal(data, &wantObj)
		if got, ok := splitObject(data); ok {
			if objErr != nil || !reflect.DeepEqual(rawMap(got), rawMap(wantObj)) {
				t.Fatalf("splitObject(%q) = %q, json %q (%v)", data, got, wantObj, objErr)
			}
		}
	})
}

// checkRequest fails t unless got is what encoding/json reads from data,
// its split params included.
func checkRequest(t *testing.T, data []byte, got request) {
	t.Helper()
	var want request
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("readRequest(%q) accepted what encoding/json refuses: %v", data, err)
	}
	items := got.items
	got.items = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("readRequest(%q) = %+v, json %+v", data, got, want)
	}
	if items == nil {
		return
	}
	var wantItems []json.RawMessage
	if err := json.Unmarshal(got.Params, &wantItems); err != nil || wantItems == nil ||
		!reflect.DeepEqual(rawStrings(items), rawStrings(wantItems)) {
		t.Fatalf("readRequest(%q): params %q, json %q (%v)", data, items, wantItems, err)
	}
}

func rawStrings(items []json.RawMessage) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it)
	}
	return out
}

func rawMap(m map[string]json.RawMessage) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// FuzzOperationsFast checks decodeOperationsFast against encoding/json on
// arbitrary input: when it answers, encoding/json reads the same
// operations without error.
func FuzzOperationsFast(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[{"creator_public_key":"P12","signature":"1ab","serialized_content":[0, 255 ,-0,null]} , {}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeOperationsFast(data)
		if !ok {
			return
		}
		var want []OperationInput
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("decodeOperationsFast(%q) accepted what encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeOperationsFast(%q) = %+v, json %+v", data, got, want)
		}
	})
}

func TestOperationsFastShapes(t *testing.T) {
	// The usual shapes take the fast path; unusual ones go to
	// encoding/json (and still decode: see the API tests).
	for in, fast := range map[string]bool{
		`[{"creator_public_key":"P1","signature":"S1","serialized_content":[1,2]}]`:                   true,
		" [ { \"signature\" : \"S\" ,\n\"creator_public_key\":\"P\", \"serialized_content\":[ ] } ] ": true,
		`[]`: true,
		`[{"creator_public_key":"P1","signature":"S1","serialized_content":[1,2],"x":1}]`: false,
		`[{"Signature":"S1"}]`:                             false,
		`[{"signature":"S\u0031"}]`:                        false,
		`[{"signature":"S","signature":"T"}]`:              false,
		`[{"serialized_content":null}]`:                    false,
		`[null]`:                                           false,
		`[{"serialized_content":[256]}]`:                   false,
		`[{"signature":"S"}] x`:                            false,
		`[{"signature":"S"},]`:                             false,
		`[{"creator_public_key":"caf` + "\xc3\xa9" + `"}]`: false,
	} {
		if _, ok := decodeOperationsFast([]byte(in)); ok != fast {
			t.Errorf("%s: fast path %v, want %v", in, ok, fast)
		}
	}
}

// TestReadBody checks readBody against io.ReadAll(io.LimitReader(…)),
// whatever length is announced.
func TestReadBody(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 4096, maxBodyPrealloc + 3000} {
		body := bytes.Repeat([]byte("0123456789"), size/10+1)[:size]
		for _, limit := range []int64{int64(size) - 1, int64(size), int64(size) + 1, 1 << 30} {
			if limit < 0 {
				continue
			}
			want, _ := io.ReadAll(io.LimitReader(bytes.NewReader(body), limit+1))
			for _, announced := range []int64{-1, 0, 1, int64(size) / 2, int64(size), int64(size) + 7, 1 << 40} {
				// iotest.HalfReader: short reads, as from a connection.
				got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), announced, limit)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("size %d, limit %d, announced %d: %d bytes (%v), want %d", size, limit, announced, len(got), err, len(want))
				}
			}
		}
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), 10, 100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error: %v", err)
	}
}
