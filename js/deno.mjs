// Deno: the .wasm arrives through a source phase import (`import source`: a compiled
// WebAssembly.Module), which Deno grants without --allow-read, unlike reading the file from disk.
import source wasmModule from "./snowfall_wasm_bg.wasm";
import { initSync } from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";

setWasmMemory(initSync({ module: wasmModule }).memory);

export * from "./api.js";
