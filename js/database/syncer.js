/**
 * # DatabaseSyncer: generator-id leases kept in the user's own database
 *
 * ## The syncer interface (implement it for any other store)
 * `Snowfall.create({ syncer, ...options })` accepts any object with
 *
 *     syncer.open(options) -> Promise<LeaseSession>
 *
 * where a LeaseSession is
 *
 *     {
 *       epochUnixMs: number,          // the schema group's epoch (unix ms)
 *       livelinessProbeMs: number,    // how often the holder renews (ms)
 *       claim():   Promise<Lease>,    // reserve a free generator id and a window (throws if none)
 *       renew():   Promise<Lease>,    // extend the held lease; rejects with code LEASE_LOST if it
 *                                     // was taken over (resolving null is accepted as the same)
 *       release(lastIssuedUnixMs: number): Promise<void>, // give the id back (-1: nothing minted)
 *     }
 *     Lease = { generatorId: number, windowStartUnixMs: number, windowEndUnixMs: number }
 *     (generatorId 0..4095; the window is inclusive, in unix ms)
 *
 * The store keeps, per generator id, a slot `{ lastUpdatedMs, reservedUntilMs, holder }` and the
 * session must follow these rules (they are what makes ids unique; see docs/DESIGN.md):
 * - a slot is free when `lastUpdatedMs < now - 2 * probe` (a release backdates lastUpdatedMs so
 *   that this holds as soon as the clock has passed the last ms the releaser minted);
 * - claim: compare-and-swap a free slot (all three fields as read) to
 *   `{ now, end, freshToken }`, window `[reservedUntilMs + 1, max(now, reservedUntilMs + 1) + 2 * probe]`;
 * - renew: compare-and-swap on the values last written, `end = max(end, now + 2 * probe)`; a failed
 *   compare means another holder took the id: reject with LEASE_LOST, never extend that window;
 * - release: compare-and-swap to `{ lastIssued - 2 * probe, lastIssued, "" }` where lastIssued is at
 *   least windowStart - 1 (why not last_updated_ms = 0: see release());
 * - a window is handed to the generator only after the store confirmed the write.
 * tests/js/database-custom-syncer.test.mjs has a complete Map-backed implementation.
 *
 * ## Why two holders of one generator id never mint the same id (the fencing argument)
 * A generator mints only timestamps inside a window that was successfully written to the slot.
 * Every write to a slot is a single-row compare-and-swap, so the writes to one slot form a chain,
 * each based on the one before. A new holder's window starts at the previous `reserved_until_ms + 1`
 * and `reserved_until_ms` only grows while a holder keeps the slot (renewal never moves it back;
 * release lowers it only to what the releaser actually minted, and the releaser never mints again).
 * So the windows of successive holders are disjoint whatever their clocks say: a holder paused past
 * its lease (GC, SIGSTOP, a frozen isolate) wakes up with a window that ends before its successor's
 * starts, and its next renewal fails the compare. Clock skew between hosts only changes when a slot
 * looks free, never whether two windows overlap. No SELECT ... FOR UPDATE is needed (SQLite ignores it).
 *
 * A renewal whose outcome is unknown (the connection dropped after sending) is handled without a
 * guess: the generator is not extended, and the next renewal compares against either the values
 * last confirmed or the ones that may have been written (the holder token is unique per claim, so
 * only this session could have written them).
 *
 * Groups made by the original Python package (no lease columns, no row 4095, epoch in seconds)
 * are upgraded in place when opened: the two columns are added with defaults and row 4095 inserted.
 * Python instances only read and write last_updated_ms, so a mixed fleet keeps apart by the
 * original's rule (a slot renewed within two probes is taken).
 */
import { SnowfallError } from "../errors.js";
import { GENERATOR_ID_COUNT, isContention, statementsFor } from "./dialects.js";

const DEFAULT_EPOCH_UNIX_MS = Date.UTC(2020, 0, 1);
// Longest group name whose table names fit every dialect: PostgreSQL allows 63 bytes per
// identifier, "snowfall_" + name + "_properties" adds 20.
export const MAX_SCHEMA_GROUP_NAME_LENGTH = 63 - "snowfall__properties".length;
// How many free slots one claim attempt reads; claimers try them in random order, so concurrent
// claimers rarely meet on the same row, and a lost race moves on without another read.
const CANDIDATES = 16;
// Renewals with unknown outcome remembered per session (a probe/5 retry rhythm fills it in about
// 1.6 probes, by when the lease is nearly over anyway).
const MAX_UNKNOWN = 8;
const PROPERTY_KEYS = ["liveliness_probe_s", "epoch_start_ms", "max_claim_retries", "min_ms_between_claim_retries", "max_ms_between_claim_retries"];

/** Throws INVALID_SCHEMA_GROUP_NAME unless the name is safe to splice into table names. */
export function validateGroupName(name) {
  if (typeof name !== "string" || !/^[A-Za-z0-9_]+$/.test(name) || name.length > MAX_SCHEMA_GROUP_NAME_LENGTH) {
    const shown = typeof name === "string" ? JSON.stringify(name) : String(name);
    throw new SnowfallError(
      "INVALID_SCHEMA_GROUP_NAME",
      `schema group name ${shown} is not allowed: use 1 to ${MAX_SCHEMA_GROUP_NAME_LENGTH} characters from [A-Za-z0-9_] (it becomes part of table names)`,
    );
  }
  return name;
}

function checkDatabase(database) {
  if (!database || typeof database.execute !== "function" || !["postgres", "mysql", "sqlite"].includes(database.dialect)) {
    throw new SnowfallError("INVALID_TYPE", "database must be an adapter: fromPg(pool), fromMysql2(pool), fromBetterSqlite3(db), fromD1(env.DB), or { dialect: 'postgres'|'mysql'|'sqlite', execute(sql, params) }");
  }
  return database;
}

function checkInteger(name, value, min, max) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new SnowfallError("OUT_OF_RANGE", `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function epochOf(value) {
  const ms = value === undefined ? DEFAULT_EPOCH_UNIX_MS : value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new SnowfallError("INVALID_TYPE", "epochStartDate must be a Date, an ISO date string or unix ms");
  }
  // The properties table keeps the epoch in whole seconds (as the original does).
  if (ms % 1000 !== 0 || ms < 0) throw new SnowfallError("OUT_OF_RANGE", `epochStartDate must be a whole second at or after 1970, got ${new Date(ms).toISOString()}`);
  return ms;
}

const wrap = (what, err) => (err instanceof SnowfallError ? err : new SnowfallError("DATABASE_ERROR", `${what}: ${err?.message ?? err}`, { cause: err }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (n) => Math.floor(Math.random() * n);
const token = () => globalThis.crypto.randomUUID();

/** Runs one statement, turning driver errors into DATABASE_ERROR. */
async function exec(db, what, sql, params) {
  try {
    return await db.execute(sql, params ?? []);
  } catch (err) {
    throw wrap(what, err);
  }
}

async function tableExists(db, stmts, name) {
  const { rows } = await exec(db, "checking for the schema group's tables", stmts.tableExists, [name]);
  return rows.length > 0;
}

/** Reads the properties table into numbers; SCHEMA_GROUP_NOT_FOUND when it is missing or empty. */
async function readProperties(db, stmts, group) {
  let rows;
  try {
    ({ rows } = await db.execute(stmts.readProperties, []));
  } catch (err) {
    if (!(await tableExists(db, stmts, stmts.propertiesName))) rows = [];
    else throw wrap(`reading schema group ${group}`, err);
  }
  const p = Object.fromEntries(rows.map((r) => [r.k, Number(r.v)]));
  if (!(p.liveliness_probe_s > 0) || !Number.isFinite(p.epoch_start_ms)) {
    throw new SnowfallError("SCHEMA_GROUP_NOT_FOUND", `schema group ${JSON.stringify(group)} does not exist in this database: create it first (DatabaseSyncer.createSchemaGroup or \`npx snowfall-wasm create-group\`)`);
  }
  const minMs = p.min_ms_between_claim_retries ?? 100;
  return {
    schemaGroupName: group,
    livelinessProbeS: p.liveliness_probe_s,
    epochUnixMs: p.epoch_start_ms * 1000, // stored in seconds, as the original does
    maxClaimRetries: p.max_claim_retries ?? 3,
    minMsBetweenClaimRetries: minMs,
    maxMsBetweenClaimRetries: Math.max(minMs, p.max_ms_between_claim_retries ?? 500),
  };
}

/**
 * CREATE TABLE IF NOT EXISTS, tolerating a concurrent creator: PostgreSQL can still fail one of
 * two racing creators (duplicate pg_type row); the table existing afterwards is all that matters.
 */
async function createTable(db, stmts, ddl, name) {
  try {
    await db.execute(ddl, []);
  } catch (err) {
    if (!(await tableExists(db, stmts, name))) throw wrap(`creating table ${name}`, err);
  }
}

/**
 * Brings a manifest up to this package's shape: adds the lease columns and row 4095 that groups
 * created by the original package lack. Safe to race: each step is re-checked after a failure.
 */
async function upgradeManifest(db, stmts, group) {
  let rows;
  try {
    ({ rows } = await db.execute(stmts.probeLeaseColumns, []));
  } catch (probeErr) {
    for (const alter of stmts.addLeaseColumns) {
      try {
        await db.execute(alter, []);
      } catch {
        // Another opener may have added it first; the re-probe below decides.
      }
    }
    try {
      ({ rows } = await db.execute(stmts.probeLeaseColumns, []));
    } catch (err) {
      throw wrap(`adding the lease columns to schema group ${group}`, err);
    }
  }
  if (rows.length === 0) await exec(db, `adding generator id 4095 to schema group ${group}`, stmts.insertLastSlot);
}

export class DatabaseSyncer {
  /**
   * Creates a schema group's two tables (once per group and database).
   * @param {{ schemaGroupName?: string, database: object, livelinessProbeS?: number,
   *   epochStartDate?: Date | string | number, maxClaimRetries?: number,
   *   minMsBetweenClaimRetries?: number, maxMsBetweenClaimRetries?: number,
   *   ifNotExists?: boolean, clock?: () => number }} options
   * @returns the group's properties (the existing ones if it existed and ifNotExists was set)
   */
  static async createSchemaGroup(options = {}) {
    const group = validateGroupName(options.schemaGroupName === undefined ? "default" : options.schemaGroupName);
    const db = checkDatabase(options.database);
    const probeS = checkInteger("livelinessProbeS", options.livelinessProbeS ?? 5, 1, 86_400);
    const epochMs = epochOf(options.epochStartDate);
    const retries = checkInteger("maxClaimRetries", options.maxClaimRetries ?? 3, 0, 1000);
    const minMs = checkInteger("minMsBetweenClaimRetries", options.minMsBetweenClaimRetries ?? 100, 0, 600_000);
    const maxMs = checkInteger("maxMsBetweenClaimRetries", options.maxMsBetweenClaimRetries ?? 500, minMs, 600_000);
    const now = (options.clock ?? Date.now)();
    if (epochMs > now) {
      throw new SnowfallError("EPOCH_IN_FUTURE", `epochStartDate ${new Date(epochMs).toISOString()} is in the future`);
    }
    const stmts = statementsFor(db.dialect, group);
    const existed = (await tableExists(db, stmts, stmts.propertiesName)) || (await tableExists(db, stmts, stmts.manifestName));
    if (existed && !options.ifNotExists) {
      throw new SnowfallError("SCHEMA_GROUP_EXISTS", `schema group ${JSON.stringify(group)} already exists in this database (pass ifNotExists: true to accept that)`);
    }
    // Manifest first, properties last: open() treats a group without properties as not (yet) there,
    // so a concurrent open never sees a half-filled manifest as ready.
    await createTable(db, stmts, stmts.createManifest, stmts.manifestName);
    if (existed) await upgradeManifest(db, stmts, group);
    const { rows } = await exec(db, "counting manifest rows", stmts.countSlots);
    if (Number(rows[0]?.n ?? rows[0]?.N ?? 0) < GENERATOR_ID_COUNT) {
      for (const fill of stmts.fillManifest()) await exec(db, "filling the manifest", fill);
    }
    await createTable(db, stmts, stmts.createProperties, stmts.propertiesName);
    const values = [probeS, epochMs / 1000, retries, minMs, maxMs];
    await exec(db, "writing the group's properties", stmts.insertProperties(PROPERTY_KEYS.length), PROPERTY_KEYS.flatMap((k, i) => [k, values[i]]));
    return readProperties(db, stmts, group);
  }

  /**
   * Opens a lease session on an existing group (what `Snowfall.create({ syncer: DatabaseSyncer })`
   * calls). Claims nothing yet: call `claim()`.
   * @param {{ schemaGroupName?: string, database: object, clock?: () => number }} options
   * @returns {Promise<DatabaseLeaseSession>}
   */
  static async open(options = {}) {
    const group = validateGroupName(options.schemaGroupName === undefined ? "default" : options.schemaGroupName);
    const db = checkDatabase(options.database);
    const stmts = statementsFor(db.dialect, group);
    const props = await readProperties(db, stmts, group);
    await upgradeManifest(db, stmts, group);
    return new DatabaseLeaseSession(db, stmts, props, options.clock ?? Date.now);
  }

  /**
   * A group's properties and its live slots (renewed within two probes), for monitoring.
   * @param {{ schemaGroupName?: string, database: object, clock?: () => number }} options
   */
  static async status(options = {}) {
    const group = validateGroupName(options.schemaGroupName === undefined ? "default" : options.schemaGroupName);
    const db = checkDatabase(options.database);
    const stmts = statementsFor(db.dialect, group);
    const props = await readProperties(db, stmts, group);
    const now = (options.clock ?? Date.now)();
    const { rows } = await exec(db, "reading live slots", stmts.selectLive, [now - 2 * props.livelinessProbeS * 1000]);
    const { rows: count } = await exec(db, "counting manifest rows", stmts.countSlots);
    return {
      ...props,
      slotCount: Number(count[0]?.n ?? count[0]?.N ?? 0),
      live: rows.map((r) => ({
        generatorId: Number(r.generator_id),
        lastUpdatedMs: Number(r.last_updated_ms),
        reservedUntilMs: Number(r.reserved_until_ms),
        holder: r.holder,
      })),
    };
  }

  /** Drops a group's tables (tests and the CLI). Live holders lose their leases at their next renewal. */
  static async dropSchemaGroup(options = {}) {
    const group = validateGroupName(options.schemaGroupName === undefined ? "default" : options.schemaGroupName);
    const db = checkDatabase(options.database);
    for (const drop of statementsFor(db.dialect, group).dropTables) await exec(db, `dropping schema group ${group}`, drop);
  }
}

/** One holder's view of a group: at most one lease at a time. */
export class DatabaseLeaseSession {
  #db; #stmts; #props; #clock;
  /** The slot as this session last wrote it and the window handed out, or null. */
  #held = null;
  /**
   * Values renewals may have written since the last confirmed write (their replies were lost or
   * they failed in flight), newest last; see the fencing notes. Any one of them may be in the row.
   */
  #unknown = [];
  /** Number of statements run, for the benchmark figures. */
  statements = 0;

  constructor(db, stmts, props, clock) {
    this.#db = db;
    this.#stmts = stmts;
    this.#props = props;
    this.#clock = clock;
    this.epochUnixMs = props.epochUnixMs;
    this.livelinessProbeMs = props.livelinessProbeS * 1000;
    this.schemaGroupName = props.schemaGroupName;
  }

  /** The lease held, or null. */
  get lease() {
    const h = this.#held;
    return h && { generatorId: h.id, windowStartUnixMs: h.start, windowEndUnixMs: h.end };
  }

  get #leaseMs() {
    return 2 * this.livelinessProbeMs;
  }

  /** Row states this session may have left: the confirmed one first, then unknowns, newest first. */
  #bases() {
    return [this.#held, ...this.#unknown.slice().reverse()];
  }

  async #run(sql, params) {
    this.statements++;
    return this.#db.execute(sql, params);
  }

  /**
   * Claims a free generator id. Any lease held before is forgotten (not released): call it after
   * renew() returned null. Throws GENERATOR_IDS_EXHAUSTED when no slot is free after the retries.
   */
  async claim() {
    this.#held = null;
    this.#unknown = [];
    const { maxClaimRetries, minMsBetweenClaimRetries: minMs, maxMsBetweenClaimRetries: maxMs } = this.#props;
    let lastError = null;
    let sawFree = false;
    for (let attempt = 0; attempt <= maxClaimRetries; attempt++) {
      if (attempt > 0) await sleep(minMs + randomInt(maxMs - minMs + 1)); // jitter de-synchronises claimers
      try {
        const candidates = await this.#freeSlots();
        sawFree = candidates.length > 0;
        for (const slot of candidates) {
          const lease = await this.#tryClaim(slot);
          if (lease) return lease;
        }
        lastError = null; // every candidate was taken under us: plain contention, read again
      } catch (err) {
        if (!isContention(this.#db.dialect, err)) throw wrap("claiming a generator id", err);
        lastError = err;
      }
    }
    if (lastError) {
      throw new SnowfallError("DATABASE_ERROR", `could not claim a generator id in schema group ${this.schemaGroupName} after ${maxClaimRetries + 1} attempts: the database kept reporting contention (${lastError.message})`, { cause: lastError });
    }
    throw new SnowfallError(
      "GENERATOR_IDS_EXHAUSTED",
      sawFree
        ? `could not claim a generator id in schema group ${this.schemaGroupName} after ${maxClaimRetries + 1} attempts: every free id was taken by a concurrent claimer; retry later`
        : `all ${GENERATOR_ID_COUNT} generator ids of schema group ${this.schemaGroupName} are in use (tried ${maxClaimRetries + 1} times); an id frees ${this.#leaseMs / 1000} s after its holder stops renewing`,
    );
  }

  /** Up to CANDIDATES free slots from a random start, wrapping around, in random order. */
  async #freeSlots() {
    const freeBefore = this.#clock() - this.#leaseMs;
    const start = randomInt(GENERATOR_ID_COUNT);
    const { rows } = await this.#run(this.#stmts.selectFree("from", CANDIDATES), [start, freeBefore]);
    if (rows.length < CANDIDATES && start > 0) {
      const more = await this.#run(this.#stmts.selectFree("below", CANDIDATES - rows.length), [start, freeBefore]);
      rows.push(...more.rows);
    }
    for (let i = rows.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const slots = rows.map((r) => ({
      id: Number(r.generator_id),
      updated: Number(r.last_updated_ms),
      reserved: Number(r.reserved_until_ms),
      holder: r.holder ?? "",
    }));
    // Slots whose fence is already behind our clock first: a slot last held by a host whose clock
    // ran ahead has a window starting in our future, and the generator could not mint with it
    // until our clock got there. Such slots are still taken when nothing else is free.
    const now = this.#clock();
    const usable = slots.filter((s) => s.reserved < now);
    const later = slots.filter((s) => s.reserved >= now).sort((x, y) => x.reserved - y.reserved);
    return usable.concat(later);
  }

  async #tryClaim(slot) {
    const now = this.#clock();
    const start = slot.reserved + 1; // the fence: strictly after anything an earlier holder could mint
    const end = Math.max(now, start) + this.#leaseMs;
    const holder = token();
    const { rowCount } = await this.#run(this.#stmts.compareAndSwap, [now, end, holder, slot.id, slot.updated, slot.reserved, slot.holder]);
    if (rowCount !== 1) return null;
    this.#held = { id: slot.id, updated: now, reserved: end, holder, start, end };
    return this.lease;
  }

  /**
   * Extends the held lease to now + 2 probes and resolves to it. Rejects with LEASE_LOST when
   * another holder took the id after it expired (or none is held), and with DATABASE_ERROR when
   * the database could not be asked: the lease held so far then stays valid until its window ends.
   */
  async renew() {
    const h = this.#held;
    if (!h) throw new SnowfallError("LEASE_LOST", "no generator id is held: claim one first");
    const now = this.#clock();
    const end = Math.max(h.end, now + this.#leaseMs);
    // Nothing would change (a second renewal in the same ms): skip the write, whose "0 rows
    // changed" would read as a lost lease on MySQL connections without CLIENT_FOUND_ROWS.
    if (now === h.updated && end === h.end && this.#unknown.length === 0) return this.lease;
    const next = { ...h, updated: now, reserved: end, end };
    const bases = this.#bases();
    // Until the database answers, this write's outcome is unknown: remember it with the earlier
    // unknowns (a later attempt that never reached the server must not hide one that did), so a
    // release running meanwhile, or the next renewal after an error, can match it.
    const pending = { updated: now, reserved: end };
    this.#unknown.push(pending);
    if (this.#unknown.length > MAX_UNKNOWN) this.#unknown.shift(); // worst case: a false LEASE_LOST
    try {
      for (const base of bases) {
        const { rowCount } = await this.#run(this.#stmts.compareAndSwap, [now, end, h.holder, h.id, base.updated, base.reserved, h.holder]);
        if (rowCount === 1) {
          if (this.#held === h) { // not released or replaced while the statement ran
            this.#held = next;
            this.#unknown = [];
          }
          return { generatorId: h.id, windowStartUnixMs: h.start, windowEndUnixMs: end };
        }
      }
    } catch (err) {
      throw wrap(`renewing generator id ${h.id}`, err); // the window is not extended
    }
    if (this.#held !== h) throw new SnowfallError("LEASE_LOST", `generator id ${h.id} was released while renewing`);
    this.#held = null;
    this.#unknown = [];
    throw new SnowfallError("LEASE_LOST", `generator id ${h.id} was taken over by another holder after its lease expired (last renewed ${new Date(h.updated).toISOString()})`);
  }

  /**
   * Gives the id back at once: the slot is free for the next claimer, whose window starts right
   * after the last millisecond this holder minted. Call it only once the generator stopped minting.
   * @param {number} lastIssuedUnixMs the last ms actually minted with this id, or -1 for none
   */
  async release(lastIssuedUnixMs = -1) {
    const h = this.#held;
    if (!h) return;
    // Never below the previous holder's fence (start - 1), never above what was saved.
    const floor = h.start - 1;
    const reserved = Number.isFinite(lastIssuedUnixMs) && lastIssuedUnixMs >= 0 ? Math.min(Math.max(lastIssuedUnixMs, floor), h.end) : floor;
    // last_updated_ms = reserved - 2 probes rather than 0: by the "older than two probes" rule the
    // slot is free as soon as a claimer's clock has passed the last ms minted here. For our
    // claimers that is at once (and they are fenced by reserved_until_ms anyway); for instances of
    // the original package, which have no fence and mint at their own clock, it means never
    // inside a millisecond this holder used, even if their clock runs behind ours. With 0 they
    // could take the id at once and repeat our last milliseconds (a duplicate per skewed ms).
    const updated = reserved - this.#leaseMs;
    const bases = this.#bases();
    this.#held = null;
    this.#unknown = [];
    try {
      for (const base of bases) {
        const { rowCount } = await this.#run(this.#stmts.compareAndSwap, [updated, reserved, "", h.id, base.updated, base.reserved, h.holder]);
        if (rowCount === 1) return;
      }
      // Lost already: someone else holds it, nothing to give back.
    } catch (err) {
      throw wrap(`releasing generator id ${h.id} (it frees itself ${this.#leaseMs / 1000} s after the last renewal)`, err);
    }
  }
}
