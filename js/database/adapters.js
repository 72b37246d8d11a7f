// Driver adapters: each turns a driver object the user already has into the one shape the
// database syncer needs (the adapter contract, README "Adapter contract"):
//   { dialect: "postgres" | "mysql" | "sqlite", execute(sql, params) -> Promise<{ rows, rowCount }> }
// where placeholders arrive as $1, $2... (postgres) or ? (mysql, sqlite), rows are plain objects
// keyed by column name, and rowCount is the number of rows a statement matched (for a SELECT, the
// number of rows returned), a Number. checkResult() checks what a custom adapter resolves to.
// No adapter imports its driver: the user passes the instance, so a Worker bundle never pulls in pg.
//
// Every value the syncer stores is a unix millisecond count or a small integer (< 2^53), so values
// travel as JS Numbers: BigInt binds are turned into Numbers (D1 refuses BigInt binds outright),
// and drivers that hand BIGINT back as BigInt (better-sqlite3 safeIntegers) or text (pg int8) are
// converted back to Number here.
//
// Each adapter refuses at once an object that is another driver's (naming the adapter it needs),
// rather than accepting it and failing later with a misleading error.

import { SnowfallError } from "../errors.js";

const toNumberIfBig = (v) => (typeof v === "bigint" ? Number(v) : v);
const bindable = (params) => (params ?? []).map(toNumberIfBig);
const normalizeRows = (rows) => {
  for (const row of rows) for (const k in row) if (typeof row[k] === "bigint") row[k] = Number(row[k]);
  return rows;
};

const show = (v) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? `an object (${v.constructor?.name ?? "no prototype"})` : `${typeof v} ${typeof v === "function" ? "" : JSON.stringify(String(v)).slice(0, 40)}`.trim());

/**
 * Checks what an adapter's execute() resolved to against the contract, and returns it with a
 * bigint rowCount (Kysely's numAffectedRows, for one) and bigint row values made Numbers.
 * Anything else is INVALID_TYPE naming the statement and what was wrong.
 * @param {unknown} result what `database.execute(sql, params)` resolved to
 * @param {string} sql the statement, for the message
 * @returns {{ rows: Record<string, unknown>[], rowCount: number }}
 */
export function checkResult(result, sql) {
  const bad = (what) => new SnowfallError("INVALID_TYPE",
    `database.execute() must resolve to { rows: object[], rowCount: number } (README, "Adapter contract"), but for ` +
    `${JSON.stringify(String(sql).slice(0, 60))} ${what}`);
  if (result === null || typeof result !== "object") throw bad(`it resolved to ${show(result)}`);
  const { rows } = result;
  let { rowCount } = result;
  if (!Array.isArray(rows)) throw bad(`rows is ${show(rows)}`);
  for (const row of rows) {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw bad(`a row is ${show(row)}: rows must be objects keyed by column name`);
    }
  }
  if (typeof rowCount === "bigint") rowCount = Number(rowCount);
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
    throw bad(`rowCount is ${show(rowCount)}: it must be the number of rows the statement matched, a Number (or a bigint)`);
  }
  normalizeRows(rows);
  return rowCount === result.rowCount ? result : { ...result, rowCount };
}

// The drivers an object can be recognised as, and the call each needs.
const DRIVERS = {
  "pg": { what: "a pg Pool or Client", use: "fromPg(pool)" },
  "mysql2": { what: "a mysql2/promise pool or connection", use: "fromMysql2(pool)" },
  "mysql2-callback": { what: "a callback-style mysql2 pool or connection (require(\"mysql2\"))", use: "fromMysql2(pool.promise()), or create it with mysql2/promise" },
  "better-sqlite3": { what: "a better-sqlite3 Database", use: "fromBetterSqlite3(db)" },
  "node:sqlite": { what: "a node:sqlite DatabaseSync", use: "fromNodeSqlite(db)" },
  "bun:sqlite": { what: "a bun:sqlite Database", use: "fromBunSqlite(db)" },
  "d1": { what: "a Cloudflare D1 binding", use: "fromD1(env.DB)" },
  "postgres.js": { what: "a postgres.js sql function (postgres(url))", use: "fromPostgresJs(sql)" },
  "pglite": { what: "a PGlite instance", use: "fromPGlite(pg)" },
  "libsql": { what: "a libSQL client (@libsql/client createClient())", use: "fromLibsql(client)" },
  "neon-http": {
    what: "Neon's HTTP query function (neon(url) from @neondatabase/serverless), which sends each statement as its own HTTP request",
    use: "Neon's pg-compatible Pool from the same package: fromPg(new Pool({ connectionString })) (on Workers, create the Pool inside the request)",
  },
};

const fn = (o, ...names) => names.every((n) => typeof o?.[n] === "function");

/** Which driver `obj` looks like (a key of DRIVERS), or undefined. Duck-typed: no driver is imported. */
function driverOf(obj) {
  if (typeof obj === "function") {
    if (fn(obj, "unsafe", "begin")) return "postgres.js";
    if (fn(obj, "unsafe", "transaction")) return "neon-http";
    return undefined;
  }
  if (obj === null || typeof obj !== "object") return undefined;
  if (obj.constructor?.name === "DatabaseSync") return "node:sqlite";
  if ("waitReady" in obj && fn(obj, "query", "exec")) return "pglite";
  if (fn(obj, "execute", "batch") && "protocol" in obj) return "libsql";
  if (fn(obj, "query", "execute")) return fn(obj, "promise") ? "mysql2-callback" : "mysql2";
  if (fn(obj, "prepare", "pragma")) return "better-sqlite3";
  if (fn(obj, "prepare", "query", "run")) return "bun:sqlite";
  if (fn(obj, "prepare", "batch", "exec")) return "d1";
  if (fn(obj, "query", "connect")) return "pg";
  return undefined;
}

/**
 * Refuses `obj` unless it can be `expected`'s driver: another recognised driver names its own
 * adapter; anything else must at least have `method`.
 */
function expectDriver(obj, expected, adapter, method) {
  const kind = driverOf(obj);
  if (kind !== undefined && kind !== expected) {
    const { what, use } = DRIVERS[kind];
    throw new SnowfallError("INVALID_TYPE", `${adapter}: this is ${what}, not ${DRIVERS[expected].what}; use ${use}`);
  }
  if (obj == null || (typeof obj !== "object" && typeof obj !== "function") || typeof obj[method] !== "function") {
    throw new SnowfallError("INVALID_TYPE", `${adapter}: expected ${DRIVERS[expected].what} (an object with a ${method}() method), got ${show(obj)}`);
  }
}

// PostgreSQL integer types (int8, int2, int4) by type oid: pg and postgres.js hand int8 back as text.
const PG_INTEGERS = new Set([20, 21, 23]);

// pg returns int8 (BIGINT) as text because it may exceed 2^53; ours never do. A per-query type
// parser keeps the user's pool-wide settings untouched: integers become Numbers, every other type
// goes to the client's own parsers when we can reach them, else text.
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
 * PostgreSQL through `pg` (a Pool, or a connected Client), or anything with its API (Neon's Pool).
 * @param {{ query: Function }} poolOrClient
 */
export function fromPg(poolOrClient) {
  expectDriver(poolOrClient, "pg", "fromPg", "query");
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
 * PostgreSQL through postgres.js (`const sql = postgres(url)`). Statements run with sql.unsafe()
 * (the syncer's SQL has $n placeholders); int8 columns come back as Numbers. Leave the column-name
 * transform (postgres.camel...) off on the instance you pass.
 * @param {{ unsafe: Function }} sql
 */
export function fromPostgresJs(sql) {
  expectDriver(sql, "postgres.js", "fromPostgresJs", "unsafe");
  return {
    dialect: "postgres",
    async execute(text, params) {
      const res = await sql.unsafe(text, bindable(params));
      const rows = Array.from(res);
      const ints = (res.columns ?? []).filter((c) => PG_INTEGERS.has(c.type)).map((c) => c.name);
      for (const row of rows) for (const k of ints) if (typeof row[k] === "string") row[k] = Number(row[k]);
      return { rows: normalizeRows(rows), rowCount: Number(res.count ?? rows.length) };
    },
  };
}

/**
 * PostgreSQL in-process through PGlite (`new PGlite()`, @electric-sql/pglite).
 * @param {{ query: Function }} pg
 */
export function fromPGlite(pg) {
  expectDriver(pg, "pglite", "fromPGlite", "query");
  return {
    dialect: "postgres",
    async execute(sql, params) {
      const res = await pg.query(sql, bindable(params));
      const rows = normalizeRows(res.rows ?? []);
      return { rows, rowCount: res.fields?.length ? rows.length : Number(res.affectedRows ?? 0) };
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
  expectDriver(promisePool, "mysql2", "fromMysql2", "query");
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

// SQLite drivers with synchronous prepared statements (better-sqlite3, node:sqlite, bun:sqlite):
// statements are prepared once and cached; `reads(stmt, sql)` tells a statement that returns rows.
function syncSqlite(prepare, reads) {
  const cache = new Map();
  return {
    dialect: "sqlite",
    async execute(sql, params) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = prepare(sql);
        if (cache.size > 64) cache.clear();
        cache.set(sql, stmt);
      }
      const args = bindable(params);
      if (reads(stmt, sql)) { const rows = normalizeRows(stmt.all(...args)); return { rows, rowCount: rows.length }; }
      return { rows: [], rowCount: Number(stmt.run(...args).changes) };
    },
  };
}

/**
 * SQLite through `better-sqlite3` (a Database).
 * Set a busy timeout on the Database (better-sqlite3's default is 5 s) when several processes
 * share one file; SQLITE_BUSY beyond it is retried by the syncer.
 * @param {{ prepare: Function }} db
 */
export function fromBetterSqlite3(db) {
  expectDriver(db, "better-sqlite3", "fromBetterSqlite3", "prepare");
  return syncSqlite((sql) => db.prepare(sql), (stmt) => stmt.reader);
}

const RETURNS_ROWS = /^\s*(SELECT|WITH|PRAGMA|VALUES)\b|\bRETURNING\b/i;

/**
 * SQLite through `node:sqlite` (`new DatabaseSync(path, { timeout: 5000 })`: Node 22.13+, Deno 2).
 * Give it a `timeout` (busy timeout, ms) when several processes share one file.
 * @param {{ prepare: Function }} db
 */
export function fromNodeSqlite(db) {
  expectDriver(db, "node:sqlite", "fromNodeSqlite", "prepare");
  return syncSqlite((sql) => db.prepare(sql),
    (stmt, sql) => (typeof stmt.columns === "function" ? stmt.columns().length > 0 : RETURNS_ROWS.test(sql)));
}

/**
 * SQLite through `bun:sqlite` (`new Database(path)` in Bun). Run `PRAGMA busy_timeout = 5000`
 * on it when several processes share one file.
 * @param {{ prepare: Function }} db
 */
export function fromBunSqlite(db) {
  expectDriver(db, "bun:sqlite", "fromBunSqlite", "prepare");
  return syncSqlite((sql) => db.prepare(sql),
    (stmt, sql) => (Array.isArray(stmt.columnNames) ? stmt.columnNames.length > 0 : RETURNS_ROWS.test(sql)));
}

/**
 * SQLite or Turso through `@libsql/client` (`createClient({ url })`: file:, libsql://, http(s)://).
 * @param {{ execute: Function }} client
 */
export function fromLibsql(client) {
  expectDriver(client, "libsql", "fromLibsql", "execute");
  return {
    dialect: "sqlite",
    async execute(sql, params) {
      const res = await client.execute({ sql, args: bindable(params) });
      const columns = res.columns ?? [];
      if (!columns.length) return { rows: [], rowCount: Number(res.rowsAffected ?? 0) };
      // libSQL rows are array-like Row objects: copy them to plain objects keyed by column.
      const rows = res.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
      return { rows: normalizeRows(rows), rowCount: rows.length };
    },
  };
}

/**
 * Cloudflare D1 (`env.DB`). D1 rejects BigInt binds and rounds integers above 2^53 on the way
 * back; every value here is below 2^53 and bound as a Number.
 * @param {{ prepare: Function }} d1
 */
export function fromD1(d1) {
  expectDriver(d1, "d1", "fromD1", "prepare");
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
