// Package execution executes slots: the operations of each block, the
// reward split, production stats and deferred credits, speculatively along
// the blockclique and finally once consensus makes a slot final
// (protocol.md §3).
//
// # What it owns
//
// Core is a deterministic state machine (no clock, no goroutine, no map
// order leaking): the node gives it blocks with UpdateBlockclique and the
// current time with Run. It owns
//   - the final state in the store: the ledger (through package ledger),
//     the PoS state (package pos), the executed operations
//     ("executed_ops/") and the execution trail hash
//     ("execution_trail_hash/"), committed as one atomic batch per final
//     slot, so the store's state hash is updated once per slot;
//   - the in-memory final PoS state and executed-operation index;
//   - the active history: one SlotOutput per speculatively executed slot,
//     truncated when the blockclique changes under it and reused when its
//     front becomes final with the same block;
//   - the events: final ones in a bounded store, candidate ones in the
//     history;
//   - the asynchronous message pool ("async_pool/", protocol.md §4.1) and
//     the deferred-call registry ("deferred_calls/", §4.2): final state in
//     memory and in the store, each slot's changes in its SlotOutput;
//   - the smart-contract side of the host ABI (host.go): the call stack
//     and write rights, contract creation, storage costs, event limits,
//     messages; package vm runs the wasm and calls it back.
//
// Slots run one by one in global order (period, thread), misses included.
// Reads during a slot go: the slot's own changes, the history newest
// first, the final state. Inside a slot: trail hash; the deferred calls
// booked for the slot; the block's operations in order (validity period,
// block gas, thread, replay check, fee, snapshot, type logic, revert on
// failure); production stats and rewards, or a miss for the drawn
// producer; async messages in fee-per-gas order within MaxAsyncGas minus
// the deferred calls' booked gas plus the block's unused gas; deferred credits due; message expiry, eviction
// and triggers; at the end of a cycle the 70% miss rule.
//
// Read-only requests (ExecuteReadOnlyBytecode, ExecuteReadOnlyCall) run
// at the slot after the latest executed one, over a store snapshot and a
// copy of the history, and keep nothing.
//
// Decisions worth knowing:
//   - The final-state-hash snapshot of a cycle (which seeds the draws of
//     cycle+3) is the hash after the latest final slot. Massa writes it
//     with a separate DB write right after each slot; our store only
//     commits per slot, so the snapshot taken after slot S is written in
//     the batch of slot S+1 (the in-memory value is exact at once, and a
//     restart at S recomputes it from the store).
//   - Error events keep unique indices (Massa reuses the index of the
//     error event of a reverted operation).
//   - Smart-contract operations fail with ErrSCNotSupported until a VM is
//     given in Deps; denunciations are not executed yet (an extension
//     point in slot.go).
//   - Deferred-call fees use a constant base fee per gas
//     (DeferredCallBaseFee, Massa's minimum) plus Massa's global and
//     per-slot overbooking penalties and the refunded storage part; Massa
//     also moves the base fee of each newly bookable slot with a
//     controller, which is not reproduced (quotes differ, calls run the
//     same).
//   - A contract (or message) failure reverts the ledger, the PoS and
//     message changes, the address and message counters and the random
//     generator to the operation's start; the fee stays paid and an error
//     event {"massa_execution_error": ...} is emitted.
//
// # Who calls it
//
// The node opens the store, calls InitGenesis (first start), New, and runs
// a Service (or drives Core itself, as the simulator does). Consensus
// feeds UpdateBlockclique; the API and the pool call the query methods
// (Balances, CandidateBalance, RollCounts, DeferredCredits, Datastore*,
// OpExecStatus, Events, Stats, Fingerprint, ExecuteReadOnly*), which are
// safe from any goroutine.
package execution
