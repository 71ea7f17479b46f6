package client

import (
	"context"
	"fmt"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// walletEntry is one address of wallet_info's JSON, keyed by address as in
// Massa's client ({"AU…": {"address_info": {...}, ...}}). The key pair is
// present only with show-all-keys.
type walletEntry struct {
	AddressInfo *compactAddressInfo `json:"address_info"` // null when the node could not be asked
	PublicKey   crypto.PublicKey    `json:"public_key"`
	KeyPair     *crypto.SecretKey   `json:"keypair,omitempty"`
	ShowKeys    bool                `json:"show_keys"`
}

// compactAddressInfo is Massa's CompactAddressInfo plus the deferred credits.
type compactAddressInfo struct {
	Address          types.Address        `json:"address"`
	Thread           uint8                `json:"thread"`
	CandidateRolls   uint64               `json:"candidate_rolls"`
	FinalRolls       uint64               `json:"final_rolls"`
	ActiveRolls      uint64               `json:"active_rolls"`
	FinalBalance     types.Amount         `json:"final_balance"`
	CandidateBalance types.Amount         `json:"candidate_balance"`
	DeferredCredits  []api.DeferredCredit `json:"deferred_credits"`
	// CycleInfos are the production statistics per cycle (blocks produced
	// and missed, active rolls): more than 70 % missed in a cycle sells
	// every roll of the address. Not in Massa's CompactAddressInfo.
	CycleInfos []api.CycleInfo `json:"cycle_infos"`
}

func compact(a *api.AddressInfo) *compactAddressInfo {
	credits := a.DeferredCredits
	if credits == nil {
		credits = []api.DeferredCredit{}
	}
	return &compactAddressInfo{
		Address: a.Address, Thread: a.Thread,
		CandidateRolls: a.CandidateRollCount, FinalRolls: a.FinalRollCount, ActiveRolls: activeRolls(a),
		FinalBalance: a.FinalBalance, CandidateBalance: a.CandidateBalance,
		DeferredCredits: credits,
		CycleInfos:      nonNil(a.CycleInfos),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// productionText is wallet_info's line of block production in the latest
// cycle the node keeps.
func productionText(cycles []api.CycleInfo) string {
	if len(cycles) == 0 {
		return "unknown"
	}
	c := cycles[len(cycles)-1]
	return fmt.Sprintf("cycle %d: %d produced, %d missed (more than 70%% missed in a cycle sells every roll)", c.Cycle, c.OKCount, c.NOKCount)
}

func cmdWalletInfo(ctx context.Context, s *Session, args []string) (*Result, error) {
	showKeys := false
	if len(args) == 1 {
		if args[0] != "show-all-keys" {
			return nil, fmt.Errorf("%w: wallet_info takes no argument or show-all-keys, not %q", ErrUsage, args[0])
		}
		showKeys = true
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	addrs := w.Addresses()
	infos := make(map[types.Address]*api.AddressInfo)
	if len(addrs) > 0 {
		var list []api.AddressInfo
		if err := s.call(ctx, public, "get_addresses", []any{strs(addrs)}, &list); err != nil {
			s.warn("balances and rolls unavailable: %v", err)
		}
		for i := range list {
			infos[list[i].Address] = &list[i]
		}
	}
	if showKeys {
		s.warn("do not share your secret keys")
	}
	entries := make(map[string]walletEntry, len(addrs))
	for _, a := range addrs {
		k, _ := w.Get(a)
		e := walletEntry{PublicKey: k.Public(), ShowKeys: showKeys}
		if info := infos[a]; info != nil {
			e.AddressInfo = compact(info)
		}
		if showKeys {
			e.KeyPair = k
		}
		entries[a.String()] = e
	}
	return &Result{JSON: entries, Human: func(p *Printer) {
		if len(addrs) == 0 {
			p.Line("The wallet (%s) holds no key. Create one with wallet_generate_secret_key or add one with wallet_add_secret_keys.", w.Dir())
			return
		}
		for i, a := range addrs {
			if i > 0 {
				p.Line("")
			}
			e := entries[a.String()]
			info := infos[a]
			if info == nil {
				p.Line("Address %s", p.D.Address(a))
			} else {
				p.Line("Address %s (thread %d)", p.D.Address(a), info.Thread)
			}
			kvs := []KV{{"Public key", p.D.PublicKey(e.PublicKey)}}
			if showKeys {
				kvs = append(kvs, KV{"Secret key", p.D.SecretKey(e.KeyPair)})
			}
			if info == nil {
				kvs = append(kvs, KV{"Balance", "unknown (node not reachable or address unknown)"})
			} else {
				c := e.AddressInfo
				kvs = append(kvs,
					KV{"Balance", fmt.Sprintf("final %s, candidate %s", mas(c.FinalBalance), mas(c.CandidateBalance))},
					KV{"Rolls", fmt.Sprintf("active %d, final %d, candidate %d", c.ActiveRolls, c.FinalRolls, c.CandidateRolls)},
					KV{"Blocks", productionText(c.CycleInfos)},
					KV{"Deferred credits", deferredText(c.DeferredCredits)},
				)
			}
			p.KVs(2, kvs...)
		}
	}}, nil
}

// walletKeys returns the keys of addrs, or an error naming the first address
// the wallet does not hold.
func walletKeys(s *Session, args []string) ([]types.Address, []*crypto.SecretKey, error) {
	addrs, err := argAddresses("Address", args)
	if err != nil {
		return nil, nil, err
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, nil, err
	}
	keys := make([]*crypto.SecretKey, len(addrs))
	for i, a := range addrs {
		k, ok := w.Get(a)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %s", ErrNotInWallet, s.display.Address(a))
		}
		keys[i] = k
	}
	return addrs, keys, nil
}

func cmdWalletGetPublicKey(_ context.Context, s *Session, args []string) (*Result, error) {
	addrs, keys, err := walletKeys(s, args)
	if err != nil {
		return nil, err
	}
	pairs := make([][2]any, len(addrs))
	for i := range addrs {
		pairs[i] = [2]any{addrs[i], keys[i].Public()}
	}
	return &Result{JSON: pairs, Human: func(p *Printer) {
		kvs := make([]KV, len(addrs))
		for i := range addrs {
			kvs[i] = KV{p.D.Address(addrs[i]), p.D.PublicKey(keys[i].Public())}
		}
		p.KVs(0, kvs...)
	}}, nil
}

func cmdWalletGetSecretKey(_ context.Context, s *Session, args []string) (*Result, error) {
	addrs, keys, err := walletKeys(s, args)
	if err != nil {
		return nil, err
	}
	s.warn("do not share your secret keys")
	pairs := make([][2]any, len(addrs))
	for i := range addrs {
		pairs[i] = [2]any{addrs[i], keys[i]}
	}
	return &Result{JSON: pairs, Human: func(p *Printer) {
		kvs := make([]KV, len(addrs))
		for i := range addrs {
			kvs[i] = KV{p.D.Address(addrs[i]), p.D.SecretKey(keys[i])}
		}
		p.KVs(0, kvs...)
	}}, nil
}

func cmdWalletGenerate(_ context.Context, s *Session, _ []string) (*Result, error) {
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	k, err := crypto.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	if err := w.Add(k); err != nil {
		return nil, err
	}
	addr := types.AddressOf(k.Public())
	return &Result{JSON: addr, Human: func(p *Printer) {
		p.Line("Generated address %s and added it to the wallet.", p.D.Address(addr))
		p.Line("Type wallet_info to see it, and node_start_staking %s to stake with it.", addr)
	}}, nil
}

func cmdWalletAdd(_ context.Context, s *Session, args []string) (*Result, error) {
	keys, err := argSecretKeys(args)
	if err != nil {
		return nil, err
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	if err := w.Add(keys...); err != nil {
		return nil, err
	}
	addrs := make([]types.Address, len(keys))
	for i, k := range keys {
		addrs[i] = types.AddressOf(k.Public())
	}
	return &Result{JSON: addrs, Human: func(p *Printer) {
		for _, a := range addrs {
			p.Line("Added address %s to the wallet.", p.D.Address(a))
		}
		p.Line("Type node_start_staking <address> to stake with it.")
	}}, nil
}

func cmdWalletRemove(_ context.Context, s *Session, args []string) (*Result, error) {
	addrs, err := argAddresses("Address", args)
	if err != nil {
		return nil, err
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	if err := w.Remove(addrs...); err != nil {
		return nil, err
	}
	return unit(fmt.Sprintf("Removed %d address(es) and their keys from the wallet.", len(addrs))), nil
}

func cmdWalletSign(_ context.Context, s *Session, args []string) (*Result, error) {
	_, keys, err := walletKeys(s, args[:1])
	if err != nil {
		return nil, err
	}
	k := keys[0]
	sig := api.PubkeySig{PublicKey: k.Public(), Signature: k.Sign(crypto.HashOf([]byte(args[1])))}
	return &Result{JSON: sig, Human: func(p *Printer) { printPubkeySig(p, sig) }}, nil
}
