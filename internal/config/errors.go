package config

import "errors"

// Sentinel errors. Every error returned by the package wraps one of them
// and names the file, the key or field, and the value that failed.
var (
	ErrUnknownKey = errors.New("unknown key")
	ErrMalformed  = errors.New("malformed file")
	ErrInvalid    = errors.New("invalid value")
	ErrConflict   = errors.New("conflicting settings")
	ErrTooLarge   = errors.New("file too large")
	ErrBadBind    = errors.New("invalid bind address")
	ErrPortInUse  = errors.New("port already in use")
	ErrListen     = errors.New("cannot listen")
)
