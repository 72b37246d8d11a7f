// Public types of snowfall-wasm. Ids are `bigint` (they exceed 2^53); never `number`.

// `Symbol.dispose` for projects whose `lib` predates esnext.disposable (the same declaration as
// TypeScript's own lib, so the two merge).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/** A stable cause, one per kind of failure; see the README's error table. */
export type SnowfallErrorCode =
  | "INVALID_TYPE" | "OUT_OF_RANGE" | "INVALID_SCHEMA_GROUP_NAME" | "SCHEMA_GROUP_EXISTS"
  | "SCHEMA_GROUP_IN_USE" | "SCHEMA_GROUP_NOT_FOUND" | "EPOCH_IN_FUTURE" | "GENERATOR_IDS_EXHAUSTED" | "CLOCK_BEFORE_EPOCH"
  | "CLOCK_MOVED_BACKWARDS" | "CLOCK_STALLED" | "INVALID_CLOCK_READING" | "TIMESTAMP_OVERFLOW"
  | "LEASE_EXPIRED" | "LEASE_LOST" | "GENERATOR_CLOSED" | "DATABASE_ERROR" | "INVALID_SYNCER"
  | "STORE_TIMEOUT" | "CLOCK_SKEW" | "STORE_CHECK_FAILED" | "NOT_INITIALIZED" | "UNSUPPORTED_RUNTIME" | "GRANT_UNAVAILABLE"
  // The command line's own (npx snowfall-wasm): README, "Command line".
  | "USAGE" | "DRIVER_NOT_INSTALLED" | "DATABASE_NOT_FOUND" | "PERMISSION_DENIED" | "INTERNAL";

export class SnowfallError extends Error {
  constructor(code: SnowfallErrorCode | string, message: string, options?: { cause?: unknown });
  readonly name: "SnowfallError";
  readonly code: SnowfallErrorCode;
}

/** Options shared by every generator. */
export interface GeneratorOptions {
  /** Schema group to take a generator id in. Default "default". */
  schemaGroupName?: string;
  /** Clock returning Unix milliseconds. Default `Date.now`, read on every id (never at load). */
  clock?: () => number;
  /** How far ids may run ahead of a clock that stepped back or stands still (ms). Default 2000. */
  clockToleranceMs?: number;
}

export interface SchemaGroupOptions {
  /** Default "default". 1-43 characters of A-Z a-z 0-9 _ (it becomes part of SQL table names). */
  schemaGroupName?: string;
  /** Seconds between renewals; a holder silent for two probes loses its id. Default 5. */
  livelinessProbeS?: number;
  /** Zero of the 41-bit millisecond field. Default 2020-01-01T00:00:00Z; never in the future. */
  epochStartDate?: Date | number;
}

export interface DecodedGuid {
  /** Made on first read, then kept (a prototype getter: `Object.keys` and spread list the other three). */
  timestamp: Date;
  msSinceEpoch: number;
  loopingCounter: number;
  generatorId: number;
}

/** A database as the DatabaseSyncer sees it: a dialect and one async statement runner. */
export interface Database {
  dialect: "postgres" | "mysql" | "sqlite";
  execute(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;
}

/** A lease on one generator id and a window of timestamps (Unix ms, inclusive). */
export interface Lease {
  generatorId: number;
  windowStartUnixMs: number;
  windowEndUnixMs: number;
}

/** One slot of a manifest as a store keeps it (docs/PROTOCOL.md). */
export interface StoreSlot {
  /** Unix ms of the holder's last claim or renewal (backdated by a release); a safe integer. */
  lastUpdatedMs: number;
  /** The end of the last window saved for this generator id (Unix ms, inclusive); a safe integer. */
  reservedUntilMs: number;
  /** The holder's token: "" for nobody, else 36 characters (8-4-4-4-12 lowercase hex). */
  holder: string;
}

/** A schema group's settings, as a store keeps them. */
export interface StoreGroup {
  schemaGroupName?: string;
  livelinessProbeS: number;
  epochUnixMs?: number;
  maxClaimRetries?: number;
  minMsBetweenClaimRetries?: number;
  maxMsBetweenClaimRetries?: number;
}

/**
 * Where leases are kept: I/O only, every lease rule is the core's (docs/PROTOCOL.md). Check one with
 * `checkStore` from "snowfall-wasm/testing". Errors with `contention: true` are retried by claims.
 */
export interface Store {
  /** The group's settings, or null when the group does not exist. */
  readGroup(): Promise<StoreGroup | null>;
  /** Up to `limit` slots with from <= generatorId < to and lastUpdatedMs < freeBeforeMs, by id (never-written slots: 0, 0, ""). */
  readFreeSlots(request: { from: number; to: number; limit: number; freeBeforeMs: number }): Promise<(StoreSlot & { generatorId: number })[]>;
  /** Writes `next` into the slot if and only if it holds exactly `expected` (all three fields); resolves whether it did. */
  compareAndSwap(request: { generatorId: number; expected: StoreSlot; next: StoreSlot }): Promise<boolean>;
  /** Creates the group (used by checkStore and the syncers' createSchemaGroup). */
  createGroup?(group: StoreGroup): Promise<unknown>;
  /** The store's own clock (Unix ms): opening refuses a host clock too far from it (CLOCK_SKEW). */
  now?(): Promise<number>;
}

/** One holder's lease session on a store (the core's lease protocol, driven with deadlines). */
export class LeaseSession {
  readonly schemaGroupName: string;
  readonly epochUnixMs: number;
  readonly livelinessProbeMs: number;
  readonly storeTimeoutMs: number;
  /** The lease the store last confirmed, or null. */
  readonly lease: Lease | null;
  /** When the next renewal is due (Unix ms), NaN without a lease. */
  readonly renewalDue: number;
  /** Store calls made. */
  readonly statements: number;
  /** Claims a free generator id (GENERATOR_IDS_EXHAUSTED, STORE_TIMEOUT, DATABASE_ERROR). */
  claim(): Promise<Lease>;
  /** Extends the held lease; rejects LEASE_LOST if it was taken over. */
  renew(): Promise<Lease>;
  /** Renews, or (lost) calls onRevoke and claims another id. */
  keep(onRevoke?: () => void): Promise<Lease>;
  /** Frees the generator id; `lastIssuedUnixMs` (-1 if none) bounds what this holder minted. */
  release(lastIssuedUnixMs?: number): Promise<void>;
  /** Claims a free id for someone else with a window of `windowMs`, taken until it ends; holds nothing after. */
  grant(windowMs: number): Promise<Lease>;
}

/** Options of a session on a store: every store call has a deadline. */
export interface SessionOptions {
  /** Names the session (default: the store's `schemaGroupName`, else "default"). */
  schemaGroupName?: string;
  /** The deadline of every store operation, ms (default 10000, 1..600000). */
  storeTimeoutMs?: number;
  /** How far the store's clock may be from the host's when opening, ms (default: one liveliness probe). */
  maxClockSkewMs?: number;
  clock?: () => number;
}

/** Opens a session on the schema group a store holds (what Snowfall.create({ store }) runs). */
export function openSession(store: Store, options?: SessionOptions): Promise<LeaseSession>;

/**
 * A pluggable syncer: anything that opens sessions on a schema group. `Snowfall.create({ syncer, ...options })`
 * hands `open` every option it was given, so the options a call takes are `O` (checked exactly).
 */
export interface Syncer<O = any> {
  open: (options: O) => Promise<LeaseSession>;
}

/** What Snowfall.create reads itself, whatever holds the lease. */
export interface CreateCommonOptions {
  /** Clock returning Unix milliseconds. Default `Date.now`, read on every id (never at load). */
  clock?: () => number;
  /** How far ids may run ahead of a clock that stepped back or stands still (ms). Default 2000. */
  clockToleranceMs?: number;
  /** Renew in the background with timers (default true where setTimeout exists). */
  timers?: boolean;
}

/** `Snowfall.create()` on the in-memory SimpleSyncer (the default). */
export interface SimpleCreateOptions extends GeneratorOptions, CreateCommonOptions {
  syncer?: typeof SimpleSyncer;
  store?: undefined;
}

/** `Snowfall.create({ store })`: your own store (docs/PROTOCOL.md). */
export interface StoreCreateOptions extends CreateCommonOptions, SessionOptions {
  store: Store;
  syncer?: undefined;
}

/** `Snowfall.create({ syncer, ... })`: the syncer's own `open` options `O` plus clock, clockToleranceMs and timers. */
export type SyncerCreateOptions<O> = CreateCommonOptions & { syncer: Syncer<O>; store?: undefined } & NoInfer<O>;

/** Options of `Snowfall.create` without a syncer object (the syncer forms are `SyncerCreateOptions<O>`). */
export type CreateOptions = SimpleCreateOptions | StoreCreateOptions;


/** Counters of one generator for a service's metrics (`gen.stats()`). */
export interface GeneratorStats {
  /** Ids handed out (a failed batch's ids are taken back and not counted). */
  idsMade: number;
  /** Milliseconds minted ahead of the clock (frozen clock, full milliseconds, steps back). */
  borrowedMs: number;
  /** Clock steps back ridden out within clockToleranceMs. */
  clockStepsBack: number;
  /** Lease renewals that succeeded / failed. */
  renewalsOk: number;
  renewalsFailed: number;
  /** Leases adopted for a different generator id than the one held before. */
  generatorIdSwitches: number;
  /** Leases found lost to another holder (a store-backed syncer then claims again). */
  leasesLost: number;
  /** The generator id held now, or -1 (none, or closed). */
  generatorId: number;
  /** Unix ms the lease window held ends, or -1. */
  leaseWindowEndUnixMs: number;
  /** Unix ms of the last id's timestamp, or -1 before the first. */
  lastIdUnixMs: number;
}

export class Snowfall {
  /** A generator on an in-memory schema group (SimpleSyncer). */
  constructor(options?: GeneratorOptions & { syncer?: typeof SimpleSyncer });
  /** A generator on the in-memory SimpleSyncer. */
  static create(options?: SimpleCreateOptions): Promise<Snowfall>;
  /** A generator on your own store; resolves once a generator id is leased. */
  static create(options: StoreCreateOptions): Promise<Snowfall>;
  /**
   * A generator on a syncer (DatabaseSyncer, RedisSyncer, DurableObjectSyncer, BrowserSyncer or
   * your own); the other options are the syncer's `open` options, so `{ syncer: DatabaseSyncer }`
   * needs `database` and a misspelt option does not compile. Resolves once a generator id is leased.
   */
  static create<O>(options: SyncerCreateOptions<O>): Promise<Snowfall>;
  /** The next GUID. */
  getGuid(): bigint;
  /** `count` GUIDs at once. */
  getGuids(count: number): BigUint64Array;
  /** Fills `target` with GUIDs and returns it (no allocation: for hot loops reusing one array). */
  getGuidsInto(target: BigUint64Array): BigUint64Array;
  /** The next GUID as a decimal string (for JSON). */
  getGuidString(): string;
  /** `count` GUIDs as decimal strings. */
  getGuidStrings(count: number): string[];
  /** The generator id held now (0..4095), undefined once closed. */
  readonly generatorId: number | undefined;
  readonly epochStartDate: Date;
  readonly closed: boolean;
  decode(id: bigint | string): DecodedGuid;
  /** Counters for metrics, read in one cheap call (no I/O). */
  stats(): GeneratorStats;
  /** Resolves once the lease is renewed (call per request where there are no timers). */
  ready(): Promise<void>;
  /** Releases the generator id at once. */
  close(): Promise<void>;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export class SimpleSyncer {
  static createSchemaGroup(options?: SchemaGroupOptions): void;
  static hasSchemaGroup(schemaGroupName: string): boolean;
  static schemaGroupStatus(schemaGroupName: string): {
    schemaGroupName: string; epochStartDate: Date; livelinessProbeS: number; liveGenerators: number;
  };
  static dropSchemaGroup(schemaGroupName: string): boolean;
}

export interface DatabaseSchemaGroupOptions {
  database: Database;
  /** Default "default". 1-43 characters of A-Z a-z 0-9 _. */
  schemaGroupName?: string;
  /** Default 5. */
  livelinessProbeS?: number;
  /** Default 2020-01-01T00:00:00Z; never in the future. Stored in seconds, as the original does. */
  epochStartDate?: Date | string | number;
  maxClaimRetries?: number;
  minMsBetweenClaimRetries?: number;
  maxMsBetweenClaimRetries?: number;
  /** Succeed quietly (returning the existing properties) if the group exists. Default false. */
  ifNotExists?: boolean;
  clock?: () => number;
  /** The deadline of the whole call, ms (default 10000, 1..600000): then STORE_TIMEOUT. */
  storeTimeoutMs?: number;
}

/** A database schema group's settings. */
export interface DatabaseSchemaGroupProperties {
  schemaGroupName: string;
  livelinessProbeS: number;
  epochUnixMs: number;
  maxClaimRetries: number;
  minMsBetweenClaimRetries: number;
  maxMsBetweenClaimRetries: number;
}

export interface DatabaseGroupOptions extends SessionOptions {
  database: Database;
  schemaGroupName?: string;
}

export class DatabaseSyncer {
  /** Creates the group's two tables (once per group and database). */
  static createSchemaGroup(options: DatabaseSchemaGroupOptions): Promise<DatabaseSchemaGroupProperties>;
  /** Opens a lease session (what `Snowfall.create({ syncer: DatabaseSyncer })` calls). */
  static open(options: DatabaseGroupOptions): Promise<LeaseSession>;
  /** The group's settings and its live slots, for monitoring. */
  static status(options: { database: Database; schemaGroupName?: string; clock?: () => number; storeTimeoutMs?: number }): Promise<DatabaseSchemaGroupProperties & {
    slotCount: number;
    live: { generatorId: number; lastUpdatedMs: number; reservedUntilMs: number; holder: string }[];
  }>;
  /** Drops the group's tables. */
  static dropSchemaGroup(options: { database: Database; schemaGroupName?: string; storeTimeoutMs?: number }): Promise<void>;
  /** Grants a device a generator id and `windowMs` (1000..30 days) to mint in offline; hand the JSON to BrowserSyncer's fetchGrant. */
  static grant(options: DatabaseGroupOptions & { windowMs: number }): Promise<Grant>;
}

/** The SQL store DatabaseSyncer keeps a schema group in (two tables; docs/PROTOCOL.md). */
export class SqlStore implements Store {
  constructor(database: Database, schemaGroupName: string);
  readonly schemaGroupName: string;
  readonly dialect: Database["dialect"];
  readGroup(): Promise<StoreGroup | null>;
  readFreeSlots(request: { from: number; to: number; limit: number; freeBeforeMs: number }): Promise<(StoreSlot & { generatorId: number })[]>;
  compareAndSwap(request: { generatorId: number; expected: StoreSlot; next: StoreSlot }): Promise<boolean>;
  /** Creates the tables and the 4096 free slots (SCHEMA_GROUP_EXISTS unless ifNotExists). */
  createGroup(group: Required<Omit<StoreGroup, "schemaGroupName">>, options?: { ifNotExists?: boolean }): Promise<StoreGroup | null>;
  now(): Promise<number>;
  liveSlots(sinceMs: number): Promise<(StoreSlot & { generatorId: number })[]>;
  slotCount(): Promise<number>;
  drop(): Promise<void>;
}

/** A Durable Object namespace binding (`env.LEASES`), as far as DurableObjectSyncer uses it. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: string, init?: { method?: string; body?: string }): Promise<{ json(): Promise<unknown> }> };
}

/** A new group's settings (checked like DatabaseSyncer's): for createIfMissing and createSchemaGroup. */
export interface GroupSettings {
  /** Seconds between renewals; a holder silent for two probes loses its id. Default 5. */
  livelinessProbeS?: number;
  /** Default 2020-01-01T00:00:00Z; a whole second, never in the future. */
  epochStartDate?: Date | string | number;
  maxClaimRetries?: number;
  minMsBetweenClaimRetries?: number;
  maxMsBetweenClaimRetries?: number;
}

export interface DurableObjectGroupOptions extends SessionOptions {
  /** The binding of the SnowfallLeases class (wrangler.toml `[[durable_objects.bindings]]`). */
  namespace: DurableObjectNamespaceLike;
  /** Default "default"; names the group's object (idFromName). 1-43 characters of A-Z a-z 0-9 _. */
  schemaGroupName?: string;
  /** Create the group with these settings (`true`: the defaults) when its object holds none yet. */
  createIfMissing?: boolean | GroupSettings;
}

/**
 * The Durable Object class that keeps a schema group's slots (SQLite-backed storage). Export it from
 * your Worker (`export { SnowfallLeases } from "snowfall-wasm"`) and bind it in wrangler.toml with a
 * `new_sqlite_classes` migration. It holds no lease rules: those are the core's.
 */
export class SnowfallLeases {
  constructor(state: any, env: any);
  /** One store call (POST with a JSON body), as DurableObjectStore sends it. */
  fetch(request: any): Promise<any>;
}

/** The store on one schema group's SnowfallLeases object: each call is one request to it. */
export class DurableObjectStore implements Store {
  constructor(namespace: DurableObjectNamespaceLike, schemaGroupName?: string, options?: { createIfMissing?: object | null });
  readonly schemaGroupName: string;
  readGroup(): Promise<StoreGroup | null>;
  readFreeSlots(request: { from: number; to: number; limit: number; freeBeforeMs: number }): Promise<(StoreSlot & { generatorId: number })[]>;
  compareAndSwap(request: { generatorId: number; expected: StoreSlot; next: StoreSlot }): Promise<boolean>;
  createGroup(group: StoreGroup, options?: { ifNotExists?: boolean }): Promise<StoreGroup>;
  now(): Promise<number>;
  liveSlots(sinceMs: number): Promise<(StoreSlot & { generatorId: number })[]>;
}

/** Generator-id leases in a Durable Object: `Snowfall.create({ syncer: DurableObjectSyncer, namespace: env.LEASES })`. */
export class DurableObjectSyncer {
  /** The store of a group (for `Snowfall.create({ store })` and `checkStore`). */
  static store(namespace: DurableObjectNamespaceLike, schemaGroupName?: string, options?: { createIfMissing?: boolean | GroupSettings }): DurableObjectStore;
  /** Creates the group in its object (4096 free slots); resolves its settings. */
  static createSchemaGroup(options: Omit<DurableObjectGroupOptions, keyof SessionOptions> & GroupSettings & { schemaGroupName?: string; ifNotExists?: boolean; clock?: () => number; storeTimeoutMs?: number }): Promise<StoreGroup>;
  /** Opens a lease session (what `Snowfall.create({ syncer: DurableObjectSyncer })` calls). */
  static open(options: DurableObjectGroupOptions): Promise<LeaseSession>;
  /** The group's settings and its live slots (renewed within two probes). */
  static status(options: { namespace: DurableObjectNamespaceLike; schemaGroupName?: string; clock?: () => number; storeTimeoutMs?: number }): Promise<StoreGroup & { schemaGroupName: string; live: (StoreSlot & { generatorId: number })[] }>;
}

/**
 * The isolate's generator in Cloudflare Workers: `makeOptions(env, ctx)` runs per call and builds the
 * request's bindings; the first call creates the one generator (concurrent first calls share it),
 * every call renews it if due through the store those options describe. No timers.
 */
export type WorkerOptions = SessionOptions & { clockToleranceMs?: number } & (
  | { store: Store; syncer?: undefined }
  | { syncer: typeof DatabaseSyncer; database: Database; store?: undefined }
  | { syncer: typeof DurableObjectSyncer; namespace: DurableObjectNamespaceLike; createIfMissing?: boolean | GroupSettings; store?: undefined }
);
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** `R` with every key no WorkerOptions form has mapped to `never` (a misspelt option is an error). */
type ExactWorkerOptions<R> = R & { [K in Exclude<keyof R, KeysOfUnion<WorkerOptions>>]: never };
export function forWorker<Env = any, Ctx = any, R extends WorkerOptions = WorkerOptions>(
  makeOptions: (env: Env, ctx?: Ctx) => ExactWorkerOptions<R> | Promise<ExactWorkerOptions<R>>,
): (env: Env, ctx?: Ctx) => Promise<Snowfall>;

/**
 * A schema group's DDL and rows as SQL text (the statements DatabaseSyncer.createSchemaGroup runs),
 * for `wrangler d1 execute --file`, D1 migrations, psql or mysql. Idempotent.
 */
export function schemaGroupSql(options: GroupSettings & {
  dialect: "sqlite" | "postgres" | "mysql";
  schemaGroupName?: string;
  clock?: () => number;
}): string;

/** An ioredis client (`new Redis()`) or a connected node-redis client (`createClient()` after `connect()`). */
export type RedisClientLike =
  | { call(command: string, ...args: (string | number)[]): Promise<unknown>; sendCommand(...args: any[]): unknown; pipeline(...args: any[]): unknown }
  | { sendCommand(args: string[]): Promise<unknown> };

/** Which group in which Redis (createSchemaGroup, status, dropSchemaGroup). */
export interface RedisGroupTarget {
  redis: RedisClientLike;
  /** Default "default". 1-43 characters of A-Z a-z 0-9 _. */
  schemaGroupName?: string;
  clock?: () => number;
  /** The deadline of the whole call, ms (default 10000, 1..600000): then STORE_TIMEOUT. */
  storeTimeoutMs?: number;
}
/** RedisSyncer.open's options (and Snowfall.create's with `syncer: RedisSyncer`). */
export interface RedisGroupOptions extends SessionOptions {
  redis: RedisClientLike;
  /** Default "default". 1-43 characters of A-Z a-z 0-9 _. */
  schemaGroupName?: string;
}

/** The Redis store: a group's slots in one hash (`snowfall:{group}:slots`), one Lua script per call. */
export class RedisStore implements Store {
  constructor(redis: RedisClientLike, schemaGroupName: string);
  readonly schemaGroupName: string;
  readGroup(): Promise<StoreGroup | null>;
  readFreeSlots(request: { from: number; to: number; limit: number; freeBeforeMs: number }): Promise<(StoreSlot & { generatorId: number })[]>;
  compareAndSwap(request: { generatorId: number; expected: StoreSlot; next: StoreSlot }): Promise<boolean>;
  createGroup(group: StoreGroup, options?: { ifNotExists?: boolean }): Promise<StoreGroup | null>;
  now(): Promise<number>;
  drop(): Promise<void>;
}

/** Generator-id leases in Redis (ioredis or node-redis). */
export class RedisSyncer {
  static createSchemaGroup(options: RedisGroupTarget & {
    livelinessProbeS?: number; epochStartDate?: Date | number; maxClaimRetries?: number;
    minMsBetweenClaimRetries?: number; maxMsBetweenClaimRetries?: number; ifNotExists?: boolean;
  }): Promise<StoreGroup | null>;
  static open(options: RedisGroupOptions): Promise<LeaseSession>;
  static status(options: RedisGroupTarget): Promise<StoreGroup & { live: (StoreSlot & { generatorId: number })[] }>;
  static dropSchemaGroup(options: RedisGroupTarget): Promise<void>;
}

/** pg's Pool, Client or PoolClient (or Neon's Pool): what fromPg calls. */
export interface PgQueryableLike {
  query(config: { text: string; values: any[]; types: { getTypeParser(oid: number, format?: any): any } }): Promise<{ rows: any[]; rowCount: number | null }>;
}
/** A mysql2 promise pool or connection (`mysql2/promise`, or `pool.promise()`). */
export interface Mysql2PromiseLike {
  query(sql: string, values: any[]): Promise<any>;
}
/** A better-sqlite3 `Database`. */
export interface BetterSqlite3DatabaseLike {
  prepare(sql: string): {
    readonly reader: boolean;
    all(...params: any[]): unknown[];
    run(...params: any[]): { changes: number | bigint };
  };
}
/** PostgreSQL through pg (a Pool, or a connected Client), or Neon's Pool. */
export function fromPg(poolOrClient: PgQueryableLike): Database;
/** MySQL / MariaDB through mysql2's promise API. */
export function fromMysql2(pool: Mysql2PromiseLike): Database;
/** SQLite through better-sqlite3. */
export function fromBetterSqlite3(db: BetterSqlite3DatabaseLike): Database;
/** The shape of a Cloudflare D1 binding (`env.DB`) the adapter uses (structural: no workers-types needed). */
export interface D1DatabaseLike {
  prepare(query: string): { bind(...values: unknown[]): { all(): Promise<unknown> }; all(): Promise<unknown> };
  batch(statements: unknown[]): Promise<unknown>;
}
export function fromD1(d1: D1DatabaseLike): Database;

// The parts of each driver an adapter uses, structurally (no driver's types are imported).

/** node:sqlite `DatabaseSync` (Node 22.13+, Deno 2). */
export interface NodeSqliteDatabaseLike {
  prepare(sql: string): {
    all(...params: any[]): unknown[];
    run(...params: any[]): { changes: number | bigint };
  };
}
/** bun:sqlite `Database`. */
export interface BunSqliteDatabaseLike {
  prepare(sql: string): {
    all(...params: any[]): unknown[];
    run(...params: any[]): { changes: number };
    readonly columnNames: string[];
  };
}
/** postgres.js: the `sql` function `postgres(url)` returns. */
export interface PostgresJsSqlLike {
  unsafe(query: string, parameters?: any[]): PromiseLike<ArrayLike<unknown> & { count: number | null }>;
  begin(...args: any[]): unknown;
}
/** PGlite (`new PGlite()`, `await PGlite.create()`). */
export interface PGliteLike {
  query(sql: string, params?: any[]): Promise<{ rows: unknown[]; affectedRows?: number; fields: { name: string }[] }>;
  readonly waitReady: Promise<void>;
}
/** @libsql/client `Client` (`createClient({ url })`). */
export interface LibsqlClientLike {
  execute(statement: { sql: string; args: any[] }): Promise<{ rows: ArrayLike<unknown>[]; columns: string[]; rowsAffected: number }>;
  readonly protocol: string;
}

/** SQLite through node:sqlite (Node 22.13+, Deno 2). */
export function fromNodeSqlite(db: NodeSqliteDatabaseLike): Database;
/** SQLite through bun:sqlite. */
export function fromBunSqlite(db: BunSqliteDatabaseLike): Database;
/** PostgreSQL through postgres.js. */
export function fromPostgresJs(sql: PostgresJsSqlLike): Database;
/** PostgreSQL in-process through PGlite. */
export function fromPGlite(pg: PGliteLike): Database;
/** SQLite / Turso through @libsql/client. */
export function fromLibsql(client: LibsqlClientLike): Database;

export function decodeGuid(id: bigint | string, options?: { epochStartDate?: Date | number }): DecodedGuid;
export function guidRange(time: Date | number, options?: { epochStartDate?: Date | number }): { lowest: bigint; highest: bigint };
export const DEFAULT_EPOCH: Date;
/**
 * When a schema group's ids pass 2^63 (a signed BIGINT column overflows from `passesSignedBigint`)
 * and the last millisecond of the layout (2^64, `layoutEnds`).
 */
export function guidLimits(options?: { epochStartDate?: Date | number }): { passesSignedBigint: Date; layoutEnds: Date };

/** JSON.stringify replacer: bigints (and BigUint64Array / BigInt64Array) become decimal strings. */
export function guidReplacer(key: string, value: unknown): unknown;
/** A JSON.parse reviver turning the named keys' decimal strings (or arrays of them) back into bigint ids. */
export function guidReviver(...keys: [string, ...string[]]): (key: string, value: unknown) => unknown;

// Browsers (js/stores/browser.js): Web Locks + IndexedDB.

export interface BrowserSyncerOptions extends SessionOptions {
  /** Default "default". 1-43 characters of A-Z a-z 0-9 _. */
  schemaGroupName?: string;
  /** The IndexedDB database (default "snowfall-wasm"). */
  databaseName?: string;
  /** Used when the group is first created in this origin's IndexedDB (later opens use what is stored). Default 1 (liveness is the lock's; this bounds how far a window reaches ahead). */
  livelinessProbeS?: number;
  epochStartDate?: Date | number;
  maxClaimRetries?: number;
  minMsBetweenClaimRetries?: number;
  maxMsBetweenClaimRetries?: number;
  /** Close the generator on `pagehide` (default true; pages only). */
  closeOnPageHide?: boolean;
  /** Mint on server grants (offline devices): returns what DatabaseSyncer.grant returned on your server. */
  fetchGrant?: (request: { schemaGroupName: string }) => Promise<Grant>;
  /** With fetchGrant: how many free grants to keep while online (default 2; one per tab that mints offline at once). */
  grants?: number;
}

/** A window on a generator id granted to a device (JSON-serialisable). */
export interface Grant {
  version: 1;
  schemaGroupName: string;
  epochUnixMs: number;
  generatorId: number;
  windowStartUnixMs: number;
  windowEndUnixMs: number;
}

/**
 * Generator ids unique across every live realm of one origin (tabs, iframes, workers): a Web Lock
 * per generator id, the fences in IndexedDB. `await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName })`.
 */
export class BrowserSyncer {
  /** Whether this realm has IndexedDB and navigator.locks. */
  static readonly supported: boolean;
  /** Opens a lease session (creating the group in IndexedDB if absent). */
  static open(options?: BrowserSyncerOptions): Promise<LeaseSession>;
}

/** A schema group's slots in IndexedDB: a Store (passes checkStore); takes no locks. */
export class IndexedDbStore implements Store {
  constructor(options?: { schemaGroupName?: string; databaseName?: string });
  readonly schemaGroupName: string;
  readGroup(): Promise<StoreGroup | null>;
  readFreeSlots(request: { from: number; to: number; limit: number; freeBeforeMs: number }): Promise<(StoreSlot & { generatorId: number })[]>;
  compareAndSwap(request: { generatorId: number; expected: StoreSlot; next: StoreSlot }): Promise<boolean>;
  createGroup(group: StoreGroup): Promise<StoreGroup>;
  readSlot(generatorId: number): Promise<StoreSlot & { generatorId: number }>;
  /** The server grants kept for this group in this browser. */
  readGrants(): Promise<Grant[]>;
}

/** The Web Lock name BrowserSyncer holds for a generator id: `snowfall-wasm:<group>:<id>`. */
export function lockName(schemaGroupName: string, generatorId: number): string;
