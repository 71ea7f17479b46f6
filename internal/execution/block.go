package execution

import (
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/ledger"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// BlockToExecute is what execution needs of a block: its id and slot, who
// gets the rewards, and its operations in block order. The node builds it
// from the block and the operation storage; it must not be modified after
// it is handed to the core.
type BlockToExecute struct {
	ID      types.BlockID
	Slot    types.Slot
	Creator types.Address
	// EndorsementCreators are the creators of the endorsements the block
	// includes, in header order.
	EndorsementCreators []types.Address
	// EndorsedBlockCreator is the creator of the block's parent in its own
	// thread (the block its endorsements endorse).
	EndorsedBlockCreator types.Address
	Operations           []*types.SignedOperation
}

// blockID returns the id of b, nil for a miss.
func blockID(b *BlockToExecute) *types.BlockID {
	if b == nil {
		return nil
	}
	id := b.ID
	return &id
}

func sameBlock(a, b *types.BlockID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Supply accounts for the coins a slot created or destroyed, so that tests
// and metrics can check that no coin appears or vanishes. With
// total = balances + roll_price * rolls + deferred credits, executing the
// slot changes total by exactly
//
//	RewardsMinted - FeesBurnt - CreationCosts - CreditsLost
//	- StorageCharged + StorageRefunded
//	- AsyncFeesBurnt - AsyncCoinsHeld + AsyncCoinsReleased
//	- DeferredFeesBurnt - DeferredCoinsHeld + DeferredCoinsReleased.
//
// and over the blocks of the slots (E the endorsement count, n_b the
// endorsements of block b, part_b its credits / 3(1+E)):
//
//	RewardsMinted = sum_b (BlockReward + fees paid in b - 3(E - n_b) part_b)
//	                - rewards that could not be paid (address not creatable).
//
// Fees are burnt from senders and re-minted inside the block credits, so
// with all endorsements present a block adds exactly BlockReward.
type Supply struct {
	// RewardsMinted is what the reward split credited (face value, before
	// any address creation cost).
	RewardsMinted types.Amount
	// FeesBurnt is the fees debited from operation senders; they are
	// re-minted as part of the block credits.
	FeesBurnt types.Amount
	// CreationCosts is the 0.001 MAS taken from each credit that created
	// an address.
	CreationCosts types.Amount
	// CreditsLost is deferred credits that could not be paid (the credited
	// address could not be created).
	CreditsLost types.Amount
	// StorageCharged and StorageRefunded are storage costs (datastore,
	// bytecode, contract creation) paid and refunded by smart contracts.
	StorageCharged  types.Amount
	StorageRefunded types.Amount
	// AsyncFeesBurnt are the fees of asynchronous messages sent;
	// AsyncCoinsHeld the coins sent with them, which leave the ledger until
	// the message runs (AsyncCoinsReleased: credited to its destination) or
	// is dropped (released back to its sender).
	AsyncFeesBurnt     types.Amount
	AsyncCoinsHeld     types.Amount
	AsyncCoinsReleased types.Amount
	// DeferredFeesBurnt, DeferredCoinsHeld and DeferredCoinsReleased are
	// the same for deferred calls; released also counts the storage part
	// of their fee, refunded at their slot.
	DeferredFeesBurnt     types.Amount
	DeferredCoinsHeld     types.Amount
	DeferredCoinsReleased types.Amount
}

// Delta is the signed change of the total supply the slot made.
func (s Supply) Delta() int64 {
	return int64(s.RewardsMinted) - int64(s.FeesBurnt) - int64(s.CreationCosts) -
		int64(s.CreditsLost) - int64(s.StorageCharged) + int64(s.StorageRefunded) -
		int64(s.AsyncFeesBurnt) - int64(s.AsyncCoinsHeld) + int64(s.AsyncCoinsReleased) -
		int64(s.DeferredFeesBurnt) - int64(s.DeferredCoinsHeld) + int64(s.DeferredCoinsReleased)
}

func (s *Supply) add(o Supply) {
	s.RewardsMinted = s.RewardsMinted.SaturatingAdd(o.RewardsMinted)
	s.FeesBurnt = s.FeesBurnt.SaturatingAdd(o.FeesBurnt)
	s.CreationCosts = s.CreationCosts.SaturatingAdd(o.CreationCosts)
	s.CreditsLost = s.CreditsLost.SaturatingAdd(o.CreditsLost)
	s.StorageCharged = s.StorageCharged.SaturatingAdd(o.StorageCharged)
	s.StorageRefunded = s.StorageRefunded.SaturatingAdd(o.StorageRefunded)
	s.AsyncFeesBurnt = s.AsyncFeesBurnt.SaturatingAdd(o.AsyncFeesBurnt)
	s.AsyncCoinsHeld = s.AsyncCoinsHeld.SaturatingAdd(o.AsyncCoinsHeld)
	s.AsyncCoinsReleased = s.AsyncCoinsReleased.SaturatingAdd(o.AsyncCoinsReleased)
	s.DeferredFeesBurnt = s.DeferredFeesBurnt.SaturatingAdd(o.DeferredFeesBurnt)
	s.DeferredCoinsHeld = s.DeferredCoinsHeld.SaturatingAdd(o.DeferredCoinsHeld)
	s.DeferredCoinsReleased = s.DeferredCoinsReleased.SaturatingAdd(o.DeferredCoinsReleased)
}

// SlotOutput is the result of executing one slot: the state changes it
// makes and what it emitted. The active history holds one per executed
// candidate slot; finalizing a slot commits its output.
type SlotOutput struct {
	Slot  types.Slot
	Block *types.BlockID // nil for a miss

	Ledger *ledger.Changes
	PoS    *pos.Changes
	Ops    map[types.OperationID]ExecutedOp
	// Async are the changes to the asynchronous message pool, Deferred to
	// the deferred-call registry.
	Async    AsyncChanges
	Deferred *DeferredChanges
	Events   []Event
	// Trail is the execution trail hash after the slot.
	Trail crypto.Hash

	// OpCount is the number of operations executed (successfully or not).
	OpCount int
	Supply  Supply
}
