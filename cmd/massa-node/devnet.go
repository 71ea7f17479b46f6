package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gomassa/gomassa/internal/node"
)

// runDevnet implements `massa-node devnet --nodes N`: it prepares N homes
// under <home>/devnet (one shared genesis, one staking key per node, every
// node listing the others as peers) and runs N node processes on
// 127.0.0.2, 127.0.0.3, … until Ctrl-C, which stops them all.
func runDevnet(home string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("massa-node devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("nodes", 4, "number of nodes")
	dir := fs.String("dir", filepath.Join(home, "devnet"), "devnet directory (one home per node)")
	threads := fs.Uint("threads", 0, "thread count (default Massa's 32)")
	t0 := fs.Uint64("t0", 0, "period length in ms (default Massa's 16000)")
	deltaF0 := fs.Uint64("delta-f0", 0, "finality fitness threshold (default Massa's 1088)")
	ppc := fs.Uint64("periods-per-cycle", 0, "periods per cycle (default Massa's 128)")
	prepareOnly := fs.Bool("prepare-only", false, "write the homes and exit without starting nodes")
	freePorts := fs.Bool("free-ports", false, "pick free ports instead of Massa's defaults (to run devnets side by side)")
	firstIP := fs.Int("first-ip", 2, "last byte of the first node's address 127.0.0.x")
	addNode := fs.Bool("add-node", false, "prepare one more node that joins the running devnet by bootstrapping from node 1 (not started)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addNode {
		nd, err := node.AddDevnetNode(*dir, *freePorts)
		if err != nil {
			fmt.Fprintln(stderr, "massa-node:", err)
			return 1
		}
		fmt.Fprintf(stdout, "node %d  %s  public API http://%s  P2P %s  bootstrap server %s\n  joins by bootstrapping from node 1; start it with:\n  massa-node --home %s --pwd-file %s\n",
			nd.Index, nd.NodeID, nd.PublicAPI, nd.P2P, nd.Bootstrap, nd.Home, filepath.Join(*dir, "staking_password"))
		return 0
	}
	d, err := node.PrepareDevnet(node.DevnetOptions{
		Dir: *dir, Nodes: *nodes, ThreadCount: uint8(*threads), T0: *t0, DeltaF0: *deltaF0,
		PeriodsPerCycle: *ppc, NowMS: uint64(time.Now().UnixMilli()), FreePorts: *freePorts, FirstIP: *firstIP,
	})
	if err != nil {
		fmt.Fprintln(stderr, "massa-node:", err)
		return 1
	}
	fmt.Fprintf(stdout, "devnet of %d nodes in %s (chain id %d; sandbox coins are worthless)\n", len(d.Nodes), *dir, d.ChainID)
	for _, n := range d.Nodes {
		fmt.Fprintf(stdout, "  node %d  %s  public API http://%s  private API http://%s  P2P %s\n           staker %s  key %s\n           log %s\n",
			n.Index, n.NodeID, n.PublicAPI, n.PrivateAPI, n.P2P, n.Staker, n.SecretKey, filepath.Join(n.Home, "node.log"))
	}
	if *prepareOnly {
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "massa-node: cannot find my own executable:", err)
		return 1
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	var cmds []*exec.Cmd
	var wg sync.WaitGroup
	exited := make(chan int, len(d.Nodes))
	for _, n := range d.Nodes {
		logf, err := os.OpenFile(filepath.Join(n.Home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "massa-node:", err)
			return 1
		}
		defer logf.Close()
		cmd := exec.Command(self, "--home", n.Home, "--pwd-file", d.PasswordFile)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			fmt.Fprintf(stderr, "massa-node: cannot start node %d: %v\n", n.Index, err)
			for _, c := range cmds {
				_ = c.Process.Signal(os.Interrupt)
			}
			return 1
		}
		cmds = append(cmds, cmd)
		wg.Add(1)
		go func(i int, c *exec.Cmd) {
			defer wg.Done()
			_ = c.Wait()
			exited <- i
		}(n.Index, cmd)
	}
	fmt.Fprintln(stdout, "running; press Ctrl-C to stop every node")
	select {
	case <-sigs:
	case i := <-exited:
		fmt.Fprintf(stderr, "node %d exited (see its node.log); stopping the others\n", i)
	}
	for _, c := range cmds {
		_ = c.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sigs:
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		<-done
	case <-time.After(30 * time.Second):
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		<-done
	}
	fmt.Fprintln(stdout, "devnet stopped")
	return 0
}
