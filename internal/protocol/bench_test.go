package protocol_test

import (
	"testing"

	"github.com/gomassa/gomassa/internal/protocol"
)

func BenchmarkDecodeMessage(b *testing.B) {
	l := testLimits()
	for _, m := range sampleMessages() {
		enc := protocol.EncodeMessage(m)
		b.Run(m.Kind().String(), func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := protocol.DecodeMessage(enc, &l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
