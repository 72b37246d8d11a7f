// Driver adapters: each turns a driver object the user already has into the one shape the
// database syncer needs,
//   { dialect: "postgres" | "mysql" | "sqlite", execute(sql, params) -> Promise<{ rows, rowCount }> }
// where rows are plain objects and rowCount is the number of rows an UPDATE/INSERT matched.
// No adapter imports its driver: the user passes the instance, so a Worker bundle never pulls in pg.
//
// Every value the syncer stores is a unix millisecond count or a small integer (< 2^53), so values
// travel as JS Numbers: BigInt binds are turned into Numbers (D1 refuses BigInt binds outright),
// and drivers that hand BIGINT back as BigInt (better-sqlite3 safeIntegers) or text (pg int8) are
// converted back to Number here.

import { SnowfallError } from "../errors.js";

const toNumberIfBig = (v) => (typeof v === "bigint" ? Number(v) : v);
const bindable = (params) => (params ?? []).map(toNumberIfBig);
const normalizeRows = (rows) => {
  for (const row of rows) for (const k in row) if (typeof row[k] === "bigint") row[k] = Number(row[k]);
  return rows;
};

function requireMethod(obj, method, what) {
  if (!obj || typeof obj[method] !== "function") {
    throw new SnowfallError("INVALID_TYPE", `${what}: expected an object with a ${method}() method, got ${obj === null ? "null" : typeof obj}`);
  }
}

// pg returns int8 (BIGINT) as text because it may exceed 2^53; ours never do. A per-query type
// parser keeps the user's pool-wide settings untouched: integers (int8, int2, int4) become
// Numbers, every other type goes to the client's own parsers when we can reach them, else text.
const PG_INTEGERS = new Set([20, 21, 23]);
function pgTypesOf(poolOrClient) {
  const base = poolOrClient._types ?? poolOrClient.options?.types;
  return {
    getTypeParser(oid, format) {
      if (PG_INTEGERS.has(oid) && format !== "binary") return (text) => (text === null ? null : Number(text));
      if (base?.getTypeParser) return base.getTypeParser(oid, format);
      return (text) => text;
    },
  };
}

/**
 * PostgreSQL through `pg` (a Pool, or a connected Client).
 * @param {{ query: Function }} poolOrClient
 */
export function fromPg(poolOrClient) {
  requireMethod(poolOrClient, "query", "fromPg");
  const types = pgTypesOf(poolOrClient);
  return {
    dialect: "postgres",
    async execute(sql, params) {
      const res = await poolOrClient.query({ text: sql, values: bindable(params), types });
      return { rows: normalizeRows(res.rows ?? []), rowCount: res.rowCount ?? 0 };
    },
  };
}

/**
 * MySQL or MariaDB through `mysql2/promise` (a Pool, PoolConnection or Connection).
 * Uses query() (client-side escaping) rather than execute(): prepared statements add a round trip
 * per new statement and mysql2's LIMIT handling differs between server versions.
 * @param {{ query: Function }} promisePool
 */
export function fromMysql2(promisePool) {
  requireMethod(promisePool, "query", "fromMysql2");
  return {
    dialect: "mysql",
    async execute(sql, params) {
      const [result] = await promisePool.query(sql, bindable(params));
      if (Array.isArray(result)) return { rows: normalizeRows(result), rowCount: result.length };
      // affectedRows counts matched rows: mysql2 connects with CLIENT_FOUND_ROWS by default.
      return { rows: [], rowCount: result?.affectedRows ?? 0 };
    },
  };
}

/**
 * SQLite through `better-sqlite3` (a Database). Statements are prepared once and cached.
 * Set a busy timeout on the Database (better-sqlite3's default is 5 s) when several processes
 * share one file; SQLITE_BUSY beyond it is retried by the syncer.
 * @param {{ prepare: Function }} db
 */
export function fromBetterSqlite3(db) {
  requireMethod(db, "prepare", "fromBetterSqlite3");
  const cache = new Map();
  return {
    dialect: "sqlite",
    async execute(sql, params) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size > 64) cache.clear();
        cache.set(sql, stmt);
      }
      const args = bindable(params);
      if (stmt.reader) { const rows = normalizeRows(stmt.all(...args)); return { rows, rowCount: rows.length }; }
      const info = stmt.run(...args);
      return { rows: [], rowCount: Number(info.changes) };
    },
  };
}

/**
 * Cloudflare D1 (`env.DB`). D1 rejects BigInt binds and rounds integers above 2^53 on the way
 * back; every value here is below 2^53 and bound as a Number.
 * @param {{ prepare: Function }} d1
 */
export function fromD1(d1) {
  requireMethod(d1, "prepare", "fromD1");
  return {
    dialect: "sqlite",
    async execute(sql, params) {
      const args = bindable(params);
      const stmt = args.length ? d1.prepare(sql).bind(...args) : d1.prepare(sql);
      const res = await stmt.all();
      return { rows: normalizeRows(res.results ?? []), rowCount: res.meta?.changes ?? 0 };
    },
  };
}
