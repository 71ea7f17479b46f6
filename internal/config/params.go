package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/gomassa/gomassa/internal/types"
)

// Massa's chain ids (model.md §8).
const (
	ChainIDMainnet  = 77658377
	ChainIDBuildnet = 77658366
	ChainIDSandbox  = 77
)

// NetworkParams are the values every node of one network must share: they
// decide slot times, draws, rewards and validity. They are not operator
// settings: they come from the built-in mainnet values or from a network's
// genesis.json. JSON names are snake_case, as in genesis.json "params".
type NetworkParams struct {
	ThreadCount              uint8        `json:"thread_count"`
	T0                       uint64       `json:"t0"`                // ms between two periods of a thread
	GenesisTimestamp         uint64       `json:"genesis_timestamp"` // UNIX ms of slot (0, 0)
	EndTimestamp             *uint64      `json:"end_timestamp"`     // null = never ends
	PeriodsPerCycle          uint64       `json:"periods_per_cycle"`
	EndorsementCount         uint32       `json:"endorsement_count"`
	DeltaF0                  uint64       `json:"delta_f0"` // fitness threshold for finality
	OperationValidityPeriods uint64       `json:"operation_validity_periods"`
	RollPrice                types.Amount `json:"roll_price"`
	BlockReward              types.Amount `json:"block_reward"`
	MaxBlockSize             uint32       `json:"max_block_size"`
	MaxOperationsPerBlock    uint32       `json:"max_operations_per_block"`
	MaxGasPerBlock           uint64       `json:"max_gas_per_block"`
	ChainID                  uint64       `json:"chain_id"`
	NetworkPrefix            string       `json:"network_prefix"` // 4 capital letters: "MAIN"
	LastStartPeriod          uint64       `json:"last_start_period"`
	// PosMissRateThreshold: a staker that misses more than this share of
	// its slots in a cycle has its rolls sold (70 %).
	PosMissRateThreshold Ratio        `json:"pos_miss_rate_threshold"`
	LedgerCostPerByte    types.Amount `json:"ledger_cost_per_byte"`
	LedgerEntryBaseCost  types.Amount `json:"ledger_entry_base_cost"`
	DatastoreBaseSize    uint64       `json:"datastore_base_size"` // bytes charged per datastore entry on top of key and value
}

// MainnetParams returns Massa mainnet's parameters (model.md §8).
func MainnetParams() NetworkParams {
	return NetworkParams{
		ThreadCount:              32,
		T0:                       16_000,
		GenesisTimestamp:         1_705_312_800_000,
		PeriodsPerCycle:          128,
		EndorsementCount:         16,
		DeltaF0:                  64 * (16 + 1),
		OperationValidityPeriods: 10,
		RollPrice:                100 * types.OneMAS,
		BlockReward:              types.MustAmount("0.40001"),
		MaxBlockSize:             300_000,
		MaxOperationsPerBlock:    5_000,
		MaxGasPerBlock:           4_294_967_295,
		ChainID:                  ChainIDMainnet,
		NetworkPrefix:            "MAIN",
		PosMissRateThreshold:     Ratio{7, 10},
		LedgerCostPerByte:        types.MustAmount("0.0001"),
		LedgerEntryBaseCost:      types.MustAmount("0.001"),
		DatastoreBaseSize:        4,
	}
}

// SandboxParams are mainnet's parameters on a private one-node chain
// starting at genesisMS, with Massa's sandbox chain id so that operations
// signed for it are never valid on mainnet.
func SandboxParams(genesisMS uint64) NetworkParams {
	p := MainnetParams()
	p.GenesisTimestamp = genesisMS
	p.ChainID = ChainIDSandbox
	p.NetworkPrefix = "SAND"
	return p
}

// SlotDuration is t0 / thread_count in ms (500 on mainnet).
func (p *NetworkParams) SlotDuration() uint64 { return p.T0 / uint64(max(p.ThreadCount, 1)) }

// DatastoreEntryBaseCost is the storage cost charged for each datastore
// entry besides its bytes: ledger_cost_per_byte * datastore_base_size.
func (p *NetworkParams) DatastoreEntryBaseCost() types.Amount {
	a, err := p.LedgerCostPerByte.MulU64(p.DatastoreBaseSize)
	if err != nil {
		return types.MaxAmount
	}
	return a
}

// Validate checks the parameters and returns every problem, naming the
// JSON field.
func (p *NetworkParams) Validate() error {
	var errs []error
	bad := func(field string, val any, why string) {
		errs = append(errs, errorf("%s = %v: %s: %w", field, val, why, ErrInvalid))
	}
	// Massa needs thread_count > 1. The thread of an address is the top
	// log2(thread_count) bits of its hash's first byte, which only
	// partitions addresses evenly, over every thread, for a power of two.
	if p.ThreadCount < 2 || bits.OnesCount8(p.ThreadCount) != 1 {
		bad("thread_count", p.ThreadCount, "must be a power of two from 2 to 128, because an address's thread is the top log2(thread_count) bits of its hash")
	}
	switch {
	case p.T0 == 0:
		bad("t0", p.T0, "must be more than 0")
	case p.ThreadCount > 0 && p.T0%uint64(p.ThreadCount) != 0:
		bad("t0", p.T0, fmt.Sprintf("must be a multiple of thread_count %d, so that slots are evenly spaced", p.ThreadCount))
	}
	if p.EndTimestamp != nil && *p.EndTimestamp <= p.GenesisTimestamp {
		bad("end_timestamp", *p.EndTimestamp, fmt.Sprintf("must be after genesis_timestamp %d", p.GenesisTimestamp))
	}
	for _, f := range []struct {
		name string
		val  uint64
	}{
		{"periods_per_cycle", p.PeriodsPerCycle},
		{"delta_f0", p.DeltaF0},
		{"operation_validity_periods", p.OperationValidityPeriods},
		{"roll_price", uint64(p.RollPrice)},
		{"max_block_size", uint64(p.MaxBlockSize)},
		{"max_operations_per_block", uint64(p.MaxOperationsPerBlock)},
		{"max_gas_per_block", p.MaxGasPerBlock},
	} {
		if f.val == 0 {
			bad(f.name, f.val, "must be more than 0")
		}
	}
	if p.EndorsementCount > 255 {
		bad("endorsement_count", p.EndorsementCount, "must be at most 255")
	}
	if len(p.NetworkPrefix) != 4 || strings.IndexFunc(p.NetworkPrefix, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		bad("network_prefix", strconv.Quote(p.NetworkPrefix), "must be 4 capital letters, like \"MAIN\"")
	}
	if p.PosMissRateThreshold.Den == 0 || p.PosMissRateThreshold.Num > p.PosMissRateThreshold.Den {
		bad("pos_miss_rate_threshold", p.PosMissRateThreshold, "must be a fraction between 0 and 1, like \"7/10\"")
	}
	return errors.Join(errs...)
}

// Ratio is an exact fraction Num/Den. JSON writes it as "7/10" and reads
// "7/10", "0.7" or 0.7 (from the literal text, without float rounding).
type Ratio struct {
	Num, Den uint64
}

// String prints "num/den".
func (r Ratio) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// MarshalJSON writes "num/den".
func (r Ratio) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a fraction string, a decimal string or a number.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseRatio(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseRatio reads "7/10" or a decimal "0.7" (at most 18 decimals).
func ParseRatio(s string) (Ratio, error) {
	bad := errorf("ratio %q: want \"num/den\" or a decimal like \"0.7\": %w", clip(s), ErrInvalid)
	if n, d, ok := strings.Cut(s, "/"); ok {
		num, err1 := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
		den, err2 := strconv.ParseUint(strings.TrimSpace(d), 10, 64)
		if err1 != nil || err2 != nil || den == 0 {
			return Ratio{}, bad
		}
		return Ratio{num, den}.reduced(), nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 18 || strings.ContainsAny(whole+frac, "+-eE_ ") {
		return Ratio{}, bad
	}
	den := uint64(1)
	for range len(frac) {
		den *= 10
	}
	if whole == "" {
		whole = "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 64)
	f := uint64(0)
	var err2 error
	if frac != "" {
		f, err2 = strconv.ParseUint(frac, 10, 64)
	}
	if err1 != nil || err2 != nil {
		return Ratio{}, bad
	}
	hi, lo := bits.Mul64(w, den)
	num, carry := bits.Add64(lo, f, 0)
	if hi != 0 || carry != 0 {
		return Ratio{}, bad
	}
	return Ratio{num, den}.reduced(), nil
}

func (r Ratio) reduced() Ratio {
	a, b := r.Num, r.Den
	for b != 0 {
		a, b = b, a%b
	}
	if a <= 1 {
		return r
	}
	return Ratio{r.Num / a, r.Den / a}
}
