// The wasm instance's memory, handed over by the runtime entry after instantiation, so ids that
// wasm wrote in bulk can be copied out with one typed-array slice.
let memory;

/** @param {WebAssembly.Memory} m */
export function setWasmMemory(m) {
  memory = m;
}

/** A copy of `count` u64 values at `address` in wasm memory. */
export function copyU64s(address, count) {
  // Read `buffer` each time: it is replaced whenever wasm memory grows.
  return new BigUint64Array(memory.buffer, address, count).slice();
}

/** Copies `target.length` u64 values at `address` in wasm memory into `target`. */
export function copyU64sInto(address, target) {
  target.set(new BigUint64Array(memory.buffer, address, target.length));
}

/** A view of `count` f64 values at `address` in wasm memory (valid until wasm memory grows). */
export function wasmF64s(address, count) {
  return new Float64Array(memory.buffer, address, count);
}
