package node

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/pos"
	"github.com/gomassa/gomassa/internal/types"
)

// drawStatsSeed fixes the cycle seeds of TestDrawsFollowRollShares; the
// test is deterministic, the seed is printed when it fails.
const drawStatsSeed = "gomassa-draw-stats-1"

// TestDrawsFollowRollShares draws many mainnet-shaped cycles (32 threads,
// 128 periods, 16 endorsements) for a roll distribution like the test
// network's, plus a one-roll and a large staker, and checks that each
// address's share of producer and of endorser picks follows its share of
// rolls: a chi-square test over all addresses and a 5-sigma bound on each.
func TestDrawsFollowRollShares(t *testing.T) {
	genesisKey, err := crypto.ParseSecretKey(GenesisKeyText)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pos.DefaultConfig()
	cfg.GenesisAddress = types.AddressOf(genesisKey.Public())

	var rolls []pos.RollCount
	for _, s := range testStakers() {
		rolls = append(rolls, pos.RollCount{Address: s.addr, Rolls: s.rolls})
	}
	for i, r := range []uint64{1, 100} {
		var seed [crypto.SeedSize]byte
		copy(seed[:], fmt.Sprintf("draw-stats-extra-%d", i))
		rolls = append(rolls, pos.RollCount{Address: types.AddressOf(crypto.SecretKeyFromSeed(seed).Public()), Rolls: r})
	}
	pos.SortRollCounts(rolls)
	var total uint64
	for _, r := range rolls {
		total += r.Rolls
	}

	const cycles = 40
	producers := map[types.Address]uint64{}
	endorsers := map[types.Address]uint64{}
	var nProd, nEndo uint64
	for c := uint64(1); c <= cycles; c++ {
		var cb [8]byte
		binary.BigEndian.PutUint64(cb[:], c)
		seed := crypto.HashOfParts([]byte(drawStatsSeed), cb[:])
		d, err := pos.DrawCycle(cfg, pos.DrawInputs{Cycle: c, Rolls: rolls, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		first := c * cfg.PeriodsPerCycle
		for p := first; p < first+cfg.PeriodsPerCycle; p++ {
			for th := uint8(0); th < cfg.ThreadCount; th++ {
				sel, err := d.Selection(types.Slot{Period: p, Thread: th})
				if err != nil {
					t.Fatal(err)
				}
				producers[sel.Producer]++
				nProd++
				for _, e := range sel.Endorsements {
					endorsers[e]++
					nEndo++
				}
			}
		}
	}

	check := func(what string, counts map[types.Address]uint64, n uint64) {
		t.Helper()
		// Chi-square with len(rolls)-1 = 5 degrees of freedom; 25.7 is
		// its 1e-4 upper quantile.
		const chi2Limit = 25.7
		chi2 := 0.0
		for _, r := range rolls {
			p := float64(r.Rolls) / float64(total)
			exp := p * float64(n)
			obs := float64(counts[r.Address])
			chi2 += (obs - exp) * (obs - exp) / exp
			sigma := math.Sqrt(float64(n) * p * (1 - p))
			if math.Abs(obs-exp) > 5*sigma {
				t.Errorf("%s: %s (%d of %d rolls) has %.0f of %d picks, expected %.0f ± %.0f (seed %q)",
					what, r.Address, r.Rolls, total, obs, n, exp, sigma, drawStatsSeed)
			}
			delete(counts, r.Address)
		}
		for a, c := range counts {
			t.Errorf("%s: %s, which has no rolls, got %d picks (seed %q)", what, a, c, drawStatsSeed)
		}
		t.Logf("%s: %d picks, chi-square %.2f (5 degrees of freedom)", what, n, chi2)
		if chi2 > chi2Limit {
			t.Errorf("%s: chi-square %.2f > %.1f: picks do not follow roll shares (seed %q)", what, chi2, chi2Limit, drawStatsSeed)
		}
	}
	check("producers", producers, nProd)
	check("endorsers", endorsers, nEndo)
}
