// Node entry (Bun too). The build bundles it, the wasm bytes embedded (no file read at start), into
// both node.cjs and node.mjs. Whichever of the two loads first instantiates the wasm and keeps its
// exports under a versioned globalThis key; the other hands out those same objects, so import and
// require share one instance (one registry, one SnowfallError class).
import wasmBytes from "./snowfall_wasm_bg.wasm";
import { initSync } from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";
import * as api from "./api.js";

const key = Symbol.for(__SNOWFALL_INSTANCE_KEY__);

/** The package's exports: this copy's, or those of the copy that loaded first. */
export const shared = globalThis[key] ?? (() => {
  setWasmMemory(initSync({ module: wasmBytes }).memory);
  const exports = { ...api };
  Object.defineProperty(globalThis, key, { value: exports });
  return exports;
})();
