package types

import (
	"encoding/json"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
)

// DenunciationKind is the u32 varint type id of a denunciation.
type DenunciationKind uint32

// Denunciation kinds, with Massa's ids.
const (
	DenunciationBlockHeader DenunciationKind = 0
	DenunciationEndorsement DenunciationKind = 1
)

// String names the kind as Massa's JSON does.
func (k DenunciationKind) String() string {
	switch k {
	case DenunciationBlockHeader:
		return "BlockHeader"
	case DenunciationEndorsement:
		return "Endorsement"
	}
	return fmt.Sprintf("DenunciationKind(%d)", uint32(k))
}

// DenunciationExpirePeriods is how old (in periods) a denounced slot may be.
const DenunciationExpirePeriods = 128

// Minimal encoded sizes, used to bound allocations before decoding a list.
const (
	minHeaderDenunciationSize = 1 + crypto.VersionedPublicKeySize + 2 + 2*crypto.HashSize + 2*crypto.VersionedSignatureSize
)

// Denunciation proves that one key signed two different headers for a slot
// (kind BlockHeader) or two different endorsements for a (slot, index)
// (kind Endorsement). Hash1 and Hash2 are the id hashes of the two objects;
// the signatures are over their signed hashes. Index is meaningful for
// endorsement denunciations only.
type Denunciation struct {
	Kind       DenunciationKind
	PublicKey  crypto.PublicKey
	Slot       Slot
	Index      uint32
	Hash1      crypto.Hash
	Hash2      crypto.Hash
	Signature1 crypto.Signature
	Signature2 crypto.Signature
}

// AppendBinary appends type id || key || slot || [index] || hash1 || hash2
// || signature1 || signature2.
func (d *Denunciation) AppendBinary(dst []byte) []byte {
	dst = AppendUvarint(dst, uint64(d.Kind))
	dst = d.PublicKey.AppendBytes(dst)
	dst = d.Slot.AppendBinary(dst)
	if d.Kind == DenunciationEndorsement {
		dst = AppendUvarint(dst, uint64(d.Index))
	}
	dst = append(dst, d.Hash1[:]...)
	dst = append(dst, d.Hash2[:]...)
	dst = d.Signature1.AppendBytes(dst)
	return d.Signature2.AppendBytes(dst)
}

// Encode returns the serialized denunciation.
func (d *Denunciation) Encode() []byte { return d.AppendBinary(nil) }

// Denunciation reads one denunciation.
func (r *Reader) Denunciation(field string, threadCount uint8, endorsementCount uint32) Denunciation {
	var d Denunciation
	kind := r.U32(sub(field, "type"))
	if r.err != nil {
		return d
	}
	d.Kind = DenunciationKind(kind)
	if d.Kind != DenunciationBlockHeader && d.Kind != DenunciationEndorsement {
		r.Failf(sub(field, "type"), ErrUnknownType, "%d", kind)
		return d
	}
	d.PublicKey = r.PublicKey(sub(field, "public_key"))
	d.Slot = r.Slot(sub(field, "slot"), threadCount)
	if d.Kind == DenunciationEndorsement {
		d.Index = r.endorsementIndex(sub(field, "index"), endorsementCount)
	}
	d.Hash1 = r.Hash(sub(field, "hash_1"))
	d.Hash2 = r.Hash(sub(field, "hash_2"))
	d.Signature1 = r.Signature(sub(field, "signature_1"))
	d.Signature2 = r.Signature(sub(field, "signature_2"))
	return d
}

// DecodeDenunciation parses exactly one denunciation.
func DecodeDenunciation(b []byte, p CodecParams) (Denunciation, error) {
	r := NewReader(b, "denunciation")
	d := r.Denunciation("", p.ThreadCount, p.EndorsementCount)
	return d, r.Done()
}

// signedHash rebuilds what the denounced key signed for content hash h.
func (d *Denunciation) signedHash(h crypto.Hash) crypto.Hash {
	if d.Kind == DenunciationEndorsement {
		return EndorsementSignedHash(d.PublicKey, d.Slot, d.Index, h)
	}
	return HeaderSignedHash(d.PublicKey, d.Slot, h)
}

// SigItems returns the two signatures to check, for batch verification.
func (d *Denunciation) SigItems() [2]crypto.SigItem {
	return [2]crypto.SigItem{
		{PublicKey: d.PublicKey, Digest: d.signedHash(d.Hash1), Signature: d.Signature1},
		{PublicKey: d.PublicKey, Digest: d.signedHash(d.Hash2), Signature: d.Signature2},
	}
}

// IsValid reports what Massa's is_valid checks: the two hashes differ and
// both signatures verify. Expiry and whether the key was drawn are checked
// by the components that know the chain.
func (d *Denunciation) IsValid() bool {
	if d.Hash1 == d.Hash2 {
		return false
	}
	items := d.SigItems()
	return crypto.Verify(items[0].PublicKey, items[0].Digest, items[0].Signature) &&
		crypto.Verify(items[1].PublicKey, items[1].Digest, items[1].Signature)
}

// DenunciationIsExpired reports whether a denunciation of a slot at denouncedPeriod is
// too old at period: period - denouncedPeriod > DenunciationExpirePeriods.
func DenunciationIsExpired(denouncedPeriod, period uint64) bool {
	return period > denouncedPeriod && period-denouncedPeriod > DenunciationExpirePeriods
}

// EndorsementDenunciationOf builds the denunciation of two endorsements
// signed by one key for the same (slot, index). Both signatures are checked.
func EndorsementDenunciationOf(a, b *SignedEndorsement) (Denunciation, error) {
	if a.Endorsement.Slot != b.Endorsement.Slot || a.Endorsement.Index != b.Endorsement.Index ||
		a.Creator != b.Creator || a.ID == b.ID {
		return Denunciation{}, fmt.Errorf("endorsement denunciation: not the same slot, index and key with different ids: %w", ErrBadDenunciation)
	}
	d := Denunciation{
		Kind: DenunciationEndorsement, PublicKey: a.Creator, Slot: a.Endorsement.Slot, Index: a.Endorsement.Index,
		Hash1: crypto.Hash(a.ID), Hash2: crypto.Hash(b.ID), Signature1: a.Signature, Signature2: b.Signature,
	}
	if !d.IsValid() {
		return Denunciation{}, fmt.Errorf("endorsement denunciation: %w", ErrBadSignature)
	}
	return d, nil
}

// HeaderDenunciationOf builds the denunciation of two headers signed by one
// key for the same slot. Both signatures are checked.
func HeaderDenunciationOf(a, b *SignedHeader) (Denunciation, error) {
	if a.Header.Slot != b.Header.Slot || a.Creator != b.Creator || a.ID == b.ID {
		return Denunciation{}, fmt.Errorf("header denunciation: not the same slot and key with different ids: %w", ErrBadDenunciation)
	}
	d := Denunciation{
		Kind: DenunciationBlockHeader, PublicKey: a.Creator, Slot: a.Header.Slot,
		Hash1: crypto.Hash(a.ID), Hash2: crypto.Hash(b.ID), Signature1: a.Signature, Signature2: b.Signature,
	}
	if !d.IsValid() {
		return Denunciation{}, fmt.Errorf("header denunciation: %w", ErrBadSignature)
	}
	return d, nil
}

// denunciationBodyJSON is the serde form of both variants; index is
// omitted for header denunciations.
type denunciationBodyJSON struct {
	PublicKey  crypto.PublicKey `json:"public_key"`
	Slot       Slot             `json:"slot"`
	Index      *uint32          `json:"index,omitempty"`
	Hash1      crypto.Hash      `json:"hash_1"`
	Hash2      crypto.Hash      `json:"hash_2"`
	Signature1 crypto.Signature `json:"signature_1"`
	Signature2 crypto.Signature `json:"signature_2"`
}

// MarshalJSON writes the externally tagged enum
// {"Endorsement": {...}} or {"BlockHeader": {...}}.
func (d Denunciation) MarshalJSON() ([]byte, error) {
	body := denunciationBodyJSON{
		PublicKey: d.PublicKey, Slot: d.Slot, Hash1: d.Hash1, Hash2: d.Hash2,
		Signature1: d.Signature1, Signature2: d.Signature2,
	}
	switch d.Kind {
	case DenunciationEndorsement:
		idx := d.Index
		body.Index = &idx
	case DenunciationBlockHeader:
	default:
		return nil, fmt.Errorf("denunciation json: %w: %d", ErrUnknownType, d.Kind)
	}
	return json.Marshal(map[string]denunciationBodyJSON{d.Kind.String(): body})
}

// UnmarshalJSON reads the externally tagged form.
func (d *Denunciation) UnmarshalJSON(b []byte) error {
	var m map[string]denunciationBodyJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("denunciation json: %w", err)
	}
	if len(m) != 1 {
		return fmt.Errorf("denunciation json: want one variant: %w", ErrBadEncoding)
	}
	for k, body := range m {
		var out Denunciation
		switch k {
		case "Endorsement":
			if body.Index == nil {
				return fmt.Errorf("denunciation json: endorsement without index: %w", ErrBadEncoding)
			}
			out.Kind = DenunciationEndorsement
			out.Index = *body.Index
		case "BlockHeader":
			out.Kind = DenunciationBlockHeader
		default:
			return fmt.Errorf("denunciation json: variant %q: %w", clip(k), ErrUnknownType)
		}
		out.PublicKey, out.Slot, out.Hash1, out.Hash2 = body.PublicKey, body.Slot, body.Hash1, body.Hash2
		out.Signature1, out.Signature2 = body.Signature1, body.Signature2
		*d = out
	}
	return nil
}
