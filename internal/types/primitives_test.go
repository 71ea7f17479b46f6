package types

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
)

func TestUvarintTable(t *testing.T) {
	cases := []struct {
		name  string
		in    []byte
		bits  int
		want  uint64
		n     int
		err   error
		lossy bool
	}{
		{"zero", []byte{0x00}, 64, 0, 1, nil, false},
		{"one byte max", []byte{0x7f}, 64, 127, 1, nil, false},
		{"two bytes", []byte{0x80, 0x01}, 64, 128, 2, nil, false},
		{"0.001 MAS", []byte{0xc0, 0x84, 0x3d}, 64, 1_000_000, 3, nil, false},
		{"non-minimal zero", []byte{0x80, 0x00}, 64, 0, 0, ErrVarintNotMinimal, false},
		{"non-minimal 1", []byte{0x81, 0x00}, 64, 0, 0, ErrVarintNotMinimal, false},
		{"non-minimal u32", []byte{0xff, 0x80, 0x00}, 32, 0, 0, ErrVarintNotMinimal, false},
		{"truncated", []byte{0x80}, 64, 0, 0, ErrTruncated, false},
		{"empty", nil, 64, 0, 0, ErrTruncated, false},
		{"u64 max 10 bytes", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 64, ^uint64(0), 10, nil, false},
		{"u64 11 bytes", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01}, 64, 0, 0, ErrVarintOverflow, false},
		{"u64 10th byte drops bits", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 64, ^uint64(0), 10, nil, true},
		{"u32 max 5 bytes", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 32, 0xffff_ffff, 5, nil, false},
		{"u32 6 bytes", []byte{0xff, 0xff, 0xff, 0xff, 0x8f, 0x01}, 32, 0, 0, ErrVarintOverflow, false},
		{"u32 5th byte drops bits", []byte{0x80, 0x80, 0x80, 0x80, 0x10}, 32, 0, 5, nil, true},
		{"u16 max 3 bytes", []byte{0xff, 0xff, 0x03}, 16, 0xffff, 3, nil, false},
		{"u16 4 bytes", []byte{0xff, 0xff, 0x83, 0x01}, 16, 0, 0, ErrVarintOverflow, false},
		{"trailing data ignored", []byte{0x05, 0xff}, 64, 5, 1, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, n, lossy, err := readUvarintLossy(c.in, c.bits)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("err %v want %v", err, c.err)
			}
			if v != c.want || n != c.n || lossy != c.lossy {
				t.Fatalf("got %d,%d,%v want %d,%d,%v", v, n, lossy, c.want, c.n, c.lossy)
			}
		})
	}
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1 << 32, ^uint64(0)} {
		b := AppendUvarint(nil, v)
		if len(b) != UvarintLen(v) {
			t.Fatalf("len %d", v)
		}
		got, n, err := readUvarint(b, 64)
		if err != nil || got != v || n != len(b) {
			t.Fatalf("round trip %d: %d %d %v", v, got, n, err)
		}
	}
	// Reader wraps with the field name.
	r := NewReader([]byte{0x80, 0x00}, "operation")
	r.U64("fee")
	if err := r.Err(); err == nil || err.Error() != "operation: fee: varint is not minimal" {
		t.Fatalf("reader error %v", err)
	}
}

func TestAmountTable(t *testing.T) {
	ok := []struct {
		in   string
		raw  uint64
		text string
	}{
		{"0", 0, "0"},
		{"1", 1_000_000_000, "1"},
		{"1.5", 1_500_000_000, "1.5"},
		{"0.001", 1_000_000, "0.001"},
		{"0.40001", 400_010_000, "0.40001"},
		{"80.033003300", 80_033_003_300, "80.0330033"},
		{"3.1", 3_100_000_000, "3.1"},
		{"0.000000001", 1, "0.000000001"},
		{"18446744073.709551615", ^uint64(0), "18446744073.709551615"},
		{"007", 7_000_000_000, "7"},
	}
	for _, c := range ok {
		a, err := ParseAmount(c.in)
		if err != nil || uint64(a) != c.raw || a.String() != c.text {
			t.Errorf("%q: %d %q %v", c.in, uint64(a), a.String(), err)
		}
	}
	for _, in := range []string{"-1", "1e3", "0.0000000001", "18446744073.709551616", "99999999999", "", ".", "1.2.3", " 1", "1,5", "0x10", "NaN"} {
		if a, err := ParseAmount(in); err == nil {
			t.Errorf("%q accepted as %s", in, a)
		}
	}
	if _, err := ParseAmount("18446744074"); !errors.Is(err, ErrAmountOverflow) {
		t.Errorf("overflow error %v", err)
	}
	b, _ := json.Marshal(MustAmount("1.5"))
	if string(b) != `"1.5"` {
		t.Errorf("json %s", b)
	}
	var a Amount
	if err := json.Unmarshal([]byte(`1.5`), &a); err == nil {
		t.Error("json number accepted")
	}
}

func TestAddressThread(t *testing.T) {
	for first := 0; first < 256; first++ {
		a := Address{Hash: crypto.Hash{byte(first)}}
		if got := a.Thread(32); got != uint8(first>>3) {
			t.Fatalf("32 threads, first byte %d: %d", first, got)
		}
		if got := a.Thread(4); got != uint8(first>>6) {
			t.Fatalf("4 threads, first byte %d: %d", first, got)
		}
		if got := (Address{SC: true, Hash: a.Hash}).Thread(32); got != 0 {
			t.Fatalf("sc address thread %d", got)
		}
	}
	// Every thread is reached for 32 threads.
	seen := map[uint8]bool{}
	for i := 0; i < 32; i++ {
		seen[Address{Hash: crypto.Hash{byte(i << 3)}}.Thread(32)] = true
	}
	if len(seen) != 32 {
		t.Fatalf("threads reached: %d", len(seen))
	}
}

func TestAddressParseErrors(t *testing.T) {
	good := "AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx"
	for _, c := range []struct {
		in  string
		err error
	}{
		{"", ErrBadPrefix},
		{"AX" + good[2:], ErrBadPrefix},
		{"BU" + good[2:], ErrBadPrefix},
		{good[:len(good)-1] + "y", crypto.ErrBadChecksum},
		{"AU" + crypto.Base58CheckEncode(append([]byte{1}, make([]byte, 32)...)), ErrBadVersion},
		{"AU" + crypto.Base58CheckEncode(make([]byte, 34)), ErrBadEncoding},
	} {
		if _, err := ParseAddress(c.in); !errors.Is(err, c.err) {
			t.Errorf("%q: %v want %v", c.in, err, c.err)
		}
	}
	// Binary form: category must be 0 or 1, version 0.
	bad := append([]byte{2, 0}, make([]byte, 32)...)
	if _, err := AddressFromBytes(bad); !errors.Is(err, ErrBadEncoding) {
		t.Errorf("category 2: %v", err)
	}
	bad = append([]byte{0, 1}, make([]byte, 32)...)
	if _, err := AddressFromBytes(bad); !errors.Is(err, ErrBadVersion) {
		t.Errorf("version 1: %v", err)
	}
	if _, err := AddressFromBytes(append(make([]byte, 34), 0)); !errors.Is(err, ErrTrailingBytes) {
		t.Errorf("trailing: %v", err)
	}
	if !strings.HasPrefix(good, "AU1") {
		t.Fatal("vector")
	}
}
