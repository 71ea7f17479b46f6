// Command massa-client is the operator's client: wallet, operations and node
// administration over the node's JSON-RPC API. With no command on a terminal
// it opens an interactive prompt; otherwise it runs one command and exits.
//
//	massa-client [flags] [COMMAND [ARGS...]]
//	massa-client help
package main

import (
	"context"
	"os"

	"golang.org/x/term"

	"github.com/gomassa/gomassa/internal/client"
)

func main() {
	home, _ := os.UserHomeDir()
	os.Exit(client.Main(context.Background(), os.Args[1:], client.IO{
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
		Env:         os.Getenv,
		HomeDir:     home,
	}))
}
