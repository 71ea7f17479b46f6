package client

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
)

// Options is the resolved invocation: flags over <home>/config.toml over
// the defaults.
type Options struct {
	Home        string // client home (config.toml, wallets/, .massa_history)
	ConfigPath  string // <home>/config.toml
	IP          string
	PublicPort  int
	PrivatePort int
	// ChainID is the chain the user expects (flag or config); zero with
	// ChainIDSet false when neither says, and then no warning is given.
	ChainID    uint64
	ChainIDSet bool
	NodeHome   string // node home, whose config/api_token holds the private API token
	PrivateCA  string // PEM certificate of a TLS private API; empty: plain http
	Token      string // private API token given on the command line or in the config
	TokenFile  string // file holding the token (config token_file)
	WalletDir  string
	JSON       bool
	Password   string
	Display    bool // typed prefixes (ADR-, PUB-, …) in human output
	Args       []string
}

// PublicURL is the public API endpoint.
func (o *Options) PublicURL() string {
	return "http://" + net.JoinHostPort(o.IP, strconv.Itoa(o.PublicPort))
}

// PrivateURL is the private API endpoint.
func (o *Options) PrivateURL() string {
	scheme := "http://"
	if o.PrivateCA != "" {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(o.IP, strconv.Itoa(o.PrivatePort))
}

// Env gives the environment; tests replace it.
type Env func(string) string

// Environment variables the client reads.
const (
	EnvClientHome = "MASSA_CLIENT_HOME" // default --home
	EnvNodeHome   = "MASSA_NODE_HOME"   // default --node-home, as massa-node reads it
)

func defaultHome(homeDir, sub string) string {
	if homeDir == "" {
		return filepath.Join(".massa", sub)
	}
	return filepath.Join(homeDir, ".massa", sub)
}

const usageHead = `usage: massa-client [flags] [COMMAND [ARGS...]]

With no command and a terminal on stdin and stdout, massa-client opens an
interactive prompt; otherwise it runs COMMAND once and exits (non-zero on
error). Type "massa-client help" for the list of commands.

flags:
`

// ParseOptions parses the flags, loads <home>/config.toml and merges them.
// homeDir is the user's home directory (for ~/.massa/...). flag.ErrHelp is
// returned after printing the usage for -h/--help.
func ParseOptions(args []string, env Env, homeDir string, stderr io.Writer) (*Options, error) {
	fs := flag.NewFlagSet("massa-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", "", "client home directory: config.toml, wallets/, history (default $"+EnvClientHome+" or ~/.massa/client)")
	ip := fs.String("ip", "", "node IP address (default [default_node] ip, 127.0.0.1)")
	pub := fs.Int("public-port", 0, "node public API port (default [default_node] public_port, 33035)")
	priv := fs.Int("private-port", 0, "node private API port (default [default_node] private_port, 33034)")
	chainID := fs.Uint64("chain-id", 0, "expected chain id; warn when the node serves another (default [default_node] chain_id)")
	nodeHome := fs.String("node-home", "", "node home directory, to read the private API token from config/api_token (default [default_node] node_home, $"+EnvNodeHome+" or ~/.massa/node)")
	privCA := fs.String("private-tls-ca", "", "PEM certificate to trust when the node serves its private API over TLS (default [default_node] private_tls_ca)")
	token := fs.String("token", "", "private API token (default [default_node] token or token_file, else read from the node home)")
	walletDir := fs.String("wallet", "", "wallet directory (default <home>/wallets)")
	fs.StringVar(walletDir, "w", "", "shorthand for --wallet")
	jsonOut := fs.Bool("json", false, "print results as JSON, errors as {\"error\": ...}")
	fs.BoolVar(jsonOut, "j", false, "shorthand for --json")
	pwd := fs.String("pwd", "", "wallet password (default $MASSA_CLIENT_PASSWORD, else asked)")
	fs.StringVar(pwd, "p", "", "shorthand for --pwd")
	typed := fs.Bool("typed-prefixes", false, "show keys, addresses and ids with typed prefixes (ADR-, PUB-, OPE-, ...) (default [display] typed_prefixes)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if isHelp(err) {
			return nil, err
		}
		return nil, flagError{err}
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	o := &Options{Home: *home, Args: fs.Args(), JSON: *jsonOut, Password: *pwd}
	if o.Home == "" {
		o.Home = env(EnvClientHome)
	}
	if o.Home == "" {
		o.Home = defaultHome(homeDir, "client")
	}
	o.ConfigPath = filepath.Join(o.Home, "config.toml")
	cfg, err := LoadConfig(o.ConfigPath)
	if err != nil {
		return o, err // o carries --json, so the error can be printed as JSON
	}
	n := cfg.DefaultNode
	o.IP, o.PublicPort, o.PrivatePort = n.IP, n.PublicPort, n.PrivatePort
	if set["ip"] {
		if net.ParseIP(*ip) == nil {
			return o, fmt.Errorf("--ip %q is not an IP address: %w", *ip, ErrBadArgument)
		}
		o.IP = *ip
	}
	for _, p := range []struct {
		name string
		v    int
		dst  *int
	}{{"public-port", *pub, &o.PublicPort}, {"private-port", *priv, &o.PrivatePort}} {
		if !set[p.name] {
			continue
		}
		if p.v < 1 || p.v > 65535 {
			return o, fmt.Errorf("--%s %d: want a port in 1..65535: %w", p.name, p.v, ErrBadArgument)
		}
		*p.dst = p.v
	}
	if n.ChainID != nil {
		o.ChainID, o.ChainIDSet = *n.ChainID, true
	}
	if set["chain-id"] {
		o.ChainID, o.ChainIDSet = *chainID, true
	}
	o.NodeHome = n.NodeHome
	if set["node-home"] {
		o.NodeHome = *nodeHome
	}
	if o.NodeHome == "" {
		o.NodeHome = env(EnvNodeHome)
	}
	if o.NodeHome == "" {
		o.NodeHome = defaultHome(homeDir, "node")
	}
	o.Token, o.TokenFile = n.Token, n.TokenFile
	o.PrivateCA = n.PrivateTLSCA
	if *privCA != "" {
		o.PrivateCA = *privCA
	}
	if set["token"] {
		o.Token, o.TokenFile = *token, ""
	}
	o.WalletDir = filepath.Join(o.Home, "wallets")
	if *walletDir != "" {
		o.WalletDir = *walletDir
	}
	o.Display = cfg.Display.TypedPrefixes
	if set["typed-prefixes"] {
		o.Display = *typed
	}
	return o, nil
}

// isHelp tells a -h/--help exit from a flag error.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// flagError is a flag the flag package refused (and has already reported).
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }
