// Package wasm reads, rewrites and writes WebAssembly binary modules: just
// enough of the format to meter smart contracts with gas before they are
// compiled (protocol.md §3.5, §3.8).
//
// # What it owns
//
//   - A parser of the module structure (sections, types, imports, function
//     and code sections, memory limits, globals, exports, start) that keeps
//     every other section as raw bytes, and an encoder that writes the
//     module back.
//   - An instruction walker over function bodies with the immediate table of
//     the MVP plus sign-extension, bulk-memory and non-trapping float-to-int
//     operators. Anything else (SIMD, reference-type and multi-value
//     instructions, threads) is rejected: Massa's runtime enables only bulk
//     memory, so a contract using them is invalid there too.
//   - Meter, the gas pass: a mutable i64 global holds the remaining gas; at
//     the start of every basic block the pass inserts "gas -= cost * block
//     length; trap if gas < 0", before memory.grow a per-page charge and
//     before memory.copy/fill/init a per-byte charge. The
//     start function is turned into an export so the host can set the gas
//     before it runs, and linear memory is capped at MaxPages.
//
// A basic block here is a run of instructions entered only at its first
// instruction and left only after its last one: blocks start at function
// entry and after loop, if, else, end, br, br_if, br_table, return and
// unreachable. Every instruction of a block therefore executes once the
// block is entered (barring a trap), so for any run that completes, the gas
// charged is exactly cost times the number of instructions executed, the
// figure Massa's wasmer metering middleware charges (a flat cost per
// operator).
//
// # Who calls it
//
// Package vm meters every bytecode before handing it to wazero. The rest of
// the node does not use this package.
package wasm
