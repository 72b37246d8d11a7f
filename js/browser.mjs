// Browsers and other runtimes with fetch: the module finishes loading once the wasm is compiled.
import init from "./snowfall_wasm.js";
import { setWasmMemory } from "./wasm-memory.js";

const wasm = await init({ module_or_path: new URL("./snowfall_wasm_bg.wasm", import.meta.url) });
setWasmMemory(wasm.memory);

export * from "./api.js";
