package pos

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Cycle 0 draws with BLAKE3(BLAKE3("massa_genesis_seed")), cycle 1 with
// BLAKE3("massa_genesis_seed"). The hex values are pinned regressions
// computed with the project's BLAKE3.
func TestInitialSeeds(t *testing.T) {
	s := InitialSeeds(DefaultInitialSeed)
	one := crypto.HashOf([]byte("massa_genesis_seed"))
	require.Equal(t, one, s[1])
	require.Equal(t, crypto.HashOf(one[:]), s[0])
	require.Equal(t, "2bc9d200963e3740e842af7a21fb13b35afe1bea23e7fbe9896d48e0b52ccaa8", hex.EncodeToString(s[0][:]))
	require.Equal(t, "37322c1c5dcda7bc11fdee16baf2330d489d93934a30dce13a76b3212dbf0536", hex.EncodeToString(s[1][:]))

	st, err := New(smallConfig(), rollsFor([]uint64{1}))
	require.NoError(t, err)
	for c := uint64(0); c < 2; c++ {
		in, err := st.DrawInputs(c)
		require.NoError(t, err)
		require.Equal(t, s[c], in.Seed)
	}
}

// Bits pack least significant first, as bitvec's Lsb0 BitVec<u8>.
func TestSeedBitsLsb0(t *testing.T) {
	var b SeedBits
	for _, bit := range []bool{true, false, false, true, false, false, false, false, true, true} {
		b.Append(bit)
	}
	require.Equal(t, 10, b.Len())
	require.Equal(t, []byte{0x09, 0x03}, b.Bytes())
	z := NewSeedBits(32)
	require.Equal(t, make([]byte, 4), z.Bytes())
	// Append overwrites whatever a loaded value left in the dead bits.
	d := SeedBits{bytes: []byte{0xff}, n: 2}
	d.Append(false)
	require.Equal(t, []byte{0xfb}, d.Bytes())
}

func TestCycleSeedLayout(t *testing.T) {
	var bits SeedBits
	for i := 0; i < 20; i++ {
		bits.Append(i%3 == 0)
	}
	var snap [crypto.XOFSize]byte
	snap[0], snap[511] = 1, 2
	c := uint64(300) // varint 0xac 0x02
	want := crypto.HashOf(append(append([]byte{0xac, 0x02}, bits.Bytes()...), snap[:]...))
	require.Equal(t, want, CycleSeed(c, bits, &snap))
	want = crypto.HashOf(append([]byte{0xac, 0x02}, bits.Bytes()...))
	require.Equal(t, want, CycleSeed(c, bits, nil))
}

func TestSlotSeedBit(t *testing.T) {
	for _, s := range []types.Slot{{Period: 0, Thread: 0}, {Period: 7, Thread: 3}, {Period: 1 << 40, Thread: 31}} {
		k := s.Key()
		h := crypto.HashOf(k[:])
		require.Equal(t, h[0]>>7 == 1, SlotSeedBit(s))
	}
}
