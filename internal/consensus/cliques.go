package consensus

import (
	"math/bits"
	"slices"

	"github.com/gomassa/gomassa/internal/types"
)

// bitset is a fixed-size set of small integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)   { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) clear(i int) { b[i/64] &^= 1 << (uint(i) % 64) }
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// andNot returns b &^ o as a new set.
func (b bitset) andNot(o bitset) bitset {
	r := make(bitset, len(b))
	for i := range b {
		r[i] = b[i] &^ o[i]
	}
	return r
}

// andCount counts b & o.
func (b bitset) andCount(o bitset) int {
	n := 0
	for i := range b {
		n += bits.OnesCount64(b[i] & o[i])
	}
	return n
}

// each calls fn for every member, ascending.
func (b bitset) each(fn func(int)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(wi*64 + t)
			w &= w - 1
		}
	}
}

// MaxCliques lists the maximal cliques of the compatibility graph of n
// vertices, given each vertex's incompatible vertices (the complement
// graph, as gi_head stores it). It is Bron–Kerbosch with Tomita pivoting
// over the incompatibility lists (the IK_GPX variant of Cazals et al.
// 2008). Cliques come as ascending vertex lists, sorted
// lexicographically. With n == 0 it returns one empty clique.
func MaxCliques(n int, incompatible func(i int) []int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	// nbar[i] = incompatible(i) ∪ {i}: the vertices that cannot share a
	// clique with i, i included; made symmetric whatever the input.
	nbar := make([]bitset, n)
	for i := range n {
		nbar[i] = newBitset(n)
		nbar[i].set(i)
	}
	for i := range n {
		for _, j := range incompatible(i) {
			if j >= 0 && j < n {
				nbar[i].set(j)
				nbar[j].set(i)
			}
		}
	}
	p := newBitset(n)
	for i := range n {
		p.set(i)
	}
	var out [][]int
	var r []int
	var rec func(p, x bitset)
	rec = func(p, x bitset) {
		if p.empty() {
			if x.empty() {
				out = append(out, slices.Clone(r))
			}
			return
		}
		// pivot: the vertex of P ∪ X compatible with most of P
		// (maximizing |P ∩ compatible(u)| = minimizing |P ∩ nbar[u]|)
		pivot, best := -1, -1
		pick := func(u int) {
			if c := p.andCount(nbar[u]); best < 0 || c < best {
				pivot, best = u, c
			}
		}
		p.each(pick)
		x.each(pick)
		cands := make(bitset, len(p))
		for i := range p {
			cands[i] = p[i] & nbar[pivot][i]
		}
		cands.each(func(v int) {
			r = append(r, v)
			rec(p.andNot(nbar[v]), x.andNot(nbar[v]))
			r = r[:len(r)-1]
			p.clear(v)
			x.set(v)
		})
	}
	rec(p, newBitset(n))
	for _, c := range out {
		slices.Sort(c)
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// recomputeCliques rebuilds the max cliques from the incompatibility graph
// of the non-final blocks, ordered by slot then id.
func (g *Graph) recomputeCliques() {
	nodes := sortedEntries(g.nonFinal)
	index := make(map[types.BlockID]int, len(nodes))
	for i, e := range nodes {
		index[e.hdr.ID] = i
	}
	lists := MaxCliques(len(nodes), func(i int) []int {
		out := make([]int, 0, len(nodes[i].a.incomp))
		for x := range nodes[i].a.incomp {
			if j, ok := index[x]; ok {
				out = append(out, j)
			}
		}
		return out
	})
	g.cliques = g.cliques[:0]
	for _, l := range lists {
		c := &clique{members: make(map[types.BlockID]struct{}, len(l))}
		for _, i := range l {
			c.add(nodes[i])
		}
		g.cliques = append(g.cliques, c)
	}
}
