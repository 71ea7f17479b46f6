package pos

import (
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"
)

// Reference outputs of xoshiro256++ for the state {1, 2, 3, 4}, from the
// algorithm's reference C code (also rand_xoshiro 0.6's own test).
func TestXoshiro256ppReference(t *testing.T) {
	var seed [32]byte
	for i := 0; i < 4; i++ {
		seed[8*i] = byte(i + 1)
	}
	want := []uint64{
		41943041, 58720359, 3588806011781223, 3591011842654386,
		9228616714210784205, 9973669472204895162, 14011001112246962877,
		12406186145184390807, 15849039046786891736, 10450023813501588000,
	}
	x := NewXoshiro256pp(seed)
	for i, w := range want {
		require.Equal(t, w, x.Uint64(), "output %d", i)
	}
	// Uint32 is the high half of the next Uint64.
	y := NewXoshiro256pp(seed)
	require.Equal(t, uint32(want[0]>>32), y.Uint32())
}

// An all-zero seed is replaced by SplitMix64(0)'s first four outputs; the
// expected outputs were produced by rand_xoshiro 0.6.0's from_seed.
func TestXoshiro256ppZeroSeed(t *testing.T) {
	x := NewXoshiro256pp([32]byte{})
	for i, w := range []uint64{5987356902031041503, 7051070477665621255, 6633766593972829180} {
		require.Equal(t, w, x.Uint64(), "output %d", i)
	}
}

// SplitMix64 reference values (rand_xoshiro's test, from splitmix64.c).
func TestSplitMix64Reference(t *testing.T) {
	s := splitMix64(1477776061723855037)
	for _, w := range []uint64{1985237415132408290, 2979275885539914483, 13511426838097143398} {
		require.Equal(t, w, s.Uint64())
	}
}

// pcg32 is rand_pcg 0.3's Lcg64Xsh32, the RNG of rand's own value-stability
// tests; it lets us replay those tests against our uniform and alias code.
type pcg32 struct{ state, inc uint64 }

func newPCG32(state, stream uint64) *pcg32 {
	p := &pcg32{inc: stream<<1 | 1}
	p.state = state + p.inc
	p.step()
	return p
}

func (p *pcg32) step() { p.state = p.state*6364136223846793005 + p.inc }

func (p *pcg32) Uint32() uint32 {
	s := p.state
	p.step()
	xsh := uint32(((s >> 18) ^ s) >> 27)
	return bits.RotateLeft32(xsh, -int(s>>59))
}

func (p *pcg32) Uint64() uint64 {
	lo := uint64(p.Uint32())
	return uint64(p.Uint32())<<32 | lo
}

// randTestRNG is rand's and rand_distr's crate::test::rng(seed).
func randTestRNG(seed uint64) *pcg32 { return newPCG32(seed, 11634580027462260723) }

func TestPCG32Reference(t *testing.T) {
	p := newPCG32(42, 54)
	for _, w := range []uint32{0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e} {
		require.Equal(t, w, p.Uint32())
	}
}

// rand 0.8.5 uniform value_stability for u32 in [11, 219): three
// sample_single calls (the approximate-zone path, replayed here only to
// advance the stream) then three samples of Uniform::new — our path.
func TestUniform32ValueStability(t *testing.T) {
	r := randTestRNG(897)
	const low, high = 11, 219
	single := func() uint32 {
		rng := uint32(high - low)
		zone := (rng << bits.LeadingZeros32(rng)) - 1
		for {
			m := uint64(r.Uint32()) * uint64(rng)
			if uint32(m) <= zone {
				return low + uint32(m>>32)
			}
		}
	}
	require.Equal(t, []uint32{17, 66, 214}, []uint32{single(), single(), single()})
	u := newUniform32(high - low)
	got := []uint32{low + u.sample(r), low + u.sample(r), low + u.sample(r)}
	require.Equal(t, []uint32{181, 93, 165}, got)
}
