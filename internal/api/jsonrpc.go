package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
)

// Limits bound what one HTTP request may ask.
type Limits struct {
	MaxBodyBytes int64 // request body, default 50 MiB as Massa
	MaxBatch     int   // requests per batch, default 16; 0 disables batches
	MaxArguments int   // list arguments (ids, addresses) per call, default 128
}

// DefaultLimits are Massa's defaults.
func DefaultLimits() Limits {
	return Limits{MaxBodyBytes: 52_428_800, MaxBatch: 16, MaxArguments: 128}
}

// Handler is a registered method. It receives the decoded params.
type Handler func(ctx context.Context, params Params) (any, error)

// Side says which server a method belongs to.
type Side int

// Sides.
const (
	Public Side = iota
	Private
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
	maxArgs    int
}

// Len is the number of arguments given.
func (p Params) Len() int { return len(p.positional) }

// Decode unmarshals argument i into v. A missing or null argument leaves v
// untouched and returns false, so Option arguments can be omitted.
func (p Params) Decode(i int, name string, v any) (bool, error) {
	if i >= len(p.positional) {
		return false, nil
	}
	raw := p.positional[i]
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, Errorf(CodeInvalidParams, "Invalid params: %s: %s", name, describeJSONError(err))
	}
	if rv := reflect.ValueOf(v).Elem(); rv.Kind() == reflect.Slice && p.maxArgs > 0 && rv.Len() > p.maxArgs {
		return false, BadRequest("too many arguments: %s has %d items, the limit is %d ([api] max_arguments)", name, rv.Len(), p.maxArgs)
	}
	return true, nil
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

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: expected %s, got JSON %s", field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at offset %d", se.Offset)
	}
	return err.Error()
}

type request struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  any             `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
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

// Server is one HTTP JSON-RPC endpoint (public or private).
type Server struct {
	side   Side
	reg    *Registry
	limits Limits
	log    *slog.Logger
	cors   bool
	token  string // private server: required bearer token
}

// NewServer builds the handler of one side.
func NewServer(side Side, reg *Registry, limits Limits, log *slog.Logger, token string) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{side: side, reg: reg, limits: limits, log: log, cors: side == Public, token: token}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "content-type")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "JSON-RPC needs HTTP POST", http.StatusMethodNotAllowed)
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	if s.side == Private && s.token != "" {
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(response{Error: &Error{Code: CodeBadRequest,
				Message: "Bad request: the private API needs the token from <node home>/config/api_token (massa-client reads it with --node-home or [default_node] token)"}})
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.limits.MaxBodyBytes+1))
	if err != nil {
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if int64(len(body)) > s.limits.MaxBodyBytes {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_ = json.NewEncoder(w).Encode(response{Error: Errorf(CodeInvalidRequest,
			"request body larger than %d bytes ([api] max_request_body_size)", s.limits.MaxBodyBytes)})
		return
	}
	out := s.handleBody(r.Context(), body)
	if out == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(out)
}

func (s *Server) handleBody(ctx context.Context, body []byte) []byte {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []json.RawMessage
		if err := json.Unmarshal(trimmed, &batch); err != nil {
			b, _ := json.Marshal(response{Error: Errorf(CodeParseError, "Parse error: %s", describeJSONError(err))})
			return b
		}
		if len(batch) == 0 {
			b, _ := json.Marshal(response{Error: Errorf(CodeInvalidRequest, "Invalid request: empty batch")})
			return b
		}
		if s.limits.MaxBatch == 0 || len(batch) > s.limits.MaxBatch {
			b, _ := json.Marshal(response{Error: Errorf(CodeInvalidRequest,
				"Invalid request: batch of %d requests, the limit is %d ([api] batch_request_limit)", len(batch), s.limits.MaxBatch)})
			return b
		}
		var resps []json.RawMessage
		for _, item := range batch {
			if r := s.handleOne(ctx, item); r != nil {
				resps = append(resps, r)
			}
		}
		if len(resps) == 0 {
			return nil
		}
		b, _ := json.Marshal(resps)
		return b
	}
	return s.handleOne(ctx, body)
}

func (s *Server) handleOne(ctx context.Context, raw []byte) []byte {
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		b, _ := json.Marshal(response{Error: Errorf(CodeParseError, "Parse error: %s", describeJSONError(err))})
		return b
	}
	notification := len(req.ID) == 0
	if req.JSONRPC != "2.0" || req.Method == "" {
		b, _ := json.Marshal(response{ID: req.ID, Error: Errorf(CodeInvalidRequest, "Invalid request: need \"jsonrpc\": \"2.0\" and a method")})
		return b
	}
	result, rpcErr := s.call(ctx, req)
	if notification {
		return nil
	}
	b, err := json.Marshal(response{ID: req.ID, Result: result, Error: rpcErr})
	if err != nil {
		b, _ = json.Marshal(response{ID: req.ID, Error: Errorf(CodeInternal, "Internal error: %v", err)})
	}
	return b
}

func (s *Server) call(ctx context.Context, req request) (result any, rpcErr *Error) {
	m, ok := s.reg.methods[req.Method]
	if !ok {
		return nil, Errorf(CodeMethodNotFound, "Method not found: %s", req.Method)
	}
	if m.side != s.side {
		return nil, Errorf(CodeWrongAPI, "The wrong API (either Public or Private) was called")
	}
	params, perr := s.parseParams(req.Params, m.names)
	if perr != nil {
		return nil, perr
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("API handler panicked", "method", req.Method, "panic", p)
			rpcErr = Errorf(CodeInternalServer, "Internal server error in %s", req.Method)
		}
	}()
	res, err := m.handler(ctx, params)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		if errors.Is(err, ErrNotSupported) {
			return nil, Errorf(CodeBadRequest, "Bad request: %s: %v", req.Method, err)
		}
		return nil, Errorf(CodeInternalServer, "Internal server error: %v", err)
	}
	return res, nil
}

func (s *Server) parseParams(raw json.RawMessage, names []string) (Params, *Error) {
	p := Params{maxArgs: s.limits.MaxArguments}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return p, nil
	}
	switch raw[0] {
	case '[':
		if err := json.Unmarshal(raw, &p.positional); err != nil {
			return p, Errorf(CodeInvalidParams, "Invalid params: %s", describeJSONError(err))
		}
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return p, Errorf(CodeInvalidParams, "Invalid params: %s", describeJSONError(err))
		}
		if len(names) == 0 {
			return p, nil // zero-argument methods ignore params
		}
		for _, n := range names {
			v, ok := obj[n]
			if !ok {
				v = obj[lowerCamel(n)]
			}
			p.positional = append(p.positional, v)
		}
	default:
		return p, Errorf(CodeInvalidParams, "Invalid params: params must be an array or an object")
	}
	if len(names) == 0 {
		p.positional = nil
	}
	return p, nil
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
