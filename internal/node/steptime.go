package node

import (
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// The main loop's phases, timed at each step so that an operator can see
// why the node missed a slot ("reached slot at once") and where a loaded
// node spends its single-threaded time. Wall-clock durations are only
// observed here, never fed back into consensus or execution.
const (
	phaseLock      = iota // waiting for n.mu (API readers hold it)
	phaseConsensus        // incoming blocks, tick, graph prune
	phaseProduce          // endorsements and the node's own block
	phaseExecution        // speculative and final execution, final commits
	phasePool             // dropping finalized operations from the pool
	phaseCount
)

var phaseNames = [phaseCount]string{"lock", "consensus", "produce", "execution", "pool"}

type stepTimer struct {
	last time.Time
	d    [phaseCount]time.Duration
}

func (t *stepTimer) start() { t.last = time.Now() }

// mark adds the time since the previous mark to phase p.
func (t *stepTimer) mark(p int) {
	now := time.Now()
	t.d[p] += now.Sub(t.last)
	t.last = now
}

func (t *stepTimer) total() time.Duration {
	var s time.Duration
	for _, d := range t.d {
		s += d
	}
	return s
}

// observeStep exports the step's phases and warns when one step took more
// than half a slot: the next slot may then be reached late or skipped.
func (n *Node) observeStep(cur types.Slot, t *stepTimer) {
	if n.metrics != nil {
		for p, d := range t.d {
			n.metrics.stepSeconds.WithLabelValues(phaseNames[p]).Observe(d.Seconds())
		}
	}
	slot := time.Duration(n.params.SlotDuration()) * time.Millisecond
	total := t.total()
	if total <= slot/2 {
		return
	}
	args := []any{"slot", cur, "took", total.Round(time.Millisecond), "slot_duration", slot}
	for p, d := range t.d {
		args = append(args, phaseNames[p], d.Round(time.Millisecond))
	}
	n.log.Warn("main loop step slow: slots may be reached late", args...)
}
