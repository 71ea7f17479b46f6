package config

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

func TestStakingAutoCompound(t *testing.T) {
	var seed [crypto.SeedSize]byte
	addr := types.AddressOf(crypto.SecretKeyFromSeed(seed).Public())

	d := mustParse(t, "")
	if all, addrs, err := d.Staking.AutoCompoundTargets(); err != nil || all || len(addrs) != 0 {
		t.Fatalf("default auto_compound: all %v, %v, %v", all, addrs, err)
	}
	if d.Staking.AutoCompoundReserve.String() != "10" || d.Staking.AutoCompoundFee.String() != "0.01" {
		t.Fatalf("defaults: reserve %s fee %s", d.Staking.AutoCompoundReserve, d.Staking.AutoCompoundFee)
	}

	c := mustParse(t, "[staking]\nauto_compound = \"all\"\nauto_compound_reserve = \"2.5\"\nauto_compound_fee = 0.02\n")
	if all, addrs, err := c.Staking.AutoCompoundTargets(); err != nil || !all || len(addrs) != 0 {
		t.Fatalf("auto_compound = \"all\": all %v, %v, %v", all, addrs, err)
	}
	if c.Staking.AutoCompoundReserve.String() != "2.5" || c.Staking.AutoCompoundFee.String() != "0.02" {
		t.Fatalf("reserve %s fee %s", c.Staking.AutoCompoundReserve, c.Staking.AutoCompoundFee)
	}

	c = mustParse(t, "[staking]\nauto_compound = [\""+addr.String()+"\"]\n")
	if all, addrs, err := c.Staking.AutoCompoundTargets(); err != nil || all || len(addrs) != 1 || addrs[0] != addr {
		t.Fatalf("auto_compound list: all %v, %v, %v", all, addrs, err)
	}
	var buf bytes.Buffer
	if err := Dump(&buf, c); err != nil {
		t.Fatal(err)
	}
	out, err := Parse(c.Home, c.File, buf.Bytes())
	if err != nil || !reflect.DeepEqual(out.Staking, c.Staking) {
		t.Fatalf("dump does not re-load [staking]: %v\n%s", err, buf.String())
	}

	parseErr(t, "[staking]\nauto_compound = [\"AUnope\"]\n", ErrInvalid, "[staking] auto_compound", "AUnope")
	parseErr(t, "[staking]\nauto_compound = \"all\"\nauto_compound_fee = \"0.001\"\n", ErrInvalid, "[staking] auto_compound_fee", "minimal_fees")
	parseErr(t, "[staking]\nauto_compound_reserve = \"ten\"\n", ErrInvalid, "auto_compound_reserve")
	parseErr(t, "[staking]\nauto_compund = \"all\"\n", ErrUnknownKey, "auto_compound")
}

// FuzzStakingSection parses arbitrary [staking] bodies: whatever Parse
// accepts has readable auto-compounding targets.
func FuzzStakingSection(f *testing.F) {
	var seed [crypto.SeedSize]byte
	addr := types.AddressOf(crypto.SecretKeyFromSeed(seed).Public()).String()
	for _, s := range []string{
		"auto_compound = \"all\"\n", "auto_compound = [\"" + addr + "\", \"all\"]\n", "auto_compound = []\n",
		"auto_compound = 3\n", "auto_compound_reserve = \"1.5\"\nauto_compound_fee = 1\n", "auto_compound = [[\"x\"]]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := Parse("/h", "config.toml", append([]byte("[staking]\n"), body...))
		if err != nil {
			return
		}
		if _, _, err := c.Staking.AutoCompoundTargets(); err != nil {
			t.Fatalf("Parse accepted auto_compound it cannot read: %v", err)
		}
	})
}
