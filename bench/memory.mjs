// Wasm memory figures (issue 7): the instance's memory after 1M `new Snowfall()` + `close()`, and
// after one getGuids(2^24) batch. Run by bench/bench.mjs in a child process per package build
// (its own wasm instance); alone: `node --expose-gc bench/memory.mjs [pkgDir]` (default pkg/).
// Prints one JSON line: bytes of wasm memory at start, after the generators, after the batch.
//
// The package's ESM files are loaded directly (the glue, wasm-memory.js, api.js: the browser
// entry's graph without fetch), so this process can read the instance's memory.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dir = resolve(process.argv[2] ?? new URL("../pkg", import.meta.url).pathname);
const url = (f) => pathToFileURL(join(dir, f)).href;
const glue = await import(url("snowfall_wasm.js"));
const wasm = glue.initSync({ module: readFileSync(join(dir, "snowfall_wasm_bg.wasm")) });
(await import(url("wasm-memory.js"))).setWasmMemory(wasm.memory);
// 0.1.0 registered the error class from the entry; later builds have no such export.
glue.registerErrorClass?.((await import(url("errors.js"))).SnowfallError);
const { Snowfall } = await import(url("api.js"));

const GENERATORS = Number(process.env.BENCH_MEMORY_GENERATORS ?? 1_000_000);
const bytes = () => wasm.memory.buffer.byteLength;
const start = bytes();
const t0 = performance.now();
for (let i = 0; i < GENERATORS; i++) new Snowfall().close();
const afterGenerators = bytes();
const generatorsMs = performance.now() - t0;
globalThis.gc?.();
const ids = new Snowfall().getGuids(2 ** 24);
if (ids.length !== 2 ** 24) throw new Error("short batch");
const afterBatch = bytes();
console.log(JSON.stringify({ start, afterGenerators, afterBatch, generators: GENERATORS, generatorsMs: Math.round(generatorsMs) }));
