// Browsers: generator ids for every live realm of one origin (tabs, iframes, dedicated, shared and
// service workers), with BrowserSyncer = Web Locks + IndexedDB, both stores on the store interface
// (docs/PROTOCOL.md). The lease rules stay in the core (src/machine.rs); this file only does I/O.
//
// What guarantees what (README "Browsers"):
// - No id is ever made twice, across realms, reloads, crashed tabs and a clock stepped back: the
//   core's fencing over slots kept in IndexedDB. Every write is one compare-and-swap inside one
//   IndexedDB readwrite transaction (IndexedDB runs readwrite transactions on one object store one
//   at a time, for every realm of the origin), it is reported written only once the transaction
//   committed (durability "strict"), a generator mints only inside a window such a write saved, and
//   each new holder of a generator id starts above the persisted `reservedUntilMs` of the previous
//   one, whatever the clock reads now.
// - Two live realms never hold the same generator id: the Web Lock `snowfall-wasm:<group>:<id>`.
//   A realm claims a slot only while holding its lock (taken with ifAvailable in readFreeSlots,
//   so a slot another realm holds is never even a candidate) and keeps it until close(),
//   `pagehide`, or the end of the realm (the browser releases a dead realm's locks). A background
//   tab whose throttled timers renew late therefore keeps its id: nobody else can take it.
// - A free lock is also proof that the slot's last holder is gone, so a slot that looks held by
//   the clock (a reload or a crashed tab never wrote its release) is cleared under its lock, its
//   fence kept, and reused at once: the next holder still starts above that fence.
// - Scope: one storage partition (an origin in one browser profile; third-party iframes are
//   partitioned by top-level site). Two devices or two profiles share neither locks nor IndexedDB.
//
// Every IndexedDB and Web Locks call is bounded: the lease driver races each store call with
// storeTimeoutMs (js/lease/session.js), and what BrowserSyncer.open itself awaits has the same bound.
import { SnowfallError } from "../errors.js";
import { DEFAULT_EPOCH_UNIX_MS, MAX_SCHEMA_GROUP_NAME_LENGTH, SCHEMA_GROUP_NAME } from "../settings.js";
import { openSession, withDeadline } from "../lease/session.js";
import { checkSettings } from "../snowfall_wasm.js";
import { readClock } from "../clock.js";

const DEFAULT_DATABASE = "snowfall-wasm";
const DB_VERSION = 1;
const GROUPS = "groups";
const SLOTS = "slots";
const GENERATOR_IDS = 4096;
/** A slot never written (as in SQL stores): free whenever the clock is past one lease after 1970. */
const NEVER_WRITTEN = Object.freeze({ lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" });
const DEFAULT_PROBE_S = 1;

function unsupported(what) {
  return new SnowfallError("UNSUPPORTED_RUNTIME", `${what} is not available in this realm: BrowserSyncer needs IndexedDB and the Web Locks API (navigator.locks; secure contexts only: https or localhost). Use SimpleSyncer here, or DatabaseSyncer on a server`);
}

function checkGroupName(name) {
  if (typeof name !== "string" || !SCHEMA_GROUP_NAME.test(name)) {
    throw new SnowfallError("INVALID_SCHEMA_GROUP_NAME", `schema group name ${typeof name === "string" ? JSON.stringify(name) : typeof name} is not allowed: use 1 to ${MAX_SCHEMA_GROUP_NAME_LENGTH} characters from [A-Za-z0-9_]`);
  }
  return name;
}

const idbError = (what, error) => new SnowfallError("DATABASE_ERROR", `IndexedDB failed while ${what}: ${error?.name ?? ""} ${error?.message ?? error}`.trim(), { cause: error });

/** A request's result as a promise. */
function request(req, what) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(idbError(what, req.error));
  });
}

/** Resolves when the transaction committed; rejects if it aborted or failed. */
function committed(tx, what) {
  const p = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(idbError(what, tx.error ?? new Error("transaction aborted")));
    tx.onerror = () => reject(idbError(what, tx.error));
  });
  p.catch(() => {}); // a request's own failure is what the caller sees first; never unhandled
  return p;
}

const opened = new Map();

/** The realm's connection to one database (opened once; a failed or blocked open is retried on the next call). */
function openDatabase(name) {
  if (typeof indexedDB === "undefined") return Promise.reject(unsupported("IndexedDB"));
  let p = opened.get(name);
  // An open that has not answered for a second (blocked, or a silent IndexedDB) is not joined: try afresh.
  if (p && p.pendingSince !== undefined && Date.now() - p.pendingSince > 1000) p = undefined;
  if (!p) {
    p = new Promise((resolve, reject) => {
      let req;
      try {
        req = indexedDB.open(name, DB_VERSION);
      } catch (error) {
        reject(idbError(`opening database ${JSON.stringify(name)}`, error));
        return;
      }
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(GROUPS)) db.createObjectStore(GROUPS);
        if (!db.objectStoreNames.contains(SLOTS)) db.createObjectStore(SLOTS);
      };
      req.onsuccess = () => {
        const db = req.result;
        // A newer version elsewhere (a later package): give way instead of blocking it.
        db.onversionchange = () => { db.close(); opened.delete(name); };
        db.onclose = () => opened.delete(name);
        resolve(db);
      };
      req.onerror = () => reject(idbError(`opening database ${JSON.stringify(name)}`, req.error));
      // onblocked: an older connection elsewhere has not closed yet; the caller's deadline bounds the wait.
    });
    const entry = p;
    entry.pendingSince = Date.now();
    opened.set(name, entry);
    entry.then(() => { entry.pendingSince = undefined; }, () => { if (opened.get(name) === entry) opened.delete(name); });
  }
  return p;
}

const same = (a, b) => a.lastUpdatedMs === b.lastUpdatedMs && a.reservedUntilMs === b.reservedUntilMs && a.holder === b.holder;
const slotOf = (v) => (v ? { lastUpdatedMs: v.lastUpdatedMs, reservedUntilMs: v.reservedUntilMs, holder: v.holder } : NEVER_WRITTEN);

/**
 * A schema group's slots in IndexedDB (database `snowfall-wasm`, object stores `groups` and
 * `slots`, keys `group` and `[group, generatorId]`). A plain store on the store interface: it
 * passes `checkStore`. It takes no Web Locks; BrowserSyncer adds them.
 */
export class IndexedDbStore {
  #dbName; #key;

  /**
   * @param {{ schemaGroupName?: string, databaseName?: string }} [options]
   */
  constructor({ schemaGroupName = "default", databaseName = DEFAULT_DATABASE } = {}, granted = false) {
    this.schemaGroupName = checkGroupName(schemaGroupName);
    if (typeof databaseName !== "string" || databaseName === "") throw new SnowfallError("INVALID_TYPE", "databaseName must be a non-empty string");
    this.#dbName = databaseName;
    // Granted ids (server grants) live apart from this browser's own group of the same name.
    this.#key = granted ? `@grant:${schemaGroupName}` : schemaGroupName;
  }

  /** What keys this group's records and names its locks. */
  get scope() {
    return this.#key;
  }

  async #tx(names, mode) {
    const db = await openDatabase(this.#dbName);
    try {
      return mode === "readwrite" ? db.transaction(names, mode, { durability: "strict" }) : db.transaction(names, mode);
    } catch (error) {
      if (error?.name === "InvalidStateError") opened.delete(this.#dbName); // closed under us: reopen next time
      throw idbError("starting a transaction", error);
    }
  }

  async readGroup() {
    const tx = await this.#tx([GROUPS], "readonly");
    const group = await request(tx.objectStore(GROUPS).get(this.#key), "reading the schema group");
    return group ? { ...group, schemaGroupName: this.schemaGroupName } : null;
  }

  /** Creates the group unless it exists (then the existing one stays); resolves the group kept. */
  async createGroup(group) {
    const tx = await this.#tx([GROUPS], "readwrite");
    const store = tx.objectStore(GROUPS);
    const done = committed(tx, "creating the schema group");
    const kept = await request(store.get(this.#key), "reading the schema group");
    const value = kept ?? {
      livelinessProbeS: group.livelinessProbeS,
      epochUnixMs: group.epochUnixMs ?? DEFAULT_EPOCH_UNIX_MS,
      maxClaimRetries: group.maxClaimRetries,
      minMsBetweenClaimRetries: group.minMsBetweenClaimRetries,
      maxMsBetweenClaimRetries: group.maxMsBetweenClaimRetries,
    };
    if (!kept) store.put(value, this.#key);
    await done;
    return { ...value, schemaGroupName: this.schemaGroupName };
  }

  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    const out = [];
    from = Math.max(0, from);
    to = Math.min(GENERATOR_IDS, to);
    if (!(from < to) || !(limit > 0)) return out;
    const tx = await this.#tx([SLOTS], "readonly");
    const range = IDBKeyRange.bound([this.#key, from], [this.#key, to], false, true);
    const store = tx.objectStore(SLOTS);
    const [keys, values] = await Promise.all([
      request(store.getAllKeys(range), "reading slots"),
      request(store.getAll(range), "reading slots"),
    ]);
    const written = new Map(keys.map((k, i) => [k[1], values[i]]));
    for (let id = from; id < to && out.length < limit; id++) {
      const s = slotOf(written.get(id));
      if (s.lastUpdatedMs < freeBeforeMs) out.push({ generatorId: id, ...s });
    }
    return out;
  }

  /** Writes `next` iff the slot holds exactly `expected`, in one readwrite transaction; true once committed. */
  async compareAndSwap({ generatorId, expected, next }) {
    const tx = await this.#tx([SLOTS], "readwrite");
    const store = tx.objectStore(SLOTS);
    const done = committed(tx, `writing slot ${generatorId}`);
    const key = [this.#key, generatorId];
    const current = slotOf(await request(store.get(key), `reading slot ${generatorId}`));
    const wrote = same(current, expected);
    if (wrote) store.put(slotOf(next), key);
    await done;
    return wrote;
  }

  /** The slot as stored (never-written slots read { 0, 0, "" }): for tests and diagnostics. */
  async readSlot(generatorId) {
    const tx = await this.#tx([SLOTS], "readonly");
    return { generatorId, ...slotOf(await request(tx.objectStore(SLOTS).get([this.#key, generatorId]), "reading a slot")) };
  }

  /** The grants kept for this group (server grants, newest last). */
  async readGrants() {
    const tx = await this.#tx([GROUPS], "readonly");
    return (await request(tx.objectStore(GROUPS).get(`@grants:${this.schemaGroupName}`), "reading the grants"))?.grants ?? [];
  }

  /**
   * Keeps a grant (dropping those ended before `now`) and raises its slot's fence to just below
   * the grant's window, in one transaction: a holder of the slot then starts inside the grant.
   */
  async addGrant(grant, now) {
    const tx = await this.#tx([GROUPS, SLOTS], "readwrite");
    const done = committed(tx, "keeping a grant");
    const groups = tx.objectStore(GROUPS), slots = tx.objectStore(SLOTS);
    const key = `@grants:${this.schemaGroupName}`;
    const kept = (await request(groups.get(key), "reading the grants"))?.grants ?? [];
    const grants = kept.filter((g) => g.windowEndUnixMs >= now && g.generatorId !== grant.generatorId);
    grants.push(grant);
    groups.put({ grants }, key);
    const slotKey = [this.#key, grant.generatorId];
    const slot = slotOf(await request(slots.get(slotKey), "reading a slot"));
    if (slot.reservedUntilMs < grant.windowStartUnixMs - 1) slots.put({ ...slot, reservedUntilMs: grant.windowStartUnixMs - 1 }, slotKey);
    await done;
    return grants;
  }
}

/** The Web Lock name of a generator id in a group (documented: apps may inspect navigator.locks.query()). */
export const lockName = (schemaGroupName, generatorId) => `snowfall-wasm:${schemaGroupName}:${generatorId}`;

/** Takes the lock `name` if no one holds it; resolves its release function, or null. */
function tryLock(name) {
  return new Promise((resolve, reject) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise((release) => resolve(() => release()));
    }).catch(reject);
  });
}

/**
 * An IndexedDbStore seen through this realm's Web Locks: readFreeSlots returns only slots whose
 * lock this realm took (and holds), a claim writes only under its lock, and the lock of the one
 * slot leased is held until its release is written, close(), or the realm ends. One per session.
 */
class LockedStore {
  #inner; #group;
  /** generatorId -> release function of the lock this realm holds for it. */
  #locks = new Map();
  /** The generator id leased (its lock stays held), or -1. */
  #owned = -1;
  #closed = false;

  constructor(inner) {
    this.#inner = inner;
    this.#group = inner.scope;
    this.schemaGroupName = inner.schemaGroupName;
  }

  readGroup() {
    return this.#inner.readGroup();
  }

  async readFreeSlots(req) {
    if (this.#closed) throw new SnowfallError("GENERATOR_CLOSED", "the browser syncer was closed");
    const rows = await this.#inner.readFreeSlots({ ...req, limit: GENERATOR_IDS, freeBeforeMs: Number.MAX_SAFE_INTEGER });
    const out = [];
    for (const row of rows) {
      const id = row.generatorId;
      if (out.length >= req.limit) break;
      if (id === this.#owned) continue;
      if (!this.#locks.has(id)) {
        const release = await tryLock(lockName(this.#group, id));
        if (release === null) continue; // a live realm holds it
        if (this.#closed) { release(); break; }
        this.#locks.set(id, release);
      }
      if (row.lastUpdatedMs < req.freeBeforeMs) {
        out.push(row);
        continue;
      }
      // Not free by the clock, yet its lock was free: its holder's realm is gone (a reload, a
      // closed or crashed tab whose release was never written). Clear the holder, keep the fence.
      const cleared = { lastUpdatedMs: req.freeBeforeMs - 1, reservedUntilMs: row.reservedUntilMs, holder: "" };
      const expected = { lastUpdatedMs: row.lastUpdatedMs, reservedUntilMs: row.reservedUntilMs, holder: row.holder };
      if (await this.#inner.compareAndSwap({ generatorId: id, expected, next: cleared })) out.push({ generatorId: id, ...cleared });
      else this.#drop(id);
    }
    return out;
  }

  async compareAndSwap(req) {
    const id = req.generatorId;
    const releasing = req.next.holder === "";
    if (!releasing && !this.#locks.has(id)) {
      // A claim is only ever made under the slot's lock.
      if (this.#closed) return false;
      const release = await tryLock(lockName(this.#group, id));
      if (release === null) return false;
      this.#locks.set(id, release);
    }
    let wrote;
    try {
      wrote = await this.#inner.compareAndSwap(req);
    } catch (error) {
      if (releasing) this.#drop(id);
      throw error;
    }
    if (releasing) {
      if (wrote || this.#owned !== id) this.#drop(id);
      if (wrote && this.#owned === id) this.#owned = -1;
    } else if (wrote) {
      // One lease per session: the slot written is the one held; every other lock goes.
      this.#owned = id;
      for (const other of [...this.#locks.keys()]) if (other !== id) this.#drop(other);
    } else if (this.#owned !== id) {
      this.#drop(id); // a candidate taken under us (by an earlier holder's late write)
    }
    return wrote;
  }

  /** Releases the locks of candidates not leased (a claim that failed). */
  dropCandidates() {
    for (const id of [...this.#locks.keys()]) if (id !== this.#owned) this.#drop(id);
  }

  #drop(id) {
    const release = this.#locks.get(id);
    this.#locks.delete(id);
    release?.();
  }

  /** Releases every lock this session holds (the slot's fence stays in IndexedDB). */
  close() {
    this.#closed = true;
    for (const id of [...this.#locks.keys()]) this.#drop(id);
    this.#owned = -1;
  }
}

/**
 * The slots of granted generator ids (server grants, `DatabaseSyncer.grant`): only ids this
 * browser holds an unexpired grant for, whose local fence is still inside the grant, are free.
 */
class GrantedSlots {
  #inner; #grants;

  constructor(inner, grants) {
    this.#inner = inner;
    this.#grants = new Map(grants.map((g) => [g.generatorId, g]));
    this.schemaGroupName = inner.schemaGroupName;
    this.scope = inner.scope;
  }

  grantOf(generatorId) {
    return this.#grants.get(generatorId);
  }

  readGroup() {
    return this.#inner.readGroup();
  }

  async readFreeSlots(req) {
    const rows = await this.#inner.readFreeSlots({ ...req, limit: GENERATOR_IDS });
    return rows.filter((r) => r.reservedUntilMs < (this.#grants.get(r.generatorId)?.windowEndUnixMs ?? -Infinity)).slice(0, req.limit);
  }

  compareAndSwap(req) {
    return this.#inner.compareAndSwap(req);
  }
}

/** A grant as DatabaseSyncer.grant returns it, checked. */
function checkGrant(grant, schemaGroupName) {
  const ok = grant !== null && typeof grant === "object" && grant.version === 1 && grant.schemaGroupName === schemaGroupName &&
    Number.isInteger(grant.generatorId) && grant.generatorId >= 0 && grant.generatorId < GENERATOR_IDS &&
    [grant.epochUnixMs, grant.windowStartUnixMs, grant.windowEndUnixMs].every(Number.isSafeInteger) &&
    grant.epochUnixMs >= 0 && grant.windowStartUnixMs <= grant.windowEndUnixMs;
  if (!ok) {
    let shown;
    try { shown = JSON.stringify(grant); } catch { shown = typeof grant; }
    throw new SnowfallError("INVALID_TYPE", `fetchGrant must resolve what DatabaseSyncer.grant({ schemaGroupName: ${JSON.stringify(schemaGroupName)}, ... }) returned on the server, got ${String(shown).slice(0, 200)}`);
  }
  const { generatorId, epochUnixMs, windowStartUnixMs, windowEndUnixMs } = grant;
  return { version: 1, schemaGroupName, generatorId, epochUnixMs, windowStartUnixMs, windowEndUnixMs };
}

/**
 * The unexpired grants kept in IndexedDB, topped up with `fetchGrant` (while it answers) until
 * `want` of them are free of any realm's lock. GRANT_UNAVAILABLE when none is free.
 */
async function loadGrants(idb, options, want, timeoutMs) {
  const now = readClock(options.clock);
  let pool = (await idb.readGrants()).filter((g) => g.windowEndUnixMs > now);
  const held = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name));
  const free = () => pool.filter((g) => !held.has(lockName(idb.scope, g.generatorId))).length;
  // Refreshed before they run out: while online, keep `want` free grants with half their window left.
  const fresh = () => pool.filter((g) => !held.has(lockName(idb.scope, g.generatorId)) && 2 * (g.windowEndUnixMs - now) >= g.windowEndUnixMs - g.windowStartUnixMs).length;
  let failure = null;
  for (let i = 0; i < want && fresh() < want; i++) {
    const reply = await withDeadline(() => options.fetchGrant({ schemaGroupName: idb.schemaGroupName }), timeoutMs);
    if (typeof reply === "symbol") { failure = new Error(`no answer within ${timeoutMs} ms`); break; }
    if ("error" in reply) { failure = reply.error; break; }
    pool = (await idb.addGrant(checkGrant(reply.value, idb.schemaGroupName), now)).filter((g) => g.windowEndUnixMs > now);
  }
  if (free() === 0) {
    const why = failure ? `fetchGrant failed (${failure?.message ?? failure})` : "every grant kept here is in use";
    throw new SnowfallError("GRANT_UNAVAILABLE", `no unexpired grant is free in this browser and ${why}: go online so that fetchGrant can get one, or keep more grants while online (the grants option)`, { cause: failure ?? undefined });
  }
  return pool;
}

const OPEN_KEYS = ["schemaGroupName", "databaseName", "livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "storeTimeoutMs", "maxClockSkewMs", "clock", "clockToleranceMs", "timers", "syncer", "closeOnPageHide", "fetchGrant", "grants"];

function epochOf(v) {
  if (v === undefined) return DEFAULT_EPOCH_UNIX_MS;
  const ms = v instanceof Date ? v.getTime() : v;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new SnowfallError("INVALID_TYPE", "epochStartDate must be a Date or Unix ms (a whole, non-negative Number)");
  return ms;
}

/**
 * Generator ids for every live realm of one origin: `await Snowfall.create({ syncer: BrowserSyncer,
 * schemaGroupName })`. The group is created in IndexedDB on first use (with the options given then;
 * later opens use what is stored). See the header of this file for what guarantees what.
 */
export class BrowserSyncer {
  /** Whether this realm has what BrowserSyncer needs (IndexedDB and navigator.locks). */
  static get supported() {
    return typeof indexedDB !== "undefined" && typeof navigator !== "undefined" && typeof navigator.locks?.request === "function";
  }

  /**
   * Opens a lease session (what `Snowfall.create({ syncer: BrowserSyncer })` calls): creates the
   * group in IndexedDB if absent. Claims nothing yet.
   * @returns {Promise<import("../lease/session.js").LeaseSession>}
   */
  static async open(options = {}) {
    if (options === null || typeof options !== "object") throw new SnowfallError("INVALID_TYPE", "options must be an object");
    for (const k of Object.keys(options)) {
      if (!OPEN_KEYS.includes(k)) throw new SnowfallError("INVALID_TYPE", `unknown BrowserSyncer option ${JSON.stringify(k)} (known: ${OPEN_KEYS.join(", ")})`);
    }
    if (typeof indexedDB === "undefined") throw unsupported("IndexedDB");
    if (typeof navigator === "undefined" || typeof navigator.locks?.request !== "function") throw unsupported("navigator.locks");
    const granted = options.fetchGrant !== undefined;
    if (granted && typeof options.fetchGrant !== "function") throw new SnowfallError("INVALID_TYPE", "fetchGrant must be an async function returning a grant (DatabaseSyncer.grant on your server)");
    const want = options.grants ?? 2;
    if (!Number.isInteger(want) || want < 1 || want > 64) throw new SnowfallError("OUT_OF_RANGE", `grants (how many free grants to keep while online) must be 1 to 64, got ${String(want)}`);
    const idb = new IndexedDbStore({ schemaGroupName: options.schemaGroupName ?? "default", databaseName: options.databaseName }, granted);
    // Liveness is the lock's business here, so the probe only sets how far ahead of the clock a
    // window (and so a fence) reaches: 1 s keeps it within the 2 s clockToleranceMs, and a
    // successor of a tab that vanished without writing its release starts without waiting.
    const [probeS, retries, minMs, maxMs, timeoutMs] = checkSettings(options.livelinessProbeS ?? DEFAULT_PROBE_S, options.maxClaimRetries, options.minMsBetweenClaimRetries, options.maxMsBetweenClaimRetries, options.storeTimeoutMs);
    const bounded = async (what, call, ms = timeoutMs) => {
      const r = await withDeadline(call, ms);
      if (typeof r === "symbol") throw new SnowfallError("STORE_TIMEOUT", `IndexedDB or the lock manager did not answer within ${ms} ms while ${what} (another tab may hold an older version of database ${JSON.stringify(options.databaseName ?? DEFAULT_DATABASE)} open: reload it)`);
      if ("error" in r) throw r.error instanceof SnowfallError ? r.error : idbError(what, r.error);
      return r.value;
    };
    let inner = idb;
    let epochUnixMs;
    if (granted) {
      if (options.epochStartDate !== undefined) throw new SnowfallError("INVALID_TYPE", "with fetchGrant the epoch is the server group's (it comes with the grant): drop epochStartDate");
      const pool = await bounded("loading the grants", () => loadGrants(idb, options, want, timeoutMs), timeoutMs * (want + 2));
      epochUnixMs = pool[pool.length - 1].epochUnixMs;
      inner = pool;
    } else {
      epochUnixMs = epochOf(options.epochStartDate);
      if (epochUnixMs > readClock(options.clock)) throw new SnowfallError("EPOCH_IN_FUTURE", `epochStartDate ${new Date(epochUnixMs).toISOString()} is in the future`);
    }
    const kept = await bounded("creating the schema group", () => idb.createGroup({ livelinessProbeS: probeS, epochUnixMs, maxClaimRetries: retries, minMsBetweenClaimRetries: minMs, maxMsBetweenClaimRetries: maxMs }));
    if (granted) {
      // Ids carry the server group's epoch: only grants with the epoch this browser mints with.
      const pool = inner.filter((g) => g.epochUnixMs === kept.epochUnixMs);
      if (pool.length === 0) throw new SnowfallError("GRANT_UNAVAILABLE", `the server's grants for ${JSON.stringify(idb.schemaGroupName)} carry the epoch ${new Date(epochUnixMs).toISOString()}, this browser mints with ${new Date(kept.epochUnixMs).toISOString()} (the server group was re-created?): clear this site's data to start afresh`);
      inner = new GrantedSlots(idb, pool);
    }
    const store = new LockedStore(inner);
    const session = await openSession(store, { ...options, storeTimeoutMs: timeoutMs });
    // A granted id mints only inside its grant: windows end at the grant's end (then LEASE_EXPIRED).
    const clamp = (lease) => {
      if (!granted || lease == null) return lease;
      const end = inner.grantOf(lease.generatorId)?.windowEndUnixMs ?? lease.windowStartUnixMs - 1;
      return { ...lease, windowEndUnixMs: Math.min(lease.windowEndUnixMs, end) };
    };
    for (const method of ["claim", "keep", "renew"]) {
      const run = session[method].bind(session);
      session[method] = (...args) => run(...args).then(clamp, (error) => {
        if (method !== "renew") store.dropCandidates();
        throw error;
      });
    }
    let onPageHide = null;
    const release = session.release.bind(session);
    session.release = async (lastIssued) => {
      if (onPageHide) removeEventListener("pagehide", onPageHide);
      onPageHide = null;
      try {
        await release(lastIssued);
      } finally {
        store.close();
      }
    };
    // Snowfall.create hands the generator over: pagehide closes it. The browser frees the lock when
    // the page goes; the release write is best effort (an unloading page may not finish it: the
    // slot then keeps its window end as the fence and frees itself two probes after its renewal).
    session.attach = (generator) => {
      if (options.closeOnPageHide === false || typeof addEventListener !== "function" || typeof document === "undefined") return;
      onPageHide = () => {
        generator.close().catch(() => {}).finally(() => store.close());
      };
      addEventListener("pagehide", onPageHide);
    };
    return session;
  }
}
