package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/wallet"
)

// Session runs commands for one invocation (one-shot) or one interactive
// prompt. It opens the wallet and reads the private API token only when a
// command needs them, and keeps them for the next commands.
type Session struct {
	opts    *Options
	errOut  io.Writer
	display types.Display
	public  *api.Client

	private     *api.Client
	tokenOrigin string // where the private API token came from, for error messages

	wallet *wallet.Wallet

	warnedChain bool

	// now is the client's clock (staking_doctor compares it with the
	// node's); nil means the real clock. Tests set it with SetClock.
	now func() time.Time
}

// NewSession prepares a session; nothing is contacted or opened yet.
// Warnings go to errOut, never to the command's output.
func NewSession(opts *Options, errOut io.Writer) *Session {
	return &Session{
		opts:    opts,
		errOut:  errOut,
		display: types.Display{TypedPrefixes: opts.Display},
		public:  api.NewClient(opts.PublicURL(), ""),
	}
}

// Display is how the session renders ids and keys for people.
func (s *Session) Display() types.Display { return s.display }

// Run executes one command line (name and arguments, already split).
func (s *Session) Run(ctx context.Context, argv []string) (*Result, error) {
	if len(argv) == 0 {
		argv = []string{"help"}
	}
	c, ok := lookup(argv[0])
	if !ok {
		return nil, unknownCommand(argv[0])
	}
	args := argv[1:]
	if len(args) < c.min || (c.max >= 0 && len(args) > c.max) {
		return nil, fmt.Errorf("%w: %s takes %s; usage: %s", ErrUsage, c.name, countText(c.min, c.max), c.usage())
	}
	switch c.name {
	case "help":
		return help(args)
	case "exit":
		return &Result{}, nil
	}
	return c.run(ctx, s, args)
}

func countText(lo, hi int) string {
	switch {
	case hi == 0:
		return "no argument"
	case hi < 0 && lo == 1:
		return "at least one argument"
	case hi < 0:
		return fmt.Sprintf("at least %d arguments", lo)
	case lo == hi && lo == 1:
		return "one argument"
	case lo == hi:
		return fmt.Sprintf("%d arguments", lo)
	case lo == 0:
		return fmt.Sprintf("at most %d arguments", hi)
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

// warn prints a warning for people; --json output stays clean on stdout.
func (s *Session) warn(format string, args ...any) {
	fmt.Fprintf(s.errOut, "WARNING: "+format+"\n", args...)
}

// side says which API a call goes to.
type side int

const (
	public side = iota
	private
)

// call invokes a JSON-RPC method, turning transport failures into advice.
func (s *Session) call(ctx context.Context, sd side, method string, params []any, out any) error {
	c := s.public
	port, flagName := s.opts.PublicPort, "public-port"
	if sd == private {
		var err error
		if c, err = s.privateClient(); err != nil {
			return err
		}
		port, flagName = s.opts.PrivatePort, "private-port"
	}
	err := c.Call(ctx, method, params, out)
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w; is the node running? The client looks for it at %s port %d (--ip/--%s or [default_node] in %s)",
			err, s.opts.IP, port, flagName, s.opts.ConfigPath)
	}
	if errors.Is(err, api.ErrUnauthorized) {
		return fmt.Errorf("%w (token %s); give the node's token with --token, [default_node] token or token_file, or point --node-home at the node's home",
			err, s.tokenOrigin)
	}
	return err
}

// maxTokenFile bounds a token file read.
const maxTokenFile = 4096

// privateClient builds the private API client with its token: --token or
// [default_node] token, else [default_node] token_file, else the file the
// node wrote, <node home>/config/api_token. A missing node file is not an
// error here: a node without a token accepts calls, and one with a token
// answers with a message that says how to give it.
func (s *Session) privateClient() (*api.Client, error) {
	if s.private != nil {
		return s.private, nil
	}
	token, origin := s.opts.Token, "from --token or [default_node] token"
	if token == "" {
		path, explicit := s.opts.TokenFile, true
		if path == "" {
			path, explicit = filepath.Join(s.opts.NodeHome, "config", "api_token"), false
		} else if !filepath.IsAbs(path) {
			path = filepath.Join(s.opts.Home, path)
		}
		t, err := readToken(path)
		switch {
		case err == nil:
			token, origin = t, "read from "+path
		case !explicit && errors.Is(err, fs.ErrNotExist):
			token, origin = "", "not found: "+path+" does not exist"
		default:
			return nil, fmt.Errorf("private API token: %w", err)
		}
	}
	s.tokenOrigin = origin
	c := api.NewClient(s.opts.PrivateURL(), token)
	if s.opts.PrivateCA != "" {
		tc, err := api.NewTLSClient(s.opts.PrivateURL(), token, s.opts.PrivateCA)
		if err != nil {
			return nil, fmt.Errorf("private API over TLS ([default_node] private_tls_ca or --private-tls-ca): %w", err)
		}
		c = tc
	}
	if token != "" {
		// Kept for the next commands; without a token the file is looked
		// for again, since a node started after the prompt writes it then.
		s.private = c
	}
	return c, nil
}

func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, maxTokenFile+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if n > maxTokenFile {
		return "", fmt.Errorf("%s: larger than %d bytes, not a token file", path, maxTokenFile)
	}
	t := strings.TrimSpace(string(buf[:n]))
	if t == "" {
		return "", fmt.Errorf("%s: empty token file", path)
	}
	return t, nil
}

// Wallet opens the wallet, asking for its password the first time: -p/--pwd,
// else $MASSA_CLIENT_PASSWORD, else the terminal (twice when the wallet is
// new). A missing wallet directory is created, as Massa's client does.
func (s *Session) Wallet() (*wallet.Wallet, error) {
	if s.wallet != nil {
		return s.wallet, nil
	}
	dir := s.opts.WalletDir
	exists, err := wallet.Exists(dir)
	if err != nil {
		return nil, err
	}
	prompt := "Wallet password: "
	if !exists {
		prompt = "No wallet in " + dir + " yet; choose its password: "
	}
	popts := wallet.PasswordOptions{
		Value:    s.opts.Password,
		EnvVars:  []string{wallet.EnvClientPassword},
		Prompt:   prompt,
		Confirm:  !exists,
		FlagName: "-p/--pwd",
	}
	pw, err := wallet.Password(popts)
	if err != nil {
		return nil, err
	}
	defer clear(pw)
	var w *wallet.Wallet
	if exists {
		w, err = wallet.Open(dir, pw)
	} else {
		w, err = wallet.Create(dir, pw)
		if err == nil {
			fmt.Fprintf(s.errOut, "Created a new wallet in %s\n", dir)
		}
	}
	if err != nil {
		return nil, err
	}
	s.wallet = w
	return w, nil
}

// checkChainID warns once when the node's chain differs from the one the
// user said to expect.
func (s *Session) checkChainID(nodeChain uint64) {
	if s.warnedChain || !s.opts.ChainIDSet || s.opts.ChainID == nodeChain {
		return
	}
	s.warnedChain = true
	s.warn("the node serves chain id %d, not %d as --chain-id or [default_node] chain_id says; operations are signed for the node's chain %d",
		nodeChain, s.opts.ChainID, nodeChain)
}
