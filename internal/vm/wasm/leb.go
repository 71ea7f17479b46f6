package wasm

import (
	"fmt"
	"unicode/utf8"
)

// reader walks a byte slice with the wasm binary primitives. Every method
// checks bounds first and returns ErrMalformed on short or invalid input.
type reader struct {
	b   []byte
	off int
}

func (r *reader) len() int { return len(r.b) - r.off }

func (r *reader) errf(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
}

func (r *reader) u8() (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.errf("unexpected end")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.len() {
		return nil, r.errf("length %d beyond the %d bytes left", n, r.len())
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

// uleb reads an unsigned LEB128 of at most bits bits. The wasm format allows
// padded (non-minimal) encodings within ceil(bits/7) bytes; the unused bits
// of the last byte must be zero.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	maxBytes := int((bits + 6) / 7)
	for i := 0; ; i++ {
		if i >= maxBytes {
			return 0, r.errf("integer representation too long")
		}
		c, err := r.u8()
		if err != nil {
			return 0, err
		}
		shift := uint(7 * i)
		if i == maxBytes-1 {
			// Only bits-shift payload bits remain.
			if rest := bits - shift; rest < 7 && c>>rest != 0 {
				return 0, r.errf("integer too large")
			}
		}
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

// sleb reads a signed LEB128 of at most bits bits. In the last byte, the
// unused bits must all equal the sign bit.
func (r *reader) sleb(bits uint) (int64, error) {
	var v int64
	maxBytes := int((bits + 6) / 7)
	for i := 0; ; i++ {
		if i >= maxBytes {
			return 0, r.errf("integer representation too long")
		}
		c, err := r.u8()
		if err != nil {
			return 0, err
		}
		shift := uint(7 * i)
		if i == maxBytes-1 && c&0x80 == 0 {
			rest := bits - shift // payload bits left, sign included
			if rest < 7 {
				// Bits rest-1 .. 6 must all be copies of the sign bit.
				mask := byte(0x7F) &^ (byte(1)<<(rest-1) - 1)
				if hi := c & mask; hi != 0 && hi != mask {
					return 0, r.errf("integer too large")
				}
			}
		}
		v |= int64(c&0x7F) << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v, nil
		}
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// count reads a vector length and checks it against max and against the
// bytes left (each element takes at least minSize bytes), so that callers
// can allocate count elements safely.
func (r *reader) count(what string, max, minSize int) (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(max) {
		return 0, fmt.Errorf("%w: %d %s > %d", ErrTooLarge, n, what, max)
	}
	if int64(n)*int64(minSize) > int64(r.len()) {
		return 0, r.errf("%d %s cannot fit in %d bytes", n, what, r.len())
	}
	return int(n), nil
}

// name reads a UTF-8 name (vec of bytes).
func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", r.errf("name is not valid UTF-8")
	}
	return string(b), nil
}

// appendU32 appends the minimal unsigned LEB128 of v.
func appendU32(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v == 0 {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// appendS64 appends the minimal signed LEB128 of v.
func appendS64(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// appendName appends a vec of bytes.
func appendName(dst []byte, s string) []byte {
	dst = appendU32(dst, uint32(len(s)))
	return append(dst, s...)
}
