// Package contracts runs our own AssemblyScript contracts (src/*.ts),
// compiled from source with Massa's official toolchain by
// scripts/build-contracts.sh, through a real sandbox node: a well-behaved
// counter (good.ts) and entry points that loop forever, allocate too much
// memory, trap, recurse too deeply or write too much storage (bad.ts), plus
// a hand-made module importing an unknown function. Each bad operation must
// fail with a clear execution error while the node keeps answering and the
// good contract keeps working. OWN_CONTRACTS_DIR names the directory of the
// compiled .wasm files (scripts/conformance.sh sets it); without it the
// test is skipped.
package contracts
