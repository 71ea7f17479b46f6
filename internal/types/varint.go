package types

import "fmt"

// Massa's integers on the wire are unsigned LEB128 as produced by the Rust
// crate unsigned-varint 0.8: at most 10 bytes for u64 (5 for u32, 3 for u16),
// and a multi-byte encoding whose last byte is 0x00 is refused as non-minimal.
// encoding/binary.Uvarint accepts those, which would let two encodings of one
// operation hash to two ids, so we decode by hand.

// AppendUvarint appends the LEB128 encoding of v.
func AppendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// UvarintLen is the encoded length of v.
func UvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// maxVarintLen gives the maximum byte length for a value of the given bit width.
func maxVarintLen(bits int) int { return (bits + 6) / 7 }

// readUvarint decodes a varint of at most bits bits from b and returns the
// value and the number of bytes read. Bits that do not fit in the last
// allowed byte are dropped, as unsigned-varint does.
func readUvarint(b []byte, bits int) (uint64, int, error) {
	v, n, _, err := readUvarintLossy(b, bits)
	return v, n, err
}

// readUvarintLossy is readUvarint that also reports whether bits were
// dropped from the last allowed byte. Such an encoding is accepted (Massa
// accepts it, and ids are hashed over the received bytes) but re-encoding the
// value gives different, shorter bytes.
func readUvarintLossy(b []byte, bits int) (v uint64, n int, lossy bool, err error) {
	maxLen := maxVarintLen(bits)
	for i := 0; i < len(b); i++ {
		if i >= maxLen {
			return 0, 0, false, ErrVarintOverflow
		}
		c := b[i]
		v |= uint64(c&0x7f) << (7 * uint(i))
		if i == maxLen-1 {
			// The last allowed byte carries bits-7*(maxLen-1) useful bits.
			if uint64(c&0x7f)>>uint(bits-7*i) != 0 {
				lossy = true
			}
		}
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, 0, false, ErrVarintNotMinimal
			}
			if bits < 64 {
				v &= (uint64(1) << uint(bits)) - 1
			}
			return v, i + 1, lossy, nil
		}
	}
	return 0, 0, false, ErrTruncated
}

// Reader decodes Massa binary forms from a byte slice. The first error
// sticks: later reads return zero values, so decoders can read a whole
// structure and check Err once, with the failing field named.
type Reader struct {
	buf  []byte
	off  int
	err  error
	path string

	// nonCanonical records that the input was accepted although
	// re-encoding the decoded value gives other bytes: a varint whose last
	// byte had bits dropped, or an operation datastore not in key order.
	// Fuzz tests use it to know when byte-exact round trips are expected.
	nonCanonical bool
}

// NewReader starts reading b; what names the object in error messages.
func NewReader(b []byte, what string) *Reader { return &Reader{buf: b, path: what} }

// Err returns the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int { return r.off }

// Remaining is the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Rest returns the unread bytes without consuming them.
func (r *Reader) Rest() []byte { return r.buf[r.off:] }

// Fail records err for field unless an error is already recorded.
func (r *Reader) Fail(field string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s: %w", r.path, field, err)
	}
}

// Failf records a formatted error wrapping err for field.
func (r *Reader) Failf(field string, err error, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s: %s: %w", r.path, field, fmt.Sprintf(format, args...), err)
	}
}

func (r *Reader) uvarint(field string, bits int) uint64 { return r.uvarintSuffix(field, "", bits) }

// The *Suffix readers name the field field+suffix, building that string
// only on failure: decoding a block reads thousands of ids, and eager
// concatenation cost one allocation each.

func (r *Reader) uvarintSuffix(field, suffix string, bits int) uint64 {
	if r.err != nil {
		return 0
	}
	v, n, lossy, err := readUvarintLossy(r.buf[r.off:], bits)
	if err != nil {
		r.Fail(field+suffix, err)
		return 0
	}
	if lossy {
		r.nonCanonical = true
	}
	r.off += n
	return v
}

// U64 reads a u64 varint.
func (r *Reader) U64(field string) uint64 { return r.uvarint(field, 64) }

// U32 reads a u32 varint.
func (r *Reader) U32(field string) uint32 { return uint32(r.uvarint(field, 32)) }

// U16 reads a u16 varint.
func (r *Reader) U16(field string) uint16 { return uint16(r.uvarint(field, 16)) }

// U64Max reads a u64 varint and checks v <= max.
func (r *Reader) U64Max(field string, max uint64) uint64 { return r.u64MaxSuffix(field, "", max) }

func (r *Reader) u64MaxSuffix(field, suffix string, max uint64) uint64 {
	v := r.uvarintSuffix(field, suffix, 64)
	if r.err == nil && v > max {
		r.Failf(field+suffix, ErrTooLarge, "%d > %d", v, max)
		return 0
	}
	return v
}

// U32Max reads a u32 varint and checks v <= max.
func (r *Reader) U32Max(field string, max uint32) uint32 {
	v := r.U32(field)
	if r.err == nil && v > max {
		r.Failf(field, ErrTooLarge, "%d > %d", v, max)
		return 0
	}
	return v
}

// Byte reads one raw byte.
func (r *Reader) Byte(field string) byte { return r.byteSuffix(field, "") }

func (r *Reader) byteSuffix(field, suffix string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.buf) {
		r.Fail(field+suffix, ErrTruncated)
		return 0
	}
	c := r.buf[r.off]
	r.off++
	return c
}

// Fixed reads n raw bytes; the result aliases the input.
func (r *Reader) Fixed(field string, n int) []byte { return r.fixedSuffix(field, "", n) }

func (r *Reader) fixedSuffix(field, suffix string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.Remaining() < n {
		r.Fail(field+suffix, ErrTruncated)
		return nil
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

// Bytes reads a u64-varint length (checked against max before anything is
// allocated) and then that many bytes, copied.
func (r *Reader) Bytes(field string, max uint64) []byte {
	n := r.u64MaxSuffix(field, " length", max)
	if r.err != nil {
		return nil
	}
	if uint64(r.Remaining()) < n {
		r.Fail(field, ErrTruncated)
		return nil
	}
	b := make([]byte, n)
	copy(b, r.buf[r.off:r.off+int(n)])
	r.off += int(n)
	return b
}

// Done fails with ErrTrailingBytes when unread bytes remain.
func (r *Reader) Done() error {
	if r.err == nil && r.off != len(r.buf) {
		r.err = fmt.Errorf("%s: %d %w", r.path, len(r.buf)-r.off, ErrTrailingBytes)
	}
	return r.err
}

// AppendBytes appends a u64-varint length and b.
func AppendBytes(dst, b []byte) []byte {
	dst = AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}
