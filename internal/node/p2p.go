package node

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/internal/version"
)

// incomingCap bounds the blocks and headers waiting for the main loop; past
// it new ones are dropped (the protocol asks again for what consensus still
// wishes).
const incomingCap = 4096

// incoming is a header or a full block received from a peer, queued for
// the main loop (the only goroutine that touches consensus and execution).
type incoming struct {
	from   protocol.PeerID
	header *types.SignedHeader
	block  *types.Block
	ops    []*types.SignedOperation
}

// Network is what the node asks of its peer-to-peer layer; the TCP
// protocol service implements it, and so does the simulated network.
type Network interface {
	AnnounceBlock(h *types.SignedHeader)
	PropagateOperations(ops []*types.SignedOperation)
	PropagateEndorsements(es []*types.SignedEndorsement)
	AskBlocks(ids []types.BlockID)
	CancelBlocks(ids []types.BlockID)
	Ban(id protocol.PeerID)
	Unban(id protocol.PeerID)
	BanIP(ip netip.Addr)
	UnbanIP(ip netip.Addr)
	Peers() map[protocol.PeerID]protocol.PeerInfo
	Stats() protocol.Stats
}

var _ Network = (*protocol.Service)(nil)

// startNetwork builds and starts the peer-to-peer service.
func (n *Node) startNetwork() error {
	n.incoming = make(chan incoming, incomingCap)
	if n.opts.Network != nil {
		nw, err := n.opts.Network(n.nodeKey, netHandler{n})
		if err != nil {
			return fmt.Errorf("network: %w", err)
		}
		n.net = nw
		return nil
	}
	pc := protocol.DefaultConfig()
	nc := n.cfg.Network
	pc.Bind = nc.Bind
	if nc.RoutableIP != "" {
		ip, err := netip.ParseAddr(nc.RoutableIP)
		if err != nil {
			return fmt.Errorf("%s: [network] routable_ip = %q is not an IP address", n.cfg.File, nc.RoutableIP)
		}
		pc.RoutableIP = ip
	}
	if nc.MaxInConnections > 0 {
		pc.MaxIn = int(nc.MaxInConnections)
	}
	if nc.MaxInConnectionsPerIP > 0 {
		pc.MaxInPerIP = int(nc.MaxInConnectionsPerIP)
	}
	if nc.TargetOutConnections > 0 {
		pc.TargetOut = int(nc.TargetOutConnections)
	}
	if nc.MaxOperationsPerMessage > 0 {
		pc.MaxOperationsPerMessage = nc.MaxOperationsPerMessage
	}
	pc.AllowLocalPeers = nc.AllowLocalPeers
	if path := n.cfg.Path(nc.InitialPeersFile); path != "" {
		peers, err := protocol.LoadInitialPeers(path)
		switch {
		case err == nil:
			pc.InitialPeers = peers
			for _, p := range peers {
				a := p.Addr.Addr()
				if a.IsLoopback() || a.IsPrivate() {
					// Peers the operator listed by hand are trusted even on
					// local addresses (a devnet on 127.0.0.x).
					pc.AllowLocalPeers = true
				}
			}
		case errors.Is(err, fs.ErrNotExist):
		default:
			return fmt.Errorf("%s ([network] initial_peers_file): %w", path, err)
		}
	}
	pc.PeerBookPath = filepath.Join(n.opts.Home, "peers.json")
	v, err := protocol.ParseVersion(version.String(n.params.NetworkPrefix))
	if err != nil {
		return err
	}
	pc.Version = v
	pc.ChainID = n.params.ChainID
	pc.Codec = n.codec
	svc, err := protocol.New(pc, protocol.Deps{Key: n.nodeKey, Handler: netHandler{n}, Verifier: n.verifier, Logger: n.log})
	if err != nil {
		return fmt.Errorf("peer-to-peer network: %w", err)
	}
	if err := svc.Start(n.runCtx); err != nil {
		return fmt.Errorf("cannot start the peer-to-peer network on %s ([network] bind): %w", pc.Bind, err)
	}
	n.net = svc
	n.closers = append(n.closers, svc.Stop)
	return nil
}

// netHandler receives what peers send. Its methods run on the protocol's
// loop and must return quickly: blocks and headers are queued for the main
// loop; operations and endorsements go to the (thread-safe) pools.
type netHandler struct{ n *Node }

func (h netHandler) queue(in incoming) {
	select {
	case h.n.incoming <- in:
		h.n.kick()
	default:
		h.n.log.Warn("too many blocks waiting for consensus; dropping one from the network", "from", in.from)
	}
}

func (h netHandler) OnHeader(from protocol.PeerID, sh *types.SignedHeader) {
	h.queue(incoming{from: from, header: sh})
}

func (h netHandler) OnBlock(from protocol.PeerID, b *types.Block, ops []*types.SignedOperation) {
	h.queue(incoming{from: from, block: b, ops: ops})
}

func (h netHandler) OnOperations(from protocol.PeerID, ops []*types.SignedOperation) {
	var accepted []*types.SignedOperation
	for _, op := range ops {
		if err := h.n.opPool.Add(op); err == nil {
			accepted = append(accepted, op)
		}
	}
	if len(accepted) > 0 {
		h.n.net.PropagateOperations(accepted)
	}
}

func (h netHandler) OnEndorsements(from protocol.PeerID, es []*types.SignedEndorsement) {
	var accepted []*types.SignedEndorsement
	for _, e := range es {
		if err := h.n.endoPool.Add(e); err == nil {
			accepted = append(accepted, e)
		}
	}
	if len(accepted) > 0 {
		h.n.net.PropagateEndorsements(accepted)
	}
}

func (h netHandler) HaveOperation(id types.OperationID) (*types.SignedOperation, bool) {
	if op, ok := h.n.opPool.Get(id); ok {
		return op, true
	}
	h.n.mu.RLock()
	op := h.n.opBlocks.op(id)
	h.n.mu.RUnlock()
	if op != nil {
		return op, true
	}
	// An operation of a final block whose operations were released (or
	// of an older final block) is read back from the block database.
	if op, _, ok, err := h.n.blockDB.Operation(id); err == nil && ok {
		return op, true
	}
	return nil, false
}

func (h netHandler) GetBlock(id types.BlockID) (*types.Block, []*types.SignedOperation, bool) {
	h.n.mu.RLock()
	var blk *types.Block
	var ops []*types.SignedOperation
	sb, ok := h.n.blocks[id]
	stripped := ok && sb.stripped()
	if ok {
		// releaseOps clears sb.ops under the write lock: read it here.
		blk, ops = sb.block, sb.ops
	}
	h.n.mu.RUnlock()
	if ok && !stripped {
		return blk, ops, true
	}
	// A block absent from memory, or held as a header only, is read back
	// with its operations from the block database.
	if full, found, err := h.n.blockDB.Get(id); err == nil && found {
		return full.block, full.ops, true
	}
	if ok {
		// The header alone: the protocol then asks HaveOperation for
		// each operation.
		return blk, nil, true
	}
	return nil, nil, false
}

// kick wakes the main loop.
func (n *Node) kick() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// drainIncoming feeds the queued network blocks to consensus. Called by
// the main loop with n.mu held.
func (n *Node) drainIncoming(cur types.Slot) error {
	if n.incoming == nil {
		return nil
	}
	for {
		select {
		case in := <-n.incoming:
			if err := n.receive(in, cur); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (n *Node) receive(in incoming, cur types.Slot) error {
	if in.block != nil {
		id := in.block.ID()
		n.sources[id] = in.from
		n.observePropagation(in.block.Slot())
		n.storeBlock(&storedBlock{block: in.block, ops: in.ops})
		return n.handle(n.graph.AddBlock(consensusHeader(in.block), cur, false))
	}
	b := &types.Block{Header: in.header}
	n.sources[in.header.ID] = in.from
	return n.handle(n.graph.AddHeader(consensusHeader(b), cur))
}

// networkAfterHandle tells the network what consensus decided: announce
// new active blocks, fetch wished ones, ban senders of invalid blocks.
// Called from handle with n.mu held.
func (n *Node) networkAfterHandle(newActive []types.BlockID, wished, unwished []types.BlockID, invalid []types.BlockID) {
	if n.net == nil {
		return
	}
	for _, id := range newActive {
		if sb, ok := n.blocks[id]; ok {
			n.net.AnnounceBlock(sb.block.Header)
		}
	}
	if len(wished) > 0 {
		n.net.AskBlocks(wished)
	}
	if len(unwished) > 0 {
		n.net.CancelBlocks(unwished)
	}
	for _, id := range invalid {
		if from, ok := n.sources[id]; ok {
			n.log.Warn("banning the peer that sent an invalid block", "peer", from, "block", id)
			n.net.Ban(from)
		}
	}
}

// connected reports whether the node has at least one peer.
func (n *Node) connected() bool {
	return n.net != nil && len(n.net.Peers()) > 0
}

// peerSummary is what get_status shows of the network.
func (n *Node) peerSummary() (map[string][2]any, protocol.Stats) {
	out := map[string][2]any{}
	if n.net == nil {
		return out, protocol.Stats{}
	}
	for id, p := range n.net.Peers() {
		out[id.String()] = [2]any{p.Addr.Addr().String(), p.Outgoing}
	}
	return out, n.net.Stats()
}

var _ = time.Second
