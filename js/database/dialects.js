// The SQL of the database syncer, per dialect, in one place. Everything else (js/database/syncer.js)
// is dialect-free: it asks this file for statements and runs them through an adapter's execute().
//
// Table and column names are the original Python package's, so groups it created keep working:
//   snowfall_{group}_manifest(generator_id SMALLINT PK, last_updated_ms BIGINT NOT NULL)
//   snowfall_{group}_properties("key" VARCHAR(32) PK, value BIGINT NOT NULL)
// plus two lease columns with defaults (the original never names them, so it ignores them):
//   reserved_until_ms BIGINT NOT NULL DEFAULT 0, holder VARCHAR(36) NOT NULL DEFAULT ''.
//
// Only values travel as bind parameters. Identifiers are the validated group name (letters,
// digits, underscore: see validateGroupName in syncer.js), always quoted, which is also what
// SQLAlchemy does for mixed-case names. The few literals spliced in (LIMIT, generator ids when
// filling the manifest) are integers this file makes itself.

import { SnowfallError } from "../errors.js";

/** Number of generator ids in a group (12 bits). */
export const GENERATOR_ID_COUNT = 4096;

const DIALECTS = ["postgres", "mysql", "sqlite"];

// Rows per INSERT when filling the manifest: small enough for every statement-size limit (D1
// allows 100 KB per statement), large enough that 4096 rows take a handful of round trips.
const FILL_CHUNK = 512;

/**
 * The statements for one dialect and one schema group.
 * @param {"postgres"|"mysql"|"sqlite"} dialect
 * @param {string} group a name already checked by validateGroupName
 */
export function statementsFor(dialect, group) {
  if (!DIALECTS.includes(dialect)) throw new SnowfallError("INVALID_TYPE", `unknown SQL dialect ${JSON.stringify(dialect)}: use "postgres", "mysql" or "sqlite"`);
  const mysql = dialect === "mysql";
  const q = (name) => (mysql ? `\`${name}\`` : `"${name}"`);
  const manifestName = `snowfall_${group}_manifest`;
  const propertiesName = `snowfall_${group}_properties`;
  const manifest = q(manifestName);
  const properties = q(propertiesName);
  const key = q("key");
  // Statements are written with `?`; PostgreSQL numbers its placeholders instead.
  const sql = dialect === "postgres" ? (s) => { let i = 0; return s.replace(/\?/g, () => `$${++i}`); } : (s) => s;
  // "Insert unless the row exists" has a different spelling in each dialect.
  const insertIgnore = (table, cols, values) =>
    dialect === "postgres" ? `INSERT INTO ${table} (${cols}) VALUES ${values} ON CONFLICT DO NOTHING`
      : mysql ? `INSERT IGNORE INTO ${table} (${cols}) VALUES ${values}`
        : `INSERT OR IGNORE INTO ${table} (${cols}) VALUES ${values}`;
  const slotCols = "generator_id, last_updated_ms, reserved_until_ms, holder";
  const slotRows = (from, to) => {
    const rows = [];
    for (let id = from; id < to; id++) rows.push(`(${id}, 0, 0, '')`);
    return rows.join(", ");
  };

  return {
    manifestName,
    propertiesName,

    /** Does a table exist (in the connection's current schema/database)? Param: table name. */
    tableExists: sql(
      dialect === "postgres" ? "SELECT 1 AS present FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
        : mysql ? "SELECT 1 AS present FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
          // SQLite identifiers ignore case: "Orders" and "orders" name one table there.
          : "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
    ),

    createManifest:
      `CREATE TABLE IF NOT EXISTS ${manifest} (generator_id SMALLINT NOT NULL PRIMARY KEY, ` +
      "last_updated_ms BIGINT NOT NULL, reserved_until_ms BIGINT NOT NULL DEFAULT 0, " +
      "holder VARCHAR(36) NOT NULL DEFAULT '')",
    createProperties:
      `CREATE TABLE IF NOT EXISTS ${properties} (${key} VARCHAR(32) NOT NULL PRIMARY KEY, value BIGINT NOT NULL)`,

    /** INSERT-or-ignore of the given property keys; params: key1, value1, key2, value2, ... */
    insertProperties: (count) =>
      sql(insertIgnore(properties, `${key}, value`, Array.from({ length: count }, () => "(?, ?)").join(", "))),

    /** INSERT-or-ignore statements creating the free slots 0..4095 (no params). */
    fillManifest: () => {
      const out = [];
      for (let from = 0; from < GENERATOR_ID_COUNT; from += FILL_CHUNK) {
        out.push(insertIgnore(manifest, slotCols, slotRows(from, Math.min(from + FILL_CHUNK, GENERATOR_ID_COUNT))));
      }
      return out;
    },
    /** The original package never creates id 4095; opening a group adds it (no params). */
    insertLastSlot: insertIgnore(manifest, slotCols, slotRows(GENERATOR_ID_COUNT - 1, GENERATOR_ID_COUNT)),

    readProperties: `SELECT ${key} AS k, value AS v FROM ${properties}`,

    /** Fails if the lease columns are missing (a group made by the original package). */
    probeLeaseColumns: `SELECT generator_id, reserved_until_ms, holder FROM ${manifest} WHERE generator_id = ${GENERATOR_ID_COUNT - 1}`,
    addLeaseColumns: [
      `ALTER TABLE ${manifest} ADD COLUMN reserved_until_ms BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE ${manifest} ADD COLUMN holder VARCHAR(36) NOT NULL DEFAULT ''`,
    ],

    /**
     * Up to `limit` free slots in a range of ids, by the primary key, so a claim reads a few index
     * entries rather than the whole manifest. Params: from id (inclusive), to id (exclusive),
     * free-before (unix ms: a slot is free when last_updated_ms < it).
     */
    selectFree: (limit) => sql(
      `SELECT generator_id, last_updated_ms, reserved_until_ms, holder FROM ${manifest} ` +
      "WHERE generator_id >= ? AND generator_id < ? AND last_updated_ms < ? " +
      `ORDER BY generator_id LIMIT ${Math.max(1, Math.trunc(limit))}`,
    ),

    /** The database's clock in Unix ms (no params). */
    now:
      dialect === "postgres" ? "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT) AS now"
        : mysql ? "SELECT CAST(FLOOR(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED) AS now"
          : "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now",

    /**
     * The one write of the protocol: a single-row compare-and-swap of a slot. Claim, renew and
     * release all use it; it succeeds (1 row) only if the slot still holds exactly what was read.
     * Params: new last_updated_ms, reserved_until_ms, holder, then generator_id and the old three.
     */
    compareAndSwap: sql(
      `UPDATE ${manifest} SET last_updated_ms = ?, reserved_until_ms = ?, holder = ? ` +
      "WHERE generator_id = ? AND last_updated_ms = ? AND reserved_until_ms = ? AND holder = ?",
    ),

    /** Every slot updated at or after a time (params: unix ms), for `status`. */
    selectLive: sql(
      `SELECT generator_id, last_updated_ms, reserved_until_ms, holder FROM ${manifest} ` +
      "WHERE last_updated_ms >= ? ORDER BY generator_id",
    ),
    countSlots: `SELECT COUNT(*) AS n FROM ${manifest}`,

    dropTables: [`DROP TABLE IF EXISTS ${manifest}`, `DROP TABLE IF EXISTS ${properties}`],
  };
}

/**
 * Whether a driver error is contention that a retry can resolve: serialization failures and
 * deadlocks (PostgreSQL 40001/40P01), deadlocks and lock wait timeouts (MySQL 1213/1205), and a
 * busy or locked SQLite database. Everything else surfaces.
 * @param {"postgres"|"mysql"|"sqlite"} dialect
 * @param {any} err
 */
export function isContention(dialect, err) {
  if (!err || typeof err !== "object") return false;
  if (dialect === "postgres") return err.code === "40001" || err.code === "40P01";
  if (dialect === "mysql") return err.errno === 1213 || err.errno === 1205 || err.code === "ER_LOCK_DEADLOCK" || err.code === "ER_LOCK_WAIT_TIMEOUT";
  // better-sqlite3 sets code (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED...); D1 only has
  // the message text.
  const text = `${err.code ?? ""} ${err.message ?? ""}`;
  return /SQLITE_(BUSY|LOCKED)|database is locked/i.test(text);
}
