package bench

import (
	"encoding/binary"
	"fmt"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Sender is a funded key the load is signed with.
type Sender struct {
	Key     *crypto.SecretKey
	Address types.Address
	Thread  uint8
	pubText string // base58 public key, as send_operations wants it
}

// DeriveKey returns the index-th key of a seed: the same seed always gives
// the same keys, so a run can be repeated against the same genesis.
func DeriveKey(seed uint64, label string, index uint64) *crypto.SecretKey {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], seed)
	binary.BigEndian.PutUint64(b[8:], index)
	h := crypto.HashOfParts([]byte("gomassa-bench/"+label+"/"), b[:])
	return crypto.SecretKeyFromSeed([crypto.SeedSize]byte(h))
}

// DeriveSenders returns perThread senders in each of threadCount threads
// (an operation goes to its sender's thread, so the load covers every
// thread only if the senders do). Order: thread 0's senders first.
func DeriveSenders(seed uint64, threadCount uint8, perThread int) ([]*Sender, error) {
	if threadCount == 0 || perThread <= 0 {
		return nil, fmt.Errorf("%d senders per thread over %d threads: %w", perThread, threadCount, ErrBadOptions)
	}
	byThread := make([][]*Sender, threadCount)
	need := int(threadCount) * perThread
	for i, found := uint64(0), 0; found < need; i++ {
		if i > uint64(need)*64 {
			return nil, fmt.Errorf("could not spread %d senders over %d threads: %w", need, threadCount, ErrBadOptions)
		}
		k := DeriveKey(seed, "sender", i)
		a := types.AddressOf(k.Public())
		th := a.Thread(threadCount)
		if len(byThread[th]) >= perThread {
			continue
		}
		byThread[th] = append(byThread[th], &Sender{Key: k, Address: a, Thread: th, pubText: k.Public().String()})
		found++
	}
	out := make([]*Sender, 0, need)
	for _, s := range byThread {
		out = append(out, s...)
	}
	return out, nil
}
