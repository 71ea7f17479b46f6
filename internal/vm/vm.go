package vm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/gomassa/gomassa/internal/vm/wasm"
)

// Defaults of Config.
const (
	DefaultCacheSize    = 200 // compiled modules kept (Massa's RAM LRU size)
	DefaultTmpCacheSize = 32  // compiled ExecuteSC / read-only bytecodes kept
	DefaultMaxCallDepth = 25  // MAX_RECURSIVE_CALLS_DEPTH
)

// Config are the VM parameters. Costs and MaxCallDepth are consensus.
type Config struct {
	Costs GasCosts
	// CacheSize bounds the cache of deployed contracts' modules;
	// TmpCacheSize the separate cache of bytecodes run once (ExecuteSC,
	// read-only bytecode, local_execution), so that a stream of one-off
	// bytecodes cannot evict the deployed contracts.
	CacheSize    int
	TmpCacheSize int
	// MaxCallDepth bounds nested call / local_call / local_execution.
	MaxCallDepth int
	// Interpreter selects wazero's interpreter instead of its compiler
	// (slower; for platforms without the compiler or for debugging).
	Interpreter bool
	// Logger receives the contracts' print and console output (Debug).
	Logger *slog.Logger
}

// DefaultConfig returns the mainnet parameters.
func DefaultConfig() Config {
	return Config{
		Costs:        DefaultGasCosts(),
		CacheSize:    DefaultCacheSize,
		TmpCacheSize: DefaultTmpCacheSize,
		MaxCallDepth: DefaultMaxCallDepth,
	}
}

// VM runs AssemblyScript smart contracts on wazero with gas metering and
// the Massa host ABI. It is safe for concurrent use: each run gets its own
// module instance; compiled modules are shared through a bounded cache.
type VM struct {
	cfg   Config
	log   *slog.Logger
	rt    wazero.Runtime
	cache *moduleCache
	tmp   *moduleCache
	// modCfg instantiates anonymous modules without running any start
	// function: the metered start is called once the gas is set.
	modCfg wazero.ModuleConfig
}

// Result is the outcome of a successful run.
type Result struct {
	// Return is what the function returned (empty for main and for
	// functions without a result).
	Return []byte
	// RemainingGas is the gas left.
	RemainingGas uint64
	// GasBeforeLastCall is the gas the last (sub-)execution of the run was
	// started with: Massa's read-only gas estimate assumes that call may
	// need a whole instance cost (see execution's read-only requests).
	GasBeforeLastCall uint64
}

// New creates a VM and registers the host modules.
func New(cfg Config) (*VM, error) {
	if err := cfg.Costs.Validate(); err != nil {
		return nil, err
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.TmpCacheSize <= 0 {
		cfg.TmpCacheSize = DefaultTmpCacheSize
	}
	if cfg.MaxCallDepth <= 0 {
		cfg.MaxCallDepth = DefaultMaxCallDepth
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rc := wazero.NewRuntimeConfig()
	if cfg.Interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	// Massa's engine enables bulk memory only; wazero ties reference
	// types to bulk memory, but the gas pass rejects every
	// reference-type instruction, and sign extension and saturating
	// truncation are accepted as harmless.
	rc = rc.WithCoreFeatures(api.CoreFeaturesV1 | api.CoreFeatureBulkMemoryOperations |
		api.CoreFeatureReferenceTypes | api.CoreFeatureSignExtensionOps |
		api.CoreFeatureNonTrappingFloatToIntConversion).
		WithMemoryLimitPages(wasm.MaxPages).
		WithDebugInfoEnabled(false)
	ctx := context.Background()
	v := &VM{
		cfg:    cfg,
		log:    log,
		rt:     wazero.NewRuntimeWithConfig(ctx, rc),
		modCfg: wazero.NewModuleConfig().WithName("").WithStartFunctions(),
	}
	v.cache = newModuleCache(cfg.CacheSize, v.compile)
	v.tmp = newModuleCache(cfg.TmpCacheSize, v.compile)
	if err := v.registerHost(ctx); err != nil {
		_ = v.rt.Close(ctx)
		return nil, err
	}
	return v, nil
}

// Close releases the runtime and every compiled module.
func (v *VM) Close() error {
	v.cache.close()
	v.tmp.close()
	return v.rt.Close(context.Background())
}

// RunMain runs the main function of bytecode sent by ExecuteSC or a
// read-only request (its result is ignored).
func (v *VM) RunMain(h Host, bytecode []byte, maxGas uint64) (Result, error) {
	return v.runTop(h, bytecode, "main", nil, maxGas, true)
}

// RunFunction calls function(param) of a deployed bytecode with maxGas. A
// returned error fails the execution; it wraps ErrOutOfGas, ErrBytecode,
// ErrFunction, ErrExecution, ErrDepth or an error of the Host.
func (v *VM) RunFunction(h Host, bytecode []byte, function string, param []byte, maxGas uint64) (Result, error) {
	return v.runTop(h, bytecode, function, param, maxGas, false)
}

func (v *VM) runTop(h Host, bytecode []byte, function string, param []byte, maxGas uint64, tmp bool) (Result, error) {
	if maxGas > math.MaxInt64 {
		maxGas = math.MaxInt64
	}
	rs := &runState{gasBeforeLast: maxGas}
	ret, left, err := v.run(context.Background(), rs, h, bytecode, function, param, int64(maxGas), 0, tmp)
	if err != nil {
		return Result{}, err
	}
	return Result{Return: ret, RemainingGas: uint64(left), GasBeforeLastCall: rs.gasBeforeLast}, nil
}

// runState is shared by the frames of one top-level run.
type runState struct {
	gasBeforeLast uint64
}

// frameKey carries the *frame of the instance being called in the context
// given to host functions.
type frameKey struct{}

// run instantiates bytecode, calls function(param) with gas and returns
// its result and the gas left. depth is the number of enclosing calls; tmp
// selects the cache of one-off bytecodes.
func (v *VM) run(ctx context.Context, rs *runState, h Host, bytecode []byte, function string, param []byte, gas int64, depth int, tmp bool) ([]byte, int64, error) {
	rs.gasBeforeLast = uint64(gas)
	if uint64(gas) < v.cfg.Costs.MaxInstance {
		return nil, gas, fmt.Errorf("%w: %d gas is below the instance creation cost %d", ErrOutOfGas, gas, v.cfg.Costs.MaxInstance)
	}
	cache := v.cache
	if tmp {
		cache = v.tmp
	}
	mod, err := cache.acquire(bytecode)
	if err != nil {
		return nil, gas, err
	}
	defer cache.release(mod)

	fnIdx, ok := mod.meta.Module.ExportedFunc(function)
	if !ok {
		return nil, gas, fmt.Errorf("%w: missing export %q", ErrFunction, function)
	}
	ft, _ := mod.meta.Module.FuncType(fnIdx)

	inst, err := v.rt.InstantiateModule(ctx, mod.compiled, v.modCfg)
	if err != nil {
		// Missing or mistyped imports land here.
		return nil, gas, fmt.Errorf("%w: instantiation: %s", ErrBytecode, firstLine(err))
	}
	defer inst.Close(ctx)
	f, err := newFrame(v, rs, h, inst, depth)
	if err != nil {
		return nil, gas, err
	}
	f.ctx = context.WithValue(ctx, frameKey{}, f)
	f.setGas(gas)

	if mod.meta.HasStart {
		if _, err := inst.ExportedFunction(wasm.StartExport).Call(f.ctx); err != nil {
			return nil, f.gasLeft(), f.classify(err, "initialization")
		}
	}
	if left := f.gasLeft(); uint64(left) < v.cfg.Costs.Launch {
		return nil, left, fmt.Errorf("%w to launch the virtual machine", ErrOutOfGas)
	}
	f.setGas(f.gasLeft() - int64(v.cfg.Costs.Launch))

	var args []uint64
	switch {
	case len(ft.Params) == 0:
	case len(ft.Params) == 1 && ft.Params[0] == wasm.I32:
		ptr, err := f.tryWriteBytes(param)
		if err != nil {
			return nil, f.gasLeft(), err
		}
		args = []uint64{uint64(ptr)}
	default:
		return nil, gas, fmt.Errorf("%w: %q takes %d parameters, contracts functions take at most one buffer", ErrFunction, function, len(ft.Params))
	}
	res, err := inst.ExportedFunction(function).Call(f.ctx, args...)
	if err != nil {
		return nil, f.gasLeft(), f.classify(err, function)
	}
	var ret []byte
	if function != "main" && len(ft.Results) == 1 {
		if ft.Results[0] != wasm.I32 {
			return nil, f.gasLeft(), fmt.Errorf("%w: %q does not return a buffer pointer", ErrFunction, function)
		}
		if ret, err = f.tryReadBytes(uint32(res[0])); err != nil {
			return nil, f.gasLeft(), err
		}
	}
	return ret, f.gasLeft(), nil
}

// abiError is the panic value host functions use to fail a run: wazero
// recovers it and returns it wrapped.
type abiError struct{ err error }

func (e *abiError) Error() string { return e.err.Error() }
func (e *abiError) Unwrap() error { return e.err }

// classify turns the error of a call into the instance into the run's
// error: a host function's failure as it was raised, a metered trap as
// ErrOutOfGas, any other trap with the first line of wazero's message.
func (f *frame) classify(err error, function string) error {
	var ae *abiError
	if errors.As(err, &ae) {
		return ae.err
	}
	if f.gasLeft() < 0 {
		return fmt.Errorf("%w, limit reached at: %s", ErrOutOfGas, function)
	}
	return fmt.Errorf("%w in %s: %s", ErrExecution, function, firstLine(err))
}

// firstLine strips the wasm stack trace wazero appends to its errors.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, " (recovered by wazero)")
}

// compile checks the bytecode flavour, meters the module and compiles it.
func (v *VM) compile(bytecode []byte) (*wasm.Metered, wazero.CompiledModule, error) {
	if len(bytecode) <= 2 {
		return nil, nil, fmt.Errorf("%w: too small bytecode (%d bytes)", ErrBytecode, len(bytecode))
	}
	switch bytecode[0] {
	case 0x00:
	case 0x01:
		return nil, nil, fmt.Errorf("%w: wasmv1 modules (first byte 0x01) are not supported yet, only AssemblyScript ones", ErrBytecode)
	default:
		return nil, nil, fmt.Errorf("%w: unsupported file format (first byte 0x%02x)", ErrBytecode, bytecode[0])
	}
	meta, err := wasm.Meter(bytecode, wasm.Costs{
		Operator:       v.cfg.Costs.Operator,
		MemoryGrowPage: v.cfg.Costs.MemoryGrowPage,
		BulkMemoryByte: v.cfg.Costs.BulkMemoryByte,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBytecode, err)
	}
	cm, err := v.rt.CompileModule(context.Background(), meta.Bytecode)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrBytecode, firstLine(err))
	}
	return meta, cm, nil
}

// FunctionExists reports whether bytecode compiles and exports function.
func (v *VM) FunctionExists(bytecode []byte, function string) bool {
	mod, err := v.cache.acquire(bytecode)
	if err != nil {
		return false
	}
	defer v.cache.release(mod)
	_, ok := mod.meta.Module.ExportedFunc(function)
	return ok
}

// CacheLen is the number of compiled modules cached (deployed contracts,
// one-off bytecodes).
func (v *VM) CacheLen() (deployed, tmp int) { return v.cache.len(), v.tmp.len() }
