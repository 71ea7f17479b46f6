package types

import (
	"bytes"
	"testing"
	"unsafe"
)

// A loaded node holds hundreds of thousands of operations, nearly all
// transfers and roll operations: the smart-contract fields stay behind
// Operation.SC so that each SignedOperation fits the 288-byte size class
// (it was 424 bytes, in the 448-byte class, with the fields inline).
func TestOperationSize(t *testing.T) {
	op, so := unsafe.Sizeof(Operation{}), unsafe.Sizeof(SignedOperation{})
	t.Logf("Operation %d bytes, SCFields %d bytes, SignedOperation %d bytes", op, unsafe.Sizeof(SCFields{}), so)
	if unsafe.Sizeof(uintptr(0)) == 8 && so > 288 {
		t.Fatalf("SignedOperation is %d bytes, more than the 288-byte size class", so)
	}
}

// The decoder sets SC exactly for the smart-contract types, and an
// operation built with a nil SC encodes and marshals as zero fields.
func TestOperationSCFields(t *testing.T) {
	for _, so := range testOperations(t, fuzzChainID) {
		op, err := DecodeOperation(so.Content)
		if err != nil {
			t.Fatal(err)
		}
		isSC := op.Type == OpExecuteSC || op.Type == OpCallSC
		if (op.SC != nil) != isSC {
			t.Fatalf("%s: SC set %v", op.Type, op.SC != nil)
		}
	}
	for _, typ := range []OpType{OpExecuteSC, OpCallSC} {
		bare := Operation{Fee: 1, ExpirePeriod: 2, Type: typ}
		zero := Operation{Fee: 1, ExpirePeriod: 2, Type: typ, SC: &SCFields{}}
		if !bytes.Equal(bare.Encode(), zero.Encode()) {
			t.Fatalf("%s: nil SC encodes %x, zero SC %x", typ, bare.Encode(), zero.Encode())
		}
		j1, err1 := bare.MarshalJSON()
		j2, err2 := zero.MarshalJSON()
		if err1 != nil || err2 != nil || !bytes.Equal(j1, j2) {
			t.Fatalf("%s: nil SC json %s (%v), zero SC %s (%v)", typ, j1, err1, j2, err2)
		}
		if got := bare.GasUsage(); got != zero.GasUsage() {
			t.Fatalf("%s: gas %d", typ, got)
		}
		if bare.MaxSpending(OneMAS) != 1 {
			t.Fatalf("%s: max spending %d", typ, bare.MaxSpending(OneMAS))
		}
		dec, err := DecodeOperation(bare.Encode())
		if err != nil || dec.SC == nil {
			t.Fatalf("%s: decode %v, SC %v", typ, err, dec.SC)
		}
	}
}
