// Cloudflare Workers (workerd): a .wasm import arrives as a compiled WebAssembly.Module, and
// compiling from bytes at run time is refused there, so the module is instantiated synchronously.
import wasmModule from "./snowfall_wasm_bg.wasm";
import { initSync } from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";

const wasm = initSync({ module: wasmModule });
setWasmMemory(wasm.memory);

export * from "./api.js";
