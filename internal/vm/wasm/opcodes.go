package wasm

import "fmt"

// Opcodes the walker and the gas pass care about.
const (
	opUnreachable  = 0x00
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0B
	opBr           = 0x0C
	opBrIf         = 0x0D
	opBrTable      = 0x0E
	opReturn       = 0x0F
	opCall         = 0x10
	opCallIndirect = 0x11
	opLocalGet     = 0x20
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opMemoryGrow   = 0x40
	opI64Const     = 0x42
	opI64LtS       = 0x53
	opI64Add       = 0x7C
	opI64Sub       = 0x7D
	opI64Mul       = 0x7E
	opI64ExtendU   = 0xAD
	opPrefixFC     = 0xFC
)

// Instr is one instruction of a body: its opcode (and sub-opcode after the
// 0xFC prefix) and its byte range in the body.
type Instr struct {
	Op         byte
	Sub        uint32
	Start, End int
}

// endsBlock reports whether a basic block ends after the instruction: it
// branches, or the next instruction is a branch target.
func (in Instr) endsBlock() bool {
	switch in.Op {
	case opLoop, opIf, opElse, opEnd, opBr, opBrIf, opBrTable, opReturn, opUnreachable:
		return true
	}
	return false
}

// Body is a decoded function body.
type Body struct {
	// Raw is the whole body; Raw[:CodeStart] are the local declarations.
	Raw       []byte
	CodeStart int
	// LocalCount is the number of declared locals (parameters excluded).
	LocalCount uint32
	// localGroups is the number of (count, type) declarations, which
	// start at declStart.
	localGroups uint32
	declStart   int
	Instrs      []Instr
}

// DecodeBody splits a function body into its locals and instructions,
// checking every immediate and that the expression ends exactly at the end
// of the body.
func DecodeBody(b []byte) (*Body, error) {
	r := &reader{b: b}
	groups, err := r.count("local declarations", maxLocals, 2)
	if err != nil {
		return nil, err
	}
	declStart := r.off
	var total uint64
	for range groups {
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		total += uint64(n)
		if total > maxLocals {
			return nil, fmt.Errorf("%w: more than %d locals", ErrTooLarge, maxLocals)
		}
		if _, err := readOneValType(r); err != nil {
			return nil, err
		}
	}
	body := &Body{Raw: b, CodeStart: r.off, LocalCount: uint32(total), localGroups: uint32(groups), declStart: declStart}
	// An instruction takes at least one byte: a cheap capacity bound.
	body.Instrs = make([]Instr, 0, min(r.len(), 1<<16))
	depth := 0
	for {
		if r.len() == 0 {
			return nil, r.errf("function body without final end")
		}
		start := r.off
		op, sub, err := readInstr(r)
		if err != nil {
			return nil, err
		}
		body.Instrs = append(body.Instrs, Instr{Op: op, Sub: sub, Start: start, End: r.off})
		switch op {
		case opBlock, opLoop, opIf:
			depth++
		case opEnd:
			depth--
		}
		if depth < 0 {
			break
		}
	}
	if r.len() != 0 {
		return nil, r.errf("%d bytes after the final end of a function body", r.len())
	}
	return body, nil
}

// readInstr reads one instruction with its immediates.
func readInstr(r *reader) (op byte, sub uint32, err error) {
	if op, err = r.u8(); err != nil {
		return 0, 0, err
	}
	switch {
	case op == 0x00 || op == 0x01 || op == opElse || op == opEnd || op == opReturn ||
		op == 0x1A || op == 0x1B:
		// unreachable, nop, else, end, return, drop, select
		return op, 0, nil
	case op == opBlock || op == opLoop || op == opIf:
		return op, 0, readBlockType(r)
	case op == opBr || op == opBrIf || op == opCall ||
		(op >= 0x20 && op <= 0x24): // local.get/set/tee, global.get/set
		_, err = r.u32()
		return op, 0, err
	case op == opBrTable:
		n, err := r.count("branch targets", maxVector, 1)
		if err != nil {
			return 0, 0, err
		}
		for i := 0; i <= n; i++ { // n targets and the default
			if _, err := r.u32(); err != nil {
				return 0, 0, err
			}
		}
		return op, 0, nil
	case op == opCallIndirect:
		if _, err = r.u32(); err != nil { // type index
			return 0, 0, err
		}
		t, err := r.u8()
		if err != nil {
			return 0, 0, err
		}
		if t != 0 {
			return 0, 0, fmt.Errorf("%w: call_indirect on table %d", ErrUnsupported, t)
		}
		return op, 0, nil
	case op >= 0x28 && op <= 0x3E: // loads and stores: memarg
		if _, err = r.u32(); err != nil {
			return 0, 0, err
		}
		_, err = r.u32()
		return op, 0, err
	case op == 0x3F || op == opMemoryGrow: // memory.size, memory.grow
		return op, 0, readZeroByte(r)
	case op == 0x41:
		_, err = r.sleb(32)
		return op, 0, err
	case op == opI64Const:
		_, err = r.sleb(64)
		return op, 0, err
	case op == 0x43:
		_, err = r.bytes(4)
		return op, 0, err
	case op == 0x44:
		_, err = r.bytes(8)
		return op, 0, err
	case op >= 0x45 && op <= 0xC4:
		// Numeric operators (MVP 0x45-0xBF) and sign extension (0xC0-0xC4).
		return op, 0, nil
	case op == opPrefixFC:
		return readPrefixFC(r)
	}
	return 0, 0, fmt.Errorf("%w: opcode 0x%02x", ErrUnsupported, op)
}

func readZeroByte(r *reader) error {
	c, err := r.u8()
	if err != nil {
		return err
	}
	if c != 0 {
		return fmt.Errorf("%w: memory index %d", ErrUnsupported, c)
	}
	return nil
}

// readBlockType accepts the empty type and single value types; type-index
// block types (multi-value) are rejected.
func readBlockType(r *reader) error {
	c, err := r.u8()
	if err != nil {
		return err
	}
	switch c {
	case 0x40, I32, I64, F32, F64:
		return nil
	}
	return fmt.Errorf("%w: block type 0x%02x", ErrUnsupported, c)
}

// readPrefixFC reads the saturating truncations (0-7) and the bulk-memory
// operators (8-14).
func readPrefixFC(r *reader) (byte, uint32, error) {
	sub, err := r.u32()
	if err != nil {
		return 0, 0, err
	}
	switch {
	case sub <= 7: // trunc_sat
		return opPrefixFC, sub, nil
	case sub == 8: // memory.init dataidx 0x00
		if _, err = r.u32(); err != nil {
			return 0, 0, err
		}
		err = readZeroByte(r)
	case sub == 9, sub == 13: // data.drop, elem.drop
		_, err = r.u32()
	case sub == 10: // memory.copy 0x00 0x00
		if err = readZeroByte(r); err == nil {
			err = readZeroByte(r)
		}
	case sub == 11: // memory.fill 0x00
		err = readZeroByte(r)
	case sub == 12, sub == 14: // table.init elemidx tableidx, table.copy dst src
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
	default:
		return 0, 0, fmt.Errorf("%w: opcode 0xFC %d", ErrUnsupported, sub)
	}
	return opPrefixFC, sub, err
}
