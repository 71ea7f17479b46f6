// Package vm runs Massa's AssemblyScript smart contracts unchanged: the
// wasm runtime (wazero), gas metering and the host ABI the contracts
// import (protocol.md §3.5, §3.8, §3.9; conformance/ABI.md).
//
// # What it owns
//
//   - VM: one wazero runtime with the host modules "massa" (every
//     assembly_script_* function of massa-as-sdk 3.x) and "env" (abort,
//     seed, Date.now, console.*, trace, process.exit), and a bounded LRU of
//     compiled modules keyed by the BLAKE3 hash of their bytecode (a
//     second, smaller one for bytecodes run once: ExecuteSC, read-only
//     bytecode, local_execution).
//   - A run: the bytecode flavour check (first byte 0x00 = AssemblyScript
//     module; 0x01 = wasmv1, refused), metering by package wasm, one fresh
//     instance per call (memory capped at 64 pages), the metered start
//     function, the launch cost, the call of function(param) with param as
//     an ArrayBuffer allocated through the module's __new, and the result
//     read back from the returned pointer.
//   - The ABI: AssemblyScript strings (UTF-16LE, rtSize at ptr-4) and
//     buffers in the contract's memory; results allocated with __new
//     (strings pinned with __pin, as the official runtime does); the
//     encodings ABI.md lists (JSON call stack without spaces, key lists,
//     has_op_key's [0]/[1] buffer); the per-function gas costs of
//     Massa's abi_gas_costs.json (GasCosts); nested call / local_call /
//     local_execution with the caller's remaining gas and a depth limit.
//
// What the VM does not own is the state: every read and write goes
// through the Host interface, which package execution implements with the
// write-access rules, storage costs, event limits, coin transfers, the
// asynchronous message pool and the deferred-call registry.
//
// Gas: the wasm pass charges Operator (23) per executed instruction,
// MemoryGrowPage per page asked of memory.grow and BulkMemoryByte per byte
// asked of memory.copy/fill/init (both our additions); every host function
// charges its ABI cost before it runs; a nested execution runs with all
// the gas left and gives back what it did not use. A run needs at least
// MaxInstance gas to start (the instance itself is not charged, like
// Massa's cached modules). Running out of gas anywhere fails the run with
// ErrOutOfGas; the point where it happens is deterministic.
//
// Not implemented: the wasmv1 flavour and the EVM helpers
// (evm_signature_verify, evm_get_address_from_pubkey,
// evm_get_pubkey_from_signature); NaN canonicalisation (the contracts use
// no floats).
//
// # Who calls it
//
// The node creates one VM (New) and gives it to execution.Deps; execution
// calls RunMain for ExecuteSC and read-only bytecode, RunFunction for
// CallSC, asynchronous messages, deferred calls and read-only calls, from
// its driver and from API goroutines (a VM is safe for concurrent use).
package vm
