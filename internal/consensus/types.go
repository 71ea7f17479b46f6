package consensus

import "github.com/gomassa/gomassa/internal/types"

// Draws gives the PoS selection consensus checks headers against. It is
// declared here, by its consumer; the PoS selector implements it. Any error
// (ErrDrawsNotReady in particular) makes the block wait for its slot.
type Draws interface {
	Producer(slot types.Slot) (types.Address, error)
	Endorser(slot types.Slot, index uint32) (types.Address, error)
}

// EndorsementRef is what consensus needs of an endorsement carried by a
// header: its index and creator. Signatures, the endorsed block and the
// slot are checked by protocol before the header reaches consensus.
type EndorsementRef struct {
	Index   uint32
	Creator types.Address
}

// Header is the part of a block header the graph works on. The caller
// computes ID (the header hash) and has already checked the signatures.
type Header struct {
	ID      types.BlockID
	Slot    types.Slot
	Parents []types.BlockID // one per thread; nil only for genesis blocks
	Creator types.Address
	// Endorsers lists the endorsements included in the block.
	Endorsers []EndorsementRef
}

// Fitness of the block: 1 + number of endorsements.
func (h *Header) Fitness() uint64 { return 1 + uint64(len(h.Endorsers)) }

// clone copies the slices so the graph never aliases caller memory.
func (h Header) clone() Header {
	if h.Parents != nil {
		h.Parents = append([]types.BlockID(nil), h.Parents...)
	}
	if h.Endorsers != nil {
		h.Endorsers = append([]EndorsementRef(nil), h.Endorsers...)
	}
	return h
}

// Status is where a block stands in the graph.
type Status uint8

// Block statuses (Massa's BlockStatus / DiscardReason, flattened).
const (
	// StatusWaitingForSlot: the block is from the future, or its draws are
	// not known yet.
	StatusWaitingForSlot Status = iota + 1
	// StatusWaitingForDependencies: parents are missing, or only the header
	// is known.
	StatusWaitingForDependencies
	// StatusActive: in the graph, not final (in the blockclique or in an
	// alternative clique).
	StatusActive
	// StatusFinal: final and still in the graph.
	StatusFinal
	// StatusStale: discarded, it can no longer join the blockclique.
	StatusStale
	// StatusInvalid: discarded, it breaks a rule.
	StatusInvalid
	// StatusFinalPruned: final and dropped from the graph by pruning
	// (Massa's Discarded(Final)).
	StatusFinalPruned
)

var statusNames = [...]string{"unknown", "waiting_for_slot", "waiting_for_dependencies", "active", "final", "stale", "invalid", "final_pruned"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Reason tells why a block was discarded.
type Reason uint8

// Discard reasons.
const (
	ReasonInvalid Reason = iota + 1
	ReasonStale
	ReasonFinal
)

func (r Reason) String() string {
	switch r {
	case ReasonInvalid:
		return "invalid"
	case ReasonStale:
		return "stale"
	case ReasonFinal:
		return "final"
	}
	return "unknown"
}

// BlockRef is a block id with its slot.
type BlockRef struct {
	ID   types.BlockID
	Slot types.Slot
}

// FinalBlock describes a block that became final.
type FinalBlock struct {
	ID      types.BlockID
	Slot    types.Slot
	Creator types.Address
	Parents []types.BlockID
	Fitness uint64
	// SameThreadParentCreator is the creator of the parent in the block's
	// own thread, when that parent was in the graph (execution splits
	// rewards with it).
	SameThreadParentCreator    types.Address
	HasSameThreadParentCreator bool
	// Own is true when the block only ever came from this node's factory,
	// never from the network (desync detection ignores such blocks).
	Own bool
}

// Discard describes a block that was discarded.
type Discard struct {
	ID      types.BlockID
	Slot    types.Slot
	Creator types.Address
	Reason  Reason
	// Err wraps a sentinel of errors.go with the details.
	Err error
}

// Wish is a block consensus needs: unknown (Header nil) or known by its
// header only.
type Wish struct {
	ID     types.BlockID
	Header *Header
}

// Output is what one input changed. Slices are in a deterministic order.
// A block can appear in NewActive and, later in the same call, in NewStale
// (it entered the graph and was outrun at once).
type Output struct {
	// NewActive lists blocks that entered the graph, in processing order;
	// protocol propagates them.
	NewActive []types.BlockID
	// NewFinal lists blocks that became final, by slot then id.
	NewFinal []FinalBlock
	// NewStale lists blocks discarded as stale.
	NewStale []Discard
	// NewInvalid lists blocks discarded as invalid (attack attempts).
	NewInvalid []Discard
	// Ignored lists blocks dropped by the multi-stake guard (a third block
	// for a slot that is not in the wishlist).
	Ignored []types.BlockID
	// BlockcliqueChanged is set when the non-final blockclique changed
	// (finalizations change it too); Blockclique then holds it, by slot.
	BlockcliqueChanged bool
	Blockclique        []BlockRef
	// FinalPeriodsChanged is set when a thread's latest final period moved;
	// FinalPeriods then holds them (for the pools).
	FinalPeriodsChanged bool
	FinalPeriods        []uint64
	// WishlistAdded / WishlistRemoved are the wishlist delta for protocol.
	WishlistAdded   []Wish
	WishlistRemoved []types.BlockID
	// Pruned lists final blocks dropped from the graph (Prune only); their
	// bodies are no longer needed by consensus.
	Pruned []types.BlockID
	// OpsReleasable lists old final blocks kept as headers only (Prune
	// only); their operations can be released.
	OpsReleasable []types.BlockID
	// Forgotten lists ids consensus no longer knows at all: blocks dropped
	// from the waiting queues by their caps or because a dependency was
	// dropped, and old discarded entries.
	Forgotten []types.BlockID
}

// Clique is a maximal set of mutually compatible non-final blocks.
type Clique struct {
	IDs           []types.BlockID // by slot then id
	Fitness       uint64
	IsBlockclique bool
}

// BlockInfo is what the graph knows of a block.
type BlockInfo struct {
	ID            types.BlockID
	Slot          types.Slot
	Parents       []types.BlockID
	Creator       types.Address
	Status        Status
	Fitness       uint64
	IsFinal       bool
	InBlockclique bool
	// FullBlock is false while only the header is known.
	FullBlock bool
	// Children lists the active children, by slot then id (active blocks
	// only).
	Children []types.BlockID
	// SameThreadParentCreator: see FinalBlock (active blocks only).
	SameThreadParentCreator    types.Address
	HasSameThreadParentCreator bool
	// OpsReleased is set on old final blocks kept without operations.
	OpsReleased bool
	// DiscardErr is the reason of a discarded block.
	DiscardErr error
}

// BlockSummary is one block of GraphInterval.
type BlockSummary struct {
	ID            types.BlockID
	Slot          types.Slot
	Creator       types.Address
	Parents       []types.BlockID
	Status        Status
	IsFinal       bool
	IsStale       bool
	InBlockclique bool
}

// Stats are counters of the graph. Final and stale counts are cumulative
// since New (genesis excluded); the service derives per-timespan counts
// from successive samples.
type Stats struct {
	FinalBlockCount        uint64
	StaleBlockCount        uint64
	CliqueCount            int
	ActiveCount            int // non-final active blocks
	FinalInGraph           int // final blocks still in the graph
	WaitingForSlot         int
	WaitingForDependencies int
	Discarded              int
}
