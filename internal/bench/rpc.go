package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// maxAnswer bounds a JSON-RPC answer read from the node.
const maxAnswer = 64 << 20

// rpcClient is a minimal JSON-RPC client over a pool of keep-alive
// connections. The bench keeps its own (rather than internal/api's) so
// that it can size the connection pool to the number of senders and post
// request bodies encoded before the clock started.
type rpcClient struct {
	url  string
	http *http.Client
	id   atomic.Uint64
}

func newRPCClient(url string, conns int) *rpcClient {
	tr := &http.Transport{
		MaxIdleConns:        conns + 4,
		MaxIdleConnsPerHost: conns + 4,
		MaxConnsPerHost:     conns + 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &rpcClient{url: url, http: &http.Client{Transport: tr, Timeout: 120 * time.Second}}
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// post sends an encoded request and returns the raw result, or the node's
// error as *rpcError.
func (c *rpcClient) post(ctx context.Context, body []byte) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("answer of more than %d bytes: %w", maxAnswer, ErrRPC)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d, %.120q: %w", resp.StatusCode, raw, ErrRPC)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return r.Result, nil
}

// call invokes method with params and decodes the result into out.
func (c *rpcClient) call(ctx context.Context, method string, params []any, out any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id.Add(1), "method": method, "params": params})
	if err != nil {
		return err
	}
	res, err := c.post(ctx, body)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("%s: %v: %w", method, err, ErrRPC)
	}
	return nil
}

// nodeStatus is the part of get_status the bench reads.
type nodeStatus struct {
	CurrentTime    uint64       `json:"current_time"`
	ChainID        uint64       `json:"chain_id"`
	MinimalFees    types.Amount `json:"minimal_fees"`
	PoolStats      [2]uint64    `json:"pool_stats"`
	LastSlot       *types.Slot  `json:"last_slot"`
	ExecutionStats struct {
		FinalExecutedOperationsCount uint64     `json:"final_executed_operations_count"`
		FinalCursor                  types.Slot `json:"final_cursor"`
		ActiveCursor                 types.Slot `json:"active_cursor"`
	} `json:"execution_stats"`
	Config struct {
		GenesisTimestamp         uint64 `json:"genesis_timestamp"`
		ThreadCount              uint8  `json:"thread_count"`
		T0                       uint64 `json:"t0"`
		DeltaF0                  uint64 `json:"delta_f0"`
		OperationValidityPeriods uint64 `json:"operation_validity_periods"`
		MaxBlockSize             uint32 `json:"max_block_size"`
	} `json:"config"`
}

func (c *rpcClient) status(ctx context.Context) (*nodeStatus, error) {
	var st nodeStatus
	if err := c.call(ctx, "get_status", nil, &st); err != nil {
		return nil, err
	}
	if st.Config.ThreadCount == 0 || st.Config.T0 == 0 {
		return nil, fmt.Errorf("get_status: no thread_count or t0 in config: %w", ErrRPC)
	}
	return &st, nil
}

// opState is the part of a get_operations result the bench reads.
type opState struct {
	ID      types.OperationID `json:"id"`
	InPool  bool              `json:"in_pool"`
	IsFinal *bool             `json:"is_operation_final"`
}

func (c *rpcClient) operations(ctx context.Context, ids []types.OperationID) ([]opState, error) {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	var out []opState
	err := c.call(ctx, "get_operations", []any{strs}, &out)
	return out, err
}

// normalizeReason turns a refusal message into a category: numbers and
// identifiers are replaced so that the same cause counts once.
func normalizeReason(msg string) string {
	var b strings.Builder
	for _, w := range strings.Fields(msg) {
		core := strings.Trim(w, "(),;:")
		switch {
		case core == "":
		case strings.IndexFunc(core, func(r rune) bool { return r < '0' || r > '9' }) < 0,
			len(core) > 20 && (core[0] == 'O' || core[0] == 'A' || core[0] == 'P' || core[0] == 'B'),
			strings.Count(core, ".") == 1 && strings.IndexFunc(core, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) < 0:
			w = strings.Replace(w, core, "#", 1)
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if b.Len() > 140 {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}
