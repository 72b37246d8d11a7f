// Node entry (Bun too). The build bundles it, with the wasm bytes embedded (no file read at start),
// into both node.cjs and node.mjs, which share one instance (one registry, one SnowfallError class).
import wasmBytes from "./snowfall_wasm_bg.wasm";
import { initSync } from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";

setWasmMemory(initSync({ module: wasmBytes }).memory);

export * from "./api.js";
