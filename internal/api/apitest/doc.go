// Package apitest holds test helpers for the JSON-RPC API: a fake node
// backend that serves plausible results of every shape and records what it
// is asked, checks of the result shapes massa-web3 reads (CheckStatusShape,
// CheckFields), and a self-signed certificate writer for HTTPS tests. Tests of
// internal/api, internal/client and end-to-end tests use it.
package apitest
