// Options are exact (no index signature swallows a typo) and follow the syncer: compiled with
// `tsc --strict` by tests/runtimes/types.test.mjs, where an unused @ts-expect-error is itself an error
// (TS2578), so every line below marked so must really fail to compile.
import {
  Snowfall, SimpleSyncer, DatabaseSyncer, RedisSyncer, DurableObjectSyncer, BrowserSyncer, SqlStore,
  forWorker, fromPg, fromMysql2, fromBetterSqlite3, openSession,
} from "snowfall-wasm";
import type { Database, DurableObjectNamespaceLike, LeaseSession, RedisClientLike, Store, Syncer } from "snowfall-wasm";

declare const database: Database;
declare const redis: RedisClientLike;
declare const namespace: DurableObjectNamespaceLike;
declare const store: Store;
declare const session: LeaseSession;

// What compiles: every form of Snowfall.create with its own options.
void Snowfall.create();
void Snowfall.create({ schemaGroupName: "orders", clock: Date.now, clockToleranceMs: 500, timers: false });
void Snowfall.create({ syncer: SimpleSyncer, schemaGroupName: "orders" });
void Snowfall.create({ syncer: DatabaseSyncer, database, schemaGroupName: "orders", storeTimeoutMs: 2000, maxClockSkewMs: 500, timers: false, clockToleranceMs: 100 });
void Snowfall.create({ syncer: RedisSyncer, redis, schemaGroupName: "orders" });
void Snowfall.create({ syncer: DurableObjectSyncer, namespace, createIfMissing: { livelinessProbeS: 5 } });
void Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "notes", databaseName: "app", closeOnPageHide: false, grants: 3 });
void Snowfall.create({ store, storeTimeoutMs: 1000, schemaGroupName: "orders", timers: false });
// A syncer of your own: its open() parameter type is the options the call takes.
const tenantSyncer = { open: async (options: { tenant: string; clock?: () => number }) => { void options; return session; } };
void Snowfall.create({ syncer: tenantSyncer, tenant: "acme" });
const asSyncer: Syncer<{ tenant: string }> = tenantSyncer;
void asSyncer;

// @ts-expect-error a misspelt option (schemaGroupNme) of Snowfall.create
void Snowfall.create({ schemaGroupNme: "orders" });
// @ts-expect-error a misspelt option next to a syncer
void Snowfall.create({ syncer: DatabaseSyncer, database, storeTimeoutMS: 2000 });
// @ts-expect-error DatabaseSyncer without database
void Snowfall.create({ syncer: DatabaseSyncer, schemaGroupName: "orders" });
// @ts-expect-error RedisSyncer without its client
void Snowfall.create({ syncer: RedisSyncer, schemaGroupName: "orders" });
// @ts-expect-error DurableObjectSyncer without namespace
void Snowfall.create({ syncer: DurableObjectSyncer });
// @ts-expect-error database belongs to DatabaseSyncer, not the in-memory default
void Snowfall.create({ database });
// @ts-expect-error a BrowserSyncer option typo (fetchGrants for fetchGrant)
void Snowfall.create({ syncer: BrowserSyncer, fetchGrants: async () => { throw new Error(); } });
// @ts-expect-error a BrowserSyncer option typo, calling open directly
void BrowserSyncer.open({ databasename: "app" });
// @ts-expect-error your syncer's own option is required
void Snowfall.create({ syncer: tenantSyncer });
// @ts-expect-error a store's options do not take a syncer's
void Snowfall.create({ store, database });
// @ts-expect-error a misspelt session option
void openSession(store, { storeTimeoutMS: 5 });
// @ts-expect-error the constructor takes no database syncer (Snowfall.create does)
void new Snowfall({ syncer: DatabaseSyncer });

// The adapters take drivers' shapes, not anything.
// @ts-expect-error fromPg takes a pg Pool or Client
fromPg(42);
// @ts-expect-error fromMysql2 takes a mysql2 promise pool
fromMysql2("mysql://localhost");
// @ts-expect-error fromBetterSqlite3 takes a better-sqlite3 Database
fromBetterSqlite3({});
// @ts-expect-error SqlStore takes a Database adapter
new SqlStore(42, "orders");

// forWorker: the options function returns one of the forms forWorker knows, exactly.
type Env = { LEASES: DurableObjectNamespaceLike; DB: Database };
void forWorker((env: Env) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupName: "orders" }));
void forWorker(async (env: Env) => ({ syncer: DatabaseSyncer, database: env.DB, storeTimeoutMs: 2000 }));
void forWorker(() => ({ store }));
// @ts-expect-error a misspelt forWorker option (schemaGroupNme)
void forWorker((env: Env) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupNme: "orders" }));
// @ts-expect-error a misspelt option from an async options function
void forWorker(async (env: Env) => ({ syncer: DatabaseSyncer, database: env.DB, storeTimeoutMS: 2000 }));
// @ts-expect-error DatabaseSyncer without database in forWorker
void forWorker(() => ({ syncer: DatabaseSyncer }));
// @ts-expect-error forWorker creates its own timers: false
void forWorker(() => ({ store, timers: true }));
