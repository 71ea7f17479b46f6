// Package ledger is the Massa ledger: per address a balance, a bytecode and
// a datastore (key bytes -> value bytes), laid out in the store's state area
// under Massa's keys (protocol.md §9.1):
//
//	"ledger/" || varint(0) || address (34 bytes) || 0            -> varint(0)  (entry version)
//	"ledger/" || varint(0) || address (34 bytes) || 1            -> Amount varint
//	"ledger/" || varint(0) || address (34 bytes) || 2            -> varint(0) || varint(len) || bytecode
//	"ledger/" || varint(0) || address (34 bytes) || 3 || raw key -> raw value
//
// An address exists when its balance key exists.
//
// # What it owns
//
//   - Final: read access to the committed ledger through a small key/value
//     interface that *store.Store and *store.Snapshot satisfy.
//   - Changes: the speculative ledger changes of one or more slots, per
//     address a Set (whole new entry), an Update (balance, bytecode,
//     datastore keys) or a Delete, with Massa's merge rules. Changes can be
//     read with a fallback (Lookup), merged, checkpointed and reverted (the
//     per-operation snapshot of execution), and written to a store batch.
//   - View: a read view of several Changes layers over a base Reader, the
//     "current slot -> active history (newest first) -> final" read order
//     of execution, including datastore key listing with the layers
//     overlaid.
//   - The storage cost rules of protocol.md §3.3 as functions.
//
// # Who calls it
//
// Execution builds Changes while it executes slots, reads through a View
// and writes Changes into the store batch of each final slot. The API
// reads balances, bytecode and datastore entries through execution, which
// owns the views. Genesis writes the initial ledger as Set changes.
//
// Nothing here is safe for concurrent mutation; Final is safe for
// concurrent reads because the store is.
package ledger
