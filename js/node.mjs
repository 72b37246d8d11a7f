// Node entry. The build bundles it into node.cjs, and the published node.mjs re-exports that, so
// import and require share one module instance (one registry, one SnowfallError class).
import { readFileSync } from "node:fs";
import { initSync } from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";

const wasm = initSync({ module: readFileSync(new URL("./snowfall_wasm_bg.wasm", import.meta.url)) });
setWasmMemory(wasm.memory);

export * from "./api.js";
