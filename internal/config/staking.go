package config

import (
	"fmt"
	"strings"

	"github.com/gomassa/gomassa/internal/types"
)

// defaultAutoCompoundReserve is the MAS auto-compounding leaves on an
// address by default: enough for a few operations' fees.
const defaultAutoCompoundReserve = "10"

// AutoCompoundAll is the value of [staking] auto_compound that selects
// every staking address of the node.
const AutoCompoundAll = "all"

// maxAutoCompound bounds the [staking] auto_compound list.
const maxAutoCompound = 1024

// AddressList is a list of addresses in config.toml: an array of strings,
// or one string, read as a one-element list (auto_compound = "all").
type AddressList []string

// UnmarshalText reads a lone string as a one-element list.
func (l *AddressList) UnmarshalText(b []byte) error {
	*l = AddressList{string(b)}
	return nil
}

// AutoCompoundTargets reads [staking] auto_compound: all is true for
// "all", else addrs are the listed addresses. Validate has checked them.
func (s *StakingConfig) AutoCompoundTargets() (all bool, addrs []types.Address, err error) {
	for _, e := range s.AutoCompound {
		if strings.EqualFold(strings.TrimSpace(e), AutoCompoundAll) {
			all = true
			continue
		}
		a, err := types.ParseAddress(strings.TrimSpace(e))
		if err != nil {
			return false, nil, errorf("[staking] auto_compound: %q: %v: %w", clip(e), err, ErrInvalid)
		}
		addrs = append(addrs, a)
	}
	return all, addrs, nil
}

// staking checks [staking]: auto_compound holds addresses or "all", and
// the roll buys it sends pay at least the pool's minimal fee (the node's
// own pool would refuse them otherwise).
func (v *validator) staking(c *Config) {
	s := &c.Staking
	if len(s.AutoCompound) > maxAutoCompound {
		v.add("[staking] auto_compound", fmt.Sprintf("%d addresses", len(s.AutoCompound)), fmt.Sprintf("at most %d", maxAutoCompound))
		return
	}
	if _, _, err := s.AutoCompoundTargets(); err != nil {
		v.errs = append(v.errs, fmt.Errorf("%w (give staking addresses \"AU…\" or \"all\")", err))
	}
	if len(s.AutoCompound) > 0 && s.AutoCompoundFee.Amount < c.Pool.MinimalFees.Amount {
		v.add("[staking] auto_compound_fee", s.AutoCompoundFee.String(),
			fmt.Sprintf("is lower than [pool] minimal_fees %s: the node's pool would refuse its roll buys", c.Pool.MinimalFees.String()))
	}
}
