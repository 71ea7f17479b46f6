package wallet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func validFileText(t testing.TB) string {
	t.Helper()
	k := testKey(5)
	rec, err := sealKey(newKeyCache([]byte("pw")), k, [saltSize]byte{1, 2, 3}, [nonceSize]byte{4, 5, 6})
	require.NoError(t, err)
	data, err := rec.encode()
	require.NoError(t, err)
	return string(data)
}

// replaceField swaps the whole "name: …" entry (with its sequence lines) for repl.
func replaceField(text, name, repl string) string {
	i := strings.Index(text, name+":")
	j := i + len(name) + 1
	for j < len(text) {
		nl := strings.IndexByte(text[j:], '\n')
		if nl < 0 {
			j = len(text)
			break
		}
		j += nl + 1
		if j >= len(text) || !strings.HasPrefix(text[j:], "- ") {
			break
		}
	}
	return text[:i] + repl + text[j:]
}

func TestDecodeFileErrors(t *testing.T) {
	good := validFileText(t)
	_, err := decodeFile([]byte(good))
	require.NoError(t, err)

	cases := []struct {
		name, text string
	}{
		{"empty", ""},
		{"not a mapping", "- 1\n- 2\n"},
		{"missing Version", replaceField(good, "Version", "")},
		{"missing PublicKey", replaceField(good, "PublicKey", "")},
		{"missing CipheredData", replaceField(good, "CipheredData", "")},
		{"version 2", replaceField(good, "Version", "Version: 2\n")},
		{"version string", replaceField(good, "Version", "Version: one\n")},
		{"bad address", replaceField(good, "Address", "Address: AUxyz\n")},
		{"SC address", replaceField(good, "Address", "Address: AS12fZLkSr3MPHgVMa2uVntGVGd1cDpTJtNkkA6D3iWNVSxNpR6mo\n")},
		{"salt 17", replaceField(good, "Salt", "Salt: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"nonce 11", replaceField(good, "Nonce", "Nonce: [0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"byte 256", replaceField(good, "Nonce", "Nonce: [256,0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"negative byte", replaceField(good, "Nonce", "Nonce: [-1,0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"quoted byte", replaceField(good, "Nonce", "Nonce: ['1',0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"binary scalar", replaceField(good, "Nonce", "Nonce: !!binary AAAAAAAAAAAAAAAA\n")},
		{"nested sequence", replaceField(good, "Nonce", "Nonce: [[1],0,0,0,0,0,0,0,0,0,0,0]\n")},
		{"short ciphertext", replaceField(good, "CipheredData", "CipheredData: [1, 2, 3]\n")},
		{"public key 32", replaceField(good, "PublicKey", "PublicKey: ["+strings.Repeat("0,", 31)+"0]\n")},
		{"public key version 1", replaceField(good, "PublicKey", "PublicKey: [1"+strings.Repeat(",0", 32)+"]\n")},
		{"two documents", good + "---\nVersion: 1\n"},
		{"too large", good + "# " + strings.Repeat("x", maxFileSize) + "\n"},
		{"huge sequence", replaceField(good, "CipheredData", "CipheredData: ["+strings.Repeat("0,", maxSealedSize)+"0]\n")},
		{"tabs", "\tVersion: 1\n"},
		// Long mappings are refused before the library's quadratic duplicate check.
		{"many keys", strings.Repeat("a: 1\n", 3000)},
		{"long nested mapping", replaceField(good, "Version", "Version: {"+strings.Repeat("a: 1, ", 2000)+"}\n")},
		{"deep nesting", strings.Repeat("[", 12000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NotEqual(t, good, c.text)
			_, err := decodeFile([]byte(c.text))
			require.ErrorIs(t, err, ErrBadFile)
		})
	}
}

func TestEncodeLayout(t *testing.T) {
	text := validFileText(t)
	require.True(t, strings.HasPrefix(text, "Version: 1\nNickname: AU"), text)
	require.Contains(t, text, "\nSalt:\n- 1\n- 2\n- 3\n- 0\n")
	require.Contains(t, text, "\nNonce:\n- 4\n")
	for _, f := range []string{"CipheredData:", "PublicKey:"} {
		require.Contains(t, text, "\n"+f+"\n- ")
	}
}

// FuzzLoadWalletFile: the wallet file decoder must not panic on any input,
// and what it accepts must survive an encode/decode round trip.
func FuzzLoadWalletFile(f *testing.F) {
	good := validFileText(f)
	f.Add([]byte(good))
	f.Add([]byte(replaceField(good, "Salt", "Salt: [1, 2, 3]\n")))
	f.Add([]byte("Version: 0\nNickname: a\nAddress: AU1\nSalt: []\nNonce: []\nCipheredData: []\nPublicKey: []\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("--- !!binary\n"))
	f.Add([]byte{0xff, 0xfe, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeFile(data)
		if err != nil {
			return
		}
		out, err := rec.encode()
		if err != nil {
			t.Fatalf("encode of decoded file: %v", err)
		}
		rec2, err := decodeFile(out)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		out2, err := rec2.encode()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("round trip differs:\n%s\n%s", out, out2)
		}
	})
}
