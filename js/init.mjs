// snowfall-wasm/init: the browser entry without top-level await, for the places that cannot wait
// for one (service workers refuse top-level await; a SharedWorker's first `connect` fires before a
// module's top-level await ends) and for bundles that cannot hold one (esbuild's iife). The wasm is
// compiled by `await init()` or by the first `Snowfall.create()`; before that, `new Snowfall()`
// throws NOT_INITIALIZED. The default browser entry (browser.mjs) is this module plus
// `await init()`, so both share one module instance. No database code is loaded here.
import wasmInit, { initSync as wasmInitSync } from "./snowfall_wasm.js";
import { SnowfallError } from "./errors.js";
import { DEFAULT_EPOCH_UNIX_MS } from "./settings.js";
import { setWasmMemory } from "./wasm-memory.js";
import { Snowfall as CoreSnowfall } from "./snowfall.js";
import { decodeGuid as coreDecodeGuid, guidRange as coreGuidRange } from "./decode.js";
import { SimpleSyncer as CoreSimpleSyncer } from "./simple-syncer.js";
import { BrowserSyncer as CoreBrowserSyncer } from "./stores/browser.js";
import { openSession as coreOpenSession } from "./lease/session.js";

let initialized = false;
let pending = null;

function ready(wasm) {
  setWasmMemory(wasm.memory);
  initialized = true;
}

/**
 * Compiles and instantiates the wasm once per realm (later calls resolve at once). `input`: where
 * the .wasm is (a URL or string, a Response, a BufferSource or a WebAssembly.Module); default the
 * file next to this module, `snowfall_wasm_bg.wasm`.
 * @param {URL | string | Response | BufferSource | WebAssembly.Module} [input]
 * @returns {Promise<void>}
 */
export function init(input) {
  if (initialized) return Promise.resolve();
  pending ??= wasmInit({ module_or_path: input ?? new URL("./snowfall_wasm_bg.wasm", import.meta.url) }).then(
    (wasm) => { ready(wasm); },
    (cause) => {
      pending = null;
      throw new SnowfallError("NOT_INITIALIZED", `the wasm could not be loaded (${cause?.message ?? cause}): serve snowfall_wasm_bg.wasm next to the package's JS with the MIME type application/wasm, or pass its URL (or bytes, or a WebAssembly.Module) to init()`, { cause });
    },
  );
  return pending;
}

/**
 * Instantiates the wasm synchronously from a compiled WebAssembly.Module or its bytes (workers that
 * have them already).
 * @param {WebAssembly.Module | BufferSource} module
 */
export function initSync(module) {
  if (!initialized) ready(wasmInitSync({ module }));
}

/** Whether init() has finished in this realm. */
export function isInitialized() {
  return initialized;
}

function notInitialized(what) {
  return new SnowfallError("NOT_INITIALIZED", `${what} was called before the wasm was loaded: \`await init()\` first (from "snowfall-wasm/init"), or use \`await Snowfall.create()\`, which loads it`);
}

/** SimpleSyncer, usable once the wasm is loaded. */
export class SimpleSyncer extends CoreSimpleSyncer {}
for (const name of ["createSchemaGroup", "hasSchemaGroup", "schemaGroupStatus", "dropSchemaGroup"]) {
  const method = CoreSimpleSyncer[name];
  Object.defineProperty(SimpleSyncer, name, {
    configurable: true,
    writable: true,
    value: function guarded(...args) {
      if (!initialized) throw notInitialized(`SimpleSyncer.${name}()`);
      return method.apply(CoreSimpleSyncer, args);
    },
  });
}

/** This entry's SimpleSyncer is the core's as far as the generator is concerned. */
const coreOptions = (options) => (options !== null && typeof options === "object" && options.syncer === SimpleSyncer ? { ...options, syncer: CoreSimpleSyncer } : options);

/** Snowfall, usable once the wasm is loaded; `Snowfall.create()` loads it. */
export class Snowfall extends CoreSnowfall {
  constructor(options, parts) {
    if (!initialized) throw notInitialized("new Snowfall()");
    super(coreOptions(options), parts);
  }

  static async create(options) {
    await init();
    return super.create(coreOptions(options));
  }
}

/** BrowserSyncer; `open()` loads the wasm first. */
export class BrowserSyncer extends CoreBrowserSyncer {
  static async open(options) {
    await init();
    return super.open(options);
  }
}

/** openSession; loads the wasm first. */
export async function openSession(store, options) {
  await init();
  return coreOpenSession(store, options);
}

export function decodeGuid(id, options) {
  if (!initialized) throw notInitialized("decodeGuid()");
  return coreDecodeGuid(id, options);
}

export function guidRange(time, options) {
  if (!initialized) throw notInitialized("guidRange()");
  return coreGuidRange(time, options);
}

export { SnowfallError } from "./errors.js";
export { guidReplacer, guidReviver } from "./json.js";
export { guidLimits } from "./limits.js";
export { LeaseSession } from "./lease/session.js";
export { IndexedDbStore, lockName } from "./stores/browser.js";

/** The default epoch, 2020-01-01T00:00:00Z. */
export const DEFAULT_EPOCH = new Date(DEFAULT_EPOCH_UNIX_MS);

// The database code stays out of browsers; these names exist so that one import line works in
// isomorphic code, and they say where to go.
function serverOnly(name) {
  return () => {
    throw new SnowfallError("UNSUPPORTED_RUNTIME", `${name} is not in the browser entry (browsers carry no database code): run it on a server (Node, Workers), or use BrowserSyncer in the browser`);
  };
}
export class DatabaseSyncer {
  static createSchemaGroup = serverOnly("DatabaseSyncer.createSchemaGroup");
  static open = serverOnly("DatabaseSyncer.open");
  static status = serverOnly("DatabaseSyncer.status");
  static dropSchemaGroup = serverOnly("DatabaseSyncer.dropSchemaGroup");
}
export class SqlStore {
  constructor() {
    serverOnly("SqlStore")();
  }
}
export const fromPg = serverOnly("fromPg");
export const fromMysql2 = serverOnly("fromMysql2");
export const fromBetterSqlite3 = serverOnly("fromBetterSqlite3");
export const fromD1 = serverOnly("fromD1");
