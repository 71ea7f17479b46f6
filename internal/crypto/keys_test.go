package crypto

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// Vectors of spec/model.md §13.
func TestSpecVectors(t *testing.T) {
	t.Run("blake3", func(t *testing.T) {
		h := HashOf([]byte("abc"))
		require.Equal(t, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85", hex.EncodeToString(h[:]))
		require.Equal(t, "2L74kakRTYGfjyUWN1M1AHeSK591CYEBuB7tGbh714AJ7E7NeB", HashOf(nil).String())
		p, err := ParseHash("2L74kakRTYGfjyUWN1M1AHeSK591CYEBuB7tGbh714AJ7E7NeB")
		require.NoError(t, err)
		require.Equal(t, HashOf(nil), p)
	})
	t.Run("key", func(t *testing.T) {
		k, err := ParseSecretKey("S1CkpvD4WMjJWxR2WZcrDEkJ1kWG2kKe1e3Afe8miqmskHqovvA")
		require.NoError(t, err)
		seed := k.Seed()
		require.Equal(t, "1ab14d0080ec205d2d9e0ebb230fac302780fcf47778596cb3b1150cb520ca4e", hex.EncodeToString(seed[:]))
		require.Equal(t, "P1t4JZwHhWNLt4xYabCbukyVNxSbhYPdF6wCYuRmDuHD784juxd", k.Public().String())
		require.Equal(t, "0073ee58d3519d5403e98fef60354cde6c7da173c16c8c6c58cfc86ee521513ca6", hex.EncodeToString(k.Public().Bytes()))
		require.Equal(t, "S1CkpvD4WMjJWxR2WZcrDEkJ1kWG2kKe1e3Afe8miqmskHqovvA", k.String())
	})
	t.Run("genesis key", func(t *testing.T) {
		k, err := ParseSecretKey("S1UxdCJv5ckDK8z87E5Jq5fEfSVLi2cTHgtpfZy7iURs3KpPns8")
		require.NoError(t, err)
		require.Equal(t, "P12rNx7iyMpAbWx2VzGNZSE5wGDrHWUiwFVAnAuGrrKpMnfrQrH6", k.Public().String())
	})
	t.Run("docs operation signature", func(t *testing.T) {
		// The operation of §13: chain id 77658383, signed by the key above.
		k, err := ParseSecretKey("S1CkpvD4WMjJWxR2WZcrDEkJ1kWG2kKe1e3Afe8miqmskHqovvA")
		require.NoError(t, err)
		content := mustHex(t, "c0843d e807 00 00 00 fc50ab9b1b784ab1930e5cf3843e8ae67c59421b01551082b02590914b4c2a0a 80fe98c60b")
		var chain [8]byte
		binary.BigEndian.PutUint64(chain[:], 77658383)
		digest := HashOfParts(chain[:], k.Public().Bytes(), content)
		sig, err := SignatureFromBytes(mustHex(t, "00fec079be6005efd42a1d6a030dd3fb9956f9fcc7c8789b118d251a5872164f104851f25720fd48f9fd24c36d5bd31647e9b705e2def86cf3b5cebad29f86260a"))
		require.NoError(t, err)
		require.True(t, Verify(k.Public(), digest, sig))
		require.Equal(t, sig, k.Sign(digest), "Ed25519 signing is deterministic")
		require.Equal(t, "O12CRpeqSW1NenBZ7pN79ZZz454xkbeQBGspyu4gKVXcYndm8gxw", "O"+Base58CheckEncode(append([]byte{0}, digest[:]...)))
	})
}

// Keys of conformance/vectors/web3-vectors.json, written out so the test
// does not depend on the shared tree; TestWeb3VectorsFile cross-checks the
// file when it is there.
func TestWeb3Keys(t *testing.T) {
	k, err := ParseSecretKey("S12TwX9bsHtPmTYP4M8oMcYL9KhrsJXoMuhao5qQ24cNBhvYKFjC")
	require.NoError(t, err)
	require.Equal(t, "00c0dddcf9b9495861d46fd6505ef8112b9e4c7b0e07b81599d995821c60841d7f", hex.EncodeToString(k.Bytes()))
	require.Equal(t, "P12TDstKhfniwoeCi5ktoJMaG1NuH5d4d8MszVWZLKeG8KPfejEb", k.Public().String())
	require.Equal(t, "00bf3c851ad5a0bd574f5c6bee0b5f8abd0c68535a1bae12a596b9fcabcf57353a", hex.EncodeToString(k.Public().Bytes()))

	signed := mustHex(t, "0000000004a0f8fe00bf3c851ad5a0bd574f5c6bee0b5f8abd0c68535a1bae12a596b9fcabcf57353a80ade20467000000b77c3f2d1f40e626cf6070851622ff9e0986ccc5294ae6d152b5b2a134d52ce480dea0cb05")
	digest := HashOf(signed)
	require.Equal(t, "687ce83c526bb0a500ba0f4ed17288fd2c8c063ff34a2058eebad8289f38a508", hex.EncodeToString(digest[:]))
	sig, err := ParseSignature("1a96SbcQJPQy7PyCgGQ1ZSZHxbYX81sXaKSbijEkE7yChc3XqgEgWyB6s3LH1jS6aJiZ4M32TyAN9TPSomrQREVyFGC391")
	require.NoError(t, err)
	require.Equal(t, "00fd4e29c88bcd06a68d2bd71c6b1d7e2162c629ef4ebb4888e2317c089569ca8c4d50e52a603cb6f21bfdf83d6146abad158a19266c15e2d77fd5050d7afb7608", hex.EncodeToString(sig.Bytes()))
	require.True(t, Verify(k.Public(), digest, sig))
	require.Equal(t, sig, k.Sign(digest))
}

const web3VectorsPath = "../../../shared/conformance/vectors/web3-vectors.json"

func TestWeb3VectorsFile(t *testing.T) {
	raw, err := os.ReadFile(web3VectorsPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared conformance vectors not present")
	}
	require.NoError(t, err)
	var f struct {
		Keys struct {
			SecretKey    string `json:"secret_key"`
			SecretKeyHex string `json:"secret_key_versioned_hex"`
			PublicKey    string `json:"public_key"`
			PublicKeyHex string `json:"public_key_versioned_hex"`
		} `json:"keys"`
		Cases []struct {
			Name       string `json:"name"`
			Operations []struct {
				SignedBytesHex string `json:"signed_bytes_hex"`
				Blake3Hex      string `json:"blake3_of_signed_bytes_hex"`
				SignatureB58   string `json:"signature_b58"`
				SignatureHex   string `json:"signature_versioned_hex"`
				CreatorKey     string `json:"creator_public_key"`
			} `json:"operations"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))

	k, err := ParseSecretKey(f.Keys.SecretKey)
	require.NoError(t, err)
	require.Equal(t, f.Keys.SecretKeyHex, hex.EncodeToString(k.Bytes()))
	require.Equal(t, f.Keys.PublicKey, k.Public().String())
	require.Equal(t, f.Keys.PublicKeyHex, hex.EncodeToString(k.Public().Bytes()))

	var items []SigItem
	for _, c := range f.Cases {
		for _, op := range c.Operations {
			pub, err := ParsePublicKey(op.CreatorKey)
			require.NoError(t, err, c.Name)
			digest := Hash(mustHex(t, op.Blake3Hex))
			// Large payloads are elided in the file ("<N bytes: …>").
			if signed, err := hex.DecodeString(op.SignedBytesHex); err == nil {
				require.Equal(t, digest, HashOf(signed), c.Name)
			}
			sig, err := ParseSignature(op.SignatureB58)
			require.NoError(t, err, c.Name)
			require.Equal(t, op.SignatureHex, hex.EncodeToString(sig.Bytes()), c.Name)
			require.True(t, Verify(pub, digest, sig), c.Name)
			items = append(items, SigItem{PublicKey: pub, Digest: digest, Signature: sig})
		}
	}
	require.NotEmpty(t, items)
	ok, bad := VerifyBatch(items)
	require.True(t, ok, "bad: %v", bad)
}

func TestBase58Check(t *testing.T) {
	for _, payload := range [][]byte{{}, {0}, {0, 0, 1}, []byte("hello"), make([]byte, 65)} {
		s := Base58CheckEncode(payload)
		got, err := Base58CheckDecode(s)
		require.NoError(t, err)
		require.Equal(t, string(payload), string(got))
	}
	// Leading zero bytes become leading '1's.
	require.True(t, strings.HasPrefix(Base58CheckEncode([]byte{0, 0, 7}), "11"))

	good := Base58CheckEncode([]byte("massa"))
	bad := []byte(good)
	if bad[3] == 'z' {
		bad[3] = 'y'
	} else {
		bad[3] = 'z'
	}
	_, err := Base58CheckDecode(string(bad))
	require.ErrorIs(t, err, ErrBadChecksum)
	_, err = Base58CheckDecode("0OIl")
	require.ErrorIs(t, err, ErrBadBase58)
	_, err = Base58CheckDecode("")
	require.Error(t, err)
	_, err = Base58CheckDecode("2g")
	require.ErrorIs(t, err, ErrTooShort)
	_, err = Base58CheckDecode(strings.Repeat("2", maxBase58Text+1))
	require.ErrorIs(t, err, ErrTextTooLong)
}

func TestKeyTextRoundTrips(t *testing.T) {
	for _, k := range testKeys(20, "text") {
		s := k.String()
		require.True(t, strings.HasPrefix(s, "S1"))
		k2, err := ParseSecretKey(s)
		require.NoError(t, err)
		require.Equal(t, k.Seed(), k2.Seed())
		require.Equal(t, k.Public(), k2.Public())

		pub := k.Public()
		ps := pub.String()
		require.True(t, strings.HasPrefix(ps, "P1"))
		p2, err := ParsePublicKey(ps)
		require.NoError(t, err)
		require.Equal(t, pub, p2)
		p3, err := PublicKeyFromBytes(pub.Bytes())
		require.NoError(t, err)
		require.Equal(t, pub, p3)
		require.Equal(t, pub.Bytes(), pub.AppendBytes(nil))

		nid := pub.NodeID()
		require.True(t, strings.HasPrefix(nid, "N1"))
		require.Equal(t, ps[1:], nid[1:])
		n2, err := ParseNodeID(nid)
		require.NoError(t, err)
		require.Equal(t, pub, n2)

		sig := k.Sign(HashOf([]byte(s)))
		ss := sig.String()
		require.True(t, strings.HasPrefix(ss, "1"))
		s2, err := ParseSignature(ss)
		require.NoError(t, err)
		require.Equal(t, sig, s2)
		s3, err := SignatureFromBytes(sig.Bytes())
		require.NoError(t, err)
		require.Equal(t, sig, s3)
		require.Equal(t, sig.Bytes(), sig.AppendBytes(nil))

		// JSON: keys and signatures as text, the key pair as an object.
		j, err := json.Marshal(struct {
			P PublicKey
			S Signature
			H Hash
		}{pub, sig, HashOf(nil)})
		require.NoError(t, err)
		var back struct {
			P PublicKey
			S Signature
			H Hash
		}
		require.NoError(t, json.Unmarshal(j, &back))
		require.Equal(t, pub, back.P)
		require.Equal(t, sig, back.S)
		require.Equal(t, HashOf(nil), back.H)

		kj, err := json.Marshal(k)
		require.NoError(t, err)
		require.JSONEq(t, `{"secret_key":"`+s+`","public_key":"`+ps+`"}`, string(kj))
		var kb SecretKey
		require.NoError(t, json.Unmarshal(kj, &kb))
		require.Equal(t, k.Seed(), kb.Seed())
	}
}

func TestKeyParseErrors(t *testing.T) {
	k := testKeys(1, "errors")[0]
	pub := k.Public()
	for _, tc := range []struct {
		name string
		err  error
		fn   func() error
	}{
		{"pub wrong prefix", ErrBadPrefix, func() error { _, err := ParsePublicKey("N" + pub.String()[1:]); return err }},
		{"pub empty", ErrBadPrefix, func() error { _, err := ParsePublicKey(""); return err }},
		{"node wrong prefix", ErrBadPrefix, func() error { _, err := ParseNodeID(pub.String()); return err }},
		{"secret wrong prefix", ErrBadPrefix, func() error { _, err := ParseSecretKey("P" + k.String()[1:]); return err }},
		{"pub checksum", ErrBadChecksum, func() error {
			s := []byte(pub.String())
			s[10] = map[bool]byte{true: 'a', false: 'b'}[s[10] != 'a']
			_, err := ParsePublicKey(string(s))
			return err
		}},
		{"pub version", ErrBadVersion, func() error {
			_, err := ParsePublicKey("P" + Base58CheckEncode(append([]byte{1}, pub[:]...)))
			return err
		}},
		{"pub trailing", ErrTrailingBytes, func() error {
			_, err := ParsePublicKey("P" + Base58CheckEncode(append(pub.Bytes(), 0)))
			return err
		}},
		{"pub short bytes", ErrTooShort, func() error { _, err := PublicKeyFromBytes(pub.Bytes()[:32]); return err }},
		{"pub not a point", ErrBadPublicKey, func() error {
			var np [32]byte
			np[0] = 2
			for decompress(np) != nil {
				np[0]++
			}
			_, err := PublicKeyFromBytes(append([]byte{0}, np[:]...))
			return err
		}},
		{"sig short", ErrTooShort, func() error { _, err := SignatureFromBytes(make([]byte, 64)); return err }},
		{"sig version", ErrBadVersion, func() error {
			b := make([]byte, 65)
			b[0] = 1
			_, err := SignatureFromBytes(b)
			return err
		}},
		{"sig text length", ErrBadSignature, func() error {
			_, err := ParseSignature(Base58CheckEncode(make([]byte, 64)))
			return err
		}},
		{"secret short", ErrTooShort, func() error { _, err := SecretKeyFromBytes(make([]byte, 32)); return err }},
		{"secret version", ErrBadVersion, func() error {
			b := make([]byte, 33)
			b[0] = 1
			_, err := SecretKeyFromBytes(b)
			return err
		}},
		{"hash short", ErrTooShort, func() error { _, err := ParseHash(Base58CheckEncode(make([]byte, 31))); return err }},
		{"hash long", ErrTrailingBytes, func() error { _, err := ParseHash(Base58CheckEncode(make([]byte, 33))); return err }},
		{"sig text trailing", ErrTrailingBytes, func() error {
			_, err := ParseSignature(Base58CheckEncode(make([]byte, 66)))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.fn(), tc.err)
		})
	}

	// Binary forms ignore bytes after the key, as Massa's from_bytes does.
	p, err := PublicKeyFromBytes(append(pub.Bytes(), 9, 9))
	require.NoError(t, err)
	require.Equal(t, pub, p)
	sk, err := SecretKeyFromBytes(append(k.Bytes(), pub[:]...))
	require.NoError(t, err)
	require.Equal(t, k.Seed(), sk.Seed())

	// Small-order and non-canonical encodings are curve points, and Massa's
	// parser (dalek VerifyingKey::from_bytes) accepts them.
	for _, e := range smallOrderEncodings {
		enc := mustHex32(t, e)
		_, err := PublicKeyFromBytes(append([]byte{0}, enc[:]...))
		require.NoError(t, err, e)
	}
	encs, _ := nonCanonicalEncodings(t)
	for _, e := range encs {
		_, err := PublicKeyFromBytes(append([]byte{0}, e[:]...))
		require.NoError(t, err, hex.EncodeToString(e[:]))
	}
}

func TestHashHelpers(t *testing.T) {
	a, b := []byte("ab"), []byte("cde")
	require.Equal(t, HashOf([]byte("abcde")), HashOfParts(a, b))
	tuple := append(append(append([]byte{0, 0, 0, 0, 0, 0, 0, 2}, a...), 0, 0, 0, 0, 0, 0, 0, 3), b...)
	require.Equal(t, HashOf(tuple), HashOfTuple(a, b))
	x := HashXOF([]byte("abc"))
	h := HashOf([]byte("abc"))
	require.Equal(t, h[:], x[:32], "the XOF output starts with the 32-byte digest")
	require.Equal(t, -1, HashOf(nil).Compare(Hash{0xff}))
	var back Hash
	require.NoError(t, back.UnmarshalText([]byte(h.String())))
	require.Equal(t, h, back)
}

func TestParsePublicKeyCache(t *testing.T) {
	for i := range 3 {
		var seed [SeedSize]byte
		seed[0] = byte(i + 1)
		k := SecretKeyFromSeed(seed)
		text := k.Public().String()
		first, err := ParsePublicKey(text)
		if err != nil || first != k.Public() {
			t.Fatalf("parse %s: %v", text, err)
		}
		again, err := ParsePublicKey(text) // from the cache
		if err != nil || again != first {
			t.Fatalf("cached parse %s: %v", text, err)
		}
		// A corrupted copy must still be refused after the valid one is cached.
		bad := text[:len(text)-1] + string("23456789"[i])
		if bad != text {
			if _, err := ParsePublicKey(bad); err == nil {
				t.Fatalf("corrupted key %s accepted", bad)
			}
		}
	}
}
