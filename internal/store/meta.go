package store

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// metaVersion is the format version of the metadata record; bump it when
// the layout changes so an old binary refuses a newer DB instead of
// misreading it.
const metaVersion = 1

// metaSize is the exact size of the metadata record:
// version (1) || final slot (9) || state hash (512).
const metaSize = 1 + SlotKeySize + crypto.XOFSize

// meta is what the metadata area records about the state next to it.
type meta struct {
	slot Slot
	hash [crypto.XOFSize]byte
}

func encodeMeta(m meta) []byte {
	b := make([]byte, 0, metaSize)
	b = append(b, metaVersion)
	k := m.slot.Key()
	b = append(b, k[:]...)
	return append(b, m.hash[:]...)
}

// decodeMeta parses the metadata record read from disk. It never trusts the
// input: exact size, known version, nothing trailing.
func decodeMeta(b []byte) (meta, error) {
	if len(b) != metaSize {
		return meta{}, fmt.Errorf("%w: metadata record is %d bytes, want %d", ErrCorrupt, len(b), metaSize)
	}
	if b[0] != metaVersion {
		return meta{}, fmt.Errorf("%w: metadata version %d, want %d", ErrCorrupt, b[0], metaVersion)
	}
	slot, err := decodeSlot(b[1 : 1+SlotKeySize])
	if err != nil {
		return meta{}, err
	}
	m := meta{slot: slot}
	copy(m.hash[:], b[1+SlotKeySize:])
	return m, nil
}
