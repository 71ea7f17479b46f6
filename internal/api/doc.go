// Package api serves Massa's JSON-RPC API — the public server (wallets,
// explorers, massa-web3) and the private server (the operator's
// massa-client) — and holds the client massa-client uses to call them.
//
// The transport follows what Massa's jsonrpsee server does, because
// massa-web3 and other clients depend on it: HTTP POST of JSON-RPC 2.0 at any
// path, params as a positional array or a named object, batches up to a
// limit, CORS open on the public server, and Massa's error codes. Methods are
// registered once with their parameter names; both servers know every
// method, and one called on the wrong server answers Massa's WrongAPI error.
//
// Errors name what failed: a parameter by its path ("datastore
// entries[0].key"), a limit by its config key ("[api] max_arguments").
// A panicking handler answers -32001 and the server keeps serving.
//
// The private server additionally requires the token the node writes to
// <home>/config/api_token at first start (header Authorization: Bearer …),
// never answers CORS requests, and serves HTTPS (ListenTLS) when the node
// has [api] private_tls_cert and private_tls_key; the node refuses to bind
// it to a non-loopback address without them (config.Validate). Client
// speaks to both, over https with NewTLSClient.
//
// The node (internal/node) implements the Backend interfaces declared here;
// the API never touches consensus, execution or the pools directly.
package api
