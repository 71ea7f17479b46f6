package crypto

import (
	"bytes"
	"strings"
	"testing"
)

// Seeds shared by the text fuzzers: valid forms of every kind, plus a few
// near misses.
func fuzzTextSeeds(f *testing.F) {
	k := SecretKeyFromSeed(HashOf([]byte("fuzz")))
	sig := k.Sign(HashOf([]byte("fuzz digest")))
	for _, s := range []string{
		k.String(),
		k.Public().String(),
		k.Public().NodeID(),
		sig.String(),
		HashOf(nil).String(),
		"S1CkpvD4WMjJWxR2WZcrDEkJ1kWG2kKe1e3Afe8miqmskHqovvA",
		"P1t4JZwHhWNLt4xYabCbukyVNxSbhYPdF6wCYuRmDuHD784juxd",
		"S1UxdCJv5ckDK8z87E5Jq5fEfSVLi2cTHgtpfZy7iURs3KpPns8",
		"P12rNx7iyMpAbWx2VzGNZSE5wGDrHWUiwFVAnAuGrrKpMnfrQrH6",
		"1a96SbcQJPQy7PyCgGQ1ZSZHxbYX81sXaKSbijEkE7yChc3XqgEgWyB6s3LH1jS6aJiZ4M32TyAN9TPSomrQREVyFGC391",
		"P" + Base58CheckEncode(append(k.Public().Bytes(), 0)), // trailing byte
		"S" + Base58CheckEncode(append(k.Bytes(), 1, 2, 3)),    // trailing bytes
		"", "P", "S", "1", "11111", "0OIl", strings.Repeat("z", 600),
	} {
		f.Add(s)
	}
}

func FuzzBase58CheckDecode(f *testing.F) {
	fuzzTextSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		payload, err := Base58CheckDecode(s)
		if err != nil {
			return
		}
		// Base58 with '1' for each leading zero byte is a bijection, so a
		// decoded text re-encodes to itself.
		if got := Base58CheckEncode(payload); got != s {
			t.Fatalf("%q decodes to %x which encodes to %q", s, payload, got)
		}
		back, err := Base58CheckDecode(Base58CheckEncode(payload))
		if err != nil || !bytes.Equal(back, payload) {
			t.Fatalf("re-decode of %x: %x, %v", payload, back, err)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	fuzzTextSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParsePublicKey(s); err == nil {
			if p.String() != s {
				t.Fatalf("%q parses to a key printed %q", s, p.String())
			}
			if p2, err := PublicKeyFromBytes(p.Bytes()); err != nil || p2 != p {
				t.Fatalf("binary round trip of %q: %v", s, err)
			}
		}
		if p, err := ParseNodeID(s); err == nil && p.NodeID() != s {
			t.Fatalf("%q parses to a node id printed %q", s, p.NodeID())
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	fuzzTextSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignature(s)
		if err != nil {
			return
		}
		if sig.String() != s {
			t.Fatalf("%q parses to a signature printed %q", s, sig.String())
		}
		if s2, err := SignatureFromBytes(sig.Bytes()); err != nil || s2 != sig {
			t.Fatalf("binary round trip of %q: %v", s, err)
		}
		// Whatever the bytes, verification answers and both paths agree.
		pub := SecretKeyFromSeed(HashOf([]byte(s))).Public()
		d := HashOf(nil)
		ok := Verify(pub, d, sig)
		items := []SigItem{{pub, d, sig}, {pub, d, sig}, {pub, d, sig}}
		if all, _ := VerifyBatch(items); all != ok {
			t.Fatalf("Verify=%v but VerifyBatch=%v", ok, all)
		}
	})
}

func FuzzParseSecretKey(f *testing.F) {
	fuzzTextSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseSecretKey(s)
		if err != nil {
			return
		}
		// Bytes after the seed are ignored as in Massa, so only the seed
		// must survive; with none, the text is reproduced exactly.
		k2, err := ParseSecretKey(k.String())
		if err != nil || k2.Seed() != k.Seed() || k2.Public() != k.Public() {
			t.Fatalf("round trip of %q: %v", s, err)
		}
		payload, _ := Base58CheckDecode(s[1:])
		if len(payload) == VersionedSecretKeySize && k.String() != s {
			t.Fatalf("%q parses to a key printed %q", s, k.String())
		}
	})
}
