package crypto

import (
	"crypto/sha512"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// This file builds signatures that an honest signer never produces: torsion
// components in A or R, non-canonical point encodings, S >= L. They are the
// inputs on which Ed25519 verifiers are known to disagree, so they are the
// ones single and batch verification must be checked on.

// groupOrder is L, the order of the prime-order subgroup.
var groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// fieldPrime is p = 2^255 - 19.
var fieldPrime = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// smallOrderEncodings are the canonical encodings of the eight points of
// order dividing 8.
var smallOrderEncodings = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2 (y = -1)
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4 (y = 0)
	"0000000000000000000000000000000000000000000000000000000000000080", // order 4, other x
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
}

func mustHex32(t testing.TB, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hex32 %q", s)
	}
	return [32]byte(b)
}

// le32 encodes a non-negative integer below 2^256 as 32 little-endian bytes.
func le32(n *big.Int) [32]byte {
	var out [32]byte
	be := n.Bytes()
	for i, b := range be {
		out[len(be)-1-i] = b
	}
	return out
}

func fromLE(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, x := range b {
		be[len(b)-1-i] = x
	}
	return new(big.Int).SetBytes(be)
}

// decompress returns the point an encoding names, or nil.
func decompress(enc [32]byte) *curve.EdwardsPoint {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(enc[:]); err != nil {
		return nil
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return nil
	}
	return &p
}

func compress(p *curve.EdwardsPoint) [32]byte {
	var c curve.CompressedEdwardsY
	c.SetEdwardsPoint(p)
	return [32]byte(c[:])
}

// nonCanonicalEncodings lists every 32-byte string that decompresses but is
// not the canonical encoding of its point: y in [p, 2^255) (only y-p < 19 is
// possible) with either sign bit, and x = 0 with the sign bit set. Each is
// returned with whether its point has small order.
func nonCanonicalEncodings(t testing.TB) (encs [][32]byte, smallOrder []bool) {
	t.Helper()
	add := func(e [32]byte) {
		p := decompress(e)
		if p == nil {
			return
		}
		if compress(p) == e {
			return // canonical after all
		}
		encs = append(encs, e)
		smallOrder = append(smallOrder, p.IsSmallOrder())
	}
	for k := int64(0); k < 19; k++ {
		e := le32(new(big.Int).Add(fieldPrime, big.NewInt(k)))
		add(e)
		e[31] |= 0x80
		add(e)
	}
	// x = 0 with the sign bit: y = 1 (identity) and y = -1 (order 2).
	for _, s := range []string{smallOrderEncodings[0], smallOrderEncodings[1]} {
		e := mustHex32(t, s)
		e[31] |= 0x80
		add(e)
	}
	if len(encs) < 4 {
		t.Fatalf("found only %d non-canonical encodings", len(encs))
	}
	return encs, smallOrder
}

// secretScalar is the Ed25519 secret scalar a of a seed (clamped SHA-512).
func secretScalar(t testing.TB, k *SecretKey) *scalar.Scalar {
	t.Helper()
	seed := k.Seed()
	h := sha512.Sum512(seed[:])
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	s, err := scalar.NewFromBytesModOrder(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scalarFromUint(x uint64) *scalar.Scalar { return scalar.NewFromUint64(x) }

func mulBase(s *scalar.Scalar) *curve.EdwardsPoint {
	var p curve.EdwardsPoint
	p.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, s)
	return &p
}

func addPoints(a, b *curve.EdwardsPoint) *curve.EdwardsPoint {
	var p curve.EdwardsPoint
	p.Add(a, b)
	return &p
}

// craft signs digest "by hand": S = r + H(rEnc || aEnc || digest) * a. The
// caller chooses the encodings, so they need not be the canonical encodings
// of rB and aB; that is how the edge cases are made.
func craft(a *scalar.Scalar, aEnc [32]byte, r *scalar.Scalar, rEnc [32]byte, digest Hash) Signature {
	h := sha512.New()
	h.Write(rEnc[:])
	h.Write(aEnc[:])
	h.Write(digest[:])
	k, err := scalar.NewFromBytesModOrderWide(h.Sum(nil))
	if err != nil {
		panic(err)
	}
	var s scalar.Scalar
	s.Mul(k, a)
	s.Add(&s, r)
	var sig Signature
	copy(sig[:32], rEnc[:])
	if err := s.ToBytes(sig[32:]); err != nil {
		panic(err)
	}
	return sig
}

// torsionPoint returns the small-order point of the i-th canonical encoding.
func torsionPoint(t testing.TB, i int) *curve.EdwardsPoint {
	t.Helper()
	p := decompress(mustHex32(t, smallOrderEncodings[i]))
	if p == nil || !p.IsSmallOrder() {
		t.Fatalf("encoding %d is not a small-order point", i)
	}
	return p
}

// withLargeS adds L to the S half, giving an S >= L that still reduces to
// the same scalar: valid under a verifier that forgets the range check.
func withLargeS(sig Signature) Signature {
	s := fromLE(sig[32:])
	s.Add(s, groupOrder)
	out := sig
	enc := le32(s)
	copy(out[32:], enc[:])
	return out
}

// cofactorless verifies like Massa's single-signature path (dalek verify:
// cofactorless equation, R compared as bytes, S < L, small-order and
// non-canonical A accepted). voi's StdLib preset is that rule.
func cofactorless(pk PublicKey, d Hash, sig Signature) bool {
	return voi.VerifyWithOptions(voi.PublicKey(pk[:]), d[:], sig[:], &voi.Options{Verify: voi.VerifyOptionsStdLib})
}

// edgeCase is one crafted (key, digest, signature) with what ZIP-215 says.
type edgeCase struct {
	name string
	item SigItem
	// zip215 is the expected verdict of Verify.
	zip215 bool
	// massaSingle is the expected verdict of a cofactorless verifier, or
	// -1 when it depends on the hash value (a torsion part of order 8 is
	// cancelled only when 8 divides k).
	massaSingle int
}

// edgeCases builds the crafted inputs from one honest key and digest.
func edgeCases(t testing.TB, k *SecretKey, digest Hash) []edgeCase {
	t.Helper()
	a := secretScalar(t, k)
	pub := k.Public()
	if compress(mulBase(a)) != [32]byte(pub) {
		t.Fatal("secret scalar does not match the public key")
	}
	r := scalarFromUint(0x1234567)
	rB := mulBase(r)
	honest := k.Sign(digest)
	other := digest
	other[0] ^= 1

	var cs []edgeCase
	addCase := func(name string, pk PublicKey, d Hash, sig Signature, zip bool, massa int) {
		cs = append(cs, edgeCase{name: name, item: SigItem{PublicKey: pk, Digest: d, Signature: sig}, zip215: zip, massaSingle: massa})
	}

	addCase("honest", pub, digest, honest, true, 1)
	addCase("crafted-honest", pub, digest, craft(a, pub, r, compress(rB), digest), true, 1)
	addCase("wrong-digest", pub, other, honest, false, 0)
	addCase("S+L", pub, digest, withLargeS(honest), false, 0)
	high := honest
	high[63] |= 0xe0
	addCase("S-high-bits", pub, digest, high, false, 0)
	flipped := honest
	flipped[40] ^= 0x10
	addCase("S-bit-flip", pub, digest, flipped, false, 0)

	// R with a torsion component: [8] removes it, the byte comparison of
	// the cofactorless check does not.
	for i := 1; i < len(smallOrderEncodings); i++ {
		rT := addPoints(rB, torsionPoint(t, i))
		addCase("R+T"+string(rune('0'+i)), pub, digest, craft(a, pub, r, compress(rT), digest), true, 0)
	}
	// A with a torsion component: the leftover is -kT, zero for the
	// cofactorless check only when ord(T) divides k.
	for i := 1; i < len(smallOrderEncodings); i++ {
		aT := compress(addPoints(mulBase(a), torsionPoint(t, i)))
		addCase("A+T"+string(rune('0'+i)), PublicKey(aT), digest, craft(a, aT, r, compress(rB), digest), true, -1)
	}
	// Small-order A (secret scalar 0): R = rB, S = r is valid for every
	// message under the cofactored check.
	zero := scalarFromUint(0)
	for i, e := range smallOrderEncodings {
		aEnc := mustHex32(t, e)
		massa := -1
		if i == 0 {
			massa = 1 // identity: kA = 0 exactly
		}
		addCase("smallA"+string(rune('0'+i)), PublicKey(aEnc), digest, craft(zero, aEnc, r, compress(rB), digest), true, massa)
		// And a garbage signature for the same key is still rejected.
		addCase("smallA-garbage"+string(rune('0'+i)), PublicKey(aEnc), digest, honest, false, 0)
	}
	// Non-canonical encodings, used as A and as R.
	encs, small := nonCanonicalEncodings(t)
	for j, e := range encs {
		name := hex.EncodeToString(e[:2]) + "…" + hex.EncodeToString(e[31:])
		if small[j] {
			// A = T written non-canonically; the hash covers the bytes as sent.
			addCase("ncA-"+name, PublicKey(e), digest, craft(zero, e, r, compress(rB), digest), true, -1)
			// R = T written non-canonically, nonce 0: S = k*a.
			addCase("ncR-"+name, pub, digest, craft(a, pub, zero, e, digest), true, 0)
		} else {
			// A point of large order with unknown discrete log: nobody can
			// sign for it, and a signature with it as R cannot be forged.
			addCase("ncA-large-"+name, PublicKey(e), digest, honest, false, 0)
			sig := honest
			copy(sig[:32], e[:])
			addCase("ncR-large-"+name, pub, digest, sig, false, 0)
		}
	}
	// Encodings that are not points at all.
	var notPoint [32]byte
	for y := byte(2); ; y++ {
		notPoint[0] = y
		if decompress(notPoint) == nil {
			break
		}
	}
	addCase("A-not-a-point", PublicKey(notPoint), digest, honest, false, 0)
	sig := honest
	copy(sig[:32], notPoint[:])
	addCase("R-not-a-point", pub, digest, sig, false, 0)
	return cs
}
