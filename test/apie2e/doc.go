// Package apie2e tests the JSON-RPC API end to end against real massa-node
// processes (started by test/testnode on loopback ports): every public
// method's result shape as massa-web3 reads it, bad input to
// send_operations, the private API's token and TLS, start-up refusals
// (a taken port, an exposed private API without TLS), and massa-client's
// commands run as a user would. It has no non-test code.
package apie2e
