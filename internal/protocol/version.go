package protocol

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gomassa/gomassa/internal/types"
)

// Version is Massa's network version: a 4-letter network instance ("MAIN",
// "SAND", ...) and major and minor numbers. It travels in the handshake as
// the 4 ASCII letters, then major and minor as u32 varints.
type Version struct {
	Instance [4]byte
	Major    uint32
	Minor    uint32
}

// ParseVersion parses "SAND.5.0".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return Version{}, fmt.Errorf("version %q: want 4 letters, major and minor like \"MAIN.5.0\": %w", clip(s), ErrConfig)
	}
	var v Version
	for i := 0; i < 4; i++ {
		c := parts[0][i]
		if c < 'A' || c > 'Z' {
			return Version{}, fmt.Errorf("version %q: instance must be 4 uppercase ASCII letters: %w", clip(s), ErrConfig)
		}
		v.Instance[i] = c
	}
	major, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return Version{}, fmt.Errorf("version %q: major: %w", clip(s), ErrConfig)
	}
	minor, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil {
		return Version{}, fmt.Errorf("version %q: minor: %w", clip(s), ErrConfig)
	}
	v.Major, v.Minor = uint32(major), uint32(minor)
	return v, nil
}

// String returns "SAND.5.0".
func (v Version) String() string {
	return fmt.Sprintf("%s.%d.%d", v.Instance[:], v.Major, v.Minor)
}

// Compatible reports whether two nodes can talk: same network instance and
// same major version. (Massa also pairs majors 2 and 3, a transition no
// gomassa node ever ran, so it is left out.)
func (v Version) Compatible(o Version) bool {
	return v.Instance == o.Instance && v.Major == o.Major
}

// AppendBinary appends the wire form.
func (v Version) AppendBinary(dst []byte) []byte {
	dst = append(dst, v.Instance[:]...)
	dst = types.AppendUvarint(dst, uint64(v.Major))
	return types.AppendUvarint(dst, uint64(v.Minor))
}

// readVersion reads the wire form; the instance must be 4 uppercase ASCII
// letters, as Massa's deserializer requires.
func readVersion(r *types.Reader, field string) Version {
	var v Version
	b := r.Fixed(field+" instance", 4)
	if r.Err() != nil {
		return v
	}
	for i, c := range b {
		if c < 'A' || c > 'Z' {
			r.Failf(field+" instance", types.ErrBadEncoding, "byte 0x%02x is not an uppercase letter", c)
			return v
		}
		v.Instance[i] = c
	}
	v.Major = r.U32(field + " major")
	v.Minor = r.U32(field + " minor")
	return v
}
