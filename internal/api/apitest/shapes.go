package apitest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gomassa/gomassa/internal/types"
)

// CheckStatusShape fails t unless st has every get_status member massa-web3
// reads, nested ones included, with a JSON type it accepts.
func CheckStatusShape(t testing.TB, st map[string]json.RawMessage) {
	t.Helper()
	nested := map[string][]string{
		"config": {"block_reward", "delta_f0", "end_timestamp", "genesis_timestamp", "max_block_size",
			"operation_validity_periods", "periods_per_cycle", "roll_price", "t0", "thread_count"},
		"consensus_stats": {"clique_count", "end_timespan", "final_block_count", "stale_block_count", "start_timespan"},
		"network_stats":   {"active_node_count", "banned_peer_count", "in_connection_count", "known_peer_count", "out_connection_count"},
		"execution_stats": {"time_window_start", "time_window_end", "final_block_count", "final_executed_operations_count", "active_cursor", "final_cursor"},
	}
	for _, k := range []string{"connected_nodes", "current_cycle", "current_time", "current_cycle_time", "next_cycle_time",
		"last_slot", "next_slot", "node_id", "node_ip", "pool_stats", "version", "chain_id", "minimal_fees",
		"current_mip_version", "config", "consensus_stats", "network_stats", "execution_stats"} {
		if _, ok := st[k]; !ok {
			t.Errorf("get_status: %s missing", k)
		}
	}
	for obj, keys := range nested {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(st[obj], &m); err != nil {
			t.Errorf("get_status: %s is not an object: %s", obj, st[obj])
			continue
		}
		for _, k := range keys {
			v, ok := m[k]
			if !ok || (string(v) == "null" && k != "end_timestamp") {
				t.Errorf("get_status: %s.%s missing or null", obj, k)
			}
		}
	}
	var last *types.Slot
	if err := json.Unmarshal(st["last_slot"], &last); err != nil || last == nil {
		t.Errorf("get_status: last_slot %s must be a slot (web3 reads last_slot.period)", st["last_slot"])
	}
	var fees string
	if err := json.Unmarshal(st["minimal_fees"], &fees); err != nil {
		t.Errorf("get_status: minimal_fees %s must be a decimal string", st["minimal_fees"])
	}
	var chain uint64
	if err := json.Unmarshal(st["chain_id"], &chain); err != nil {
		t.Errorf("get_status: chain_id %s must be a number", st["chain_id"])
	}
	var pool [2]uint64
	if err := json.Unmarshal(st["pool_stats"], &pool); err != nil {
		t.Errorf("get_status: pool_stats %s must be [ops, endorsements]", st["pool_stats"])
	}
	if !strings.HasPrefix(string(st["node_id"]), `"N`) {
		t.Errorf("get_status: node_id %s", st["node_id"])
	}
}

// CheckFields fails t unless obj (a JSON object) has every key; what names
// the object in messages.
func CheckFields(t testing.TB, what string, obj json.RawMessage, keys ...string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("%s is not a JSON object: %v: %.300s", what, err, obj)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: %s missing (have %s)", what, k, strings.Join(sortedKeys(m), ", "))
		}
	}
	return m
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
