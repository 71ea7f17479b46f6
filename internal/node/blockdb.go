package node

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// blockDB keeps final blocks with their operations on disk, outside the
// hashed state: the node writes each block here before execution treats it
// as final, so that after a crash the blocks between the last committed
// final slot and the consensus frontier can be replayed exactly, and so
// that the API can still show old final blocks.
type blockDB struct {
	db      *pebble.DB
	codec   types.CodecParams
	chainID uint64
}

const (
	blockPrefix = 'b' // 'b' || block id -> block || op count || ops
	finalPrefix = 'f' // 'f' || slot key -> block id
	metaPrefix  = 'm' // 'm' || name -> value
	opPrefix    = 'o' // 'o' || operation id -> block id || uvarint byte offset of the operation in the block's value
)

// errOpIndex: an operation index entry is malformed or does not point at
// its operation (a corrupt block database).
var errOpIndex = errors.New("corrupt operation index")

// chainKey holds the identity of the chain the storage was made for.
var chainKey = []byte{metaPrefix, 'c'}

func openBlockDB(dir string, codec types.CodecParams, chainID uint64) (*blockDB, error) {
	opts := &pebble.Options{Logger: quietPebble{}}
	// Looking an operation up by id mostly misses (peers and clients ask
	// for operations the node never saw in a final block): Bloom filters
	// answer those from memory instead of searching every level. Tables
	// written before have none and are read as before.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot open the block database %s: %w", dir, err)
	}
	return &blockDB{db: db, codec: codec, chainID: chainID}, nil
}

func (b *blockDB) Close() error { return b.db.Close() }

func blockKey(id types.BlockID) []byte {
	k := make([]byte, 0, 1+types.IDSize)
	k = append(k, blockPrefix)
	return id.AppendBinary(k)
}

func finalKey(s types.Slot) []byte {
	k := s.Key()
	return append([]byte{finalPrefix}, k[:]...)
}

// SaveFinal stores a final block and indexes it by slot and its
// operations by id, synchronously.
func (b *blockDB) SaveFinal(sb *storedBlock) error {
	batch := b.db.NewBatch()
	defer batch.Close()
	if err := addFinal(batch, sb); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

// addFinal adds to batch a final block, its slot index entry and the index
// entries of its operations.
func addFinal(batch *pebble.Batch, sb *storedBlock) error {
	id := sb.block.ID()
	if sb.stripped() {
		// Its operations were released after it was saved: saving it
		// again would store it without them.
		return fmt.Errorf("block %s is held without its operations: not saving it", id)
	}
	val, offsets := encodeStoredBlock(sb)
	if err := batch.Set(blockKey(id), val, nil); err != nil {
		return err
	}
	if err := batch.Set(finalKey(sb.block.Slot()), id.Bytes(), nil); err != nil {
		return err
	}
	k := make([]byte, 1+types.IDSize)
	v := make([]byte, 0, types.IDSize+binary.MaxVarintLen64)
	for i, op := range sb.ops {
		k = opKey(k[:0], op.ID)
		v = types.AppendUvarint(id.AppendBinary(v[:0]), uint64(offsets[i]))
		// Set copies key and value into the batch.
		if err := batch.Set(k, v, nil); err != nil {
			return err
		}
	}
	return nil
}

// encodeStoredBlock gives the stored form of a block (block || operation
// count || operations) and the byte offset of each operation in it.
func encodeStoredBlock(sb *storedBlock) ([]byte, []int) {
	size := sb.block.SerializedSize() + binary.MaxVarintLen64
	for _, op := range sb.ops {
		size += op.SerializedLen
	}
	val := sb.block.AppendBinary(make([]byte, 0, size))
	val = types.AppendUvarint(val, uint64(len(sb.ops)))
	offsets := make([]int, len(sb.ops))
	for i, op := range sb.ops {
		offsets[i] = len(val)
		val = op.AppendBinary(val)
	}
	return val, offsets
}

func opKey(dst []byte, id types.OperationID) []byte {
	dst = append(dst, opPrefix)
	return append(dst, id[:]...)
}

// Get loads a stored block with its operations.
func (b *blockDB) Get(id types.BlockID) (*storedBlock, bool, error) {
	return b.get(id, true)
}

// GetHeader loads a stored block without decoding its operations (the
// returned storedBlock has none): for callers that need the header or the
// operation ids alone, of blocks that may carry thousands of operations.
func (b *blockDB) GetHeader(id types.BlockID) (*types.Block, bool, error) {
	sb, ok, err := b.get(id, false)
	if !ok || err != nil {
		return nil, ok, err
	}
	return sb.block, true, nil
}

func (b *blockDB) get(id types.BlockID, withOps bool) (*storedBlock, bool, error) {
	v, closer, err := b.db.Get(blockKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	if withOps {
		sb, err := decodeStoredBlock(v, b.codec, b.chainID)
		if err != nil {
			return nil, false, err
		}
		return sb, true, nil
	}
	blk, err := decodeStoredHeader(v, b.codec)
	if err != nil {
		return nil, false, err
	}
	return &storedBlock{block: blk}, true, nil
}

// decodeStoredHeader parses the block at the start of a stored block
// value, leaving the operations that follow undecoded.
func decodeStoredHeader(v []byte, codec types.CodecParams) (*types.Block, error) {
	r := types.NewReader(v, "stored block")
	blk := r.Block("block", codec)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return blk, nil
}

// Operation loads an operation of a final block by id through the
// operation index, decoding that operation alone, and names the block
// holding it. Operations of blocks saved before the index existed are not
// found.
func (b *blockDB) Operation(id types.OperationID) (*types.SignedOperation, types.BlockID, bool, error) {
	bid, off, ok, err := b.operationPlace(id)
	if err != nil || !ok {
		return nil, types.BlockID{}, false, err
	}
	v, closer, err := b.db.Get(blockKey(bid))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, types.BlockID{}, false, fmt.Errorf("%w: operation %s indexed in block %s, which is not stored", errOpIndex, id, bid)
	}
	if err != nil {
		return nil, types.BlockID{}, false, err
	}
	defer closer.Close()
	op, err := decodeOperationAt(v, off, id, b.chainID)
	if err != nil {
		return nil, types.BlockID{}, false, fmt.Errorf("block %s: %w", bid, err)
	}
	return op, bid, true, nil
}

// OperationBlock names the final block holding an operation, from the
// operation index alone.
func (b *blockDB) OperationBlock(id types.OperationID) (types.BlockID, bool, error) {
	bid, _, ok, err := b.operationPlace(id)
	return bid, ok, err
}

func (b *blockDB) operationPlace(id types.OperationID) (types.BlockID, uint64, bool, error) {
	v, closer, err := b.db.Get(opKey(make([]byte, 0, 1+types.IDSize), id))
	if errors.Is(err, pebble.ErrNotFound) {
		return types.BlockID{}, 0, false, nil
	}
	if err != nil {
		return types.BlockID{}, 0, false, err
	}
	defer closer.Close()
	bid, off, err := decodeOpIndexValue(v)
	if err != nil {
		return types.BlockID{}, 0, false, fmt.Errorf("operation %s: %w", id, err)
	}
	return bid, off, true, nil
}

// decodeOpIndexValue parses an operation index value: block id || uvarint
// offset.
func decodeOpIndexValue(v []byte) (types.BlockID, uint64, error) {
	r := types.NewReader(v, "operation index")
	bid := r.BlockID("block id")
	off := r.U64("offset")
	if err := r.Done(); err != nil {
		return types.BlockID{}, 0, fmt.Errorf("%w: %w", errOpIndex, err)
	}
	return bid, off, nil
}

// decodeOperationAt decodes the operation starting at byte off of a stored
// block value and checks it is operation id: an index entry pointing
// anywhere else is corrupt.
func decodeOperationAt(v []byte, off uint64, id types.OperationID, chainID uint64) (*types.SignedOperation, error) {
	if off >= uint64(len(v)) {
		return nil, fmt.Errorf("%w: operation %s at offset %d of a %d-byte block", errOpIndex, id, off, len(v))
	}
	r := types.NewReader(v[off:], "indexed operation")
	op := r.SignedOperation(chainID)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", errOpIndex, err)
	}
	if op.ID != id {
		return nil, fmt.Errorf("%w: offset %d holds operation %s, not %s", errOpIndex, off, op.ID, id)
	}
	return op, nil
}

// FinalAfter lists the final blocks with slots strictly after s, in slot order.
func (b *blockDB) FinalAfter(s types.Slot) ([]types.BlockID, error) {
	start := finalKey(s)
	start = append(start, 0xff)
	it, err := b.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: []byte{finalPrefix + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.BlockID
	for it.First(); it.Valid(); it.Next() {
		r := types.NewReader(it.Value(), "final index")
		id := r.BlockID("block id")
		if err := r.Done(); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, it.Error()
}

// LatestFinalPerThread returns, for each thread, the final block with the
// highest period stored.
func (b *blockDB) LatestFinalPerThread(threads uint8) ([]types.BlockID, []bool, error) {
	return b.latestFinalBelow(threads, []byte{finalPrefix + 1})
}

// latestFinalBelow returns, for each thread, the final block with the
// highest slot whose index key is below upper.
func (b *blockDB) latestFinalBelow(threads uint8, upper []byte) ([]types.BlockID, []bool, error) {
	ids := make([]types.BlockID, threads)
	found := make([]bool, threads)
	it, err := b.db.NewIter(&pebble.IterOptions{LowerBound: []byte{finalPrefix}, UpperBound: upper})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	left := int(threads)
	for it.Last(); it.Valid() && left > 0; it.Prev() {
		k := it.Key()
		if len(k) != 1+types.SlotKeySize {
			continue
		}
		s, err := types.SlotFromKey(k[1:])
		if err != nil || s.Thread >= threads || found[s.Thread] {
			continue
		}
		r := types.NewReader(it.Value(), "final index")
		id := r.BlockID("block id")
		if r.Done() != nil {
			continue
		}
		ids[s.Thread], found[s.Thread] = id, true
		left--
	}
	return ids, found, it.Error()
}

// chainIdentity is what tells two chains apart: the network's identity and
// its initial state. It leaves out last_start_period, which a network
// restart changes, and the other parameters, whose defaults may change
// between versions without making another chain.
func chainIdentity(g *config.Genesis) crypto.Hash {
	b, err := json.Marshal(struct {
		ChainID          uint64
		GenesisTimestamp uint64
		ThreadCount      uint8
		T0               uint64
		PeriodsPerCycle  uint64
		Ledger           []config.LedgerEntry
		Rolls            []config.RollEntry
		Credits          []config.DeferredCredit
	}{g.Params.ChainID, g.Params.GenesisTimestamp, g.Params.ThreadCount, g.Params.T0, g.Params.PeriodsPerCycle,
		g.Ledger, g.Rolls, g.DeferredCredits})
	if err != nil {
		// Every field has a JSON form; hash the parameters alone rather
		// than fail the start.
		b = fmt.Appendf(nil, "%d/%d", g.Params.ChainID, g.Params.GenesisTimestamp)
	}
	return crypto.HashOf(b)
}

// CheckChain records id as the storage's chain at first start and reports
// whether it is the one recorded. A storage written before the identity
// was recorded takes id.
func (b *blockDB) CheckChain(id crypto.Hash) (bool, error) {
	v, closer, err := b.db.Get(chainKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return true, b.db.Set(chainKey, id[:], pebble.Sync)
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	return bytes.Equal(v, id[:]), nil
}

// quietPebble drops Pebble's informational lines (WAL recovery and the
// like), which mean nothing to an operator.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any) {}
func (quietPebble) Errorf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "block database: "+format+"\n", a...)
}
func (quietPebble) Fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "block database: "+format+"\n", a...)
	os.Exit(1)
}
