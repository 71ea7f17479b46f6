package node

import (
	"slices"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
)

// stakingKeys are the keys the node produces blocks and endorsements with:
// the encrypted staking wallet, editable through the private API while the
// node runs. (A sandbox registers its key there once, at first start, so
// that removing it is remembered across restarts.)
type stakingKeys struct {
	wallet *wallet.Wallet
	// volatile keys are held in memory only (AddVolatileStakingKeys, for
	// the network simulator); set before Run, read-only after.
	volatile map[types.Address]*crypto.SecretKey
}

func newStakingKeys(w *wallet.Wallet) *stakingKeys { return &stakingKeys{wallet: w} }

// Get returns the key of addr if the node stakes with it.
func (s *stakingKeys) Get(addr types.Address) (*crypto.SecretKey, bool) {
	if k, ok := s.wallet.Get(addr); ok {
		return k, true
	}
	k, ok := s.volatile[addr]
	return k, ok
}

// Addresses lists the staking addresses, sorted.
func (s *stakingKeys) Addresses() []types.Address {
	out := s.wallet.Addresses()
	if len(s.volatile) == 0 {
		return out
	}
	for a := range s.volatile {
		if _, ok := s.wallet.Get(a); !ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, types.Address.Compare)
	return out
}

// Add saves keys in the staking wallet.
func (s *stakingKeys) Add(keys []*crypto.SecretKey) error { return s.wallet.Add(keys...) }

// Remove drops addresses from the staking wallet; unknown ones are ignored.
func (s *stakingKeys) Remove(addrs []types.Address) error {
	var known []types.Address
	for _, a := range addrs {
		if _, ok := s.wallet.Get(a); ok {
			known = append(known, a)
		}
	}
	if len(known) == 0 {
		return nil
	}
	return s.wallet.Remove(known...)
}
