package types

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/gomassa/gomassa/internal/crypto"
)

// OpType is the u32 varint type id of an operation.
type OpType uint32

// Operation types, with Massa's ids.
const (
	OpTransaction OpType = 0
	OpRollBuy     OpType = 1
	OpRollSell    OpType = 2
	OpExecuteSC   OpType = 3
	OpCallSC      OpType = 4
)

// String names the type as Massa's JSON does.
func (t OpType) String() string {
	switch t {
	case OpTransaction:
		return "Transaction"
	case OpRollBuy:
		return "RollBuy"
	case OpRollSell:
		return "RollSell"
	case OpExecuteSC:
		return "ExecuteSC"
	case OpCallSC:
		return "CallSC"
	}
	return fmt.Sprintf("OpType(%d)", uint32(t))
}

// Protocol limits on operation fields (massa-models constants).
const (
	MaxDatastoreEntryCount   = 128
	MaxOpDatastoreKeyLength  = 255
	MaxOpDatastoreValueLen   = 500_000
	MaxBytecodeLength        = 10_000_000
	MaxFunctionNameLength    = 255
	MaxParametersSize        = 10_000_000
	BaseOperationGasCost     = 800_000
	SPCompilationCost        = 314_000_000
	MaxGasPerBlock           = 4_294_967_295
	OperationValidityPeriods = 10
)

// DatastoreEntry is one key/value of an ExecuteSC datastore.
type DatastoreEntry struct {
	Key   []byte
	Value []byte
}

// Operation is the signed content of an operation. Only the fields of its
// Type are meaningful. Transfers and roll operations, nearly all operations a
// loaded node holds, need only the inline fields; the smart-contract fields
// live behind SC so that every pooled or stored operation does not carry them.
type Operation struct {
	Fee          Amount
	ExpirePeriod uint64
	Type         OpType

	Recipient Address // Transaction
	Amount    Amount  // Transaction

	RollCount uint64 // RollBuy, RollSell

	// SC holds the ExecuteSC and CallSC fields. The decoder sets it for
	// those types and leaves it nil for the others; a nil SC reads as zero
	// fields, so read it through the accessors below.
	SC *SCFields
}

// SCFields are the fields only smart-contract operations use.
type SCFields struct {
	MaxGas    uint64           // ExecuteSC, CallSC
	MaxCoins  Amount           // ExecuteSC
	Bytecode  []byte           // ExecuteSC
	Datastore []DatastoreEntry // ExecuteSC, sorted by key

	Coins    Amount  // CallSC
	Target   Address // CallSC
	Function string  // CallSC
	Param    []byte  // CallSC
}

// The accessors return the zero value when SC is nil, so that no input can
// make a caller dereference a nil pointer.

// MaxGas is the gas limit of an ExecuteSC or CallSC.
func (op *Operation) MaxGas() uint64 {
	if op.SC == nil {
		return 0
	}
	return op.SC.MaxGas
}

// MaxCoins is the most coins an ExecuteSC may spend.
func (op *Operation) MaxCoins() Amount {
	if op.SC == nil {
		return 0
	}
	return op.SC.MaxCoins
}

// Bytecode is the module an ExecuteSC runs.
func (op *Operation) Bytecode() []byte {
	if op.SC == nil {
		return nil
	}
	return op.SC.Bytecode
}

// Datastore is the datastore of an ExecuteSC, sorted by key.
func (op *Operation) Datastore() []DatastoreEntry {
	if op.SC == nil {
		return nil
	}
	return op.SC.Datastore
}

// Coins is what a CallSC sends to its target.
func (op *Operation) Coins() Amount {
	if op.SC == nil {
		return 0
	}
	return op.SC.Coins
}

// Target is the smart contract a CallSC calls.
func (op *Operation) Target() Address {
	if op.SC == nil {
		return Address{}
	}
	return op.SC.Target
}

// Function is the function a CallSC calls.
func (op *Operation) Function() string {
	if op.SC == nil {
		return ""
	}
	return op.SC.Function
}

// Param is the argument of a CallSC.
func (op *Operation) Param() []byte {
	if op.SC == nil {
		return nil
	}
	return op.SC.Param
}

// AppendBinary appends the serialized content, byte-exact with Massa's
// OperationSerializer. The datastore is written in ascending key order.
func (op *Operation) AppendBinary(dst []byte) []byte {
	dst = op.Fee.AppendBinary(dst)
	dst = AppendUvarint(dst, op.ExpirePeriod)
	dst = AppendUvarint(dst, uint64(op.Type))
	switch op.Type {
	case OpTransaction:
		dst = op.Recipient.AppendBinary(dst)
		dst = op.Amount.AppendBinary(dst)
	case OpRollBuy, OpRollSell:
		dst = AppendUvarint(dst, op.RollCount)
	case OpExecuteSC:
		dst = AppendUvarint(dst, op.MaxGas())
		dst = op.MaxCoins().AppendBinary(dst)
		dst = AppendBytes(dst, op.Bytecode())
		dst = AppendDatastore(dst, op.Datastore())
	case OpCallSC:
		fn := op.Function()
		dst = AppendUvarint(dst, op.MaxGas())
		dst = op.Coins().AppendBinary(dst)
		dst = op.Target().AppendBinary(dst)
		dst = AppendUvarint(dst, uint64(len(fn)))
		dst = append(dst, fn...)
		dst = AppendBytes(dst, op.Param())
	}
	return dst
}

// Encode returns the serialized content.
func (op *Operation) Encode() []byte { return op.AppendBinary(nil) }

// AppendDatastore appends a datastore: u64 count, then sorted entries.
func AppendDatastore(dst []byte, ds []DatastoreEntry) []byte {
	sorted := ds
	if !sort.SliceIsSorted(ds, func(i, j int) bool { return bytes.Compare(ds[i].Key, ds[j].Key) < 0 }) {
		sorted = append([]DatastoreEntry(nil), ds...)
		sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i].Key, sorted[j].Key) < 0 })
	}
	dst = AppendUvarint(dst, uint64(len(sorted)))
	for _, e := range sorted {
		dst = AppendBytes(dst, e.Key)
		dst = AppendBytes(dst, e.Value)
	}
	return dst
}

// Datastore reads an operation datastore with Massa's limits. Keys may come
// in any order (Massa collects them in a map) but must be distinct; the
// result is sorted by key.
func (r *Reader) Datastore(field string) []DatastoreEntry {
	n := r.U64Max(field+" entry count", MaxDatastoreEntryCount)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]DatastoreEntry, 0, n)
	for i := uint64(0); i < n; i++ {
		k := r.Bytes(field+" key", MaxOpDatastoreKeyLength)
		v := r.Bytes(field+" value", MaxOpDatastoreValueLen)
		if r.err != nil {
			return nil
		}
		out = append(out, DatastoreEntry{Key: k, Value: v})
	}
	less := func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 }
	if !sort.SliceIsSorted(out, less) {
		// Massa collects the entries in a BTreeMap, so its re-serialization
		// (and ours) writes them sorted: the received bytes are not what we
		// would write, although the operation id covers the received bytes.
		r.nonCanonical = true
		sort.Slice(out, less)
	}
	for i := 1; i < len(out); i++ {
		if bytes.Equal(out[i-1].Key, out[i].Key) {
			r.Fail(field, fmt.Errorf("duplicate key: %w", ErrBadEncoding))
			return nil
		}
	}
	return out
}

// DecodeDatastore parses a standalone serialized datastore (as
// execute_read_only_bytecode receives it).
func DecodeDatastore(b []byte) ([]DatastoreEntry, error) {
	r := NewReader(b, "datastore")
	ds := r.Datastore("datastore")
	return ds, r.Done()
}

// Operation reads an operation content.
func (r *Reader) Operation() Operation {
	var op Operation
	op.Fee = r.Amount("fee")
	op.ExpirePeriod = r.U64("expire_period")
	op.Type = OpType(r.U32("type"))
	if r.err != nil {
		return op
	}
	switch op.Type {
	case OpTransaction:
		op.Recipient = r.Address("recipient_address")
		op.Amount = r.Amount("amount")
	case OpRollBuy, OpRollSell:
		op.RollCount = r.U64("roll_count")
	case OpExecuteSC:
		sc := &SCFields{}
		op.SC = sc
		sc.MaxGas = r.U64("max_gas")
		sc.MaxCoins = r.Amount("max_coins")
		sc.Bytecode = r.Bytes("data", MaxBytecodeLength)
		sc.Datastore = r.Datastore("datastore")
	case OpCallSC:
		sc := &SCFields{}
		op.SC = sc
		sc.MaxGas = r.U64("max_gas")
		sc.Coins = r.Amount("coins")
		sc.Target = r.Address("target_addr")
		n := r.U16("target_func length")
		if r.err == nil && n > MaxFunctionNameLength {
			r.Failf("target_func", ErrTooLarge, "%d > %d bytes", n, MaxFunctionNameLength)
		}
		name := r.Fixed("target_func", int(n))
		if r.err == nil && !utf8.Valid(name) {
			r.Fail("target_func", fmt.Errorf("not UTF-8: %w", ErrBadEncoding))
		}
		sc.Function = string(name)
		sc.Param = r.Bytes("param", MaxParametersSize)
	default:
		r.Failf("type", ErrUnknownType, "%d", uint32(op.Type))
	}
	return op
}

// DecodeOperation parses exactly one operation content.
func DecodeOperation(b []byte) (Operation, error) {
	r := NewReader(b, "operation")
	op := r.Operation()
	return op, r.Done()
}

// GasUsage is the gas an operation books in a block.
func (op *Operation) GasUsage() uint64 {
	switch op.Type {
	case OpExecuteSC:
		return satAdd(satAdd(op.MaxGas(), SPCompilationCost), BaseOperationGasCost)
	case OpCallSC:
		return satAdd(op.MaxGas(), BaseOperationGasCost)
	}
	return BaseOperationGasCost
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// MaxSpending is the most the operation can take from its sender's balance:
// the fee plus what the type spends (rolls cost rollPrice each).
func (op *Operation) MaxSpending(rollPrice Amount) Amount {
	var spend Amount
	switch op.Type {
	case OpTransaction:
		spend = op.Amount
	case OpRollBuy:
		s, err := rollPrice.MulU64(op.RollCount)
		if err != nil {
			s = MaxAmount
		}
		spend = s
	case OpExecuteSC:
		spend = op.MaxCoins()
	case OpCallSC:
		spend = op.Coins()
	}
	return op.Fee.SaturatingAdd(spend)
}

// ValidityStart is the first period in which the operation may be included.
func (op *Operation) ValidityStart() uint64 {
	if op.ExpirePeriod < OperationValidityPeriods {
		return 0
	}
	return op.ExpirePeriod - OperationValidityPeriods
}

// SignedOperation is an operation with its creator and signature (Massa's
// SecureShare<Operation>). Content holds the exact bytes that were signed, so
// an operation received from outside keeps the id its creator computed.
type SignedOperation struct {
	Op        Operation
	Content   []byte
	Creator   crypto.PublicKey
	Signature crypto.Signature

	ID            OperationID
	CreatorAddr   Address
	SerializedLen int // envelope size: signature + key + content
}

// OperationHash is the id hash: BLAKE3(chain id u64 BE || versioned creator
// key || content). It is also what the creator signs.
func OperationHash(chainID uint64, creator crypto.PublicKey, content []byte) crypto.Hash {
	var prefix [8 + crypto.VersionedPublicKeySize]byte
	binary.BigEndian.PutUint64(prefix[:8], chainID)
	creator.AppendBytes(prefix[8:8])
	return crypto.HashOfParts(prefix[:], content)
}

// SignOperation serializes, hashes and signs op for chainID.
func SignOperation(op Operation, key *crypto.SecretKey, chainID uint64) *SignedOperation {
	content := op.Encode()
	pub := key.Public()
	h := OperationHash(chainID, pub, content)
	return &SignedOperation{
		Op:            op,
		Content:       content,
		Creator:       pub,
		Signature:     key.Sign(h),
		ID:            OperationID(h),
		CreatorAddr:   AddressOf(pub),
		SerializedLen: crypto.VersionedSignatureSize + crypto.VersionedPublicKeySize + len(content),
	}
}

// NewSignedOperation builds a signed operation from the parts a client sends
// (send_operations): decodes content strictly and computes the id. It does
// not check the signature; call VerifySignature (or batch-verify).
func NewSignedOperation(content []byte, creator crypto.PublicKey, sig crypto.Signature, chainID uint64) (*SignedOperation, error) {
	op, err := DecodeOperation(content)
	if err != nil {
		return nil, err
	}
	c := append([]byte(nil), content...)
	return &SignedOperation{
		Op:            op,
		Content:       c,
		Creator:       creator,
		Signature:     sig,
		ID:            OperationID(OperationHash(chainID, creator, c)),
		CreatorAddr:   AddressOf(creator),
		SerializedLen: crypto.VersionedSignatureSize + crypto.VersionedPublicKeySize + len(c),
	}, nil
}

// VerifySignature checks the creator's signature over the id hash.
func (so *SignedOperation) VerifySignature() bool {
	return crypto.Verify(so.Creator, crypto.Hash(so.ID), so.Signature)
}

// SigItem returns the triple for batch verification.
func (so *SignedOperation) SigItem() (crypto.PublicKey, crypto.Hash, crypto.Signature) {
	return so.Creator, crypto.Hash(so.ID), so.Signature
}

// Thread is the thread of the creator's address.
func (so *SignedOperation) Thread(threadCount uint8) uint8 {
	return so.CreatorAddr.Thread(threadCount)
}

// AppendBinary appends the SecureShare wire form: signature || key || content.
func (so *SignedOperation) AppendBinary(dst []byte) []byte {
	dst = so.Signature.AppendBytes(dst)
	dst = so.Creator.AppendBytes(dst)
	return append(dst, so.Content...)
}

// SignedOperation reads a SecureShare operation; the content's end is found
// by decoding it, as in Massa.
func (r *Reader) SignedOperation(chainID uint64) *SignedOperation {
	start := r.off
	sig := r.Signature("signature")
	pub := r.PublicKey("creator_public_key")
	cstart := r.off
	op := r.Operation()
	if r.err != nil {
		return nil
	}
	content := append([]byte(nil), r.buf[cstart:r.off]...)
	return &SignedOperation{
		Op:            op,
		Content:       content,
		Creator:       pub,
		Signature:     sig,
		ID:            OperationID(OperationHash(chainID, pub, content)),
		CreatorAddr:   AddressOf(pub),
		SerializedLen: r.off - start,
	}
}

// DecodeSignedOperation parses exactly one SecureShare operation.
func DecodeSignedOperation(b []byte, chainID uint64) (*SignedOperation, error) {
	r := NewReader(b, "operation")
	so := r.SignedOperation(chainID)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return so, nil
}

// operationJSON is the JSON form of an operation content.
type operationJSON struct {
	Fee          Amount          `json:"fee"`
	ExpirePeriod uint64          `json:"expire_period"`
	Op           json.RawMessage `json:"op"`
}

// byteArray marshals as a JSON array of numbers, as serde does for Vec<u8>.
type byteArray []byte

func (b byteArray) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("[]"), nil
	}
	buf := make([]byte, 0, 2+4*len(b))
	buf = append(buf, '[')
	for i, c := range b {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = fmt.Appendf(buf, "%d", c)
	}
	return append(buf, ']'), nil
}

// MarshalJSON writes {"fee","expire_period","op":{Variant:{...}}}.
func (op Operation) MarshalJSON() ([]byte, error) {
	var body any
	switch op.Type {
	case OpTransaction:
		body = map[string]any{"Transaction": map[string]any{"recipient_address": op.Recipient, "amount": op.Amount}}
	case OpRollBuy:
		body = map[string]any{"RollBuy": map[string]any{"roll_count": op.RollCount}}
	case OpRollSell:
		body = map[string]any{"RollSell": map[string]any{"roll_count": op.RollCount}}
	case OpExecuteSC:
		ds := make([][2]byteArray, len(op.Datastore()))
		for i, e := range op.Datastore() {
			ds[i] = [2]byteArray{e.Key, e.Value}
		}
		body = map[string]any{"ExecuteSC": map[string]any{
			"data": byteArray(op.Bytecode()), "max_gas": op.MaxGas(), "max_coins": op.MaxCoins(), "datastore": ds,
		}}
	case OpCallSC:
		body = map[string]any{"CallSC": map[string]any{
			"target_addr": op.Target(), "target_func": op.Function(), "param": byteArray(op.Param()),
			"max_gas": op.MaxGas(), "coins": op.Coins(),
		}}
	default:
		return nil, fmt.Errorf("operation json: %w: %d", ErrUnknownType, op.Type)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(operationJSON{Fee: op.Fee, ExpirePeriod: op.ExpirePeriod, Op: raw})
}

// SecureShareJSON is the JSON envelope Massa uses for signed objects.
type SecureShareJSON[T any] struct {
	Content          T                `json:"content"`
	Signature        crypto.Signature `json:"signature"`
	CreatorPublicKey crypto.PublicKey `json:"content_creator_pub_key"`
	CreatorAddress   Address          `json:"content_creator_address"`
	ID               string           `json:"id"`
}

// JSON returns the SecureShare JSON form of the operation.
func (so *SignedOperation) JSON() SecureShareJSON[Operation] {
	return SecureShareJSON[Operation]{
		Content: so.Op, Signature: so.Signature, CreatorPublicKey: so.Creator,
		CreatorAddress: so.CreatorAddr, ID: so.ID.String(),
	}
}
