package e2e_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

// seedFor returns the seed of a randomized test: GOMASSA_E2E_SEED when
// set, else def, and logs it so that a failure can be rerun.
func seedFor(t *testing.T, def uint64) uint64 {
	t.Helper()
	seed := def
	if v := os.Getenv("GOMASSA_E2E_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GOMASSA_E2E_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("seed %d (rerun with GOMASSA_E2E_SEED=%d)", seed, seed)
	return seed
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// account is a key the test signs with.
type account struct {
	key  *crypto.SecretKey
	addr types.Address
}

// deterministicAccount derives a key from a label, so that two runs of
// a test use the same addresses.
func deterministicAccount(label string, i int) account {
	seed := crypto.HashOf(fmt.Appendf(nil, "gomassa-e2e/%s/%d", label, i))
	k := crypto.SecretKeyFromSeed(seed)
	return account{key: k, addr: types.AddressOf(k.Public())}
}

// randomAccount draws a key from rng.
func randomAccount(rng *rand.Rand) account {
	var seed [crypto.SeedSize]byte
	for i := range seed {
		seed[i] = byte(rng.UintN(256))
	}
	k := crypto.SecretKeyFromSeed(seed)
	return account{key: k, addr: types.AddressOf(k.Public())}
}

func opInput(op *types.SignedOperation) api.OperationInput {
	return api.OperationInput{CreatorPublicKey: op.Creator.String(), Signature: op.Signature.String(), SerializedContent: op.Content}
}

// sendOps sends ops in one send_operations call.
func sendOps(ctx context.Context, c *api.Client, ops []*types.SignedOperation) ([]types.OperationID, error) {
	in := make([]api.OperationInput, len(ops))
	for i, op := range ops {
		in[i] = opInput(op)
	}
	var ids []types.OperationID
	err := c.Call(ctx, "send_operations", []any{in}, &ids)
	return ids, err
}

func getStatus(ctx context.Context, c *api.Client) (api.NodeStatus, error) {
	var st api.NodeStatus
	err := c.Call(ctx, "get_status", nil, &st)
	return st, err
}

// getAddresses queries addrs in chunks the API accepts.
func getAddresses(ctx context.Context, c *api.Client, addrs []types.Address) (map[types.Address]api.AddressInfo, error) {
	out := make(map[types.Address]api.AddressInfo, len(addrs))
	for i := 0; i < len(addrs); i += 64 {
		chunk := addrs[i:min(i+64, len(addrs))]
		strs := make([]string, len(chunk))
		for j, a := range chunk {
			strs[j] = a.String()
		}
		var infos []api.AddressInfo
		if err := c.Call(ctx, "get_addresses", []any{strs}, &infos); err != nil {
			return nil, err
		}
		if len(infos) != len(chunk) {
			return nil, fmt.Errorf("get_addresses: %d answers for %d addresses", len(infos), len(chunk))
		}
		for _, info := range infos {
			out[info.Address] = info
		}
	}
	return out, nil
}

// homeState opens a stopped node's final state and returns its final slot
// and fingerprint, after checking that the incremental state hash matches
// the stored keys. The caller closes the store before the node restarts.
func homeState(t *testing.T, home string) (types.Slot, crypto.Hash, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(home, "storage", "ledger"), store.Options{})
	if err != nil {
		t.Fatalf("open the node's state: %v", err)
	}
	fs, ok := st.FinalSlot()
	if !ok {
		t.Fatalf("the node's state has no final slot")
	}
	if err := st.Verify(); err != nil {
		t.Fatalf("the node's state hash does not match its contents: %v", err)
	}
	return fs, st.Fingerprint(), st
}

// replay rebuilds home's final state on a fresh in-memory store, up to
// until (nil: every final block).
func replay(t *testing.T, home string, until *types.Slot) (*node.ReplayResult, time.Duration) {
	t.Helper()
	r, _, d := replayInto(t, home, until)
	return r, d
}

// replayInto is replay that also returns the replayed store.
func replayInto(t *testing.T, home string, until *types.Slot) (*node.ReplayResult, *store.Store, time.Duration) {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	start := time.Now()
	r, err := node.Replay(home, st, node.ReplayOptions{Until: until})
	if err != nil {
		t.Fatalf("replay of %s: %v", home, err)
	}
	return r, st, time.Since(start)
}

// checkFinalChains checks that the final blocks of each thread form one
// chain: each one's same-thread parent is the previous final block of its
// thread, the genesis block for the first. A node that forgets its final
// blocks (and builds on genesis again) breaks it.
func checkFinalChains(t *testing.T, home string) {
	t.Helper()
	gk, err := crypto.ParseSecretKey(node.GenesisKeyText)
	if err != nil {
		t.Fatal(err)
	}
	last := map[uint8]types.BlockID{}
	lastSlot := map[uint8]types.Slot{}
	breaks := 0
	err = node.FinalBlocks(home, "", func(fb node.FinalBlock) error {
		th := fb.Slot.Thread
		want, ok := last[th]
		if !ok {
			want = types.GenesisBlock(gk, th, 0).ID()
		}
		if got := fb.Block.Header.Header.SameThreadParent(); got != want {
			breaks++
			if breaks <= 5 {
				what := "the genesis block"
				if ok {
					what = "the final block at " + lastSlot[th].String()
				}
				t.Errorf("final block %s at %s has same-thread parent %s, not %s (%s)", fb.ID, fb.Slot, got, want, what)
			}
		}
		last[th], lastSlot[th] = fb.ID, fb.Slot
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if breaks > 5 {
		t.Errorf("%d final blocks do not extend the final chain of their thread", breaks)
	}
}
