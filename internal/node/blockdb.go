package node

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cockroachdb/pebble/v2"

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
)

// chainKey holds the identity of the chain the storage was made for.
var chainKey = []byte{metaPrefix, 'c'}

func openBlockDB(dir string, codec types.CodecParams, chainID uint64) (*blockDB, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietPebble{}})
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

// SaveFinal stores a final block and indexes it by slot, synchronously.
func (b *blockDB) SaveFinal(sb *storedBlock) error {
	val := sb.block.AppendBinary(nil)
	val = binary.AppendUvarint(val, uint64(len(sb.ops)))
	for _, op := range sb.ops {
		val = op.AppendBinary(val)
	}
	batch := b.db.NewBatch()
	defer batch.Close()
	id := sb.block.ID()
	if err := batch.Set(blockKey(id), val, nil); err != nil {
		return err
	}
	if err := batch.Set(finalKey(sb.block.Slot()), id.Bytes(), nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

// Get loads a stored block with its operations.
func (b *blockDB) Get(id types.BlockID) (*storedBlock, bool, error) {
	v, closer, err := b.db.Get(blockKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	r := types.NewReader(v, "stored block")
	blk := r.Block("block", b.codec)
	count := r.U64Max("operation count", uint64(b.codec.MaxOperationsPerBlock))
	if r.Err() != nil {
		return nil, false, r.Err()
	}
	sb := &storedBlock{block: blk}
	for i := uint64(0); i < count; i++ {
		op := r.SignedOperation(b.chainID)
		if r.Err() != nil {
			return nil, false, r.Err()
		}
		sb.ops = append(sb.ops, op)
	}
	if err := r.Done(); err != nil {
		return nil, false, err
	}
	return sb, true, nil
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
