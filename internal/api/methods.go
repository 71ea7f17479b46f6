package api

import (
	"context"
	"fmt"
	"net"
	"sort"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// PublicBackend is what the public API reads from the node.
type PublicBackend interface {
	Status(ctx context.Context) (NodeStatus, error)
	Addresses(ctx context.Context, addrs []types.Address) ([]AddressInfo, error)
	Operations(ctx context.Context, ids []types.OperationID) ([]OperationInfo, error)
	Endorsements(ctx context.Context, ids []types.EndorsementID) ([]EndorsementInfo, error)
	Blocks(ctx context.Context, ids []types.BlockID) ([]BlockInfo, error)
	BlockcliqueBlockBySlot(ctx context.Context, slot types.Slot) (any, error)
	GraphInterval(ctx context.Context, start, end *uint64) ([]BlockSummary, error)
	Cliques(ctx context.Context) ([]Clique, error)
	Stakers(ctx context.Context, page *PageRequest) ([][2]any, error)
	DatastoreEntries(ctx context.Context, in []DatastoreEntryInput) ([]DatastoreEntryOutput, error)
	AddressesBytecode(ctx context.Context, in []AddressBytecodeInput) ([]Bytes, error)
	AddressesDatastoreKeys(ctx context.Context, in []DatastoreKeysInput) ([]DatastoreKeysOutput, error)
	// SendOperations receives decoded operations whose signatures are not
	// yet verified; it verifies, checks and pools them, all or nothing.
	SendOperations(ctx context.Context, ops []*types.SignedOperation) ([]types.OperationID, error)
	FilteredEvents(ctx context.Context, f EventFilter) ([]SCOutputEvent, error)
	ExecuteReadOnlyBytecode(ctx context.Context, in []ReadOnlyBytecodeInput) ([]ReadOnlyResult, error)
	ExecuteReadOnlyCall(ctx context.Context, in []ReadOnlyCallInput) ([]ReadOnlyResult, error)
	ChainID() uint64
}

// PrivateBackend is what the private API asks of the node.
type PrivateBackend interface {
	Stop(ctx context.Context) error
	SignMessage(ctx context.Context, msg []byte) (PubkeySig, error)
	AddStakingKeys(ctx context.Context, keys []*crypto.SecretKey) error
	RemoveStakingAddresses(ctx context.Context, addrs []types.Address) error
	StakingAddresses(ctx context.Context) ([]types.Address, error)
	BanByID(ctx context.Context, ids []crypto.PublicKey, ban bool) error
	BanByIP(ctx context.Context, ips []net.IP, ban bool) error
	PeersWhitelist(ctx context.Context) ([]string, error)
	EditPeersWhitelist(ctx context.Context, ips []net.IP, add bool) error
	BootstrapList(ctx context.Context, white bool) ([]string, error)
	EditBootstrapList(ctx context.Context, white bool, ips []net.IP, add bool) error
	BootstrapWhitelistAllowAll(ctx context.Context) error
}

// StakingWarningsBackend is implemented by a private backend that keeps
// the staking warnings of get_staking_warnings (optional: the method is
// registered only for backends that have it).
type StakingWarningsBackend interface {
	StakingWarnings(ctx context.Context) ([]StakingWarning, error)
}

// decodeOps decodes the operations of send_operations for chainID. It
// checks the encodings only; signatures are verified by the backend (an
// operation signed for another chain fails there, and the message says
// which chain id the node expects).
func decodeOps(in []OperationInput, chainID uint64) ([]*types.SignedOperation, error) {
	out := make([]*types.SignedOperation, 0, len(in))
	for i, o := range in {
		pub, err := crypto.ParsePublicKey(o.CreatorPublicKey)
		if err != nil {
			return nil, BadRequest("operation %d: creator_public_key: %v", i, err)
		}
		sig, err := crypto.ParseSignature(o.Signature)
		if err != nil {
			return nil, BadRequest("operation %d: signature: %v", i, err)
		}
		op, err := types.NewSignedOperation(o.SerializedContent, pub, sig, chainID)
		if err != nil {
			return nil, BadRequest("operation %d: serialized_content: %v", i, err)
		}
		out = append(out, op)
	}
	return out, nil
}

// operations is Require(0, name, &[]OperationInput) with a fast path for
// the usual shape of send_operations (see decodeOperationsFast): large
// batches of operations are the API's heaviest input.
func (p Params) operations(name string) ([]OperationInput, error) {
	if len(p.positional) > 0 {
		if in, ok := decodeOperationsFast(p.positional[0]); ok {
			if err := p.checkCount(name, len(in)); err != nil {
				return nil, err
			}
			return in, nil
		}
	}
	var in []OperationInput
	if err := p.Require(0, name, &in); err != nil {
		return nil, err
	}
	return in, nil
}

func parseList[T any](p Params, name string, parse func(string) (T, error)) ([]T, error) {
	var raw []string
	if err := p.Require(0, name, &raw); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(raw))
	for i, s := range raw {
		v, err := parse(s)
		if err != nil {
			return nil, Errorf(CodeInvalidParams, "Invalid params: %s[%d]: %v", name, i, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseIP(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("%q is not an IP address", s)
	}
	return ip, nil
}

var argName = []string{"arg"}

// RegisterPublic adds the public methods of spec §10.3.
func RegisterPublic(r *Registry, b PublicBackend) {
	r.Register(Public, "get_status", nil, func(ctx context.Context, _ Params) (any, error) { return b.Status(ctx) })
	r.Register(Public, "get_cliques", nil, func(ctx context.Context, _ Params) (any, error) { return b.Cliques(ctx) })
	r.Register(Public, "get_stakers", []string{"page_request"}, func(ctx context.Context, p Params) (any, error) {
		var page PageRequest
		ok, err := p.Decode(0, "page_request", &page)
		if err != nil {
			return nil, err
		}
		if !ok {
			return b.Stakers(ctx, nil)
		}
		return b.Stakers(ctx, &page)
	})
	r.Register(Public, "get_operations", argName, func(ctx context.Context, p Params) (any, error) {
		ids, err := parseList(p, "operation ids", types.ParseOperationID)
		if err != nil {
			return nil, err
		}
		return b.Operations(ctx, ids)
	})
	r.Register(Public, "get_endorsements", argName, func(ctx context.Context, p Params) (any, error) {
		ids, err := parseList(p, "endorsement ids", types.ParseEndorsementID)
		if err != nil {
			return nil, err
		}
		return b.Endorsements(ctx, ids)
	})
	r.Register(Public, "get_blocks", argName, func(ctx context.Context, p Params) (any, error) {
		ids, err := parseList(p, "block ids", types.ParseBlockID)
		if err != nil {
			return nil, err
		}
		return b.Blocks(ctx, ids)
	})
	r.Register(Public, "get_blockclique_block_by_slot", argName, func(ctx context.Context, p Params) (any, error) {
		var s types.Slot
		if err := p.Require(0, "slot", &s); err != nil {
			return nil, err
		}
		return b.BlockcliqueBlockBySlot(ctx, s)
	})
	r.Register(Public, "get_graph_interval", argName, func(ctx context.Context, p Params) (any, error) {
		var tr struct {
			Start *uint64 `json:"start"`
			End   *uint64 `json:"end"`
		}
		if _, err := p.Decode(0, "time interval", &tr); err != nil {
			return nil, err
		}
		return b.GraphInterval(ctx, tr.Start, tr.End)
	})
	r.Register(Public, "get_datastore_entries", argName, func(ctx context.Context, p Params) (any, error) {
		var in []DatastoreEntryInput
		if err := p.Require(0, "datastore entries", &in); err != nil {
			return nil, err
		}
		return b.DatastoreEntries(ctx, in)
	})
	r.Register(Public, "get_addresses", argName, func(ctx context.Context, p Params) (any, error) {
		addrs, err := parseList(p, "addresses", types.ParseAddress)
		if err != nil {
			return nil, err
		}
		return b.Addresses(ctx, addrs)
	})
	r.Register(Public, "get_addresses_bytecode", []string{"args"}, func(ctx context.Context, p Params) (any, error) {
		var in []AddressBytecodeInput
		if err := p.Require(0, "addresses", &in); err != nil {
			return nil, err
		}
		return b.AddressesBytecode(ctx, in)
	})
	r.Register(Public, "get_addresses_datastore_keys", argName, func(ctx context.Context, p Params) (any, error) {
		var in []DatastoreKeysInput
		if err := p.Require(0, "requests", &in); err != nil {
			return nil, err
		}
		if limit := p.Limits().MaxDatastoreKeysRequests; limit > 0 && len(in) > limit {
			return nil, BadRequest("too many requests: %d, the limit is %d ([api] max_addresses_datastore_keys_query)", len(in), limit)
		}
		return b.AddressesDatastoreKeys(ctx, in)
	})
	r.Register(Public, "send_operations", argName, func(ctx context.Context, p Params) (any, error) {
		in, err := p.operations("operations")
		if err != nil {
			return nil, err
		}
		ops, err := decodeOps(in, b.ChainID())
		if err != nil {
			return nil, err
		}
		return b.SendOperations(ctx, ops)
	})
	r.Register(Public, "get_filtered_sc_output_event", argName, func(ctx context.Context, p Params) (any, error) {
		var f EventFilter
		if _, err := p.Decode(0, "filter", &f); err != nil {
			return nil, err
		}
		return b.FilteredEvents(ctx, f)
	})
	r.Register(Public, "execute_read_only_bytecode", argName, func(ctx context.Context, p Params) (any, error) {
		var in []ReadOnlyBytecodeInput
		if err := p.Require(0, "read-only requests", &in); err != nil {
			return nil, err
		}
		return b.ExecuteReadOnlyBytecode(ctx, in)
	})
	r.Register(Public, "execute_read_only_call", argName, func(ctx context.Context, p Params) (any, error) {
		var in []ReadOnlyCallInput
		if err := p.Require(0, "read-only calls", &in); err != nil {
			return nil, err
		}
		return b.ExecuteReadOnlyCall(ctx, in)
	})
	r.Register(Public, "get_slots_transfers", argName, func(ctx context.Context, p Params) (any, error) {
		return nil, BadRequest("get_slots_transfers needs a node built with execution traces; this node keeps none")
	})
	r.Register(Public, "rpc.discover", nil, func(context.Context, Params) (any, error) { return r.OpenRPC(), nil })
	for _, m := range []string{"get_deferred_call_quote", "get_deferred_call_info", "get_deferred_call_ids_by_slot"} {
		name := m
		r.Register(Public, name, argName, func(ctx context.Context, p Params) (any, error) {
			return nil, fmt.Errorf("deferred calls arrive with smart contracts: %w", ErrNotSupported)
		})
	}
}

// RegisterPrivate adds the private methods of spec §10.4.
func RegisterPrivate(r *Registry, b PrivateBackend) {
	r.Register(Private, "stop_node", nil, func(ctx context.Context, _ Params) (any, error) { return nil, b.Stop(ctx) })
	r.Register(Private, "node_sign_message", argName, func(ctx context.Context, p Params) (any, error) {
		var msg Bytes
		if err := p.Require(0, "message", &msg); err != nil {
			return nil, err
		}
		return b.SignMessage(ctx, msg)
	})
	r.Register(Private, "add_staking_secret_keys", argName, func(ctx context.Context, p Params) (any, error) {
		keys, err := parseList(p, "secret keys", crypto.ParseSecretKey)
		if err != nil {
			return nil, err
		}
		return nil, b.AddStakingKeys(ctx, keys)
	})
	r.Register(Private, "remove_staking_addresses", argName, func(ctx context.Context, p Params) (any, error) {
		addrs, err := parseList(p, "addresses", types.ParseAddress)
		if err != nil {
			return nil, err
		}
		return nil, b.RemoveStakingAddresses(ctx, addrs)
	})
	r.Register(Private, "get_staking_addresses", nil, func(ctx context.Context, _ Params) (any, error) {
		return b.StakingAddresses(ctx)
	})
	if sw, ok := b.(StakingWarningsBackend); ok {
		r.Register(Private, "get_staking_warnings", nil, func(ctx context.Context, _ Params) (any, error) {
			return sw.StakingWarnings(ctx)
		})
	}
	for _, ban := range []bool{true, false} {
		ban := ban
		prefix := "node_ban_by_"
		if !ban {
			prefix = "node_unban_by_"
		}
		r.Register(Private, prefix+"id", argName, func(ctx context.Context, p Params) (any, error) {
			ids, err := parseList(p, "node ids", crypto.ParseNodeID)
			if err != nil {
				return nil, err
			}
			return nil, b.BanByID(ctx, ids, ban)
		})
		r.Register(Private, prefix+"ip", argName, func(ctx context.Context, p Params) (any, error) {
			ips, err := parseList(p, "ips", parseIP)
			if err != nil {
				return nil, err
			}
			return nil, b.BanByIP(ctx, ips, ban)
		})
	}
	r.Register(Private, "node_peers_whitelist", nil, func(ctx context.Context, _ Params) (any, error) { return b.PeersWhitelist(ctx) })
	for _, add := range []bool{true, false} {
		add := add
		name := "node_add_to_peers_whitelist"
		if !add {
			name = "node_remove_from_peers_whitelist"
		}
		r.Register(Private, name, argName, func(ctx context.Context, p Params) (any, error) {
			ips, err := parseList(p, "ips", parseIP)
			if err != nil {
				return nil, err
			}
			return nil, b.EditPeersWhitelist(ctx, ips, add)
		})
	}
	r.Register(Private, "node_bootstrap_whitelist", nil, func(ctx context.Context, _ Params) (any, error) { return b.BootstrapList(ctx, true) })
	r.Register(Private, "node_bootstrap_blacklist", nil, func(ctx context.Context, _ Params) (any, error) { return b.BootstrapList(ctx, false) })
	r.Register(Private, "node_bootstrap_whitelist_allow_all", nil, func(ctx context.Context, _ Params) (any, error) {
		return nil, b.BootstrapWhitelistAllowAll(ctx)
	})
	for _, white := range []bool{true, false} {
		for _, add := range []bool{true, false} {
			white, add := white, add
			list := "blacklist"
			if white {
				list = "whitelist"
			}
			name := "node_add_to_bootstrap_" + list
			if !add {
				name = "node_remove_from_bootstrap_" + list
			}
			r.Register(Private, name, argName, func(ctx context.Context, p Params) (any, error) {
				ips, err := parseList(p, "ips", parseIP)
				if err != nil {
					return nil, err
				}
				return nil, b.EditBootstrapList(ctx, white, ips, add)
			})
		}
	}
}

// OpenRPC describes the registered methods as an OpenRPC document, the
// result of rpc.discover: names, parameter names in order, and the server
// (tag "public" or "private") each belongs to. Massa serves a hand-written
// file there; this one is generated, so it never lists a method the node
// does not have.
func (r *Registry) OpenRPC() map[string]any {
	names := make([]string, 0, len(r.methods))
	for n := range r.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	methods := make([]map[string]any, 0, len(names))
	for _, n := range names {
		m := r.methods[n]
		params := make([]map[string]any, 0, len(m.names))
		for _, p := range m.names {
			params = append(params, map[string]any{"name": p, "schema": map[string]any{}})
		}
		side := "public"
		if m.side == Private {
			side = "private"
		}
		methods = append(methods, map[string]any{
			"name":   n,
			"params": params,
			"result": map[string]any{"name": "result", "schema": map[string]any{}},
			"tags":   []map[string]any{{"name": side}},
		})
	}
	return map[string]any{
		"openrpc": "1.2.6",
		"info":    map[string]any{"title": "Massa JSON-RPC API (gomassa)", "version": "1.0.0"},
		"methods": methods,
	}
}

// V2Backend is what Massa's "API v2" server asks of the node.
type V2Backend interface {
	LargestStakers(ctx context.Context, page *PageRequest) (LargestStakers, error)
	NextBlockBestParents(ctx context.Context) ([][2]any, error)
	Version(ctx context.Context) (string, error)
}

// LargestStakers is the result of get_largest_stakers.
type LargestStakers struct {
	Content    [][2]any `json:"content"`
	TotalCount uint64   `json:"total_count"`
}

// RegisterV2 adds the HTTP methods of Massa's API v2 (spec §10.5). Its
// WebSocket subscriptions are not served.
func RegisterV2(r *Registry, b V2Backend) {
	r.Register(V2, "get_largest_stakers", []string{"page_request"}, func(ctx context.Context, p Params) (any, error) {
		var wrapper struct {
			PageRequest *PageRequest `json:"page_request"`
		}
		if _, err := p.Decode(0, "page_request", &wrapper); err != nil {
			return nil, err
		}
		return b.LargestStakers(ctx, wrapper.PageRequest)
	})
	r.Register(V2, "get_next_block_best_parents", nil, func(ctx context.Context, _ Params) (any, error) {
		return b.NextBlockBestParents(ctx)
	})
	r.Register(V2, "get_version", nil, func(ctx context.Context, _ Params) (any, error) { return b.Version(ctx) })
}
