package types

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

func TestDisplayPrefixes(t *testing.T) {
	k := testKey(5)
	a := AddressOf(k.Public())
	sig := k.Sign(crypto.HashOf(nil))
	oid := OperationID(crypto.HashOf([]byte("o")))
	bid := BlockID(crypto.HashOf([]byte("b")))
	eid := EndorsementID(crypto.HashOf([]byte("e")))
	on, off := Display{TypedPrefixes: true}, Display{}

	cases := []struct {
		kind  DisplayKind
		plain string
		on    string
	}{
		{KindAddress, off.Address(a), on.Address(a)},
		{KindSecretKey, off.SecretKey(k), on.SecretKey(k)},
		{KindPublicKey, off.PublicKey(k.Public()), on.PublicKey(k.Public())},
		{KindSignature, off.Signature(sig), on.Signature(sig)},
		{KindEndorsementID, off.EndorsementID(eid), on.EndorsementID(eid)},
		{KindOperationID, off.OperationID(oid), on.OperationID(oid)},
		{KindBlockID, off.BlockID(bid), on.BlockID(bid)},
		{KindSCEventID, off.SCEventID("ev1"), on.SCEventID("ev1")},
		{KindNodeID, off.NodeID(k.Public()), on.NodeID(k.Public())},
	}
	wantPrefix := []string{"ADR-AU1", "PRI-S1", "PUB-P1", "SIG-1", "END-E1", "OPE-O1", "BLO-B1", "SCE-ev1", "NOD-N1"}
	for i, c := range cases {
		if c.on != c.kind.Prefix()+"-"+c.plain || !strings.HasPrefix(c.on, wantPrefix[i]) {
			t.Errorf("%v: %q / %q", c.kind, c.plain, c.on)
		}
		if StripTypedPrefix(c.on) != c.plain || StripTypedPrefix(c.plain) != c.plain {
			t.Errorf("%v: strip", c.kind)
		}
		for _, in := range []string{c.plain, c.on} {
			got, err := StripPrefix(in, c.kind)
			if err != nil || got != c.plain {
				t.Errorf("%v: StripPrefix(%q) = %q, %v", c.kind, in, got, err)
			}
		}
		other := DisplayKind((int(c.kind) + 1) % int(kindCount))
		if _, err := StripPrefix(c.on, other); !errors.Is(err, ErrBadPrefix) {
			t.Errorf("%v as %v: %v", c.kind, other, err)
		}
	}

	// Parsers accept both forms and refuse the wrong tag.
	if got, err := ParseAddressDisplay(on.Address(a)); err != nil || got != a {
		t.Fatal(err)
	}
	if got, err := ParseAddressDisplay(a.String()); err != nil || got != a {
		t.Fatal(err)
	}
	if _, err := ParseAddressDisplay("PUB-" + a.String()); !errors.Is(err, ErrBadPrefix) {
		t.Fatalf("wrong tag: %v", err)
	}
	if _, err := ParseAddressDisplay("XYZ-" + a.String()); !errors.Is(err, ErrBadPrefix) {
		t.Fatalf("unknown tag: %v", err)
	}
	if got, err := ParseSecretKeyDisplay(on.SecretKey(k)); err != nil || got.Public() != k.Public() {
		t.Fatal(err)
	}
	if got, err := ParsePublicKeyDisplay(on.PublicKey(k.Public())); err != nil || got != k.Public() {
		t.Fatal(err)
	}
	if got, err := ParseSignatureDisplay(on.Signature(sig)); err != nil || got != sig {
		t.Fatal(err)
	}
	if got, err := ParseEndorsementIDDisplay(on.EndorsementID(eid)); err != nil || got != eid {
		t.Fatal(err)
	}
	if got, err := ParseOperationIDDisplay(on.OperationID(oid)); err != nil || got != oid {
		t.Fatal(err)
	}
	if _, err := ParseOperationIDDisplay(on.BlockID(bid)); !errors.Is(err, ErrBadPrefix) {
		t.Fatalf("block id as operation id: %v", err)
	}
	if got, err := ParseBlockIDDisplay(on.BlockID(bid)); err != nil || got != bid {
		t.Fatal(err)
	}
	if got, err := ParseNodeIDDisplay(on.NodeID(k.Public())); err != nil || got != k.Public() {
		t.Fatal(err)
	}
}

// JSON never carries display prefixes, whatever the display setting.
func TestJSONHasNoTypedPrefix(t *testing.T) {
	a := AddressOf(testKey(5).Public())
	b, err := json.Marshal(a)
	if err != nil || string(b) != `"`+a.String()+`"` {
		t.Fatalf("address json %s %v", b, err)
	}
	blk := testBlock(t, DefaultCodecParams(), []uint32{0}, true, 1)
	js, _ := json.Marshal(blk)
	for _, p := range displayPrefixes {
		if strings.Contains(string(js), `"`+p+"-") {
			t.Fatalf("json contains %s-: %s", p, js)
		}
	}
}
