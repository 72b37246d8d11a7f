// Types of init.mjs (snowfall-wasm/init) and, through browser.d.mts, of the browser entry (conditions
// `browser`, `worker`, `default`): exactly the names init.mjs exports. No database code, Redis or Workers
// API here; the server-only names exist at run time only to throw UNSUPPORTED_RUNTIME.
export {
  Snowfall, SimpleSyncer, BrowserSyncer, IndexedDbStore, lockName, LeaseSession, openSession,
  SnowfallError, decodeGuid, guidRange, DEFAULT_EPOCH, guidReplacer, guidReviver, guidLimits,
} from "./index.js";
export type {
  SnowfallErrorCode, GeneratorOptions, SchemaGroupOptions, DecodedGuid, Lease, StoreSlot, StoreGroup, Store,
  SessionOptions, Syncer, CreateCommonOptions, SimpleCreateOptions, StoreCreateOptions, SyncerCreateOptions,
  CreateOptions, BrowserSyncerOptions, Grant, GeneratorStats,
} from "./index.js";

/** Loads the wasm once per realm; `input` defaults to the snowfall_wasm_bg.wasm next to the module. */
export function init(input?: URL | string | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** Loads the wasm synchronously from a compiled module or its bytes. */
export function initSync(module: WebAssembly.Module | BufferSource): void;
/** Whether init() has finished in this realm. */
export function isInitialized(): boolean;

/** Not in the browser entry (browsers carry no database code): throws UNSUPPORTED_RUNTIME. */
type ServerOnly = (...args: unknown[]) => never;
/** @deprecated Not in the browser entry: every method throws UNSUPPORTED_RUNTIME. Run it on a server (Node, Workers), or use BrowserSyncer. */
export class DatabaseSyncer {
  private constructor();
  static createSchemaGroup: ServerOnly;
  static open: ServerOnly;
  static status: ServerOnly;
  static dropSchemaGroup: ServerOnly;
}
/** @deprecated Not in the browser entry: the constructor throws UNSUPPORTED_RUNTIME. */
export class SqlStore {
  constructor(...args: unknown[]);
}
/** @deprecated Not in the browser entry: throws UNSUPPORTED_RUNTIME. */
export const fromPg: ServerOnly;
/** @deprecated Not in the browser entry: throws UNSUPPORTED_RUNTIME. */
export const fromMysql2: ServerOnly;
/** @deprecated Not in the browser entry: throws UNSUPPORTED_RUNTIME. */
export const fromBetterSqlite3: ServerOnly;
/** @deprecated Not in the browser entry: throws UNSUPPORTED_RUNTIME. */
export const fromD1: ServerOnly;
