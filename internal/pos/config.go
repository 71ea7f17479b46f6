package pos

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// Mainnet values of the proof-of-stake constants (protocol.md §2, model.md §8).
const (
	DefaultThreadCount      uint8  = 32
	DefaultPeriodsPerCycle  uint64 = 128
	DefaultEndorsementCount        = 16
	DefaultSavedCycles             = 7 // POS_SAVED_CYCLES
	DefaultDrawCacheCycles         = 6 // SELECTOR_DRAW_CACHE_SIZE
	// DefaultInitialSeed is INITIAL_DRAW_SEED: cycle 1 draws with
	// BLAKE3(seed) and cycle 0 with BLAKE3(BLAKE3(seed)).
	DefaultInitialSeed = "massa_genesis_seed"
)

// DefaultRollPrice is ROLL_PRICE, 100 MAS.
const DefaultRollPrice = 100 * types.OneMAS

// Config holds the parameters the PoS core depends on. Every field matters
// for consensus: two nodes with different values draw different producers.
type Config struct {
	ThreadCount      uint8
	PeriodsPerCycle  uint64
	EndorsementCount int
	RollPrice        types.Amount
	// MaxMissNum/MaxMissDen is POS_MISS_RATE_DEACTIVATION_THRESHOLD: an
	// address whose misses/opportunities in a cycle is strictly above it
	// loses all its rolls at the end of that cycle.
	MaxMissNum, MaxMissDen uint64
	// SavedCycles is how many cycles the final state keeps (POS_SAVED_CYCLES).
	SavedCycles int
	// GenesisAddress is forced as block producer of every period-0 slot.
	GenesisAddress types.Address
	// InitialSeed is the string the seeds of cycles 0 and 1 derive from.
	InitialSeed string
}

// DefaultConfig returns the mainnet parameters. GenesisAddress is left zero:
// it derives from the genesis key, which the node's composition root owns.
func DefaultConfig() Config {
	return Config{
		ThreadCount:      DefaultThreadCount,
		PeriodsPerCycle:  DefaultPeriodsPerCycle,
		EndorsementCount: DefaultEndorsementCount,
		RollPrice:        DefaultRollPrice,
		MaxMissNum:       7,
		MaxMissDen:       10,
		SavedCycles:      DefaultSavedCycles,
		InitialSeed:      DefaultInitialSeed,
	}
}

// Validate rejects parameters the core cannot work with.
func (c Config) Validate() error {
	switch {
	case c.ThreadCount < 2:
		return fmt.Errorf("%w: thread count %d, need at least 2", ErrBadConfig, c.ThreadCount)
	case c.PeriodsPerCycle == 0:
		return fmt.Errorf("%w: periods per cycle is 0", ErrBadConfig)
	case c.PeriodsPerCycle > (1<<32)/uint64(c.ThreadCount):
		// Draw indices are uint32 and the seed bit count is a u32 varint.
		return fmt.Errorf("%w: %d periods per cycle make too many slots", ErrBadConfig, c.PeriodsPerCycle)
	case c.EndorsementCount < 0 || c.EndorsementCount > 255:
		return fmt.Errorf("%w: endorsement count %d not in [0, 255]", ErrBadConfig, c.EndorsementCount)
	case c.MaxMissDen == 0 || c.MaxMissNum > c.MaxMissDen:
		return fmt.Errorf("%w: miss ratio %d/%d", ErrBadConfig, c.MaxMissNum, c.MaxMissDen)
	case c.SavedCycles < 4:
		// Draws for cycle C+2 read cycles C-1 and C, and the settle of
		// cycle C credits C+3: fewer than 4 kept cycles breaks the lookback.
		return fmt.Errorf("%w: %d saved cycles, need at least 4", ErrBadConfig, c.SavedCycles)
	}
	return nil
}

// SlotsPerCycle is PeriodsPerCycle * ThreadCount.
func (c Config) SlotsPerCycle() uint64 { return c.PeriodsPerCycle * uint64(c.ThreadCount) }

// CycleOf returns the cycle of a slot.
func (c Config) CycleOf(s types.Slot) uint64 { return s.Period / c.PeriodsPerCycle }

// FirstSlot returns the first slot of a cycle.
func (c Config) FirstSlot(cycle uint64) types.Slot {
	return types.Slot{Period: cycle * c.PeriodsPerCycle}
}

// LastSlot returns the last slot of a cycle.
func (c Config) LastSlot(cycle uint64) types.Slot {
	return types.Slot{Period: cycle*c.PeriodsPerCycle + c.PeriodsPerCycle - 1, Thread: c.ThreadCount - 1}
}
