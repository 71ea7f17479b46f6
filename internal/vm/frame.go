package vm

import (
	"context"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/tetratelabs/wazero/api"

	"github.com/gomassa/gomassa/internal/vm/wasm"
)

// AssemblyScript class ids the host allocates with (as-ffi-bindings).
const (
	classArrayBuffer = 1
	classString      = 2
)

// frame is one module instance being run: the host functions it calls find
// it in their context.
type frame struct {
	vm    *VM
	rs    *runState
	host  Host
	mod   api.Module
	mem   api.Memory
	gas   api.MutableGlobal
	fnNew api.Function
	fnPin api.Function
	depth int
	ctx   context.Context
}

func newFrame(v *VM, rs *runState, h Host, mod api.Module, depth int) (*frame, error) {
	// Like the official runtime, the contract must export its memory as
	// "memory": the ABI reads and writes there.
	mem := mod.ExportedMemory("memory")
	if mem == nil {
		return nil, fmt.Errorf("%w: missing export \"memory\"", ErrBytecode)
	}
	f := &frame{vm: v, rs: rs, host: h, mod: mod, depth: depth, mem: mem}
	g, ok := mod.ExportedGlobal(wasm.GasExport).(api.MutableGlobal)
	if !ok {
		return nil, fmt.Errorf("%w: metered module without gas global", ErrBytecode)
	}
	f.gas = g
	f.fnNew = mod.ExportedFunction("__new")
	f.fnPin = mod.ExportedFunction("__pin")
	return f, nil
}

// gasLeft is the gas global: negative after an out-of-gas trap.
func (f *frame) gasLeft() int64 { return int64(f.gas.Get()) }

func (f *frame) setGas(g int64) { f.gas.Set(uint64(g)) }

// fail aborts the run from inside a host function. wazero recovers the
// panic and returns it as the error of the call into the instance; classify
// unwraps it. This is how a host function traps, not a broken invariant.
func (f *frame) fail(err error) {
	panic(&abiError{err: err})
}

func (f *frame) failf(format string, args ...any) {
	f.fail(fmt.Errorf("%w: %s", ErrExecution, fmt.Sprintf(format, args...)))
}

// charge takes cost gas, failing the run when there is not enough.
func (f *frame) charge(cost uint64, what string) {
	left := f.gasLeft()
	if left < 0 || cost > uint64(left) {
		f.setGas(-1)
		f.fail(fmt.Errorf("%w, limit reached at: %s", ErrOutOfGas, what))
	}
	f.setGas(left - int64(cost))
}

// check fails the run with err when it is not nil.
func (f *frame) check(err error) {
	if err != nil {
		f.fail(err)
	}
}

// objectSize reads the rtSize header word of the managed object at ptr.
func (f *frame) objectSize(ptr uint32) (uint32, error) {
	if ptr < 4 {
		return 0, fmt.Errorf("%w: invalid object pointer %d", ErrExecution, ptr)
	}
	size, ok := f.mem.ReadUint32Le(ptr - 4)
	if !ok {
		return 0, fmt.Errorf("%w: object pointer %d out of memory", ErrExecution, ptr)
	}
	return size, nil
}

// tryReadBytes copies the payload of the ArrayBuffer / StaticArray<u8> at
// ptr.
func (f *frame) tryReadBytes(ptr uint32) ([]byte, error) {
	size, err := f.objectSize(ptr)
	if err != nil {
		return nil, err
	}
	b, ok := f.mem.Read(ptr, size)
	if !ok {
		return nil, fmt.Errorf("%w: buffer of %d bytes at %d out of memory", ErrExecution, size, ptr)
	}
	return append([]byte(nil), b...), nil
}

func (f *frame) readBytes(ptr uint32) []byte {
	b, err := f.tryReadBytes(ptr)
	f.check(err)
	return b
}

// readString decodes the AssemblyScript string at ptr (UTF-16LE, lossy
// like Rust's from_utf16_lossy: unpaired surrogates become U+FFFD).
func (f *frame) readString(ptr uint32) string {
	size, err := f.objectSize(ptr)
	f.check(err)
	b, ok := f.mem.Read(ptr, size&^1)
	if !ok {
		f.failf("string of %d bytes at %d out of memory", size, ptr)
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}

// alloc calls the module's __new(size, classID).
func (f *frame) alloc(size int, classID uint32) (uint32, error) {
	if f.fnNew == nil {
		return 0, fmt.Errorf("%w: the module does not export __new (compile it with exportRuntime)", ErrBytecode)
	}
	if size < 0 || size > wasm.MaxPages*65536 {
		return 0, fmt.Errorf("%w: cannot allocate %d bytes in a contract's memory", ErrExecution, size)
	}
	res, err := f.fnNew.Call(f.ctx, uint64(size), uint64(classID))
	if err != nil {
		return 0, f.classify(err, "__new")
	}
	return uint32(res[0]), nil
}

// tryWriteBytes allocates an ArrayBuffer holding b (not pinned, as
// as-ffi-bindings does) and returns its pointer.
func (f *frame) tryWriteBytes(b []byte) (uint32, error) {
	ptr, err := f.alloc(len(b), classArrayBuffer)
	if err != nil {
		return 0, err
	}
	if !f.mem.Write(ptr, b) {
		return 0, fmt.Errorf("%w: __new returned %d, out of memory", ErrExecution, ptr)
	}
	return ptr, nil
}

func (f *frame) writeBytes(b []byte) uint32 {
	ptr, err := f.tryWriteBytes(b)
	f.check(err)
	return ptr
}

// writeString allocates an AssemblyScript string holding s and pins it.
// Like as-ffi-bindings, it sizes the string by the UTF-8 length of s, so a
// non-ASCII string ends with U+0000 padding (every string the ABI returns
// is ASCII in practice: addresses, ids, JSON of addresses).
func (f *frame) writeString(s string) uint32 {
	units := utf16.Encode([]rune(s))
	n := len(s)
	if len(units) > n {
		n = len(units) // cannot happen for valid UTF-8; keep every unit
	}
	buf := make([]byte, 2*n)
	for i, u := range units {
		binary.LittleEndian.PutUint16(buf[2*i:], u)
	}
	ptr, err := f.alloc(len(buf), classString)
	f.check(err)
	if !f.mem.Write(ptr, buf) {
		f.failf("__new returned %d, out of memory", ptr)
	}
	if f.fnPin != nil {
		if _, err := f.fnPin.Call(f.ctx, uint64(ptr)); err != nil {
			f.fail(f.classify(err, "__pin"))
		}
	}
	return ptr
}
