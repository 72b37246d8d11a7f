// The wasm instance's memory, handed over by the runtime entry after instantiation, so ids that
// wasm wrote in bulk (its scratch area, at most 64 Ki ids) can be copied out with one typed-array
// copy per chunk.
import { scratchAddress } from "./snowfall_wasm.js";

let memory;

/** @param {WebAssembly.Memory} m */
export function setWasmMemory(m) {
  memory = m;
}

/** Bytes of wasm memory now (it grows, never shrinks: bench/memory.mjs reports it). */
export function wasmMemoryBytes() {
  return memory.buffer.byteLength;
}

// Intrinsic: a BigUint64Array subclass cannot override the copy.
const typedArraySet = Object.getPrototypeOf(Uint8Array.prototype).set;

/** A new array of the `count` ids the last `fillIds` made. */
export function copyScratch(count) {
  return new BigUint64Array(memory.buffer, scratchAddress(), count).slice();
}

/** Copies the `count` ids the last `fillIds` made into `target` from index `offset`. */
export function copyScratchInto(target, offset, count) {
  // Read `buffer` each time: it is replaced whenever wasm memory grows.
  typedArraySet.call(target, new BigUint64Array(memory.buffer, scratchAddress(), count), offset);
}

/** A view of `count` f64 values at `address` in wasm memory (valid until wasm memory grows). */
export function wasmF64s(address, count) {
  return new Float64Array(memory.buffer, address, count);
}
