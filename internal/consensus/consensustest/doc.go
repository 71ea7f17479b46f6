// Package consensustest provides fakes for tests and the simulator that
// drive a consensus.Graph: deterministic PoS draws (every slot and
// endorsement index gets a fixed, distinct address), deterministic genesis
// ids, a header builder, and small test parameters. It owns no state
// beyond the Draws value.
package consensustest
