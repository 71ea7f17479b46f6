package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// Limits bound what one HTTP request may ask.
type Limits struct {
	MaxBodyBytes int64 // request body, default 50 MiB as Massa
	MaxBatch     int   // requests per batch, default 16; 0 disables batches
	MaxArguments int   // list arguments (ids, addresses) per call, default 128
	// MaxDatastoreKeysRequests bounds the requests of one
	// get_addresses_datastore_keys call, default 50.
	MaxDatastoreKeysRequests int
}

// DefaultLimits are Massa's defaults.
func DefaultLimits() Limits {
	return Limits{MaxBodyBytes: 52_428_800, MaxBatch: 16, MaxArguments: 128, MaxDatastoreKeysRequests: 50}
}

// Handler is a registered method. It receives the decoded params.
type Handler func(ctx context.Context, params Params) (any, error)

// Side says which server a method belongs to.
type Side int

// Sides.
const (
	Public Side = iota
	Private
	// V2 is Massa's "API v2" server ([api] bind_api, port 33036).
	V2
)

type method struct {
	side    Side
	names   []string // parameter names, for the object form
	handler Handler
}

// Registry holds the methods both servers know.
type Registry struct {
	methods map[string]method
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{methods: make(map[string]method)} }

// Register adds a method; names are its parameters in order (as the Rust
// trait names them, usually "arg").
func (r *Registry) Register(side Side, name string, paramNames []string, h Handler) {
	r.methods[name] = method{side: side, names: paramNames, handler: h}
}

// Methods lists registered method names of a side.
func (r *Registry) Methods(side Side) []string {
	var out []string
	for n, m := range r.methods {
		if m.side == side {
			out = append(out, n)
		}
	}
	return out
}

// Params gives a handler its arguments in either form.
type Params struct {
	positional []json.RawMessage
	limits     Limits
}

// Len is the number of arguments given.
func (p Params) Len() int { return len(p.positional) }

// Limits are the limits of the server that decoded the params.
func (p Params) Limits() Limits { return p.limits }

// Decode unmarshals argument i into v. A missing or null argument leaves v
// untouched and returns false, so Option arguments can be omitted. Unknown
// object fields are ignored, as serde does for Massa's argument structs; a
// value of the wrong type is an Invalid params error naming its path
// ("datastore entries[0].key").
func (p Params) Decode(i int, name string, v any) (bool, error) {
	if i >= len(p.positional) {
		return false, nil
	}
	raw := bytes.TrimSpace(p.positional[i])
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		path, inner := locate(raw, reflect.TypeOf(v).Elem(), 0)
		if inner == nil {
			inner = err
		}
		return false, Errorf(CodeInvalidParams, "Invalid params: %s%s: %s", name, path, describeJSONError(inner))
	}
	if rv := reflect.ValueOf(v).Elem(); rv.Kind() == reflect.Slice {
		if err := p.checkCount(name, rv.Len()); err != nil {
			return false, err
		}
	}
	return true, nil
}

// checkCount refuses a list argument of more than [api] max_arguments items.
func (p Params) checkCount(name string, n int) error {
	if p.limits.MaxArguments > 0 && n > p.limits.MaxArguments {
		return BadRequest("too many arguments: %s has %d items, the limit is %d ([api] max_arguments)", name, n, p.limits.MaxArguments)
	}
	return nil
}

// Require is Decode for a mandatory argument.
func (p Params) Require(i int, name string, v any) error {
	ok, err := p.Decode(i, name, v)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(CodeInvalidParams, "Invalid params: missing parameter %s", name)
	}
	return nil
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// locate finds where decoding raw into a value of type t fails, by decoding
// arrays element by element and objects field by field, and returns the
// path (`[2].key`) and the innermost error. encoding/json names the field
// of a plain type error, but not of an error a custom decoder (an address,
// an amount, a byte array) returns; clients need the field either way.
// It runs only on the error path.
func locate(raw []byte, t reflect.Type, depth int) (string, error) {
	pv := reflect.New(t)
	err := json.Unmarshal(raw, pv.Interface())
	if err == nil || depth > 16 {
		return "", err
	}
	if pv.Type().Implements(jsonUnmarshalerType) || pv.Type().Implements(textUnmarshalerType) {
		return "", err
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return "", err
		}
		for i, item := range items {
			if p, e := locate(item, t.Elem(), depth+1); e != nil {
				return fmt.Sprintf("[%d]%s", i, p), e
			}
		}
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return "", err
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name := jsonFieldName(f)
			if name == "" {
				continue
			}
			v, ok := obj[name]
			if !ok {
				continue
			}
			if p, e := locate(v, f.Type, depth+1); e != nil {
				return "." + name + p, e
			}
		}
	}
	// The failure is at this level (a type error on the value itself):
	// encoding/json's field path, if any, is relative to it.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "." + te.Field, &json.UnmarshalTypeError{Value: te.Value, Type: te.Type}
	}
	return "", err
}

func jsonFieldName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

// jsonKind names what a Go type expects, in JSON words.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Bytes]():
		return "an array of byte values"
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		got := te.Value
		switch {
		case got == "bool":
			got = "a boolean"
		case got == "object" || got == "array":
			got = "an " + got
		case strings.HasPrefix(got, "number "): // the number itself, e.g. "number -5"
			got = strings.TrimPrefix(got, "number ")
		default:
			got = "a " + got
		}
		msg := fmt.Sprintf("expected %s, got %s", jsonKind(te.Type), got)
		if te.Field != "" {
			msg = te.Field + ": " + msg
		}
		return msg
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at offset %d: %v", se.Offset, se)
	}
	return err.Error()
}

type request struct {
	JSONRPC *string         `json:"jsonrpc"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
	// items are the elements of an array Params when readRequest split
	// it (nil otherwise).
	items []json.RawMessage
}

type response struct {
	Result any
	Error  *Error
	ID     json.RawMessage
}

// MarshalJSON keeps "result": null for unit results while omitting it on errors.
func (r response) MarshalJSON() ([]byte, error) {
	id := r.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	if r.Error != nil {
		return json.Marshal(struct {
			JSONRPC string          `json:"jsonrpc"`
			Error   *Error          `json:"error"`
			ID      json.RawMessage `json:"id"`
		}{"2.0", r.Error, id})
	}
	return json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		Result  any             `json:"result"`
		ID      json.RawMessage `json:"id"`
	}{"2.0", r.Result, id})
}

func errorResponse(id json.RawMessage, e *Error) []byte {
	b, err := json.Marshal(response{ID: id, Error: e})
	if err != nil {
		// Only a broken id could fail, and ids are checked before.
		b, _ = json.Marshal(response{Error: e})
	}
	return b
}

// Server is one HTTP JSON-RPC endpoint (public or private).
type Server struct {
	side   Side
	reg    *Registry
	limits Limits
	log    *slog.Logger
	cors   bool
	token  string // private server: required bearer token
}

// NewServer builds the handler of one side. The public server answers CORS
// requests from any origin (browser wallets); the private server never does,
// and needs token (when not empty) as "Authorization: Bearer <token>".
func NewServer(side Side, reg *Registry, limits Limits, log *slog.Logger, token string) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{side: side, reg: reg, limits: limits, log: log, cors: side != Private, token: token}
}

// SetCORS turns CORS on or off on the public server ([api] enable_cors);
// the private server never allows cross-origin calls.
func (s *Server) SetCORS(on bool) { s.cors = on && s.side != Private }

// Messages of the HTTP-level refusals, shared with the tests.
const (
	msgNeedPost      = "JSON-RPC needs HTTP POST"
	msgContentType   = "Content-Type must be application/json"
	msgPrivateToken  = "Bad request: the private API needs the token from <node home>/config/api_token (massa-client reads it with --node-home or [default_node] token)"
	msgBatchDisabled = "Invalid request: batch requests are disabled ([api] batch_request_limit = 0)"
)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "content-type")
		w.Header().Set("Access-Control-Max-Age", "86400")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, msgNeedPost, http.StatusMethodNotAllowed)
		return
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		http.Error(w, msgContentType, http.StatusUnsupportedMediaType)
		return
	}
	if s.side == Private && s.token != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(errorResponse(nil, &Error{Code: CodeBadRequest, Message: msgPrivateToken}))
			return
		}
	}
	if r.ContentLength > s.limits.MaxBodyBytes {
		s.tooLarge(w)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, s.limits.MaxBodyBytes)
	if err != nil {
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > s.limits.MaxBodyBytes {
		s.tooLarge(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	out := s.handleBody(r.Context(), body)
	if out == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(out)
}

// maxBodyPrealloc bounds the buffer readBody sizes from Content-Length:
// announcing a length costs a client nothing, so past this size the
// buffer grows only as the bytes arrive.
const maxBodyPrealloc = 1 << 20

// readBody reads r up to limit+1 bytes, as io.ReadAll(io.LimitReader(r,
// limit+1)) does, into a buffer sized from the announced length (-1 when
// unknown) rather than grown by doubling from 512 bytes: a send_operations
// batch is tens of kilobytes.
func readBody(r io.Reader, announced, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	if announced <= 0 {
		return io.ReadAll(lr)
	}
	buf := make([]byte, 0, min(announced, limit, maxBodyPrealloc)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (s *Server) tooLarge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = w.Write(errorResponse(nil, Errorf(CodeInvalidRequest,
		"Invalid request: request body larger than %d bytes ([api] max_request_body_size)", s.limits.MaxBodyBytes)))
}

// isJSONContentType accepts what jsonrpsee accepts: application/json or
// application/json-rpc, with an optional UTF-8 charset. A missing header
// is accepted too (command-line tools often omit it).
func isJSONContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt != "application/json" && mt != "application/json-rpc" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// handleBody answers one HTTP body: a request or a batch. It returns nil
// when nothing is to be sent (notifications only).
func (s *Server) handleBody(ctx context.Context, body []byte) (out []byte) {
	defer func() {
		// Handlers are guarded in call; this catches a failure anywhere
		// else (a result that cannot be encoded), so that a request never
		// takes the connection down without an answer.
		if p := recover(); p != nil {
			s.log.Error("API request panicked", "panic", p)
			out = errorResponse(nil, Errorf(CodeInternal, "Internal error"))
		}
	}()
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return s.handleOne(ctx, body)
	}
	// One validation of the whole body; the items are then cut from it
	// without a second pass of encoding/json, here or in handleOne.
	batch, ok := []json.RawMessage(nil), false
	if validJSON(trimmed) {
		batch, ok = splitArray(bytes.TrimRight(trimmed, " \t\r\n"))
	}
	if !ok {
		if err := json.Unmarshal(trimmed, &batch); err != nil {
			return errorResponse(nil, Errorf(CodeParseError, "Parse error: %s", describeJSONError(err)))
		}
	}
	if len(batch) == 0 {
		return errorResponse(nil, Errorf(CodeInvalidRequest, "Invalid request: empty batch"))
	}
	if s.limits.MaxBatch <= 0 {
		return errorResponse(nil, &Error{Code: CodeInvalidRequest, Message: msgBatchDisabled})
	}
	if len(batch) > s.limits.MaxBatch {
		return errorResponse(nil, Errorf(CodeInvalidRequest,
			"Invalid request: batch of %d requests, the limit is %d ([api] batch_request_limit)", len(batch), s.limits.MaxBatch))
	}
	var resps []json.RawMessage
	for _, item := range batch {
		if r := s.handleItem(ctx, item); r != nil {
			resps = append(resps, r)
		}
	}
	if len(resps) == 0 {
		return nil
	}
	b, _ := json.Marshal(resps) // raw messages that are valid JSON
	return b
}

// validID tells whether raw is an id JSON-RPC allows: a string, a number
// or null.
func validID(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64, nil:
		return true
	}
	return false
}

// handleOne answers one request read from raw.
func (s *Server) handleOne(ctx context.Context, raw []byte) []byte {
	return s.answer(ctx, raw, validValue)
}

// handleItem answers one request of a batch, which is valid JSON: its
// members need no second validation.
func (s *Server) handleItem(ctx context.Context, raw []byte) []byte {
	return s.answer(ctx, raw, skipValue)
}

// answer answers the request raw, whose values readRequest reads with
// read; encoding/json reads (and words the errors of) whatever
// readRequest leaves to it.
func (s *Server) answer(ctx context.Context, raw []byte, read valueReader) []byte {
	var req request
	if !readRequest(raw, read, &req) {
		if err := json.Unmarshal(raw, &req); err != nil {
			return s.badRequestObject(raw, err)
		}
	}
	if len(req.ID) > 0 && !validID(req.ID) {
		return errorResponse(nil, Errorf(CodeInvalidRequest, "Invalid request: id must be a string, a number or null"))
	}
	switch {
	case req.JSONRPC == nil || *req.JSONRPC != "2.0":
		return errorResponse(req.ID, Errorf(CodeInvalidRequest, "Invalid request: \"jsonrpc\" must be \"2.0\""))
	case req.Method == nil || *req.Method == "":
		return errorResponse(req.ID, Errorf(CodeInvalidRequest, "Invalid request: \"method\" is missing"))
	}
	notification := len(req.ID) == 0
	result, rpcErr := s.call(ctx, *req.Method, req.Params, req.items)
	if notification {
		return nil
	}
	// MarshalJSON itself: its output is json.Marshal's, compact and
	// escaped already, which json.Marshal(response{…}) would scan again.
	b, err := response{ID: req.ID, Result: result, Error: rpcErr}.MarshalJSON()
	if err != nil {
		s.log.Error("API result cannot be encoded", "method", *req.Method, "err", err)
		return errorResponse(req.ID, Errorf(CodeInternal, "Internal error: the result of %s cannot be encoded", *req.Method))
	}
	return b
}

// badRequestObject answers a body that json.Unmarshal could not read as
// a request object (err).
func (s *Server) badRequestObject(raw []byte, err error) []byte {
	if !json.Valid(raw) {
		return errorResponse(nil, Errorf(CodeParseError, "Parse error: %s", describeJSONError(err)))
	}
	// Valid JSON that is not a request object: answer with its id if
	// one can be read.
	var withID struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(raw, &withID)
	if !validID(withID.ID) {
		withID.ID = nil
	}
	return errorResponse(withID.ID, Errorf(CodeInvalidRequest, "Invalid request: %s", describeRequestError(err)))
}

// describeRequestError words a request-object decoding error.
func describeRequestError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return "a request must be a JSON object"
	}
	return describeJSONError(err)
}

func (s *Server) call(ctx context.Context, name string, rawParams json.RawMessage, items []json.RawMessage) (result any, rpcErr *Error) {
	m, ok := s.reg.methods[name]
	if !ok {
		return nil, Errorf(CodeMethodNotFound, "Method not found: %s", name)
	}
	if m.side != s.side {
		return nil, Errorf(CodeWrongAPI, "The wrong API (either Public or Private) was called")
	}
	params, perr := s.parseParams(rawParams, items, m.names)
	if perr != nil {
		return nil, perr
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("API handler panicked", "method", name, "panic", p)
			result, rpcErr = nil, Errorf(CodeInternalServer, "Internal server error in %s", name)
		}
	}()
	res, err := m.handler(ctx, params)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		if errors.Is(err, ErrNotSupported) {
			return nil, Errorf(CodeBadRequest, "Bad request: %s: %v", name, err)
		}
		return nil, Errorf(CodeInternalServer, "Internal server error: %v", err)
	}
	return res, nil
}

// parseParams reads params in either form; items, when not nil, are the
// elements of an array raw (see readRequest). Methods without parameters
// ignore params entirely, whatever they hold (massa-web3 sends [{}]).
func (s *Server) parseParams(raw json.RawMessage, items []json.RawMessage, names []string) (Params, *Error) {
	p := Params{limits: s.limits}
	raw = bytes.TrimSpace(raw)
	if len(names) == 0 || len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return p, nil
	}
	switch raw[0] {
	case '[':
		if items != nil {
			p.positional = items
			break
		}
		// raw comes from a decoded request, so it is valid JSON and
		// splitting it needs no second validation; encoding/json stays
		// the judge of anything splitArray does not expect.
		if items, ok := splitArray(raw); ok {
			p.positional = items
			break
		}
		if err := json.Unmarshal(raw, &p.positional); err != nil {
			return p, Errorf(CodeInvalidParams, "Invalid params: %s", describeJSONError(err))
		}
	case '{':
		obj, ok := splitObject(raw)
		if !ok {
			obj = nil
			if err := json.Unmarshal(raw, &obj); err != nil {
				return p, Errorf(CodeInvalidParams, "Invalid params: %s", describeJSONError(err))
			}
		}
		for _, n := range names {
			v, ok := obj[n]
			if !ok {
				v = obj[lowerCamel(n)]
			}
			p.positional = append(p.positional, v)
		}
	default:
		return p, Errorf(CodeInvalidParams, "Invalid params: params must be an array or an object, got %s", jsonValueKind(raw))
	}
	return p, nil
}

// jsonValueKind names the kind of a JSON value by its first byte.
func jsonValueKind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
