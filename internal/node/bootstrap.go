package node

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/gomassa/gomassa/internal/bootstrap"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
)

// Joining a running network (spec/protocol.md §7): a node whose store is
// empty (or holds an unfinished bootstrap) and whose config lists
// bootstrap servers loads the final state and final blocks from one of
// them instead of writing the genesis state; the genesis file still gives
// the network parameters. The rest of the start is the restart path:
// consensus rebuilds its graph from the latest final blocks and execution
// replays the final blocks after the loaded slot; P2P then catches up.
// Every non-sandbox node with [bootstrap] bind set serves bootstraps.

// bootState is what the node keeps about bootstrap between start steps
// and across desynchronization restarts.
type bootState struct {
	// peers came with the last bootstrap, for the P2P service once started.
	peers []protocol.PeerListeners
	// server serves bootstraps to others (nil when [bootstrap] bind is
	// empty, or in a sandbox).
	server *bootstrap.Server
	// desync is the desynchronization watch (desync.go).
	desync desyncState
	// resyncs counts re-bootstraps after desynchronization.
	resyncs int
}

// bootstrapServers parses [bootstrap] bootstrap_list (validated at load)
// and keeps the servers [bootstrap] bootstrap_protocol allows.
func (n *Node) bootstrapServers() ([]bootstrap.ServerAddr, error) {
	var out []bootstrap.ServerAddr
	for i, e := range n.cfg.Bootstrap.BootstrapList {
		if len(e) != 2 {
			return nil, fmt.Errorf("%s: [bootstrap] bootstrap_list[%d] must be a pair [\"ip:port\", \"N…node id\"]", n.cfg.File, i)
		}
		ap, err := netip.ParseAddrPort(e[0])
		if err != nil {
			return nil, fmt.Errorf("%s: [bootstrap] bootstrap_list[%d]: %q: %w", n.cfg.File, i, e[0], err)
		}
		id, err := crypto.ParseNodeID(e[1])
		if err != nil {
			return nil, fmt.Errorf("%s: [bootstrap] bootstrap_list[%d]: node id %q: %w", n.cfg.File, i, e[1], err)
		}
		ip := ap.Addr().Unmap()
		switch n.cfg.Bootstrap.BootstrapProtocol {
		case "IPv4":
			if !ip.Is4() {
				continue
			}
		case "IPv6":
			if ip.Is4() {
				continue
			}
		}
		out = append(out, bootstrap.ServerAddr{Addr: netip.AddrPortFrom(ip, ap.Port()), ID: id})
	}
	return out, nil
}

func (n *Node) bootstrapLimits() bootstrap.Limits {
	return bootstrap.DefaultLimits(n.params.ThreadCount)
}

// bootstrapIfNeeded runs the bootstrap client when the store has no final
// state and servers are listed; it returns with the store holding the
// final state of some slot and the block database its final blocks.
// Called by start before the genesis state would be written.
func (n *Node) bootstrapIfNeeded() error {
	if _, ok := n.store.FinalSlot(); ok {
		return nil
	}
	_, loading := n.store.LoadInProgress()
	if len(n.cfg.Bootstrap.BootstrapList) == 0 {
		if loading {
			return fmt.Errorf("%s holds an unfinished bootstrap but [bootstrap] bootstrap_list in %s is empty: list the bootstrap servers again to finish it, or delete %s to start from the genesis",
				n.storageDir(), n.cfg.File, n.storageDir())
		}
		return nil
	}
	if now := n.clk.NowMS(); now < n.params.GenesisTimestamp && !loading {
		// Massa: no bootstrap before genesis, every node starts from it.
		n.log.Info("the network has not started yet: starting from the genesis file, not bootstrapping", "genesis_in", time.Duration(n.params.GenesisTimestamp-now)*time.Millisecond)
		return nil
	}
	servers, err := n.bootstrapServers()
	if err != nil {
		return err
	}
	if len(servers) == 0 {
		return fmt.Errorf("%s: no server of [bootstrap] bootstrap_list uses %s addresses ([bootstrap] bootstrap_protocol)", n.cfg.File, n.cfg.Bootstrap.BootstrapProtocol)
	}
	v, err := protocol.ParseVersion(n.version)
	if err != nil {
		return err
	}
	bc := n.cfg.Bootstrap
	pub := n.nodeKey.Public()
	cfg := bootstrap.ClientConfig{
		Servers:           servers,
		Version:           v,
		Limits:            n.bootstrapLimits(),
		LastStartPeriod:   n.params.LastStartPeriod,
		ConnectTimeout:    bc.ConnectTimeout.Duration(),
		ReadTimeout:       bc.ReadTimeout.Duration(),
		WriteTimeout:      bc.WriteTimeout.Duration(),
		ReadErrorTimeout:  bc.ReadErrorTimeout.Duration(),
		WriteErrorTimeout: bc.WriteErrorTimeout.Duration(),
		MaxPing:           bc.MaxPing.Duration(),
		MaxClockDelta:     bc.MaxClockDelta.Duration(),
		RetryDelay:        bc.RetryDelay.Duration(),
		RateLimit:         bc.RateLimit,
		// Each node tries the list in its own order, the same across
		// restarts.
		Seed:       binary.BigEndian.Uint64(pub[:8]),
		ConfigFile: n.cfg.File,
		Now:        n.clk.Now,
		Logger:     n.log,
	}
	printer := bootstrap.NewProgressPrinter(n.opts.Stdout, isTerminal(n.opts.Stdout), n.log)
	cfg.OnProgress = printer.Update
	n.log.Info("joining the network: bootstrapping from trusted nodes", "servers", len(servers), "resuming", loading)
	res, err := bootstrap.Run(n.runCtx, cfg, n.store, bootstrapBlocks{n})
	printer.Done()
	if err != nil {
		if n.runCtx.Err() != nil {
			return n.runCtx.Err()
		}
		return fmt.Errorf("bootstrap failed: %w", err)
	}
	n.boot.peers = res.Peers
	mbps := 0.0
	if s := res.Duration.Seconds(); s > 0 {
		mbps = float64(res.Bytes) / 1e6 / s
	}
	n.log.Info("bootstrap finished",
		"server", res.Server.String(), "node_id", res.Server.ID.NodeID(),
		"final_slot", res.Slot, "state_fingerprint", res.Fingerprint,
		"entries", res.Entries, "mb", fmt.Sprintf("%.1f", float64(res.Bytes)/1e6),
		"final_blocks", res.Blocks, "peers", len(res.Peers), "resumed", res.Resumed,
		"duration", res.Duration.Round(time.Millisecond), "mb_per_s", fmt.Sprintf("%.1f", mbps))
	return nil
}

// isTerminal reports whether w is a terminal (the progress bar is drawn
// in place there; elsewhere progress goes to the log).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startBootstrapServer hands the peers of the last bootstrap to the P2P
// service and starts serving bootstraps on [bootstrap] bind. A sandbox
// never serves: its chain is nobody else's. Called by start once the P2P
// service runs.
func (n *Node) startBootstrapServer() error {
	if len(n.boot.peers) > 0 {
		if l, ok := n.net.(interface {
			LearnPeers([]protocol.PeerListeners)
		}); ok {
			l.LearnPeers(n.boot.peers)
		}
		n.boot.peers = nil
	}
	bc := n.cfg.Bootstrap
	if bc.Bind == "" || n.sandbox {
		return nil
	}
	v, err := protocol.ParseVersion(n.version)
	if err != nil {
		return err
	}
	scfg := bootstrap.ServerConfig{
		Bind:              bc.Bind,
		Key:               n.nodeKey,
		Version:           v,
		Limits:            n.bootstrapLimits(),
		LastStartPeriod:   n.params.LastStartPeriod,
		MaxSimultaneous:   int(bc.MaxSimultaneousBootstraps),
		PerIPMinInterval:  bc.PerIPMinInterval.Duration(),
		IPListMaxSize:     int(bc.IPListMaxSize),
		WhitelistPath:     n.cfg.Path(bc.BootstrapWhitelistPath),
		BlacklistPath:     n.cfg.Path(bc.BootstrapBlacklistPath),
		CacheDuration:     bc.CacheDuration.Duration(),
		ReadTimeout:       bc.ReadTimeout.Duration(),
		WriteTimeout:      bc.WriteTimeout.Duration(),
		ReadErrorTimeout:  bc.ReadErrorTimeout.Duration(),
		WriteErrorTimeout: bc.WriteErrorTimeout.Duration(),
		SessionTimeout:    bc.BootstrapTimeout.Duration(),
		RateLimit:         bc.RateLimit,
		Now:               n.clk.Now,
		Logger:            n.log,
	}
	deps := bootstrap.ServerDeps{State: bootstrap.StoreSource{Store: n.store}, Blocks: bootstrapBlocks{n}}
	if ps, ok := n.net.(bootstrap.PeerSource); ok {
		deps.Peers = ps
	}
	srv, err := bootstrap.NewServer(scfg, deps)
	if err != nil {
		return err
	}
	if err := srv.Start(n.runCtx); err != nil {
		return fmt.Errorf("cannot start the bootstrap server on %s ([bootstrap] bind in %s): %w", bc.Bind, n.cfg.File, err)
	}
	n.boot.server = srv
	n.closers = append(n.closers, func() error {
		n.boot.server = nil
		return srv.Stop()
	})
	return nil
}

// BootstrapAddr is the bound bootstrap server address, or "" when the node
// serves no bootstrap (tests use port 0).
func (n *Node) BootstrapAddr() string {
	if n.boot.server == nil {
		return ""
	}
	return n.boot.server.Addr().String()
}

// storageDir is where the state and block databases live.
func (n *Node) storageDir() string { return storageDirOf(n.opts.Home) }
