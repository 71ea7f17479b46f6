package types

import "errors"

// Sentinel errors of the codecs. Decoders wrap them with the path of the
// field, e.g. "operation: fee: varint is not minimal".
var (
	ErrVarintNotMinimal = errors.New("varint is not minimal")
	ErrVarintOverflow   = errors.New("varint overflows")
	ErrTruncated        = errors.New("unexpected end of input")
	ErrTrailingBytes    = errors.New("trailing bytes")
	ErrOutOfRange       = errors.New("value out of range")
	ErrTooLarge         = errors.New("too large")
	ErrBadPrefix        = errors.New("wrong text prefix")
	ErrBadVersion       = errors.New("unsupported version")
	ErrBadEncoding      = errors.New("bad encoding")
	ErrAmountOverflow   = errors.New("amount overflow")
	ErrAmountUnderflow  = errors.New("amount underflow")
	ErrUnknownType      = errors.New("unknown type")
	ErrBadSignature     = errors.New("invalid signature")
	ErrDuplicate        = errors.New("duplicate")
	ErrBadParents       = errors.New("bad parents")
	ErrMismatch         = errors.New("does not match")
	ErrBadDenunciation  = errors.New("invalid denunciation")
)
