package client

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// contractNames are the command names of spec §11.2 (and the brief's
// additions) that operators and scripts rely on.
var contractNames = []string{
	"help", "exit", "get_status", "get_addresses", "get_blocks", "get_operations", "get_endorsements",
	"get_datastore_entry", "get_filtered_sc_output_event", "wallet_info", "wallet_get_public_key",
	"wallet_get_secret_key", "wallet_generate_secret_key", "wallet_add_secret_keys", "wallet_remove_addresses",
	"wallet_sign", "send_transaction", "buy_rolls", "sell_rolls", "execute_smart_contract", "call_smart_contract",
	"read_only_execute_smart_contract", "read_only_call", "node_start_staking", "node_stop_staking",
	"node_add_staking_secret_keys", "node_add_staking_private_keys", "node_get_staking_addresses",
	"node_remove_staking_addresses", "node_stop", "node_ban_by_id", "node_unban_by_id", "node_ban_by_ip",
	"node_unban_by_ip", "node_peers_whitelist", "node_bootstrap_whitelist", "node_bootstrap_blacklist",
	"node_sign_message", "node_testnet_rewards_program_ownership_proof", "get_stakers", "get_cliques",
	// names of the seed FAQ
	"wallet_generate_private_key", "staking_addresses",
}

func TestHelpListsEveryCommand(t *testing.T) {
	e := newTestEnv(t)
	out, _, code := e.run("help")
	require.Equal(t, 0, code)
	for _, c := range commands() {
		require.Contains(t, out, "- "+c.name+" ", "help lacks %s", c.name)
		require.NotEmpty(t, c.help, c.name)
		for _, a := range c.aliases {
			require.Contains(t, out, a)
		}
	}
	for _, n := range contractNames {
		_, ok := lookup(n)
		require.True(t, ok, "no command %s", n)
		require.Contains(t, out, n)
	}

	out, _, code = e.run("help", "send_transaction")
	require.Equal(t, 0, code)
	require.Contains(t, out, "send_transaction SenderAddress ReceiverAddress Amount Fee")

	var entries []helpEntry
	e.jsonOut(&entries, "help")
	require.Len(t, entries, len(commands()))
	// With no command and no terminal, the client runs help once (Massa's default).
	out, _, code = e.run()
	require.Equal(t, 0, code)
	require.Contains(t, out, "get_status")
}

func TestUnknownCommand(t *testing.T) {
	e := newTestEnv(t)
	out, errOut, code := e.run("get_stauts")
	require.Equal(t, ExitError, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `unknown command "get_stauts"`)
	require.Contains(t, errOut, "did you mean get_status?")

	out, _, code = e.run("--json", "frobnicate")
	require.Equal(t, ExitError, code)
	var je map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &je))
	require.Contains(t, je["error"], "unknown command")

	_, err := (&Session{}).Run(context.Background(), []string{"nope"})
	require.ErrorIs(t, err, ErrUnknownCommand)

	// wrong argument counts name the usage
	_, errOut, code = e.run("buy_rolls", "AU1")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "usage: buy_rolls Address RollCount Fee")
}

func TestCommandNamesAreCaseInsensitive(t *testing.T) {
	c, ok := lookup("GET_STATUS")
	require.True(t, ok)
	require.Equal(t, "get_status", c.name)
}

func TestConfig(t *testing.T) {
	c, err := ParseConfig("config.toml", []byte("[default_node]\nip = \"::1\"\npublic_port = 4000\nchain_id = 77\n[display]\ntyped_prefixes = true\n"))
	require.NoError(t, err)
	require.Equal(t, "::1", c.DefaultNode.IP)
	require.Equal(t, 4000, c.DefaultNode.PublicPort)
	require.Equal(t, DefaultPrivatePort, c.DefaultNode.PrivatePort)
	require.True(t, c.Display.TypedPrefixes)
	require.Equal(t, uint64(77), *c.DefaultNode.ChainID)

	_, err = ParseConfig("config.toml", []byte("[default_node]\nip = \"127.0.0.1\"\nprivat_port = 1\n"))
	require.ErrorIs(t, err, ErrUnknownKey)
	require.Contains(t, err.Error(), "config.toml:3")
	require.Contains(t, err.Error(), "privat_port")
	require.Contains(t, err.Error(), "private_port") // the keys it takes

	_, err = ParseConfig("config.toml", []byte("[defaultnode]\nip = \"127.0.0.1\"\n"))
	require.ErrorIs(t, err, ErrUnknownKey)
	require.Contains(t, err.Error(), "defaultnode")

	for _, bad := range []string{"[default_node]\nip = \"localhost\"\n", "[default_node]\npublic_port = 70000\n", "[default_node]\npublic_port = \"x\"\n",
		"[default_node]\ntoken = \"a\"\ntoken_file = \"b\"\n", "[default_node\n"} {
		_, err = ParseConfig("c", []byte(bad))
		require.ErrorIs(t, err, ErrConfig, bad)
	}
}

func TestConfigFileAndFlags(t *testing.T) {
	e := newTestEnv(t)
	require.NoError(t, os.MkdirAll(e.home, 0o700))
	cfg := filepath.Join(e.home, "config.toml")

	require.NoError(t, os.WriteFile(cfg, []byte("[default_node]\nip = \"127.0.0.1\"\nbogus = 1\n"), 0o600))
	_, errOut, code := e.run("get_status")
	require.Equal(t, ExitUsage, code)
	require.Contains(t, errOut, "bogus")
	out, _, code := e.run("--json", "get_status")
	require.Equal(t, ExitUsage, code)
	require.Contains(t, out, `"error"`)

	// The config's ports are used unless flags override them.
	require.NoError(t, os.WriteFile(cfg, []byte("[default_node]\npublic_port = "+e.pubPort+"\nchain_id = 12\n[display]\ntyped_prefixes = true\n"), 0o600))
	o, err := ParseOptions([]string{"--home", e.home}, func(string) string { return "" }, t.TempDir(), os.Stderr)
	require.NoError(t, err)
	require.Equal(t, e.pubPort, strconv.Itoa(o.PublicPort))
	require.True(t, o.ChainIDSet)
	require.True(t, o.Display)
	require.Equal(t, filepath.Join(e.home, "wallets"), o.WalletDir)
	o, err = ParseOptions([]string{"--home", e.home, "--public-port", "9", "--typed-prefixes=false", "-w", "/x", "--chain-id", "77", "get_status", "a"},
		func(string) string { return "" }, t.TempDir(), os.Stderr)
	require.NoError(t, err)
	require.Equal(t, 9, o.PublicPort)
	require.False(t, o.Display)
	require.Equal(t, "/x", o.WalletDir)
	require.Equal(t, uint64(77), o.ChainID)
	require.Equal(t, []string{"get_status", "a"}, o.Args)

	// Defaults from the environment and the user's home.
	o, err = ParseOptions(nil, func(k string) string {
		if k == EnvNodeHome {
			return "/nodehome"
		}
		return ""
	}, "/home/u", os.Stderr)
	require.NoError(t, err)
	require.Equal(t, filepath.Join("/home/u", ".massa", "client"), o.Home)
	require.Equal(t, "/nodehome", o.NodeHome)
	require.Equal(t, "http://127.0.0.1:33035", o.PublicURL())

	_, err = ParseOptions([]string{"--ip", "nohost"}, func(string) string { return "" }, t.TempDir(), os.Stderr)
	require.ErrorIs(t, err, ErrBadArgument)
}

func TestGetStatus(t *testing.T) {
	e := newTestEnv(t)
	var st api.NodeStatus
	e.jsonOut(&st, "get_status")
	require.Equal(t, uint64(77), st.ChainID)
	require.Equal(t, "SAND.5.0", st.Version)

	// --json prints exactly the node's answer (compacted), with stable keys.
	out1, _, _ := e.run("--json", "get_status")
	out2, _, _ := e.run("--json", "get_status")
	require.Equal(t, out1, out2)
	require.True(t, strings.HasSuffix(out1, "}\n"))
	require.NotContains(t, strings.TrimSuffix(out1, "\n"), "\n")

	out, errOut, code := e.run("get_status")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"Chain id:", "77", "Minimal fees: 0.01 MAS", "Roll price:", "100 MAS", "Last slot:", "(100, 5)", "10.0.0.1 (out)"} {
		require.Contains(t, out, want)
	}
	require.Empty(t, errOut)

	// A different expected chain id is a warning on stderr.
	_, errOut, code = e.run("--chain-id", "77658377", "get_status")
	require.Equal(t, 0, code)
	require.Contains(t, errOut, "WARNING")
	require.Contains(t, errOut, "chain id 77")
}

func TestNodeUnreachable(t *testing.T) {
	e := newTestEnv(t)
	e.pubPort = "1" // nothing listens there
	_, errOut, code := e.run("get_status")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "is the node running?")
}

// knownKey is a fixed key so that tests know its address thread.
func knownKey(t *testing.T, seed byte) *crypto.SecretKey {
	var s [crypto.SeedSize]byte
	for i := range s {
		s[i] = seed
	}
	return crypto.SecretKeyFromSeed(s)
}

func TestWalletLifecycle(t *testing.T) {
	e := newTestEnv(t)
	// generate: a new wallet is created, with one key
	var addrText string
	e.jsonOut(&addrText, "wallet_generate_secret_key")
	addr, err := types.ParseAddress(addrText)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(e.home, "wallets", "wallet_"+addrText+".yaml"))
	require.NoError(t, err)
	e.node.balances[addr] = types.MustAmount("12.5")

	// reload in a new process: wallet_info, no secret keys by default
	out, errOut, code := e.run("--json", "wallet_info")
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, out, `"S`)
	var info map[string]struct {
		AddressInfo *struct {
			Address         string            `json:"address"`
			FinalBalance    string            `json:"final_balance"`
			ActiveRolls     uint64            `json:"active_rolls"`
			FinalRolls      uint64            `json:"final_rolls"`
			CandidateRolls  uint64            `json:"candidate_rolls"`
			DeferredCredits []json.RawMessage `json:"deferred_credits"`
		} `json:"address_info"`
		PublicKey string          `json:"public_key"`
		KeyPair   json.RawMessage `json:"keypair"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	require.Len(t, info, 1)
	ent := info[addrText]
	require.NotNil(t, ent.AddressInfo)
	require.Equal(t, addrText, ent.AddressInfo.Address)
	require.Equal(t, "12.5", ent.AddressInfo.FinalBalance)
	require.Equal(t, uint64(2), ent.AddressInfo.ActiveRolls)
	require.Equal(t, uint64(1), ent.AddressInfo.FinalRolls)
	require.Len(t, ent.AddressInfo.DeferredCredits, 1)
	require.Nil(t, ent.KeyPair)

	out, errOut, code = e.run("wallet_info")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "final 12.5 MAS")
	require.Contains(t, out, "active 2, final 1, candidate 2")
	require.Contains(t, out, "100 MAS unlocked at slot (300, 1)")
	require.NotContains(t, out, "Secret key")

	out, errOut, code = e.run("--typed-prefixes", "wallet_info", "show-all-keys")
	require.Equal(t, 0, code)
	require.Regexp(t, `Secret key: +PRI-S`, out)
	require.Contains(t, out, "ADR-"+addrText)
	require.Contains(t, errOut, "do not share")

	// wrong password
	e.password = "other"
	_, errOut, code = e.run("wallet_info")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "wrong password")
	e.password = "pw"

	// one session: add a key, public key, sign, remove
	s, _ := e.session()
	ctx := context.Background()
	k := knownKey(t, 7)
	kAddr := types.AddressOf(k.Public())
	r, err := s.Run(ctx, []string{"wallet_add_secret_keys", "PRI-" + k.String()})
	require.NoError(t, err)
	require.Equal(t, []types.Address{kAddr}, r.JSON)

	r, err = s.Run(ctx, []string{"wallet_get_public_key", kAddr.String()})
	require.NoError(t, err)
	b, _ := marshalJSON(r.JSON)
	require.JSONEq(t, `[["`+kAddr.String()+`","`+k.Public().String()+`"]]`, string(b))

	r, err = s.Run(ctx, []string{"wallet_get_secret_key", kAddr.String()})
	require.NoError(t, err)
	b, _ = marshalJSON(r.JSON)
	require.JSONEq(t, `[["`+kAddr.String()+`",{"secret_key":"`+k.String()+`","public_key":"`+k.Public().String()+`"}]]`, string(b))

	r, err = s.Run(ctx, []string{"wallet_sign", kAddr.String(), "hello world"})
	require.NoError(t, err)
	ps := r.JSON.(api.PubkeySig)
	require.Equal(t, k.Public(), ps.PublicKey)
	require.True(t, crypto.Verify(ps.PublicKey, crypto.HashOf([]byte("hello world")), ps.Signature))

	_, err = s.Run(ctx, []string{"wallet_get_public_key", types.AddressOf(knownKey(t, 8).Public()).String()})
	require.ErrorIs(t, err, ErrNotInWallet)

	_, err = s.Run(ctx, []string{"wallet_remove_addresses", kAddr.String()})
	require.NoError(t, err)
	w, err := s.Wallet()
	require.NoError(t, err)
	require.Equal(t, []types.Address{addr}, w.Addresses())
}

func TestSecretKeysAreNotEchoed(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 9).String()
	bad := k[:len(k)-1] + "x" // checksum broken
	_, errOut, code := e.run("wallet_add_secret_keys", "PUB-"+k)
	require.Equal(t, ExitError, code)
	require.NotContains(t, errOut, k)
	_, errOut, code = e.run("node_add_staking_secret_keys", bad)
	require.Equal(t, ExitError, code)
	require.NotContains(t, errOut, bad[1:])
	require.Contains(t, errOut, "SecretKey")
}

// sendSetup makes a session whose wallet holds k.
func sendSetup(t *testing.T, e *testEnv, k *crypto.SecretKey) *Session {
	s, _ := e.session()
	_, err := s.Run(context.Background(), []string{"wallet_add_secret_keys", k.String()})
	require.NoError(t, err)
	return s
}

// sentOp decodes the last send_operations request as a node would from
// its raw JSON, and checks its signature.
func sentOp(t *testing.T, e *testEnv) *types.SignedOperation {
	var params [][]struct {
		CreatorPublicKey  string `json:"creator_public_key"`
		Signature         string `json:"signature"`
		SerializedContent []int  `json:"serialized_content"`
	}
	require.NoError(t, json.Unmarshal(e.node.lastParams(t, "send_operations"), &params))
	require.Len(t, params, 1)
	require.Len(t, params[0], 1)
	in := params[0][0]
	content := make([]byte, len(in.SerializedContent))
	for i, n := range in.SerializedContent {
		require.True(t, n >= 0 && n < 256)
		content[i] = byte(n)
	}
	pub, err := crypto.ParsePublicKey(in.CreatorPublicKey)
	require.NoError(t, err)
	sig, err := crypto.ParseSignature(in.Signature)
	require.NoError(t, err)
	so, err := types.NewSignedOperation(content, pub, sig, 77)
	require.NoError(t, err)
	require.True(t, so.VerifySignature())
	return so
}

func TestSendTransaction(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 1)
	from := types.AddressOf(k.Public())
	to := types.AddressOf(knownKey(t, 2).Public())
	e.node.balances[from] = types.MustAmount("1000")
	s := sendSetup(t, e, k)

	r, err := s.Run(context.Background(), []string{"send_transaction", from.String(), "ADR-" + to.String(), "3.5", "0.01"})
	require.NoError(t, err)
	so := sentOp(t, e)
	require.Equal(t, []types.OperationID{so.ID}, r.JSON)
	require.Equal(t, types.OpTransaction, so.Op.Type)
	require.Equal(t, to, so.Op.Recipient)
	require.Equal(t, types.MustAmount("3.5"), so.Op.Amount)
	require.Equal(t, types.MustAmount("0.01"), so.Op.Fee)
	require.Equal(t, from, so.CreatorAddr)
	want := uint64(110)
	if 5 >= from.Thread(32) {
		want++
	}
	require.Equal(t, want, so.Op.ExpirePeriod)

	// one-shot --json prints the id list
	var ids []string
	e.jsonOut(&ids, "send_transaction", from.String(), to.String(), "1", "0.02")
	require.Len(t, ids, 1)
	require.Equal(t, sentOp(t, e).ID.String(), ids[0])

	// human output names the operation
	out, errOut, code := e.run("send_transaction", from.String(), to.String(), "1", "0.02")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, sentOp(t, e).ID.String())

	// get_operations shows it
	out, errOut, code = e.run("get_operations", so.ID.String())
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "transaction")
	require.Contains(t, out, "3.5 MAS")
}

func TestOperationArgumentErrors(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 3)
	a := types.AddressOf(k.Public()).String()
	s := sendSetup(t, e, k)
	ctx := context.Background()
	for _, tc := range []struct {
		argv []string
		want string
		is   error
	}{
		{[]string{"send_transaction", a, a, "1,5", "0.01"}, "Amount", ErrBadArgument},
		{[]string{"send_transaction", a, a, "1", "-1"}, "Fee", ErrBadArgument},
		{[]string{"send_transaction", "AUnope", a, "1", "0.01"}, "SenderAddress", ErrBadArgument},
		{[]string{"send_transaction", a, "x", "1", "0.01"}, "ReceiverAddress", ErrBadArgument},
		{[]string{"send_transaction", a, a, "1", "0.001"}, "minimal fee 0.01 MAS", ErrFeeTooLow},
		{[]string{"buy_rolls", a, "0", "0.01"}, "RollCount", ErrBadArgument},
		{[]string{"buy_rolls", a, "x", "0.01"}, "RollCount", ErrBadArgument},
		{[]string{"call_smart_contract", a, a, "f", "p", "4294967295", "0", "0.01"}, "MaxGas", ErrBadArgument},
		{[]string{"execute_smart_contract", a, "/nonexistent/file.wasm", "1000", "0", "0.01"}, "PathToBytecode", ErrBadArgument},
		{[]string{"send_transaction", types.AddressOf(knownKey(t, 4).Public()).String(), a, "1", "0.01"}, "wallet", ErrNotInWallet},
	} {
		_, err := s.Run(ctx, tc.argv)
		require.ErrorIs(t, err, tc.is, tc.argv)
		require.Contains(t, err.Error(), tc.want, tc.argv)
	}
}

func TestRollsAndSmartContracts(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 5)
	a := types.AddressOf(k.Public())
	s, errOut := e.session()
	ctx := context.Background()
	_, err := s.Run(ctx, []string{"wallet_add_secret_keys", k.String()})
	require.NoError(t, err)

	_, err = s.Run(ctx, []string{"buy_rolls", a.String(), "2", "0.01"})
	require.NoError(t, err)
	so := sentOp(t, e)
	require.Equal(t, types.OpRollBuy, so.Op.Type)
	require.Equal(t, uint64(2), so.Op.RollCount)
	require.Contains(t, errOut.String(), "may be rejected for insufficient balance") // balance 0 < 200.01
	require.Contains(t, errOut.String(), "node_start_staking")

	_, err = s.Run(ctx, []string{"sell_rolls", a.String(), "1", "0.01"})
	require.NoError(t, err)
	require.Equal(t, types.OpRollSell, sentOp(t, e).Op.Type)

	wasm := filepath.Join(t.TempDir(), "sc.wasm")
	require.NoError(t, os.WriteFile(wasm, []byte("\x00asm\x01\x00\x00\x00"), 0o600))
	_, err = s.Run(ctx, []string{"execute_smart_contract", a.String(), wasm, "1000000", "1.5", "0.01"})
	require.NoError(t, err)
	so = sentOp(t, e)
	require.Equal(t, types.OpExecuteSC, so.Op.Type)
	require.Equal(t, []byte("\x00asm\x01\x00\x00\x00"), so.Op.Bytecode())
	require.Equal(t, uint64(1_000_000), so.Op.MaxGas())
	require.Equal(t, types.MustAmount("1.5"), so.Op.MaxCoins())
	require.Empty(t, so.Op.Datastore())

	target := types.AddressOf(knownKey(t, 6).Public())
	_, err = s.Run(ctx, []string{"call_smart_contract", a.String(), target.String(), "transfer", "a b c", "5000", "0.5", "0.01"})
	require.NoError(t, err)
	so = sentOp(t, e)
	require.Equal(t, types.OpCallSC, so.Op.Type)
	require.Equal(t, target, so.Op.Target())
	require.Equal(t, "transfer", so.Op.Function())
	require.Equal(t, []byte("a b c"), so.Op.Param())
	require.Equal(t, types.MustAmount("0.5"), so.Op.Coins())

	// read-only calls need no wallet and no node signature
	r, err := s.Run(ctx, []string{"read_only_execute_smart_contract", wasm, "100000"})
	require.NoError(t, err)
	var ro []readOnlyView
	require.NoError(t, json.Unmarshal(r.JSON.(json.RawMessage), &ro))
	require.Equal(t, uint64(8), ro[0].GasCost)
	require.Equal(t, "ok", string(*ro[0].Result.Ok))
	out, _, code := e.run("read_only_call", target.String(), "f", "x", "1000", a.String(), "1", "0.01")
	require.Equal(t, 0, code)
	require.Contains(t, out, "error: no function f")
	var call [][]map[string]any
	require.NoError(t, json.Unmarshal(e.node.lastParams(t, "execute_read_only_call"), &call))
	require.Equal(t, a.String(), call[0][0]["caller_address"])
	require.Equal(t, "1", call[0][0]["coins"])
	require.Equal(t, []any{float64('x')}, call[0][0]["parameter"])
}

func TestExpirePeriod(t *testing.T) {
	st := &api.NodeStatus{Config: api.CompactConfig{ThreadCount: 32, T0: 16000, OperationValidityPeriods: 10, GenesisTimestamp: 1000}}
	k := knownKey(t, 1)
	a := types.AddressOf(k.Public())
	th := a.Thread(32)
	for _, tc := range []struct {
		last types.Slot
		want uint64
	}{
		{types.Slot{Period: 50, Thread: th}, 61},
		{types.Slot{Period: 50, Thread: 31}, 61},
	} {
		last := tc.last
		st.LastSlot = &last
		require.Equal(t, tc.want, ExpirePeriod(st, a))
	}
	if th > 0 {
		last := types.Slot{Period: 50, Thread: th - 1}
		st.LastSlot = &last
		require.Equal(t, uint64(60), ExpirePeriod(st, a))
	}
	// No last slot: from the node's clock, as Massa does from its own.
	st.LastSlot = nil
	st.CurrentTime = 1000 + 3*16000 + 31*500 + 10
	require.Equal(t, types.Slot{Period: 3, Thread: 31}, currentSlot(st))
	require.Equal(t, uint64(14), ExpirePeriod(st, a))
	st.CurrentTime = 10 // before genesis
	require.Equal(t, types.Slot{}, currentSlot(st))
}

func TestPrivateToken(t *testing.T) {
	e := newTestEnv(t)
	// from <node home>/config/api_token
	var addrs []string
	e.jsonOut(&addrs, "node_get_staking_addresses")
	require.Empty(t, addrs)

	// a wrong token is refused with advice
	_, errOut, code := e.run("--token", "wrong", "node_stop")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "token")
	require.Contains(t, errOut, "--node-home")
	require.False(t, e.node.stopped)

	// no token file at all
	_, errOut, code = e.run("--node-home", t.TempDir(), "node_stop")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "does not exist")

	// token_file in the config
	tf := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tf, []byte(" "+testToken+" \n"), 0o600))
	require.NoError(t, os.MkdirAll(e.home, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(e.home, "config.toml"), []byte("[default_node]\ntoken_file = \""+tf+"\"\n"), 0o600))
	out, errOut, code := e.run("--node-home", t.TempDir(), "--json", "node_stop")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "null\n", out)
	require.True(t, e.node.stopped)
}

func TestNodeCommands(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 11)
	a := types.AddressOf(k.Public())
	s, _ := e.session()
	ctx := context.Background()
	_, err := s.Run(ctx, []string{"wallet_add_secret_keys", k.String()})
	require.NoError(t, err)

	_, err = s.Run(ctx, []string{"node_start_staking", a.String()})
	require.NoError(t, err)
	require.Len(t, e.node.staking, 1)
	require.Equal(t, k.String(), e.node.staking[0].String())
	r, err := s.Run(ctx, []string{"node_get_staking_addresses"})
	require.NoError(t, err)
	b, _ := marshalJSON(r.JSON)
	require.JSONEq(t, `["`+a.String()+`"]`, string(b))

	other := knownKey(t, 12)
	_, err = s.Run(ctx, []string{"node_add_staking_private_keys", other.String()})
	require.NoError(t, err)
	require.Len(t, e.node.staking, 2)

	_, err = s.Run(ctx, []string{"node_stop_staking", a.String()})
	require.NoError(t, err)
	require.Equal(t, []types.Address{a}, e.node.removed)

	_, err = s.Run(ctx, []string{"node_ban_by_id", k.Public().NodeID()})
	require.NoError(t, err)
	require.Equal(t, []string{"true:" + k.Public().NodeID()}, e.node.banned)

	// the node's own error comes through
	_, err = s.Run(ctx, []string{"node_ban_by_ip", "1.2.3.4"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "not available")
	_, err = s.Run(ctx, []string{"node_ban_by_ip", "1.2.3"})
	require.ErrorIs(t, err, ErrBadArgument)

	_, err = s.Run(ctx, []string{"node_bootstrap_whitelist", "add", "10.0.0.1", "::1"})
	require.NoError(t, err)
	r, err = s.Run(ctx, []string{"node_bootstrap_whitelist"})
	require.NoError(t, err)
	b, _ = marshalJSON(r.JSON)
	require.JSONEq(t, `["10.0.0.1","::1"]`, string(b))
	_, err = s.Run(ctx, []string{"node_bootstrap_whitelist", "allow-all"})
	require.NoError(t, err)
	_, err = s.Run(ctx, []string{"node_bootstrap_blacklist", "allow-all"})
	require.ErrorIs(t, err, ErrUsage)
	_, err = s.Run(ctx, []string{"node_peers_whitelist", "add"})
	require.ErrorIs(t, err, ErrUsage)

	r, err = s.Run(ctx, []string{"node_sign_message", "hi"})
	require.NoError(t, err)
	var ps api.PubkeySig
	require.NoError(t, json.Unmarshal(r.JSON.(json.RawMessage), &ps))
	require.True(t, crypto.Verify(e.node.nodeKey.Public(), crypto.HashOf([]byte("hi")), ps.Signature))

	// ownership proof: node key and first wallet address sign the Discord id
	r, err = s.Run(ctx, []string{"node_testnet_rewards_program_ownership_proof", "1234567890"})
	require.NoError(t, err)
	parts := strings.Split(r.JSON.(string), "/")
	require.Len(t, parts, 4)
	msg := crypto.HashOf([]byte("1234567890"))
	npk, err := crypto.ParsePublicKey(parts[0])
	require.NoError(t, err)
	nsig, err := crypto.ParseSignature(parts[1])
	require.NoError(t, err)
	require.True(t, crypto.Verify(npk, msg, nsig))
	require.Equal(t, k.Public().String(), parts[2])
	asig, err := crypto.ParseSignature(parts[3])
	require.NoError(t, err)
	require.True(t, crypto.Verify(k.Public(), msg, asig))
	_, err = s.Run(ctx, []string{"node_testnet_rewards_program_ownership_proof", a.String(), "42"})
	require.NoError(t, err)
}

func TestQueries(t *testing.T) {
	e := newTestEnv(t)
	a := types.AddressOf(knownKey(t, 20).Public())
	e.node.balances[a] = types.MustAmount("1")

	out, errOut, code := e.run("get_addresses", a.String())
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "final 1 MAS")
	require.Contains(t, out, "cycle 1 (candidate)")

	out, errOut, code = e.run("get_datastore_entry", a.String(), "my key")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"value of my key"`)
	var in [][]map[string]any
	require.NoError(t, json.Unmarshal(e.node.lastParams(t, "get_datastore_entries"), &in))
	require.Equal(t, a.String(), in[0][0]["address"])

	out, errOut, code = e.run("get_filtered_sc_output_event", "start=1,0", "end=5,3", "emitter_address="+a.String(), "is_final=true")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "hello <world>")
	var flt []map[string]any
	require.NoError(t, json.Unmarshal(e.node.lastParams(t, "get_filtered_sc_output_event"), &flt))
	require.Equal(t, map[string]any{"period": float64(1), "thread": float64(0)}, flt[0]["start"])
	require.Equal(t, a.String(), flt[0]["emitter_address"])
	require.Equal(t, true, flt[0]["is_final"])
	var evs []api.SCOutputEvent
	e.jsonOut(&evs, "get_filtered_sc_output_event")
	require.Equal(t, "hello <world>", evs[0].Data)

	_, errOut, code = e.run("get_filtered_sc_output_event", "colour=red")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "unknown filter")

	out, _, code = e.run("get_stakers")
	require.Equal(t, 0, code)
	require.Contains(t, out, "100 rolls")
	out, _, code = e.run("--json", "get_stakers", "10", "1")
	require.Equal(t, 0, code)
	require.Equal(t, "[]\n", out)

	out, _, code = e.run("get_cliques")
	require.Equal(t, 0, code)
	require.Contains(t, out, "fitness 17")

	out, _, code = e.run("get_blocks", types.BlockID{1}.String())
	require.Equal(t, 0, code)
	require.Contains(t, out, "No such block")
	_, errOut, code = e.run("get_blocks", "O1xyz")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "BlockId")
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  get_status  ", []string{"get_status"}},
		{`wallet_sign AU1 "hello world"`, []string{"wallet_sign", "AU1", "hello world"}},
		{`wallet_sign AU1 'it "is"'`, []string{"wallet_sign", "AU1", `it "is"`}},
		{`a "x\"y\\z\n"`, []string{"a", `x"y\z\n`}},
		{`a b\ c ""`, []string{"a", "b c", ""}},
		{"a\tb", []string{"a", "b"}},
	} {
		got, err := SplitArgs(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	_, err := SplitArgs(`a "b`)
	require.ErrorIs(t, err, ErrQuote)
	_, err = SplitArgs(`a 'b`)
	require.ErrorIs(t, err, ErrQuote)
}

func TestComplete(t *testing.T) {
	require.Equal(t, []string{"get_stakers", "get_status"}, Complete("get_sta"))
	require.Contains(t, Complete("wallet_"), "wallet_info")
	require.Equal(t, []string{"help node_stop", "help node_stop_staking"}, Complete("help node_stop"))
	require.Equal(t, []string{"wallet_info show-all-keys"}, Complete("wallet_info s"))
	require.Nil(t, Complete("get_status x"))
	require.Len(t, Complete(""), len(commands()))
}

func TestRecordable(t *testing.T) {
	k := knownKey(t, 1).String()
	require.True(t, Recordable([]string{"get_status"}))
	require.True(t, Recordable([]string{"wallet_info", "show-all-keys"}))
	for _, argv := range [][]string{
		{"wallet_add_secret_keys", k},
		{"node_add_staking_secret_keys", k},
		{"node_add_staking_private_keys", k},
		{"wallet_get_secret_key", "AU1"},
		{"wallet_add_secret_key", k}, // misspelt, still a secret on the line
		{"get_status", "PRI-" + k},
	} {
		require.False(t, Recordable(argv), argv)
	}
}

func TestErrorsWrap(t *testing.T) {
	_, err := parseEventFilter([]string{"is_final=maybe"})
	require.True(t, errors.Is(err, ErrBadArgument))
	_, err = parseEventFilter([]string{"start=1,0", "start=2,0"})
	require.ErrorIs(t, err, ErrBadArgument)
}

// TestEveryCommandRenders runs each command once against the fake node and
// renders both its human and its JSON form, with and without typed prefixes.
func TestEveryCommandRenders(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 30)
	a := types.AddressOf(k.Public()).String()
	b := types.AddressOf(knownKey(t, 31).Public()).String()
	e.node.balances[types.AddressOf(k.Public())] = types.MustAmount("1000")
	wasm := filepath.Join(t.TempDir(), "sc.wasm")
	require.NoError(t, os.WriteFile(wasm, []byte("\x00asm\x01\x00\x00\x00"), 0o600))
	blockID := types.BlockID{2}.String()

	cases := map[string][]string{
		"help":                             {"get_status"},
		"exit":                             {},
		"get_status":                       {},
		"get_addresses":                    {a, b},
		"get_blocks":                       {blockID},
		"get_operations":                   {types.OperationID{5}.String()},
		"get_endorsements":                 {types.EndorsementID{9}.String()},
		"get_datastore_entry":              {a, "k"},
		"get_filtered_sc_output_event":     {"is_error=false"},
		"get_stakers":                      {"5"},
		"get_cliques":                      {},
		"wallet_add_secret_keys":           {k.String()},
		"wallet_info":                      {"show-all-keys"},
		"wallet_get_public_key":            {a},
		"wallet_get_secret_key":            {a},
		"wallet_generate_secret_key":       {},
		"wallet_sign":                      {a, "msg"},
		"wallet_remove_addresses":          {types.AddressOf(knownKey(t, 32).Public()).String()},
		"send_transaction":                 {a, b, "1", "0.01"},
		"buy_rolls":                        {a, "1", "0.01"},
		"sell_rolls":                       {a, "1", "0.01"},
		"execute_smart_contract":           {a, wasm, "100000", "0", "0.01"},
		"call_smart_contract":              {a, b, "f", "", "100000", "0", "0.01"},
		"read_only_execute_smart_contract": {wasm, "100000", a, "0.01"},
		"read_only_call":                   {b, "f", "", "100000"},
		"node_start_staking":               {a},
		"node_stop_staking":                {a},
		"node_remove_staking_addresses":    {a},
		"node_add_staking_secret_keys":     {k.String()},
		"node_get_staking_addresses":       {},
		"node_stop":                        {},
		"staking_doctor":                   {a},
		"node_ban_by_id":                   {k.Public().NodeID()},
		"node_unban_by_id":                 {"NOD-" + k.Public().NodeID()},
		"node_ban_by_ip":                   {"1.2.3.4"}, // the fake refuses, as Massa's node does
		"node_unban_by_ip":                 {"1.2.3.4"},
		"node_peers_whitelist":             {},
		"node_bootstrap_whitelist":         {"add", "1.2.3.4"},
		"node_bootstrap_blacklist":         {},
		"node_sign_message":                {"m"},
		"node_testnet_rewards_program_ownership_proof": {a, "99"},
		"when_moon": {},
	}
	refused := map[string]bool{"node_ban_by_ip": true, "node_unban_by_ip": true, "node_peers_whitelist": true}
	for _, typed := range []bool{false, true} {
		extra := []string{}
		if typed {
			extra = append(extra, "--typed-prefixes")
		}
		s, _ := e.session(extra...)
		_, err := s.Run(context.Background(), []string{"wallet_add_secret_keys", k.String(), knownKey(t, 32).String()})
		require.NoError(t, err)
		for _, c := range commands() {
			args, ok := cases[c.name]
			require.True(t, ok, "no case for %s", c.name)
			r, err := s.Run(context.Background(), append([]string{c.name}, args...))
			if refused[c.name] {
				require.Error(t, err, c.name)
				continue
			}
			require.NoError(t, err, c.name)
			_, err = marshalJSON(r.JSON)
			require.NoError(t, err, c.name)
			var buf strings.Builder
			if r.Human != nil {
				r.Human(NewPrinter(&buf, s.Display()))
			}
			if c.name != "exit" {
				require.NotEmpty(t, buf.String(), c.name)
			}
			if typed {
				for _, plain := range []string{"\n" + a, " " + a + "\n"} {
					require.NotContains(t, buf.String(), plain, c.name)
				}
			}
			switch c.name {
			case "get_blocks":
				require.Contains(t, buf.String(), "(4, 1)")
				require.Contains(t, buf.String(), "final, in blockclique")
			case "get_endorsements":
				require.Contains(t, buf.String(), "Index:          3")
			case "node_get_staking_addresses":
				require.Contains(t, buf.String(), a)
			}
		}
	}
}

func TestCountText(t *testing.T) {
	for _, tc := range []struct {
		lo, hi int
		want   string
	}{{0, 0, "no argument"}, {1, -1, "at least one argument"}, {2, -1, "at least 2 arguments"}, {1, 1, "one argument"},
		{3, 3, "3 arguments"}, {0, 2, "at most 2 arguments"}, {2, 4, "2 to 4 arguments"}} {
		require.Equal(t, tc.want, countText(tc.lo, tc.hi))
	}
}
