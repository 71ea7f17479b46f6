package types

import (
	"encoding/json"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Block is a signed header and the ids of the operations it includes, in
// block order. Its id is the header's id; the producer signs only the
// header, which commits to the operations through their merkle root.
type Block struct {
	Header     *SignedHeader
	Operations []OperationID
}

// ID is the block id (the header id).
func (b *Block) ID() BlockID { return b.Header.ID }

// Slot is the block's slot.
func (b *Block) Slot() Slot { return b.Header.Header.Slot }

// Parents are the block's parents, one per thread (none for genesis).
func (b *Block) Parents() []BlockID { return b.Header.Header.Parents }

// Creator is the producer's address.
func (b *Block) Creator() Address { return b.Header.CreatorAddr }

// OperationMerkleRoot is Massa's compute_operations_hash: the tuple hash
// (each part prefixed by its u64 BE length) over the 33-byte versioned ids in
// block order. No ids give BLAKE3 of the empty input.
func OperationMerkleRoot(ids []OperationID) crypto.Hash {
	if len(ids) == 0 {
		return crypto.HashOf(nil)
	}
	buf := make([]byte, 0, len(ids)*IDSize)
	parts := make([][]byte, len(ids))
	for i, id := range ids {
		start := len(buf)
		buf = id.AppendBinary(buf)
		parts[i] = buf[start:len(buf):len(buf)]
	}
	return crypto.HashOfTuple(parts...)
}

// MerkleRootMatches reports whether the header commits to Operations.
func (b *Block) MerkleRootMatches() bool {
	return OperationMerkleRoot(b.Operations) == b.Header.Header.OperationMerkleRoot
}

// SignBlock sets h's merkle root from ops, signs the header with key and
// returns the block.
func SignBlock(h BlockHeader, ops []OperationID, key *crypto.SecretKey) *Block {
	h.OperationMerkleRoot = OperationMerkleRoot(ops)
	return &Block{Header: SignHeader(h, key), Operations: ops}
}

// GenesisBlock builds the genesis block of a thread: slot (period, thread),
// no parents, no operations, current version 0, no announced version,
// signed by the network's genesis key. period is the last start period (0
// for a network started from scratch).
func GenesisBlock(key *crypto.SecretKey, thread uint8, period uint64) *Block {
	h := BlockHeader{Slot: Slot{Period: period, Thread: thread}}
	return SignBlock(h, nil, key)
}

// AppendBinary appends the wire form: SecureShare header || u32 varint
// operation count || 33-byte operation ids.
func (b *Block) AppendBinary(dst []byte) []byte {
	dst = b.Header.AppendBinary(dst)
	dst = AppendUvarint(dst, uint64(len(b.Operations)))
	for _, id := range b.Operations {
		dst = id.AppendBinary(dst)
	}
	return dst
}

// Encode returns the wire form.
func (b *Block) Encode() []byte { return b.AppendBinary(make([]byte, 0, b.SerializedSize())) }

// SerializedSize is the size of the wire form.
func (b *Block) SerializedSize() int {
	return b.Header.SerializedSize() + UvarintLen(uint64(len(b.Operations))) + len(b.Operations)*IDSize
}

// Block reads a block. Duplicate operation ids and the merkle root are
// left to consensus, as in Massa.
func (r *Reader) Block(field string, p CodecParams) *Block {
	h := r.SignedHeader(sub(field, "header"), p)
	opsField := sub(field, "operations")
	n := r.U32Max(opsField+" count", p.MaxOperationsPerBlock)
	if r.err != nil {
		return nil
	}
	if uint64(r.Remaining()) < uint64(n)*IDSize {
		r.Failf(opsField, ErrTruncated, "%d ids need %d bytes, %d left", n, uint64(n)*IDSize, r.Remaining())
		return nil
	}
	var ops []OperationID
	if n > 0 {
		ops = make([]OperationID, n)
		for i := range ops {
			ops[i] = r.OperationID(opsField)
		}
	}
	if r.err != nil {
		return nil
	}
	return &Block{Header: h, Operations: ops}
}

// DecodeBlock parses exactly one block.
func DecodeBlock(b []byte, p CodecParams) (*Block, error) {
	r := NewReader(b, "block")
	blk := r.Block("", p)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return blk, nil
}

// blockJSON is the serde form of a block.
type blockJSON struct {
	Header     *SignedHeader `json:"header"`
	Operations []OperationID `json:"operations"`
}

// MarshalJSON writes {"header": <SecureShare JSON>, "operations": ["O…"]}.
func (b *Block) MarshalJSON() ([]byte, error) {
	if b.Header == nil {
		return nil, fmt.Errorf("block json: no header: %w", ErrBadEncoding)
	}
	ops := b.Operations
	if ops == nil {
		ops = []OperationID{}
	}
	return json.Marshal(blockJSON{Header: b.Header, Operations: ops})
}

// UnmarshalJSON reads the JSON form; the header id is checked against its
// content.
func (b *Block) UnmarshalJSON(data []byte) error {
	var j blockJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("block json: %w", err)
	}
	if j.Header == nil {
		return fmt.Errorf("block json: no header: %w", ErrBadEncoding)
	}
	if len(j.Operations) == 0 {
		j.Operations = nil
	}
	*b = Block(j)
	return nil
}
