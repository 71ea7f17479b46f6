// A tiny counter: the well-behaved contract that must keep working after
// the bad ones have failed on the same node.
import { Storage, generateEvent } from '@massalabs/massa-as-sdk';
import { Args, bytesToU64, stringToBytes, u64ToBytes } from '@massalabs/as-types';

const COUNTER: StaticArray<u8> = stringToBytes('counter');

function read(): u64 {
  return Storage.has(COUNTER) ? bytesToU64(Storage.get(COUNTER)) : 0;
}

export function constructor(_: StaticArray<u8>): void {
  Storage.set(COUNTER, u64ToBytes(0));
  generateEvent('good:deployed');
}

// increment(Args [u64 by]) adds by (default 1) and emits "good:<old>-><new>".
export function increment(binaryArgs: StaticArray<u8>): StaticArray<u8> {
  const by = new Args(binaryArgs).nextU64();
  const step: u64 = by.isOk() ? by.unwrap() : 1;
  const old = read();
  const updated = old + step;
  Storage.set(COUNTER, u64ToBytes(updated));
  generateEvent(`good:${old.toString()}->${updated.toString()}`);
  return u64ToBytes(updated);
}
