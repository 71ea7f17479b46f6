package types

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

func TestEndorsementCodec(t *testing.T) {
	p := DefaultCodecParams()
	k := testKey(9)
	e := Endorsement{Slot: Slot{Period: 300, Thread: 31}, Index: 15, EndorsedBlock: BlockID(crypto.HashOf([]byte("blk")))}
	enc := e.Encode()
	// slot: period varint (ac 02) || thread; index; id.
	want := "ac021f" + "0f" + "00" + hex.EncodeToString(e.EndorsedBlock[:])
	if hex.EncodeToString(enc) != want {
		t.Fatalf("content %x", enc)
	}
	back, err := DecodeEndorsement(enc, p)
	if err != nil || back != e {
		t.Fatalf("decode: %v", err)
	}

	se := SignEndorsement(e, k)
	var pre []byte
	pre = append(pre, k.Public().Bytes()...)
	pre = append(pre, enc...)
	if crypto.Hash(se.ID) != crypto.HashOf(pre) {
		t.Fatal("id is not blake3(pubkey || content)")
	}
	// Signed data: pubkey || period BE || thread || index LE || id.
	var sd []byte
	sd = append(sd, k.Public().Bytes()...)
	sd = binary.BigEndian.AppendUint64(sd, 300)
	sd = append(sd, 31)
	sd = append(sd, 15, 0, 0, 0)
	sd = append(sd, se.ID[:]...)
	if se.SignedHash() != crypto.HashOf(sd) || !crypto.Verify(se.Creator, crypto.HashOf(sd), se.Signature) {
		t.Fatal("signed data")
	}
	if !se.VerifySignature() || se.CreatorAddr != AddressOf(k.Public()) {
		t.Fatal("verify")
	}
	wire := se.Encode()
	if len(wire) != se.SerializedSize() || !bytes.Equal(wire[98:], enc) {
		t.Fatalf("wire %x", wire)
	}
	got, err := DecodeSignedEndorsement(wire, p)
	if err != nil || !reflect.DeepEqual(got, se) {
		t.Fatalf("decode signed: %v\n%+v\n%+v", err, got, se)
	}
	light := se.AppendLightBinary(nil)
	if len(light) != 99 || light[98] != 15 {
		t.Fatalf("light %x", light)
	}
	r := NewReader(light, "endorsement")
	le := r.LightEndorsement("", p.EndorsementCount, e.Slot, e.EndorsedBlock)
	if r.Done() != nil || !reflect.DeepEqual(le, se) {
		t.Fatalf("light decode: %v", r.Err())
	}
	// A tampered signature fails.
	bad := *se
	bad.Signature[5] ^= 1
	if bad.VerifySignature() {
		t.Fatal("tampered signature verified")
	}

	for _, c := range []struct {
		name string
		in   []byte
		err  error
		msg  string
	}{
		{"thread", append([]byte{1, 32, 0}, e.EndorsedBlock.Bytes()...), ErrOutOfRange, "endorsement: slot thread"},
		{"index", append([]byte{1, 0, 16}, e.EndorsedBlock.Bytes()...), ErrOutOfRange, "endorsement: index"},
		{"id version", append([]byte{1, 0, 0, 1}, make([]byte, 32)...), ErrBadVersion, "endorsement: endorsed_block"},
		{"trailing", append(enc, 0), ErrTrailingBytes, "endorsement"},
		{"truncated", enc[:len(enc)-1], ErrTruncated, "endorsement: endorsed_block"},
	} {
		_, err := DecodeEndorsement(c.in, p)
		if !errors.Is(err, c.err) || !strings.HasPrefix(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	p := DefaultCodecParams()
	b := testBlock(t, p, []uint32{0, 7, 15}, true, 3)
	sh := b.Header
	if !sh.VerifySignature() || sh.Fitness() != 4 {
		t.Fatal("header signature or fitness")
	}
	for _, it := range sh.SigItems() {
		if !crypto.Verify(it.PublicKey, it.Digest, it.Signature) {
			t.Fatal("sig items")
		}
	}
	for _, d := range sh.Header.Denunciations {
		if !d.IsValid() {
			t.Fatalf("denunciation %v invalid", d.Kind)
		}
	}
	// Content layout: version 1, Some(1) = '1' 01, slot 07 01, flag 01.
	if !bytes.HasPrefix(sh.Content, []byte{0x01, '1', 0x01, 0x07, 0x01, 0x01}) {
		t.Fatalf("content head %x", sh.Content[:8])
	}
	wire := sh.Encode()
	got, err := DecodeSignedHeader(wire, p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sh) {
		t.Fatalf("header differs after round trip")
	}
	h2, err := DecodeBlockHeader(sh.Content, p)
	if err != nil || !reflect.DeepEqual(h2, sh.Header) {
		t.Fatalf("content decode: %v", err)
	}
	// The header signature binds the slot: HeaderSignedHash layout.
	var sd []byte
	sd = append(sd, sh.Creator.Bytes()...)
	k := sh.Header.Slot.Key()
	sd = append(sd, k[:]...)
	sd = append(sd, sh.ID[:]...)
	if sh.SignedHash() != crypto.HashOf(sd) {
		t.Fatal("header signed data")
	}
}

func TestBlockRoundTripAndMerkle(t *testing.T) {
	p := DefaultCodecParams()
	b := testBlock(t, p, []uint32{1}, false, 5)
	if !b.MerkleRootMatches() {
		t.Fatal("merkle")
	}
	// Independent merkle computation: blake3 over (u64 BE 33 || 0x00 || hash)*.
	var buf []byte
	for _, id := range b.Operations {
		buf = binary.BigEndian.AppendUint64(buf, 33)
		buf = append(buf, 0)
		buf = append(buf, id[:]...)
	}
	if OperationMerkleRoot(b.Operations) != crypto.HashOf(buf) || OperationMerkleRoot(nil) != crypto.HashOf(nil) {
		t.Fatal("merkle formula")
	}
	wire := b.Encode()
	if len(wire) != b.SerializedSize() {
		t.Fatal("size")
	}
	back, err := DecodeBlock(wire, p)
	if err != nil || !reflect.DeepEqual(back, b) || back.ID() != b.ID() {
		t.Fatalf("block round trip: %v", err)
	}
	// Tail: count 05 then 5 ids.
	tail := wire[b.Header.SerializedSize():]
	if tail[0] != 5 || len(tail) != 1+5*33 {
		t.Fatalf("ops tail %x", tail[:3])
	}
	// Too many operations.
	q := p
	q.MaxOperationsPerBlock = 4
	if _, err := DecodeBlock(wire, q); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "block: operations count") {
		t.Fatalf("max ops: %v", err)
	}
	// A huge count with no bytes is refused before allocating.
	huge := append(append([]byte{}, wire[:b.Header.SerializedSize()]...), AppendUvarint(nil, 5000)...)
	if _, err := DecodeBlock(huge, p); !errors.Is(err, ErrTruncated) {
		t.Fatalf("huge count: %v", err)
	}
	if _, err := DecodeBlock(append(wire, 0), p); !errors.Is(err, ErrTrailingBytes) {
		t.Fatalf("trailing: %v", err)
	}
	for i := 0; i < len(wire); i++ {
		if _, err := DecodeBlock(wire[:i], p); err == nil {
			t.Fatalf("prefix %d decoded", i)
		}
	}
}

// headerBytes re-encodes a header content with a mutation applied.
func headerErr(t *testing.T, h BlockHeader, p CodecParams, mutate func(b []byte) []byte) error {
	t.Helper()
	b := mutate(h.Encode())
	_, err := DecodeBlockHeader(b, p)
	return err
}

func TestHeaderDecodeErrors(t *testing.T) {
	p := DefaultCodecParams()
	base := testBlock(t, p, []uint32{3, 4}, true, 0).Header.Header
	id := func(b []byte) []byte { return b }
	if err := headerErr(t, base, p, id); err != nil {
		t.Fatal(err)
	}
	parentsOff := 1 + 2 + 2 // version, option Some(1), slot (07 01)
	endOff := parentsOff + 1 + 32*IDSize + 32
	cases := []struct {
		name   string
		h      BlockHeader
		p      CodecParams
		mutate func([]byte) []byte
		err    error
		msg    string
	}{
		{"option tag", base, p, func(b []byte) []byte { b[1] = 2; return b }, ErrBadEncoding, "block header: announced_version"},
		{"thread out of range", base, p, func(b []byte) []byte { b[4] = 32; return b }, ErrOutOfRange, "block header: slot thread"},
		{"parents flag", base, p, func(b []byte) []byte { b[parentsOff] = 2; return b }, ErrBadEncoding, "block header: parents"},
		{"parents truncated", base, p, func(b []byte) []byte { return b[:parentsOff+1+10*IDSize] }, ErrTruncated, "block header: parents"},
		{"parent version", base, p, func(b []byte) []byte { b[parentsOff+1] = 1; return b }, ErrBadVersion, "block header: parents"},
		{"endorsement count", base, p, func(b []byte) []byte { b[endOff] = 17; return b }, ErrTooLarge, "block header: endorsements count"},
		{"endorsement count no bytes", base, p, func(b []byte) []byte { b[endOff] = 16; return b[:endOff+1] }, ErrTruncated, "block header: endorsements"},
		{"endorsement index", base, p, func(b []byte) []byte { b[endOff+1+98] = 16; return b }, ErrOutOfRange, "block header: endorsements.index"},
		{"duplicate index", base, p, func(b []byte) []byte { b[endOff+1+98+99] = 3; return b }, ErrDuplicate, "block header: endorsements"},
		{"bad pubkey version", base, p, func(b []byte) []byte { b[endOff+1+65] = 1; return b }, crypto.ErrBadVersion, "block header: endorsements.creator_public_key"},
		{"denunciation count", base, p, func(b []byte) []byte { b[endOff+1+2*99] = 129; b = append(b[:endOff+2+2*99], 1); return b }, ErrTooLarge, "block header: denunciations count"},
		{"denunciation type", base, p, func(b []byte) []byte { b[endOff+1+2*99+1] = 2; return b }, ErrUnknownType, "block header: denunciations.type"},
		{"trailing", base, p, func(b []byte) []byte { return append(b, 0) }, ErrTrailingBytes, "block header"},
		{"genesis with endorsements", BlockHeader{Slot: Slot{Thread: 3}}, p, func(b []byte) []byte { b[len(b)-2] = 1; return b }, ErrBadParents, "block header: endorsements"},
		{"genesis with denunciations", BlockHeader{Slot: Slot{Thread: 3}}, p, func(b []byte) []byte { b[len(b)-1] = 1; return b }, ErrBadParents, "block header: endorsements"},
		{"genesis period has parents", base, withLSP(p, 7), id, ErrBadParents, "block header: parents"},
		{"no parents after genesis", BlockHeader{Slot: Slot{Period: 8}}, withLSP(p, 7), id, ErrBadParents, "block header: parents"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := headerErr(t, c.h, c.p, c.mutate)
			if !errors.Is(err, c.err) || !strings.HasPrefix(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v starting %q", err, c.err, c.msg)
			}
		})
	}
	// With the right last start period both shapes decode.
	if err := headerErr(t, BlockHeader{Slot: Slot{Period: 7}}, withLSP(p, 7), id); err != nil {
		t.Fatal(err)
	}
	if err := headerErr(t, base, withLSP(p, 6), id); err != nil {
		t.Fatal(err)
	}
	// Every strict prefix fails.
	enc := base.Encode()
	for i := 0; i < len(enc); i++ {
		if _, err := DecodeBlockHeader(enc[:i], p); err == nil {
			t.Fatalf("prefix %d decoded", i)
		}
	}
}

func withLSP(p CodecParams, lsp uint64) CodecParams {
	p.LastStartPeriod = &lsp
	return p
}

func TestDenunciations(t *testing.T) {
	p := DefaultCodecParams()
	ds := testDenunciations(t, Slot{Period: 9, Thread: 4})
	for _, d := range ds {
		enc := d.Encode()
		if enc[0] != byte(d.Kind) {
			t.Fatalf("type id %x", enc[0])
		}
		size := 1 + 33 + 2 + 64 + 130
		if d.Kind == DenunciationEndorsement {
			size++
		}
		if len(enc) != size {
			t.Fatalf("%v size %d", d.Kind, len(enc))
		}
		back, err := DecodeDenunciation(enc, p)
		if err != nil || back != d || !back.IsValid() {
			t.Fatalf("%v: %v", d.Kind, err)
		}
		bad := d
		bad.Hash2 = bad.Hash1
		if bad.IsValid() {
			t.Fatal("equal hashes valid")
		}
		bad = d
		bad.Slot.Period++
		if bad.IsValid() {
			t.Fatal("moved slot valid")
		}
		js, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back2 Denunciation
		if err := json.Unmarshal(js, &back2); err != nil || back2 != d {
			t.Fatalf("json round trip %s: %v", js, err)
		}
		if d.Kind == DenunciationBlockHeader && (strings.Contains(string(js), "index") || !strings.HasPrefix(string(js), `{"BlockHeader":{"public_key":"P`)) {
			t.Fatalf("header denunciation json %s", js)
		}
		if d.Kind == DenunciationEndorsement && !strings.Contains(string(js), `"index":2,"hash_1":"`) {
			t.Fatalf("endorsement denunciation json %s", js)
		}
	}
	k := testKey(1)
	e := SignEndorsement(Endorsement{Slot: Slot{Period: 1}, Index: 1}, k)
	if _, err := EndorsementDenunciationOf(e, e); !errors.Is(err, ErrBadDenunciation) {
		t.Fatalf("same endorsement: %v", err)
	}
	other := SignEndorsement(Endorsement{Slot: Slot{Period: 1}, Index: 1, EndorsedBlock: BlockID{1}}, testKey(2))
	if _, err := EndorsementDenunciationOf(e, other); !errors.Is(err, ErrBadDenunciation) {
		t.Fatalf("other key: %v", err)
	}
	if !DenunciationIsExpired(1, 130) || DenunciationIsExpired(2, 130) || DenunciationIsExpired(10, 5) {
		t.Fatal("expiry")
	}
}

func TestBlockJSON(t *testing.T) {
	p := DefaultCodecParams()
	b := testBlock(t, p, []uint32{2}, true, 2)
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	hdr := m["header"].(map[string]any)
	if hdr["id"] != b.ID().String() || hdr["content_creator_address"] != b.Creator().String() {
		t.Fatalf("header envelope %v", hdr)
	}
	content := hdr["content"].(map[string]any)
	for _, k := range []string{"current_version", "announced_version", "slot", "parents", "operation_merkle_root", "endorsements", "denunciations"} {
		if _, ok := content[k]; !ok {
			t.Fatalf("missing %s in %s", k, js)
		}
	}
	if len(content) != 7 || content["announced_version"].(float64) != 1 || content["operation_merkle_root"] != b.Header.Header.OperationMerkleRoot.String() {
		t.Fatalf("content %v", content)
	}
	end := content["endorsements"].([]any)[0].(map[string]any)
	ec := end["content"].(map[string]any)
	if ec["index"].(float64) != 2 || ec["endorsed_block"] != b.Parents()[1].String() || end["id"] != b.Header.Header.Endorsements[0].ID.String() {
		t.Fatalf("endorsement json %v", end)
	}
	ops := m["operations"].([]any)
	if len(ops) != 2 || ops[0] != b.Operations[0].String() {
		t.Fatalf("operations %v", ops)
	}
	// Keys in Massa's field order.
	s := string(js)
	if !(strings.Index(s, `"current_version"`) < strings.Index(s, `"announced_version"`) &&
		strings.Index(s, `"parents"`) < strings.Index(s, `"operation_merkle_root"`) &&
		strings.Index(s, `"content"`) < strings.Index(s, `"signature"`)) {
		t.Fatalf("field order %s", s)
	}
	var back Block
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, b) {
		t.Fatalf("json round trip differs")
	}
	// A wrong id is refused.
	bad := strings.Replace(s, b.ID().String(), BlockID{}.String(), 1)
	if err := json.Unmarshal([]byte(bad), &back); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong id: %v", err)
	}

	g := GenesisBlock(testKey(1), 0, 0)
	gj, _ := json.Marshal(g)
	if !strings.Contains(string(gj), `"announced_version":null`) || !strings.Contains(string(gj), `"parents":[],`) ||
		!strings.Contains(string(gj), `"endorsements":[],"denunciations":[]`) || !strings.HasSuffix(string(gj), `"operations":[]}`) {
		t.Fatalf("genesis json %s", gj)
	}
	var gb Block
	if err := json.Unmarshal(gj, &gb); err != nil || !reflect.DeepEqual(&gb, g) {
		t.Fatalf("genesis json round trip: %v", err)
	}
}

func TestSignedOperationJSONUsesTexts(t *testing.T) {
	so := testOperations(t, 77)[0]
	js, err := json.Marshal(so.JSON())
	if err != nil {
		t.Fatal(err)
	}
	s := string(js)
	if !strings.Contains(s, `"content_creator_pub_key":"P`) || !strings.Contains(s, `"id":"O`) || !strings.Contains(s, `"fee":"0.01"`) {
		t.Fatalf("json %s", s)
	}
}
