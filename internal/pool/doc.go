// Package pool keeps the operations and endorsements a node has seen but
// that no final block holds yet, and hands the block factory the best of
// them for a slot.
//
// The operation pool is partitioned by thread (an operation can only go in
// a block of its sender's thread), bounded in count and in bytes, and
// ordered by fee. An operation whose sender cannot pay its fee and amount
// against the speculative state, counting what the sender's other pooled
// operations already promise to spend, is refused at the door with an error
// naming the reason. Operations leave the pool when they expire, when they
// are executed, or when a better-paying one needs their room.
//
// The endorsement pool keeps, per (slot, index), the endorsements of the
// node's future blocks, so the factory can pick those that endorse the
// parent it builds on.
//
// The pool is called by the API and the protocol (Add), by the factory
// (BlockOperations, BlockEndorsements) and by the node when blocks become
// final (Prune). It is safe for concurrent use.
package pool
