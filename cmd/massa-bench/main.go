// Command massa-bench measures a node under a transfer load: sustained
// final throughput, submission-to-finality latency, the node's peak memory
// and CPU, and the machine's raw ed25519 verification rates, for Massa's
// block caps ("mainnet") and for lifted caps that show the node's own
// ceiling ("lifted"). See BENCHMARKS.md.
//
//	massa-bench [--params mainnet,lifted] [--rate N] [--duration 90s] [--json]
//	massa-bench --rpc http://host:33035 --secret-key S… [--node-pid PID --metrics-url http://host:31248]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gomassa/gomassa/internal/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	d := bench.DefaultOptions()
	fs := flag.NewFlagSet("massa-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	params := fs.String("params", "mainnet,lifted", "parameter sets to run, comma-separated: mainnet (Massa's block caps), lifted (caps far above one node's speed)")
	nodeBin := fs.String("node-bin", "", "massa-node binary to start (default: build ./cmd/massa-node of this module)")
	home := fs.String("home", "", "home of the sandbox node (default: a temporary directory; must hold no chain)")
	keep := fs.Bool("keep-home", false, "keep the temporary directory (node home, profile) after the run")
	rpc := fs.String("rpc", "", "public API URL of a running node to load instead of starting one")
	secret := fs.String("secret-key", "", "with --rpc: secret key (S…) whose coins fund the senders")
	pid := fs.Int("node-pid", 0, "with --rpc: pid of the node process, for memory and CPU figures")
	metricsURL := fs.String("metrics-url", "", "with --rpc: base URL of the node's [metrics] server, for the CPU profile")
	rate := fs.Float64("rate", -1, "operations per second to send; 0 = as fast as the node accepts (default: the cap for mainnet, 0 for lifted)")
	fs.DurationVar(&d.Duration, "duration", d.Duration, "how long the load lasts, per parameter set")
	fs.IntVar(&d.Batch, "batch", d.Batch, "operations per send_operations call")
	fs.IntVar(&d.Conns, "conns", d.Conns, "concurrent HTTP connections")
	fs.IntVar(&d.Senders, "senders", d.Senders, "sender addresses, spread evenly over the threads")
	fs.IntVar(&d.MaxOps, "max-ops", 0, "operations to pre-sign for --rate 0 (default 10,000 per second of load)")
	fs.IntVar(&d.MaxPool, "max-pool", d.MaxPool, "with --rate 0: pause sending while the node's pool holds this many operations (0: never)")
	threads := fs.Uint("threads", uint(d.Threads), "thread count of the sandbox network")
	fs.Uint64Var(&d.T0, "t0", d.T0, "t0 of the sandbox network, ms")
	fs.Uint64Var(&d.DeltaF0, "delta-f0", 0, "delta_f0 of the sandbox network (default Massa's 64 x (endorsements + 1): final after 65 blocks)")
	fs.Uint64Var(&d.Seed, "seed", d.Seed, "seed of the sender and staker keys")
	fs.DurationVar(&d.VerifyTime, "verify-time", d.VerifyTime, "length of each raw verification measurement (0 skips them)")
	fs.IntVar(&d.ProfileSeconds, "profile-seconds", d.ProfileSeconds, "length of the node CPU profile taken during the load (0: none)")
	fs.StringVar(&d.ProfileDir, "profile-dir", "", "save the node's profiles here, as massa-bench-<params>-{cpu,heap}.pprof (default: the system's temporary directory)")
	fs.IntVar(&d.LatencySamples, "samples", d.LatencySamples, "operations whose finality latency is measured")
	fs.DurationVar(&d.Drain, "drain", d.Drain, "longest wait for the accepted operations to become final after the load")
	nodeLog := fs.String("node-log", "", "append the sandbox node's output to this file")
	asJSON := fs.Bool("json", false, "print the reports as JSON ({\"runs\": [...]}) instead of a table")
	jsonOut := fs.String("json-out", "", "also write the JSON reports to this file")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: massa-bench [flags]\n\nStarts a sandbox node (or targets --rpc), loads it with pre-signed transfers and reports\nfinal throughput, finality latency, node memory and CPU, and raw verification rates.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "massa-bench: unexpected argument %q (try -h)\n", fs.Arg(0))
		return 2
	}
	if *threads == 0 || *threads > 128 {
		fmt.Fprintln(stderr, "massa-bench: --threads: want 2 to 128")
		return 2
	}
	d.Threads = uint8(*threads)
	d.NodeBin, d.Home, d.KeepHome = *nodeBin, *home, *keep
	d.RPC, d.SecretKey, d.NodePID, d.MetricsURL = *rpc, *secret, *pid, *metricsURL
	if !*quiet {
		d.Log = stderr
	}
	if *nodeLog != "" {
		f, err := os.OpenFile(*nodeLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "massa-bench:", err)
			return 1
		}
		defer f.Close()
		d.NodeLog = f
	}
	if d.ProfileDir != "" {
		if err := os.MkdirAll(d.ProfileDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "massa-bench:", err)
			return 1
		}
	}
	if d.NodeBin == "" && d.RPC == "" {
		root, err := moduleRoot()
		if err != nil {
			fmt.Fprintln(stderr, "massa-bench:", err)
			return 1
		}
		d.ModuleRoot = root
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var reports []*bench.Report
	code := 0
	for _, name := range strings.Split(*params, ",") {
		o := d
		o.Params = strings.TrimSpace(name)
		switch {
		case *rate >= 0:
			o.Rate = *rate
		case o.Params == bench.ParamsMainnet:
			o.Rate = -1 // the cap, computed by the run
		default:
			o.Rate = 0
		}
		r, err := bench.Run(ctx, o)
		if err != nil {
			fmt.Fprintf(stderr, "massa-bench: %s: %v\n", o.Params, err)
			code = 1
			if ctx.Err() != nil {
				break
			}
			continue
		}
		reports = append(reports, r)
		if !*asJSON {
			if err := r.WriteTable(stdout); err != nil {
				return 1
			}
			fmt.Fprintln(stdout)
		}
	}
	doc, err := json.MarshalIndent(map[string]any{"runs": reports}, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "massa-bench:", err)
		return 1
	}
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", doc)
	}
	if *jsonOut != "" {
		if err := os.WriteFile(*jsonOut, append(doc, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "massa-bench:", err)
			return 1
		}
	}
	return code
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the gomassa tree, or give --node-bin")
		}
		dir = parent
	}
}
