package consensus_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomassa/gomassa/internal/consensus"
)

// MaxCliques matches a brute-force enumeration of maximal cliques on
// random graphs.
func TestMaxCliquesBruteForce(t *testing.T) {
	for _, seed := range seeds(300) {
		rng := rand.New(rand.NewPCG(seed, 0xc11c))
		n := rng.IntN(11)
		density := rng.Float64()
		inc := make([][]bool, n)
		for i := range inc {
			inc[i] = make([]bool, n)
		}
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if rng.Float64() < density {
					inc[i][j], inc[j][i] = true, true
				}
			}
		}
		got := consensus.MaxCliques(n, func(i int) []int {
			var out []int
			for j := range n {
				if inc[i][j] {
					out = append(out, j)
				}
			}
			return out
		})
		want := bruteCliques(n, inc)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d n=%d: got %v want %v", seed, n, got, want)
		}
	}
}

func bruteCliques(n int, inc [][]bool) [][]int {
	isClique := func(m uint) bool {
		for i := range n {
			for j := range n {
				if m&(1<<i) != 0 && m&(1<<j) != 0 && inc[i][j] {
					return false
				}
			}
		}
		return true
	}
	var out [][]int
	for m := uint(0); m < 1<<n; m++ {
		if !isClique(m) {
			continue
		}
		maximal := true
		for v := range n {
			if m&(1<<v) == 0 && isClique(m|1<<v) {
				maximal = false
				break
			}
		}
		if !maximal {
			continue
		}
		var c []int
		for v := range n {
			if m&(1<<v) != 0 {
				c = append(c, v)
			}
		}
		if c == nil {
			c = []int{}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, slices.Compare)
	return out
}
