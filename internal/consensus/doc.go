// Package consensus is the blockclique consensus core of gomassa: the block
// graph of one node, its incompatibilities, max cliques, blockclique,
// stale and final blocks, written as a pure state machine in the style of
// etcd raft.
//
// A Graph owns every block the node has heard of, from the moment a header
// or a full block is handed to it until the block is pruned: blocks
// waiting for their slot or for missing parents, active blocks with their
// parents, children, descendants and incompatibility sets, the max cliques
// of the compatibility graph, the latest final block of every thread, the
// wishlist of missing blocks and the multi-stake guard. It owns no block
// bodies: it only says, in its outputs, which blocks became active, final,
// stale or invalid and which ones can be forgotten, so that the caller
// keeps or drops operations accordingly.
//
// The core has no goroutines, no clock, no I/O and no logger. Each input
// (AddHeader, AddBlock, Tick, Prune) takes the current slot from the caller
// and returns an Output; nothing in it depends on map iteration order, so
// two graphs fed the same inputs give the same outputs. The only outside
// dependency is the PoS selector, reached through the small Draws interface
// declared here.
//
// The consensus service wraps a Graph: it feeds headers and blocks from
// protocol and the block factory, ticks it at each slot, prunes it every few
// seconds, and forwards the outputs to execution (final blocks and
// blockclique), the pools (final periods), protocol (blocks to propagate,
// attack attempts, wishlist) and the factories (best parents). The rules
// follow section 1 of the protocol notes (shared/spec/protocol.md), using the
// current incompatibility rule of section 1.4.
package consensus
