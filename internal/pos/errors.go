package pos

import "errors"

// Sentinel errors of the PoS core; callers test them with errors.Is.
var (
	// ErrBadConfig reports unusable parameters.
	ErrBadConfig = errors.New("invalid PoS configuration")
	// ErrNoRolls reports a draw over an empty roll distribution.
	ErrNoRolls = errors.New("no address has rolls")
	// ErrInvalidWeight reports a roll count too large for the alias table
	// (rand_distr refuses weights above u64::MAX / n).
	ErrInvalidWeight = errors.New("roll count too large for the draw")
	// ErrDrawsNotReady reports draws of a cycle that the selector does not
	// hold (not computed yet, or already evicted).
	ErrDrawsNotReady = errors.New("draws not available for this cycle")
	// ErrCycleUnavailable reports a cycle absent from the kept history.
	ErrCycleUnavailable = errors.New("cycle not in PoS history")
	// ErrCycleIncomplete reports a cycle whose last slot is not final yet.
	ErrCycleIncomplete = errors.New("cycle not complete")
	// ErrCycleSequence reports changes for a slot that does not follow the
	// history (a gap, or a slot of an older cycle).
	ErrCycleSequence = errors.New("slot does not continue the PoS history")
	// ErrSeedBits reports a cycle that would end with the wrong number of
	// seed bits, or overflow it.
	ErrSeedBits = errors.New("wrong number of seed bits")
	// ErrNotEnoughRolls reports a roll sell above the owned count.
	ErrNotEnoughRolls = errors.New("not enough rolls")
	// ErrStatsIncomplete reports a settle without the whole cycle's stats.
	ErrStatsIncomplete = errors.New("production stats of the cycle are incomplete")
	// ErrBadKey reports a stored key that does not parse.
	ErrBadKey = errors.New("bad PoS store key")
	// ErrBadValue reports a stored value that does not parse.
	ErrBadValue = errors.New("bad PoS store value")
	// ErrSlotOutOfRange reports a slot whose thread is not below the thread count.
	ErrSlotOutOfRange = errors.New("slot out of range")
)
