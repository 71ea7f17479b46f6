package types

import "testing"

func benchTransaction(b *testing.B) *SignedOperation {
	return SignOperation(docsOperation(b), testKey(3), fuzzChainID)
}

// BenchmarkDecodeVerifyTransaction is the per-operation cost of
// send_operations and P2P intake: strict decode, id hash, signature check.
func BenchmarkDecodeVerifyTransaction(b *testing.B) {
	wire := benchTransaction(b).AppendBinary(nil)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		so, err := DecodeSignedOperation(wire, fuzzChainID)
		if err != nil || !so.VerifySignature() {
			b.Fatal("decode or verify failed")
		}
	}
}

func BenchmarkEncodeOperation(b *testing.B) {
	op := benchTransaction(b).Op
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = op.AppendBinary(buf[:0])
	}
}

func BenchmarkOperationID(b *testing.B) {
	so := benchTransaction(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = OperationHash(fuzzChainID, so.Creator, so.Content)
	}
}

func BenchmarkDecodeBlock(b *testing.B) {
	p := DefaultCodecParams()
	wire := testBlock(b, p, []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, false, 1000).Encode()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBlock(wire, p); err != nil {
			b.Fatal(err)
		}
	}
}
