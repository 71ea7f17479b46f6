// Package protocol is gomassa's peer-to-peer layer: the TCP transport with
// length-prefixed frames, Massa's handshake, the message catalogue and its
// strict codecs, the peer book, connection limits and bans, and the
// propagation of blocks, operations and endorsements between nodes
// (spec/protocol.md §8).
//
// It owns the network connections, the peer book file, the per-peer and
// per-node "who knows what" caches, the operations and headers kept for
// propagation and the state of block retrievals. It owns no chain data: the
// node answers questions about blocks and operations and receives what peers
// send through the small Handler interface declared here.
//
// Who calls it: internal/node builds one Service with New, starts it, feeds
// it the node's own blocks, operations and endorsements (AnnounceBlock,
// PropagateOperations, PropagateEndorsements), asks for blocks consensus is
// missing (AskBlocks), bans peers whose data consensus judged invalid (Ban)
// and reads Peers and Stats for the API and metrics.
//
// Concurrency: one goroutine (the service loop) owns the propagation and
// retrieval state and calls every Handler method, one at a time; each
// connection has a reader and a writer goroutine; the listener and the
// connector have one each. Handler methods must not block for long, and may
// call back into the Service (the calls only queue work).
//
// Data is signed by its creator; a relaying node signs nothing. Every
// signature of a received header, endorsement or operation is checked with
// the batch verifier before the Handler sees it, and a peer that sends
// malformed or invalid data is banned and disconnected.
package protocol
