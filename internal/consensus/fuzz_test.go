package consensus_test

import (
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/consensus/consensustest"
	"github.com/gomassa/gomassa/internal/types"
)

// FuzzGraph drives a small graph with arbitrary sequences of inputs (4
// bytes each) and checks that nothing panics and the invariants hold.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 2, 0, 1, 0, 0, 1, 0, 0, 2, 1, 0, 3, 3, 0, 0, 9, 1, 0, 0, 0})
	f.Add([]byte{3, 4, 5, 6, 2, 2, 2, 2, 4, 1, 7, 1, 5, 0, 0, 0, 2, 1, 1, 200, 0, 2, 0, 0, 2, 0, 1, 1})
	f.Add([]byte{2, 0, 0, 0, 2, 0, 0, 1, 2, 0, 0, 2, 0, 1, 0, 0, 2, 1, 1, 0, 2, 2, 0, 0, 1, 0, 0, 0})
	f.Fuzz(runFuzzBody)
}

func runFuzzBody(t *testing.T, data []byte) {
	{
		if len(data) < 4 || len(data) > 4*120 {
			return
		}
		threads := 2 + data[0]%3
		h := newHarness(t, threads, 2+uint64(data[1]%8), uint32(data[2]%3))
		data = data[4:]
		var known []consensus.Header
		cur := sl(1, 0)
		for len(data) >= 4 {
			op, a, b, c := data[0], data[1], data[2], data[3]
			data = data[4:]
			switch op % 6 {
			case 0:
				for range a % 4 {
					cur = cur.Next(threads)
				}
				h.tick(cur)
			case 1:
				h.prune()
			case 2, 3, 4:
				slot := types.Slot{Period: cur.Period, Thread: b % threads}
				if d := uint64(a % 4); d < slot.Period {
					slot.Period -= d
				}
				if a&0x80 != 0 {
					slot.Period += 2
				}
				parents := h.g.BestParents()
				if len(known) > 0 && c&0x0f != 0 {
					x := known[int(c>>4)%len(known)]
					parents[int(c)%len(parents)] = x.ID
				}
				hdr := consensustest.Block(slot, parents, int(b>>4)%int(h.p.EndorsementCount+1), uint64(c))
				if a&0x40 != 0 {
					hdr.Creator = types.Address{}
				}
				known = append(known, hdr)
				if op%6 == 4 {
					h.header(hdr, cur)
				} else {
					h.block(hdr, cur)
				}
			case 5:
				if len(known) > 0 {
					h.block(known[int(c)%len(known)], cur)
				}
			}
		}
	}
}
