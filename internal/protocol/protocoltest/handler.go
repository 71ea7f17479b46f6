package protocoltest

import (
	"sync"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// Handler is an in-memory protocol.Handler: a node that holds blocks and
// operations in maps. The After* hooks run after a delivery is recorded,
// outside the lock (tests use them to relay, like a node calling
// PropagateOperations or AnnounceBlock).
type Handler struct {
	mu           sync.Mutex
	blocks       map[types.BlockID]storedBlock
	ops          map[types.OperationID]*types.SignedOperation
	endos        map[types.EndorsementID]*types.SignedEndorsement
	headers      map[types.BlockID]*types.SignedHeader
	opDeliveries int
	duplicates   int
	blockFrom    map[types.BlockID]protocol.PeerID

	AfterHeader       func(from protocol.PeerID, h *types.SignedHeader)
	AfterBlock        func(from protocol.PeerID, b *types.Block, ops []*types.SignedOperation)
	AfterOperations   func(from protocol.PeerID, ops []*types.SignedOperation)
	AfterEndorsements func(from protocol.PeerID, es []*types.SignedEndorsement)
}

type storedBlock struct {
	block *types.Block
	ops   []*types.SignedOperation
}

// NewHandler returns an empty handler.
func NewHandler() *Handler {
	return &Handler{
		blocks:    make(map[types.BlockID]storedBlock),
		ops:       make(map[types.OperationID]*types.SignedOperation),
		endos:     make(map[types.EndorsementID]*types.SignedEndorsement),
		headers:   make(map[types.BlockID]*types.SignedHeader),
		blockFrom: make(map[types.BlockID]protocol.PeerID),
	}
}

// AddBlock stores a block and its operations, as a node producing it.
func (h *Handler) AddBlock(b *types.Block, ops []*types.SignedOperation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.blocks[b.ID()] = storedBlock{block: b, ops: ops}
	for _, op := range ops {
		h.ops[op.ID] = op
	}
}

// AddOperations stores operations, as a node's pool.
func (h *Handler) AddOperations(ops []*types.SignedOperation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, op := range ops {
		h.ops[op.ID] = op
	}
}

// OnHeader implements protocol.Handler.
func (h *Handler) OnHeader(from protocol.PeerID, sh *types.SignedHeader) {
	h.mu.Lock()
	h.headers[sh.ID] = sh
	h.mu.Unlock()
	if h.AfterHeader != nil {
		h.AfterHeader(from, sh)
	}
}

// OnBlock implements protocol.Handler.
func (h *Handler) OnBlock(from protocol.PeerID, b *types.Block, ops []*types.SignedOperation) {
	h.mu.Lock()
	h.blocks[b.ID()] = storedBlock{block: b, ops: ops}
	h.blockFrom[b.ID()] = from
	for _, op := range ops {
		h.ops[op.ID] = op
	}
	h.mu.Unlock()
	if h.AfterBlock != nil {
		h.AfterBlock(from, b, ops)
	}
}

// OnOperations implements protocol.Handler.
func (h *Handler) OnOperations(from protocol.PeerID, ops []*types.SignedOperation) {
	h.mu.Lock()
	for _, op := range ops {
		h.opDeliveries++
		if _, ok := h.ops[op.ID]; ok {
			h.duplicates++
		}
		h.ops[op.ID] = op
	}
	h.mu.Unlock()
	if h.AfterOperations != nil {
		h.AfterOperations(from, ops)
	}
}

// OnEndorsements implements protocol.Handler.
func (h *Handler) OnEndorsements(from protocol.PeerID, es []*types.SignedEndorsement) {
	h.mu.Lock()
	for _, e := range es {
		h.endos[e.ID] = e
	}
	h.mu.Unlock()
	if h.AfterEndorsements != nil {
		h.AfterEndorsements(from, es)
	}
}

// HaveOperation implements protocol.Handler.
func (h *Handler) HaveOperation(id types.OperationID) (*types.SignedOperation, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op, ok := h.ops[id]
	return op, ok
}

// GetBlock implements protocol.Handler.
func (h *Handler) GetBlock(id types.BlockID) (*types.Block, []*types.SignedOperation, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sb, ok := h.blocks[id]
	return sb.block, sb.ops, ok
}

// HasBlock reports a block held.
func (h *Handler) HasBlock(id types.BlockID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.blocks[id]
	return ok
}

// Block returns a block held and its operations.
func (h *Handler) Block(id types.BlockID) (*types.Block, []*types.SignedOperation, bool) {
	return h.GetBlock(id)
}

// BlockFrom is the peer a block was received from.
func (h *Handler) BlockFrom(id types.BlockID) protocol.PeerID {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.blockFrom[id]
}

// HasHeader reports a header received.
func (h *Handler) HasHeader(id types.BlockID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.headers[id]
	return ok
}

// HasOperation reports an operation held.
func (h *Handler) HasOperation(id types.OperationID) bool {
	_, ok := h.HaveOperation(id)
	return ok
}

// HasEndorsement reports an endorsement received.
func (h *Handler) HasEndorsement(id types.EndorsementID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.endos[id]
	return ok
}

// NumOperations is the number of operations held.
func (h *Handler) NumOperations() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// OperationDeliveries counts operations received through OnOperations, and
// how many of them the handler already held.
func (h *Handler) OperationDeliveries() (total, duplicates int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.opDeliveries, h.duplicates
}
