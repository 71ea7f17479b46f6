package types

import (
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

// testKey returns a deterministic key from a one-byte seed.
func testKey(i byte) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	seed[0] = i
	seed[31] = 0x5a
	return crypto.SecretKeyFromSeed(seed)
}

func testParents(n int, salt byte) []BlockID {
	out := make([]BlockID, n)
	for i := range out {
		out[i] = BlockID(crypto.HashOf([]byte{salt, byte(i)}))
	}
	return out
}

// smallParams keep fuzzed headers small enough for the fuzzer to explore.
func smallParams() CodecParams {
	return CodecParams{ThreadCount: 4, EndorsementCount: 4, MaxOperationsPerBlock: 16, MaxBlockSize: 10_000, MaxDenunciationsPerHeader: 4}
}

// testDenunciations builds one valid denunciation of each kind at slot.
func testDenunciations(t testing.TB, slot Slot) []Denunciation {
	k := testKey(200)
	h1 := SignHeader(BlockHeader{Slot: slot, OperationMerkleRoot: crypto.HashOf([]byte("a"))}, k)
	h2 := SignHeader(BlockHeader{Slot: slot, OperationMerkleRoot: crypto.HashOf([]byte("b"))}, k)
	dh, err := HeaderDenunciationOf(h1, h2)
	if err != nil {
		t.Fatal(err)
	}
	e1 := SignEndorsement(Endorsement{Slot: slot, Index: 2, EndorsedBlock: BlockID(crypto.HashOf([]byte("x")))}, k)
	e2 := SignEndorsement(Endorsement{Slot: slot, Index: 2, EndorsedBlock: BlockID(crypto.HashOf([]byte("y")))}, k)
	de, err := EndorsementDenunciationOf(e1, e2)
	if err != nil {
		t.Fatal(err)
	}
	return []Denunciation{dh, de}
}

// testBlock builds a signed block at slot (period 7, thread 1) with
// endorsements at the given indices, the denunciations of
// testDenunciations when withDen, and nOps operation ids.
func testBlock(t testing.TB, p CodecParams, indices []uint32, withDen bool, nOps int) *Block {
	slot := Slot{Period: 7, Thread: 1}
	parents := testParents(int(p.ThreadCount), 1)
	var ends []*SignedEndorsement
	for _, i := range indices {
		ends = append(ends, SignEndorsement(Endorsement{Slot: slot, Index: i, EndorsedBlock: parents[slot.Thread]}, testKey(byte(10+i))))
	}
	var dens []Denunciation
	if withDen {
		dens = testDenunciations(t, Slot{Period: 5, Thread: 0})
	}
	v := uint32(1)
	ops := make([]OperationID, nOps)
	for i := range ops {
		ops[i] = OperationID(crypto.HashOf([]byte{'o', byte(i), byte(i >> 8)}))
	}
	h := BlockHeader{
		CurrentVersion: 1, AnnouncedVersion: &v, Slot: slot, Parents: parents,
		Endorsements: ends, Denunciations: dens,
	}
	return SignBlock(h, ops, testKey(1))
}

// testOperations builds one signed operation of each type.
func testOperations(t testing.TB, chainID uint64) []*SignedOperation {
	k := testKey(3)
	to := AddressOf(testKey(4).Public())
	sc := Address{SC: true, Hash: crypto.HashOf([]byte("sc"))}
	ops := []Operation{
		{Fee: MustAmount("0.01"), ExpirePeriod: 1234, Type: OpTransaction, Recipient: to, Amount: MustAmount("3.1")},
		{Fee: 0, ExpirePeriod: 5, Type: OpRollBuy, RollCount: 3},
		{Fee: 1, ExpirePeriod: 1 << 40, Type: OpRollSell, RollCount: 1},
		{Fee: MustAmount("0.1"), ExpirePeriod: 77, Type: OpExecuteSC, SC: &SCFields{MaxGas: 1_000_000, MaxCoins: MustAmount("2"),
			Bytecode: []byte{0, 'a', 's', 'm'}, Datastore: []DatastoreEntry{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: nil}}}},
		{Fee: MustAmount("0.1"), ExpirePeriod: 78, Type: OpCallSC, SC: &SCFields{MaxGas: 2_000_000, Coins: MustAmount("0.5"), Target: sc,
			Function: "transfer", Param: []byte{1, 2, 3}}},
	}
	out := make([]*SignedOperation, len(ops))
	for i, op := range ops {
		out[i] = SignOperation(op, k, chainID)
	}
	return out
}
