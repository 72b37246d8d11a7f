// Type-level test of the whole public API, compiled with `tsc --strict --noEmit` against the
// installed package's types (tests/runtimes/types.test.mjs runs it). Nothing here is executed.
import {
  Snowfall, SimpleSyncer, decodeGuid, guidRange, SnowfallError, DEFAULT_EPOCH,
  DatabaseSyncer, fromPg, fromMysql2, fromBetterSqlite3, fromD1, guidReplacer, guidReviver,
} from "snowfall-wasm";
import type { DecodedGuid, Database, Lease, Store, SnowfallErrorCode } from "snowfall-wasm";
import { guidLimits } from "snowfall-wasm";
import type { GeneratorStats } from "snowfall-wasm";
import { LeaseSession, openSession } from "snowfall-wasm";
import { checkStore } from "snowfall-wasm/testing";

// Exact type equality: fails to compile unless A and B are the same type.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): void {}

const epochStartDate = new Date("2024-01-01T00:00:00Z");
SimpleSyncer.createSchemaGroup({ schemaGroupName: "orders", livelinessProbeS: 5, epochStartDate });
SimpleSyncer.createSchemaGroup({ schemaGroupName: "numeric_epoch", epochStartDate: Date.UTC(2024, 0, 1) });
SimpleSyncer.createSchemaGroup();
const exists: boolean = SimpleSyncer.hasSchemaGroup("orders");
const status = SimpleSyncer.schemaGroupStatus("orders");
const liveGenerators: number = status.liveGenerators;
const dropped: boolean = SimpleSyncer.dropSchemaGroup("numeric_epoch");

const gen = new Snowfall({ schemaGroupName: "orders" });
const byDefault = new Snowfall();
const withClock = new Snowfall({ schemaGroupName: "orders", clock: () => Date.now(), clockToleranceMs: 500 });

const id = gen.getGuid();
assertType<Equals<typeof id, bigint>>(); // the primitive bigint, not the BigInt wrapper
const ids = gen.getGuids(10);
assertType<Equals<typeof ids, BigUint64Array>>();
const first: bigint = ids[0]!;
const asString: string = gen.getGuidString();
const asStrings: string[] = gen.getGuidStrings(3);
const generatorId: number | undefined = gen.generatorId;
const epoch: Date = gen.epochStartDate;
const closed: boolean = gen.closed;

const decoded: DecodedGuid = decodeGuid(id, { epochStartDate });
const timestamp: Date = decoded.timestamp;
const ms: number = decoded.msSinceEpoch;
const counter: number = decoded.loopingCounter;
const decodedGeneratorId: number = decoded.generatorId;
decodeGuid(first, { epochStartDate: epochStartDate.getTime() });
decodeGuid(asString);
const own: DecodedGuid = gen.decode(id);
const range = guidRange(new Date(), { epochStartDate });
assertType<Equals<typeof range.lowest, bigint>>();
assertType<Equals<typeof range.highest, bigint>>();
const defaultEpoch: Date = DEFAULT_EPOCH;
const limits = guidLimits({ epochStartDate });
assertType<Equals<typeof limits, { passesSignedBigint: Date; layoutEnds: Date }>>();
guidLimits();
const stats: GeneratorStats = gen.stats();
const idsMade: number = stats.idsMade;
const heldId: number = stats.generatorId;
const json: string = JSON.stringify({ id }, guidReplacer);
const parsed: unknown = JSON.parse(json, guidReviver("id", "parentId"));

try {
  withClock.getGuid();
} catch (e: unknown) {
  if (e instanceof SnowfallError) {
    const code: SnowfallErrorCode = e.code;
    const asText: string = e.code;
    const message: string = e.message;
    const asError: Error = e;
    if (e.code === "CLOCK_STALLED" || e.code === "LEASE_EXPIRED") void 0;
    void [code, asText, message, asError];
  }
}

import type { PgQueryableLike, Mysql2PromiseLike, BetterSqlite3DatabaseLike } from "snowfall-wasm";
async function databaseUsage(db: Database, pgPool: PgQueryableLike, mysqlPool: Mysql2PromiseLike, sqlite: BetterSqlite3DatabaseLike, d1: import("snowfall-wasm").D1DatabaseLike): Promise<bigint> {
  const adapters: Database[] = [fromPg(pgPool), fromMysql2(mysqlPool), fromBetterSqlite3(sqlite), fromD1(d1)];
  await DatabaseSyncer.createSchemaGroup({ database: db, schemaGroupName: "orders", ifNotExists: true });
  const session: LeaseSession = await DatabaseSyncer.open({ database: db, schemaGroupName: "orders" });
  const lease: Lease = await session.claim();
  const g = await Snowfall.create({ syncer: DatabaseSyncer, database: adapters[0], schemaGroupName: "orders", timers: false });
  await g.ready();
  const out = g.getGuid();
  await g.close();
  void lease;
  return out;
}

// A custom store: I/O only (docs/PROTOCOL.md).
const slots = new Map<number, { lastUpdatedMs: number; reservedUntilMs: number; holder: string }>();
const custom: Store = {
  async readGroup() { return { livelinessProbeS: 5, epochUnixMs: 0 }; },
  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    const out = [];
    for (let id = from; id < to && out.length < limit; id++) {
      const s = slots.get(id) ?? { lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" };
      if (s.lastUpdatedMs < freeBeforeMs) out.push({ generatorId: id, ...s });
    }
    return out;
  },
  async compareAndSwap({ generatorId, expected, next }) {
    const s = slots.get(generatorId) ?? { lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" };
    if (s.lastUpdatedMs !== expected.lastUpdatedMs || s.reservedUntilMs !== expected.reservedUntilMs || s.holder !== expected.holder) return false;
    slots.set(generatorId, next);
    return true;
  },
};
const fromCustom: Promise<Snowfall> = Snowfall.create({ store: custom, storeTimeoutMs: 5000 });
const opened: Promise<LeaseSession> = openSession(custom, { maxClockSkewMs: 1000 });
const checked: Promise<string[]> = checkStore(() => custom);
void [opened, checked];

const closing: Promise<void> = gen.close();
void byDefault.close();
void withClock.close();
void [exists, liveGenerators, dropped, first, asStrings, generatorId, epoch, closed, timestamp, ms, counter,
      decodedGeneratorId, own, defaultEpoch, parsed, databaseUsage, fromCustom, closing];

// Cloudflare Workers: DurableObjectSyncer, SnowfallLeases, forWorker, schemaGroupSql.
import { DurableObjectSyncer, DurableObjectStore, SnowfallLeases, forWorker, schemaGroupSql } from "snowfall-wasm";
import type { DurableObjectNamespaceLike } from "snowfall-wasm";
declare const LEASES: DurableObjectNamespaceLike;
const doStore: DurableObjectStore = DurableObjectSyncer.store(LEASES, "orders", { createIfMissing: { livelinessProbeS: 5 } });
const asStore: Store = doStore;
const doGen: Promise<Snowfall> = Snowfall.create({ syncer: DurableObjectSyncer, namespace: LEASES, schemaGroupName: "orders" });
const generator = forWorker((env: { LEASES: DurableObjectNamespaceLike }) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, createIfMissing: true }));
const fromWorker: Promise<Snowfall> = generator({ LEASES });
const d1Text: string = schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders", livelinessProbeS: 5 });
const leasesClass: typeof SnowfallLeases = SnowfallLeases;

// Browsers: BrowserSyncer is a Syncer; IndexedDbStore is a Store.
import { BrowserSyncer, IndexedDbStore, lockName } from "snowfall-wasm";
async function browserTypes(): Promise<void> {
  const g = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "notes", livelinessProbeS: 5 });
  const supported: boolean = BrowserSyncer.supported;
  const store: Store = new IndexedDbStore({ schemaGroupName: "notes" });
  const name: string = lockName("notes", 7);
  const code: SnowfallErrorCode = "NOT_INITIALIZED";
  void [g, supported, store, name, code];
}
void browserTypes;
async function grantTypes(database: Database): Promise<void> {
  const grant = await DatabaseSyncer.grant({ database, schemaGroupName: "notes", windowMs: 86_400_000 });
  const end: number = grant.windowEndUnixMs;
  const g = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "notes", fetchGrant: async () => grant, grants: 2 });
  void [end, g];
}
void grantTypes;

// fromD1 takes a D1 binding's shape; a number is a type error.
declare const d1Binding: import("snowfall-wasm").D1DatabaseLike;
const d1Database: Database = fromD1(d1Binding);
// @ts-expect-error fromD1 needs a D1 binding
fromD1(42);
void d1Database;

// Redis: RedisSyncer and RedisStore (a Store) typed against the clients' shapes.
import { RedisSyncer, RedisStore } from "snowfall-wasm";
import type { RedisClientLike } from "snowfall-wasm";
async function redisTypes(redis: RedisClientLike): Promise<void> {
  await RedisSyncer.createSchemaGroup({ redis, schemaGroupName: "orders", livelinessProbeS: 5, ifNotExists: true });
  const g: Snowfall = await Snowfall.create({ syncer: RedisSyncer, redis, schemaGroupName: "orders" });
  const store: Store = new RedisStore(redis, "orders");
  const session: LeaseSession = await RedisSyncer.open({ redis, schemaGroupName: "orders", storeTimeoutMs: 2000 });
  void [g, store, session];
}
void redisTypes;
