package node

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/gomassa/gomassa/internal/bootstrap"
	"github.com/gomassa/gomassa/internal/types"
)

// What bootstrap needs from the block database: the server reads the final
// blocks a client needs in their stored form, the client saves them in one
// batch and wipes them when its bootstrap starts over.

// decodeStoredBlock parses the stored form of a final block: block ||
// operation count || operations. It checks everything, as for bytes from
// outside (bootstrap hands them over the network).
func decodeStoredBlock(v []byte, codec types.CodecParams, chainID uint64) (*storedBlock, error) {
	r := types.NewReader(v, "stored block")
	blk := r.Block("block", codec)
	count := r.U64Max("operation count", uint64(codec.MaxOperationsPerBlock))
	if r.Err() != nil {
		return nil, r.Err()
	}
	sb := &storedBlock{block: blk}
	for i := uint64(0); i < count; i++ {
		op := r.SignedOperation(chainID)
		if r.Err() != nil {
			return nil, r.Err()
		}
		sb.ops = append(sb.ops, op)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return sb, nil
}

// rawBlock returns a copy of a block's stored form.
func (b *blockDB) rawBlock(id types.BlockID) ([]byte, bool, error) {
	v, closer, err := b.db.Get(blockKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return bytes.Clone(v), true, nil
}

// latestFinalAtOrBefore returns, for each thread, the final block with the
// highest slot at or before s.
func (b *blockDB) latestFinalAtOrBefore(threads uint8, s types.Slot) ([]types.BlockID, []bool, error) {
	return b.latestFinalBelow(threads, append(finalKey(s), 0xff))
}

// finalBlocksFor returns what a bootstrap client needs to rebuild
// consensus over the state of slot s, in stored form: for each thread the
// latest final block at or before s (the same-thread parent of the first
// block it will replay, or its root if none follows); every final block
// after s (replayed by its execution); and the recent final history, the
// final blocks of the keep periods before the latest final block of each
// thread, which new blocks may still name as parents (startConsensus
// keeps them in the graph after a restart, and so will the client).
func (b *blockDB) finalBlocksFor(threads uint8, s types.Slot, keep uint64) ([][]byte, error) {
	roots, found, err := b.latestFinalAtOrBefore(threads, s)
	if err != nil {
		return nil, err
	}
	from := s
	latest, lfound, err := b.LatestFinalPerThread(threads)
	if err != nil {
		return nil, err
	}
	minRoot, any := uint64(0), false
	for t := range latest {
		if !lfound[t] {
			continue
		}
		if blk, ok, err := b.GetHeader(latest[t]); err == nil && ok {
			p := blk.Slot().Period
			if !any || p < minRoot {
				minRoot, any = p, true
			}
		}
	}
	if any {
		h := types.Slot{}
		if minRoot > keep+1 {
			h = types.Slot{Period: minRoot - keep - 1}
		}
		if h.Less(from) {
			from = h
		}
	}
	after, err := b.FinalAfter(from)
	if err != nil {
		return nil, err
	}
	seen := make(map[types.BlockID]bool, len(after)+len(roots))
	var ids []types.BlockID
	for t, id := range roots {
		if found[t] && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range after {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	out := make([][]byte, 0, len(ids))
	for _, id := range ids {
		v, ok, err := b.rawBlock(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("final block %s is indexed but not stored", id)
		}
		out = append(out, v)
	}
	return out, nil
}

// saveFinalBatch stores final blocks, their slot index and their
// operation index in one fsynced batch.
func (b *blockDB) saveFinalBatch(sbs []*storedBlock) error {
	batch := b.db.NewBatch()
	defer batch.Close()
	for _, sb := range sbs {
		if err := addFinal(batch, sb); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// wipeBlocks deletes every block, the final index and the operation
// index, keeping the chain identity.
func (b *blockDB) wipeBlocks() error {
	batch := b.db.NewBatch()
	defer batch.Close()
	if err := batch.DeleteRange([]byte{blockPrefix}, []byte{blockPrefix + 1}, nil); err != nil {
		return err
	}
	if err := batch.DeleteRange([]byte{finalPrefix}, []byte{finalPrefix + 1}, nil); err != nil {
		return err
	}
	if err := batch.DeleteRange([]byte{opPrefix}, []byte{opPrefix + 1}, nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

// bootstrapBlocks is the node's bootstrap.BlockSink and BlockSource.
type bootstrapBlocks struct{ n *Node }

// FinalBlocks serves a bootstrap client (server side).
func (b bootstrapBlocks) FinalBlocks(s types.Slot) ([][]byte, error) {
	return b.n.blockDB.finalBlocksFor(b.n.params.ThreadCount, s, b.n.consensusParams().ForceKeepFinalPeriodsWithoutOps)
}

// SaveBlocks checks and stores the final blocks a bootstrap server sent.
func (b bootstrapBlocks) SaveBlocks(raw [][]byte) error {
	n := b.n
	sbs := make([]*storedBlock, 0, len(raw))
	for i, v := range raw {
		sb, err := decodeStoredBlock(v, n.codec, n.params.ChainID)
		if err != nil {
			return fmt.Errorf("%w: final block %d of %d: %w", bootstrap.ErrMalformed, i+1, len(raw), err)
		}
		same := sb.block.MerkleRootMatches() && len(sb.ops) == len(sb.block.Operations)
		for j := 0; same && j < len(sb.ops); j++ {
			same = sb.ops[j].ID == sb.block.Operations[j]
		}
		if !same {
			return fmt.Errorf("%w: final block %s: operations do not match its header", bootstrap.ErrMalformed, sb.block.ID())
		}
		sbs = append(sbs, sb)
	}
	return n.blockDB.saveFinalBatch(sbs)
}

// WipeBlocks empties the block database (a bootstrap starting over).
func (b bootstrapBlocks) WipeBlocks() error { return b.n.blockDB.wipeBlocks() }
