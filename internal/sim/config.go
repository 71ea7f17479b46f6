package sim

import (
	"fmt"
	"log/slog"
	"time"
)

// Config describes one simulation. Zero fields take the defaults below,
// chosen small so that a run of 20 periods takes well under a second.
type Config struct {
	// Seed drives every random choice: roll distribution, message fates
	// and delays, peer choices.
	Seed uint64
	// Dir holds one home directory per node (required; a test's TempDir).
	Dir string
	// Nodes is the number of nodes (default 4); node i stakes with its
	// own key.
	Nodes int
	// Rolls gives each node's initial rolls; nil draws each in [2, 10].
	Rolls []uint64

	// Network parameters (defaults: 4 threads, t0 = 1000 ms, 2
	// endorsements, delta_f0 = 4*(E+1), 8 periods per cycle).
	Threads         uint8
	T0              uint64
	Endorsements    uint32
	DeltaF0         uint64
	PeriodsPerCycle uint64

	// Drop is the probability that a message is lost, Dup that it is
	// delivered twice (each copy with its own delay). Delays are drawn
	// uniformly in [DelayMin, DelayMax] ms (defaults 10 and 300).
	Drop, Dup          float64
	DelayMin, DelayMax uint64

	// Protocol timings, in virtual ms: how long a block request waits for
	// its answer before another peer is asked (default 500), how often
	// each endpoint retries requests and pushes recent headers to peers
	// that connected since (default 250), and how long a header is kept
	// for such peers (default 40 000, the protocol's BlockKeepTime). The
	// TCP service waits 10 s for an answer, since TCP does not lose
	// messages; the simulated network does, so it retries sooner, as TCP
	// retransmission would.
	AskTimeout    uint64
	BlockTick     uint64
	BlockKeepTime uint64

	// MaxFinalLag is how many periods a running node's latest final
	// period may trail the clock at Check (default 3 + delta_f0 /
	// threads, at least 8).
	MaxFinalLag uint64

	// LogLevel of the nodes' logs (default Info); each node keeps its last
	// LogLines lines (default 200) for failure reports.
	LogLevel slog.Level
	LogLines int
	// HangTimeout is the real time a node may take to finish one step
	// (default one minute): past it the simulation fails with ErrHang.
	HangTimeout time.Duration
}

const (
	defaultNodes         = 4
	defaultThreads       = 4
	defaultT0            = 1000
	defaultEndorsements  = 2
	defaultCycle         = 8
	defaultDelayMin      = 10
	defaultDelayMax      = 300
	defaultAskTimeout    = 500
	defaultBlockTick     = 250
	defaultBlockKeepTime = 40_000
	defaultLogLines      = 200
	defaultHangTimeout   = time.Minute
	maxNodes             = 64
)

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, fmt.Errorf("%w: Dir is required", ErrConfig)
	}
	if c.Nodes == 0 {
		c.Nodes = defaultNodes
	}
	if c.Nodes < 1 || c.Nodes > maxNodes {
		return c, fmt.Errorf("%w: %d nodes (1 to %d)", ErrConfig, c.Nodes, maxNodes)
	}
	if c.Rolls != nil && len(c.Rolls) != c.Nodes {
		return c, fmt.Errorf("%w: %d roll counts for %d nodes", ErrConfig, len(c.Rolls), c.Nodes)
	}
	if c.Threads == 0 {
		c.Threads = defaultThreads
	}
	if c.T0 == 0 {
		c.T0 = defaultT0
	}
	if c.T0%uint64(c.Threads) != 0 || c.T0 < 2*uint64(c.Threads) {
		return c, fmt.Errorf("%w: t0 %d ms is not a multiple of %d threads", ErrConfig, c.T0, c.Threads)
	}
	if c.Endorsements == 0 {
		c.Endorsements = defaultEndorsements
	}
	if c.DeltaF0 == 0 {
		c.DeltaF0 = 4 * (uint64(c.Endorsements) + 1)
	}
	if c.PeriodsPerCycle == 0 {
		c.PeriodsPerCycle = defaultCycle
	}
	if c.Drop < 0 || c.Drop >= 1 || c.Dup < 0 || c.Dup > 1 {
		return c, fmt.Errorf("%w: drop %v and dup %v must be probabilities (drop < 1)", ErrConfig, c.Drop, c.Dup)
	}
	if c.DelayMin == 0 && c.DelayMax == 0 {
		c.DelayMin, c.DelayMax = defaultDelayMin, defaultDelayMax
	}
	if c.DelayMin == 0 {
		c.DelayMin = 1 // a message never arrives at the instant it is sent
	}
	if c.DelayMax < c.DelayMin {
		return c, fmt.Errorf("%w: delay max %d < min %d", ErrConfig, c.DelayMax, c.DelayMin)
	}
	if c.AskTimeout == 0 {
		c.AskTimeout = defaultAskTimeout
	}
	if c.BlockTick == 0 {
		c.BlockTick = defaultBlockTick
	}
	if c.BlockKeepTime == 0 {
		c.BlockKeepTime = defaultBlockKeepTime
	}
	if c.MaxFinalLag == 0 {
		c.MaxFinalLag = max(8, 3+c.DeltaF0/uint64(c.Threads))
	}
	if c.LogLines == 0 {
		c.LogLines = defaultLogLines
	}
	if c.HangTimeout == 0 {
		c.HangTimeout = defaultHangTimeout
	}
	return c, nil
}
