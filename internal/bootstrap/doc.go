// Package bootstrap lets a node join a running network: a bootstrap server
// streams its final state, the final blocks that rebuild its consensus
// graph and a list of peers to a new node, which writes them into its
// store and block database and then starts as after a restart
// (spec/protocol.md §7).
//
// # Wire (protocol.md §7.2, §7.3)
//
// TCP. The client opens with a handshake: its version (4 letters, major
// and minor varints) || 32 random bytes; it sends no key: the server's
// identity is the node id pinned in the client's [bootstrap]
// bootstrap_list, and every server message is signed with that key.
// Both sides set prev = BLAKE3(handshake).
//
//	server -> client: signature (65) || length (4 B BE) || message
//	                  signature = Sign(BLAKE3(prev || message)),
//	                  then prev = BLAKE3(signature)
//	client -> server: prev (32) || length (3 B BE) || message
//	                  then prev = BLAKE3(prev || message)
//
// A refusal sent before the handshake is signed over BLAKE3(message).
// Messages start with a varint type id (messages.go). Gomassa's
// BootstrapPart differs from Massa's: the server streams from a fixed
// snapshot instead of following its advancing state, so a part carries
// no "updates on previous elements" and no versioning part; it carries
// the snapshot's state fingerprint, optional totals (for progress) and
// final blocks as opaque byte strings (the node's stored-block form).
// BootstrapError also carries the time the server asks the client to wait.
//
// # Server (server.go)
//
// Admission (white/black lists reloaded every cache_duration, one
// bootstrap per IP per per_ip_min_interval, max_simultaneous_bootstraps)
// happens before the handshake; each refusal is a signed BootstrapError
// naming the limit and the time to wait. A session streams the state of a
// store snapshot in key order, in parts of about PartBytes, then the
// final blocks of BlockSource, then BootstrapFinished; peers on request.
// Snapshots are kept for SnapshotTTL after their last use (at most
// MaxSnapshots) so that a client interrupted mid-stream can resume from
// its last key; a client asking for a snapshot the server no longer has
// gets SlotTooOld and starts over. A client whose stream broke may
// reconnect at once (the per-IP interval does not apply to it, a few
// times).
//
// # Client (client.go)
//
// Tries the servers in a seeded shuffled order (the one it was loading
// from first), checks ping and clock (max_ping, max_clock_delta), streams
// the state into a store bulk load (store.Loader: each part flushed with
// its cursor, so a killed bootstrap resumes from its last key), hands the
// final blocks to a BlockSink, checks that the loaded state's fingerprint
// is the one the server signed, and returns the peers. Between rounds of
// failed servers it waits retry_delay.
//
// Who calls it: internal/node runs a Server when [bootstrap] bind is set,
// and a client at start when its store is empty (or a bulk load is
// unfinished) and [bootstrap] bootstrap_list is not, and again after a
// desynchronization.
package bootstrap
