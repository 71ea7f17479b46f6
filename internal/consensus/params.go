package consensus

import "fmt"

// Params are the network and node parameters of the consensus core.
type Params struct {
	// ThreadCount is the number of threads (32 on mainnet).
	ThreadCount uint8
	// T0 is the period length in milliseconds (16 000 on mainnet). The
	// incompatibility rule compares slot distances against ThreadCount
	// slots, which is t0 because T0 is a multiple of ThreadCount; T0 is
	// only validated.
	T0 uint64
	// DeltaF0 is the fitness margin of staleness and finality (1 088).
	DeltaF0 uint64
	// EndorsementCount is the number of endorsement slots per block (16).
	EndorsementCount uint32
	// LastStartPeriod is the period of the genesis blocks (0 unless the
	// network restarted).
	LastStartPeriod uint64
	// MaxFutureProcessingBlocks caps the blocks waiting for their slot (400).
	MaxFutureProcessingBlocks int
	// MaxDependencyBlocks caps the blocks waiting for dependencies (2 048).
	MaxDependencyBlocks int
	// MaxDiscardedBlocks caps the remembered discarded blocks (100).
	MaxDiscardedBlocks int
	// ForceKeepFinalPeriods: final blocks older than this many periods
	// behind the latest final block of their thread lose their operations
	// (5).
	ForceKeepFinalPeriods uint64
	// ForceKeepFinalPeriodsWithoutOps: final blocks within this many periods
	// of the latest final block of their thread stay in the graph (32).
	ForceKeepFinalPeriodsWithoutOps uint64
}

// DefaultParams returns the mainnet values.
func DefaultParams() Params {
	return Params{
		ThreadCount:                     32,
		T0:                              16_000,
		DeltaF0:                         1_088,
		EndorsementCount:                16,
		MaxFutureProcessingBlocks:       400,
		MaxDependencyBlocks:             2_048,
		MaxDiscardedBlocks:              100,
		ForceKeepFinalPeriods:           5,
		ForceKeepFinalPeriodsWithoutOps: 32,
	}
}

// Validate reports the first unusable value.
func (p Params) Validate() error {
	switch {
	case p.ThreadCount < 2:
		return fmt.Errorf("thread count %d is below 2: %w", p.ThreadCount, ErrBadParams)
	case p.T0 == 0 || p.T0%uint64(p.ThreadCount) != 0:
		return fmt.Errorf("t0 %d is not a positive multiple of the thread count %d: %w", p.T0, p.ThreadCount, ErrBadParams)
	case p.DeltaF0 == 0:
		return fmt.Errorf("delta_f0 is 0: %w", ErrBadParams)
	case p.EndorsementCount > 255:
		return fmt.Errorf("endorsement count %d is above 255: %w", p.EndorsementCount, ErrBadParams)
	case p.MaxFutureProcessingBlocks <= 0 || p.MaxDependencyBlocks <= 0 || p.MaxDiscardedBlocks <= 0:
		return fmt.Errorf("queue limits %d/%d/%d must be positive: %w",
			p.MaxFutureProcessingBlocks, p.MaxDependencyBlocks, p.MaxDiscardedBlocks, ErrBadParams)
	case p.ForceKeepFinalPeriods > p.ForceKeepFinalPeriodsWithoutOps:
		return fmt.Errorf("force_keep_final_periods %d is above force_keep_final_periods_without_ops %d: %w",
			p.ForceKeepFinalPeriods, p.ForceKeepFinalPeriodsWithoutOps, ErrBadParams)
	}
	return nil
}
