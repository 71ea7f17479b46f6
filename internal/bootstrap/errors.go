package bootstrap

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrMalformed is returned for bytes that do not decode as a message.
	ErrMalformed = errors.New("bootstrap: malformed message")
	// ErrTooLarge is returned for a frame or field over its limit.
	ErrTooLarge = errors.New("bootstrap: too large")
	// ErrBadSignature is returned when a server message is not signed by
	// the pinned node id.
	ErrBadSignature = errors.New("bootstrap: bad server signature")
	// ErrSequence is returned by the server when a client frame does not
	// carry the expected previous hash.
	ErrSequence = errors.New("bootstrap: out-of-sequence client message")
	// ErrVersion is returned when client and server versions are not
	// compatible.
	ErrVersion = errors.New("bootstrap: incompatible version")
	// ErrPing is returned when the server answered more slowly than
	// max_ping.
	ErrPing = errors.New("bootstrap: ping too high")
	// ErrClock is returned when the local clock and the server's differ by
	// more than max_clock_delta.
	ErrClock = errors.New("bootstrap: clock difference too large")
	// ErrRefused is returned (through RefusedError) when the server refused
	// or aborted the session with a BootstrapError.
	ErrRefused = errors.New("bootstrap: refused by the server")
	// ErrUnexpected is returned for a message that is valid but not
	// expected at this point of the session.
	ErrUnexpected = errors.New("bootstrap: unexpected message")
	// ErrStateMismatch is returned when the streamed state does not hash to
	// the fingerprint the server announced, or parts disagree.
	ErrStateMismatch = errors.New("bootstrap: streamed state does not match the server's")
	// ErrNoServer is returned when no configured server could be used.
	ErrNoServer = errors.New("bootstrap: no usable bootstrap server")
	// ErrLocal is returned for a failure of the local store or block
	// database: trying another server would not help.
	ErrLocal = errors.New("bootstrap: local storage failure")
)

// RefusedError is a BootstrapError received from a server: its text and
// the time it asks the client to wait (0: not said).
type RefusedError struct {
	Server     string
	Text       string
	RetryAfter time.Duration
}

func (e *RefusedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("bootstrap server %s refused: %s (it asks to wait %s)", e.Server, e.Text, e.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("bootstrap server %s refused: %s", e.Server, e.Text)
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error { return ErrRefused }
