// Chaos worker: one OS process, started by tests/js/database-chaos.test.mjs (child_process.fork),
// that holds DatabaseSyncer leases through the packed+installed package and mints ids.
//
//   node chaos-worker.mjs '<json config>'
//
// config: {
//   entry       absolute path of the installed package's Node ESM entry (node.mjs)
//   kind        "postgres" | "mysql" | "sqlite" | "redis"
//   url         server URL (postgres, mysql) | file: the SQLite file
//   group       schema group name
//   out         file that receives every id minted, one decimal string per line
//   skewMs      this process's clock runs skewMs ahead (negative: behind) of the real clock
//   perTick     ids minted per timer tick (a tick is ~1 ms, so nearly every millisecond is used)
//   onDemand    no background timer (timers: false, as in Cloudflare Workers): the worker calls
//               `await gen.ready()` every readyEveryMs (default 100), as a request handler would
//   createDeadlineMs  keep retrying Snowfall.create on GENERATOR_IDS_EXHAUSTED this long
//   sqliteTimeoutMs   better-sqlite3 busy timeout (it blocks the event loop while it waits)
//   maxLifeMs   the worker exits by itself after this long (no orphan outlives a broken test)
// }
//
// Ids are written with a synchronous append (writeSync) at least every FLUSH_MS: a kill -9 loses
// only ids still in the buffer, which nobody ever saw. A lost id is harmless; a duplicate is not.
//
// IPC messages to the parent (process.send):
//   { type: "ready", generatorId, at }          the first lease is held
//   { type: "state", ok: true, generatorId, at } minting (again), with this generator id
//   { type: "state", ok: false, code, at }       minting failed with this SnowfallError code
//   { type: "done", summary }                    after { type: "stop" }: counts, errors, switches
//   { type: "fatal", message }                   the worker could not start (then it exits 1)
// and from the parent: { type: "partition", on } (answered with { type: "partitioned", on, at }),
// { type: "stop" } (flush, close the generator, report, exit; a worker still
// waiting for its first lease reports { minted: 0, notReady: true }).
import { closeSync, openSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

const cfg = JSON.parse(process.argv[2]);
const FLUSH_MS = 20;
const skew = cfg.skewMs ?? 0;
const clock = skew === 0 ? undefined : () => Date.now() + skew;
const send = (msg, then) => {
  if (process.connected) process.send(msg, then);
  else then?.();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Stop requests: before the first lease there is nothing to flush or release.
let onStop = () => send({ type: "done", summary: { minted: 0, notReady: true } }, () => process.exit(0));
// A network partition between this process and the database, simulated in the adapter: while it
// lasts every statement fails as an unreachable server's would (the process keeps minting).
let partitioned = false;
process.on("message", (msg) => {
  if (msg?.type === "stop") onStop();
  if (msg?.type === "partition") {
    partitioned = Boolean(msg.on);
    send({ type: "partitioned", on: partitioned, at: Date.now() });
  }
});
const partitionable = (database) => ({
  dialect: database.dialect,
  execute(sql, params) {
    if (partitioned) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED (chaos: partitioned)"), { code: "ECONNREFUSED" }));
    return database.execute(sql, params);
  },
});

// No orphans: die with the parent, or after maxLifeMs whatever happens.
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(3), cfg.maxLifeMs ?? 120_000).unref();

const sf = await import(pathToFileURL(cfg.entry).href);

async function openDatabase() {
  if (cfg.kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? 2 }); // driver defaults, as users have them
    // A server going away kills idle clients: without a listener that is an uncaught error.
    pool.on("error", () => {});
    return { database: sf.fromPg(pool), close: () => pool.end().catch(() => {}) };
  }
  if (cfg.kind === "mysql") {
    const { default: mysql } = await import("mysql2/promise");
    const pool = mysql.createPool({ uri: cfg.url, connectionLimit: cfg.poolSize ?? 2 });
    pool.pool?.on?.("error", () => {});
    return { database: sf.fromMysql2(pool), close: () => pool.end().catch(() => {}) };
  }
  if (cfg.kind === "redis") {
    const { default: Redis } = await import("ioredis");
    const client = new Redis(cfg.url, { maxRetriesPerRequest: 1 });
    client.on("error", () => {});
    // The partition, as for SQL: every command fails as an unreachable server's would.
    const cut = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED (chaos: partitioned)"), { code: "ECONNREFUSED" }));
    const redis = { call: (...a) => (partitioned ? cut() : client.call(...a)), sendCommand: () => cut(), pipeline: () => client.pipeline() };
    return { redis, close: async () => client.disconnect() };
  }
  if (cfg.kind === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(cfg.url, { timeout: cfg.sqliteTimeoutMs ?? 2000 });
    return { database: sf.fromBetterSqlite3(db), close: async () => db.close() };
  }
  throw new Error(`unknown kind ${cfg.kind}`);
}

/** Snowfall.create, retried while every id is held (a dead holder's id frees after 2 probes). */
async function create(database, redis) {
  const deadline = Date.now() + (cfg.createDeadlineMs ?? 0);
  for (;;) {
    try {
      // A skewed process opts out of the clock check at open (its point is that fencing holds
      // whatever the skew; the check itself is tested in lease-keeper and adapters).
      const skewOk = skew === 0 ? {} : { maxClockSkewMs: 86_400_000 };
      const where = redis ? { syncer: sf.RedisSyncer, redis } : { syncer: sf.DatabaseSyncer, database };
      return await sf.Snowfall.create({ ...where, schemaGroupName: cfg.group, clock, ...skewOk, ...(cfg.onDemand ? { timers: false } : {}) });
    } catch (err) {
      if (err?.code !== "GENERATOR_IDS_EXHAUSTED" || Date.now() >= deadline) throw err;
      await sleep(100 + Math.floor(Math.random() * 100));
    }
  }
}

async function mintMode(db) {
  const gen = await create(db.database, db.redis);
  const fd = openSync(cfg.out, "a");
  const perTick = cfg.perTick ?? 4;
  const summary = { minted: 0, errors: {}, generatorIds: [gen.generatorId], firstMintAt: null, lastMintAt: null };
  let buffer = [];
  let lastFlush = Date.now();
  let ok = false; // "state ok" is announced on the first id minted, and after every failure
  let lastCode = null;
  let currentId = gen.generatorId;
  let stopping = false;
  const flush = () => {
    if (buffer.length) writeSync(fd, buffer.join("\n") + "\n");
    buffer = [];
    lastFlush = Date.now();
  };
  send({ type: "ready", generatorId: gen.generatorId, at: Date.now() });

  let readyAt = Date.now();
  let readyBusy = false;
  const tick = () => {
    if (stopping) return;
    if (cfg.onDemand && !readyBusy && Date.now() - readyAt >= (cfg.readyEveryMs ?? 100)) {
      readyBusy = true;
      gen.ready().catch((err) => {
        const code = `ready:${err?.code ?? err}`;
        summary.errors[code] = (summary.errors[code] ?? 0) + 1;
      }).finally(() => {
        readyBusy = false;
        readyAt = Date.now();
      });
    }
    for (let i = 0; i < perTick; i++) {
      let id;
      try {
        id = gen.getGuid();
      } catch (err) {
        const code = err?.code ?? String(err);
        summary.errors[code] = (summary.errors[code] ?? 0) + 1;
        if (ok || code !== lastCode || summary.errors[code] === 1) send({ type: "state", ok: false, code, message: err?.message, at: Date.now() });
        ok = false;
        lastCode = code;
        break;
      }
      buffer.push(id.toString());
      summary.minted++;
      const now = Date.now();
      summary.firstMintAt ??= now;
      summary.lastMintAt = now;
      const gid = gen.generatorId;
      if (!ok || gid !== currentId) {
        if (gid !== currentId) summary.generatorIds.push(gid);
        currentId = gid;
        ok = true;
        lastCode = null;
        send({ type: "state", ok: true, generatorId: gid, at: now });
      }
    }
    if (buffer.length >= 4096 || Date.now() - lastFlush >= FLUSH_MS) flush();
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);

  onStop = async () => {
    if (stopping) return;
    stopping = true;
    flush();
    closeSync(fd);
    const closing = gen.close().catch((err) => { summary.closeError = `${err?.code}: ${err?.message}`; });
    await Promise.race([closing, sleep(3000)]);
    await Promise.race([db.close(), sleep(1000)]);
    send({ type: "done", summary }, () => process.exit(0));
  };
}

let db;
try {
  db = await openDatabase();
  if (db.database) db.database = partitionable(db.database);
  await mintMode(db);
} catch (err) {
  send({ type: "fatal", message: `${err?.code ?? ""} ${err?.stack ?? err}` });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 50);
}
