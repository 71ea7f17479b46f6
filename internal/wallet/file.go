package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	yaml "go.yaml.in/yaml/v3"
)

const (
	// fileVersion is the only wallet file version; Massa reads 0 as 1.
	fileVersion = 1
	// maxFileSize bounds what is read from disk. A real file is under 1 KiB.
	maxFileSize = 16 << 10
	// maxFields bounds every mapping: Massa writes seven fields; a few
	// unknown ones are tolerated.
	maxFields = 32
	// maxSealedSize bounds CipheredData: Massa seals 33 bytes (49 with the
	// tag), some older files 65 (81); anything far larger is not a key.
	maxSealedSize = 1024
	// minPlaintext is the versioned secret key, 0x00 || seed.
	minPlaintext = crypto.VersionedSecretKeySize

	filePrefix = "wallet_"
	fileExt    = ".yaml"
)

// fileRecord is one wallet file, decoded but still sealed.
type fileRecord struct {
	Version   uint64
	Nickname  string
	Address   types.Address
	Salt      [saltSize]byte
	Nonce     [nonceSize]byte
	Sealed    []byte // CipheredData: ciphertext || GCM tag
	PublicKey crypto.PublicKey
}

// fileName is the name Massa gives the file of addr.
func fileName(addr types.Address) string { return filePrefix + addr.String() + fileExt }

// isWalletFile reports the names Massa reads from a wallet directory.
func isWalletFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// isManagedFile reports the names a save may create or delete.
func isManagedFile(name string) bool {
	return strings.HasPrefix(name, filePrefix) && strings.HasSuffix(name, fileExt)
}

// yamlFileOut is the on-disk layout, field order as Massa's serde struct.
// []byte encodes as a YAML sequence of integers, as serde_yaml writes Vec<u8>.
type yamlFileOut struct {
	Version      uint64 `yaml:"Version"`
	Nickname     string `yaml:"Nickname"`
	Address      string `yaml:"Address"`
	Salt         []byte `yaml:"Salt"`
	Nonce        []byte `yaml:"Nonce"`
	CipheredData []byte `yaml:"CipheredData"`
	PublicKey    []byte `yaml:"PublicKey"`
}

// yamlFileIn uses pointers to tell a missing field (an error, as with serde)
// from a zero one. Unknown fields are ignored, as serde does by default.
type yamlFileIn struct {
	Version      *uint64  `yaml:"Version"`
	Nickname     *string  `yaml:"Nickname"`
	Address      *string  `yaml:"Address"`
	Salt         *byteSeq `yaml:"Salt"`
	Nonce        *byteSeq `yaml:"Nonce"`
	CipheredData *byteSeq `yaml:"CipheredData"`
	PublicKey    *byteSeq `yaml:"PublicKey"`
}

// byteSeq decodes a YAML sequence of integers 0..255, the only byte form
// serde_yaml reads for Vec<u8> (a !!binary scalar is refused).
type byteSeq []byte

func (b *byteSeq) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: want a sequence of numbers", n.Line)
	}
	if len(n.Content) > maxSealedSize {
		return fmt.Errorf("line %d: %d numbers, at most %d", n.Line, len(n.Content), maxSealedSize)
	}
	out := make([]byte, len(n.Content))
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!int" {
			return fmt.Errorf("line %d: want a number 0..255", item.Line)
		}
		var v uint8
		if err := item.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %q is not a number 0..255", item.Line, clip(item.Value))
		}
		out[i] = v
	}
	*b = out
	return nil
}

// decodeFile parses one wallet file. It checks every field it can without the
// password; the address check needs the decrypted key (see unseal).
func decodeFile(data []byte) (rec *fileRecord, err error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadFile, len(data), maxFileSize)
	}
	// The YAML library is outside code fed outside bytes; a panic in it must
	// not take down the node.
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("%w: malformed YAML", ErrBadFile)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file", ErrBadFile)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	// serde_yaml refuses a stream of several documents; so do we.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrBadFile)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: not a YAML mapping", ErrBadFile)
	}
	if err := checkMappings(&doc); err != nil {
		return nil, err
	}
	var in yamlFileIn
	if err := doc.Content[0].Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	return in.record()
}

// checkMappings refuses any mapping longer than maxFields before the library
// decodes it: its duplicate-key check is quadratic in a mapping's length, and
// a wallet file has seven keys. Aliases point inside the tree, so each node is
// visited once; depth is bounded by the parser.
func checkMappings(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode && len(n.Content)/2 > maxFields {
		return fmt.Errorf("%w: line %d: mapping of %d keys, at most %d", ErrBadFile, n.Line, len(n.Content)/2, maxFields)
	}
	for _, c := range n.Content {
		if err := checkMappings(c); err != nil {
			return err
		}
	}
	return nil
}

func (in *yamlFileIn) record() (*fileRecord, error) {
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"Version", in.Version == nil}, {"Nickname", in.Nickname == nil}, {"Address", in.Address == nil},
		{"Salt", in.Salt == nil}, {"Nonce", in.Nonce == nil}, {"CipheredData", in.CipheredData == nil},
		{"PublicKey", in.PublicKey == nil},
	} {
		if f.missing {
			return nil, fmt.Errorf("%w: missing field %s", ErrBadFile, f.name)
		}
	}
	rec := &fileRecord{Version: *in.Version, Nickname: *in.Nickname}
	if rec.Version == 0 {
		rec.Version = fileVersion
	}
	if rec.Version != fileVersion {
		return nil, fmt.Errorf("%w: Version %d, only %d is known", ErrBadFile, rec.Version, fileVersion)
	}
	addr, err := types.ParseAddress(*in.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: Address: %v", ErrBadFile, err)
	}
	if addr.SC {
		return nil, fmt.Errorf("%w: Address %s is a smart-contract address", ErrBadFile, addr)
	}
	rec.Address = addr
	if len(*in.Salt) != saltSize {
		return nil, fmt.Errorf("%w: Salt has %d numbers, want %d", ErrBadFile, len(*in.Salt), saltSize)
	}
	copy(rec.Salt[:], *in.Salt)
	if len(*in.Nonce) != nonceSize {
		return nil, fmt.Errorf("%w: Nonce has %d numbers, want %d", ErrBadFile, len(*in.Nonce), nonceSize)
	}
	copy(rec.Nonce[:], *in.Nonce)
	if n := len(*in.CipheredData); n < minPlaintext+tagSize {
		return nil, fmt.Errorf("%w: CipheredData has %d numbers, want at least %d", ErrBadFile, n, minPlaintext+tagSize)
	}
	rec.Sealed = []byte(*in.CipheredData)
	if n := len(*in.PublicKey); n != crypto.VersionedPublicKeySize {
		return nil, fmt.Errorf("%w: PublicKey has %d numbers, want %d", ErrBadFile, n, crypto.VersionedPublicKeySize)
	}
	pub, err := crypto.PublicKeyFromBytes(*in.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: PublicKey: %v", ErrBadFile, err)
	}
	rec.PublicKey = pub
	return rec, nil
}

// encode writes the record as serde_yaml would: block style, sequences not
// indented under their key.
func (rec *fileRecord) encode() ([]byte, error) {
	out := yamlFileOut{
		Version:      rec.Version,
		Nickname:     rec.Nickname,
		Address:      rec.Address.String(),
		Salt:         rec.Salt[:],
		Nonce:        rec.Nonce[:],
		CipheredData: rec.Sealed,
		PublicKey:    rec.PublicKey.Bytes(),
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(&out); err != nil {
		return nil, fmt.Errorf("encode wallet file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode wallet file: %w", err)
	}
	return buf.Bytes(), nil
}

// sealKey builds the record of key with the given salt and nonce.
func sealKey(cache *keyCache, key *crypto.SecretKey, salt [saltSize]byte, nonce [nonceSize]byte) (*fileRecord, error) {
	dk, err := cache.get(salt)
	if err != nil {
		return nil, err
	}
	plain := key.Bytes()
	sealed, err := seal(dk, nonce, plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	addr := types.AddressOf(key.Public())
	return &fileRecord{
		Version:   fileVersion,
		Nickname:  addr.String(),
		Address:   addr,
		Salt:      salt,
		Nonce:     nonce,
		Sealed:    sealed,
		PublicKey: key.Public(),
	}, nil
}

// errAuth marks a GCM authentication failure, told apart from format errors
// when deciding between "wrong password" and "this file is broken".
var errAuth = errors.New("authentication failed")

// unseal decrypts the record and checks the key against Address and PublicKey.
func unseal(cache *keyCache, rec *fileRecord) (*crypto.SecretKey, error) {
	dk, err := cache.get(rec.Salt)
	if err != nil {
		return nil, err
	}
	plain, err := open(dk, rec.Nonce, rec.Sealed)
	if err != nil {
		return nil, errAuth
	}
	defer clear(plain)
	// Massa takes the version byte and the first 32 bytes after it; older
	// files hold seed || public key (65 bytes).
	key, err := crypto.SecretKeyFromBytes(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted key: %v", ErrBadFile, err)
	}
	if got := types.AddressOf(key.Public()); got != rec.Address {
		return nil, fmt.Errorf("%w: file says %s, key gives %s", ErrAddressMismatch, rec.Address, got)
	}
	if key.Public() != rec.PublicKey {
		return nil, fmt.Errorf("%w: PublicKey field differs from the key's", ErrAddressMismatch)
	}
	return key, nil
}

// clip shortens outside text quoted in errors.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
