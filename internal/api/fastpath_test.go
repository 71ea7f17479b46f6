package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/api/apitest"
)

// The fast readers of requests and of send_operations' arguments must not
// change what the server accepts: every layout encoding/json reads gives
// the same answer, whichever reader takes it.

func TestSendOperationsLayouts(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	good := apitest.Transfer(apitest.Key(), apitest.ChainID, 50, "0.01", "1")
	in := apitest.OpInput(good)
	compact := mustJSON(t, in)
	pretty, err := json.MarshalIndent(in, "  ", "\t")
	if err != nil {
		t.Fatal(err)
	}
	spaced := strings.NewReplacer(",", " ,\n ", "[", "[ ", "]", " ]").Replace(compact)
	content := mustJSON(t, in.SerializedContent)
	fields := `"creator_public_key":` + quote(in.CreatorPublicKey) + `,"signature":` + quote(in.Signature)
	for name, params := range map[string]string{
		"positional":         `[[` + compact + `]]`,
		"by name":            `{"arg":[` + compact + `]}`,
		"pretty":             "[ [\n" + string(pretty) + "\n] ]\n",
		"spaced":             `[[` + spaced + `]]`,
		"escaped key":        `[[{"\u0063reator_public_key":` + quote(in.CreatorPublicKey) + `,"signature":` + quote(in.Signature) + `,"serialized_content":` + content + `}]]`,
		"key case":           `[[{"Creator_Public_Key":` + quote(in.CreatorPublicKey) + `,"SIGNATURE":` + quote(in.Signature) + `,"serialized_content":` + content + `}]]`,
		"escaped value":      `[[{"creator_public_key":"\u0050` + in.CreatorPublicKey[1:] + `","signature":` + quote(in.Signature) + `,"serialized_content":` + content + `}]]`,
		"unknown field":      `[[{` + fields + `,"serialized_content":` + content + `,"extra":{"a":[1,"]"]}}]]`,
		"repeated field":     `[[{` + fields + `,"serialized_content":[1,2],"serialized_content":` + content + `}]]`,
		"content first":      `[[{"serialized_content":` + content + `,` + fields + `}]]`,
		"extra argument":     `[[` + compact + `],"ignored"]`,
		"escaped params key": `{"\u0061rg":[` + compact + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var ids []string
			if err := json.Unmarshal(h.ok(t, h.pubURL, "send_operations", params), &ids); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, []string{good.ID.String()}) {
				t.Fatalf("ids %v, want [%s]", ids, good.ID)
			}
		})
	}
}

func TestSendOperationsContentErrors(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	op := func(content string) string {
		return `[[{"creator_public_key":"P1","signature":"1","serialized_content":` + content + `}]]`
	}
	for content, wants := range map[string][]string{
		`[1,"a"]`:         {"operations[0].serialized_content: byte 1: expected an integer, got a string"},
		`[0,1.5]`:         {"operations[0].serialized_content: byte 1: expected an integer, got 1.5"},
		`[1, 2, -3]`:      {"operations[0].serialized_content: byte 2: -3 is not in 0..255"},
		`[1,256]`:         {"operations[0].serialized_content", "256 is not in 0..255"},
		`"AAEC"`:          {"operations[0].serialized_content: expected an array, got a string"},
		`{"a":1}`:         {"operations[0].serialized_content: expected an array, got an object"},
		`[1e400]`:         {"operations[0].serialized_content: byte 0: expected an integer, got 1e400"},
		`[1000000000000]`: {"operations[0].serialized_content: byte 0: 1000000000000 is not in 0..255"},
	} {
		h.fails(t, h.pubURL, "send_operations", op(content), api.CodeInvalidParams, wants...)
	}
	// The second operation is named too.
	h.fails(t, h.pubURL, "send_operations", `[[{},{"serialized_content":[7,true]}]]`, api.CodeInvalidParams,
		"operations[1].serialized_content: byte 1: expected an integer, got a boolean")
	// null content is an empty one, as before: a binary decoding error.
	h.fails(t, h.pubURL, "send_operations", `[[{"creator_public_key":"`+apitest.Key().Public().String()+
		`","signature":"`+apitest.Transfer(apitest.Key(), apitest.ChainID, 50, "0.01", "1").Signature.String()+
		`","serialized_content":null}]]`, api.CodeBadRequest, "operation 0: serialized_content")
	if calls := h.be.Calls(); len(calls) != 0 {
		t.Fatalf("invalid params reached the backend: %v", calls)
	}
}

func TestRequestEnvelopeLayouts(t *testing.T) {
	h := newHarness(t, api.DefaultLimits())
	for _, tc := range []struct {
		body string
		call string // the backend method reached
	}{
		{`{"jsonrpc":"2.0","method":"get_cliques","id":1}`, "Cliques"},
		{" \n{ \"id\" : 1 ,\t\"method\" : \"get_cliques\" , \"jsonrpc\" : \"2.0\" }\n ", "Cliques"},
		{`{"jsonrpc":"2.0","Method":"get_cliques","id":1}`, "Cliques"},
		{`{"JSONRPC":"2.0","method":"get_cliques","ID":1}`, "Cliques"},
		{`{"jsonrpc":"2.0","method":"get_\u0063liques","id":1}`, "Cliques"},
		{`{"jsonrpc":"2.0","method":"get_status","method":"get_cliques","id":1}`, "Cliques"},
		{`{"jsonrpc":"2.0","method":"get_cliques","id":1,"extra":{"method":"get_status"}}`, "Cliques"},
		{`{"jsonrpc":"2.0","method":"get_addresses","params":{"arg":[]},"params":[["` + addr + `"]],"id":1}`, "Addresses"},
		{`{"jsonrpc":"2.0","method":"get_addresses","params":{"arg":[],"arg":["` + addr + `"]},"id":1}`, "Addresses"},
	} {
		before := len(h.be.Calls())
		res := h.post(t, h.pubURL, tc.body)
		r := decodeReply(t, res.body)
		if r.Error != nil || string(r.ID) != "1" {
			t.Fatalf("%s: %s", tc.body, res.body)
		}
		if calls := h.be.Calls(); len(calls) != before+1 || calls[before] != tc.call {
			t.Fatalf("%s: calls %v, want %s", tc.body, calls[before:], tc.call)
		}
		if tc.call == "Addresses" && string(r.Result) == "[]" {
			t.Fatalf("%s: the last params member must win: %s", tc.body, r.Result)
		}
	}
	// A batch of send_operations calls, laid out loosely.
	good := apitest.Transfer(apitest.Key(), apitest.ChainID, 50, "0.01", "1")
	one := `{"jsonrpc":"2.0","method":"send_operations","params":[[` + mustJSON(t, apitest.OpInput(good)) + `]],"id":%d}`
	res := h.post(t, h.pubURL, "[ "+fmt.Sprintf(one, 1)+" ,\n"+fmt.Sprintf(one, 2)+" ]\n")
	var batch []json.RawMessage
	if err := json.Unmarshal(res.body, &batch); err != nil || len(batch) != 2 {
		t.Fatalf("batch: %v: %s", err, res.body)
	}
	for i, b := range batch {
		if r := decodeReply(t, b); r.Error != nil || string(r.ID) != fmt.Sprint(i+1) {
			t.Fatalf("batch answer %d: %s", i, b)
		}
	}
}
