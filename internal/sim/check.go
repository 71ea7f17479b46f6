package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// observe samples a parked node: the fingerprint at its final slot, the
// coin supply and the operations sent, each time its final slot moves.
func (s *Sim) observe(l *life) {
	if s.fatal != nil || l.node.life != l {
		return
	}
	slot, fp := l.n.FinalState()
	if l.haveSlot && slot == l.lastSlot {
		return
	}
	nd := l.node
	if l.haveSlot && slot.Less(l.lastSlot) {
		s.violate("node %d: final slot went back from %s to %s", nd.idx, l.lastSlot, slot)
	}
	l.lastSlot, l.haveSlot = slot, true
	if prev, ok := nd.fps[slot]; ok && prev != fp {
		s.violate("node %d (life %d): final state at %s is %s, an earlier life had %s", nd.idx, l.gen, slot, fp, prev)
	}
	nd.fps[slot] = fp
	if o, ok := s.fpBySlot[slot]; !ok {
		s.fpBySlot[slot] = fpObs{fp: fp, node: nd.idx}
	} else if o.fp != fp {
		s.violate("state fork at final slot %s: node %d has %s, node %d has %s", slot, o.node, o.fp, nd.idx, fp)
	}
	s.checkSupply(l, slot)
	s.checkOps(l)
}

// checkSupply checks that the coins every known address holds (balance,
// rolls at the roll price, deferred credits) moved by exactly what
// execution says it minted and burnt.
func (s *Sim) checkSupply(l *life, slot types.Slot) {
	var total int64
	for _, a := range s.addrs {
		acc, err := l.n.FinalAccountOf(a)
		if err != nil {
			s.violate("node %d: final account of %s: %v", l.node.idx, a, err)
			return
		}
		total += int64(acc.Balance) + int64(acc.Rolls)*int64(s.rollPrice) + int64(acc.Deferred)
	}
	sup := l.n.FinalSupply()
	base := total - sup.Delta()
	switch {
	case !l.haveBase:
		l.base, l.haveBase = base, true
		if l.gen == 1 && base != s.initialTotal {
			s.violate("node %d at final slot %s: addresses hold %s, genesis %s + accounted %d nanoMAS (%+v)",
				l.node.idx, slot, types.Amount(total), types.Amount(s.initialTotal), sup.Delta(), sup)
		}
	case base != l.base:
		s.violate("node %d at final slot %s: coins moved by %d nanoMAS more than execution accounts (%+v)",
			l.node.idx, slot, base-l.base, sup)
		l.base = base
	}
}

// checkOps records which tracked operations are final on the node.
func (s *Sim) checkOps(l *life) {
	nd := l.node
	for _, t := range s.ops {
		if _, seen := nd.opFinal[t.op.ID]; seen {
			continue
		}
		executed, success := l.n.OperationFinal(t.op.ID)
		if !executed {
			continue
		}
		nd.opFinal[t.op.ID] = success
		if t.success == nil {
			t.success = &success
		} else if *t.success != success {
			s.violate("operation %s: final success %v on node %d, %v elsewhere", t.op.ID, success, nd.idx, *t.success)
		}
	}
}

// Check verifies the end-of-run invariants over the running nodes (see the
// package documentation) and returns every violation seen since the start,
// wrapped in ErrInvariant, with the seed.
func (s *Sim) Check() error {
	if s.fatal != nil {
		return s.fatal
	}
	type view struct {
		idx     int
		periods []uint64
		final   map[types.Slot]types.BlockID
	}
	var views []view
	cur := s.Period()
	for _, nd := range s.nodes {
		l := nd.life
		if l == nil {
			continue
		}
		s.observe(l)
		if err := l.n.CheckGraph(); err != nil {
			s.violate("node %d: consensus graph: %v", nd.idx, err)
		}
		refs, err := l.n.FinalBlocks()
		if err != nil {
			s.violate("node %d: final blocks: %v", nd.idx, err)
			continue
		}
		v := view{idx: nd.idx, periods: l.n.LatestFinalPeriods(), final: map[types.Slot]types.BlockID{}}
		for _, r := range refs {
			v.final[r.Slot] = r.ID
		}
		views = append(views, v)
		if minP := slices.Min(v.periods); cur > minP+s.cfg.MaxFinalLag {
			s.violate("node %d: latest final periods %v trail period %d by more than %d", nd.idx, v.periods, cur, s.cfg.MaxFinalLag)
		}
		for _, t := range s.ops {
			if _, ok := nd.opFinal[t.op.ID]; ok {
				continue
			}
			switch {
			case t.required:
				s.violate("node %d: operation %s (sent to node %d, expires at period %d) is not final", nd.idx, t.op.ID, t.sentTo, t.op.Op.ExpirePeriod)
			case t.success != nil && slices.Min(views[len(views)-1].periods) > t.op.Op.ExpirePeriod:
				s.violate("node %d: operation %s is final elsewhere, not here, and expired at period %d", nd.idx, t.op.ID, t.op.Op.ExpirePeriod)
			}
		}
	}
	for a := 0; a < len(views); a++ {
		for b := a + 1; b < len(views); b++ {
			va, vb := views[a], views[b]
			var first types.Slot
			forks := 0
			for t := range s.cfg.Threads {
				upTo := min(va.periods[t], vb.periods[t])
				for p := uint64(1); p <= upTo; p++ {
					sl := types.Slot{Period: p, Thread: t}
					ia, oka := va.final[sl]
					ib, okb := vb.final[sl]
					if oka == okb && ia == ib {
						continue
					}
					if forks == 0 || sl.Less(first) {
						first = sl
					}
					forks++
				}
			}
			if forks > 0 {
				ia, oka := va.final[first]
				ib, okb := vb.final[first]
				s.violate("final block fork: nodes %d and %d disagree on %d final slots, first at %s: node %d has %s, node %d has %s",
					va.idx, vb.idx, forks, first, va.idx, blockName(ia, oka), vb.idx, blockName(ib, okb))
			}
		}
	}
	if len(s.violations) == 0 {
		return nil
	}
	return fmt.Errorf("seed %d: %w:\n  %s", s.cfg.Seed, ErrInvariant, strings.Join(s.violations, "\n  "))
}

func blockName(id types.BlockID, ok bool) string {
	if !ok {
		return "a miss"
	}
	return id.String()
}

// Violations returns the invariant failures seen so far.
func (s *Sim) Violations() []string { return slices.Clone(s.violations) }

// Digest hashes what the simulation produced: every running node's final
// blocks and the fingerprints seen at each final slot, and the network
// counters. Two runs of one seed and one scenario give the same digest.
func (s *Sim) Digest() (crypto.Hash, error) {
	var buf bytes.Buffer
	for _, nd := range s.nodes {
		fmt.Fprintf(&buf, "node %d lives %d\n", nd.idx, nd.lives)
		if l := nd.life; l != nil {
			refs, err := l.n.FinalBlocks()
			if err != nil {
				return crypto.Hash{}, err
			}
			for _, r := range refs {
				fmt.Fprintf(&buf, "%s %s\n", r.Slot, r.ID)
			}
			slot, fp := l.n.FinalState()
			fmt.Fprintf(&buf, "state %s %s\n", slot, fp)
		}
		slots := make([]types.Slot, 0, len(nd.fps))
		for sl := range nd.fps {
			slots = append(slots, sl)
		}
		slices.SortFunc(slots, types.Slot.Compare)
		for _, sl := range slots {
			fmt.Fprintf(&buf, "fp %s %s\n", sl, nd.fps[sl])
		}
	}
	fmt.Fprintf(&buf, "%+v\n", s.Stats())
	return crypto.HashOf(buf.Bytes()), nil
}

// Report describes each node (lives, finality, graph counters) and the
// network counters, for logs.
func (s *Sim) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, period %d, %+v\n", s.cfg.Seed, s.Period(), s.Stats())
	for _, nd := range s.nodes {
		fmt.Fprintf(&b, "  node %d: rolls %d, lives %d", nd.idx, nd.rolls, nd.lives)
		if l := nd.life; l != nil {
			slot, fp := l.n.FinalState()
			gs := l.n.GraphStats()
			fmt.Fprintf(&b, ", final periods %v, final slot %s (%s), final %d stale %d cliques %d",
				l.n.LatestFinalPeriods(), slot, fp.String()[:12], gs.FinalBlockCount, gs.StaleBlockCount, gs.CliqueCount)
		} else {
			b.WriteString(", down")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Logs returns the last log lines of node i (all lives).
func (s *Sim) Logs(i int) string { return s.nodes[i].logs.String() }

// ringLog keeps the last lines written to it.
type ringLog struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
	part  []byte
}

func newRingLog(n int) *ringLog { return &ringLog{lines: make([]string, n)} }

func (r *ringLog) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.part = append(r.part, p...)
	for {
		i := bytes.IndexByte(r.part, '\n')
		if i < 0 {
			break
		}
		r.add(string(r.part[:i]))
		r.part = r.part[i+1:]
	}
	return len(p), nil
}

func (r *ringLog) add(line string) {
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

func (r *ringLog) mark(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(line)
}

func (r *ringLog) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	return strings.Join(out, "\n")
}
