package api

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// The JSON shapes of Massa's API results (massa-api-exports). Field names
// and nesting are a contract with massa-web3 and other clients.

// Bytes marshals as an array of numbers, as serde does for Vec<u8>, and
// unmarshals from one (each number 0..255).
type Bytes []byte

// MarshalJSON writes [1,2,3].
func (b Bytes) MarshalJSON() ([]byte, error) {
	buf := make([]byte, 0, 2+4*len(b))
	buf = append(buf, '[')
	for i, c := range b {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = fmt.Appendf(buf, "%d", c)
	}
	return append(buf, ']'), nil
}

// UnmarshalJSON reads an array of numbers 0..255. It reads the array
// itself (see parseByteList); encoding/json, through []int, reads and
// words the errors of what is not an array.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	if i := skipSpace(data, 0); i < len(data) && data[i] == '[' {
		out, end, err := parseByteList(data, i)
		switch {
		case err == nil && skipSpace(data, end) == len(data):
			*b = out
			return nil
		case err != nil && !errors.Is(err, errSlowPath):
			return err
		}
	}
	return b.unmarshalSlow(data)
}

// unmarshalSlow is UnmarshalJSON through encoding/json.
func (b *Bytes) unmarshalSlow(data []byte) error {
	var nums []int
	if err := json.Unmarshal(data, &nums); err != nil {
		return fmt.Errorf("expected an array of byte values: %w", err)
	}
	out := make([]byte, len(nums))
	for i, n := range nums {
		if n < 0 || n > 255 {
			return fmt.Errorf("byte %d: %d is not in 0..255", i, n)
		}
		out[i] = byte(n)
	}
	*b = out
	return nil
}

// CompactConfig is the `config` object of get_status.
type CompactConfig struct {
	GenesisTimestamp         uint64       `json:"genesis_timestamp"`
	EndTimestamp             *uint64      `json:"end_timestamp"`
	ThreadCount              uint8        `json:"thread_count"`
	T0                       uint64       `json:"t0"`
	DeltaF0                  uint64       `json:"delta_f0"`
	OperationValidityPeriods uint64       `json:"operation_validity_periods"`
	PeriodsPerCycle          uint64       `json:"periods_per_cycle"`
	BlockReward              types.Amount `json:"block_reward"`
	RollPrice                types.Amount `json:"roll_price"`
	MaxBlockSize             uint32       `json:"max_block_size"`
}

// ConsensusStats of get_status.
type ConsensusStats struct {
	StartTimespan   uint64 `json:"start_timespan"`
	EndTimespan     uint64 `json:"end_timespan"`
	FinalBlockCount uint64 `json:"final_block_count"`
	StaleBlockCount uint64 `json:"stale_block_count"`
	CliqueCount     uint64 `json:"clique_count"`
}

// NetworkStats of get_status.
type NetworkStats struct {
	InConnectionCount  uint64 `json:"in_connection_count"`
	OutConnectionCount uint64 `json:"out_connection_count"`
	KnownPeerCount     uint64 `json:"known_peer_count"`
	BannedPeerCount    uint64 `json:"banned_peer_count"`
	ActiveNodeCount    uint64 `json:"active_node_count"`
}

// ExecutionStats of get_status.
type ExecutionStats struct {
	TimeWindowStart              uint64     `json:"time_window_start"`
	TimeWindowEnd                uint64     `json:"time_window_end"`
	FinalBlockCount              uint64     `json:"final_block_count"`
	FinalExecutedOperationsCount uint64     `json:"final_executed_operations_count"`
	ActiveCursor                 types.Slot `json:"active_cursor"`
	FinalCursor                  types.Slot `json:"final_cursor"`
}

// NodeStatus is the result of get_status.
type NodeStatus struct {
	NodeID            string            `json:"node_id"`
	NodeIP            *string           `json:"node_ip"`
	Version           string            `json:"version"`
	CurrentTime       uint64            `json:"current_time"`
	CurrentCycle      uint64            `json:"current_cycle"`
	CurrentCycleTime  uint64            `json:"current_cycle_time"`
	NextCycleTime     uint64            `json:"next_cycle_time"`
	ConnectedNodes    map[string][2]any `json:"connected_nodes"`
	LastSlot          *types.Slot       `json:"last_slot"`
	NextSlot          types.Slot        `json:"next_slot"`
	ConsensusStats    ConsensusStats    `json:"consensus_stats"`
	PoolStats         [2]uint64         `json:"pool_stats"`
	NetworkStats      NetworkStats      `json:"network_stats"`
	ExecutionStats    ExecutionStats    `json:"execution_stats"`
	Config            CompactConfig     `json:"config"`
	ChainID           uint64            `json:"chain_id"`
	MinimalFees       types.Amount      `json:"minimal_fees"`
	CurrentMIPVersion uint32            `json:"current_mip_version"`
}

// DeferredCredit is one entry of AddressInfo.deferred_credits.
type DeferredCredit struct {
	Slot   types.Slot   `json:"slot"`
	Amount types.Amount `json:"amount"`
}

// CycleInfo is one entry of AddressInfo.cycle_infos.
type CycleInfo struct {
	Cycle       uint64  `json:"cycle"`
	IsFinal     bool    `json:"is_final"`
	OKCount     uint64  `json:"ok_count"`
	NOKCount    uint64  `json:"nok_count"`
	ActiveRolls *uint64 `json:"active_rolls"`
}

// AddressInfo is one result of get_addresses.
type AddressInfo struct {
	Address                types.Address         `json:"address"`
	Thread                 uint8                 `json:"thread"`
	FinalBalance           types.Amount          `json:"final_balance"`
	FinalRollCount         uint64                `json:"final_roll_count"`
	FinalDatastoreKeys     []Bytes               `json:"final_datastore_keys"`
	CandidateBalance       types.Amount          `json:"candidate_balance"`
	CandidateRollCount     uint64                `json:"candidate_roll_count"`
	CandidateDatastoreKeys []Bytes               `json:"candidate_datastore_keys"`
	DeferredCredits        []DeferredCredit      `json:"deferred_credits"`
	NextBlockDraws         []types.Slot          `json:"next_block_draws"`
	NextEndorsementDraws   []types.IndexedSlot   `json:"next_endorsement_draws"`
	CreatedBlocks          []types.BlockID       `json:"created_blocks"`
	CreatedOperations      []types.OperationID   `json:"created_operations"`
	CreatedEndorsements    []types.EndorsementID `json:"created_endorsements"`
	CycleInfos             []CycleInfo           `json:"cycle_infos"`
}

// OperationInfo is one result of get_operations.
type OperationInfo struct {
	ID               types.OperationID                      `json:"id"`
	InPool           bool                                   `json:"in_pool"`
	InBlocks         []types.BlockID                        `json:"in_blocks"`
	IsOperationFinal *bool                                  `json:"is_operation_final"`
	Thread           uint8                                  `json:"thread"`
	Operation        types.SecureShareJSON[types.Operation] `json:"operation"`
	OpExecStatus     *bool                                  `json:"op_exec_status"`
}

// EndorsementInfo is one result of get_endorsements.
type EndorsementInfo struct {
	ID          types.EndorsementID `json:"id"`
	InPool      bool                `json:"in_pool"`
	InBlocks    []types.BlockID     `json:"in_blocks"`
	IsFinal     bool                `json:"is_final"`
	Endorsement any                 `json:"endorsement"`
}

// BlockInfoContent is BlockInfo.content.
type BlockInfoContent struct {
	IsFinal         bool `json:"is_final"`
	IsInBlockclique bool `json:"is_in_blockclique"`
	IsCandidate     bool `json:"is_candidate"`
	IsDiscarded     bool `json:"is_discarded"`
	Block           any  `json:"block"`
}

// BlockInfo is one result of get_blocks.
type BlockInfo struct {
	ID      types.BlockID     `json:"id"`
	Content *BlockInfoContent `json:"content"`
}

// BlockSummary is one result of get_graph_interval.
type BlockSummary struct {
	ID              types.BlockID   `json:"id"`
	IsFinal         bool            `json:"is_final"`
	IsStale         bool            `json:"is_stale"`
	IsInBlockclique bool            `json:"is_in_blockclique"`
	Slot            types.Slot      `json:"slot"`
	Creator         types.Address   `json:"creator"`
	Parents         []types.BlockID `json:"parents"`
}

// Clique is one result of get_cliques.
type Clique struct {
	BlockIDs      []types.BlockID `json:"block_ids"`
	Fitness       uint64          `json:"fitness"`
	IsBlockclique bool            `json:"is_blockclique"`
}

// DatastoreEntryInput is one argument of get_datastore_entries.
type DatastoreEntryInput struct {
	Address types.Address `json:"address"`
	Key     Bytes         `json:"key"`
}

// DatastoreEntryOutput is one result of get_datastore_entries.
type DatastoreEntryOutput struct {
	FinalValue     *Bytes `json:"final_value"`
	CandidateValue *Bytes `json:"candidate_value"`
}

// AddressBytecodeInput is one argument of get_addresses_bytecode.
type AddressBytecodeInput struct {
	Address types.Address `json:"address"`
	IsFinal bool          `json:"is_final"`
}

// DatastoreKeysInput is one argument of get_addresses_datastore_keys.
type DatastoreKeysInput struct {
	Address           types.Address `json:"address"`
	Prefix            Bytes         `json:"prefix"`
	IsFinal           bool          `json:"is_final"`
	StartKey          *Bytes        `json:"start_key,omitempty"`
	InclusiveStartKey *bool         `json:"inclusive_start_key,omitempty"`
	EndKey            *Bytes        `json:"end_key,omitempty"`
	InclusiveEndKey   *bool         `json:"inclusive_end_key,omitempty"`
	Count             *uint64       `json:"count,omitempty"`
}

// DatastoreKeysOutput is one result of get_addresses_datastore_keys.
type DatastoreKeysOutput struct {
	Address types.Address `json:"address"`
	IsFinal bool          `json:"is_final"`
	Keys    []Bytes       `json:"keys"`
}

// OperationInput is one argument of send_operations.
type OperationInput struct {
	CreatorPublicKey  string `json:"creator_public_key"`
	Signature         string `json:"signature"`
	SerializedContent Bytes  `json:"serialized_content"`
}

// EventFilter is the argument of get_filtered_sc_output_event.
type EventFilter struct {
	Start                 *types.Slot `json:"start,omitempty"`
	End                   *types.Slot `json:"end,omitempty"`
	EmitterAddress        *string     `json:"emitter_address,omitempty"`
	OriginalCallerAddress *string     `json:"original_caller_address,omitempty"`
	OriginalOperationID   *string     `json:"original_operation_id,omitempty"`
	IsFinal               *bool       `json:"is_final,omitempty"`
	IsError               *bool       `json:"is_error,omitempty"`
}

// EventContext is SCOutputEvent.context.
type EventContext struct {
	Slot              types.Slot         `json:"slot"`
	Block             *types.BlockID     `json:"block"`
	ReadOnly          bool               `json:"read_only"`
	IndexInSlot       uint64             `json:"index_in_slot"`
	CallStack         []types.Address    `json:"call_stack"`
	OriginOperationID *types.OperationID `json:"origin_operation_id"`
	IsFinal           bool               `json:"is_final"`
	IsError           bool               `json:"is_error"`
	DeferredCallID    *string            `json:"deferred_call_id"`
	AsyncMsgID        any                `json:"async_msg_id"`
}

// SCOutputEvent is one smart-contract (or execution) event.
type SCOutputEvent struct {
	Context EventContext `json:"context"`
	Data    string       `json:"data"`
}

// ReadOnlyBytecodeInput is one argument of execute_read_only_bytecode.
type ReadOnlyBytecodeInput struct {
	MaxGas             uint64        `json:"max_gas"`
	Bytecode           Bytes         `json:"bytecode"`
	Address            *string       `json:"address,omitempty"`
	OperationDatastore *Bytes        `json:"operation_datastore,omitempty"`
	Fee                *types.Amount `json:"fee,omitempty"`
}

// ReadOnlyCallInput is one argument of execute_read_only_call.
type ReadOnlyCallInput struct {
	MaxGas         uint64        `json:"max_gas"`
	TargetAddress  string        `json:"target_address"`
	TargetFunction string        `json:"target_function"`
	Parameter      Bytes         `json:"parameter"`
	CallerAddress  *string       `json:"caller_address,omitempty"`
	Coins          *types.Amount `json:"coins,omitempty"`
	Fee            *types.Amount `json:"fee,omitempty"`
}

// ReadOnlyResult is one result of the read-only execution methods.
type ReadOnlyResult struct {
	ExecutedAt   types.Slot      `json:"executed_at"`
	Result       map[string]any  `json:"result"`
	OutputEvents []SCOutputEvent `json:"output_events"`
	GasCost      uint64          `json:"gas_cost"`
	StateChanges map[string]any  `json:"state_changes"`
}

// PubkeySig is the result of node_sign_message and wallet_sign.
type PubkeySig struct {
	PublicKey crypto.PublicKey `json:"public_key"`
	Signature crypto.Signature `json:"signature"`
}

// PageRequest is the optional argument of get_stakers.
type PageRequest struct {
	Limit  uint64 `json:"limit"`
	Offset uint64 `json:"offset"`
}

// StakingWarning is one entry of get_staking_warnings: a block slot that a
// staking address of the node missed, why (when the node knows), and how
// many more misses the address can afford in that cycle before all its
// rolls are implicitly sold (protocol.md §2.4).
type StakingWarning struct {
	Slot    types.Slot    `json:"slot"`
	Address types.Address `json:"address"`
	Cycle   uint64        `json:"cycle"`
	// Reason is one of "key not registered", "not synchronized",
	// "no peers", "block produced but went stale", "clock skew" or
	// "unknown"; Detail says more in words.
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	// MissBudget is floor(7/10 * CycleDraws) - NOKCount: how many more
	// slots of the cycle the address may miss and keep its rolls, if it
	// produces every other one. Negative: the sale at the end of the
	// cycle is certain.
	MissBudget int64  `json:"miss_budget"`
	CycleDraws uint64 `json:"cycle_draws"`
	OKCount    uint64 `json:"ok_count"`
	NOKCount   uint64 `json:"nok_count"`
	// Time is when the node noticed the miss (ms since the epoch).
	Time uint64 `json:"time"`
}
