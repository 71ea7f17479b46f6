package wasm

import (
	"fmt"
	"math"
)

// Names the gas pass exports.
const (
	// GasExport is the mutable i64 global holding the remaining gas. It is
	// negative after a metered trap: the host reads it to tell "out of gas"
	// from other traps.
	GasExport = "__massa_gas"
	// StartExport is the module's former start function: the host calls it
	// after setting the gas (it runs the AssemblyScript top-level code).
	StartExport = "__massa_start"
)

// MaxPages is the largest linear memory a contract may have (64 pages of
// 64 KiB = 4 MiB, massa-sc-runtime's max_number_of_pages).
const MaxPages = 64

// maxCost bounds per-operator and per-page costs so that cost * count fits
// an i64 for any body this package accepts.
const maxCost = 1 << 30

// Costs are the charges the gas pass inserts.
type Costs struct {
	// Operator is charged per executed wasm instruction.
	Operator uint64
	// MemoryGrowPage is charged per page asked of memory.grow (asked, not
	// granted: a failed grow is charged too).
	MemoryGrowPage uint64
	// BulkMemoryByte is charged per byte memory.copy, memory.fill and
	// memory.init are asked to move (charged even if they trap).
	BulkMemoryByte uint64
}

// Metered is a module rewritten by Meter.
type Metered struct {
	// Bytecode is the rewritten module, ready to compile.
	Bytecode []byte
	// HasStart says the module had a start function, now exported as
	// StartExport.
	HasStart bool
	// Module is the parsed original (its exports are the contract's).
	Module *Module
}

// Meter parses a module and inserts gas metering (see the package doc). It
// also caps the memory at MaxPages pages and rejects modules importing
// anything but functions or using unsupported opcodes.
func Meter(bytecode []byte, c Costs) (*Metered, error) {
	if c.Operator > maxCost || c.MemoryGrowPage > maxCost || c.BulkMemoryByte > maxCost {
		return nil, fmt.Errorf("%w: gas cost above %d", ErrUnsupported, maxCost)
	}
	m, err := Parse(bytecode)
	if err != nil {
		return nil, err
	}
	out := &Metered{Module: m}
	// Work on a copy of the fields we change so m stays the original.
	mm := *m
	mm.Exports = append([]Export(nil), m.Exports...)
	if m.Memory != nil {
		l := *m.Memory
		if l.Min > MaxPages {
			return nil, fmt.Errorf("%w: memory of %d pages, at most %d", ErrUnsupported, l.Min, MaxPages)
		}
		if !l.HasMax || l.Max > MaxPages {
			l.HasMax, l.Max = true, MaxPages
		}
		mm.Memory = &l
	}
	for _, name := range []string{GasExport, StartExport} {
		if m.hasExport(name) {
			return nil, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
		}
	}
	gas := mm.addGlobal(I64, true, 0)
	mm.Exports = append(mm.Exports, Export{Name: GasExport, Kind: ExportGlobal, Index: gas})
	if m.Start != nil {
		mm.Exports = append(mm.Exports, Export{Name: StartExport, Kind: ExportFunc, Index: *m.Start})
		mm.Start = nil
		out.HasStart = true
	}
	mm.Codes = make([][]byte, len(m.Codes))
	for i, code := range m.Codes {
		body, err := DecodeBody(code)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", len(m.Imports)+i, err)
		}
		params := len(m.Types[m.Funcs[i]].Params)
		mm.Codes[i], err = meterBody(body, params, gas, c)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", len(m.Imports)+i, err)
		}
	}
	out.Bytecode = mm.Encode()
	return out, nil
}

// sizeCost is the per-unit charge the instruction takes from the i32 on
// top of the stack (pages for memory.grow, bytes for bulk memory), or 0.
func sizeCost(in Instr, c Costs) uint64 {
	switch {
	case in.Op == opMemoryGrow:
		return c.MemoryGrowPage
	case in.Op == opPrefixFC && (in.Sub == 8 || in.Sub == 10 || in.Sub == 11):
		return c.BulkMemoryByte
	}
	return 0
}

// meterBody rewrites one body: a gas charge at the start of each basic
// block and a size charge before memory.grow and the bulk memory
// operators (which needs one extra i32 scratch local).
func meterBody(b *Body, params int, gas uint32, c Costs) ([]byte, error) {
	sized := false
	for _, in := range b.Instrs {
		if sizeCost(in, c) > 0 {
			sized = true
			break
		}
	}
	out := make([]byte, 0, len(b.Raw)+len(b.Instrs)*4+32)
	var scratch uint32
	if sized {
		if uint64(params)+uint64(b.LocalCount)+1 > maxLocals {
			return nil, fmt.Errorf("%w: no room for a scratch local", ErrTooLarge)
		}
		scratch = uint32(params) + b.LocalCount
		// Re-declare the locals with one more i32 group at the end.
		out = appendU32(out, b.localGroups+1)
		out = append(out, b.Raw[b.declStart:b.CodeStart]...)
		out = append(out, 1, I32)
	} else {
		out = append(out, b.Raw[:b.CodeStart]...)
	}
	ins := b.Instrs
	for i := 0; i < len(ins); {
		// The block is ins[i:j]: up to and including the first instruction
		// that ends a block.
		j := i
		for j < len(ins) && !ins[j].endsBlock() {
			j++
		}
		if j < len(ins) {
			j++
		}
		if c.Operator > 0 {
			out = appendCharge(out, gas, c.Operator*uint64(j-i))
		}
		for k := i; k < j; k++ {
			if cost := sizeCost(ins[k], c); cost > 0 {
				out = appendSizeCharge(out, gas, scratch, cost)
			}
			out = append(out, b.Raw[ins[k].Start:ins[k].End]...)
		}
		i = j
	}
	return out, nil
}

// appendCharge appends: gas -= cost; if gas < 0 { unreachable }.
func appendCharge(dst []byte, gas uint32, cost uint64) []byte {
	if cost > math.MaxInt64 {
		cost = math.MaxInt64
	}
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, gas)
	dst = append(dst, opI64Const)
	dst = appendS64(dst, int64(cost))
	dst = append(dst, opI64Sub, opGlobalSet)
	dst = appendU32(dst, gas)
	return appendTrapIfNegative(dst, gas)
}

// appendSizeCharge appends, with a count on the stack (kept):
// gas -= count * cost; if gas < 0 { unreachable }.
func appendSizeCharge(dst []byte, gas, scratch uint32, cost uint64) []byte {
	dst = append(dst, opLocalTee)
	dst = appendU32(dst, scratch)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, gas)
	dst = append(dst, opLocalGet)
	dst = appendU32(dst, scratch)
	dst = append(dst, opI64ExtendU, opI64Const)
	dst = appendS64(dst, int64(cost))
	dst = append(dst, opI64Mul, opI64Sub, opGlobalSet)
	dst = appendU32(dst, gas)
	return appendTrapIfNegative(dst, gas)
}

func appendTrapIfNegative(dst []byte, gas uint32) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, gas)
	return append(dst, opI64Const, 0, opI64LtS, opIf, 0x40, opUnreachable, opEnd)
}
