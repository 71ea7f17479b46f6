// Package store is the node's durable final state: the Massa `state` column
// family and `metadata` column family of protocol.md §9, kept in one Pebble
// keyspace (pure Go; Snappy compression, so CGO_ENABLED=0 works).
//
// # What it owns
//
// The state area holds every consensus-relevant key under the Massa
// prefixes (PrefixLedger, PrefixCycleHistory, ... see keys.go); the package
// does not interpret keys or values, the ledger, PoS and execution packages
// do. A separate metadata area (keys starting with byte 0x00, a byte no
// state key may start with, so it sorts before and outside the state) holds
// one record: format version, the final slot (change id, 9-byte key form)
// and the 512-byte state hash. The metadata is not part of the state hash.
// The Massa `versioning` column family (MIP data outside the hash) is not
// modelled here yet.
//
// Every finalized slot is committed as one Batch: all its puts and deletes,
// the new final slot and the new state hash go into one atomic Pebble batch,
// fsynced by default, so a kill -9 at any instant leaves the previous or the
// next slot, never half of one. The final slot must strictly increase.
// Open reads the metadata record and does not rescan the state; Verify and
// RecomputeStateHash do the full scan when wanted.
//
// # State hash (protocol.md §9.2)
//
// state_hash = XOR over every (key, value) of the state area of
// HashXof_512(compute_from_tuple(key, value)), starting from 512 zero bytes.
//
// Reading of the spec: the XOF is taken over the tuple BYTES, not over the
// 32-byte tuple hash. The spec spells it out ("i.e. BLAKE3-XOF over (8-byte
// BE len || key || 8-byte BE len || value)"), and HashXof::compute_from_tuple
// in massa-hash is the XOF flavour of the same tuple hasher: it feeds the
// length-prefixed parts into BLAKE3 and reads 512 bytes of extended output.
// So pair hash = BLAKE3-XOF-512(u64be(len k) || k || u64be(len v) || v),
// which is crypto.HashXOF over that concatenation (a test checks the two
// agree). The hash is maintained incrementally at Commit: for each key the
// batch touches, the old committed pair (if any) is XORed out and the final
// new pair (if any) XORed in; intermediate writes of the same key within a
// batch cancel out and are never hashed. The fingerprint shown in logs and
// compared between nodes is BLAKE3-256 of the 512 bytes.
//
// # Bulk load (loader.go)
//
// A bootstrapping node receives a whole state in key order: BeginLoad,
// Loader.Put/Flush per part, Loader.Finish with the announced fingerprint.
// A progress record in the metadata area (slot, last key, partial hash,
// caller's tag) is written with every flushed part, so an interrupted load
// resumes after its last key (ResumeLoad); while it exists the store has
// no final slot and Commit refuses. Wipe empties the store (a bootstrap
// that must start over, a desynchronized node).
//
// # Who calls it
//
// The final-state / execution layer builds one Batch per final slot from
// its own overlay and calls Commit; the bootstrap server streams state
// from a Snapshot (consistent keys + slot + hash) with Iterate and a
// startAfter cursor, and the bootstrap client writes it with a Loader;
// the node opens and closes the Store.
package store
