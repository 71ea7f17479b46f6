package consensustest

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/consensus"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Producer is the address Draws assigns to produce a slot.
func Producer(s types.Slot) types.Address {
	return addr("producer", s, 0)
}

// Endorser is the address Draws assigns to endorse (slot, index).
func Endorser(s types.Slot, index uint32) types.Address {
	return addr("endorser", s, index)
}

func addr(kind string, s types.Slot, index uint32) types.Address {
	var b [13]byte
	binary.BigEndian.PutUint64(b[:8], s.Period)
	b[8] = s.Thread
	binary.BigEndian.PutUint32(b[9:], index)
	return types.Address{Hash: crypto.HashOfTuple([]byte(kind), b[:])}
}

// Draws is a deterministic selector: Producer and Endorser above, except
// that slots whose period is above ReadyUntil (when HasLimit) report
// consensus.ErrDrawsNotReady.
type Draws struct {
	HasLimit   bool
	ReadyUntil uint64
}

// Producer implements consensus.Draws.
func (d *Draws) Producer(s types.Slot) (types.Address, error) {
	if d.HasLimit && s.Period > d.ReadyUntil {
		return types.Address{}, fmt.Errorf("slot %s: %w", s, consensus.ErrDrawsNotReady)
	}
	return Producer(s), nil
}

// Endorser implements consensus.Draws.
func (d *Draws) Endorser(s types.Slot, index uint32) (types.Address, error) {
	if d.HasLimit && s.Period > d.ReadyUntil {
		return types.Address{}, fmt.Errorf("slot %s: %w", s, consensus.ErrDrawsNotReady)
	}
	return Endorser(s, index), nil
}

// GenesisIDs returns deterministic genesis ids for n threads.
func GenesisIDs(n uint8) []types.BlockID {
	out := make([]types.BlockID, n)
	for t := range out {
		out[t] = types.BlockID(crypto.HashOfTuple([]byte("genesis"), []byte{byte(t)}))
	}
	return out
}

// Block builds a well-formed header at slot on parents, created by the
// drawn producer, with the first `endorsements` endorsement indices filled
// by the drawn endorsers. salt distinguishes blocks that would otherwise
// be identical (double production). The id hashes everything.
func Block(slot types.Slot, parents []types.BlockID, endorsements int, salt uint64) consensus.Header {
	h := consensus.Header{
		Slot:    slot,
		Parents: append([]types.BlockID(nil), parents...),
		Creator: Producer(slot),
	}
	for i := range endorsements {
		h.Endorsers = append(h.Endorsers, consensus.EndorsementRef{Index: uint32(i), Creator: Endorser(slot, uint32(i))})
	}
	h.ID = IDOf(h, salt)
	return h
}

// IDOf hashes a header's slot, parents, endorsement count and salt.
func IDOf(h consensus.Header, salt uint64) types.BlockID {
	buf := make([]byte, 0, 8+1+8+8+len(h.Parents)*32)
	buf = binary.BigEndian.AppendUint64(buf, h.Slot.Period)
	buf = append(buf, h.Slot.Thread)
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(h.Endorsers)))
	buf = binary.BigEndian.AppendUint64(buf, salt)
	for _, p := range h.Parents {
		buf = append(buf, p[:]...)
	}
	return types.BlockID(crypto.HashOf(buf))
}

// SmallParams returns test parameters: threads threads, the given delta_f0
// and endorsement count, t0 = 1000 * threads ms, mainnet queue limits.
func SmallParams(threads uint8, deltaF0 uint64, endorsements uint32) consensus.Params {
	p := consensus.DefaultParams()
	p.ThreadCount = threads
	p.T0 = 1000 * uint64(threads)
	p.DeltaF0 = deltaF0
	p.EndorsementCount = endorsements
	return p
}
