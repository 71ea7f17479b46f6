package store

import (
	"fmt"
	"log/slog"
)

// pebbleLogger routes Pebble's printf-style logs into slog. Pebble's Info
// lines are engine internals (WAL recovery, compactions), so they go to
// Debug; operators only see Pebble errors.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble only when one of its own invariants is broken
// (on-disk corruption it cannot survive). Pebble expects it not to return;
// panicking, rather than os.Exit, lets deferred cleanup and tests see it.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "component", "pebble", "fatal", true)
	panic("pebble: " + msg)
}
