package wallet

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Environment variables that may carry a wallet password.
const (
	EnvPassword       = "MASSA_PASSWORD"        // node and client
	EnvClientPassword = "MASSA_CLIENT_PASSWORD" // massa-client's own variable
)

// maxPasswordFile bounds what is read from a password file.
const maxPasswordFile = 64 << 10

// promptAttempts is how many times an empty or unconfirmed password is asked again.
const promptAttempts = 3

// PasswordOptions lists where a password may come from, in the order they are
// tried. Empty values count as not given.
type PasswordOptions struct {
	// Value is an explicit password (flag -p/--pwd).
	Value string
	// EnvVars are environment variables tried in order, for example
	// {EnvPassword} for the node, {EnvClientPassword, EnvPassword} for the client.
	EnvVars []string
	// File is a path whose first line is the password.
	File string
	// Prompt is shown on the terminal; "Password: " when empty.
	Prompt string
	// Confirm asks twice on the terminal: set it when creating a wallet.
	Confirm bool
	// FlagName and FileFlagName name the caller's flags in the error given
	// when no source is available ("-p/--pwd", "--password-file").
	FlagName     string
	FileFlagName string

	// Tests replace the environment and the terminal.
	lookupEnv func(string) (string, bool)
	tty       passwordTerminal
}

// passwordTerminal reads a password without echo.
type passwordTerminal interface {
	isTerminal() bool
	readPassword(prompt string) ([]byte, error)
}

// Password returns the password from the first source of opts that gives
// one: Value, then EnvVars, then File, then a prompt on the terminal (stdin)
// without echo, twice when Confirm is set. With no source and no terminal
// the error wraps ErrNoPassword and says how to give one.
func Password(opts PasswordOptions) ([]byte, error) {
	if opts.Value != "" {
		return []byte(opts.Value), nil
	}
	lookup := opts.lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	for _, name := range opts.EnvVars {
		if v, ok := lookup(name); ok && v != "" {
			return []byte(v), nil
		}
	}
	if opts.File != "" {
		return passwordFromFile(opts.File)
	}
	tty := opts.tty
	if tty == nil {
		tty = stdinTerminal{}
	}
	if !tty.isTerminal() {
		return nil, noPasswordError(opts)
	}
	return promptPassword(tty, opts)
}

// passwordFromFile returns the first line of path, without its line ending.
func passwordFromFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile))
	if err != nil {
		return nil, fmt.Errorf("password file %s: %w", path, err)
	}
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	out := bytes.Clone(line)
	clear(data)
	if len(out) == 0 {
		return nil, fmt.Errorf("password file %s: %w: its first line is empty", path, ErrEmptyPassword)
	}
	return out, nil
}

func promptPassword(tty passwordTerminal, opts PasswordOptions) ([]byte, error) {
	prompt := opts.Prompt
	if prompt == "" {
		prompt = "Password: "
	}
	var lastErr error
	for range promptAttempts {
		pw, err := tty.readPassword(prompt)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if len(pw) == 0 {
			lastErr = ErrEmptyPassword
			continue
		}
		if !opts.Confirm {
			return pw, nil
		}
		again, err := tty.readPassword("Confirm password: ")
		if err != nil {
			clear(pw)
			return nil, fmt.Errorf("read password: %w", err)
		}
		same := subtle.ConstantTimeCompare(pw, again) == 1
		clear(again)
		if same {
			return pw, nil
		}
		clear(pw)
		lastErr = ErrPasswordMismatch
	}
	return nil, fmt.Errorf("password: %w (asked %d times)", lastErr, promptAttempts)
}

func noPasswordError(opts PasswordOptions) error {
	flag := opts.FlagName
	if flag == "" {
		flag = "-p/--pwd"
	}
	ways := []string{"pass " + flag}
	if len(opts.EnvVars) > 0 {
		ways = append(ways, "set the environment variable "+strings.Join(opts.EnvVars, " or "))
	}
	if opts.FileFlagName != "" {
		ways = append(ways, "give a file holding it with "+opts.FileFlagName)
	} else {
		ways = append(ways, "give a file holding it")
	}
	return fmt.Errorf("%w and no terminal to ask for it: %s", ErrNoPassword, strings.Join(ways, ", or "))
}

// stdinTerminal prompts on stderr, so that stdout stays clean for --json
// output, and reads from stdin with echo off.
type stdinTerminal struct{}

func (stdinTerminal) isTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

func (stdinTerminal) readPassword(prompt string) ([]byte, error) {
	fmt.Fprint(os.Stderr, prompt)
	pw, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr) // the user's Enter was not echoed
	return pw, err
}
