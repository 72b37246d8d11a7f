// One OS process of the contention test: opens `claimers` lease sessions on one group, waits for a
// shared start time, then has them all claim at once. Prints one JSON line:
//   { ids: [generatorId...], latenciesMs: [...], statements, errors: [code...] }
//   node claim-worker.mjs '{"entry":"<installed node.mjs>","kind":"postgres","url":"...","group":"g","claimers":64,"startAt":<unix ms>}'
import { pathToFileURL } from "node:url";

const cfg = JSON.parse(process.argv[2]);
// The package as installed for the tests (cfg.entry: its Node ESM entry).
const { DatabaseSyncer, RedisSyncer, fromBetterSqlite3, fromMysql2, fromPg } = await import(pathToFileURL(cfg.entry).href);
setTimeout(() => process.exit(3), 120_000).unref(); // never outlive a broken test

async function connect() {
  if (cfg.kind === "redis") {
    const { default: Redis } = await import("ioredis");
    const redis = new Redis(cfg.url);
    const database = { execute: async () => redis.ping() }; // the warm-up below
    return { database, redis, close: async () => redis.disconnect() };
  }
  if (cfg.kind === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const raw = new Database(cfg.url, { timeout: 10_000 });
    return { database: fromBetterSqlite3(raw), close: async () => raw.close() };
  }
  if (cfg.kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? 8 });
    return { database: fromPg(pool), close: () => pool.end() };
  }
  const { default: mysql } = await import("mysql2/promise");
  const pool = mysql.createPool({ uri: cfg.url, connectionLimit: cfg.poolSize ?? 8 });
  return { database: fromMysql2(pool), close: () => pool.end() };
}

const { database, redis, close } = await connect();
const sessions = [];
for (let i = 0; i < cfg.claimers; i++) {
  sessions.push(await (redis ? RedisSyncer.open({ schemaGroupName: cfg.group, redis }) : DatabaseSyncer.open({ schemaGroupName: cfg.group, database })));
}
// Warm the pool so the measured claims do not include connecting.
await Promise.all(Array.from({ length: cfg.poolSize ?? 8 }, () => database.execute("SELECT 1 AS one", [])));
await new Promise((r) => setTimeout(r, Math.max(0, cfg.startAt - Date.now())));

const results = await Promise.all(sessions.map(async (s) => {
  const t0 = performance.now();
  try {
    const lease = await s.claim();
    return { id: lease.generatorId, ms: performance.now() - t0 };
  } catch (err) {
    return { error: err.code ?? err.message, ms: performance.now() - t0 };
  }
}));
const out = {
  ids: results.filter((r) => r.id !== undefined).map((r) => r.id),
  latenciesMs: results.map((r) => r.ms),
  statements: sessions.reduce((n, s) => n + s.statements, 0),
  errors: results.filter((r) => r.error).map((r) => r.error),
};
console.log(JSON.stringify(out));
await close();
