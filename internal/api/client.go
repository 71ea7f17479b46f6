package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Client calls a node's JSON-RPC API. It is what massa-client, the bench
// tool and end-to-end tests use.
type Client struct {
	url   string
	token string
	http  *http.Client
	id    atomic.Uint64
}

// NewClient targets url (http://ip:port, or https:// for a server whose
// certificate the system trusts); token is sent to the private API.
func NewClient(url, token string) *Client {
	return &Client{url: url, token: token, http: &http.Client{Timeout: 60 * time.Second}}
}

// NewTLSClient is NewClient for an https:// URL whose server certificate is
// trusted because it is in caFile (PEM: the node's self-signed certificate,
// or the authority that signed it). An empty caFile trusts the system's
// authorities only.
func NewTLSClient(url, token, caFile string) (*Client, error) {
	c := NewClient(url, token)
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("certificate to trust: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("certificate to trust %s: %w", caFile, ErrBadCA)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.http.Transport = tr
	return c, nil
}

// Call invokes method with positional params and decodes the result into out
// (which may be nil).
func (c *Client) Call(ctx context.Context, method string, params []any, out any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": c.id.Add(1)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the node at %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", method, err)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: the node answered HTTP %d with something that is not JSON-RPC: %.200s", method, resp.StatusCode, raw)
	}
	if r.Error != nil {
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%w: %s", ErrUnauthorized, r.Error.Message)
		}
		return r.Error
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%s: unexpected result shape: %w", method, err)
	}
	return nil
}
