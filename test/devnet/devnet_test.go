// Package devnet runs a network of real massa-node processes on
// 127.0.0.x: a transfer sent to one node becomes final on another, a node
// killed with SIGKILL does not stop the others, and once restarted it
// catches up. It also reports block propagation latency across the network.
package devnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/types"
	"github.com/gomassa/gomassa/test/testnode"
)

func status(t *testing.T, c *api.Client) api.NodeStatus {
	t.Helper()
	var st api.NodeStatus
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "get_status", nil, &st); err != nil {
		t.Fatalf("get_status: %v", err)
	}
	return st
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

func TestFourNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes")
	}
	bin := testnode.Binary(t)
	dir := t.TempDir()
	// A random first address keeps concurrent runs apart; ports are free ones.
	first := 10 + rand.IntN(200)
	out, err := exec.Command(bin, "--home", dir, "devnet", "--prepare-only", "--free-ports", "--first-ip", strconv.Itoa(first),
		"--nodes", "4", "--threads", "4", "--t0", "2000", "--delta-f0", "68", "--periods-per-cycle", "16").CombinedOutput()
	if err != nil {
		t.Fatalf("devnet --prepare-only: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "devnet", "devnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d node.Devnet
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	nodes := make([]*testnode.Node, len(d.Nodes))
	clients := make([]*api.Client, len(d.Nodes))
	for i, nd := range d.Nodes {
		nodes[i] = testnode.Start(t, nd.Home, "--pwd-file", d.PasswordFile)
		clients[i] = api.NewClient(nodes[i].PublicURL, "")
	}
	defer func() {
		for i, n := range nodes {
			if n != nil {
				n.Stop(t)
			}
			if t.Failed() {
				t.Logf("node %d log tail:\n%s", i+1, n.Tail(30))
			}
		}
	}()

	// Every node sees peers and final blocks.
	eventually(t, 90*time.Second, "final blocks on every node", func() bool {
		for _, c := range clients {
			st := status(t, c)
			if len(st.ConnectedNodes) == 0 || st.ConsensusStats.FinalBlockCount < 8 {
				return false
			}
		}
		return true
	})

	// A transfer sent to node 1 is final on node 4.
	key, err := crypto.ParseSecretKey(d.Nodes[0].SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	to := types.AddressOf(mustKey(t).Public())
	st := status(t, clients[0])
	op := types.SignOperation(types.Operation{
		Fee: types.MustAmount("0.01"), ExpirePeriod: st.LastSlot.Period + 8, Type: types.OpTransaction,
		Recipient: to, Amount: types.MustAmount("5"),
	}, key, d.ChainID)
	var ids []string
	err = clients[0].Call(context.Background(), "send_operations", []any{[]api.OperationInput{{
		CreatorPublicKey: op.Creator.String(), Signature: op.Signature.String(), SerializedContent: op.Content,
	}}}, &ids)
	if err != nil || len(ids) != 1 || ids[0] != op.ID.String() {
		t.Fatalf("send_operations on node 1: %v %v", ids, err)
	}
	eventually(t, 90*time.Second, "the transfer to be final on node 4", func() bool {
		var infos []api.AddressInfo
		if err := clients[3].Call(context.Background(), "get_addresses", []any{[]string{to.String()}}, &infos); err != nil {
			return false
		}
		return len(infos) == 1 && infos[0].FinalBalance == types.MustAmount("4.999")
	})

	// Kill node 2: the others keep finalizing.
	before := status(t, clients[2]).ExecutionStats.FinalCursor
	nodes[1].Kill()
	killed := nodes[1]
	nodes[1] = nil
	eventually(t, 60*time.Second, "finality to advance without node 2", func() bool {
		for _, i := range []int{0, 2, 3} {
			if status(t, clients[i]).ExecutionStats.FinalCursor.Period < before.Period+5 {
				return false
			}
		}
		return true
	})

	// Restart node 2: it catches up with the others.
	nodes[1] = testnode.Start(t, killed.Home, "--pwd-file", d.PasswordFile)
	clients[1] = api.NewClient(nodes[1].PublicURL, "")
	target := status(t, clients[0]).ExecutionStats.FinalCursor
	eventually(t, 90*time.Second, "node 2 to catch up after its restart", func() bool {
		return !status(t, clients[1]).ExecutionStats.FinalCursor.Less(target)
	})
	var infos []api.AddressInfo
	if err := clients[1].Call(context.Background(), "get_addresses", []any{[]string{to.String()}}, &infos); err != nil || infos[0].FinalBalance != types.MustAmount("4.999") {
		t.Fatalf("restarted node 2 sees the transfer's recipient with %v (%v)", infos, err)
	}

	// Block propagation latency, from each node's metrics.
	for i, nd := range d.Nodes {
		p50, p95, n := propagation(t, nd.Metrics)
		t.Logf("node %d: block propagation (slot time -> full block received) p50 %.3f s, p95 %.3f s over %d blocks", i+1, p50, p95, n)
	}
}

func mustKey(t *testing.T) *crypto.SecretKey {
	k, err := crypto.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// propagation reads the block propagation summary from a node's metrics.
func propagation(t *testing.T, addr string) (p50, p95 float64, count int) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Logf("metrics of %s: %v", addr, err)
		return 0, 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		var v float64
		switch {
		case strings.HasPrefix(line, `massa_block_propagation_seconds{quantile="0.5"}`):
			fmt.Sscanf(strings.Fields(line)[1], "%g", &v)
			p50 = v
		case strings.HasPrefix(line, `massa_block_propagation_seconds{quantile="0.95"}`):
			fmt.Sscanf(strings.Fields(line)[1], "%g", &v)
			p95 = v
		case strings.HasPrefix(line, "massa_block_propagation_seconds_count"):
			fmt.Sscanf(strings.Fields(line)[1], "%d", &count)
		}
	}
	return p50, p95, count
}
