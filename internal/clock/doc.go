// Package clock is the slot clock of gomassa: the arithmetic between Massa
// slots and wall-clock milliseconds, and the injectable source of time that
// every service reads instead of calling time.Now.
//
// Params holds the four network values the arithmetic needs (genesis
// timestamp, t0, thread count, optional end timestamp); its methods are pure
// functions of their arguments. Clock is the source of "now" and of timers:
// Real wraps the time package, Simulated is advanced by hand so that tests
// and the in-process network simulator run in virtual time, repeatably.
//
// The package depends on types only. Consensus, the factories, the pools and
// the simulator call it; config supplies the values that fill Params.
package clock
