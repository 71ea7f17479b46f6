package vm

import (
	"fmt"
	"maps"
)

// GasCosts are the gas charges of the runtime (protocol.md §3.5). The ABI
// figures are Massa's mainnet table (massa-node's abi_gas_costs.json).
type GasCosts struct {
	// Operator is charged per executed wasm instruction (Massa: a flat 23).
	Operator uint64
	// MemoryGrowPage is charged per page asked of memory.grow. Massa has no
	// such charge (its memory is only capped); ours is small and bounded by
	// the 64-page cap, and protects the node from a contract that grows
	// memory in a loop of cheap instructions.
	MemoryGrowPage uint64
	// BulkMemoryByte is charged per byte asked of memory.copy, memory.fill
	// and memory.init. Massa charges them as any operator; a flat cost
	// would let a contract move 4 MiB per 23 gas, so ours adds one gas per
	// byte (a few dozen gas for the usual string and buffer copies).
	BulkMemoryByte uint64
	// Launch is charged when a function is called on a fresh instance.
	Launch uint64
	// MaxInstance is the least gas a module may be instantiated with.
	MaxInstance uint64
	// ABI maps an import name ("assembly_script_set_data", "abort", ...)
	// to its cost. Imports missing from the map cost DefaultABI.
	ABI map[string]uint64
	// DefaultABI is the cost of an ABI function absent from ABI.
	DefaultABI uint64
}

// DefaultGasCosts returns the mainnet costs.
func DefaultGasCosts() GasCosts {
	return GasCosts{
		Operator:       23,
		MemoryGrowPage: 10_000,
		BulkMemoryByte: 1,
		Launch:         15_702,
		MaxInstance:    2_100_000,
		DefaultABI:     1_000,
		ABI:            maps.Clone(mainnetABICosts),
	}
}

// Validate rejects costs the runtime cannot use.
func (c GasCosts) Validate() error {
	if c.Operator > 1<<30 || c.MemoryGrowPage > 1<<30 || c.BulkMemoryByte > 1<<30 {
		return fmt.Errorf("%w: operator, page or byte cost above 2^30", ErrBadConfig)
	}
	return nil
}

func (c GasCosts) abi(name string) uint64 {
	if v, ok := c.ABI[name]; ok {
		return v
	}
	return c.DefaultABI
}

// mainnetABICosts is the AssemblyScript part of abi_gas_costs.json. The
// env imports AssemblyScript generates are keyed by their import name.
var mainnetABICosts = map[string]uint64{
	"abort":         1,
	"seed":          360,
	"Date.now":      355,
	"console.log":   855,
	"console.info":  855,
	"console.warn":  855,
	"console.error": 855,
	"console.debug": 855,
	"trace":         855,
	"process.exit":  0,

	"assembly_script_address_from_public_key":       1_570,
	"assembly_script_append_data":                   1_060,
	"assembly_script_append_data_for":               1_290,
	"assembly_script_call":                          15_000,
	"assembly_script_caller_has_write_access":       775,
	"assembly_script_create_sc":                     745_000_000,
	"assembly_script_delete_data":                   980,
	"assembly_script_delete_data_for":               1_100,
	"assembly_script_deferred_call_cancel":          4_165,
	"assembly_script_deferred_call_exists":          6_580,
	"assembly_script_get_deferred_call_quote":       1_220,
	"assembly_script_deferred_call_register":        2_650,
	"assembly_script_function_exists":               2_875,
	"assembly_script_generate_event":                860,
	"assembly_script_get_balance":                   745,
	"assembly_script_get_balance_for":               900,
	"assembly_script_get_bytecode":                  1_100,
	"assembly_script_get_bytecode_for":              1_375,
	"assembly_script_get_call_coins":                725,
	"assembly_script_get_call_stack":                1_560,
	"assembly_script_get_current_period":            785,
	"assembly_script_get_current_thread":            770,
	"assembly_script_get_data":                      1_040,
	"assembly_script_get_data_for":                  1_240,
	"assembly_script_get_keys":                      1_000,
	"assembly_script_get_keys_for":                  1_195,
	"assembly_script_get_op_data":                   50_000,
	"assembly_script_get_op_keys":                   1_400,
	"assembly_script_get_op_keys_prefix":            1_400,
	"assembly_script_get_owned_addresses":           1_600,
	"assembly_script_get_remaining_gas":             580,
	"assembly_script_get_time":                      750,
	"assembly_script_has_data":                      845,
	"assembly_script_has_data_for":                  1_220,
	"assembly_script_has_op_key":                    1_455,
	"assembly_script_hash":                          1_055,
	"assembly_script_hash_sha256":                   990,
	"assembly_script_keccak256_hash":                1_055,
	"assembly_script_local_call":                    15_000,
	"assembly_script_local_execution":               314_000_000,
	"assembly_script_print":                         855,
	"assembly_script_send_message":                  40_000_000,
	"assembly_script_get_origin_operation_id":       785,
	"assembly_script_set_bytecode":                  745_000_000,
	"assembly_script_set_bytecode_for":              745_000_000,
	"assembly_script_set_data":                      940,
	"assembly_script_set_data_for":                  1_070,
	"assembly_script_signature_verify":              1_200,
	"assembly_script_evm_signature_verify":          3_310,
	"assembly_script_evm_get_address_from_pubkey":   1_120,
	"assembly_script_evm_get_pubkey_from_signature": 1_540,
	"assembly_script_is_address_eoa":                450,
	"assembly_script_transfer_coins":                1_045,
	"assembly_script_transfer_coins_for":            1_190,
	"assembly_script_unsafe_random":                 790,
	"assembly_script_validate_address":              890,
	"assembly_script_chain_id":                      785,
}
