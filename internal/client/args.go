package client

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Argument parsers. Each error names the argument (as the usage line does)
// and wraps ErrBadArgument. Ids, keys and addresses are accepted with or
// without a typed prefix (ADR-, OPE-, ...). Secret keys are never echoed.

func badArg(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrBadArgument, what, err)
}

// nth names the i-th argument of a list ("Address #2").
func nth(what string, i, n int) string {
	if n == 1 {
		return what
	}
	return fmt.Sprintf("%s #%d", what, i+1)
}

func argAddress(what, s string) (types.Address, error) {
	a, err := types.ParseAddressDisplay(s)
	if err != nil {
		return types.Address{}, badArg(what, err)
	}
	return a, nil
}

func argAddresses(what string, args []string) ([]types.Address, error) {
	out := make([]types.Address, len(args))
	for i, s := range args {
		a, err := argAddress(nth(what, i, len(args)), s)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func argAmount(what, s string) (types.Amount, error) {
	a, err := types.ParseAmount(s)
	if err != nil {
		return 0, badArg(what, fmt.Errorf("%v (an amount in MAS, e.g. 0.01)", err))
	}
	return a, nil
}

func argU64(what, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badArg(what, fmt.Errorf("%q is not a non-negative integer", s))
	}
	return v, nil
}

func argSecretKeys(args []string) ([]*crypto.SecretKey, error) {
	out := make([]*crypto.SecretKey, len(args))
	for i, s := range args {
		k, err := types.ParseSecretKeyDisplay(s)
		if err != nil {
			return nil, badArg(nth("SecretKey", i, len(args)), secretKeyProblem(err))
		}
		out[i] = k
	}
	return out, nil
}

func argIPs(args []string) ([]string, error) {
	out := make([]string, len(args))
	for i, s := range args {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, badArg(nth("IpAddr", i, len(args)), fmt.Errorf("%q is not an IP address", s))
		}
		out[i] = ip.String()
	}
	return out, nil
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// secretKeyProblem reduces a secret-key parse error to its cause, because
// some parse errors quote the input and a secret must never be printed.
func secretKeyProblem(err error) error {
	for _, cause := range []error{crypto.ErrBadChecksum, crypto.ErrBadBase58, crypto.ErrTooShort,
		crypto.ErrBadVersion, crypto.ErrTextTooLong, types.ErrBadPrefix, crypto.ErrBadPrefix} {
		if errors.Is(err, cause) {
			return fmt.Errorf("not a valid secret key (S… or PRI-S…): %w", cause)
		}
	}
	return errors.New("not a valid secret key (S… or PRI-S…)")
}
