package types

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

type web3Vectors struct {
	ChainID string `json:"chain_id"`
	Keys    struct {
		SecretKey   string `json:"secret_key"`
		PublicKey   string `json:"public_key"`
		Address     string `json:"address"`
		AddressHex  string `json:"address_bytes_hex"`
		Other       string `json:"other_address"`
		OtherHex    string `json:"other_address_bytes_hex"`
		SCAddress   string `json:"example_sc_address_from_mock"`
		SCAddrBytes string `json:"example_sc_address_bytes_hex"`
	} `json:"keys"`
	Cases []struct {
		Name       string `json:"name"`
		Operations []struct {
			ContentHex   string `json:"serialized_content_hex"`
			SignedHex    string `json:"signed_bytes_hex"`
			HashHex      string `json:"blake3_of_signed_bytes_hex"`
			SignatureB58 string `json:"signature_b58"`
			Creator      string `json:"creator_public_key"`
			ID           string `json:"operation_id_derived_by_mock"`
		} `json:"operations"`
	} `json:"cases"`
}

// sharedDir finds ../shared from the module root.
func sharedDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	for _, p := range []string{filepath.Join(root, "..", "shared"), os.Getenv("GOMASSA_SHARED")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(p, "conformance")); err == nil {
			return p
		}
	}
	t.Skip("shared/ conformance folder not found next to the repository")
	return ""
}

func loadVectors(t testing.TB) web3Vectors {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "conformance", "vectors", "web3-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v web3Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWeb3OperationVectors(t *testing.T) {
	v := loadVectors(t)
	chainID, err := strconv.ParseUint(v.ChainID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range v.Cases {
		for i, o := range c.Operations {
			t.Run(c.Name+"/"+strconv.Itoa(i), func(t *testing.T) {
				content, _ := hex.DecodeString(o.ContentHex)
				pub, err := crypto.ParsePublicKey(o.Creator)
				if err != nil {
					t.Fatal(err)
				}
				sig, err := crypto.ParseSignature(o.SignatureB58)
				if err != nil {
					t.Fatal(err)
				}
				so, err := NewSignedOperation(content, pub, sig, chainID)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got := hex.EncodeToString(so.Op.Encode()); got != o.ContentHex {
					t.Fatalf("re-encode:\n got %s\nwant %s", got, o.ContentHex)
				}
				if got := hex.EncodeToString(so.ID[:]); got != o.HashHex {
					t.Fatalf("hash %s want %s", got, o.HashHex)
				}
				if o.ID != "" && so.ID.String() != o.ID {
					t.Fatalf("id %s want %s", so.ID, o.ID)
				}
				if !so.VerifySignature() {
					t.Fatal("signature does not verify")
				}
				wire := so.AppendBinary(nil)
				back, err := DecodeSignedOperation(wire, chainID)
				if err != nil || back.ID != so.ID {
					t.Fatalf("wire round trip: %v", err)
				}
			})
			n++
		}
	}
	if n == 0 {
		t.Fatal("no operation vectors")
	}
}

func TestWeb3KeyVectors(t *testing.T) {
	v := loadVectors(t)
	sk, err := crypto.ParseSecretKey(v.Keys.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	if sk.String() != v.Keys.SecretKey || sk.Public().String() != v.Keys.PublicKey {
		t.Fatalf("key texts differ: %s %s", sk, sk.Public())
	}
	addr := AddressOf(sk.Public())
	if addr.String() != v.Keys.Address || hex.EncodeToString(addr.Bytes()) != v.Keys.AddressHex {
		t.Fatalf("address %s %x", addr, addr.Bytes())
	}
	for _, c := range []struct{ text, hexb string }{{v.Keys.Other, v.Keys.OtherHex}, {v.Keys.SCAddress, v.Keys.SCAddrBytes}} {
		a, err := ParseAddress(c.text)
		if err != nil {
			t.Fatal(err)
		}
		if a.String() != c.text || hex.EncodeToString(a.Bytes()) != c.hexb {
			t.Fatalf("address %s: %s %x", c.text, a, a.Bytes())
		}
	}
}
