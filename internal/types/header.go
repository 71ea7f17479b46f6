package types

import (
	"encoding/json"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// BlockHeader is the signed content of a block header.
type BlockHeader struct {
	// CurrentVersion is the network (MIP) version the producer runs.
	CurrentVersion uint32
	// AnnouncedVersion is the version the producer votes for, if any.
	AnnouncedVersion *uint32
	Slot             Slot
	// Parents holds one block per thread in thread order, or nothing for a
	// genesis header.
	Parents             []BlockID
	OperationMerkleRoot crypto.Hash
	// Endorsements all endorse Parents[Slot.Thread] at Slot, with distinct
	// indices.
	Endorsements  []*SignedEndorsement
	Denunciations []Denunciation
}

// Option tags of Massa's OptionSerializer: ASCII digits, not 0/1.
const (
	optionNone byte = '0'
	optionSome byte = '1'
)

// IsGenesis reports a header without parents.
func (h *BlockHeader) IsGenesis() bool { return len(h.Parents) == 0 }

// SameThreadParent is the parent the endorsements endorse; the zero id for
// genesis headers.
func (h *BlockHeader) SameThreadParent() BlockID {
	if int(h.Slot.Thread) >= len(h.Parents) {
		return BlockID{}
	}
	return h.Parents[h.Slot.Thread]
}

// Fitness is the number of endorsements plus one.
func (h *BlockHeader) Fitness() uint64 { return uint64(len(h.Endorsements)) + 1 }

// AppendBinary appends the serialized content, byte-exact with Massa's
// BlockHeaderSerializer (endorsements in their light-weight form).
func (h *BlockHeader) AppendBinary(dst []byte) []byte {
	dst = AppendUvarint(dst, uint64(h.CurrentVersion))
	if h.AnnouncedVersion == nil {
		dst = append(dst, optionNone)
	} else {
		dst = append(dst, optionSome)
		dst = AppendUvarint(dst, uint64(*h.AnnouncedVersion))
	}
	dst = h.Slot.AppendBinary(dst)
	if len(h.Parents) == 0 {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		for _, p := range h.Parents {
			dst = p.AppendBinary(dst)
		}
	}
	dst = append(dst, h.OperationMerkleRoot[:]...)
	dst = AppendUvarint(dst, uint64(len(h.Endorsements)))
	for _, e := range h.Endorsements {
		dst = e.AppendLightBinary(dst)
	}
	dst = AppendUvarint(dst, uint64(len(h.Denunciations)))
	for i := range h.Denunciations {
		dst = h.Denunciations[i].AppendBinary(dst)
	}
	return dst
}

// Encode returns the serialized content.
func (h *BlockHeader) Encode() []byte {
	n := 48 + len(h.Parents)*IDSize + len(h.Endorsements)*(minLightEndorsementSize+1) +
		len(h.Denunciations)*(minHeaderDenunciationSize+8)
	return h.AppendBinary(make([]byte, 0, n))
}

// optionU32 reads Massa's Option<u32>: '0', or '1' then a u32 varint.
func (r *Reader) optionU32(field string) *uint32 {
	tag := r.Byte(field)
	if r.err != nil {
		return nil
	}
	switch tag {
	case optionNone:
		return nil
	case optionSome:
		v := r.U32(field)
		if r.err != nil {
			return nil
		}
		return &v
	}
	r.Failf(field, ErrBadEncoding, "option tag 0x%02x", tag)
	return nil
}

// BlockHeader reads a header content with the checks of Massa's
// deserializer: thread-count parents or none, endorsement and denunciation
// counts within limits, endorsement indices distinct, and a header without
// parents carrying no endorsements and no denunciations.
func (r *Reader) BlockHeader(field string, p CodecParams) BlockHeader {
	var h BlockHeader
	h.CurrentVersion = r.U32(sub(field, "current_version"))
	h.AnnouncedVersion = r.optionU32(sub(field, "announced_version"))
	h.Slot = r.Slot(sub(field, "slot"), p.ThreadCount)
	parentsField := sub(field, "parents")
	flag := r.Byte(parentsField)
	if r.err != nil {
		return h
	}
	switch flag {
	case 0:
	case 1:
		n := int(p.ThreadCount)
		if r.Remaining() < n*IDSize {
			r.Failf(parentsField, ErrTruncated, "%d parents need %d bytes, %d left", n, n*IDSize, r.Remaining())
			return h
		}
		h.Parents = make([]BlockID, n)
		for i := range h.Parents {
			h.Parents[i] = r.BlockID(parentsField)
		}
	default:
		r.Failf(parentsField, ErrBadEncoding, "flag byte 0x%02x", flag)
		return h
	}
	if lsp := p.LastStartPeriod; lsp != nil && r.err == nil {
		switch {
		case h.Slot.Period == *lsp && len(h.Parents) != 0:
			r.Failf(parentsField, ErrBadParents, "genesis header at period %d has parents", *lsp)
		case h.Slot.Period != *lsp && len(h.Parents) == 0:
			r.Failf(parentsField, ErrBadParents, "header at period %d has no parents", h.Slot.Period)
		}
	}
	h.OperationMerkleRoot = r.Hash(sub(field, "operation_merkle_root"))
	if r.err != nil {
		return h
	}

	if len(h.Parents) == 0 {
		// Massa matches the literal bytes 00 00 here: two empty lists.
		e := r.Byte(sub(field, "endorsements count"))
		d := r.Byte(sub(field, "denunciations count"))
		if r.err == nil && (e != 0 || d != 0) {
			r.Failf(sub(field, "endorsements"), ErrBadParents, "a header without parents must carry no endorsements or denunciations")
		}
		return h
	}

	endField := sub(field, "endorsements")
	ne := r.U32Max(endField+" count", p.EndorsementCount)
	if r.err != nil {
		return h
	}
	if ne > 0 {
		if uint64(r.Remaining()) < uint64(ne)*minLightEndorsementSize {
			r.Failf(endField, ErrTruncated, "%d endorsements need at least %d bytes, %d left", ne, uint64(ne)*minLightEndorsementSize, r.Remaining())
			return h
		}
		endorsed := h.Parents[h.Slot.Thread]
		h.Endorsements = make([]*SignedEndorsement, 0, ne)
		seen := make(map[uint32]struct{}, ne)
		for i := uint32(0); i < ne; i++ {
			se := r.LightEndorsement(endField, p.EndorsementCount, h.Slot, endorsed)
			if r.err != nil {
				return h
			}
			if _, dup := seen[se.Endorsement.Index]; dup {
				r.Failf(endField, ErrDuplicate, "index %d", se.Endorsement.Index)
				return h
			}
			seen[se.Endorsement.Index] = struct{}{}
			h.Endorsements = append(h.Endorsements, se)
		}
	}

	denField := sub(field, "denunciations")
	nd := r.U32Max(denField+" count", p.MaxDenunciationsPerHeader)
	if r.err != nil {
		return h
	}
	if nd > 0 {
		if uint64(r.Remaining()) < uint64(nd)*minHeaderDenunciationSize {
			r.Failf(denField, ErrTruncated, "%d denunciations need at least %d bytes, %d left", nd, uint64(nd)*minHeaderDenunciationSize, r.Remaining())
			return h
		}
		h.Denunciations = make([]Denunciation, 0, nd)
		for i := uint32(0); i < nd; i++ {
			d := r.Denunciation(denField, p.ThreadCount, p.EndorsementCount)
			if r.err != nil {
				return h
			}
			h.Denunciations = append(h.Denunciations, d)
		}
	}
	return h
}

// DecodeBlockHeader parses exactly one header content.
func DecodeBlockHeader(b []byte, p CodecParams) (BlockHeader, error) {
	r := NewReader(b, "block header")
	h := r.BlockHeader("", p)
	return h, r.Done()
}

// HeaderHash is the block id hash: BLAKE3(versioned creator key || header
// content). No chain id.
func HeaderHash(creator crypto.PublicKey, content []byte) crypto.Hash {
	return EndorsementHash(creator, content) // same SecureShare default hash
}

// HeaderSignedHash is what a producer signs: BLAKE3(versioned key || period
// u64 BE || thread || header id hash).
func HeaderSignedHash(creator crypto.PublicKey, slot Slot, id crypto.Hash) crypto.Hash {
	var buf [crypto.VersionedPublicKeySize + SlotKeySize + crypto.HashSize]byte
	b := creator.AppendBytes(buf[:0])
	k := slot.Key()
	b = append(b, k[:]...)
	b = append(b, id[:]...)
	return crypto.HashOf(b)
}

// SignedHeader is a header with its producer and signature (Massa's
// SecuredHeader). Its id is the block id.
type SignedHeader struct {
	Header BlockHeader
	// Content is the serialized header the id covers (the received bytes
	// when decoded).
	Content   []byte
	Creator   crypto.PublicKey
	Signature crypto.Signature

	ID          BlockID
	CreatorAddr Address
}

// SignHeader serializes, hashes and signs h.
func SignHeader(h BlockHeader, key *crypto.SecretKey) *SignedHeader {
	content := h.Encode()
	pub := key.Public()
	id := HeaderHash(pub, content)
	return &SignedHeader{
		Header:      h,
		Content:     content,
		Creator:     pub,
		Signature:   key.Sign(HeaderSignedHash(pub, h.Slot, id)),
		ID:          BlockID(id),
		CreatorAddr: AddressOf(pub),
	}
}

// NewSignedHeader assembles a signed header from its parts and computes its
// id over the serialized content. It does not check the signature.
func NewSignedHeader(h BlockHeader, creator crypto.PublicKey, sig crypto.Signature) *SignedHeader {
	return newSignedHeader(h, h.Encode(), creator, sig)
}

func newSignedHeader(h BlockHeader, content []byte, creator crypto.PublicKey, sig crypto.Signature) *SignedHeader {
	return &SignedHeader{
		Header:      h,
		Content:     content,
		Creator:     creator,
		Signature:   sig,
		ID:          BlockID(HeaderHash(creator, content)),
		CreatorAddr: AddressOf(creator),
	}
}

// Slot is the header's slot.
func (sh *SignedHeader) Slot() Slot { return sh.Header.Slot }

// Fitness is the number of endorsements plus one.
func (sh *SignedHeader) Fitness() uint64 { return sh.Header.Fitness() }

// SignedHash is the digest the producer signed.
func (sh *SignedHeader) SignedHash() crypto.Hash {
	return HeaderSignedHash(sh.Creator, sh.Header.Slot, crypto.Hash(sh.ID))
}

// VerifySignature checks the producer's signature (not the endorsements').
func (sh *SignedHeader) VerifySignature() bool {
	return crypto.Verify(sh.Creator, sh.SignedHash(), sh.Signature)
}

// SigItem returns the producer's triple for batch verification.
func (sh *SignedHeader) SigItem() (crypto.PublicKey, crypto.Hash, crypto.Signature) {
	return sh.Creator, sh.SignedHash(), sh.Signature
}

// SigItems returns the producer's signature followed by every endorsement's,
// ready for one batch verification. Denunciations are checked apart
// (Denunciation.SigItems): an invalid one does not make the header invalid
// at this level.
func (sh *SignedHeader) SigItems() []crypto.SigItem {
	out := make([]crypto.SigItem, 0, 1+len(sh.Header.Endorsements))
	pk, d, s := sh.SigItem()
	out = append(out, crypto.SigItem{PublicKey: pk, Digest: d, Signature: s})
	for _, e := range sh.Header.Endorsements {
		pk, d, s := e.SigItem()
		out = append(out, crypto.SigItem{PublicKey: pk, Digest: d, Signature: s})
	}
	return out
}

// content returns the bytes the id covers.
func (sh *SignedHeader) content() []byte {
	if sh.Content != nil {
		return sh.Content
	}
	return sh.Header.Encode()
}

// AppendBinary appends the SecureShare wire form: signature || key ||
// content.
func (sh *SignedHeader) AppendBinary(dst []byte) []byte {
	dst = sh.Signature.AppendBytes(dst)
	dst = sh.Creator.AppendBytes(dst)
	return append(dst, sh.content()...)
}

// Encode returns the SecureShare wire form.
func (sh *SignedHeader) Encode() []byte {
	return sh.AppendBinary(make([]byte, 0, sh.SerializedSize()))
}

// SerializedSize is the size of the SecureShare wire form.
func (sh *SignedHeader) SerializedSize() int { return secureShareOverhead + len(sh.content()) }

// SignedHeader reads a SecureShare header; the id covers the received
// content bytes.
func (r *Reader) SignedHeader(field string, p CodecParams) *SignedHeader {
	sig := r.Signature(sub(field, "signature"))
	pub := r.PublicKey(sub(field, "creator_public_key"))
	start := r.off
	h := r.BlockHeader(field, p)
	if r.err != nil {
		return nil
	}
	content := append([]byte(nil), r.buf[start:r.off]...)
	return newSignedHeader(h, content, pub, sig)
}

// DecodeSignedHeader parses exactly one SecureShare header.
func DecodeSignedHeader(b []byte, p CodecParams) (*SignedHeader, error) {
	r := NewReader(b, "block header")
	sh := r.SignedHeader("", p)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return sh, nil
}

// blockHeaderJSON is the serde form of a header content.
type blockHeaderJSON struct {
	CurrentVersion      uint32               `json:"current_version"`
	AnnouncedVersion    *uint32              `json:"announced_version"`
	Slot                Slot                 `json:"slot"`
	Parents             []BlockID            `json:"parents"`
	OperationMerkleRoot crypto.Hash          `json:"operation_merkle_root"`
	Endorsements        []*SignedEndorsement `json:"endorsements"`
	Denunciations       []Denunciation       `json:"denunciations"`
}

// MarshalJSON writes {current_version, announced_version, slot, parents,
// operation_merkle_root, endorsements, denunciations}; endorsements in their
// SecureShare JSON form with full content.
func (h BlockHeader) MarshalJSON() ([]byte, error) {
	j := blockHeaderJSON(h)
	if j.Parents == nil {
		j.Parents = []BlockID{}
	}
	if j.Endorsements == nil {
		j.Endorsements = []*SignedEndorsement{}
	}
	if j.Denunciations == nil {
		j.Denunciations = []Denunciation{}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the JSON form and checks what the binary decoder
// would: endorsements endorse the same-thread parent at the header's slot
// with distinct indices, and a header without parents has none.
func (h *BlockHeader) UnmarshalJSON(b []byte) error {
	var j blockHeaderJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("block header json: %w", err)
	}
	out := BlockHeader{
		CurrentVersion: j.CurrentVersion, AnnouncedVersion: j.AnnouncedVersion, Slot: j.Slot,
		OperationMerkleRoot: j.OperationMerkleRoot,
	}
	if len(j.Parents) > 0 {
		out.Parents = j.Parents
		if int(j.Slot.Thread) >= len(j.Parents) {
			return fmt.Errorf("block header json: slot thread %d with %d parents: %w", j.Slot.Thread, len(j.Parents), ErrBadParents)
		}
	}
	if out.IsGenesis() && (len(j.Endorsements) > 0 || len(j.Denunciations) > 0) {
		return fmt.Errorf("block header json: a header without parents must carry no endorsements or denunciations: %w", ErrBadParents)
	}
	seen := make(map[uint32]struct{}, len(j.Endorsements))
	for i, e := range j.Endorsements {
		if e == nil {
			return fmt.Errorf("block header json: endorsements[%d] is null: %w", i, ErrBadEncoding)
		}
		if e.Endorsement.Slot != out.Slot || e.Endorsement.EndorsedBlock != out.SameThreadParent() {
			return fmt.Errorf("block header json: endorsements[%d]: slot or endorsed block %w the header", i, ErrMismatch)
		}
		if _, dup := seen[e.Endorsement.Index]; dup {
			return fmt.Errorf("block header json: endorsements[%d]: index %d: %w", i, e.Endorsement.Index, ErrDuplicate)
		}
		seen[e.Endorsement.Index] = struct{}{}
	}
	if len(j.Endorsements) > 0 {
		out.Endorsements = j.Endorsements
	}
	if len(j.Denunciations) > 0 {
		out.Denunciations = j.Denunciations
	}
	*h = out
	return nil
}

// JSON returns the SecureShare JSON form.
func (sh *SignedHeader) JSON() SecureShareJSON[BlockHeader] {
	return SecureShareJSON[BlockHeader]{
		Content: sh.Header, Signature: sh.Signature, CreatorPublicKey: sh.Creator,
		CreatorAddress: sh.CreatorAddr, ID: sh.ID.String(),
	}
}

// MarshalJSON writes the SecureShare JSON form.
func (sh *SignedHeader) MarshalJSON() ([]byte, error) { return json.Marshal(sh.JSON()) }

// UnmarshalJSON reads the SecureShare JSON form and checks that the stated
// id matches the content.
func (sh *SignedHeader) UnmarshalJSON(b []byte) error {
	var j SecureShareJSON[BlockHeader]
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("block header json: %w", err)
	}
	v := NewSignedHeader(j.Content, j.CreatorPublicKey, j.Signature)
	if j.ID != v.ID.String() {
		return fmt.Errorf("block header json: id %q: %w the content (%s)", clip(j.ID), ErrMismatch, v.ID)
	}
	if !j.CreatorAddress.IsZero() && j.CreatorAddress != v.CreatorAddr {
		return fmt.Errorf("block header json: creator address %s: %w the key", j.CreatorAddress, ErrMismatch)
	}
	*sh = *v
	return nil
}

// MarshalJSON writes the SecureShare JSON form.
func (se *SignedEndorsement) MarshalJSON() ([]byte, error) { return json.Marshal(se.JSON()) }

// UnmarshalJSON reads the SecureShare JSON form and checks that the stated
// id matches the content.
func (se *SignedEndorsement) UnmarshalJSON(b []byte) error {
	var j SecureShareJSON[Endorsement]
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("endorsement json: %w", err)
	}
	v, err := signedEndorsementFromJSON(j)
	if err != nil {
		return err
	}
	*se = *v
	return nil
}
