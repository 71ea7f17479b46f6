package pos

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rand_distr 0.4.3 value_stability for i32 weights [1; 9] with rand's test
// RNG. For i32 the weight uniform draws a u32 (not a u64), so this replays
// the table with a narrow weight sample; the table itself is ours.
func TestAliasValueStabilityRandDistr(t *testing.T) {
	a, err := NewAlias([]uint64{1, 1, 1, 1, 1, 1, 1, 1, 1})
	require.NoError(t, err)
	r := randTestRNG(0x9c9fa0b0580a7031)
	w := newUniform32(9) // weight_sum = 9
	got := make([]int, 10)
	for i := range got {
		c := a.index.sample(r)
		if uint64(w.sample(r)) < a.odds[c] {
			got[i] = int(c)
		} else {
			got[i] = int(a.alias[c])
		}
	}
	require.Equal(t, []int{6, 5, 7, 5, 8, 7, 6, 2, 3, 7}, got)
}

type aliasVector struct {
	name    string
	seed    [32]byte
	count   int
	weights []uint64
	first   []int
	sha     string
}

// loadAliasVectors reads testdata/alias_vectors.txt, produced by running
// the Rust crates Massa pins (see the file header).
func loadAliasVectors(t testing.TB) []aliasVector {
	f, err := os.Open("testdata/alias_vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	require.NoError(t, sc.Err())
	require.Zero(t, len(lines)%3)
	var out []aliasVector
	for i := 0; i < len(lines); i += 3 {
		var v aliasVector
		head := strings.Fields(lines[i])
		require.Len(t, head, 3)
		v.name = head[0]
		sb, err := hex.DecodeString(head[1])
		require.NoError(t, err)
		copy(v.seed[:], sb)
		v.count, err = strconv.Atoi(head[2])
		require.NoError(t, err)
		for _, s := range strings.Split(lines[i+1], ",") {
			w, err := strconv.ParseUint(s, 10, 64)
			require.NoError(t, err)
			v.weights = append(v.weights, w)
		}
		tail := strings.Fields(lines[i+2])
		require.Len(t, tail, 2)
		for _, s := range strings.Split(tail[0], ",") {
			n, err := strconv.Atoi(s)
			require.NoError(t, err)
			v.first = append(v.first, n)
		}
		v.sha = tail[1]
		out = append(out, v)
	}
	return out
}

func samplesDigest(idx []int) string {
	var b strings.Builder
	for i, n := range idx {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// The sampler reproduces, index for index, what rand_distr's
// WeightedAliasIndex<u64> draws from Xoshiro256PlusPlus::from_seed.
func TestAliasMatchesRustVectors(t *testing.T) {
	vecs := loadAliasVectors(t)
	require.NotEmpty(t, vecs)
	for _, v := range vecs {
		t.Run(v.name, func(t *testing.T) {
			a, err := NewAlias(v.weights)
			require.NoError(t, err)
			rng := NewXoshiro256pp(v.seed)
			got := make([]int, v.count)
			for i := range got {
				got[i] = a.Sample(rng)
			}
			require.Equal(t, v.first, got[:len(v.first)])
			require.Equal(t, v.sha, samplesDigest(got))
		})
	}
}

func TestAliasErrors(t *testing.T) {
	_, err := NewAlias(nil)
	require.ErrorIs(t, err, ErrNoRolls)
	_, err = NewAlias([]uint64{0, 0})
	require.ErrorIs(t, err, ErrNoRolls)
	_, err = NewAlias([]uint64{math.MaxUint64, 1})
	require.ErrorIs(t, err, ErrInvalidWeight)
	_, err = NewAlias([]uint64{math.MaxUint64 / 2, math.MaxUint64 / 2})
	require.NoError(t, err)
}

// Shares of 100k draws stay within 1 % (absolute) of the roll shares.
func TestAliasShares(t *testing.T) {
	weights := []uint64{1, 2, 3, 50, 100, 7, 13, 400, 1, 1}
	var sum uint64
	for _, w := range weights {
		sum += w
	}
	a, err := NewAlias(weights)
	require.NoError(t, err)
	rng := NewXoshiro256pp([32]byte{0: 42})
	counts := make([]int, len(weights))
	const n = 100_000
	for i := 0; i < n; i++ {
		counts[a.Sample(rng)]++
	}
	for i, w := range weights {
		want := float64(w) / float64(sum)
		got := float64(counts[i]) / n
		require.InDelta(t, want, got, 0.01, "index %d", i)
	}
}
