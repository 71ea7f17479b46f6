package client

import (
	"context"
	"fmt"
	"strings"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// privateUnit calls a private method whose result is unit and reports msg.
func privateUnit(ctx context.Context, s *Session, method string, params []any, msg string) (*Result, error) {
	if err := s.call(ctx, private, method, params, nil); err != nil {
		return nil, err
	}
	return unit(msg), nil
}

func cmdNodeStartStaking(ctx context.Context, s *Session, args []string) (*Result, error) {
	addrs, err := argAddresses("Address", args)
	if err != nil {
		return nil, err
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(addrs))
	for i, a := range addrs {
		k, ok := w.Get(a)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotInWallet, s.display.Address(a))
		}
		keys[i] = k.String()
	}
	return privateUnit(ctx, s, "add_staking_secret_keys", []any{keys},
		fmt.Sprintf("The node now stakes with %d address(es). Check with node_get_staking_addresses.", len(keys)))
}

func cmdNodeStopStaking(ctx context.Context, s *Session, args []string) (*Result, error) {
	addrs, err := argAddresses("Address", args)
	if err != nil {
		return nil, err
	}
	return privateUnit(ctx, s, "remove_staking_addresses", []any{strs(addrs)}, "Staking addresses removed from the node.")
}

func cmdNodeAddStakingKeys(ctx context.Context, s *Session, args []string) (*Result, error) {
	keys, err := argSecretKeys(args)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(keys))
	for i, k := range keys {
		texts[i] = k.String()
	}
	return privateUnit(ctx, s, "add_staking_secret_keys", []any{texts}, "Staking keys added to the node.")
}

func cmdNodeGetStakingAddresses(ctx context.Context, s *Session, _ []string) (*Result, error) {
	return query(ctx, s, private, "get_staking_addresses", nil, func(p *Printer, addrs []types.Address) {
		if len(addrs) == 0 {
			p.Line("The node stakes with no address. Add one with node_start_staking <address>.")
			return
		}
		for _, a := range addrs {
			p.Line("%s", p.D.Address(a))
		}
	})
}

func cmdNodeStop(ctx context.Context, s *Session, _ []string) (*Result, error) {
	return privateUnit(ctx, s, "stop_node", nil, "The node is stopping.")
}

func cmdBanByID(ban bool) func(context.Context, *Session, []string) (*Result, error) {
	method, msg := "node_ban_by_id", "Peers banned."
	if !ban {
		method, msg = "node_unban_by_id", "Peers unbanned."
	}
	return func(ctx context.Context, s *Session, args []string) (*Result, error) {
		list := make([]string, len(args))
		for i, a := range args {
			pk, err := types.ParseNodeIDDisplay(a)
			if err != nil {
				return nil, badArg(nth("NodeId", i, len(args)), err)
			}
			list[i] = pk.NodeID()
		}
		return privateUnit(ctx, s, method, []any{list}, msg)
	}
}

func cmdBanByIP(ban bool) func(context.Context, *Session, []string) (*Result, error) {
	method, msg := "node_ban_by_ip", "IP addresses banned."
	if !ban {
		method, msg = "node_unban_by_ip", "IP addresses unbanned."
	}
	return func(ctx context.Context, s *Session, args []string) (*Result, error) {
		ips, err := argIPs(args)
		if err != nil {
			return nil, err
		}
		return privateUnit(ctx, s, method, []any{ips}, msg)
	}
}

// showList prints an IP list method's result.
func showList(ctx context.Context, s *Session, method, what string) (*Result, error) {
	return query(ctx, s, private, method, nil, func(p *Printer, ips []string) {
		if len(ips) == 0 {
			p.Line("The %s is empty.", what)
			return
		}
		for _, ip := range ips {
			p.Line("%s", ip)
		}
	})
}

// listEdit parses "(add|remove|allow-all) ip..." for the list commands.
func listEdit(name string, args []string, allowAll bool) (op string, ips []string, err error) {
	ops := "add or remove"
	if allowAll {
		ops = "add, remove or allow-all"
	}
	op = strings.ToLower(args[0])
	switch {
	case op == "add" || op == "remove":
		if len(args) < 2 {
			return "", nil, fmt.Errorf("%w: %s %s needs at least one IP address", ErrUsage, name, op)
		}
		ips, err = argIPs(args[1:])
		return op, ips, err
	case op == "allow-all" && allowAll:
		if len(args) > 1 {
			return "", nil, fmt.Errorf("%w: %s allow-all takes no IP address", ErrUsage, name)
		}
		return op, nil, nil
	}
	return "", nil, fmt.Errorf("%w: %s: %q is not an action; use %s", ErrUsage, name, args[0], ops)
}

func cmdPeersWhitelist(ctx context.Context, s *Session, args []string) (*Result, error) {
	if len(args) == 0 {
		return showList(ctx, s, "node_peers_whitelist", "peers whitelist")
	}
	op, ips, err := listEdit("node_peers_whitelist", args, false)
	if err != nil {
		return nil, err
	}
	if op == "add" {
		return privateUnit(ctx, s, "node_add_to_peers_whitelist", []any{ips}, "Added to the peers whitelist.")
	}
	return privateUnit(ctx, s, "node_remove_from_peers_whitelist", []any{ips}, "Removed from the peers whitelist.")
}

func cmdBootstrapList(white bool) func(context.Context, *Session, []string) (*Result, error) {
	list, name := "blacklist", "node_bootstrap_blacklist"
	if white {
		list, name = "whitelist", "node_bootstrap_whitelist"
	}
	return func(ctx context.Context, s *Session, args []string) (*Result, error) {
		if len(args) == 0 {
			return showList(ctx, s, name, "bootstrap "+list)
		}
		op, ips, err := listEdit(name, args, white)
		if err != nil {
			return nil, err
		}
		switch op {
		case "add":
			return privateUnit(ctx, s, "node_add_to_bootstrap_"+list, []any{ips}, "Added to the bootstrap "+list+".")
		case "remove":
			return privateUnit(ctx, s, "node_remove_from_bootstrap_"+list, []any{ips}, "Removed from the bootstrap "+list+".")
		}
		return privateUnit(ctx, s, "node_bootstrap_whitelist_allow_all", nil, "The bootstrap whitelist is removed: every node may bootstrap from this one.")
	}
}

func printPubkeySig(p *Printer, ps api.PubkeySig) {
	p.KVs(0, KV{"Public key", p.D.PublicKey(ps.PublicKey)}, KV{"Signature", p.D.Signature(ps.Signature)})
}

func cmdNodeSignMessage(ctx context.Context, s *Session, args []string) (*Result, error) {
	return query(ctx, s, private, "node_sign_message", []any{api.Bytes(args[0])}, printPubkeySig)
}

// cmdOwnershipProof proves, for the testnet rewards program, that the same
// person runs the node and owns a staking address: the node's key and the
// address's key each sign the Discord id, and the proof is Massa's
// "node_public_key/node_signature/address_public_key/address_signature".
func cmdOwnershipProof(ctx context.Context, s *Session, args []string) (*Result, error) {
	discord := args[len(args)-1]
	var addr types.Address
	if len(args) == 2 {
		a, err := argAddress("Address", args[0])
		if err != nil {
			return nil, err
		}
		addr = a
	}
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	if len(args) == 1 {
		addrs := w.Addresses()
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%w: generate one with wallet_generate_secret_key or add one with wallet_add_secret_keys", ErrEmptyWallet)
		}
		addr = addrs[0]
	}
	key, ok := w.Get(addr)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotInWallet, s.display.Address(addr))
	}
	msg := []byte(discord)
	var node api.PubkeySig
	if err := s.call(ctx, private, "node_sign_message", []any{api.Bytes(msg)}, &node); err != nil {
		return nil, err
	}
	staker := api.PubkeySig{PublicKey: key.Public(), Signature: key.Sign(crypto.HashOf(msg))}
	proof := fmt.Sprintf("%s/%s/%s/%s", node.PublicKey, node.Signature, staker.PublicKey, staker.Signature)
	return &Result{JSON: proof, Human: func(p *Printer) {
		p.KVs(0,
			KV{"Node public key", p.D.PublicKey(node.PublicKey)},
			KV{"Node signature", p.D.Signature(node.Signature)},
			KV{"Staking address", p.D.Address(addr)},
			KV{"Address public key", p.D.PublicKey(staker.PublicKey)},
			KV{"Address signature", p.D.Signature(staker.Signature)},
		)
		p.Line("")
		p.Line("Enter the following in Discord:")
		p.Line("%s", proof)
	}}, nil
}
