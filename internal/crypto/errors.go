package crypto

import "errors"

// Sentinel errors. Decoders wrap them with the field that failed.
var (
	ErrBadChecksum   = errors.New("base58check: checksum mismatch")
	ErrBadBase58     = errors.New("base58: invalid character")
	ErrTooShort      = errors.New("input too short")
	ErrBadPrefix     = errors.New("wrong text prefix")
	ErrBadVersion    = errors.New("unsupported version")
	ErrBadPublicKey  = errors.New("invalid public key")
	ErrBadSignature  = errors.New("invalid signature")
	ErrTrailingBytes = errors.New("trailing bytes")
	ErrTextTooLong   = errors.New("text too long")
)
