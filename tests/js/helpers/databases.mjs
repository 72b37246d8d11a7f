// One way to open each supported database for tests: a real server or file behind each adapter.
//   const db = await openDatabase("postgres"); ... db.database (the adapter) ...; await db.close();
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import mysql from "mysql2/promise";
import Database from "better-sqlite3";
import { fromBetterSqlite3, fromD1, fromLibsql, fromMysql2, fromPGlite, fromPg, fromPostgresJs } from "../../../js/database/adapters.js";
import { mariadbUrl, postgresUrl, redisUrl } from "./servers.mjs";

export const KINDS = ["sqlite", "postgres", "mysql", "d1"];
/** More drivers, run by the adapter suite only (PGlite is in-process: no second process can share it). */
export const MORE_KINDS = ["pglite", "postgresjs", "libsql"];

let counter = 0;
/** A group name unique to this process and call, so test files can share one server. */
export const uniqueGroup = (prefix = "t") => `${prefix}_${process.pid}_${Date.now() % 1e6}_${counter++}`;

/** A fresh temp directory for SQLite files. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "snowfall-db-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * @param {string} kind one of KINDS
 * @param {{ file?: string, poolSize?: number }} [opts] sqlite: the file to use (default: a new temp file)
 */
export async function openDatabase(kind, opts = {}) {
  if (kind === "sqlite") {
    const tmp = opts.file ? null : tempDir();
    const file = opts.file ?? join(tmp.dir, "snowfall.db");
    const raw = new Database(file, { timeout: 5000 });
    raw.pragma("journal_mode = WAL");
    return { kind, raw, file, database: fromBetterSqlite3(raw), close: async () => { raw.close(); tmp?.remove(); } };
  }
  if (kind === "redis") {
    const { default: Redis } = await import("ioredis");
    const redis = new Redis(redisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
    return { kind, redis, database: null, close: async () => { redis.disconnect(); } };
  }
  if (kind === "postgres") {
    const raw = new pg.Pool({ connectionString: postgresUrl(), max: opts.poolSize ?? 4 });
    return { kind, raw, database: fromPg(raw), close: () => raw.end() };
  }
  if (kind === "mysql") {
    const raw = mysql.createPool({ uri: mariadbUrl(), connectionLimit: opts.poolSize ?? 4 });
    return { kind, raw, database: fromMysql2(raw), close: () => raw.end() };
  }
  if (kind === "d1") {
    const { Miniflare } = await import("miniflare");
    const mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response('') } }", d1Databases: ["DB"] });
    const raw = await mf.getD1Database("DB");
    return { kind, raw, database: oneAtATime(fromD1(raw)), close: () => mf.dispose() };
  }
  if (kind === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    const raw = new PGlite();
    return { kind, raw, database: fromPGlite(raw), close: () => raw.close() };
  }
  if (kind === "postgresjs") {
    const { default: postgres } = await import("postgres");
    const raw = postgres(postgresUrl(), { max: opts.poolSize ?? 4, onnotice: () => {} });
    return { kind, raw, database: fromPostgresJs(raw), close: () => raw.end() };
  }
  if (kind === "libsql") {
    const { createClient } = await import("@libsql/client");
    const tmp = opts.file ? null : tempDir();
    const file = opts.file ?? join(tmp.dir, "snowfall.db");
    const raw = createClient({ url: `file:${file}` });
    return { kind, raw, file, database: fromLibsql(raw), close: async () => { raw.close(); tmp?.remove(); } };
  }
  throw new Error(`unknown database kind ${kind}`);
}

/** A clock the test moves by hand: `clock()` reads it, `clock.advance(ms)` moves it. */
export function manualClock(start = Date.now()) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms) => { now += ms; };
  clock.set = (ms) => { now = ms; };
  return clock;
}

// Miniflare's Node-side D1 proxy (getD1Database) is not safe under concurrent calls: its synchronous
// fetcher can pair a reply with another request and throw `AssertionError: false == true` (seen
// here about once in 40 rounds of 12 concurrent createSchemaGroup calls), after which the proxy stays
// broken. D1 itself runs one query at a time per database, so the tests queue the calls; inside a
// Worker (tests/runtimes/workers.test.mjs) D1 is used concurrently as users do.
function oneAtATime(database) {
  let tail = Promise.resolve();
  return {
    ...database,
    execute(sql, params) {
      const run = tail.then(() => database.execute(sql, params));
      tail = run.catch(() => {});
      return run;
    },
  };
}
