package node

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

func testKey(name string) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	copy(seed[:], name)
	return crypto.SecretKeyFromSeed(seed)
}

func testCodec() types.CodecParams {
	c := types.DefaultCodecParams()
	c.ThreadCount = testThreads
	c.EndorsementCount = testEndorsements
	return c
}

// testOps signs n distinct transfers of creator.
func testOps(creator *crypto.SecretKey, first, n int) []*types.SignedOperation {
	to := types.AddressOf(testKey("recipient").Public())
	ops := make([]*types.SignedOperation, n)
	for i := range ops {
		op := types.Operation{Fee: types.Amount(first + i), ExpirePeriod: 100, Type: types.OpTransaction, Recipient: to, Amount: types.Amount(1000 + first + i)}
		ops[i] = types.SignOperation(op, creator, testChainID)
	}
	return ops
}

// testStoredBlock builds a block of slot carrying ops.
func testStoredBlock(slot types.Slot, ops []*types.SignedOperation) *storedBlock {
	parents := make([]types.BlockID, testThreads)
	for t := range parents {
		parents[t] = types.BlockID(crypto.HashOf(fmt.Appendf(nil, "parent %d of %s", t, slot)))
	}
	ids := make([]types.OperationID, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	blk := types.SignBlock(types.BlockHeader{CurrentVersion: mipVersion, Slot: slot, Parents: parents}, ids, testKey("producer"))
	return &storedBlock{block: blk, ops: ops}
}

func openTestBlockDB(t *testing.T, dir string) *blockDB {
	t.Helper()
	b, err := openBlockDB(dir, testCodec(), testChainID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantIndexed checks that every operation of sb is found by id in b.
func wantIndexed(t *testing.T, b *blockDB, sb *storedBlock) {
	t.Helper()
	for _, want := range sb.ops {
		op, bid, ok, err := b.Operation(want.ID)
		if err != nil || !ok {
			t.Fatalf("operation %s: found %v, %v", want.ID, ok, err)
		}
		if bid != sb.block.ID() || op.ID != want.ID || !bytes.Equal(op.Content, want.Content) || op.Signature != want.Signature {
			t.Fatalf("operation %s: got %s in %s, want it in %s", want.ID, op.ID, bid, sb.block.ID())
		}
		if bid2, ok, err := b.OperationBlock(want.ID); err != nil || !ok || bid2 != bid {
			t.Fatalf("OperationBlock(%s) = %s, %v, %v", want.ID, bid2, ok, err)
		}
	}
}

func TestBlockDBOperationIndex(t *testing.T) {
	dir := t.TempDir()
	b := openTestBlockDB(t, dir)
	k := testKey("creator")
	sb1 := testStoredBlock(types.Slot{Period: 3, Thread: 1}, testOps(k, 0, 40))
	sb2 := testStoredBlock(types.Slot{Period: 4, Thread: 1}, testOps(k, 40, 3))
	sb3 := testStoredBlock(types.Slot{Period: 4, Thread: 2}, testOps(k, 43, 5))
	empty := testStoredBlock(types.Slot{Period: 5, Thread: 1}, nil)
	if err := b.SaveFinal(sb1); err != nil {
		t.Fatal(err)
	}
	if err := b.saveFinalBatch([]*storedBlock{sb2, sb3, empty}); err != nil {
		t.Fatal(err)
	}
	for _, sb := range []*storedBlock{sb1, sb2, sb3} {
		wantIndexed(t, b, sb)
	}
	unknown := testOps(k, 1000, 1)[0].ID
	if _, _, ok, err := b.Operation(unknown); ok || err != nil {
		t.Fatalf("unknown operation: found %v, %v", ok, err)
	}
	// A stripped block is never saved again without its operations.
	if err := b.SaveFinal(&storedBlock{block: sb1.block}); err == nil {
		t.Fatal("a block held without its operations was saved")
	}
	wantIndexed(t, b, sb1)

	// The index survives a reopen.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openTestBlockDB(t, dir)
	for _, sb := range []*storedBlock{sb1, sb2, sb3} {
		wantIndexed(t, b, sb)
		got, ok, err := b.Get(sb.block.ID())
		if err != nil || !ok || len(got.ops) != len(sb.ops) {
			t.Fatalf("Get(%s): %v, %v", sb.block.ID(), ok, err)
		}
		blk, ok, err := b.GetHeader(sb.block.ID())
		if err != nil || !ok || blk.ID() != sb.block.ID() || len(blk.Operations) != len(sb.ops) {
			t.Fatalf("GetHeader(%s): %v, %v", sb.block.ID(), ok, err)
		}
	}

	// A bootstrap starting over wipes the index with the blocks.
	if err := b.wipeBlocks(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := b.Operation(sb1.ops[0].ID); ok || err != nil {
		t.Fatalf("after wipe: found %v, %v", ok, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBlockDBWithoutOpIndex: a block database written before the operation
// index existed still serves its blocks; their operations are just not
// found by id, and blocks saved afterwards are.
func TestBlockDBWithoutOpIndex(t *testing.T) {
	dir := t.TempDir()
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	k := testKey("creator")
	old := testStoredBlock(types.Slot{Period: 3, Thread: 0}, testOps(k, 0, 4))
	// The stored form as written before the index: block || count || ops.
	val := old.block.AppendBinary(nil)
	val = types.AppendUvarint(val, uint64(len(old.ops)))
	for _, op := range old.ops {
		val = op.AppendBinary(val)
	}
	if enc, _ := encodeStoredBlock(old); !bytes.Equal(enc, val) {
		t.Fatal("the stored form of blocks changed")
	}
	if err := db.Set(blockKey(old.block.ID()), val, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Set(finalKey(old.block.Slot()), old.block.ID().Bytes(), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	b := openTestBlockDB(t, dir)
	defer b.Close()
	got, ok, err := b.Get(old.block.ID())
	if err != nil || !ok || len(got.ops) != len(old.ops) || got.ops[2].ID != old.ops[2].ID {
		t.Fatalf("Get: %v, %v", ok, err)
	}
	ids, err := b.FinalAfter(types.Slot{})
	if err != nil || len(ids) != 1 || ids[0] != old.block.ID() {
		t.Fatalf("FinalAfter: %v, %v", ids, err)
	}
	if _, _, ok, err := b.Operation(old.ops[0].ID); ok || err != nil {
		t.Fatalf("operation of an unindexed block: found %v, %v", ok, err)
	}
	fresh := testStoredBlock(types.Slot{Period: 4, Thread: 0}, testOps(k, 10, 2))
	if err := b.SaveFinal(fresh); err != nil {
		t.Fatal(err)
	}
	wantIndexed(t, b, fresh)
}

// TestBlockDBCorruptOpIndex: index entries that are malformed or point
// anywhere but at their operation give an error, not a wrong operation.
func TestBlockDBCorruptOpIndex(t *testing.T) {
	b := openTestBlockDB(t, t.TempDir())
	defer b.Close()
	k := testKey("creator")
	sb := testStoredBlock(types.Slot{Period: 3, Thread: 0}, testOps(k, 0, 3))
	if err := b.SaveFinal(sb); err != nil {
		t.Fatal(err)
	}
	_, offsets := encodeStoredBlock(sb)
	id := sb.ops[1].ID
	key := opKey(nil, id)
	missing := types.BlockID(crypto.HashOf([]byte("no such block")))
	for name, v := range map[string][]byte{
		"empty":          {},
		"short id":       sb.block.ID().Bytes()[:10],
		"no offset":      sb.block.ID().Bytes(),
		"trailing bytes": append(types.AppendUvarint(sb.block.ID().Bytes(), uint64(offsets[1])), 0),
		"other op":       types.AppendUvarint(sb.block.ID().Bytes(), uint64(offsets[0])),
		"inside an op":   types.AppendUvarint(sb.block.ID().Bytes(), uint64(offsets[1]+1)),
		"past the end":   types.AppendUvarint(sb.block.ID().Bytes(), 1<<40),
		"missing block":  types.AppendUvarint(missing.Bytes(), uint64(offsets[1])),
	} {
		if err := b.db.Set(key, v, pebble.Sync); err != nil {
			t.Fatal(err)
		}
		op, _, ok, err := b.Operation(id)
		if err == nil || ok || op != nil {
			t.Errorf("%s: got %v, found %v, err %v", name, op, ok, err)
		}
		if name != "missing block" && !errors.Is(err, errOpIndex) {
			t.Errorf("%s: error %v is not errOpIndex", name, err)
		}
	}
}

// FuzzBlockDBOperation feeds arbitrary index values and stored block
// values to the decoders of the block database: they return an error or a
// checked result, never panic.
func FuzzBlockDBOperation(f *testing.F) {
	k := testKey("creator")
	sb := testStoredBlock(types.Slot{Period: 3, Thread: 0}, testOps(k, 0, 3))
	val, offsets := encodeStoredBlock(sb)
	for i, op := range sb.ops {
		f.Add(types.AppendUvarint(sb.block.ID().Bytes(), uint64(offsets[i])), val, op.ID[:])
	}
	f.Add([]byte{}, []byte{}, make([]byte, types.IDSize))
	f.Add(types.AppendUvarint(sb.block.ID().Bytes(), 3), val[:len(val)/2], sb.ops[0].ID[:])
	codec := testCodec()
	f.Fuzz(func(t *testing.T, idx, val, rawID []byte) {
		var id types.OperationID
		copy(id[:], rawID)
		if _, off, err := decodeOpIndexValue(idx); err == nil {
			op, err := decodeOperationAt(val, off, id, testChainID)
			if err == nil && (op == nil || op.ID != id) {
				t.Fatalf("offset %d decoded as %v, want %s", off, op, id)
			}
		}
		if sb, err := decodeStoredBlock(val, codec, testChainID); err == nil && len(sb.ops) > int(codec.MaxOperationsPerBlock) {
			t.Fatalf("%d operations", len(sb.ops))
		}
		if blk, err := decodeStoredHeader(val, codec); err == nil && blk == nil {
			t.Fatal("no block and no error")
		}
	})
}
