package ledger

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// KeyType is the byte that follows the address in a ledger key.
type KeyType byte

// Ledger key types, with Massa's identifiers.
const (
	KeyVersion   KeyType = 0
	KeyBalance   KeyType = 1
	KeyBytecode  KeyType = 2
	KeyDatastore KeyType = 3
)

// Limits of ledger contents (massa-models constants).
const (
	MaxDatastoreKeyLength   = 255
	MaxDatastoreValueLength = 10_000_000
	MaxBytecodeLength       = 10_000_000
)

// keyVersion is the varint version that follows the "ledger/" prefix; its
// encoding is the single byte 0.
const keyVersion = 0

// entryVersion is the value stored under KeyVersion (varint 0).
const entryVersion = 0

// bytecodeVersion is the varint that starts a stored bytecode.
const bytecodeVersion = 0

// AddressPrefixSize is the size of the part shared by every key of one
// address: "ledger/" || varint(0) || 34-byte address.
const AddressPrefixSize = len(store.PrefixLedger) + 1 + types.AddressSize

// AppendAddressPrefix appends "ledger/" || varint(0) || address.
func AppendAddressPrefix(dst []byte, addr types.Address) []byte {
	dst = append(dst, store.PrefixLedger...)
	dst = append(dst, keyVersion)
	return addr.AppendBinary(dst)
}

// AddressPrefix returns the prefix of every key of addr.
func AddressPrefix(addr types.Address) []byte {
	return AppendAddressPrefix(make([]byte, 0, AddressPrefixSize+1), addr)
}

// SubKey returns the key of one field of addr (KeyVersion, KeyBalance or
// KeyBytecode).
func SubKey(addr types.Address, t KeyType) []byte {
	k := AppendAddressPrefix(make([]byte, 0, AddressPrefixSize+1), addr)
	return append(k, byte(t))
}

// BalanceKey returns the key of addr's balance.
func BalanceKey(addr types.Address) []byte { return SubKey(addr, KeyBalance) }

// BytecodeKey returns the key of addr's bytecode.
func BytecodeKey(addr types.Address) []byte { return SubKey(addr, KeyBytecode) }

// VersionKey returns the key of addr's entry version.
func VersionKey(addr types.Address) []byte { return SubKey(addr, KeyVersion) }

// DatastoreKey returns the key of one datastore entry of addr. The datastore
// key follows the type byte raw, without a length (Massa's on-disk form).
func DatastoreKey(addr types.Address, key []byte) []byte {
	k := AppendAddressPrefix(make([]byte, 0, AddressPrefixSize+1+len(key)), addr)
	k = append(k, byte(KeyDatastore))
	return append(k, key...)
}

// DatastorePrefix returns the prefix of addr's datastore keys that start
// with keyPrefix.
func DatastorePrefix(addr types.Address, keyPrefix []byte) []byte {
	return DatastoreKey(addr, keyPrefix)
}

// Key is a decoded ledger key.
type Key struct {
	Address types.Address
	Type    KeyType
	// Datastore is the datastore key when Type is KeyDatastore.
	Datastore []byte
}

// ParseKey decodes a state key of the ledger. It checks every byte: the
// prefix, the key version, the address, the type and, for a datastore key,
// the datastore key length. The returned Datastore slice aliases k.
func ParseKey(k []byte) (Key, error) {
	p := len(store.PrefixLedger)
	if len(k) < AddressPrefixSize+1 || string(k[:p]) != store.PrefixLedger {
		return Key{}, fmt.Errorf("%w: %x: not a ledger key", ErrBadKey, clipBytes(k))
	}
	if k[p] != keyVersion {
		return Key{}, fmt.Errorf("%w: key version byte %d", ErrBadKey, k[p])
	}
	addr, err := types.AddressFromBytes(k[p+1 : AddressPrefixSize])
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	out := Key{Address: addr, Type: KeyType(k[AddressPrefixSize])}
	rest := k[AddressPrefixSize+1:]
	switch out.Type {
	case KeyVersion, KeyBalance, KeyBytecode:
		if len(rest) != 0 {
			return Key{}, fmt.Errorf("%w: %d trailing bytes after key type %d", ErrBadKey, len(rest), out.Type)
		}
	case KeyDatastore:
		if len(rest) > MaxDatastoreKeyLength {
			return Key{}, fmt.Errorf("%w: datastore key of %d bytes > %d", ErrBadKey, len(rest), MaxDatastoreKeyLength)
		}
		out.Datastore = rest
	default:
		return Key{}, fmt.Errorf("%w: unknown key type %d", ErrBadKey, out.Type)
	}
	return out, nil
}

// EncodeVersion returns the value stored under KeyVersion.
func EncodeVersion() []byte { return []byte{entryVersion} }

// EncodeBalance returns the stored form of a balance: its u64 varint.
func EncodeBalance(a types.Amount) []byte {
	return a.AppendBinary(make([]byte, 0, types.UvarintLen(uint64(a))))
}

// DecodeBalance parses a stored balance strictly (minimal varint, nothing
// trailing).
func DecodeBalance(b []byte) (types.Amount, error) {
	r := types.NewReader(b, "ledger balance")
	a := r.Amount("amount")
	if err := r.Done(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return a, nil
}

// EncodeBytecode returns the stored form of a bytecode:
// varint(0) || varint(len) || bytes.
func EncodeBytecode(code []byte) []byte {
	out := make([]byte, 0, 1+types.UvarintLen(uint64(len(code)))+len(code))
	out = types.AppendUvarint(out, bytecodeVersion)
	return types.AppendBytes(out, code)
}

// DecodeBytecode parses a stored bytecode. The length is checked against
// MaxBytecodeLength before anything is allocated.
func DecodeBytecode(b []byte) ([]byte, error) {
	r := types.NewReader(b, "ledger bytecode")
	v := r.U64("version")
	if r.Err() == nil && v != bytecodeVersion {
		r.Failf("version", types.ErrBadVersion, "%d", v)
	}
	code := r.Bytes("bytecode", MaxBytecodeLength)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	if code == nil {
		code = []byte{}
	}
	return code, nil
}

// DecodeVersion parses a stored entry version.
func DecodeVersion(b []byte) (uint64, error) {
	r := types.NewReader(b, "ledger entry version")
	v := r.U64("version")
	if err := r.Done(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return v, nil
}

// ValidateKV checks that a (key, value) pair from outside (bootstrap) is a
// well-formed ledger record.
func ValidateKV(k, v []byte) error {
	key, err := ParseKey(k)
	if err != nil {
		return err
	}
	switch key.Type {
	case KeyVersion:
		_, err = DecodeVersion(v)
	case KeyBalance:
		_, err = DecodeBalance(v)
	case KeyBytecode:
		_, err = DecodeBytecode(v)
	case KeyDatastore:
		if len(v) > MaxDatastoreValueLength {
			err = fmt.Errorf("%w: datastore value of %d bytes > %d", ErrBadValue, len(v), MaxDatastoreValueLength)
		}
	}
	return err
}

func clipBytes(b []byte) []byte {
	if len(b) > 48 {
		return b[:48]
	}
	return b
}
