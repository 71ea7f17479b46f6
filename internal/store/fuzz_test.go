package store

import (
	"bytes"
	"testing"
)

// FuzzDecodeMeta: the metadata record comes from disk and may be anything;
// decoding must never panic, and whatever decodes must re-encode to the
// same bytes (no trailing or ignored input).
func FuzzDecodeMeta(f *testing.F) {
	valid := encodeMeta(meta{slot: Slot{Period: 42, Thread: 7}})
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{metaVersion})
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	f.Add(append([]byte{0xff}, valid[1:]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMeta(data)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeMeta(m), data) {
			t.Fatalf("decode/encode round trip changed %x", data)
		}
	})
}
