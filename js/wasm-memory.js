// The wasm instance's memory, handed over by the runtime entry after instantiation, so ids that
// wasm wrote in bulk (its scratch area, at most 64 Ki ids) can be copied out with one typed-array
// copy per chunk.
import { scratchAddress } from "./snowfall_wasm.js";
import { CHUNK_IDS } from "./core.js";

let memory;

/** @param {WebAssembly.Memory} m */
export function setWasmMemory(m) {
  memory = m;
  view = null;
  asked = 0;
}

/** Bytes of wasm memory now (it grows, never shrinks: bench/memory.mjs reports it). */
export function wasmMemoryBytes() {
  return memory.buffer.byteLength;
}

// Intrinsic: a BigUint64Array subclass cannot override the copy.
const typedArraySet = Object.getPrototypeOf(Uint8Array.prototype).set;

// The last view of the scratch area, reused while it is still good. The area moves only when it
// grows, and it grows only in a fillIds call asking for more ids than any call before (grown first,
// whatever the call's outcome: src/wasm/generator.rs fillIds), so every fillIds call goes through
// fillScratch, which forgets the view before such a call; wasm memory growing detaches the old
// buffer (a detached view's length reads 0) without moving the area. Asking wasm for the address
// per batch, a second wasm call, cost about 5 % of a getGuidsInto + read still in baseline code
// (bench/into-read.mjs), and making a view per call more than the copy itself.
let view = null;
let viewAddress = -1;
/** The most ids any fillIds call was asked for. */
let asked = 0;

/** `core.fillIds(...)`: every call goes through here (see above). */
export function fillScratch(core, count, reading, waited, answer, mark) {
  if (count <= asked) return core.fillIds(count, reading, waited, answer, mark);
  // The area may move: forgotten before the call (which may throw), the new size noted after it
  // returned (the area then holds that many, up to CHUNK_IDS, the most one call makes).
  view = null;
  const made = core.fillIds(count, reading, waited, answer, mark);
  asked = Math.min(count, CHUNK_IDS);
  return made;
}

function scratchView(count) {
  let v = view;
  if (v === null || v.length !== count) {
    if (v === null) viewAddress = scratchAddress();
    v = view = new BigUint64Array(memory.buffer, viewAddress, count);
  }
  return v;
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
