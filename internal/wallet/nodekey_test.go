package wallet

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNodeKeyCreatedThenReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "node_privkey.key")
	rnd := bytes.NewReader(bytes.Repeat([]byte{7}, 32))
	k1, created, err := LoadOrCreateNodeKey(path, rnd)
	require.NoError(t, err)
	require.True(t, created)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(filePerm), fi.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^\{"secret_key":"S[1-9A-HJ-NP-Za-km-z]+","public_key":"P[1-9A-HJ-NP-Za-km-z]+"\}$`), string(data))
	require.Contains(t, string(data), k1.String())
	require.Contains(t, string(data), k1.Public().String())

	k2, created, err := LoadOrCreateNodeKey(path, nil)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, k1.Bytes(), k2.Bytes())
}

func TestNodeKeyMassaFile(t *testing.T) {
	// Massa's serde output with whitespace and the fields in the other order.
	k := testKey(3)
	path := filepath.Join(t.TempDir(), "node_privkey.key")
	text := "{\n  \"public_key\": \"" + k.Public().String() + "\",\n  \"secret_key\": \"" + k.String() + "\"\n}\n"
	require.NoError(t, os.WriteFile(path, []byte(text), filePerm))
	got, created, err := LoadOrCreateNodeKey(path, nil)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, k.Bytes(), got.Bytes())
}

func TestNodeKeyCorrupt(t *testing.T) {
	k := testKey(4)
	secret := k.String()
	typo := secret[:10] + "0" + secret[11:] // '0' is not base58
	cases := []struct{ name, text string }{
		{"garbage", "not json at all"},
		{"empty", ""},
		{"missing public_key", `{"secret_key":"` + secret + `"}`},
		{"missing secret_key", `{"public_key":"` + k.Public().String() + `"}`},
		{"typo in secret", `{"secret_key":"` + typo + `","public_key":"` + k.Public().String() + `"}`},
		{"trailing data", `{"secret_key":"` + secret + `","public_key":"` + k.Public().String() + `"} {}`},
		{"wrong type", `{"secret_key":5,"public_key":"x"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node_privkey.key")
			require.NoError(t, os.WriteFile(path, []byte(c.text), filePerm))
			_, _, err := LoadOrCreateNodeKey(path, nil)
			require.ErrorIs(t, err, ErrNodeKey)
			require.Contains(t, err.Error(), path)
			require.Contains(t, err.Error(), "delete it to create a new node identity")
			require.NotContains(t, err.Error(), secret[5:20], "error must not quote the secret")
			require.NotContains(t, err.Error(), typo[5:20], "error must not quote the secret")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, c.text, string(data), "corrupt file never overwritten")
		})
	}
}

func TestNodeKeyNotAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node_privkey.key")
	require.NoError(t, os.Mkdir(path, dirPerm))
	_, _, err := LoadOrCreateNodeKey(path, nil)
	require.ErrorIs(t, err, ErrNodeKey)
	require.Contains(t, err.Error(), path)
}

func TestNodeKeyUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	path := filepath.Join(t.TempDir(), "node_privkey.key")
	require.NoError(t, os.WriteFile(path, []byte("{}"), 0))
	_, _, err := LoadOrCreateNodeKey(path, nil)
	require.ErrorIs(t, err, ErrNodeKey)
	require.Contains(t, err.Error(), "delete it to create a new node identity")
}

func TestNodeKeyCrashDuringCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node_privkey.key")
	crashBeforeRename(t)
	_, _, err := LoadOrCreateNodeKey(path, nil)
	require.ErrorIs(t, err, errCrash)
	require.Empty(t, listDir(t, dir), "no partial key file left")
}
