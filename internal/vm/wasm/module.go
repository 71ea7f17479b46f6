package wasm

import (
	"bytes"
	"fmt"
)

// Section ids of the binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionRank orders the non-custom sections as the format requires
// (data count sits between element and code).
var sectionRank = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 6, secExport: 7, secStart: 8, secElement: 9, secDataCount: 10,
	secCode: 11, secData: 12,
}

// Value types.
const (
	I32 byte = 0x7F
	I64 byte = 0x7E
	F32 byte = 0x7D
	F64 byte = 0x7C
)

// Bounds of the parser, far above what a contract needs (Massa's runtime
// caps functions at 512 and bytecode at 10 MB); they only keep allocations
// proportional to the input.
const (
	maxVector     = 100_000
	maxParams     = 1_000
	maxLocals     = 50_000
	maxMemories   = 1
	maxNameLength = 1 << 16
)

// Export kinds.
const (
	ExportFunc   byte = 0
	ExportTable  byte = 1
	ExportMemory byte = 2
	ExportGlobal byte = 3
)

// FuncType is a function signature.
type FuncType struct {
	Params  []byte
	Results []byte
}

// Import is a function import (the only kind accepted).
type Import struct {
	Module, Name string
	Type         uint32
}

// Export is one export entry.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Limits are memory limits in pages.
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// Module is a parsed module. Sections the package does not rewrite keep
// their raw bytes.
type Module struct {
	Types   []FuncType
	Imports []Import
	// Funcs holds the type index of each defined function.
	Funcs []uint32
	// Memory is the defined memory, if any.
	Memory *Limits
	// Globals is the number of defined globals; globalsRaw their entries.
	Globals    int
	globalsRaw []byte
	Exports    []Export
	// Start is the start function, if any.
	Start *uint32
	// Codes holds each defined function's body (locals and expression).
	Codes [][]byte

	// sections keeps the module's sections in order; the ones listed above
	// are re-encoded from the fields, the others written back as is.
	sections []section
}

type section struct {
	id   byte
	body []byte
}

var magic = []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}

// Parse decodes a module. It checks the structure this package relies on;
// full validation (types of instructions, indices) is left to the runtime
// that compiles the result.
func Parse(b []byte) (*Module, error) {
	if len(b) < len(magic) || !bytes.Equal(b[:4], magic[:4]) {
		return nil, fmt.Errorf("%w: no wasm magic", ErrMalformed)
	}
	if !bytes.Equal(b[4:8], magic[4:]) {
		return nil, fmt.Errorf("%w: wasm version %x, only 1 is supported", ErrUnsupported, b[4:8])
	}
	m := &Module{}
	r := &reader{b: b, off: len(magic)}
	lastRank := 0
	for r.len() > 0 {
		id, err := r.u8()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		if id != secCustom {
			if int(id) >= len(sectionRank) || sectionRank[id] == 0 {
				return nil, fmt.Errorf("%w: unknown section id %d", ErrMalformed, id)
			}
			if sectionRank[id] <= lastRank {
				return nil, fmt.Errorf("%w: section %d out of order or repeated", ErrMalformed, id)
			}
			lastRank = sectionRank[id]
		}
		if err := m.parseSection(id, body); err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		m.sections = append(m.sections, section{id: id, body: body})
	}
	if len(m.Funcs) != len(m.Codes) {
		return nil, fmt.Errorf("%w: %d functions but %d bodies", ErrMalformed, len(m.Funcs), len(m.Codes))
	}
	for _, t := range m.Funcs {
		if int(t) >= len(m.Types) {
			return nil, fmt.Errorf("%w: function type %d out of range", ErrMalformed, t)
		}
	}
	return m, nil
}

func (m *Module) parseSection(id byte, body []byte) error {
	r := &reader{b: body}
	var err error
	switch id {
	case secCustom:
		_, err = r.name()
		return err // the payload is opaque
	case secType:
		err = m.parseTypes(r)
	case secImport:
		err = m.parseImports(r)
	case secFunction:
		var n int
		if n, err = r.count("functions", maxVector, 1); err != nil {
			return err
		}
		m.Funcs = make([]uint32, n)
		for i := range m.Funcs {
			if m.Funcs[i], err = r.u32(); err != nil {
				return err
			}
		}
	case secMemory:
		err = m.parseMemory(r)
	case secGlobal:
		err = m.parseGlobals(r)
	case secExport:
		err = m.parseExports(r)
	case secStart:
		var s uint32
		if s, err = r.u32(); err != nil {
			return err
		}
		m.Start = &s
	case secCode:
		err = m.parseCodes(r)
	default:
		// Table, element, data, data count: kept raw, validated by the
		// runtime.
		return nil
	}
	if err != nil {
		return err
	}
	if r.len() != 0 {
		return r.errf("%d trailing bytes", r.len())
	}
	return nil
}

func readValTypes(r *reader, max int) ([]byte, error) {
	n, err := r.count("value types", max, 1)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	for i := range out {
		c, err := r.u8()
		if err != nil {
			return nil, err
		}
		switch c {
		case I32, I64, F32, F64:
		default:
			return nil, fmt.Errorf("%w: value type 0x%02x", ErrUnsupported, c)
		}
		out[i] = c
	}
	return out, nil
}

func (m *Module) parseTypes(r *reader) error {
	n, err := r.count("types", maxVector, 3)
	if err != nil {
		return err
	}
	m.Types = make([]FuncType, n)
	for i := range m.Types {
		form, err := r.u8()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return r.errf("type form 0x%02x", form)
		}
		if m.Types[i].Params, err = readValTypes(r, maxParams); err != nil {
			return err
		}
		if m.Types[i].Results, err = readValTypes(r, maxParams); err != nil {
			return err
		}
		if len(m.Types[i].Results) > 1 {
			return fmt.Errorf("%w: multi-value function results", ErrUnsupported)
		}
	}
	return nil
}

func (m *Module) parseImports(r *reader) error {
	n, err := r.count("imports", maxVector, 4)
	if err != nil {
		return err
	}
	m.Imports = make([]Import, 0, n)
	for range n {
		var im Import
		if im.Module, err = r.name(); err != nil {
			return err
		}
		if im.Name, err = r.name(); err != nil {
			return err
		}
		kind, err := r.u8()
		if err != nil {
			return err
		}
		if kind != ExportFunc {
			return fmt.Errorf("%w: import %s.%s of kind %d: only functions may be imported", ErrUnsupported, im.Module, im.Name, kind)
		}
		if im.Type, err = r.u32(); err != nil {
			return err
		}
		if int(im.Type) >= len(m.Types) {
			return fmt.Errorf("%w: import %s.%s has type %d out of range", ErrMalformed, im.Module, im.Name, im.Type)
		}
		m.Imports = append(m.Imports, im)
	}
	return nil
}

func (m *Module) parseMemory(r *reader) error {
	n, err := r.count("memories", maxMemories, 2)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	flag, err := r.u8()
	if err != nil {
		return err
	}
	var l Limits
	switch flag {
	case 0:
	case 1:
		l.HasMax = true
	default:
		return fmt.Errorf("%w: memory limits flag 0x%02x (shared or 64-bit memory)", ErrUnsupported, flag)
	}
	if l.Min, err = r.u32(); err != nil {
		return err
	}
	if l.HasMax {
		if l.Max, err = r.u32(); err != nil {
			return err
		}
		if l.Max < l.Min {
			return r.errf("memory max %d < min %d", l.Max, l.Min)
		}
	}
	m.Memory = &l
	return nil
}

// skipConstExpr skips an initializer expression up to its end opcode.
func skipConstExpr(r *reader) error {
	for {
		op, err := r.u8()
		if err != nil {
			return err
		}
		switch op {
		case 0x0B:
			return nil
		case 0x41:
			_, err = r.sleb(32)
		case 0x42:
			_, err = r.sleb(64)
		case 0x43:
			_, err = r.bytes(4)
		case 0x44:
			_, err = r.bytes(8)
		case 0x23:
			_, err = r.u32()
		default:
			return fmt.Errorf("%w: opcode 0x%02x in a constant expression", ErrUnsupported, op)
		}
		if err != nil {
			return err
		}
	}
}

func (m *Module) parseGlobals(r *reader) error {
	n, err := r.count("globals", maxVector, 3)
	if err != nil {
		return err
	}
	start := r.off
	for range n {
		if _, err := readOneValType(r); err != nil {
			return err
		}
		mut, err := r.u8()
		if err != nil {
			return err
		}
		if mut > 1 {
			return r.errf("global mutability 0x%02x", mut)
		}
		if err := skipConstExpr(r); err != nil {
			return err
		}
	}
	m.Globals = n
	m.globalsRaw = r.b[start:r.off]
	return nil
}

func readOneValType(r *reader) (byte, error) {
	c, err := r.u8()
	if err != nil {
		return 0, err
	}
	switch c {
	case I32, I64, F32, F64:
		return c, nil
	}
	return 0, fmt.Errorf("%w: value type 0x%02x", ErrUnsupported, c)
}

func (m *Module) parseExports(r *reader) error {
	n, err := r.count("exports", maxVector, 3)
	if err != nil {
		return err
	}
	m.Exports = make([]Export, 0, n)
	seen := make(map[string]bool, n)
	for range n {
		var e Export
		if e.Name, err = r.name(); err != nil {
			return err
		}
		if seen[e.Name] {
			return fmt.Errorf("%w: duplicate export %q", ErrMalformed, e.Name)
		}
		seen[e.Name] = true
		if e.Kind, err = r.u8(); err != nil {
			return err
		}
		if e.Kind > ExportGlobal {
			return r.errf("export kind %d", e.Kind)
		}
		if e.Index, err = r.u32(); err != nil {
			return err
		}
		m.Exports = append(m.Exports, e)
	}
	return nil
}

func (m *Module) parseCodes(r *reader) error {
	n, err := r.count("function bodies", maxVector, 2)
	if err != nil {
		return err
	}
	m.Codes = make([][]byte, n)
	for i := range m.Codes {
		size, err := r.u32()
		if err != nil {
			return err
		}
		if m.Codes[i], err = r.bytes(int(size)); err != nil {
			return err
		}
	}
	return nil
}

// ExportedFunc returns the function index exported under name.
func (m *Module) ExportedFunc(name string) (uint32, bool) {
	for _, e := range m.Exports {
		if e.Name == name && e.Kind == ExportFunc {
			return e.Index, true
		}
	}
	return 0, false
}

// Encode writes the module back: the parsed sections from the fields, the
// others as they were, in the format's order. A start section is written
// only when Start is set; global and export sections are added when the
// fields need them.
func (m *Module) Encode() []byte {
	size := len(magic)
	for _, s := range m.sections {
		size += 6 + len(s.body)
	}
	out := make([]byte, 0, size+64+len(m.Codes)*32)
	out = append(out, magic...)

	// Which sections must be written although the input had none.
	need := map[byte]bool{
		secGlobal: m.Globals > 0,
		secExport: len(m.Exports) > 0,
		secStart:  m.Start != nil,
		secMemory: m.Memory != nil,
	}
	written := make(map[byte]bool)
	emitMissingBefore := func(rank int) {
		for _, id := range []byte{secMemory, secGlobal, secExport, secStart} {
			if need[id] && !written[id] && sectionRank[id] < rank {
				out = m.appendSection(out, id, nil)
				written[id] = true
			}
		}
	}
	for _, s := range m.sections {
		if s.id != secCustom {
			emitMissingBefore(sectionRank[s.id])
		}
		switch s.id {
		case secMemory, secGlobal, secExport, secStart:
			if !need[s.id] {
				continue
			}
			written[s.id] = true
		}
		out = m.appendSection(out, s.id, s.body)
	}
	emitMissingBefore(len(sectionRank) + 1)
	return out
}

// appendSection appends section id, re-encoding it from the fields when the
// package owns it, else writing raw.
func (m *Module) appendSection(dst []byte, id byte, raw []byte) []byte {
	var body []byte
	switch id {
	case secMemory:
		body = []byte{1}
		if m.Memory.HasMax {
			body = append(body, 1)
			body = appendU32(body, m.Memory.Min)
			body = appendU32(body, m.Memory.Max)
		} else {
			body = append(body, 0)
			body = appendU32(body, m.Memory.Min)
		}
	case secGlobal:
		body = appendU32(nil, uint32(m.Globals))
		body = append(body, m.globalsRaw...)
	case secExport:
		body = appendU32(nil, uint32(len(m.Exports)))
		for _, e := range m.Exports {
			body = appendName(body, e.Name)
			body = append(body, e.Kind)
			body = appendU32(body, e.Index)
		}
	case secStart:
		body = appendU32(nil, *m.Start)
	case secCode:
		n := 5
		for _, c := range m.Codes {
			n += 5 + len(c)
		}
		body = make([]byte, 0, n)
		body = appendU32(body, uint32(len(m.Codes)))
		for _, c := range m.Codes {
			body = appendU32(body, uint32(len(c)))
			body = append(body, c...)
		}
	default:
		body = raw
	}
	dst = append(dst, id)
	dst = appendU32(dst, uint32(len(body)))
	return append(dst, body...)
}

// addGlobal appends a defined global with the given type, mutability and
// i64/i32 constant initializer, returning its index.
func (m *Module) addGlobal(valType byte, mutable bool, init int64) uint32 {
	idx := uint32(m.Globals) // no imported globals: imports are functions only
	raw := append([]byte(nil), m.globalsRaw...)
	raw = append(raw, valType)
	if mutable {
		raw = append(raw, 1)
	} else {
		raw = append(raw, 0)
	}
	if valType == I64 {
		raw = append(raw, 0x42)
	} else {
		raw = append(raw, 0x41)
	}
	raw = appendS64(raw, init)
	raw = append(raw, 0x0B)
	m.globalsRaw = raw
	m.Globals++
	return idx
}

// hasExport reports whether name is exported.
func (m *Module) hasExport(name string) bool {
	for _, e := range m.Exports {
		if e.Name == name {
			return true
		}
	}
	return false
}

// FuncType returns the type of function index fn (imports first).
func (m *Module) FuncType(fn uint32) (FuncType, bool) {
	if int(fn) < len(m.Imports) {
		return m.Types[m.Imports[fn].Type], true
	}
	i := int(fn) - len(m.Imports)
	if i >= len(m.Funcs) {
		return FuncType{}, false
	}
	return m.Types[m.Funcs[i]], true
}
