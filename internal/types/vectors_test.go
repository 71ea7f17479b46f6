package types

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Vectors of model.md §13, recomputed independently of this package.

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t testing.TB, s string) *crypto.SecretKey {
	t.Helper()
	k, err := crypto.ParseSecretKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	docsKey        = "S1CkpvD4WMjJWxR2WZcrDEkJ1kWG2kKe1e3Afe8miqmskHqovvA"
	genesisKeyText = "S1UxdCJv5ckDK8z87E5Jq5fEfSVLi2cTHgtpfZy7iURs3KpPns8"
	docsContentHex = "c0843d e807 00 00 00 fc50ab9b1b784ab1930e5cf3843e8ae67c59421b01551082b02590914b4c2a0a 80fe98c60b"
	docsSigHex     = "00fec079be6005efd42a1d6a030dd3fb9956f9fcc7c8789b118d251a5872164f104851f25720fd48f9fd24c36d5bd31647e9b705e2def86cf3b5cebad29f86260a"
	docsPubHex     = "0073ee58d3519d5403e98fef60354cde6c7da173c16c8c6c58cfc86ee521513ca6"
)

func TestSpecHashAndIDVectors(t *testing.T) {
	if got := hex.EncodeToString(func() []byte { h := crypto.HashOf([]byte("abc")); return h[:] }()); got != "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85" {
		t.Fatalf("blake3(abc) = %s", got)
	}
	h := crypto.HashOf([]byte("ADDR"))
	if got := (Address{Hash: h}).String(); got != "AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx" {
		t.Fatalf("user address %s", got)
	}
	sc := Address{SC: true, Hash: h}.String()
	if sc != "AS12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx" {
		t.Fatalf("sc address %s", sc)
	}
	for _, s := range []string{"AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx", sc} {
		a, err := ParseAddress(s)
		if err != nil || a.Hash != h || a.String() != s {
			t.Fatalf("parse %s: %v %v", s, a, err)
		}
	}
	bid := BlockID(crypto.HashOf([]byte("blk")))
	if bid.String() != "B12iL52kye2CraMXdkdKDxjZJXF9it6E4hz8KEj656QnhvwocvBX" {
		t.Fatalf("block id %s", bid)
	}
	back, err := ParseBlockID(bid.String())
	if err != nil || back != bid {
		t.Fatalf("parse block id: %v", err)
	}
}

func TestSpecKeyVector(t *testing.T) {
	k := mustKey(t, docsKey)
	seed := k.Seed()
	if hex.EncodeToString(seed[:]) != "1ab14d0080ec205d2d9e0ebb230fac302780fcf47778596cb3b1150cb520ca4e" {
		t.Fatalf("seed %x", seed)
	}
	if k.Public().String() != "P1t4JZwHhWNLt4xYabCbukyVNxSbhYPdF6wCYuRmDuHD784juxd" {
		t.Fatalf("public key %s", k.Public())
	}
	if hex.EncodeToString(k.Public().Bytes()) != docsPubHex {
		t.Fatalf("public key bytes %x", k.Public().Bytes())
	}
	a := AddressOf(k.Public())
	if a.String() != "AU12m1gXHUGxBZsDF4veeWfYaRmpztBCieHhPBaqf3fcRF2LdAuZ7" {
		t.Fatalf("address %s", a)
	}
	if a.Thread(32) != 28 {
		t.Fatalf("thread %d", a.Thread(32))
	}
	g := mustKey(t, genesisKeyText)
	if g.Public().String() != "P12rNx7iyMpAbWx2VzGNZSE5wGDrHWUiwFVAnAuGrrKpMnfrQrH6" ||
		AddressOf(g.Public()).String() != "AU12bmDrXHNzb5Ugv1PhEoq871uK6boy51bHx9wgKc6D3TLa6zyZ" {
		t.Fatalf("genesis key %s %s", g.Public(), AddressOf(g.Public()))
	}
}

func docsOperation(t testing.TB) Operation {
	to, err := ParseAddress("AU12v83xmHg2UrLM8GLsXRMrm7LQgn3DZVT6kUeFsuFyhZKLkbQtY")
	if err != nil {
		t.Fatal(err)
	}
	return Operation{Fee: MustAmount("0.001"), ExpirePeriod: 1000, Type: OpTransaction, Recipient: to, Amount: MustAmount("3.1")}
}

func TestSpecDocsOperation(t *testing.T) {
	op := docsOperation(t)
	content := mustHex(t, docsContentHex)
	if got := op.Encode(); hex.EncodeToString(got) != hex.EncodeToString(content) {
		t.Fatalf("content\n got %x\nwant %x", got, content)
	}
	const secuChainID = 77658383
	so := SignOperation(op, mustKey(t, docsKey), secuChainID)
	if so.ID.String() != "O12CRpeqSW1NenBZ7pN79ZZz454xkbeQBGspyu4gKVXcYndm8gxw" {
		t.Fatalf("id %s", so.ID)
	}
	wire := so.AppendBinary(nil)
	want := mustHex(t, docsSigHex+docsPubHex+docsContentHex)
	if len(wire) != 143 || hex.EncodeToString(wire) != hex.EncodeToString(want) {
		t.Fatalf("secure share (%d B)\n got %x\nwant %x", len(wire), wire, want)
	}
	back, err := DecodeSignedOperation(want, secuChainID)
	if err != nil || back.ID != so.ID || !back.VerifySignature() || back.SerializedLen != 143 {
		t.Fatalf("decode: %v", err)
	}
	const mainnetChainID = 77658377
	if id := OperationID(OperationHash(mainnetChainID, so.Creator, content)); id.String() != "O1SfDC278fgQQjPEr8ZE8rqn6i6tozqB54AV5MRbR8fYfspQvUW" {
		t.Fatalf("mainnet id %s", id)
	}
}

// Derived (model.md §13, not checked against a live node): genesis header
// contents and ids for last start period 0.
func TestSpecGenesisBlocks(t *testing.T) {
	key := mustKey(t, genesisKeyText)
	for _, c := range []struct {
		thread uint8
		id     string
	}{
		{0, "B12LnGn6yQZtoam4jGMDs9DqTdDGoUHEbZjGhHksvp7icuvLptTu"},
		{1, "B123woE2RThbeDsNuC7fxs7aUokcpbVjWFBReA1CVf3iWPyQaJAz"},
	} {
		b := GenesisBlock(key, c.thread, 0)
		wantContent := mustHex(t, "00 30 00 0"+string('0'+c.thread)+" 00 af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262 00 00")
		if hex.EncodeToString(b.Header.Content) != hex.EncodeToString(wantContent) {
			t.Fatalf("thread %d content %x", c.thread, b.Header.Content)
		}
		if b.ID().String() != c.id {
			t.Fatalf("thread %d id %s want %s", c.thread, b.ID(), c.id)
		}
		if !b.Header.VerifySignature() || !b.MerkleRootMatches() || b.Header.Fitness() != 1 {
			t.Fatal("genesis block checks")
		}
		back, err := DecodeBlock(b.Encode(), DefaultCodecParams())
		if err != nil || back.ID() != b.ID() || len(back.Operations) != 0 || !back.Header.Header.IsGenesis() {
			t.Fatalf("decode genesis: %v", err)
		}
	}
}
