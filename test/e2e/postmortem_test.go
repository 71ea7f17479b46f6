package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/node"
	"github.com/gomassa/gomassa/internal/store"
)

// TestPostMortem compares a stopped node's home (GOMASSA_E2E_HOME, for
// example one TestCrashRecovery kept) with the replay of its final
// blocks: it lists every state key that differs, then the final blocks
// with their operations. Skipped unless the variable is set.
func TestPostMortem(t *testing.T) {
	home := os.Getenv("GOMASSA_E2E_HOME")
	if home == "" {
		t.Skip("set GOMASSA_E2E_HOME to a stopped node's home")
	}
	fs, fp, st := homeState(t, home)
	defer st.Close()
	r, rst, _ := replayInto(t, home, &fs)
	t.Logf("node: %s at %s; replay of %d final blocks: %s at %s", fp, fs, r.Blocks, r.Fingerprint, r.FinalSlot)
	a, b := stateKeys(t, st), stateKeys(t, rst)
	for k, v := range a {
		if w, ok := b[k]; !ok {
			t.Logf("only in the node's state: %q = %x", k, v)
		} else if !bytes.Equal(v, w) {
			t.Logf("differs: %q node %x, replay %x", k, v, w)
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			t.Logf("only in the replay: %q = %x", k, v)
		}
	}
	err := node.FinalBlocks(home, "", func(fb node.FinalBlock) error {
		var ops strings.Builder
		for _, op := range fb.Operations {
			fmt.Fprintf(&ops, " %s(%s %s, expire %d)", op.ID, op.CreatorAddr, op.Op.Type, op.Op.ExpirePeriod)
		}
		t.Logf("final block %s at %s by %s, same-thread parent %s, %d endorsements, operations:%s",
			fb.ID, fb.Slot, fb.Block.Creator(), fb.Block.Header.Header.SameThreadParent(), len(fb.Block.Header.Header.Endorsements), ops.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkFinalChains(t, home)
}

func stateKeys(t *testing.T, s *store.Store) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, p := range store.StatePrefixes {
		err := s.Iterate([]byte(p), nil, func(k, v []byte) bool {
			m[string(k)] = bytes.Clone(v)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}
