package execution

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// Mainnet defaults of the execution parameters (protocol.md Appendix A).
const (
	DefaultT0                       = 16_000 // ms
	DefaultCursorDelay              = 2_000  // ms
	DefaultMaxGasPerBlock           = types.MaxGasPerBlock
	DefaultOperationValidityPeriods = types.OperationValidityPeriods
	DefaultKeepExecutedExtraPeriods = 10
	DefaultMaxFinalEvents           = 10_000
	DefaultMaxEventDataSize         = 1_024
	DefaultMaxEventsPerOperation    = 25
	DefaultMaxAsyncGas              = 1_000_000_000
	DefaultAsyncMsgCstGas           = 1_000_000
	DefaultMaxAsyncPoolLength       = 500
	DefaultMaxReadOnlyGas           = 4_294_967_295
	DefaultMaxInstanceGas           = 2_100_000
	DefaultDeferredCallMaxFuture    = 1_209_600
	DefaultDeferredCallCstGas       = 750_000
	// DefaultDeferredCallBaseFee is the minimum base fee per gas, 10 raw.
	DefaultDeferredCallBaseFee types.Amount = 10
	// DefaultDeferredCallGlobalPenalty and DefaultDeferredCallSlotPenalty
	// are the maximum overbooking penalties, 1 MAS and 0.0001 MAS.
	DefaultDeferredCallGlobalPenalty types.Amount = 1_000_000_000
	DefaultDeferredCallSlotPenalty   types.Amount = 100_000
	// DefaultBlockReward is BLOCK_REWARD, 0.40001 MAS.
	DefaultBlockReward types.Amount = 400_010_000
)

// Config holds the parameters of execution. Every field except the event
// store size and the cursor delay is consensus: two nodes with different
// values compute different states.
type Config struct {
	// PoS carries thread count, cycle length, endorsement count, roll
	// price and the miss rule.
	PoS pos.Config
	// InitialRolls is the genesis roll distribution, needed by the PoS
	// state to draw the first cycles.
	InitialRolls []pos.RollCount

	T0               uint64 // ms between two periods of one thread
	GenesisTimestamp uint64 // ms
	LastStartPeriod  uint64

	BlockReward                     types.Amount
	MaxGasPerBlock                  uint64
	OperationValidityPeriods        uint64
	KeepExecutedHistoryExtraPeriods uint64

	// CursorDelay holds candidate execution back from the clock so that
	// slots whose blocks are still propagating are not executed twice.
	CursorDelay uint64 // ms
	// MaxFinalEvents bounds the final event store (oldest dropped first).
	MaxFinalEvents int
	// MaxEventDataSize bounds the data of contract events and truncates
	// the data of error events.
	MaxEventDataSize int
	// MaxEventsPerOperation bounds the events a contract may emit in one
	// operation, message or read-only request.
	MaxEventsPerOperation int

	// ChainID is what the chain_id ABI returns (mainnet 77658377, buildnet
	// 77658366, sandbox 77).
	ChainID uint64
	// MaxAsyncGas is the asynchronous-message gas of a slot, to which the
	// gas its block left unused is added; AsyncMsgCstGas is booked on top
	// of each message's max gas (protocol.md §4.1).
	MaxAsyncGas    uint64
	AsyncMsgCstGas uint64
	// MaxAsyncPoolLength bounds the message pool; the lowest-priority
	// messages beyond it are evicted and reimbursed.
	MaxAsyncPoolLength int
	// MaxReadOnlyGas bounds the gas of a read-only request (not consensus).
	MaxReadOnlyGas uint64
	// MaxInstanceGas is the VM's instance cost (vm.GasCosts.MaxInstance),
	// which the read-only gas estimate adds for the last call.
	MaxInstanceGas uint64

	// Deferred calls (protocol.md §4.2): how many slots ahead a call may
	// be booked, the constant gas booked on top of its max gas, the gas a
	// slot offers (MAX_ASYNC_GAS), the base fee per gas and the maximum
	// global and per-slot overbooking penalties.
	DeferredCallMaxFutureSlots uint64
	DeferredCallCstGas         uint64
	DeferredCallMaxSlotGas     uint64
	DeferredCallBaseFee        types.Amount
	DeferredCallGlobalPenalty  types.Amount
	DeferredCallSlotPenalty    types.Amount
}

// DefaultConfig returns the mainnet parameters with the given genesis
// timestamp.
func DefaultConfig(genesisTimestamp uint64) Config {
	return Config{
		PoS:                             pos.DefaultConfig(),
		T0:                              DefaultT0,
		GenesisTimestamp:                genesisTimestamp,
		BlockReward:                     DefaultBlockReward,
		MaxGasPerBlock:                  DefaultMaxGasPerBlock,
		OperationValidityPeriods:        DefaultOperationValidityPeriods,
		KeepExecutedHistoryExtraPeriods: DefaultKeepExecutedExtraPeriods,
		CursorDelay:                     DefaultCursorDelay,
		MaxFinalEvents:                  DefaultMaxFinalEvents,
		MaxEventDataSize:                DefaultMaxEventDataSize,
		MaxEventsPerOperation:           DefaultMaxEventsPerOperation,
		MaxAsyncGas:                     DefaultMaxAsyncGas,
		AsyncMsgCstGas:                  DefaultAsyncMsgCstGas,
		MaxAsyncPoolLength:              DefaultMaxAsyncPoolLength,
		MaxReadOnlyGas:                  DefaultMaxReadOnlyGas,
		MaxInstanceGas:                  DefaultMaxInstanceGas,
		DeferredCallMaxFutureSlots:      DefaultDeferredCallMaxFuture,
		DeferredCallCstGas:              DefaultDeferredCallCstGas,
		DeferredCallMaxSlotGas:          DefaultMaxAsyncGas,
		DeferredCallBaseFee:             DefaultDeferredCallBaseFee,
		DeferredCallGlobalPenalty:       DefaultDeferredCallGlobalPenalty,
		DeferredCallSlotPenalty:         DefaultDeferredCallSlotPenalty,
	}
}

// Validate rejects parameters the core cannot work with.
func (c Config) Validate() error {
	if err := c.PoS.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	switch {
	case c.T0 == 0 || c.T0%uint64(c.PoS.ThreadCount) != 0:
		return fmt.Errorf("%w: t0 %d ms must be a positive multiple of the thread count %d", ErrBadConfig, c.T0, c.PoS.ThreadCount)
	case c.MaxFinalEvents < 0:
		return fmt.Errorf("%w: max final events %d", ErrBadConfig, c.MaxFinalEvents)
	case c.MaxEventDataSize < 64:
		return fmt.Errorf("%w: max event data size %d < 64", ErrBadConfig, c.MaxEventDataSize)
	case c.MaxEventsPerOperation < 0 || c.MaxAsyncPoolLength < 0:
		return fmt.Errorf("%w: max events per operation %d or async pool length %d is negative", ErrBadConfig, c.MaxEventsPerOperation, c.MaxAsyncPoolLength)
	}
	return nil
}

func (c Config) threads() uint8 { return c.PoS.ThreadCount }

// SlotTimestamp is the time (ms) of a slot:
// genesis + period*t0 + thread*(t0/threads).
func (c Config) SlotTimestamp(s types.Slot) uint64 {
	return c.GenesisTimestamp + s.Period*c.T0 + uint64(s.Thread)*(c.T0/uint64(c.threads()))
}

// LatestSlotAt returns the latest slot whose timestamp is <= ts; false
// before genesis.
func (c Config) LatestSlotAt(ts uint64) (types.Slot, bool) {
	if ts < c.GenesisTimestamp {
		return types.Slot{}, false
	}
	step := c.T0 / uint64(c.threads())
	return types.SlotFromIndex((ts-c.GenesisTimestamp)/step, c.threads()), true
}

// genesisSlot is the slot the genesis state is attached to:
// (last start period, last thread).
func (c Config) genesisSlot() types.Slot {
	return types.Slot{Period: c.LastStartPeriod, Thread: c.threads() - 1}
}
