// Misbehaving entry points: each must be stopped by gas or a limit, its
// operation failing with a clear error while the node carries on.
import { Context, Storage, call, generateEvent } from '@massalabs/massa-as-sdk';
import { Args, stringToBytes } from '@massalabs/as-types';

export function constructor(_: StaticArray<u8>): void {
  generateEvent('bad:deployed');
}

// loopForever never returns: only gas stops it.
export function loopForever(_: StaticArray<u8>): void {
  let i: u64 = 0;
  while (true) {
    i++;
    if (i == 0) generateEvent('wrapped'); // keeps the loop observable
  }
}

// allocateTooMuch asks for far more than the 64-page (4 MiB) memory cap.
export function allocateTooMuch(_: StaticArray<u8>): void {
  const chunks = new Array<StaticArray<u8>>();
  for (let i = 0; i < 64; i++) {
    chunks.push(new StaticArray<u8>(1 << 20));
  }
  generateEvent(`allocated ${chunks.length.toString()} MiB`);
}

// trap aborts through AssemblyScript's abort (env.abort).
export function trap(_: StaticArray<u8>): void {
  assert(false, 'bad: deliberate trap');
}

// unreachable executes the wasm unreachable instruction.
export function unreachableTrap(_: StaticArray<u8>): void {
  unreachable();
}

function deep(n: u64): u64 {
  if (n == 0) return 0;
  return deep(n - 1) + 1;
}

// recurse recurses natively n levels (Args [u64 n], default 10 million).
export function recurse(binaryArgs: StaticArray<u8>): void {
  const r = new Args(binaryArgs).nextU64();
  const n: u64 = r.isOk() ? r.unwrap() : 10_000_000;
  generateEvent(`depth ${deep(n).toString()}`);
}

// recurseCalls calls itself through the host until the call depth limit.
export function recurseCalls(_: StaticArray<u8>): void {
  call(Context.callee(), 'recurseCalls', new Args(), 0);
}

// writeTooMuch writes a value of 3 MiB, then keeps adding 1 MiB entries:
// storage cost and gas must stop it.
export function writeTooMuch(_: StaticArray<u8>): void {
  const big = new StaticArray<u8>(1 << 20);
  for (let i = 0; i < 1000; i++) {
    Storage.set(stringToBytes(`big${i.toString()}`), big);
  }
  generateEvent('wrote everything');
}
