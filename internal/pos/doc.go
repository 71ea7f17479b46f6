// Package pos is gomassa's proof-of-stake core: roll counts per cycle,
// per-slot seed bits, production stats and the 70 % miss rule, deferred
// credits, the draw seeds, and the weighted draws of block producers and
// endorsers (protocol.md §2). It is a pure, deterministic library: no
// goroutines, no clock, no I/O, and no map order ever reaches an output
// (every listing is sorted by slot and Massa's Address order).
//
// # What it owns
//
//   - State: the FINAL PoS state — the last SavedCycles CycleInfo records
//     (complete flag, roll counts, seed bits, production stats, final state
//     hash snapshot) and the deferred credits. It changes one final slot at
//     a time through Apply, and every mutation returns the store Ops (puts
//     and deletes, keys byte-exact with Massa's `cycle_history/` and
//     `deferred_credits/` layout) that persist exactly that change, so the
//     store's state hash follows. EncodeKV dumps the whole state; Load
//     rebuilds it from the store.
//   - Changes: the PoS effects of one slot, with Massa's PoSChanges
//     semantics (seed bits appended, roll counts and credits absolute, stats
//     as deltas). Speculative is the execution-side view of a slot: it reads
//     through this slot's Changes, then the active (executed, not final)
//     history as []Layer newest first, then the final State, and writes only
//     to its own Changes. Execution keeps one Changes per executed slot in
//     its active history and hands it to State.Apply when the slot is final.
//     The speculative layers are never merged into the final state early,
//     so a blockclique change just drops them.
//   - DrawCycle / Draws: the selections of a cycle from DrawInputs (rolls of
//     cycle-3, seed from cycle-2 and the snapshot of cycle-3), computed with
//     Xoshiro256++ and a Vose alias table replicated bit for bit from
//     rand 0.8.5 / rand_distr 0.4.3 / rand_xoshiro 0.6 (see
//     spec/DECISIONS.md, "Proof-of-stake draws"; testdata/alias_vectors.txt
//     was produced by those Rust crates).
//   - Selector: a bounded cache of Draws (SELECTOR_DRAW_CACHE_SIZE cycles)
//     answering Producer, Endorsers, Selection, SelectionsInRange and
//     NextDraws. It is the only type here safe for concurrent use (an
//     RWMutex), because consensus, factories, pools and the API all read it.
//
// # Who calls it
//
// The final-state owner creates the State (CreateInitialCycle at genesis,
// or Load), applies each final slot's Changes with Apply, writes the
// returned Ops into the slot's store batch, records the new state hash with
// SetFinalStateHashSnapshot, and when Apply reports a completed cycle C
// feeds the Selector with DrawInputs(C+2). Execution opens a Speculative per
// slot (State.Speculate) for roll buys and sells, slashing, production
// stats (RecordProduction), due credits (TakeDueCredits) and, at the last
// slot of a cycle, SettleProductionStats. State.FeedSlot runs that sequence
// directly on the final state for tools and tests without speculation.
// Consensus, the factories and the API read the Selector.
package pos
