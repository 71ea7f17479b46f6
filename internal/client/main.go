package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gomassa/gomassa/internal/version"
)

// IO is what the process gives the client.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Interactive is true when stdin and stdout are terminals: with no
	// command, the client then opens its prompt.
	Interactive bool
	Env         Env
	HomeDir     string // the user's home, for ~/.massa/...
}

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // bad flags or configuration
)

// Main runs massa-client with args (without the program name) and returns
// the exit code.
func Main(ctx context.Context, args []string, sio IO) int {
	if sio.Env == nil {
		sio.Env = func(string) string { return "" }
	}
	opts, err := ParseOptions(args, sio.Env, sio.HomeDir, sio.Stderr)
	if err != nil {
		if isHelp(err) {
			return ExitOK
		}
		var fe flagError
		switch {
		case errors.As(err, &fe):
			// the flag package has printed the error and the usage
		case opts != nil && opts.JSON:
			printError(sio.Stdout, sio.Stderr, true, err)
		default:
			fmt.Fprintf(sio.Stderr, "massa-client: %v\n", err)
		}
		return ExitUsage
	}
	s := NewSession(opts, sio.Stderr)
	if len(opts.Args) == 0 && sio.Interactive && !opts.JSON {
		return runREPL(ctx, s, sio)
	}
	cctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	r, err := s.Run(cctx, opts.Args)
	return s.emit(r, err, sio.Stdout, sio.Stderr)
}

// emit prints a command's outcome and returns the exit code.
func (s *Session) emit(r *Result, err error, stdout, stderr io.Writer) int {
	if err != nil {
		printError(stdout, stderr, s.opts.JSON, err)
		return ExitError
	}
	if r == nil {
		r = &Result{}
	}
	if s.opts.JSON {
		b, err := marshalJSON(r.JSON)
		if err != nil {
			printError(stdout, stderr, true, fmt.Errorf("encoding the result: %w", err))
			return ExitError
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return r.Code
	}
	if r.Human != nil {
		r.Human(NewPrinter(stdout, s.display))
	}
	return r.Code
}

// printError prints {"error": "..."} on stdout for --json (scripts read one
// stream), else "Error: ..." on stderr.
func printError(stdout, stderr io.Writer, asJSON bool, err error) {
	if asJSON {
		b, _ := marshalJSON(map[string]string{"error": err.Error()})
		fmt.Fprintf(stdout, "%s\n", b)
		return
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
}

func banner(s *Session) string {
	return fmt.Sprintf("massa-client (gomassa %s): node public API %s, private API %s, wallet %s.\nType \"help\" for the commands, \"exit\" or Ctrl-D to leave.",
		version.Gomassa, s.opts.PublicURL(), s.opts.PrivateURL(), s.opts.WalletDir)
}
