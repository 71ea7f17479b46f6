package wasm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"pgregory.net/rapid"
)

const countExport = "__count"

// countInstructions is the reference the gas pass is checked against: it
// adds an i64 counter incremented before every original instruction, so
// after a run the counter is the number of instructions executed. It uses
// no block analysis at all.
func countInstructions(t testing.TB, bytecode []byte) []byte {
	t.Helper()
	m, err := Parse(bytecode)
	if err != nil {
		t.Fatal(err)
	}
	cnt := m.addGlobal(I64, true, 0)
	m.Exports = append(m.Exports, Export{Name: countExport, Kind: ExportGlobal, Index: cnt})
	codes := make([][]byte, len(m.Codes))
	for i, code := range m.Codes {
		b, err := DecodeBody(code)
		if err != nil {
			t.Fatal(err)
		}
		out := append([]byte(nil), b.Raw[:b.CodeStart]...)
		for _, in := range b.Instrs {
			out = append(out, opGlobalGet)
			out = appendU32(out, cnt)
			out = append(out, opI64Const, 1, opI64Add, opGlobalSet)
			out = appendU32(out, cnt)
			out = append(out, b.Raw[in.Start:in.End]...)
		}
		codes[i] = out
	}
	m.Codes = codes
	return m.Encode()
}

func newRuntime(t testing.TB) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigCompiler().
		WithCoreFeatures(api.CoreFeaturesV1 | api.CoreFeatureBulkMemoryOperations | api.CoreFeatureReferenceTypes |
			api.CoreFeatureSignExtensionOps | api.CoreFeatureNonTrappingFloatToIntConversion).
		WithMemoryLimitPages(MaxPages)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	t.Cleanup(func() { _ = r.Close(ctx) })
	return r
}

// runMetered runs export fn of a metered module with gas and returns the
// gas left (negative after an out-of-gas trap) and the call error.
func runMetered(t testing.TB, r wazero.Runtime, m *Metered, fn string, gas int64) (int64, error) {
	t.Helper()
	ctx := context.Background()
	mod, err := r.Instantiate(ctx, m.Bytecode)
	if err != nil {
		t.Fatalf("instantiate metered module: %v", err)
	}
	defer mod.Close(ctx)
	g := mod.ExportedGlobal(GasExport).(api.MutableGlobal)
	g.Set(uint64(gas))
	if m.HasStart {
		if _, err := mod.ExportedFunction(StartExport).Call(ctx); err != nil {
			return int64(g.Get()), err
		}
	}
	_, err = mod.ExportedFunction(fn).Call(ctx)
	return int64(g.Get()), err
}

// progGen generates random valid, terminating function bodies: structured
// control flow, forward branches only (loops are bounded by a counter
// local), calls only to higher-numbered functions.
type progGen struct {
	t      *rapid.T
	nfuncs int
	fn     int
	labels []bool // true for a loop label, innermost last
	loops  int
	out    []byte
}

const (
	genLocals   = 16 // 0-3 general, 4-15 loop counters
	genMaxLoops = 12
)

func (g *progGen) emit(b ...byte) { g.out = append(g.out, b...) }

func (g *progGen) i32const(v int32) { g.emit(0x41); g.out = appendS64(g.out, int64(v)) }

func (g *progGen) stmts(depth int) {
	n := rapid.IntRange(0, 6).Draw(g.t, "stmts")
	for range n {
		g.stmt(depth)
	}
}

// forwardLabels returns the label indices a branch may target (non-loop
// labels, plus the function label at index len(labels)).
func (g *progGen) forwardLabels() []uint32 {
	var out []uint32
	for i := len(g.labels) - 1; i >= 0; i-- {
		if !g.labels[i] {
			out = append(out, uint32(len(g.labels)-1-i))
		}
	}
	return append(out, uint32(len(g.labels)))
}

func (g *progGen) stmt(depth int) {
	if depth <= 0 {
		g.i32Expr(0)
		g.emit(0x21, byte(rapid.IntRange(0, 3).Draw(g.t, "local")))
		return
	}
	switch rapid.IntRange(0, 13).Draw(g.t, "stmt") {
	case 0: // local.set
		g.i32Expr(depth - 1)
		g.emit(0x21, byte(rapid.IntRange(0, 3).Draw(g.t, "local")))
	case 1: // block
		g.emit(opBlock, 0x40)
		g.labels = append(g.labels, false)
		g.stmts(depth - 1)
		g.labels = g.labels[:len(g.labels)-1]
		g.emit(opEnd)
	case 2: // bounded loop
		if g.loops >= genMaxLoops {
			g.emit(0x01)
			return
		}
		c := byte(4 + g.loops)
		g.loops++
		g.i32const(int32(rapid.IntRange(1, 4).Draw(g.t, "iterations")))
		g.emit(0x21, c, opLoop, 0x40)
		g.labels = append(g.labels, true)
		g.stmts(depth - 1)
		g.emit(opLocalGet, c)
		g.i32const(1)
		g.emit(0x6B, opLocalTee, c, opBrIf, 0) // i32.sub; local.tee; br_if 0
		g.labels = g.labels[:len(g.labels)-1]
		g.emit(opEnd)
		g.loops--
	case 3: // if / if-else
		g.i32Expr(depth - 1)
		g.emit(opIf, 0x40)
		g.labels = append(g.labels, false)
		g.stmts(depth - 1)
		if rapid.Bool().Draw(g.t, "else") {
			g.emit(opElse)
			g.stmts(depth - 1)
		}
		g.labels = g.labels[:len(g.labels)-1]
		g.emit(opEnd)
	case 4: // br_if forward
		targets := g.forwardLabels()
		g.i32Expr(depth - 1)
		g.emit(opBrIf)
		g.out = appendU32(g.out, rapid.SampledFrom(targets).Draw(g.t, "target"))
	case 5: // br forward, then some dead code
		targets := g.forwardLabels()
		g.emit(opBr)
		g.out = appendU32(g.out, rapid.SampledFrom(targets).Draw(g.t, "target"))
		if rapid.Bool().Draw(g.t, "dead") {
			g.i32Expr(0)
			g.emit(0x1A)
		}
	case 6: // br_table forward
		targets := g.forwardLabels()
		g.i32Expr(depth - 1)
		n := rapid.IntRange(0, 3).Draw(g.t, "table")
		g.emit(opBrTable)
		g.out = appendU32(g.out, uint32(n))
		for range n + 1 {
			g.out = appendU32(g.out, rapid.SampledFrom(targets).Draw(g.t, "target"))
		}
	case 7: // call a later function
		if g.fn+1 >= g.nfuncs {
			g.emit(0x01)
			return
		}
		g.emit(opCall)
		g.out = appendU32(g.out, uint32(rapid.IntRange(g.fn+1, g.nfuncs-1).Draw(g.t, "callee")))
	case 8: // drop
		g.i32Expr(depth - 1)
		g.emit(0x1A)
	case 9: // return (rare)
		if rapid.IntRange(0, 3).Draw(g.t, "return") == 0 {
			g.emit(opReturn)
		} else {
			g.emit(0x01)
		}
	case 10: // store
		g.i32const(int32(rapid.IntRange(0, 60000).Draw(g.t, "addr")))
		g.i32Expr(depth - 1)
		g.emit(0x36, 2, 0) // i32.store align=2 offset=0
	case 11: // bulk memory: fill then copy
		g.i32const(int32(rapid.IntRange(0, 1000).Draw(g.t, "dst")))
		g.i32const(int32(rapid.IntRange(0, 255).Draw(g.t, "val")))
		g.i32const(int32(rapid.IntRange(0, 100).Draw(g.t, "n")))
		g.emit(opPrefixFC, 11, 0)
		g.i32const(int32(rapid.IntRange(0, 1000).Draw(g.t, "dst")))
		g.i32const(int32(rapid.IntRange(0, 1000).Draw(g.t, "src")))
		g.i32const(int32(rapid.IntRange(0, 100).Draw(g.t, "n")))
		g.emit(opPrefixFC, 10, 0, 0)
	case 12: // i64 arithmetic wrapped into a local
		g.i64Expr(depth - 1)
		g.emit(0xA7, 0x21, byte(rapid.IntRange(0, 3).Draw(g.t, "local"))) // i32.wrap_i64
	default:
		g.emit(0x01) // nop
	}
}

func (g *progGen) i32Expr(depth int) {
	if depth <= 0 {
		if rapid.Bool().Draw(g.t, "leaf") {
			g.i32const(rapid.Int32().Draw(g.t, "const"))
		} else {
			g.emit(opLocalGet, byte(rapid.IntRange(0, 3).Draw(g.t, "local")))
		}
		return
	}
	switch rapid.IntRange(0, 9).Draw(g.t, "expr") {
	case 0:
		g.i32const(rapid.Int32().Draw(g.t, "const"))
	case 1:
		g.emit(opLocalGet, byte(rapid.IntRange(0, 3).Draw(g.t, "local")))
	case 2: // binary
		g.i32Expr(depth - 1)
		g.i32Expr(depth - 1)
		g.emit(rapid.SampledFrom([]byte{0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x76, 0x77, 0x46, 0x47, 0x49, 0x4A}).Draw(g.t, "binop"))
	case 3: // unary, sign extension included
		g.i32Expr(depth - 1)
		g.emit(rapid.SampledFrom([]byte{0x45, 0x67, 0x68, 0xC0, 0xC1}).Draw(g.t, "unop"))
	case 4: // select
		g.i32Expr(depth - 1)
		g.i32Expr(depth - 1)
		g.i32Expr(depth - 1)
		g.emit(0x1B)
	case 5: // load
		g.i32const(int32(rapid.IntRange(0, 60000).Draw(g.t, "addr")))
		g.emit(0x28, 2, 0)
	case 6: // if with a result
		g.i32Expr(depth - 1)
		g.emit(opIf, I32)
		g.labels = append(g.labels, false)
		g.i32Expr(depth - 1)
		g.emit(opElse)
		g.i32Expr(depth - 1)
		g.labels = g.labels[:len(g.labels)-1]
		g.emit(opEnd)
	case 7: // saturating truncation of a float constant
		g.emit(0x43, 0, 0, 0xC8, 0x42) // f32.const 100.0
		g.emit(opPrefixFC, 0)
	case 8:
		g.emit(0x3F, 0) // memory.size
	default: // block with a result
		g.emit(opBlock, I32)
		g.labels = append(g.labels, false)
		g.i32Expr(depth - 1)
		g.labels = g.labels[:len(g.labels)-1]
		g.emit(opEnd)
	}
}

func (g *progGen) i64Expr(depth int) {
	if depth <= 0 {
		g.emit(opI64Const)
		g.out = appendS64(g.out, rapid.Int64().Draw(g.t, "const64"))
		return
	}
	switch rapid.IntRange(0, 2).Draw(g.t, "expr64") {
	case 0:
		g.i64Expr(depth - 1)
		g.i64Expr(depth - 1)
		g.emit(rapid.SampledFrom([]byte{opI64Add, opI64Sub, opI64Mul, 0x83, 0x85}).Draw(g.t, "binop64"))
	case 1:
		g.i32Expr(depth - 1)
		g.emit(rapid.SampledFrom([]byte{0xAC, 0xAD}).Draw(g.t, "extend"))
	default:
		g.i64Expr(depth - 1)
		g.emit(0xC4) // i64.extend32_s
	}
}

// genModule builds a module of n void functions, export "run" = function
// 0, one page of memory, and sometimes a start function.
func genModule(t *rapid.T) []byte {
	n := rapid.IntRange(1, 4).Draw(t, "funcs")
	g := &progGen{t: t, nfuncs: n}
	var codes [][]byte
	for i := range n {
		g.fn, g.out, g.labels, g.loops = i, nil, nil, 0
		g.emit(1, genLocals, I32)
		depth := rapid.IntRange(2, 5).Draw(t, "depth")
		for range rapid.IntRange(1, 8).Draw(t, "top") {
			g.stmt(depth)
		}
		g.emit(opEnd)
		codes = append(codes, g.out)
	}
	m := &Module{
		Types:   []FuncType{{}},
		Funcs:   make([]uint32, n),
		Memory:  &Limits{Min: 1},
		Exports: []Export{{Name: "run", Kind: ExportFunc, Index: 0}},
		Codes:   codes,
		sections: []section{
			{id: secType, body: []byte{1, 0x60, 0, 0}},
			{id: secFunction}, {id: secMemory}, {id: secExport}, {id: secCode},
		},
	}
	if n > 1 && rapid.Bool().Draw(t, "start") {
		s := uint32(n - 1)
		m.Start = &s
	}
	m.sections[1].body = appendU32(nil, uint32(n))
	for range n {
		m.sections[1].body = append(m.sections[1].body, 0)
	}
	return m.Encode()
}

// TestMeterMatchesInstructionCount is the property the gas pass must keep:
// for any run that completes, gas used = operator cost * instructions
// executed, as counted by the independent per-instruction counter.
func TestMeterMatchesInstructionCount(t *testing.T) {
	r := newRuntime(t)
	costs := Costs{Operator: 23}
	rapid.Check(t, func(rt *rapid.T) {
		bin := genModule(rt)
		m, err := Meter(bin, costs)
		if err != nil {
			rt.Fatalf("meter: %v", err)
		}
		const budget = int64(1) << 50
		left, err := runMetered(t, r, m, "run", budget)
		if err != nil {
			rt.Fatalf("metered run: %v", err)
		}
		var count uint64
		{
			ctx := context.Background()
			mod, err := r.Instantiate(ctx, countInstructions(t, bin))
			if err != nil {
				rt.Fatalf("instantiate counting module: %v", err)
			}
			if _, err := mod.ExportedFunction("run").Call(ctx); err != nil {
				rt.Fatalf("counting run: %v", err)
			}
			count = mod.ExportedGlobal(countExport).Get()
			_ = mod.Close(ctx)
		}
		if used := uint64(budget - left); used != costs.Operator*count {
			rt.Fatalf("gas used %d, want %d * %d instructions = %d", used, costs.Operator, count, costs.Operator*count)
		}
	})
}

// TestMeterOutOfGas checks that a run short of gas traps with the gas
// global negative, and that a run with exactly the gas it needs completes.
func TestMeterOutOfGas(t *testing.T) {
	r := newRuntime(t)
	rapid.Check(t, func(rt *rapid.T) {
		bin := genModule(rt)
		m, err := Meter(bin, Costs{Operator: 7})
		if err != nil {
			rt.Fatal(err)
		}
		const budget = int64(1) << 40
		left, err := runMetered(t, r, m, "run", budget)
		if err != nil {
			rt.Fatal(err)
		}
		need := budget - left
		if left, err := runMetered(t, r, m, "run", need); err != nil || left != 0 {
			rt.Fatalf("with exactly %d gas: left %d, err %v", need, left, err)
		}
		if need == 0 {
			return
		}
		left, err = runMetered(t, r, m, "run", need-1)
		if err == nil || left >= 0 {
			rt.Fatalf("with %d gas (need %d): left %d, err %v", need-1, need, left, err)
		}
	})
}

// loopModule is a function "run" looping forever, and "grow" growing memory
// by the page count given as parameter.
func loopModule() []byte {
	m := &Module{
		Types:  []FuncType{{}, {Params: []byte{I32}, Results: []byte{I32}}},
		Funcs:  []uint32{0, 1},
		Memory: &Limits{Min: 1},
		Exports: []Export{
			{Name: "run", Kind: ExportFunc, Index: 0},
			{Name: "grow", Kind: ExportFunc, Index: 1},
		},
		Codes: [][]byte{
			{0, opLoop, 0x40, opBr, 0, opEnd, opEnd},
			{0, opLocalGet, 0, opMemoryGrow, 0, opEnd},
		},
		sections: []section{
			{id: secType, body: []byte{2, 0x60, 0, 0, 0x60, 1, I32, 1, I32}},
			{id: secFunction, body: []byte{2, 0, 1}}, {id: secMemory}, {id: secExport}, {id: secCode},
		},
	}
	return m.Encode()
}

func TestMeterBulkMemory(t *testing.T) {
	r := newRuntime(t)
	// fill(dst, val, n) with n from the parameter, then copy n bytes.
	m := &Module{
		Types:   []FuncType{{Params: []byte{I32}}},
		Funcs:   []uint32{0},
		Memory:  &Limits{Min: 1},
		Exports: []Export{{Name: "bulk", Kind: ExportFunc, Index: 0}},
		Codes: [][]byte{{0,
			0x41, 0, 0x41, 7, opLocalGet, 0, opPrefixFC, 11, 0, // memory.fill(0, 7, n)
			0x41, 0, 0x41, 0, opLocalGet, 0, opPrefixFC, 10, 0, 0, // memory.copy(0, 0, n)
			opEnd}},
		sections: []section{{id: secType, body: []byte{1, 0x60, 1, I32, 0}}, {id: secFunction, body: []byte{1, 0}}, {id: secMemory}, {id: secExport}, {id: secCode}},
	}
	metered, err := Meter(m.Encode(), Costs{Operator: 1, BulkMemoryByte: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []uint64{0, 10, 65536, 70000} {
		mod, err := r.Instantiate(ctx, metered.Bytecode)
		if err != nil {
			t.Fatal(err)
		}
		g := mod.ExportedGlobal(GasExport).(api.MutableGlobal)
		g.Set(1 << 40)
		_, err = mod.ExportedFunction("bulk").Call(ctx, n)
		if (err != nil) != (n > 65536) {
			t.Fatalf("n=%d: %v", n, err)
		}
		// 9 operators; the size charges come before each bulk operator, so
		// a trapping fill has been charged already.
		want := 9 + 2*3*n
		if n > 65536 {
			want = 9 + 3*n
		}
		if used := (1 << 40) - g.Get(); used != want {
			t.Errorf("n=%d: gas used %d, want %d", n, used, want)
		}
		_ = mod.Close(ctx)
	}
}

func TestMeterStopsInfiniteLoop(t *testing.T) {
	r := newRuntime(t)
	m, err := Meter(loopModule(), Costs{Operator: 23})
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	for i := range 3 {
		left, err := runMetered(t, r, m, "run", 1_000_000)
		if err == nil || left >= 0 {
			t.Fatalf("run %d: infinite loop not stopped: left %d, err %v", i, left, err)
		}
		if i == 0 {
			first = left
		} else if left != first {
			t.Fatalf("run %d: left %d, first run %d: not deterministic", i, left, first)
		}
	}
}

func TestMeterMemoryGrow(t *testing.T) {
	r := newRuntime(t)
	const page = 1000
	m, err := Meter(loopModule(), Costs{Operator: 1, MemoryGrowPage: page})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		pages   uint64
		granted bool
	}{{0, true}, {3, true}, {63, true}, {64, false}, {1 << 20, false}} {
		mod, err := r.Instantiate(ctx, m.Bytecode)
		if err != nil {
			t.Fatal(err)
		}
		g := mod.ExportedGlobal(GasExport).(api.MutableGlobal)
		const budget = 1 << 40
		g.Set(budget)
		res, err := mod.ExportedFunction("grow").Call(ctx, tc.pages)
		if err != nil {
			t.Fatalf("grow %d: %v", tc.pages, err)
		}
		// local.get, memory.grow, end: 3 operators.
		if used := budget - g.Get(); used != 3+page*tc.pages {
			t.Errorf("grow %d: gas used %d, want %d", tc.pages, used, 3+page*tc.pages)
		}
		if granted := int32(res[0]) != -1; granted != tc.granted {
			t.Errorf("grow %d: granted %v, want %v (memory capped at %d pages)", tc.pages, granted, tc.granted, MaxPages)
		}
		_ = mod.Close(ctx)
	}
}

// TestMeterRealContracts meters the compiled conformance contracts: they
// must compile and keep their exports.
func TestMeterRealContracts(t *testing.T) {
	r := newRuntime(t)
	files, _ := filepath.Glob("../testdata/*.wasm")
	if len(files) == 0 {
		t.Fatal("no contracts in ../testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			bin, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Meter(bin, Costs{Operator: 23, MemoryGrowPage: 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.CompileModule(context.Background(), m.Bytecode); err != nil {
				t.Fatalf("compile metered module: %v", err)
			}
			again, err := Parse(m.Bytecode)
			if err != nil {
				t.Fatal(err)
			}
			if !again.hasExport(GasExport) || m.HasStart != again.hasExport(StartExport) || again.Start != nil {
				t.Fatalf("exports %v, start %v", again.Exports, again.Start)
			}
			if again.Memory == nil || !again.Memory.HasMax || again.Memory.Max != MaxPages {
				t.Fatalf("memory %+v, want max %d", again.Memory, MaxPages)
			}
			if _, ok := again.ExportedFunc("main"); !ok {
				if _, ok := again.ExportedFunc("constructor"); !ok {
					t.Fatal("contract entry points lost")
				}
			}
		})
	}
}

func TestMeterRejects(t *testing.T) {
	base := func(code []byte) []byte {
		m := &Module{
			Types: []FuncType{{}}, Funcs: []uint32{0}, Codes: [][]byte{code},
			sections: []section{{id: secType, body: []byte{1, 0x60, 0, 0}}, {id: secFunction, body: []byte{1, 0}}, {id: secCode}},
		}
		return m.Encode()
	}
	for name, tc := range map[string]struct {
		bin  []byte
		want error
	}{
		"simd":          {base([]byte{0, 0xFD, 0x0C, opEnd}), ErrUnsupported},
		"ref.null":      {base([]byte{0, 0xD0, 0x70, 0x1A, opEnd}), ErrUnsupported},
		"table.grow":    {base([]byte{0, 0xFC, 15, 0, opEnd}), ErrUnsupported},
		"multi-value":   {base([]byte{0, opBlock, 0x00, opEnd, opEnd}), ErrUnsupported},
		"no end":        {base([]byte{0, 0x01}), ErrMalformed},
		"trailing":      {base([]byte{0, opEnd, 0x01}), ErrMalformed},
		"bad magic":     {[]byte("\x00asx\x01\x00\x00\x00"), ErrMalformed},
		"truncated leb": {base([]byte{0, 0x41, 0x80}), ErrMalformed},
		"memory import": {append(append([]byte(nil), magic...), secImport, 7, 1, 1, 'e', 1, 'm', 2, 0), ErrUnsupported},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Meter(tc.bin, Costs{Operator: 1})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLEB(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		v := rapid.Int64().Draw(rt, "v")
		r := &reader{b: appendS64(nil, v)}
		got, err := r.sleb(64)
		if err != nil || got != v || r.len() != 0 {
			rt.Fatalf("s64 %d: got %d, %v", v, got, err)
		}
		u := rapid.Uint32().Draw(rt, "u")
		r = &reader{b: appendU32(nil, u)}
		gu, err := r.u32()
		if err != nil || gu != u || r.len() != 0 {
			rt.Fatalf("u32 %d: got %d, %v", u, gu, err)
		}
		s := rapid.Int32().Draw(rt, "s")
		r = &reader{b: appendS64(nil, int64(s))}
		gs, err := r.sleb(32)
		if err != nil || gs != int64(s) {
			rt.Fatalf("s32 %d: got %d, %v", s, gs, err)
		}
	})
	for _, bad := range [][]byte{
		{0x80, 0x80, 0x80, 0x80, 0x10}, // u32 with bit 32 set
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
	} {
		if _, err := (&reader{b: bad}).u32(); err == nil {
			t.Errorf("u32 %x accepted", bad)
		}
	}
	if _, err := (&reader{b: []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x4F}}).sleb(32); err == nil {
		t.Error("s32 with inconsistent sign bits accepted")
	}
}

func FuzzMeter(f *testing.F) {
	f.Add(loopModule())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	if bin, err := os.ReadFile("../testdata/web3-deployer.wasm"); err == nil {
		f.Add(bin)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Meter(b, Costs{Operator: 23, MemoryGrowPage: 5})
		if err != nil {
			return
		}
		// What Meter accepts it must be able to parse again.
		if _, err := Parse(m.Bytecode); err != nil {
			t.Fatalf("metered output does not parse: %v", err)
		}
	})
}

func ExampleMeter() {
	m, err := Meter(loopModule(), Costs{Operator: 23})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(m.Bytecode) > 0, m.HasStart)
	// Output: true false
}
