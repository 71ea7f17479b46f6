package ledger

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/types"
)

// Storage cost constants (protocol.md §3.3, model.md §8).
const (
	// CostPerByte is LEDGER_COST_PER_BYTE: 0.0001 MAS.
	CostPerByte types.Amount = 100_000
	// EntryBaseCost is LEDGER_ENTRY_BASE_COST: 0.001 MAS, the cost of a new
	// address. A coin transfer that creates a user address takes it from
	// the transferred amount.
	EntryBaseCost types.Amount = 1_000_000
	// DatastoreEntryBaseSize is LEDGER_ENTRY_DATASTORE_BASE_SIZE: every
	// datastore entry is charged as if 4 bytes longer.
	DatastoreEntryBaseSize = 4
)

// BytesCost returns n * CostPerByte.
func BytesCost(n uint64) (types.Amount, error) {
	c, err := CostPerByte.MulU64(n)
	if err != nil {
		return 0, fmt.Errorf("%w: %d bytes", ErrCostOverflow, n)
	}
	return c, nil
}

// DatastoreEntryCost returns the cost of one datastore entry:
// (4 + len(key) + len(value)) * CostPerByte.
func DatastoreEntryCost(keyLen, valueLen int) (types.Amount, error) {
	if keyLen < 0 || valueLen < 0 {
		return 0, fmt.Errorf("%w: negative length", ErrCostOverflow)
	}
	return BytesCost(uint64(DatastoreEntryBaseSize) + uint64(keyLen) + uint64(valueLen))
}

// BytecodeCost returns len * CostPerByte.
func BytecodeCost(n int) (types.Amount, error) {
	if n < 0 {
		return 0, fmt.Errorf("%w: negative length", ErrCostOverflow)
	}
	return BytesCost(uint64(n))
}

// SCCreationCost is what the creator of a smart contract pays:
// EntryBaseCost + len(bytecode) * CostPerByte.
func SCCreationCost(bytecodeLen int) (types.Amount, error) {
	c, err := BytecodeCost(bytecodeLen)
	if err != nil {
		return 0, err
	}
	total, err := c.Add(EntryBaseCost)
	if err != nil {
		return 0, fmt.Errorf("%w: %d bytes of bytecode", ErrCostOverflow, bytecodeLen)
	}
	return total, nil
}

// CostDelta compares the storage cost of an old and a new size (in bytes
// charged) and returns what must be charged (new > old) or refunded
// (new < old); at most one of the two is non-zero.
func CostDelta(oldBytes, newBytes uint64) (charge, refund types.Amount, err error) {
	switch {
	case newBytes > oldBytes:
		charge, err = BytesCost(newBytes - oldBytes)
	case newBytes < oldBytes:
		refund, err = BytesCost(oldBytes - newBytes)
	}
	return charge, refund, err
}

// DatastoreEntrySize is the number of bytes a datastore entry is charged
// for: 4 + len(key) + len(value).
func DatastoreEntrySize(keyLen, valueLen int) uint64 {
	return uint64(DatastoreEntryBaseSize) + uint64(keyLen) + uint64(valueLen)
}
