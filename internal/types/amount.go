package types

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Amount is a quantity of MAS in nanoMAS (9 decimals), as Massa stores it:
// a u64, never negative.
type Amount uint64

// Decimals of an Amount and the raw units of one MAS.
const (
	AmountDecimals        = 9
	OneMAS         Amount = 1_000_000_000
	MaxAmount      Amount = ^Amount(0)
)

// Add returns a+b or ErrAmountOverflow.
func (a Amount) Add(b Amount) (Amount, error) {
	s, carry := bits.Add64(uint64(a), uint64(b), 0)
	if carry != 0 {
		return 0, ErrAmountOverflow
	}
	return Amount(s), nil
}

// Sub returns a-b or ErrAmountUnderflow.
func (a Amount) Sub(b Amount) (Amount, error) {
	if b > a {
		return 0, ErrAmountUnderflow
	}
	return a - b, nil
}

// SaturatingSub returns max(a-b, 0).
func (a Amount) SaturatingSub(b Amount) Amount {
	if b > a {
		return 0
	}
	return a - b
}

// SaturatingAdd returns min(a+b, MaxAmount).
func (a Amount) SaturatingAdd(b Amount) Amount {
	s, carry := bits.Add64(uint64(a), uint64(b), 0)
	if carry != 0 {
		return MaxAmount
	}
	return Amount(s)
}

// MulU64 returns a*n or ErrAmountOverflow.
func (a Amount) MulU64(n uint64) (Amount, error) {
	hi, lo := bits.Mul64(uint64(a), n)
	if hi != 0 {
		return 0, ErrAmountOverflow
	}
	return Amount(lo), nil
}

// DivRemU64 returns a/n and a%n; n must not be zero.
func (a Amount) DivRemU64(n uint64) (Amount, Amount) {
	return Amount(uint64(a) / n), Amount(uint64(a) % n)
}

// String prints the decimal value in MAS with no trailing zeros, as
// rust_decimal prints it: "0", "1", "1.5", "0.001", "0.40001".
func (a Amount) String() string {
	whole := uint64(a) / uint64(OneMAS)
	frac := uint64(a) % uint64(OneMAS)
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	f := fmt.Sprintf("%09d", frac)
	f = strings.TrimRight(f, "0")
	return strconv.FormatUint(whole, 10) + "." + f
}

// ParseAmount parses a decimal MAS string: digits, an optional dot and at
// most 9 fractional digits. Negative numbers, exponents and overflow are
// refused. Trailing fractional zeros are accepted.
func ParseAmount(s string) (Amount, error) {
	if len(s) == 0 || len(s) > 40 {
		return 0, fmt.Errorf("amount %q: %w", s, ErrBadEncoding)
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || fracPart == "") {
		return 0, fmt.Errorf("amount %q: %w", s, ErrBadEncoding)
	}
	for _, c := range intPart + fracPart {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("amount %q: not a non-negative decimal number: %w", s, ErrBadEncoding)
		}
	}
	fracPart = strings.TrimRight(fracPart, "0")
	if len(fracPart) > AmountDecimals {
		return 0, fmt.Errorf("amount %q: more than %d decimals: %w", s, AmountDecimals, ErrBadEncoding)
	}
	var whole uint64
	if intPart != "" {
		intPart = strings.TrimLeft(intPart, "0")
		if intPart == "" {
			intPart = "0"
		}
		w, err := strconv.ParseUint(intPart, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", s, ErrAmountOverflow)
		}
		whole = w
	}
	var frac uint64
	if fracPart != "" {
		f, _ := strconv.ParseUint(fracPart+strings.Repeat("0", AmountDecimals-len(fracPart)), 10, 64)
		frac = f
	}
	hi, lo := bits.Mul64(whole, uint64(OneMAS))
	if hi != 0 {
		return 0, fmt.Errorf("amount %q: %w", s, ErrAmountOverflow)
	}
	sum, carry := bits.Add64(lo, frac, 0)
	if carry != 0 {
		return 0, fmt.Errorf("amount %q: %w", s, ErrAmountOverflow)
	}
	return Amount(sum), nil
}

// MustAmount parses a constant amount; for literals in code only.
func MustAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// AppendBinary appends the u64 varint of the raw value.
func (a Amount) AppendBinary(dst []byte) []byte { return AppendUvarint(dst, uint64(a)) }

// Amount reads an Amount varint.
func (r *Reader) Amount(field string) Amount { return Amount(r.U64(field)) }

// MarshalJSON writes the decimal string.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts only a JSON string, as Massa does.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("amount must be a decimal string like \"1.5\": %w", ErrBadEncoding)
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}
