package apitest

import (
	"context"

	"net"
	"sync"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// ChainID is the chain the fake backend verifies signatures for (Massa's
// sandbox chain id).
const ChainID = 77

// Backend is a fake node for both API servers. Its results have Massa's
// shapes with fixed values; it records the methods called and the
// operations accepted. The zero value is not usable: call NewBackend.
type Backend struct {
	mu      sync.Mutex
	calls   []string
	pool    []*types.SignedOperation
	staking []*crypto.SecretKey
	stopped bool

	// Err, when set, is returned by every method.
	Err error
}

// NewBackend returns an empty fake node.
func NewBackend() *Backend { return &Backend{} }

// Registry returns a registry with the public and private methods bound to b.
func (b *Backend) Registry() *api.Registry {
	r := api.NewRegistry()
	api.RegisterPublic(r, b)
	api.RegisterPrivate(r, b)
	return r
}

func (b *Backend) record(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, name)
	return b.Err
}

// Calls lists the backend methods called so far, in order.
func (b *Backend) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

// Pool lists the operations accepted by SendOperations.
func (b *Backend) Pool() []*types.SignedOperation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*types.SignedOperation(nil), b.pool...)
}

// Stopped tells whether Stop was called.
func (b *Backend) Stopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}

// Slot is the fake node's current slot.
var Slot = types.Slot{Period: 42, Thread: 3}

// ChainID implements api.PublicBackend.
func (b *Backend) ChainID() uint64 { return ChainID }

// Status implements api.PublicBackend.
func (b *Backend) Status(context.Context) (api.NodeStatus, error) {
	if err := b.record("Status"); err != nil {
		return api.NodeStatus{}, err
	}
	last := Slot
	return api.NodeStatus{
		NodeID:         "N12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8j",
		Version:        "SAND.5.0",
		CurrentTime:    1_700_000_000_000,
		ConnectedNodes: map[string][2]any{},
		LastSlot:       &last,
		NextSlot:       Slot.Next(32),
		PoolStats:      [2]uint64{uint64(len(b.Pool())), 0},
		ChainID:        ChainID,
		MinimalFees:    types.MustAmount("0.01"),
		Config: api.CompactConfig{
			GenesisTimestamp: 1_699_000_000_000, ThreadCount: 32, T0: 16_000, DeltaF0: 64,
			OperationValidityPeriods: 10, PeriodsPerCycle: 128, BlockReward: types.MustAmount("1.02"),
			RollPrice: types.MustAmount("100"), MaxBlockSize: 300_000,
		},
		ExecutionStats: api.ExecutionStats{ActiveCursor: Slot, FinalCursor: Slot},
	}, nil
}

// Addresses implements api.PublicBackend.
func (b *Backend) Addresses(_ context.Context, addrs []types.Address) ([]api.AddressInfo, error) {
	if err := b.record("Addresses"); err != nil {
		return nil, err
	}
	out := make([]api.AddressInfo, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, api.AddressInfo{
			Address: a, Thread: a.Thread(32),
			FinalBalance: types.MustAmount("1000"), CandidateBalance: types.MustAmount("999.5"),
			FinalDatastoreKeys: []api.Bytes{}, CandidateDatastoreKeys: []api.Bytes{},
			DeferredCredits: []api.DeferredCredit{}, NextBlockDraws: []types.Slot{},
			NextEndorsementDraws: []types.IndexedSlot{}, CreatedBlocks: []types.BlockID{},
			CreatedOperations: []types.OperationID{}, CreatedEndorsements: []types.EndorsementID{},
			CycleInfos: []api.CycleInfo{},
		})
	}
	return out, nil
}

// Operations implements api.PublicBackend: pooled operations are found.
func (b *Backend) Operations(_ context.Context, ids []types.OperationID) ([]api.OperationInfo, error) {
	if err := b.record("Operations"); err != nil {
		return nil, err
	}
	out := []api.OperationInfo{}
	for _, id := range ids {
		for _, op := range b.Pool() {
			if op.ID == id {
				out = append(out, api.OperationInfo{ID: id, InPool: true, InBlocks: []types.BlockID{},
					Thread: op.Thread(32), Operation: op.JSON()})
			}
		}
	}
	return out, nil
}

// Endorsements implements api.PublicBackend: nothing is found.
func (b *Backend) Endorsements(context.Context, []types.EndorsementID) ([]api.EndorsementInfo, error) {
	return []api.EndorsementInfo{}, b.record("Endorsements")
}

// Blocks implements api.PublicBackend: nothing is found.
func (b *Backend) Blocks(context.Context, []types.BlockID) ([]api.BlockInfo, error) {
	return []api.BlockInfo{}, b.record("Blocks")
}

// BlockcliqueBlockBySlot implements api.PublicBackend: no block.
func (b *Backend) BlockcliqueBlockBySlot(context.Context, types.Slot) (any, error) {
	return nil, b.record("BlockcliqueBlockBySlot")
}

// GraphInterval implements api.PublicBackend.
func (b *Backend) GraphInterval(context.Context, *uint64, *uint64) ([]api.BlockSummary, error) {
	return []api.BlockSummary{}, b.record("GraphInterval")
}

// Cliques implements api.PublicBackend.
func (b *Backend) Cliques(context.Context) ([]api.Clique, error) {
	return []api.Clique{{BlockIDs: []types.BlockID{}, Fitness: 0, IsBlockclique: true}}, b.record("Cliques")
}

// Stakers implements api.PublicBackend.
func (b *Backend) Stakers(_ context.Context, page *api.PageRequest) ([][2]any, error) {
	if err := b.record("Stakers"); err != nil {
		return nil, err
	}
	a := types.AddressOf(Key().Public())
	all := [][2]any{{a, uint64(100)}}
	if page != nil && page.Offset > 0 {
		return [][2]any{}, nil
	}
	return all, nil
}

// DatastoreEntries implements api.PublicBackend: every key is absent.
func (b *Backend) DatastoreEntries(_ context.Context, in []api.DatastoreEntryInput) ([]api.DatastoreEntryOutput, error) {
	return make([]api.DatastoreEntryOutput, len(in)), b.record("DatastoreEntries")
}

// AddressesBytecode implements api.PublicBackend: no bytecode.
func (b *Backend) AddressesBytecode(_ context.Context, in []api.AddressBytecodeInput) ([]api.Bytes, error) {
	out := make([]api.Bytes, len(in))
	for i := range out {
		out[i] = api.Bytes{}
	}
	return out, b.record("AddressesBytecode")
}

// AddressesDatastoreKeys implements api.PublicBackend: no keys.
func (b *Backend) AddressesDatastoreKeys(_ context.Context, in []api.DatastoreKeysInput) ([]api.DatastoreKeysOutput, error) {
	out := make([]api.DatastoreKeysOutput, 0, len(in))
	for _, e := range in {
		out = append(out, api.DatastoreKeysOutput{Address: e.Address, IsFinal: e.IsFinal, Keys: []api.Bytes{}})
	}
	return out, b.record("AddressesDatastoreKeys")
}

// SendOperations implements api.PublicBackend: it verifies every signature
// and pools all operations, or none.
func (b *Backend) SendOperations(_ context.Context, ops []*types.SignedOperation) ([]types.OperationID, error) {
	if err := b.record("SendOperations"); err != nil {
		return nil, err
	}
	ids := make([]types.OperationID, 0, len(ops))
	for i, op := range ops {
		if !op.VerifySignature() {
			return nil, api.BadRequest("operation %d (%s): invalid signature (is it signed for chain id %d?)", i, op.ID, ChainID)
		}
		ids = append(ids, op.ID)
	}
	b.mu.Lock()
	b.pool = append(b.pool, ops...)
	b.mu.Unlock()
	return ids, nil
}

// FilteredEvents implements api.PublicBackend: no events.
func (b *Backend) FilteredEvents(context.Context, api.EventFilter) ([]api.SCOutputEvent, error) {
	return []api.SCOutputEvent{}, b.record("FilteredEvents")
}

// ExecuteReadOnlyBytecode implements api.PublicBackend.
func (b *Backend) ExecuteReadOnlyBytecode(_ context.Context, in []api.ReadOnlyBytecodeInput) ([]api.ReadOnlyResult, error) {
	return readOnly(len(in)), b.record("ExecuteReadOnlyBytecode")
}

// ExecuteReadOnlyCall implements api.PublicBackend.
func (b *Backend) ExecuteReadOnlyCall(_ context.Context, in []api.ReadOnlyCallInput) ([]api.ReadOnlyResult, error) {
	return readOnly(len(in)), b.record("ExecuteReadOnlyCall")
}

func readOnly(n int) []api.ReadOnlyResult {
	out := make([]api.ReadOnlyResult, n)
	for i := range out {
		out[i] = api.ReadOnlyResult{ExecutedAt: Slot, Result: map[string]any{"Ok": api.Bytes{}},
			OutputEvents: []api.SCOutputEvent{}, StateChanges: map[string]any{}}
	}
	return out
}

// Stop implements api.PrivateBackend.
func (b *Backend) Stop(context.Context) error {
	if err := b.record("Stop"); err != nil {
		return err
	}
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	return nil
}

// SignMessage implements api.PrivateBackend with Key.
func (b *Backend) SignMessage(_ context.Context, msg []byte) (api.PubkeySig, error) {
	k := Key()
	return api.PubkeySig{PublicKey: k.Public(), Signature: k.Sign(crypto.HashOf(msg))}, b.record("SignMessage")
}

// AddStakingKeys implements api.PrivateBackend.
func (b *Backend) AddStakingKeys(_ context.Context, keys []*crypto.SecretKey) error {
	if err := b.record("AddStakingKeys"); err != nil {
		return err
	}
	b.mu.Lock()
	b.staking = append(b.staking, keys...)
	b.mu.Unlock()
	return nil
}

// RemoveStakingAddresses implements api.PrivateBackend.
func (b *Backend) RemoveStakingAddresses(_ context.Context, addrs []types.Address) error {
	if err := b.record("RemoveStakingAddresses"); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.staking[:0]
	for _, k := range b.staking {
		drop := false
		for _, a := range addrs {
			drop = drop || types.AddressOf(k.Public()) == a
		}
		if !drop {
			kept = append(kept, k)
		}
	}
	b.staking = kept
	return nil
}

// StakingAddresses implements api.PrivateBackend.
func (b *Backend) StakingAddresses(context.Context) ([]types.Address, error) {
	if err := b.record("StakingAddresses"); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []types.Address{}
	for _, k := range b.staking {
		out = append(out, types.AddressOf(k.Public()))
	}
	return out, nil
}

// errNotAvailable is Massa's answer for the peer and bootstrap lists.
var errNotAvailable = api.Errorf(api.CodeBadRequest, "This request is currently not available")

// BanByID implements api.PrivateBackend.
func (b *Backend) BanByID(context.Context, []crypto.PublicKey, bool) error {
	return b.recordErr("BanByID", nil)
}

// BanByIP implements api.PrivateBackend.
func (b *Backend) BanByIP(context.Context, []net.IP, bool) error {
	return b.recordErr("BanByIP", errNotAvailable)
}

// PeersWhitelist implements api.PrivateBackend.
func (b *Backend) PeersWhitelist(context.Context) ([]string, error) {
	return nil, b.recordErr("PeersWhitelist", errNotAvailable)
}

// EditPeersWhitelist implements api.PrivateBackend.
func (b *Backend) EditPeersWhitelist(context.Context, []net.IP, bool) error {
	return b.recordErr("EditPeersWhitelist", errNotAvailable)
}

// BootstrapList implements api.PrivateBackend.
func (b *Backend) BootstrapList(context.Context, bool) ([]string, error) {
	return []string{"192.0.2.1"}, b.recordErr("BootstrapList", nil)
}

// EditBootstrapList implements api.PrivateBackend.
func (b *Backend) EditBootstrapList(context.Context, bool, []net.IP, bool) error {
	return b.recordErr("EditBootstrapList", nil)
}

// BootstrapWhitelistAllowAll implements api.PrivateBackend.
func (b *Backend) BootstrapWhitelistAllowAll(context.Context) error {
	return b.recordErr("BootstrapWhitelistAllowAll", nil)
}

func (b *Backend) recordErr(name string, err error) error {
	if e := b.record(name); e != nil {
		return e
	}
	return err
}

// keySeed is the fixed seed of Key.
var keySeed = [crypto.SeedSize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}

// Key is a fixed key: the fake node's signing key and its only staker.
func Key() *crypto.SecretKey { return crypto.SecretKeyFromSeed(keySeed) }

// Op builds and signs an operation of key for chainID.
func Op(key *crypto.SecretKey, chainID uint64, op types.Operation) *types.SignedOperation {
	return types.SignOperation(op, key, chainID)
}

// OpInput is the send_operations argument for op.
func OpInput(op *types.SignedOperation) api.OperationInput {
	return api.OperationInput{
		CreatorPublicKey:  op.Creator.String(),
		Signature:         op.Signature.String(),
		SerializedContent: op.Content,
	}
}

// Transfer is a signed transaction of amount MAS from key to itself.
func Transfer(key *crypto.SecretKey, chainID, expire uint64, fee, amount string) *types.SignedOperation {
	return Op(key, chainID, types.Operation{
		Fee: types.MustAmount(fee), ExpirePeriod: expire, Type: types.OpTransaction,
		Recipient: types.AddressOf(key.Public()), Amount: types.MustAmount(amount),
	})
}
