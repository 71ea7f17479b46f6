package pos

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/types"
)

// testAddr returns a user address whose hash starts with i big-endian, so
// testAddr(i) < testAddr(j) iff i < j.
func testAddr(i int) types.Address {
	var a types.Address
	binary.BigEndian.PutUint32(a.Hash[:4], uint32(i))
	a.Hash[31] = 0xAA
	return a
}

// smallConfig has 2 threads and 4 periods per cycle: 8 slots per cycle.
func smallConfig() Config {
	c := DefaultConfig()
	c.ThreadCount = 2
	c.PeriodsPerCycle = 4
	c.EndorsementCount = 2
	c.GenesisAddress = testAddr(999_999)
	return c
}

// memStore is a map-backed store that applies Ops and iterates in key order.
type memStore map[string][]byte

func (m memStore) apply(ops []Op) {
	for _, op := range ops {
		if op.Delete {
			delete(m, string(op.Key))
		} else {
			m[string(op.Key)] = append([]byte(nil), op.Value...)
		}
	}
}

func (m memStore) iterate(prefix []byte, fn func(k, v []byte) bool) error {
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		if strings.HasPrefix(k, string(prefix)) && !fn([]byte(k), m[k]) {
			return nil
		}
	}
	return nil
}

// requireStoreMatches checks that the incremental ops applied so far give
// exactly the full dump of the state.
func requireStoreMatches(t *testing.T, st *State, m memStore) {
	t.Helper()
	want := memStore{}
	want.apply(st.EncodeKV())
	require.Equal(t, want, m)
}
