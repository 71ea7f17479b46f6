package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

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

var sentinels = []error{ErrUnknownKey, ErrMalformed, ErrInvalid, ErrConflict, ErrTooLarge, ErrBadBind, ErrPortInUse, ErrListen}

// errorf is fmt.Errorf for messages an operator reads. When the format ends
// in ": %w" wrapping one of the sentinels above, the sentinel's words are
// left out of the text (the message already says what is wrong, and a
// trailing ": invalid value" only adds noise) while errors.Is still finds it.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	n := len(args)
	if n == 0 || !strings.HasSuffix(format, ": %w") {
		return err
	}
	if s, ok := args[n-1].(error); ok && slices.Contains(sentinels, s) {
		return &quietError{msg: fmt.Errorf(strings.TrimSuffix(format, ": %w"), args[:n-1]...).Error(), err: err}
	}
	return err
}

type quietError struct {
	msg string
	err error
}

func (e *quietError) Error() string { return e.msg }
func (e *quietError) Unwrap() error { return e.err }

// prefixEach puts prefix in front of every error joined in err, so that each
// line of a multi-line report names the file.
func prefixEach(prefix string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, fmt.Errorf("%s: %w", prefix, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}
