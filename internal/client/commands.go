package client

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// command is one entry of the command table. Names, argument texts and
// descriptions follow Massa's client, whose names operators and scripts use.
type command struct {
	name    string
	args    string // argument synopsis; "" for none
	help    string // one line
	aliases []string
	min     int // argument count bounds; max < 0 means no limit
	max     int
	// secret commands carry or print secret keys: never recorded in history.
	secret bool
	run    func(ctx context.Context, s *Session, args []string) (*Result, error)
}

// commands returns the command table in display order. help and exit are
// dispatched by the Session itself (help needs the table).
func commands() []*command {
	return []*command{
		{name: "help", args: "[Command]", help: "list the commands, or show how to use one", max: 1},
		{name: "exit", help: "leave the interactive prompt", aliases: []string{"quit"}},

		{name: "get_status", help: "show the node's status: version, slot, peers, consensus, pool and network counters, configuration", run: cmdGetStatus},
		{name: "get_addresses", args: "Address1 Address2 ...", help: "show addresses: balances, rolls, deferred credits, block and endorsement draws", min: 1, max: -1, run: cmdGetAddresses},
		{name: "get_blocks", args: "BlockId1 BlockId2 ...", help: "show blocks: slot, creator, parents, operations, finality", aliases: []string{"get_block"}, min: 1, max: -1, run: cmdGetBlocks},
		{name: "get_operations", args: "OperationId1 OperationId2 ...", help: "show operations: content, blocks, finality, execution status", min: 1, max: -1, run: cmdGetOperations},
		{name: "get_endorsements", args: "EndorsementId1 EndorsementId2 ...", help: "show endorsements: slot, index, endorsed block, finality", min: 1, max: -1, run: cmdGetEndorsements},
		{name: "get_datastore_entry", args: "Address Key", help: "show a datastore entry of an address (the key is taken as UTF-8)", min: 2, max: 2, run: cmdGetDatastoreEntry},
		{name: "get_filtered_sc_output_event", args: "start=Period,Thread end=Period,Thread emitter_address=Address caller_address=Address operation_id=OperationId is_final=bool is_error=bool", help: "show smart-contract events matching all the given filters (all optional)", max: -1, run: cmdGetEvents},
		{name: "get_stakers", args: "[Limit [Offset]]", help: "list the stakers of the current cycle by active rolls", max: 2, run: cmdGetStakers},
		{name: "get_cliques", help: "list the block graph's cliques and their fitness", run: cmdGetCliques},

		{name: "wallet_info", args: "[show-all-keys]", help: "show the wallet's addresses with balances, rolls and deferred credits (keys only with show-all-keys)", max: 1, run: cmdWalletInfo},
		{name: "wallet_get_public_key", args: "Address1 Address2 ...", help: "show the public keys of wallet addresses", min: 1, max: -1, run: cmdWalletGetPublicKey},
		{name: "wallet_get_secret_key", args: "Address1 Address2 ...", help: "show the secret keys of wallet addresses (do not share them)", min: 1, max: -1, secret: true, run: cmdWalletGetSecretKey},
		{name: "wallet_generate_secret_key", help: "generate a secret key and add it to the wallet", aliases: []string{"wallet_generate_private_key"}, run: cmdWalletGenerate},
		{name: "wallet_add_secret_keys", args: "SecretKey1 SecretKey2 ...", help: "add secret keys to the wallet", aliases: []string{"wallet_add_private_keys"}, min: 1, max: -1, secret: true, run: cmdWalletAdd},
		{name: "wallet_remove_addresses", args: "Address1 Address2 ...", help: "remove addresses and their keys from the wallet", min: 1, max: -1, run: cmdWalletRemove},
		{name: "wallet_sign", args: "Address String", help: "sign the BLAKE3 hash of a UTF-8 string with a wallet key", min: 2, max: 2, run: cmdWalletSign},

		{name: "send_transaction", args: "SenderAddress ReceiverAddress Amount Fee", help: "send coins from a wallet address", min: 4, max: 4, run: cmdSendTransaction},
		{name: "buy_rolls", args: "Address RollCount Fee", help: "buy rolls with a wallet address", min: 3, max: 3, run: cmdBuyRolls},
		{name: "sell_rolls", args: "Address RollCount Fee", help: "sell rolls of a wallet address", min: 3, max: 3, run: cmdSellRolls},
		{name: "execute_smart_contract", args: "SenderAddress PathToBytecode MaxGas MaxCoins Fee", help: "send an operation executing bytecode", min: 5, max: 5, run: cmdExecuteSC},
		{name: "call_smart_contract", args: "SenderAddress TargetAddress FunctionName Parameter MaxGas Coins Fee", help: "send an operation calling a smart-contract function (Parameter is taken as UTF-8)", min: 7, max: 7, run: cmdCallSC},
		{name: "read_only_execute_smart_contract", args: "PathToBytecode MaxGas [Address] [Fee]", help: "execute bytecode without sending anything on chain", min: 2, max: 4, run: cmdReadOnlyExecute},
		{name: "read_only_call", args: "TargetAddress TargetFunction Parameter MaxGas [SenderAddress] [Coins] [Fee]", help: "call a smart-contract function without sending anything on chain", min: 4, max: 7, run: cmdReadOnlyCall},

		{name: "node_start_staking", args: "Address1 Address2 ...", help: "make the node stake with wallet addresses (sends their secret keys to the node)", min: 1, max: -1, run: cmdNodeStartStaking},
		{name: "node_stop_staking", args: "Address1 Address2 ...", help: "make the node stop staking with addresses", min: 1, max: -1, run: cmdNodeStopStaking},
		{name: "node_remove_staking_addresses", args: "Address1 Address2 ...", help: "remove staking addresses from the node (same as node_stop_staking)", min: 1, max: -1, run: cmdNodeStopStaking},
		{name: "node_add_staking_secret_keys", args: "SecretKey1 SecretKey2 ...", help: "give the node secret keys to stake with", aliases: []string{"node_add_staking_private_keys"}, min: 1, max: -1, secret: true, run: cmdNodeAddStakingKeys},
		{name: "node_get_staking_addresses", help: "list the addresses the node stakes with", aliases: []string{"staking_addresses"}, run: cmdNodeGetStakingAddresses},
		{name: "staking_doctor", args: "[Address1 Address2 ...]", help: "check everything staking needs (node synchronized, clock, peers, active rolls, staking keys, missed slots, next draws) and print the command that fixes each problem; exit status 1 when a check fails", aliases: []string{"doctor"}, max: -1, run: cmdStakingDoctor},
		{name: "node_stop", help: "stop the node", run: cmdNodeStop},
		{name: "node_ban_by_id", args: "NodeId1 NodeId2 ...", help: "ban peers by node id", min: 1, max: -1, run: cmdBanByID(true)},
		{name: "node_unban_by_id", args: "NodeId1 NodeId2 ...", help: "unban peers by node id", min: 1, max: -1, run: cmdBanByID(false)},
		{name: "node_ban_by_ip", args: "IpAddr1 IpAddr2 ...", help: "ban peers by IP address", min: 1, max: -1, run: cmdBanByIP(true)},
		{name: "node_unban_by_ip", args: "IpAddr1 IpAddr2 ...", help: "unban peers by IP address", min: 1, max: -1, run: cmdBanByIP(false)},
		{name: "node_peers_whitelist", args: "[(add|remove) IpAddr1 IpAddr2 ...]", help: "show the peers whitelist, or add or remove IP addresses", max: -1, run: cmdPeersWhitelist},
		{name: "node_bootstrap_whitelist", args: "[(add|remove|allow-all) IpAddr1 IpAddr2 ...]", help: "show the bootstrap whitelist, add or remove IP addresses, or allow everyone", max: -1, run: cmdBootstrapList(true)},
		{name: "node_bootstrap_blacklist", args: "[(add|remove) IpAddr1 IpAddr2 ...]", help: "show the bootstrap blacklist, or add or remove IP addresses", max: -1, run: cmdBootstrapList(false)},
		{name: "node_sign_message", args: "String", help: "sign the BLAKE3 hash of a UTF-8 string with the node's key", min: 1, max: 1, run: cmdNodeSignMessage},
		{name: "node_testnet_rewards_program_ownership_proof", args: "[Address] DiscordId", help: "prove ownership of the node and of a staking address (default: the wallet's first) for the testnet rewards program", min: 1, max: 2, run: cmdOwnershipProof},

		{name: "when_moon", help: "tells you when moon", run: func(context.Context, *Session, []string) (*Result, error) {
			return unit("At night 🌔."), nil
		}},
	}
}

// lookup finds a command by name or alias, case-insensitively as Massa does.
func lookup(name string) (*command, bool) {
	name = strings.ToLower(name)
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
		for _, a := range c.aliases {
			if a == name {
				return c, true
			}
		}
	}
	return nil, false
}

// CommandNames lists every command name in display order (completion, help).
func CommandNames() []string {
	cs := commands()
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

// IsSecretCommand reports whether a command line must stay out of history.
func IsSecretCommand(name string) bool {
	c, ok := lookup(name)
	return ok && c.secret
}

func (c *command) usage() string {
	if c.args == "" {
		return c.name
	}
	return c.name + " " + c.args
}

func unknownCommand(name string) error {
	msg := fmt.Sprintf("%q", name)
	if s := suggest(name); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return fmt.Errorf("%w %s; type \"help\" to list the commands", ErrUnknownCommand, msg)
}

// suggest returns the command closest to name, if it is close enough.
func suggest(name string) string {
	name = strings.ToLower(name)
	best, bestD := "", 1<<30
	for _, c := range commands() {
		for _, n := range append([]string{c.name}, c.aliases...) {
			d := editDistance(name, n)
			if strings.HasPrefix(n, name) && len(name) >= 4 {
				d = min(d, 1)
			}
			if d < bestD {
				best, bestD = c.name, d
			}
		}
	}
	if bestD <= max(2, len(name)/4) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// helpEntry is the JSON form of one command's help.
type helpEntry struct {
	Name        string   `json:"name"`
	Args        string   `json:"args"`
	Description string   `json:"description"`
	Aliases     []string `json:"aliases,omitempty"`
}

func helpOf(c *command) helpEntry {
	return helpEntry{Name: c.name, Args: c.args, Description: c.help, Aliases: c.aliases}
}

// help lists every command, or details one.
func help(args []string) (*Result, error) {
	if len(args) == 1 {
		c, ok := lookup(args[0])
		if !ok {
			return nil, unknownCommand(args[0])
		}
		e := helpOf(c)
		return &Result{JSON: e, Human: func(p *Printer) {
			p.Line("%s", c.usage())
			p.Line("  %s", c.help)
			if len(c.aliases) > 0 {
				names := append([]string(nil), c.aliases...)
				sort.Strings(names)
				p.Line("  also: %s", strings.Join(names, ", "))
			}
		}}, nil
	}
	cs := commands()
	entries := make([]helpEntry, len(cs))
	for i, c := range cs {
		entries[i] = helpOf(c)
	}
	return &Result{JSON: entries, Human: func(p *Printer) {
		p.Line("massa-client commands (\"help <command>\" for one):")
		for _, c := range cs {
			args := c.args
			if args == "" {
				args = "(no arguments)"
			}
			also := ""
			if len(c.aliases) > 0 {
				also = " (also: " + strings.Join(c.aliases, ", ") + ")"
			}
			p.Line("- %s %s: %s%s", c.name, args, c.help, also)
		}
	}}, nil
}
