package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/peterh/liner"

	"github.com/gomassa/gomassa/internal/types"
)

// historyFile is the REPL history, in the client home.
const historyFile = ".massa_history"

// runREPL is the interactive prompt: line editing, history (without the
// lines that carry secrets), completion of command names, quoted arguments.
func runREPL(ctx context.Context, s *Session, sio IO) int {
	line := liner.NewLiner()
	defer line.Close()
	line.SetCtrlCAborts(true)
	line.SetCompleter(Complete)
	histPath := filepath.Join(s.opts.Home, historyFile)
	if f, err := os.Open(histPath); err == nil {
		_, _ = line.ReadHistory(f)
		f.Close()
	}
	fmt.Fprintln(sio.Stdout, banner(s))
	for {
		text, err := line.Prompt("command > ")
		if errors.Is(err, liner.ErrPromptAborted) {
			continue
		}
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(sio.Stdout)
			return ExitOK
		}
		if err != nil {
			fmt.Fprintf(sio.Stderr, "Error: reading the command line: %v\n", err)
			return ExitError
		}
		argv, err := SplitArgs(text)
		if err != nil {
			printError(sio.Stdout, sio.Stderr, false, err)
			continue
		}
		if len(argv) == 0 {
			continue
		}
		if Recordable(argv) {
			line.AppendHistory(text)
			if err := saveHistory(line, s.opts.Home, histPath); err != nil {
				fmt.Fprintf(sio.Stderr, "WARNING: history not saved: %v\n", err)
			}
		}
		if name := strings.ToLower(argv[0]); name == "exit" || name == "quit" {
			return ExitOK
		}
		// Ctrl-C while a command runs cancels that command, not the prompt.
		cctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		r, err := s.Run(cctx, argv)
		stop()
		s.emit(r, err, sio.Stdout, sio.Stderr)
	}
}

// saveHistory rewrites the history file (0600: it shows what was typed).
func saveHistory(line *liner.State, home, path string) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := line.WriteHistory(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Recordable reports whether a command line may go into the history file:
// not the commands that carry or print secret keys, and not any line with
// an argument that parses as a secret key (a mistyped command name must not
// leak one either).
func Recordable(argv []string) bool {
	if len(argv) == 0 || IsSecretCommand(argv[0]) {
		return false
	}
	for _, a := range argv {
		if _, err := types.ParseSecretKeyDisplay(a); err == nil {
			return false
		}
	}
	return true
}

// Complete completes the command name being typed (also after "help"), and
// wallet_info's one option. It returns whole lines, as liner expects.
func Complete(line string) []string {
	trimmed := strings.TrimLeft(line, " ")
	fields := strings.Fields(trimmed)
	endsWithSpace := strings.HasSuffix(trimmed, " ")
	var prefix, head string
	switch {
	case len(fields) == 0:
		prefix = ""
	case len(fields) == 1 && !endsWithSpace:
		prefix = fields[0]
	case strings.EqualFold(fields[0], "help") && (len(fields) == 1 || (len(fields) == 2 && !endsWithSpace)):
		head = "help "
		if len(fields) == 2 {
			prefix = fields[1]
		}
	case strings.EqualFold(fields[0], "wallet_info") && (len(fields) == 1 || (len(fields) == 2 && !endsWithSpace)):
		opt := "show-all-keys"
		if len(fields) == 2 && !strings.HasPrefix(opt, fields[1]) {
			return nil
		}
		return []string{"wallet_info " + opt}
	default:
		return nil
	}
	var out []string
	for _, n := range CommandNames() {
		if strings.HasPrefix(n, strings.ToLower(prefix)) {
			out = append(out, head+n)
		}
	}
	sort.Strings(out)
	return out
}

// SplitArgs splits an interactive line into arguments. Spaces separate
// arguments; '…' keeps everything literally; "…" keeps spaces and honours
// \" and \\; outside quotes a backslash escapes the next character.
func SplitArgs(line string) ([]string, error) {
	var (
		out     []string
		cur     strings.Builder
		inArg   bool
		quote   rune
		escaped bool
	)
	for _, r := range line {
		switch {
		case escaped:
			if quote == '"' && r != '"' && r != '\\' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == '\\':
			escaped, inArg = true, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%w: a %c is not closed", ErrQuote, quote)
	}
	if escaped {
		cur.WriteRune('\\')
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out, nil
}
