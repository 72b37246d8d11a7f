// Browsers and other runtimes with fetch: the module finishes loading once the wasm is compiled.
// Where a top-level await cannot be used (service workers, a SharedWorker's first connect), import
// "snowfall-wasm/init" (init.mjs, this module without the await) and call `await init()`.
import { init } from "./init.mjs";

await init();

export * from "./init.mjs";
