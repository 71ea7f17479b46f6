package client

import (
	"encoding/json"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gomassa/gomassa/internal/types"
)

// TestStakingDoctorAgainstFakeNode checks the doctor's JSON shape, order
// and exit codes, its alias, and that the key check follows the node's
// staking addresses. (internal/node and test/staking run it against real
// nodes.)
func TestStakingDoctorAgainstFakeNode(t *testing.T) {
	e := newTestEnv(t)
	k := knownKey(t, 30)
	addr := types.AddressOf(k.Public()).String()
	_, errOut, code := e.run("wallet_add_secret_keys", k.String())
	require.Equal(t, 0, code, errOut)

	decode := func(out string) map[string]doctorCheck {
		var list []doctorCheck
		require.NoError(t, json.Unmarshal([]byte(out), &list), out)
		names := make([]string, len(list))
		m := map[string]doctorCheck{}
		for i, c := range list {
			names[i] = c.Name
			m[c.Name] = c
			if c.OK {
				require.Empty(t, c.Fix, c.Name)
			} else {
				require.NotEmpty(t, c.Fix, c.Name)
			}
		}
		require.Equal(t, []string{checkNode, checkSync, checkClock, checkPeers, checkWallet, checkActiveRolls,
			checkStakingKeys, checkPending, checkMissed, checkNextDraws}, names)
		return m
	}

	out, _, code := e.run("--json", "doctor")
	require.Equal(t, ExitError, code)
	m := decode(out)
	require.False(t, m[checkStakingKeys].OK)
	require.Contains(t, m[checkStakingKeys].Fix, "massa-client node_start_staking "+addr)
	require.Contains(t, m[checkPeers].Detail, "no peers (sandbox)")
	// The fake node's clock is far from this machine's.
	require.False(t, m[checkClock].OK)
	require.Contains(t, m[checkClock].Fix, "timedatectl")

	_, errOut, code = e.run("node_start_staking", addr)
	require.Equal(t, 0, code, errOut)
	out, _, _ = e.run("--json", "staking_doctor", addr)
	require.True(t, decode(out)[checkStakingKeys].OK)

	human, _, code := e.run("staking_doctor")
	require.Equal(t, ExitError, code)
	require.Contains(t, human, "[FAIL] clock")
	require.Contains(t, human, "checks failed")

	// An address argument must be in the wallet.
	_, _, code = e.run("staking_doctor", types.AddressOf(knownKey(t, 31).Public()).String())
	require.Equal(t, ExitError, code)
}

func TestStakingDoctorNodeDown(t *testing.T) {
	e := newTestEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e.pubPort = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	out, _, code := e.run("--json", "staking_doctor")
	require.Equal(t, ExitError, code)
	var list []doctorCheck
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list, 1)
	require.Equal(t, checkNode, list[0].Name)
	require.False(t, list[0].OK)
	require.Contains(t, list[0].Fix, "massa-node")
}
