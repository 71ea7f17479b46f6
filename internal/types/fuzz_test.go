package types

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Fuzz targets: decoders never panic, and whatever decodes re-encodes to
// the input bytes. Two accepted inputs re-encode differently, and the
// Reader flags them as non-canonical: a varint whose last byte carries bits
// the type cannot hold (unsigned-varint drops them), and an operation
// datastore whose keys are not in ascending order (Massa reads it into a
// BTreeMap, so it, like us, writes it back sorted). For those the test
// checks instead that the re-encoding is a fixed point.

const fuzzChainID = 77658377

// goldenSeeds returns the operation contents and SecureShare wire forms of
// the shared conformance vectors, or nothing when the folder is absent.
func goldenSeeds(tb testing.TB) (contents, signed [][]byte) {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "conformance", "vectors", "web3-vectors.json")
	if env := os.Getenv("GOMASSA_SHARED"); env != "" {
		p = filepath.Join(env, "conformance", "vectors", "web3-vectors.json")
	}
	if _, err := os.Stat(p); err != nil {
		return nil, nil
	}
	v := loadVectors(tb)
	for _, c := range v.Cases {
		for _, o := range c.Operations {
			if b, err := hex.DecodeString(o.ContentHex); err == nil {
				contents = append(contents, b)
			}
			content, err1 := hex.DecodeString(o.ContentHex)
			sig, err2 := crypto.ParseSignature(o.SignatureB58)
			pub, err3 := crypto.ParsePublicKey(o.Creator)
			if err1 == nil && err2 == nil && err3 == nil {
				wire := pub.AppendBytes(sig.AppendBytes(nil))
				signed = append(signed, append(wire, content...))
			}
		}
	}
	return contents, signed
}

func FuzzDecodeOperation(f *testing.F) {
	contents, _ := goldenSeeds(f)
	for _, c := range contents {
		f.Add(c)
	}
	f.Add(mustHex(f, docsContentHex))
	for _, so := range testOperations(f, fuzzChainID) {
		f.Add(so.Content)
	}
	// Unsorted datastore and a lossy type varint.
	f.Add([]byte{0, 0, 3, 0, 0, 0, 2, 1, 'b', 0, 1, 'a', 0})
	f.Add([]byte{0, 0, 0x81, 0x80, 0x80, 0x80, 0x10, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b, "operation")
		op := r.Operation()
		if r.Done() != nil {
			return
		}
		if isSC := op.Type == OpExecuteSC || op.Type == OpCallSC; (op.SC != nil) != isSC {
			t.Fatalf("%s decoded with SC set %v", op.Type, op.SC != nil)
		}
		enc := op.Encode()
		if !r.nonCanonical {
			if !bytes.Equal(enc, b) {
				t.Fatalf("re-encode\n got %x\nwant %x", enc, b)
			}
			return
		}
		op2, err := DecodeOperation(enc)
		if err != nil || !reflect.DeepEqual(op, op2) || !bytes.Equal(op2.Encode(), enc) {
			t.Fatalf("non-canonical input %x: re-encoding %x is not a fixed point: %v", b, enc, err)
		}
	})
}

func FuzzDecodeSignedOperation(f *testing.F) {
	_, signed := goldenSeeds(f)
	for _, s := range signed {
		f.Add(s)
	}
	for _, so := range testOperations(f, fuzzChainID) {
		f.Add(so.AppendBinary(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		so, err := DecodeSignedOperation(b, fuzzChainID)
		if err != nil {
			return
		}
		if !bytes.Equal(so.AppendBinary(nil), b) || so.SerializedLen != len(b) {
			t.Fatalf("wire round trip %x", b)
		}
		if so.ID != OperationID(OperationHash(fuzzChainID, so.Creator, so.Content)) {
			t.Fatal("id not over the received content")
		}
		_ = so.VerifySignature()
	})
}

func FuzzDecodeEndorsement(f *testing.F) {
	p := smallParams()
	k := testKey(7)
	for _, e := range []Endorsement{
		{Slot: Slot{Period: 1, Thread: 3}, Index: 3, EndorsedBlock: BlockID(crypto.HashOf([]byte("b")))},
		{Slot: Slot{Period: 1 << 50}, Index: 0},
	} {
		f.Add(e.Encode())
		f.Add(SignEndorsement(e, k).Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// As a content.
		r := NewReader(b, "endorsement")
		e := r.Endorsement("", p.ThreadCount, p.EndorsementCount)
		if r.Done() == nil && !r.nonCanonical && !bytes.Equal(e.Encode(), b) {
			t.Fatalf("content re-encode %x", b)
		}
		// As a SecureShare.
		r = NewReader(b, "endorsement")
		se := r.SignedEndorsement("", p)
		if r.Done() != nil {
			return
		}
		if !bytes.Equal(se.Encode(), b) {
			t.Fatalf("wire round trip %x", b)
		}
		if !r.nonCanonical && !bytes.Equal(se.Endorsement.Encode(), se.Content) {
			t.Fatalf("content re-encode %x", b)
		}
		_ = se.VerifySignature()
	})
}

func FuzzDecodeHeader(f *testing.F) {
	p := smallParams()
	for _, blk := range []*Block{
		testBlock(f, p, []uint32{0, 3}, true, 2),
		testBlock(f, p, nil, false, 0),
		GenesisBlock(testKey(1), 2, 0),
	} {
		f.Add(blk.Header.Encode())
		f.Add(blk.Header.Content)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b, "block header")
		h := r.BlockHeader("", p)
		if r.Done() == nil && !r.nonCanonical && !bytes.Equal(h.Encode(), b) {
			t.Fatalf("content re-encode\n got %x\nwant %x", h.Encode(), b)
		}
		r = NewReader(b, "block header")
		sh := r.SignedHeader("", p)
		if r.Done() != nil {
			return
		}
		if !bytes.Equal(sh.Encode(), b) {
			t.Fatalf("wire round trip %x", b)
		}
		checkHeaderInvariants(t, &sh.Header, p)
		if !r.nonCanonical && !bytes.Equal(sh.Header.Encode(), sh.Content) {
			t.Fatalf("content re-encode %x", b)
		}
	})
}

func checkHeaderInvariants(t *testing.T, h *BlockHeader, p CodecParams) {
	t.Helper()
	if len(h.Parents) != 0 && len(h.Parents) != int(p.ThreadCount) {
		t.Fatalf("%d parents", len(h.Parents))
	}
	if h.IsGenesis() && (len(h.Endorsements) != 0 || len(h.Denunciations) != 0) {
		t.Fatal("genesis with endorsements or denunciations")
	}
	seen := map[uint32]bool{}
	for _, e := range h.Endorsements {
		if seen[e.Endorsement.Index] || e.Endorsement.Index >= p.EndorsementCount ||
			e.Endorsement.Slot != h.Slot || e.Endorsement.EndorsedBlock != h.SameThreadParent() {
			t.Fatalf("bad endorsement %+v", e.Endorsement)
		}
		seen[e.Endorsement.Index] = true
	}
	if uint32(len(h.Endorsements)) > p.EndorsementCount || uint32(len(h.Denunciations)) > p.MaxDenunciationsPerHeader {
		t.Fatal("counts")
	}
}

func FuzzDecodeBlock(f *testing.F) {
	p := smallParams()
	for _, blk := range []*Block{
		testBlock(f, p, []uint32{1}, true, 3),
		testBlock(f, p, []uint32{0, 1, 2, 3}, false, 16),
		GenesisBlock(testKey(1), 0, 0),
	} {
		f.Add(blk.Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b, "block")
		blk := r.Block("", p)
		if r.Done() != nil {
			return
		}
		if !bytes.Equal(blk.Encode(), b) || blk.SerializedSize() != len(b) {
			t.Fatalf("wire round trip %x", b)
		}
		if uint32(len(blk.Operations)) > p.MaxOperationsPerBlock {
			t.Fatal("too many operations")
		}
		checkHeaderInvariants(t, &blk.Header.Header, p)
		if !r.nonCanonical && !bytes.Equal(blk.Header.Header.Encode(), blk.Header.Content) {
			t.Fatalf("header re-encode %x", b)
		}
		_ = blk.MerkleRootMatches()
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "1", "1.5", "0.001", "0.40001", "80.033003300", "-1", "1e3", "0.0000000001",
		"18446744073.709551615", "18446744073.709551616", ".", "", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		txt := a.String()
		back, err := ParseAmount(txt)
		if err != nil || back != a {
			t.Fatalf("%q -> %d -> %q -> %v", s, uint64(a), txt, err)
		}
		if n := len(txt); txt[n-1] == '.' || (bytes.IndexByte([]byte(txt), '.') >= 0 && txt[n-1] == '0') {
			t.Fatalf("%q printed with trailing zeros or dot: %q", s, txt)
		}
	})
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx",
		"AS12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx",
		"ADR-AU12m1gXHUGxBZsDF4veeWfYaRmpztBCieHhPBaqf3fcRF2LdAuZ7",
		"AU1", "AU", "", "AX12fZLk",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := ParseAddress(s); err == nil {
			if a.String() != s {
				t.Fatalf("%q parses but prints %q", s, a.String())
			}
			back, err := AddressFromBytes(a.Bytes())
			if err != nil || back != a {
				t.Fatalf("binary round trip: %v", err)
			}
		}
		if a, err := ParseAddressDisplay(s); err == nil {
			if StripTypedPrefix(s) != a.String() {
				t.Fatalf("%q display-parses to %q", s, a.String())
			}
		}
	})
}

func FuzzUvarint(f *testing.F) {
	for _, b := range [][]byte{{0}, {0x80, 0x00}, {0x80, 0x01}, {0xff, 0xff, 0xff, 0xff, 0x0f},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, {0x80, 0x80, 0x80, 0x80, 0x10}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, bits := range []int{16, 32, 64} {
			v, n, lossy, err := readUvarintLossy(b, bits)
			if err != nil {
				continue
			}
			if n < 1 || n > maxVarintLen(bits) || n > len(b) {
				t.Fatalf("bits %d: n=%d", bits, n)
			}
			if bits < 64 && v>>uint(bits) != 0 {
				t.Fatalf("bits %d: value %d too wide", bits, v)
			}
			if n > 1 && b[n-1] == 0 {
				t.Fatalf("bits %d: non-minimal %x accepted", bits, b[:n])
			}
			enc := AppendUvarint(nil, v)
			if !lossy && !bytes.Equal(enc, b[:n]) {
				t.Fatalf("bits %d: %x -> %d -> %x", bits, b[:n], v, enc)
			}
			if lossy && len(enc) > n {
				t.Fatalf("bits %d: lossy %x re-encodes longer", bits, b[:n])
			}
			if bits == 64 && !lossy {
				sv, sn := binary.Uvarint(b)
				if sv != v || sn != n {
					t.Fatalf("stdlib disagrees on %x: %d,%d vs %d,%d", b[:n], sv, sn, v, n)
				}
			}
		}
	})
}

// TestGoldenSeeds makes sure the fuzz seeds taken from the vectors are the
// valid wire forms they are meant to be.
func TestGoldenSeeds(t *testing.T) {
	contents, signed := goldenSeeds(t)
	if len(contents) == 0 {
		t.Skip("shared conformance vectors not found")
	}
	if len(signed) != len(contents) {
		t.Fatalf("%d contents, %d wire forms", len(contents), len(signed))
	}
	chainID, err := strconv.ParseUint(loadVectors(t).ChainID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range signed {
		so, err := DecodeSignedOperation(w, chainID)
		if err != nil || !so.VerifySignature() || !bytes.Equal(so.Content, contents[i]) {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
}
