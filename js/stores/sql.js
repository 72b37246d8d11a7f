// The SQL store: a schema group's two tables in PostgreSQL, MySQL/MariaDB, SQLite or D1, through
// a driver adapter (js/database/adapters.js). I/O only: it reads slots, compare-and-swaps one
// slot, and reads/creates the group's properties; every lease decision is the core's
// (src/machine.rs, docs/PROTOCOL.md). The SQL of each dialect is in js/database/dialects.js.
import { SnowfallError } from "../errors.js";
import { MAX_SCHEMA_GROUP_NAME_LENGTH, SCHEMA_GROUP_NAME } from "../settings.js";
import { GENERATOR_ID_COUNT, isContention, statementsFor } from "../database/dialects.js";
import { checkResult } from "../database/adapters.js";

// Longest group name whose table names fit every dialect (src/memory.rs: PostgreSQL allows 63
// bytes per identifier, "snowfall_" + name + "_properties" adds 20).
export { MAX_SCHEMA_GROUP_NAME_LENGTH };
const PROPERTY_KEYS = ["liveliness_probe_s", "epoch_start_ms", "max_claim_retries", "min_ms_between_claim_retries", "max_ms_between_claim_retries"];

/** Throws INVALID_SCHEMA_GROUP_NAME unless the name is safe to splice into table names. */
export function validateGroupName(name) {
  if (typeof name !== "string" || !SCHEMA_GROUP_NAME.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name) : typeof name;
    throw new SnowfallError(
      "INVALID_SCHEMA_GROUP_NAME",
      `schema group name ${shown} is not allowed: use 1 to ${MAX_SCHEMA_GROUP_NAME_LENGTH} characters from [A-Za-z0-9_] (it becomes part of table names)`,
    );
  }
  return name;
}

/** Throws INVALID_TYPE unless `database` is an adapter. */
export function checkDatabase(database) {
  if (!database || typeof database.execute !== "function" || !["postgres", "mysql", "sqlite"].includes(database.dialect)) {
    throw new SnowfallError("INVALID_TYPE", "database must be an adapter: fromPg(pool), fromMysql2(pool), fromBetterSqlite3(db), fromD1(env.DB), or { dialect: 'postgres'|'mysql'|'sqlite', execute(sql, params) }");
  }
  return database;
}

const wrap = (what, err) => {
  if (err instanceof SnowfallError) return err;
  const e = new SnowfallError("DATABASE_ERROR", `${what}: ${err?.message ?? err}`, { cause: err });
  return e;
};

const num = (v) => (typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : v);

export class SqlStore {
  #db; #stmts;
  /**
   * @param {{ dialect: string, execute: Function }} database an adapter
   * @param {string} schemaGroupName
   */
  constructor(database, schemaGroupName) {
    this.schemaGroupName = validateGroupName(schemaGroupName);
    this.#db = checkDatabase(database);
    this.#stmts = statementsFor(database.dialect, schemaGroupName);
  }

  get dialect() {
    return this.#db.dialect;
  }

  async #exec(what, sql, params) {
    let result;
    try {
      result = await this.#db.execute(sql, params ?? []);
    } catch (err) {
      // Contention (serialization failure, deadlock, busy) is retried by the core.
      const e = wrap(what, err);
      if (isContention(this.#db.dialect, err)) e.contention = true;
      throw e;
    }
    return checkResult(result, sql); // a custom adapter's reply, checked against the contract
  }

  async #tableExists(name) {
    const { rows } = await this.#exec("checking for the schema group's tables", this.#stmts.tableExists, [name]);
    return rows.length > 0;
  }

  /** The group's properties, or null when it does not exist; brings a group made by the original package up to this shape. */
  async readGroup() {
    const s = this.#stmts;
    let rows;
    let result;
    try {
      result = await this.#db.execute(s.readProperties, []);
    } catch (err) {
      if (!(await this.#tableExists(s.propertiesName))) return null;
      throw wrap(`reading schema group ${this.schemaGroupName}`, err);
    }
    ({ rows } = checkResult(result, s.readProperties));
    const p = Object.fromEntries(rows.map((r) => [r.k, Number(r.v)]));
    if (!(p.liveliness_probe_s > 0) || !Number.isFinite(p.epoch_start_ms)) return null;
    await this.#upgradeManifest();
    const minMs = p.min_ms_between_claim_retries ?? 100;
    return {
      schemaGroupName: this.schemaGroupName,
      livelinessProbeS: p.liveliness_probe_s,
      epochUnixMs: p.epoch_start_ms * 1000, // stored in seconds, as the original does
      maxClaimRetries: p.max_claim_retries ?? 3,
      minMsBetweenClaimRetries: minMs,
      maxMsBetweenClaimRetries: Math.max(minMs, p.max_ms_between_claim_retries ?? 500),
    };
  }

  /**
   * Creates the two tables and the 4096 free slots (properties last: a group without properties
   * is not there yet, so a concurrent open never sees a half-filled manifest).
   * @param {{ livelinessProbeS: number, epochUnixMs: number, maxClaimRetries: number, minMsBetweenClaimRetries: number, maxMsBetweenClaimRetries: number }} props checked by the caller
   * @param {{ ifNotExists?: boolean }} [options]
   */
  async createGroup(props, { ifNotExists = false } = {}) {
    const s = this.#stmts;
    const existed = (await this.#tableExists(s.propertiesName)) || (await this.#tableExists(s.manifestName));
    if (existed && !ifNotExists) {
      throw new SnowfallError("SCHEMA_GROUP_EXISTS", `schema group ${JSON.stringify(this.schemaGroupName)} already exists in this database (pass ifNotExists: true to accept that)`);
    }
    await this.#createTable(s.createManifest, s.manifestName);
    if (existed) await this.#upgradeManifest();
    const { rows } = await this.#exec("counting manifest rows", s.countSlots);
    if (Number(rows[0]?.n ?? rows[0]?.N ?? 0) < GENERATOR_ID_COUNT) {
      for (const fill of s.fillManifest()) await this.#exec("filling the manifest", fill);
    }
    await this.#createTable(s.createProperties, s.propertiesName);
    const values = [props.livelinessProbeS, props.epochUnixMs / 1000, props.maxClaimRetries, props.minMsBetweenClaimRetries, props.maxMsBetweenClaimRetries];
    await this.#exec("writing the group's properties", s.insertProperties(PROPERTY_KEYS.length), PROPERTY_KEYS.flatMap((k, i) => [k, values[i]]));
    return this.readGroup();
  }

  /** CREATE TABLE IF NOT EXISTS, tolerating a concurrent creator (PostgreSQL can fail one of two). */
  async #createTable(ddl, name) {
    try {
      await this.#db.execute(ddl, []);
    } catch (err) {
      if (!(await this.#tableExists(name))) throw wrap(`creating table ${name}`, err);
    }
  }

  /** Adds the lease columns and row 4095 that groups created by the original package lack (safe to race). */
  async #upgradeManifest() {
    const s = this.#stmts;
    let rows;
    try {
      ({ rows } = checkResult(await this.#db.execute(s.probeLeaseColumns, []), s.probeLeaseColumns));
    } catch {
      for (const alter of s.addLeaseColumns) {
        try {
          await this.#db.execute(alter, []);
        } catch {
          // Another opener may have added it first; the re-probe below decides.
        }
      }
      ({ rows } = await this.#exec(`adding the lease columns to schema group ${this.schemaGroupName}`, s.probeLeaseColumns));
    }
    if (rows.length === 0) await this.#exec(`adding generator id 4095 to schema group ${this.schemaGroupName}`, s.insertLastSlot);
  }

  /** Up to `limit` slots with from <= generator_id < to and last_updated_ms < freeBeforeMs, by id. */
  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    const { rows } = await this.#exec("reading free generator ids", this.#stmts.selectFree(limit), [from, to, freeBeforeMs]);
    return rows.map((r) => ({
      generatorId: num(r.generator_id),
      lastUpdatedMs: num(r.last_updated_ms),
      reservedUntilMs: num(r.reserved_until_ms),
      holder: r.holder ?? "",
    }));
  }

  /** The protocol's one write: true if the slot held exactly `expected` and now holds `next`. */
  async compareAndSwap({ generatorId, expected, next }) {
    const { rowCount } = await this.#exec(`writing generator id ${generatorId}`, this.#stmts.compareAndSwap, [
      next.lastUpdatedMs, next.reservedUntilMs, next.holder, generatorId, expected.lastUpdatedMs, expected.reservedUntilMs, expected.holder,
    ]);
    return Number(rowCount) === 1;
  }

  /** The database's clock (Unix ms), for the skew check at open. */
  async now() {
    const { rows } = await this.#exec("reading the database clock", this.#stmts.now);
    return num(rows[0]?.now ?? rows[0]?.NOW);
  }

  /** Slots updated at or after `sinceMs` (status). */
  async liveSlots(sinceMs) {
    const { rows } = await this.#exec("reading live slots", this.#stmts.selectLive, [sinceMs]);
    return rows.map((r) => ({ generatorId: num(r.generator_id), lastUpdatedMs: num(r.last_updated_ms), reservedUntilMs: num(r.reserved_until_ms), holder: r.holder }));
  }

  /** Number of manifest rows. */
  async slotCount() {
    const { rows } = await this.#exec("counting manifest rows", this.#stmts.countSlots);
    return Number(rows[0]?.n ?? rows[0]?.N ?? 0);
  }

  /** Drops the group's tables. */
  async drop() {
    for (const drop of this.#stmts.dropTables) await this.#exec(`dropping schema group ${this.schemaGroupName}`, drop);
  }
}
