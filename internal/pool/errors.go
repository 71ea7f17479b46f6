package pool

import "errors"

// Reasons an operation is refused. Errors returned by Add wrap one of them
// with the numbers that failed, so an API user can act on the message.
var (
	ErrExpired             = errors.New("operation expired")
	ErrTooFarInFuture      = errors.New("operation expire period too far in the future")
	ErrDuplicate           = errors.New("operation already in the pool")
	ErrAlreadyExecuted     = errors.New("operation already executed")
	ErrFeeTooLow           = errors.New("fee below the pool's minimum")
	ErrInsufficientBalance = errors.New("sender cannot pay")
	ErrPoolFull            = errors.New("pool full")
	ErrTooLarge            = errors.New("operation too large")
	ErrTooMuchGas          = errors.New("operation needs more gas than a block holds")
	ErrWrongChain          = errors.New("signed for another chain")
	ErrBadSignature        = errors.New("invalid signature")
	ErrNotEndorser         = errors.New("creator is not the drawn endorser")
	ErrNotEnoughRolls      = errors.New("not enough rolls to sell")
)
