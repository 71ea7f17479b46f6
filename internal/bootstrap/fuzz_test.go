package bootstrap

import (
	"bytes"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// fuzzLimits are small, so that the fuzzer reaches the limit checks.
func fuzzLimits() Limits {
	l := DefaultLimits(testThreads)
	l.MaxEntries, l.MaxBlocks, l.MaxPeers, l.MaxListeners = 8, 4, 4, 4
	l.MaxKey, l.MaxValue, l.MaxBlock, l.MaxText = 64, 256, 256, 64
	return l
}

// checkServerStable re-encodes what decoded and checks that the result
// decodes to the same encoding (varints may be accepted in a lossy form,
// so the input itself need not be canonical).
func checkServerStable(t *testing.T, b []byte) {
	m, err := DecodeServer(b, fuzzLimits())
	if err != nil {
		return
	}
	enc := EncodeServer(m)
	m2, err := DecodeServer(enc, fuzzLimits())
	if err != nil {
		t.Fatalf("re-encoding of %x does not decode: %v", b, err)
	}
	if !bytes.Equal(EncodeServer(m2), enc) {
		t.Fatalf("encoding not stable for %x", b)
	}
}

func checkClientStable(t *testing.T, b []byte) {
	m, err := DecodeClient(b, fuzzLimits())
	if err != nil {
		return
	}
	enc := EncodeClient(m)
	m2, err := DecodeClient(enc, fuzzLimits())
	if err != nil {
		t.Fatalf("re-encoding of %x does not decode: %v", b, err)
	}
	if !bytes.Equal(EncodeClient(m2), enc) {
		t.Fatalf("encoding not stable for %x", b)
	}
}

// fuzzServerKind fuzzes the body of one server message kind.
func fuzzServerKind(f *testing.F, kind uint64, seeds ...ServerMessage) {
	for _, m := range seeds {
		f.Add(EncodeServer(m)[types.UvarintLen(kind):])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkServerStable(t, append(types.AppendUvarint(nil, kind), body...))
	})
}

func fuzzClientKind(f *testing.F, kind uint64, seeds ...ClientMessage) {
	for _, m := range seeds {
		f.Add(EncodeClient(m)[types.UvarintLen(kind):])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkClientStable(t, append(types.AppendUvarint(nil, kind), body...))
	})
}

func FuzzBootstrapTime(f *testing.F) {
	fuzzServerKind(f, kindTime, &BootstrapTime{ServerTimeMS: 1_700_000_000_000, Version: testVersion})
}

func FuzzBootstrapPeers(f *testing.F) {
	fuzzServerKind(f, kindPeers, &BootstrapPeers{Peers: testPeers()}, &BootstrapPeers{})
}

func FuzzBootstrapPart(f *testing.F) {
	fuzzServerKind(f, kindPart, samplePart(), &BootstrapPart{Slot: types.Slot{Period: 3, Thread: 1}})
}

func FuzzServerError(f *testing.F) {
	fuzzServerKind(f, kindError, &ServerError{Text: "busy", RetryAfterMS: 1000})
}

func FuzzAskBootstrapPart(f *testing.F) {
	s := types.Slot{Period: 2}
	fuzzClientKind(f, kindAskPart, &AskBootstrapPart{SendLastStartPeriod: true},
		&AskBootstrapPart{LastSlot: &s, Step: StepOngoing, LastKey: []byte("ledger/k")})
}

func FuzzClientError(f *testing.F) {
	fuzzClientKind(f, kindCError, &ClientError{Text: "clock"})
}

// FuzzServerMessage and FuzzClientMessage cover the type ids too.
func FuzzServerMessage(f *testing.F) {
	for _, m := range sampleServerMessages() {
		f.Add(EncodeServer(m))
	}
	f.Fuzz(checkServerStable)
}

func FuzzClientMessage(f *testing.F) {
	for _, m := range sampleClientMessages() {
		f.Add(EncodeClient(m))
	}
	f.Fuzz(checkClientStable)
}

func FuzzHandshake(f *testing.F) {
	f.Add(handshake(testVersion, [RandomSize]byte{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeHandshake(b)
		if err != nil {
			return
		}
		// A varint whose last byte carries bits its type cannot hold
		// decodes (as Massa's varint crate does) to the value of its
		// canonical form: check values, not bytes.
		got := append(v.AppendBinary(nil), b[len(b)-RandomSize:]...)
		v2, err := decodeHandshake(got)
		if err != nil {
			t.Fatalf("handshake %x re-encodes as %x, which does not decode: %v", b, got, err)
		}
		if v2 != v {
			t.Fatalf("handshake %x re-encodes as %x, which decodes to %v instead of %v", b, got, v2, v)
		}
	})
}

// FuzzServerFrame feeds arbitrary bytes to the signed-frame reader: it
// must never accept a frame the key did not sign, nor panic.
func FuzzServerFrame(f *testing.F) {
	key := testKey(1)
	hs := handshake(testVersion, [RandomSize]byte{})
	c := chain{prev: crypto.HashOf(hs), has: true}
	var buf bytes.Buffer
	_ = writeServerFrame(&buf, key, &c, EncodeServer(&SlotTooOld{}))
	valid := bytes.Clone(buf.Bytes())
	f.Add(valid)
	f.Add(valid[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		c := chain{prev: crypto.HashOf(hs), has: true}
		raw, err := readServerFrame(bytes.NewReader(b), key.Public(), &c, 1<<16)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, valid) {
			t.Fatalf("frame %x accepted", b)
		}
		_, _ = DecodeServer(raw, fuzzLimits())
	})
}
