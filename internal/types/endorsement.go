package types

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Endorsement is the signed content of an endorsement: the creator, drawn
// for (Slot, Index), vouches for EndorsedBlock, the parent in Slot.Thread of
// the block that will include the endorsement.
type Endorsement struct {
	Slot          Slot    `json:"slot"`
	Index         uint32  `json:"index"`
	EndorsedBlock BlockID `json:"endorsed_block"`
}

// Sizes of the endorsement wire forms.
const (
	// secureShareOverhead is signature || creator key in front of a content.
	secureShareOverhead = crypto.VersionedSignatureSize + crypto.VersionedPublicKeySize
	// minLightEndorsementSize is the smallest light-weight endorsement:
	// envelope and a one-byte index.
	minLightEndorsementSize = secureShareOverhead + 1
)

// AppendBinary appends the full serialization: slot || u32 varint index ||
// endorsed block id.
func (e Endorsement) AppendBinary(dst []byte) []byte {
	dst = e.Slot.AppendBinary(dst)
	dst = AppendUvarint(dst, uint64(e.Index))
	return e.EndorsedBlock.AppendBinary(dst)
}

// Encode returns the full serialization.
func (e Endorsement) Encode() []byte { return e.AppendBinary(make([]byte, 0, 16+IDSize)) }

// Endorsement reads a full endorsement content; field prefixes the names in
// errors.
func (r *Reader) Endorsement(field string, threadCount uint8, endorsementCount uint32) Endorsement {
	var e Endorsement
	e.Slot = r.Slot(sub(field, "slot"), threadCount)
	e.Index = r.endorsementIndex(sub(field, "index"), endorsementCount)
	e.EndorsedBlock = r.BlockID(sub(field, "endorsed_block"))
	return e
}

// endorsementIndex reads a u32 varint index < endorsementCount.
func (r *Reader) endorsementIndex(field string, endorsementCount uint32) uint32 {
	i := r.U32(field)
	if r.err == nil && i >= endorsementCount {
		r.Failf(field, ErrOutOfRange, "%d >= endorsement count %d", i, endorsementCount)
		return 0
	}
	return i
}

// DecodeEndorsement parses exactly one full endorsement content.
func DecodeEndorsement(b []byte, p CodecParams) (Endorsement, error) {
	r := NewReader(b, "endorsement")
	e := r.Endorsement("", p.ThreadCount, p.EndorsementCount)
	return e, r.Done()
}

// EndorsementHash is the id hash: BLAKE3(versioned creator key || full
// content). No chain id.
func EndorsementHash(creator crypto.PublicKey, content []byte) crypto.Hash {
	var prefix [crypto.VersionedPublicKeySize]byte
	creator.AppendBytes(prefix[:0])
	return crypto.HashOfParts(prefix[:], content)
}

// EndorsementSignedHash is what an endorser signs: BLAKE3(versioned key ||
// period u64 BE || thread || index u32 LE || id hash). Binding slot and index
// outside the id lets a denunciation prove double-signing from two hashes.
func EndorsementSignedHash(creator crypto.PublicKey, slot Slot, index uint32, id crypto.Hash) crypto.Hash {
	var buf [crypto.VersionedPublicKeySize + SlotKeySize + 4 + crypto.HashSize]byte
	b := creator.AppendBytes(buf[:0])
	k := slot.Key()
	b = append(b, k[:]...)
	b = binary.LittleEndian.AppendUint32(b, index)
	b = append(b, id[:]...)
	return crypto.HashOf(b)
}

// SignedEndorsement is an endorsement with its creator and signature
// (Massa's SecureShare<Endorsement>).
type SignedEndorsement struct {
	Endorsement Endorsement
	// Content is the full serialization the id covers: the received bytes
	// for a standalone endorsement, the re-serialized content for one read
	// from a header (as Massa does).
	Content   []byte
	Creator   crypto.PublicKey
	Signature crypto.Signature

	ID          EndorsementID
	CreatorAddr Address
}

// SignEndorsement serializes, hashes and signs e.
func SignEndorsement(e Endorsement, key *crypto.SecretKey) *SignedEndorsement {
	content := e.Encode()
	pub := key.Public()
	id := EndorsementHash(pub, content)
	return &SignedEndorsement{
		Endorsement: e,
		Content:     content,
		Creator:     pub,
		Signature:   key.Sign(EndorsementSignedHash(pub, e.Slot, e.Index, id)),
		ID:          EndorsementID(id),
		CreatorAddr: AddressOf(pub),
	}
}

// NewSignedEndorsement assembles a signed endorsement from its parts and
// computes its id over the re-serialized content. It does not check the
// signature.
func NewSignedEndorsement(e Endorsement, creator crypto.PublicKey, sig crypto.Signature) *SignedEndorsement {
	return newSignedEndorsement(e, e.Encode(), creator, sig)
}

func newSignedEndorsement(e Endorsement, content []byte, creator crypto.PublicKey, sig crypto.Signature) *SignedEndorsement {
	return &SignedEndorsement{
		Endorsement: e,
		Content:     content,
		Creator:     creator,
		Signature:   sig,
		ID:          EndorsementID(EndorsementHash(creator, content)),
		CreatorAddr: AddressOf(creator),
	}
}

// SignedHash is the digest the creator signed.
func (se *SignedEndorsement) SignedHash() crypto.Hash {
	return EndorsementSignedHash(se.Creator, se.Endorsement.Slot, se.Endorsement.Index, crypto.Hash(se.ID))
}

// VerifySignature checks the creator's signature.
func (se *SignedEndorsement) VerifySignature() bool {
	return crypto.Verify(se.Creator, se.SignedHash(), se.Signature)
}

// SigItem returns the triple for batch verification.
func (se *SignedEndorsement) SigItem() (crypto.PublicKey, crypto.Hash, crypto.Signature) {
	return se.Creator, se.SignedHash(), se.Signature
}

// content returns the bytes the id covers, re-serializing when a caller
// built the struct by hand without them.
func (se *SignedEndorsement) content() []byte {
	if se.Content != nil {
		return se.Content
	}
	return se.Endorsement.Encode()
}

// AppendBinary appends the full SecureShare wire form: signature || key ||
// full content.
func (se *SignedEndorsement) AppendBinary(dst []byte) []byte {
	dst = se.Signature.AppendBytes(dst)
	dst = se.Creator.AppendBytes(dst)
	return append(dst, se.content()...)
}

// Encode returns the full SecureShare wire form.
func (se *SignedEndorsement) Encode() []byte { return se.AppendBinary(nil) }

// AppendLightBinary appends the light-weight form used inside headers:
// signature || key || u32 varint index. The header supplies slot and
// endorsed block.
func (se *SignedEndorsement) AppendLightBinary(dst []byte) []byte {
	dst = se.Signature.AppendBytes(dst)
	dst = se.Creator.AppendBytes(dst)
	return AppendUvarint(dst, uint64(se.Endorsement.Index))
}

// SerializedSize is the size of the full SecureShare wire form.
func (se *SignedEndorsement) SerializedSize() int { return secureShareOverhead + len(se.content()) }

// SignedEndorsement reads a full SecureShare endorsement; the id covers the
// received content bytes.
func (r *Reader) SignedEndorsement(field string, p CodecParams) *SignedEndorsement {
	sig := r.Signature(sub(field, "signature"))
	pub := r.PublicKey(sub(field, "creator_public_key"))
	start := r.off
	e := r.Endorsement(field, p.ThreadCount, p.EndorsementCount)
	if r.err != nil {
		return nil
	}
	content := append([]byte(nil), r.buf[start:r.off]...)
	return newSignedEndorsement(e, content, pub, sig)
}

// DecodeSignedEndorsement parses exactly one full SecureShare endorsement.
func DecodeSignedEndorsement(b []byte, p CodecParams) (*SignedEndorsement, error) {
	r := NewReader(b, "endorsement")
	se := r.SignedEndorsement("", p)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return se, nil
}

// LightEndorsement reads the light-weight form found in a header at slot
// whose same-thread parent is endorsed; the id is computed over the full
// content rebuilt from them.
func (r *Reader) LightEndorsement(field string, endorsementCount uint32, slot Slot, endorsed BlockID) *SignedEndorsement {
	sig := r.Signature(sub(field, "signature"))
	pub := r.PublicKey(sub(field, "creator_public_key"))
	idx := r.endorsementIndex(sub(field, "index"), endorsementCount)
	if r.err != nil {
		return nil
	}
	return NewSignedEndorsement(Endorsement{Slot: slot, Index: idx, EndorsedBlock: endorsed}, pub, sig)
}

// JSON returns the SecureShare JSON form.
func (se *SignedEndorsement) JSON() SecureShareJSON[Endorsement] {
	return SecureShareJSON[Endorsement]{
		Content: se.Endorsement, Signature: se.Signature, CreatorPublicKey: se.Creator,
		CreatorAddress: se.CreatorAddr, ID: se.ID.String(),
	}
}

// signedEndorsementFromJSON rebuilds a signed endorsement from its JSON and
// checks that the stated id and address match the content.
func signedEndorsementFromJSON(j SecureShareJSON[Endorsement]) (*SignedEndorsement, error) {
	se := NewSignedEndorsement(j.Content, j.CreatorPublicKey, j.Signature)
	if j.ID != se.ID.String() {
		return nil, fmt.Errorf("endorsement json: id %q: %w the content (%s)", clip(j.ID), ErrMismatch, se.ID)
	}
	if !j.CreatorAddress.IsZero() && j.CreatorAddress != se.CreatorAddr {
		return nil, fmt.Errorf("endorsement json: creator address %s: %w the key", j.CreatorAddress, ErrMismatch)
	}
	return se, nil
}
