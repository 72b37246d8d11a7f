// snowfall-wasm/init: the browser entry without top-level await (service workers, SharedWorkers).
export * from "./index.js";

/** Loads the wasm once per realm; `input` defaults to the snowfall_wasm_bg.wasm next to the module. */
export function init(input?: URL | string | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** Loads the wasm synchronously from a compiled module or its bytes. */
export function initSync(module: WebAssembly.Module | BufferSource): void;
/** Whether init() has finished in this realm. */
export function isInitialized(): boolean;
