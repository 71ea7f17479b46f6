package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomassa/gomassa/internal/crypto"
)

// maxNodeKeySize bounds the node key file; the real one is about 110 bytes.
const maxNodeKeySize = 4 << 10

// nodeKeyJSON is Massa's serde form of a KeyPair. Both fields must be present,
// as serde requires; only secret_key is used, as in Massa.
type nodeKeyJSON struct {
	SecretKey *string `json:"secret_key"`
	PublicKey *string `json:"public_key"`
}

// LoadOrCreateNodeKey reads the node identity key from path
// (<home>/config/node_privkey.key, Massa's plaintext JSON
// {"secret_key":"S…","public_key":"P…"}), or, when the file does not exist,
// generates one from rnd (crypto/rand when nil) and writes it atomically with
// mode 0600. created reports the second case. A file that exists but cannot
// be read or parsed is an error wrapping ErrNodeKey and is never overwritten:
// the node's identity is the operator's to discard.
func LoadOrCreateNodeKey(path string, rnd io.Reader) (key *crypto.SecretKey, created bool, err error) {
	data, err := readRegular(path, maxNodeKeySize)
	switch {
	case err == nil:
		key, err := decodeNodeKey(data)
		if err != nil {
			return nil, false, fmt.Errorf("%w %s: %s; delete it to create a new node identity", ErrNodeKey, path, err)
		}
		return key, false, nil
	case errors.Is(err, fs.ErrNotExist):
		// fall through to creation
	case errors.Is(err, errNotRegular):
		return nil, false, fmt.Errorf("%w %s: not a regular file; delete it to create a new node identity", ErrNodeKey, path)
	default:
		return nil, false, fmt.Errorf("%w %s: cannot read it (%v); fix its permissions, or delete it to create a new node identity",
			ErrNodeKey, path, err)
	}

	key, err = crypto.GenerateKey(rnd)
	if err != nil {
		return nil, false, fmt.Errorf("create node key %s: %w", path, err)
	}
	data, err = json.Marshal(key)
	if err != nil {
		return nil, false, fmt.Errorf("create node key %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return nil, false, fmt.Errorf("create node key %s: %w", path, err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return nil, false, fmt.Errorf("create node key: %w", err)
	}
	return key, true, nil
}

// decodeNodeKey parses the file. Its errors never quote the file's content:
// a typo in a secret key must not print the rest of it.
func decodeNodeKey(data []byte) (*crypto.SecretKey, error) {
	var v nodeKeyJSON
	if err := json.Unmarshal(data, &v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("not valid JSON (at byte %d)", syn.Offset)
		}
		return nil, errors.New(`not a {"secret_key": "S…", "public_key": "P…"} object`)
	}
	if v.SecretKey == nil {
		return nil, errors.New("missing field secret_key")
	}
	if v.PublicKey == nil {
		return nil, errors.New("missing field public_key")
	}
	key, err := crypto.ParseSecretKey(*v.SecretKey)
	if err != nil {
		return nil, errors.New("secret_key is not a valid S… secret key")
	}
	return key, nil
}
