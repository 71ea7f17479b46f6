// Package client is massa-client: the operator's tool that talks to a node's
// JSON-RPC API and holds the user's encrypted wallet.
//
// It owns the client's configuration (<home>/config.toml), its command table
// (names, arguments and help taken from Massa's client, which operators and
// their scripts already know), the way results are shown (aligned text for
// people, stable JSON with --json for scripts), the interactive REPL
// (history, completion, quoting) and the building and signing of operations
// sent with send_operations.
//
// staking_doctor (cmd_doctor.go) runs the seed FAQ's staking diagnostic in
// one command and prints, for each failed check, the command that fixes
// it.
//
// It talks to the node only through api.Client and keeps keys only through
// internal/wallet; it never reads the node's state directly. The one thing
// it reads from the node's home is the private API token the node writes to
// <node home>/config/api_token.
//
// cmd/massa-client calls Main; tests drive Main or a Session directly against
// an in-process API server.
package client
