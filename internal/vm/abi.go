package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/sha3"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Limits the ABI enforces itself (massa-sc-runtime settings and Massa's
// execution config); the host enforces the state-related ones.
const (
	maxKeysSerialized = 100_000 // max_datastore_entry_count
	maxFunctionName   = types.MaxFunctionNameLength
	maxParams         = types.MaxParametersSize
	maxDatastoreKey   = 255
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
	f64 = api.ValueTypeF64
)

// hostFunc is one import a contract may use. fn reads its arguments from
// stack and writes its results to stack; it fails the run with f.fail.
type hostFunc struct {
	module, name    string
	params, results []api.ValueType
	fn              func(f *frame, stack []uint64)
}

// registerHost instantiates the "env" and "massa" host modules.
func (v *VM) registerHost(ctx context.Context) error {
	byModule := map[string][]hostFunc{}
	for _, hf := range abiFuncs() {
		byModule[hf.module] = append(byModule[hf.module], hf)
	}
	for _, module := range []string{"env", "massa"} {
		b := v.rt.NewHostModuleBuilder(module)
		for _, hf := range byModule[module] {
			b.NewFunctionBuilder().
				WithGoModuleFunction(v.wrap(hf), hf.params, hf.results).
				Export(hf.name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("%w: host module %s: %w", ErrBadConfig, module, err)
		}
	}
	return nil
}

// wrap charges the ABI cost of hf and runs it on the calling frame.
func (v *VM) wrap(hf hostFunc) api.GoModuleFunc {
	cost := v.cfg.Costs.abi(hf.name)
	name, fn := hf.name, hf.fn
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		f, _ := ctx.Value(frameKey{}).(*frame)
		if f == nil {
			panic(&abiError{fmt.Errorf("%w: %s called outside a contract run", ErrExecution, name)})
		}
		f.charge(cost, name)
		fn(f, stack)
	}
}

func ptr(v uint64) uint32 { return uint32(v) }

func boolResult(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// amount reads a u64 amount passed as i64, rejecting negative values as
// the official runtime does.
func (f *frame) amount(v uint64, what string) types.Amount {
	if int64(v) < 0 {
		f.failf("negative %s", what)
	}
	return types.Amount(v)
}

func (f *frame) address(s string) types.Address {
	a, err := types.ParseAddress(s)
	if err != nil {
		f.failf("invalid address %q: %v", s, err)
	}
	return a
}

func (f *frame) addressAt(p uint64) types.Address { return f.address(f.readString(ptr(p))) }

// jsonAddresses encodes addresses as a JSON array without spaces: the SDK
// parser depends on that exact form.
func jsonAddresses(addrs []types.Address) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, a := range addrs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		sb.WriteString(a.String())
		sb.WriteByte('"')
	}
	sb.WriteByte(']')
	return sb.String()
}

// encodeKeys is the get_keys / get_op_keys format: u32 LE count, then per
// key a u8 length and the key; no keys gives an empty buffer.
func (f *frame) encodeKeys(keys [][]byte) []byte {
	if len(keys) == 0 {
		return nil
	}
	if len(keys) > maxKeysSerialized {
		f.failf("%d datastore keys, at most %d can be listed", len(keys), maxKeysSerialized)
	}
	n := 4
	for _, k := range keys {
		n += 1 + len(k)
	}
	out := make([]byte, 4, n)
	binary.LittleEndian.PutUint32(out, uint32(len(keys)))
	for _, k := range keys {
		if len(k) > 255 {
			f.failf("datastore key of %d bytes cannot be listed", len(k))
		}
		out = append(out, byte(len(k)))
		out = append(out, k...)
	}
	return out
}

func (f *frame) opDatastore() []types.DatastoreEntry {
	ds, ok := f.host.OperationDatastore()
	if !ok {
		f.failf("no operation datastore in this context")
	}
	return ds
}

func (f *frame) opKeys(prefix []byte) []byte {
	var keys [][]byte
	for _, e := range f.opDatastore() {
		if bytes.HasPrefix(e.Key, prefix) {
			keys = append(keys, e.Key)
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	return f.encodeKeys(keys)
}

func (f *frame) datastoreKeys(addr types.Address, prefix []byte) []byte {
	keys, ok, err := f.host.DatastoreKeys(addr, prefix)
	f.check(err)
	if !ok {
		f.failf("data entry not found: address %s does not exist", addr)
	}
	return f.encodeKeys(keys)
}

func (f *frame) dataValue(addr types.Address, key []byte) []byte {
	v, ok, err := f.host.DatastoreValue(addr, key)
	f.check(err)
	if !ok {
		f.failf("data entry not found")
	}
	return v
}

func (f *frame) bytecodeOf(addr types.Address) []byte {
	code, ok, err := f.host.Bytecode(addr)
	f.check(err)
	if !ok {
		f.failf("bytecode not found for address %s", addr)
	}
	return code
}

// subRun runs function(param) of bytecode as a nested execution with all
// the gas left, then takes back what it did not use.
func (f *frame) subRun(bytecode []byte, function string, param []byte, what string, tmp bool) []byte {
	if f.depth+1 > f.vm.cfg.MaxCallDepth {
		f.fail(fmt.Errorf("%w (%d)", ErrDepth, f.vm.cfg.MaxCallDepth))
	}
	ret, left, err := f.vm.run(f.ctx, f.rs, f.host, bytecode, function, param, f.gasLeft(), f.depth+1, tmp)
	if err != nil {
		f.fail(fmt.Errorf("%s: %w", what, err))
	}
	f.setGas(left)
	return ret
}

func (f *frame) logf(kind, msg string) {
	f.vm.log.Debug("contract output", "kind", kind, "msg", msg, "call_stack", jsonAddresses(f.host.CallStack()))
}

func notSupported(name string) func(f *frame, stack []uint64) {
	return func(f *frame, _ []uint64) {
		f.fail(fmt.Errorf("%w: %s", ErrNotSupported, name))
	}
}

// randomF64 maps a random u64 to [0, 1) the way Rust rand's Uniform<f64>
// does (52 random mantissa bits).
func randomF64(r uint64) float64 {
	return math.Float64frombits(r>>12|0x3FF0_0000_0000_0000) - 1
}

// abiFuncs is the import table: module env (what AssemblyScript itself may
// import) and module massa (massa-as-sdk's assembly_script_* functions).
// Signatures are those of ABI.md; a contract importing one with another
// signature fails to instantiate.
func abiFuncs() []hostFunc {
	p := func(ts ...api.ValueType) []api.ValueType { return ts }
	env := func(name string, params, results []api.ValueType, fn func(*frame, []uint64)) hostFunc {
		return hostFunc{module: "env", name: name, params: params, results: results, fn: fn}
	}
	m := func(name string, params, results []api.ValueType, fn func(*frame, []uint64)) hostFunc {
		return hostFunc{module: "massa", name: "assembly_script_" + name, params: params, results: results, fn: fn}
	}
	optString := func(f *frame, v uint64) string {
		if ptr(v) == 0 {
			return ""
		}
		return f.readString(ptr(v))
	}
	console := func(kind string) func(*frame, []uint64) {
		return func(f *frame, s []uint64) { f.logf(kind, f.readString(ptr(s[0]))) }
	}
	return []hostFunc{
		// ---- env: AssemblyScript runtime imports ----
		env("abort", p(i32, i32, i32, i32), nil, func(f *frame, s []uint64) {
			// assert(cond, msg) compiles to abort: the message the
			// official runtime reports is "<msg> at <file>:<line> col: <col>".
			f.failf("%s at %s:%d col: %d", optString(f, s[0]), optString(f, s[1]), uint32(s[2]), uint32(s[3]))
		}),
		env("seed", nil, p(f64), func(f *frame, s []uint64) {
			s[0] = api.EncodeF64(randomF64(f.host.UnsafeRandom()))
		}),
		env("Date.now", nil, p(f64), func(f *frame, s []uint64) {
			s[0] = api.EncodeF64(float64(f.host.SlotTimestamp()))
		}),
		env("console.log", p(i32), nil, console("console.log")),
		env("console.info", p(i32), nil, console("console.info")),
		env("console.warn", p(i32), nil, console("console.warn")),
		env("console.error", p(i32), nil, console("console.error")),
		env("console.debug", p(i32), nil, console("console.debug")),
		env("trace", p(i32, i32, f64, f64, f64, f64, f64), nil, func(f *frame, s []uint64) {
			n := min(int(uint32(s[1])), 5)
			args := make([]string, 0, n)
			for i := range n {
				args = append(args, fmt.Sprint(api.DecodeF64(s[2+i])))
			}
			f.logf("trace", strings.TrimSpace(optString(f, s[0])+" "+strings.Join(args, ", ")))
		}),
		env("process.exit", p(i32), nil, func(f *frame, s []uint64) {
			f.failf("process.exit(%d) called", int32(s[0]))
		}),

		// ---- massa: calls ----
		m("print", p(i32), nil, func(f *frame, s []uint64) { f.logf("print", f.readString(ptr(s[0]))) }),
		m("call", p(i32, i32, i32, i64), p(i32), func(f *frame, s []uint64) {
			target := f.addressAt(s[0])
			function := f.readString(ptr(s[1]))
			param := f.readBytes(ptr(s[2]))
			coins := f.amount(s[3], "amount of coins in Call")
			if f.depth+1 > f.vm.cfg.MaxCallDepth {
				f.fail(fmt.Errorf("%w (%d)", ErrDepth, f.vm.cfg.MaxCallDepth))
			}
			code, err := f.host.InitCall(target, coins)
			f.check(err)
			ret := f.subRun(code, function, param, fmt.Sprintf("call to %s:%s", target, function), false)
			f.check(f.host.FinishCall())
			s[0] = uint64(f.writeBytes(ret))
		}),
		m("local_call", p(i32, i32, i32), p(i32), func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			function := f.readString(ptr(s[1]))
			param := f.readBytes(ptr(s[2]))
			code := f.bytecodeOf(addr)
			ret := f.subRun(code, function, param, fmt.Sprintf("local call to %s:%s", addr, function), false)
			s[0] = uint64(f.writeBytes(ret))
		}),
		m("local_execution", p(i32, i32, i32), p(i32), func(f *frame, s []uint64) {
			code := f.readBytes(ptr(s[0]))
			function := f.readString(ptr(s[1]))
			param := f.readBytes(ptr(s[2]))
			ret := f.subRun(code, function, param, "local execution of "+function, true)
			s[0] = uint64(f.writeBytes(ret))
		}),
		m("function_exists", p(i32, i32), p(i32), func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			function := f.readString(ptr(s[1]))
			code := f.bytecodeOf(addr)
			if uint64(f.gasLeft()) < f.vm.cfg.Costs.MaxInstance {
				f.fail(fmt.Errorf("%w: %d gas left is below the instance creation cost", ErrOutOfGas, f.gasLeft()))
			}
			mod, err := f.vm.cache.acquire(code)
			f.check(err)
			_, ok := mod.meta.Module.ExportedFunc(function)
			f.vm.cache.release(mod)
			s[0] = boolResult(ok)
		}),
		m("get_remaining_gas", nil, p(i64), func(f *frame, s []uint64) { s[0] = uint64(f.gasLeft()) }),
		m("create_sc", p(i32), p(i32), func(f *frame, s []uint64) {
			addr, err := f.host.CreateSC(f.readBytes(ptr(s[0])))
			f.check(err)
			s[0] = uint64(f.writeString(addr.String()))
		}),
		m("set_bytecode", p(i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.SetBytecode(f.host.CurrentAddress(), f.readBytes(ptr(s[0]))))
		}),
		m("set_bytecode_for", p(i32, i32), nil, func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			f.check(f.host.SetBytecode(addr, f.readBytes(ptr(s[1]))))
		}),
		m("get_bytecode", nil, p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.bytecodeOf(f.host.CurrentAddress())))
		}),
		m("get_bytecode_for", p(i32), p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.bytecodeOf(f.addressAt(s[0]))))
		}),

		// ---- massa: datastore ----
		m("get_keys", p(i32), p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.datastoreKeys(f.host.CurrentAddress(), f.readBytes(ptr(s[0])))))
		}),
		m("get_keys_for", p(i32, i32), p(i32), func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			s[0] = uint64(f.writeBytes(f.datastoreKeys(addr, f.readBytes(ptr(s[1])))))
		}),
		m("set_data", p(i32, i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.SetDatastore(f.host.CurrentAddress(), f.readBytes(ptr(s[0])), f.readBytes(ptr(s[1]))))
		}),
		m("set_data_for", p(i32, i32, i32), nil, func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			f.check(f.host.SetDatastore(addr, f.readBytes(ptr(s[1])), f.readBytes(ptr(s[2]))))
		}),
		m("get_data", p(i32), p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.dataValue(f.host.CurrentAddress(), f.readBytes(ptr(s[0])))))
		}),
		m("get_data_for", p(i32, i32), p(i32), func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			s[0] = uint64(f.writeBytes(f.dataValue(addr, f.readBytes(ptr(s[1])))))
		}),
		m("delete_data", p(i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.DeleteDatastore(f.host.CurrentAddress(), f.readBytes(ptr(s[0]))))
		}),
		m("delete_data_for", p(i32, i32), nil, func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			f.check(f.host.DeleteDatastore(addr, f.readBytes(ptr(s[1]))))
		}),
		m("append_data", p(i32, i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.AppendDatastore(f.host.CurrentAddress(), f.readBytes(ptr(s[0])), f.readBytes(ptr(s[1]))))
		}),
		m("append_data_for", p(i32, i32, i32), nil, func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			f.check(f.host.AppendDatastore(addr, f.readBytes(ptr(s[1])), f.readBytes(ptr(s[2]))))
		}),
		m("has_data", p(i32), p(i32), func(f *frame, s []uint64) {
			_, ok, err := f.host.DatastoreValue(f.host.CurrentAddress(), f.readBytes(ptr(s[0])))
			f.check(err)
			s[0] = boolResult(ok)
		}),
		m("has_data_for", p(i32, i32), p(i32), func(f *frame, s []uint64) {
			addr := f.addressAt(s[0])
			_, ok, err := f.host.DatastoreValue(addr, f.readBytes(ptr(s[1])))
			f.check(err)
			s[0] = boolResult(ok)
		}),

		// ---- massa: operation datastore ----
		m("get_op_keys", nil, p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.opKeys(nil)))
		}),
		m("get_op_keys_prefix", p(i32), p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeBytes(f.opKeys(f.readBytes(ptr(s[0])))))
		}),
		m("has_op_key", p(i32), p(i32), func(f *frame, s []uint64) {
			key := f.readBytes(ptr(s[0]))
			found := byte(0)
			for _, e := range f.opDatastore() {
				if bytes.Equal(e.Key, key) {
					found = 1
					break
				}
			}
			s[0] = uint64(f.writeBytes([]byte{found}))
		}),
		m("get_op_data", p(i32), p(i32), func(f *frame, s []uint64) {
			key := f.readBytes(ptr(s[0]))
			for _, e := range f.opDatastore() {
				if bytes.Equal(e.Key, key) {
					s[0] = uint64(f.writeBytes(e.Value))
					return
				}
			}
			f.failf("unknown operation datastore key %x", key)
		}),

		// ---- massa: context ----
		m("get_owned_addresses", nil, p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeString(jsonAddresses(f.host.OwnedAddresses())))
		}),
		m("get_call_stack", nil, p(i32), func(f *frame, s []uint64) {
			s[0] = uint64(f.writeString(jsonAddresses(f.host.CallStack())))
		}),
		m("caller_has_write_access", nil, p(i32), func(f *frame, s []uint64) {
			s[0] = boolResult(f.host.CallerHasWriteAccess())
		}),
		m("get_call_coins", nil, p(i64), func(f *frame, s []uint64) { s[0] = uint64(f.host.CallCoins()) }),
		m("get_origin_operation_id", nil, p(i32), func(f *frame, s []uint64) {
			id := ""
			if op, ok := f.host.OriginOperationID(); ok {
				id = op.String()
			}
			s[0] = uint64(f.writeString(id))
		}),
		m("get_current_period", nil, p(i64), func(f *frame, s []uint64) { s[0] = f.host.Slot().Period }),
		m("get_current_thread", nil, p(i32), func(f *frame, s []uint64) { s[0] = uint64(f.host.Slot().Thread) }),
		m("get_time", nil, p(i64), func(f *frame, s []uint64) { s[0] = f.host.SlotTimestamp() }),
		m("unsafe_random", nil, p(i64), func(f *frame, s []uint64) { s[0] = f.host.UnsafeRandom() }),
		m("chain_id", nil, p(i64), func(f *frame, s []uint64) { s[0] = f.host.ChainID() }),
		m("generate_event", p(i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.Emit(f.readString(ptr(s[0]))))
		}),

		// ---- massa: coins ----
		m("transfer_coins", p(i32, i64), nil, func(f *frame, s []uint64) {
			to := f.addressAt(s[0])
			f.check(f.host.TransferCoins(f.host.CurrentAddress(), to, f.amount(s[1], "amount")))
		}),
		m("transfer_coins_for", p(i32, i32, i64), nil, func(f *frame, s []uint64) {
			from := f.addressAt(s[0])
			to := f.addressAt(s[1])
			f.check(f.host.TransferCoins(from, to, f.amount(s[2], "amount")))
		}),
		m("get_balance", nil, p(i64), func(f *frame, s []uint64) {
			b, err := f.host.Balance(f.host.CurrentAddress())
			f.check(err)
			s[0] = uint64(b)
		}),
		m("get_balance_for", p(i32), p(i64), func(f *frame, s []uint64) {
			b, err := f.host.Balance(f.addressAt(s[0]))
			f.check(err)
			s[0] = uint64(b)
		}),

		// ---- massa: cryptography and addresses ----
		m("hash", p(i32), p(i32), func(f *frame, s []uint64) {
			h := crypto.HashOf(f.readBytes(ptr(s[0])))
			s[0] = uint64(f.writeBytes(h[:]))
		}),
		m("hash_sha256", p(i32), p(i32), func(f *frame, s []uint64) {
			h := sha256.Sum256(f.readBytes(ptr(s[0])))
			s[0] = uint64(f.writeBytes(h[:]))
		}),
		m("keccak256_hash", p(i32), p(i32), func(f *frame, s []uint64) {
			k := sha3.NewLegacyKeccak256()
			k.Write(f.readBytes(ptr(s[0])))
			s[0] = uint64(f.writeBytes(k.Sum(nil)))
		}),
		m("signature_verify", p(i32, i32, i32), p(i32), func(f *frame, s []uint64) {
			// Massa verifies the Ed25519 signature of BLAKE3(data), data
			// being the UTF-8 bytes of the string; unparsable signatures or
			// keys verify false.
			data := f.readString(ptr(s[0]))
			sigText := f.readString(ptr(s[1]))
			pubText := f.readString(ptr(s[2]))
			sig, err1 := crypto.ParseSignature(sigText)
			pub, err2 := crypto.ParsePublicKey(pubText)
			s[0] = boolResult(err1 == nil && err2 == nil && crypto.Verify(pub, crypto.HashOf([]byte(data)), sig))
		}),
		m("address_from_public_key", p(i32), p(i32), func(f *frame, s []uint64) {
			text := f.readString(ptr(s[0]))
			pub, err := crypto.ParsePublicKey(text)
			if err != nil {
				f.failf("invalid public key %q: %v", text, err)
			}
			s[0] = uint64(f.writeString(types.AddressOf(pub).String()))
		}),
		m("validate_address", p(i32), p(i32), func(f *frame, s []uint64) {
			_, err := types.ParseAddress(f.readString(ptr(s[0])))
			s[0] = boolResult(err == nil)
		}),
		m("is_address_eoa", p(i32), p(i32), func(f *frame, s []uint64) {
			s[0] = boolResult(!f.addressAt(s[0]).SC)
		}),
		m("evm_signature_verify", p(i32, i32, i32), p(i32), notSupported("evm_signature_verify")),
		m("evm_get_address_from_pubkey", p(i32), p(i32), notSupported("evm_get_address_from_pubkey")),
		m("evm_get_pubkey_from_signature", p(i32, i32), p(i32), notSupported("evm_get_pubkey_from_signature")),

		// ---- massa: asynchronous messages and deferred calls ----
		m("send_message", p(i32, i32, i64, i32, i64, i32, i64, i64, i64, i32, i32, i32), nil, sendMessage),
		m("get_deferred_call_quote", p(i64, i32, i64, i64), p(i64), func(f *frame, s []uint64) {
			slot := f.slotArg(s[0], s[1], "deferred call")
			if int64(s[2]) < 0 {
				f.failf("negative max gas")
			}
			if int64(s[3]) < 0 {
				f.failf("negative params size")
			}
			fee, ok := f.host.DeferredCallQuote(slot, s[2], s[3])
			if !ok {
				fee = 0 // what the official runtime returns for "not available"
			}
			s[0] = uint64(fee)
		}),
		m("deferred_call_register", p(i32, i32, i64, i32, i64, i32, i64), p(i32), func(f *frame, s []uint64) {
			var c DeferredCall
			c.Target = f.addressAt(s[0])
			c.Function = f.readString(ptr(s[1]))
			c.Slot = f.slotArg(s[2], s[3], "deferred call")
			if int64(s[4]) < 0 {
				f.failf("negative max gas")
			}
			c.MaxGas = s[4]
			c.Params = f.readBytes(ptr(s[5]))
			c.Coins = f.amount(s[6], "coins")
			if len(c.Function) > maxFunctionName {
				f.failf("function name is too large")
			}
			if len(c.Params) > maxParams {
				f.failf("parameter size is too large")
			}
			id, err := f.host.DeferredCallRegister(c)
			f.check(err)
			s[0] = uint64(f.writeString(id))
		}),
		m("deferred_call_exists", p(i32), p(i32), func(f *frame, s []uint64) {
			ok, err := f.host.DeferredCallExists(f.readString(ptr(s[0])))
			f.check(err)
			s[0] = boolResult(ok)
		}),
		m("deferred_call_cancel", p(i32), nil, func(f *frame, s []uint64) {
			f.check(f.host.DeferredCallCancel(f.readString(ptr(s[0]))))
		}),
	}
}

// slotArg reads a (period i64, thread i32) pair.
func (f *frame) slotArg(period, thread uint64, what string) types.Slot {
	if int64(period) < 0 {
		f.failf("negative %s period", what)
	}
	if t := int32(thread); t < 0 || t > math.MaxUint8 {
		f.failf("invalid %s thread %d", what, t)
	}
	return types.Slot{Period: period, Thread: uint8(thread)}
}

// sendMessage decodes send_message(target, function, start period, start
// thread, end period, end thread, max gas, fee, coins, params, filter
// address, filter key).
func sendMessage(f *frame, s []uint64) {
	var msg Message
	msg.Target = f.addressAt(s[0])
	msg.Function = f.readString(ptr(s[1]))
	msg.ValidityStart = f.slotArg(s[2], s[3], "validity start")
	msg.ValidityEnd = f.slotArg(s[4], s[5], "validity end")
	if int64(s[6]) < 0 {
		f.failf("negative max gas")
	}
	msg.MaxGas = s[6]
	msg.Fee = f.amount(s[7], "raw fee")
	msg.Coins = f.amount(s[8], "coins")
	msg.Params = f.readBytes(ptr(s[9]))
	if filter := f.readString(ptr(s[10])); filter != "" {
		a := f.address(filter)
		msg.FilterAddress = &a
		if key := f.readBytes(ptr(s[11])); len(key) > 0 {
			if len(key) > maxDatastoreKey {
				f.failf("datastore key is too long")
			}
			msg.FilterKey = key
		}
	}
	if len(msg.Function) > maxFunctionName {
		f.failf("function name is too large")
	}
	if len(msg.Params) > maxParams {
		f.failf("parameter size is too large")
	}
	if msg.MaxGas < f.vm.cfg.Costs.MaxInstance {
		f.failf("max gas is lower than the minimum instance cost")
	}
	f.check(f.host.SendMessage(msg))
}
