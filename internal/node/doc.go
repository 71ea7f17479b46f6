// Package node is gomassa's composition root: it reads the configuration,
// prepares the home directory and keys, builds every component in
// dependency order (store, proof of stake, execution, consensus, pools,
// factory, API), runs the node's main loop and stops everything in reverse
// order.
//
// The main loop is the only goroutine that touches the deterministic cores
// (consensus graph, execution, proof-of-stake state): it reacts to slot
// ticks from the injected clock, to blocks and operations arriving from the
// API (and, later, from peers), and feeds each core its inputs in a fixed
// order. The API reads through the node's query methods, which take a read
// lock, so a slow client can never stall block production.
//
// The staking monitor (staking_monitor.go) follows the block slots drawn
// for the node's staking addresses: each miss is logged at WARN and kept
// for the private get_staking_warnings, with its reason (key not
// registered, not synchronized, no peers, stale block, clock skew) and the
// misses left before the implicit roll sell of protocol.md §2.4.
// Auto-compounding (compound.go, [staking] auto_compound) turns the
// rewards of chosen staking addresses into roll buys from the node's pool.
//
// Joining a running network (bootstrap.go, desync.go): a node with a
// genesis file and a [bootstrap] bootstrap_list whose store is empty loads
// the final state, final blocks and peers from a trusted node
// (internal/bootstrap) instead of writing the genesis state, then starts
// as after a restart; every non-sandbox node with [bootstrap] bind serves
// bootstraps. A node that sees no network block become final for
// [consensus] desync_threshold asks its peers again, then deletes its
// chain and bootstraps again inside the same Run.
//
// With no genesis file the node runs a sandbox: a fresh one-node chain whose
// genesis, staking key and funds live in <home>/sandbox, so that restarting
// with the same home continues the same chain.
package node
