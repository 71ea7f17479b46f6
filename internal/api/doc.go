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
// The private server additionally requires the token the node writes to
// <home>/config/api_token at first start (header Authorization: Bearer …),
// and refuses to bind to a non-loopback address without TLS.
//
// The node (internal/node) implements the Backend interfaces declared here;
// the API never touches consensus, execution or the pools directly.
package api
