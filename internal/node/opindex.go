package node

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// The node holds the operations of recent blocks in memory and finds them
// by id through opIndex. Consensus releases the operations of final blocks
// older than ForceKeepFinalPeriods (Massa's force_keep_final_periods):
// the node then keeps those blocks as headers (stripped) and reads their
// operations back from the block database, where every final block was
// saved with its operations before execution saw it.

// opLoc places an operation in a held block: the block and the operation's
// position in its list, so finding an operation by id is one map lookup,
// not a scan of a block that may carry 15,000 operations. Entries sharing
// a key (an operation held by several blocks, competing blocks of its
// thread, or two ids with the same first 8 bytes) chain through next, nil
// in the common case.
type opLoc struct {
	sb   *storedBlock
	next *opLoc
	idx  uint32
}

// opIndex finds the operations of the held blocks whose operations are
// held. It is keyed by the first 8 bytes of the operation id, not the
// whole id: the entry for each operation in memory then costs about half
// as much, and the full id is checked on the operation itself
// (sb.ops[idx]), which the index keeps alive anyway.
type opIndex map[uint64]opLoc

func opIndexKey(id types.OperationID) uint64 { return binary.BigEndian.Uint64(id[:8]) }

// is reports whether l places operation id.
func (l *opLoc) is(id types.OperationID) bool {
	i := int(l.idx)
	return i < len(l.sb.ops) && l.sb.ops[i].ID == id
}

// add records that operation id is at position idx of sb.ops, after the
// blocks already recorded for it.
func (x opIndex) add(id types.OperationID, sb *storedBlock, idx int) {
	k := opIndexKey(id)
	loc := opLoc{sb: sb, idx: uint32(idx)}
	head, ok := x[k]
	if !ok {
		x[k] = loc
		return
	}
	if head.next == nil {
		head.next = &loc
		x[k] = head
		return
	}
	last := head.next
	for last.next != nil {
		last = last.next
	}
	last.next = &loc
}

// remove forgets every position of operation id in sb. It must run while
// sb.ops is still the list the positions were recorded from.
func (x opIndex) remove(id types.OperationID, sb *storedBlock) {
	k := opIndexKey(id)
	head, ok := x[k]
	if !ok {
		return
	}
	if head.next == nil {
		if head.sb == sb && head.is(id) {
			delete(x, k)
		}
		return
	}
	var rest []opLoc
	for l := &head; l != nil; l = l.next {
		if l.sb != sb || !l.is(id) {
			rest = append(rest, opLoc{sb: l.sb, idx: l.idx})
		}
	}
	if len(rest) == 0 {
		delete(x, k)
		return
	}
	for i := len(rest) - 2; i >= 0; i-- {
		rest[i].next = &rest[i+1]
	}
	x[k] = rest[0]
}

// blocks lists the held blocks carrying operation id, in the order they
// were stored.
func (x opIndex) blocks(id types.OperationID) []types.BlockID {
	head, ok := x[opIndexKey(id)]
	if !ok {
		return nil
	}
	var out []types.BlockID
	for l := &head; l != nil; l = l.next {
		if l.is(id) {
			out = append(out, l.sb.block.ID())
		}
	}
	return out
}

// op returns operation id from the first held block carrying it.
func (x opIndex) op(id types.OperationID) *types.SignedOperation {
	head, ok := x[opIndexKey(id)]
	if !ok {
		return nil
	}
	for l := &head; l != nil; l = l.next {
		if l.is(id) {
			return l.sb.ops[l.idx]
		}
	}
	return nil
}

// has reports whether a held block carries operation id with its
// operations.
func (x opIndex) has(id types.OperationID) bool { return x.op(id) != nil }

// stripped reports whether the block is held as a header only, its
// operations released to the block database.
func (sb *storedBlock) stripped() bool {
	return sb.released || (sb.ops == nil && len(sb.block.Operations) > 0)
}

// release drops the block's operations and their ids from memory, keeping
// a header-only block: the ids alone are 32 bytes per operation for 32
// periods (160 MB at 10,000 operations/s). Readers that show them load the
// block from the database (stripped).
func (sb *storedBlock) release() {
	sb.ops = nil
	sb.released = true
	if len(sb.block.Operations) > 0 {
		sb.block = &types.Block{Header: sb.block.Header}
	}
}

// releaseOps keeps block id as a header only: consensus no longer needs
// its operations (an old final block), and the block database has them.
// Called with n.mu held.
func (n *Node) releaseOps(id types.BlockID) {
	sb, ok := n.blocks[id]
	if !ok || sb.ops == nil {
		return
	}
	for _, op := range sb.ops {
		n.opBlocks.remove(op.ID, sb)
	}
	sb.release()
}

// fullBlock returns the block with its operation ids, read back from the
// block database when it is held as a header only.
func (n *Node) fullBlock(sb *storedBlock) (*types.Block, error) {
	if !sb.stripped() {
		return sb.block, nil
	}
	r, err := n.readReleased(sb.block.ID(), false)
	if err != nil {
		return nil, err
	}
	return r.block, nil
}

// blockOps returns the operations of a held block, read back from the
// block database when the block is stripped.
func (n *Node) blockOps(sb *storedBlock) ([]*types.SignedOperation, error) {
	if !sb.stripped() {
		return sb.ops, nil
	}
	r, err := n.readReleased(sb.block.ID(), true)
	if err != nil {
		return nil, err
	}
	return r.ops, nil
}

// readReleased reads a block held as a header only back from the block
// database: the block with its operation ids, and its operations when
// withOps is set.
func (n *Node) readReleased(id types.BlockID, withOps bool) (*storedBlock, error) {
	sb, ok, err := n.blockDB.get(id, withOps)
	if err != nil {
		return nil, fmt.Errorf("block database: block %s: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("block database: released block %s is not stored", id)
	}
	return sb, nil
}
