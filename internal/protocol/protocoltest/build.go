package protocoltest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/protocol"
	"github.com/gomassa/gomassa/internal/types"
)

// ChainID is the chain id of test configurations (sandbox).
const ChainID = 77

// Version is the version of test configurations.
var Version = protocol.Version{Instance: [4]byte{'S', 'A', 'N', 'D'}, Major: 5, Minor: 0}

// Config returns a configuration for in-process tests: listening on
// 127.0.0.1:0, local peers allowed, no per-IP limit that loopback would hit,
// no dialing of its own (TargetOut 0: tests add peers), and intervals short
// enough for tests to finish in milliseconds.
func Config() protocol.Config {
	c := protocol.DefaultConfig()
	c.Bind = "127.0.0.1:0"
	c.AllowLocalPeers = true
	c.MaxInPerIP = 64
	c.TargetOut = 0
	c.HandshakeTimeout = 2 * time.Second
	c.ConnectInterval = 20 * time.Millisecond
	c.RetryInterval = 200 * time.Millisecond
	c.OpAnnounceInterval = 20 * time.Millisecond
	c.OpAskDeferral = 200 * time.Millisecond
	c.BlockTick = 50 * time.Millisecond
	c.AskTimeout = time.Second
	c.PeerListInterval = time.Second
	c.KnownOps = 100_000
	c.PeerKnownOps = 100_000
	c.Version = Version
	c.ChainID = ChainID
	return c
}

// Connect makes cfg dial the given services.
func Connect(cfg *protocol.Config, to ...*protocol.Service) {
	for _, s := range to {
		ap := netip.MustParseAddrPort(s.Addr().String())
		cfg.InitialPeers = append(cfg.InitialPeers, protocol.PeerAddr{Addr: ap, NodeID: s.ID()})
		cfg.TargetOut++
	}
}

// Key returns a deterministic key for i.
func Key(i byte) *crypto.SecretKey {
	var seed [crypto.SeedSize]byte
	seed[0], seed[31] = i, 0xA5
	return crypto.SecretKeyFromSeed(seed)
}

// Operations returns n distinct signed transactions from key, numbered from
// first.
func Operations(key *crypto.SecretKey, first, n int) []*types.SignedOperation {
	to := types.AddressOf(Key(200).Public())
	ops := make([]*types.SignedOperation, n)
	for i := range ops {
		op := types.Operation{
			Fee: types.Amount(1000 + first + i), ExpirePeriod: 100, Type: types.OpTransaction,
			Recipient: to, Amount: types.Amount(1 + first + i),
		}
		ops[i] = types.SignOperation(op, key, ChainID)
	}
	return ops
}

// Block returns a block at period 1, thread 0 with 32 parents, signed by
// key, holding ops, with nEndo endorsements signed by key.
func Block(key *crypto.SecretKey, ops []*types.SignedOperation, nEndo int) *types.Block {
	return BlockThreads(key, ops, nEndo, types.DefaultThreadCount)
}

// BlockThreads is Block for a network of threads threads.
func BlockThreads(key *crypto.SecretKey, ops []*types.SignedOperation, nEndo int, threads uint8) *types.Block {
	parents := make([]types.BlockID, threads)
	for i := range parents {
		parents[i][0], parents[i][1] = byte(i), 0x77
	}
	slot := types.Slot{Period: 1, Thread: 0}
	h := types.BlockHeader{CurrentVersion: 1, Slot: slot, Parents: parents}
	for i := 0; i < nEndo; i++ {
		h.Endorsements = append(h.Endorsements, types.SignEndorsement(types.Endorsement{Slot: slot, Index: uint32(i), EndorsedBlock: parents[0]}, key))
	}
	ids := make([]types.OperationID, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	return types.SignBlock(h, ids, key)
}

// Endorsements returns n endorsements of distinct indices at slot (2, 0).
func Endorsements(key *crypto.SecretKey, n int) []*types.SignedEndorsement {
	out := make([]*types.SignedEndorsement, n)
	for i := range out {
		out[i] = types.SignEndorsement(types.Endorsement{Slot: types.Slot{Period: 2}, Index: uint32(i % types.DefaultEndorsementCount), EndorsedBlock: types.BlockID{byte(i), byte(i >> 8)}}, key)
	}
	return out
}

// Eventually polls cond until it holds or timeout passes, then fails with
// msg.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
