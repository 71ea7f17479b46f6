package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// Desynchronization (spec/protocol.md §1.10). A node that has seen no
// block from the network become final for desyncThreshold (Massa: two
// cycles, counted from the start) has fallen off the network: its
// consensus cannot follow the others any more. For the first half of the
// threshold nothing is done; in the second half the node asks its peers
// again, once per period, for every block consensus is missing, and warns;
// past the threshold, a node with bootstrap servers re-bootstraps: the main
// loop returns errDesynchronized, Run stops every component, deletes the
// state and block databases (keys, config, staking wallet and peer book
// stay) and starts again in the same process, which bootstraps since the
// store is empty. A node without bootstrap servers (a devnet node, a
// network's first nodes) only warns. A sandbox never desynchronizes: every
// block is its own.

// errDesynchronized makes Run restart the node through a new bootstrap.
var errDesynchronized = errors.New("node: desynchronized from the network")

// desyncState is the watch's memory between slots.
type desyncState struct {
	askedAt uint64 // last time peers were asked again (ms)
	warned  bool   // the catch-up warning was given for this episode
	alone   uint64 // last time a node without bootstrap servers was warned
}

// desyncThreshold is [consensus] desync_threshold, or two cycles.
func (n *Node) desyncThreshold() uint64 {
	if v := n.cfg.Consensus.DesyncThreshold; v > 0 {
		return uint64(v)
	}
	return 2 * n.params.PeriodsPerCycle * n.params.T0
}

// checkDesync runs the watch at time now; called by step after the slot's
// work. It returns errDesynchronized (wrapped) when the node must
// re-bootstrap.
func (n *Node) checkDesync(now uint64) error {
	if n.sandbox || n.graph == nil {
		return nil
	}
	th := n.desyncThreshold()
	since := n.startMS
	n.mu.RLock()
	last, ok := n.graph.LastFinalFromNetworkSlot()
	n.mu.RUnlock()
	if ok {
		since = max(since, n.cp.SlotTimestamp(last))
	}
	if now <= since {
		return nil
	}
	stale := now - since
	d := &n.boot.desync
	if stale < th/2 {
		if d.warned {
			n.log.Info("blocks from the network are becoming final again")
		}
		*d = desyncState{}
		return nil
	}
	staleFor := time.Duration(stale) * time.Millisecond
	if stale < th {
		if now-d.askedAt < n.params.T0 {
			return nil
		}
		d.askedAt = now
		n.mu.RLock()
		wishes := n.graph.Wishlist()
		n.mu.RUnlock()
		ids := make([]types.BlockID, 0, len(wishes))
		for _, w := range wishes {
			ids = append(ids, w.ID)
		}
		if n.net != nil && len(ids) > 0 {
			n.net.AskBlocks(ids)
		}
		if !d.warned {
			d.warned = true
			n.log.Warn("no block from the network became final lately: asking peers again for the blocks consensus misses",
				"for", staleFor.Round(time.Second), "missing_blocks", len(ids), "peers", n.peerCount(),
				"rebootstrap_in", (time.Duration(th-stale) * time.Millisecond).Round(time.Second))
		}
		return nil
	}
	if len(n.cfg.Bootstrap.BootstrapList) == 0 {
		if d.alone == 0 || now-d.alone >= th {
			d.alone = now
			n.log.Warn("this node looks desynchronized (no block from the network became final lately) and has no [bootstrap] bootstrap_list to re-bootstrap from: check its peers and clock, or restart it",
				"for", staleFor.Round(time.Second), "peers", n.peerCount(), "config", n.cfg.File)
		}
		return nil
	}
	return fmt.Errorf("%w: no block from the network became final for %s (threshold %s, [consensus] desync_threshold)",
		errDesynchronized, staleFor.Round(time.Second), (time.Duration(th) * time.Millisecond).Round(time.Second))
}

func (n *Node) peerCount() int {
	if n.net == nil {
		return 0
	}
	return len(n.net.Peers())
}

// storageDirOf is the storage directory of a home.
func storageDirOf(home string) string { return filepath.Join(home, "storage") }

// resync prepares a restart after desynchronization: the components are
// stopped; the state and block databases are deleted so that the next
// start bootstraps. Keys, config, staking wallet and peer book are kept.
func (n *Node) resync(cause error) error {
	n.boot.resyncs++
	n.boot.desync = desyncState{}
	dir := n.storageDir()
	n.log.Warn("desynchronized: deleting the local chain and bootstrapping again", "cause", cause, "storage", dir, "resync", n.boot.resyncs)
	for _, sub := range []string{"ledger", "blocks"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("cannot delete %s to re-bootstrap: %w", filepath.Join(dir, sub), err)
		}
	}
	return nil
}
