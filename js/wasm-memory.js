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

// The last view of the scratch area, reused while it is still good: same address (the area moves
// only when it grows) and not detached (wasm memory growing detaches the old buffer, and a
// detached view's length reads 0). Making a view per call cost more than the copy itself.
let view = null;
let viewAddress = -1;

function scratchView(count) {
  const address = scratchAddress();
  if (view === null || address !== viewAddress || view.length !== count) {
    view = new BigUint64Array(memory.buffer, address, count);
    viewAddress = address;
  }
  return view;
}

/** A new array of the `count` ids the last `fillIds` made. */
export function copyScratch(count) {
  return scratchView(count).slice();
}

/** Copies the `count` ids the last `fillIds` made into `target` from index `offset`. */
export function copyScratchInto(target, offset, count) {
  typedArraySet.call(target, scratchView(count), offset);
}

/** A view of `count` f64 values at `address` in wasm memory (valid until wasm memory grows). */
export function wasmF64s(address, count) {
  return new Float64Array(memory.buffer, address, count);
}
