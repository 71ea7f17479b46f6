// Command massa-node runs a gomassa node. With no configuration it starts a
// sandbox: a one-node local chain with a funded staking key.
//
//	massa-node [--home DIR] [--sandbox-secret-key S…] [-p PASSWORD]   run the node
//	massa-node config dump [--home DIR]                                 print the effective configuration
//	massa-node version                                                  print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func defaultHome() string {
	if h := os.Getenv("MASSA_NODE_HOME"); h != "" {
		return h
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".massa-node"
	}
	return filepath.Join(dir, ".massa", "node")
}

// run is the command: it returns the exit code, writing the node's log and
// results to stdout and every error, as one line, to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("massa-node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", defaultHome(), "node home directory (config, keys, storage)")
	sandboxKey := fs.String("sandbox-secret-key", "", "sandbox: use this staking secret key (S…) instead of a new one")
	pwd := fs.String("pwd", "", "staking wallet password (or env MASSA_PASSWORD, or --pwd-file)")
	fs.StringVar(pwd, "p", "", "shorthand for --pwd")
	pwdFile := fs.String("pwd-file", "", "file whose first line is the staking wallet password")
	genesis := fs.String("genesis", "", "genesis file of a private network (default <home>/config/genesis.json)")
	logLevel := fs.String("log-level", "", "log level: error, warn, info, debug (overrides [logging] level)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: massa-node [flags]\n       massa-node config dump [--home DIR]\n       massa-node devnet --nodes N [--threads T --t0 MS --delta-f0 F]\n       massa-node devnet --add-node [--free-ports]\n       massa-node version\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion || (fs.NArg() > 0 && fs.Arg(0) == "version") {
		fmt.Fprintf(stdout, "massa-node gomassa %s (%s)\n", version.Gomassa, version.String("MAIN"))
		return 0
	}
	opts := node.Options{
		Home:             *home,
		SandboxSecretKey: *sandboxKey,
		Password:         *pwd,
		PasswordFile:     *pwdFile,
		GenesisPath:      *genesis,
		LogLevel:         *logLevel,
		Stdout:           stdout,
	}
	if fs.NArg() > 0 {
		switch {
		case fs.Arg(0) == "devnet":
			return runDevnet(*home, fs.Args()[1:], stdout, stderr)
		case fs.Arg(0) == "config" && fs.NArg() >= 2 && fs.Arg(1) == "dump":
			cfg, err := config.Load(*home)
			if err != nil {
				fmt.Fprintln(stderr, "massa-node:", err)
				return 1
			}
			if err := config.Dump(stdout, cfg); err != nil {
				fmt.Fprintln(stderr, "massa-node:", err)
				return 1
			}
			return 0
		default:
			fmt.Fprintf(stderr, "massa-node: unknown command %q (try massa-node -h)\n", fs.Arg(0))
			return 2
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first signal stops the node cleanly, a second one forces exit.
	// done ends the watcher when run returns (tests call run in-process).
	done := make(chan struct{})
	defer close(done)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "stopping (press Ctrl-C again to force)")
		cancel()
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "forced stop")
		os.Exit(130)
	}()

	n, err := node.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "massa-node:", err)
		return 1
	}
	// The error is printed once, on stderr (the node's log, on stdout,
	// has its own record of the stop).
	if err := n.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "massa-node:", err)
		return 1
	}
	return 0
}
