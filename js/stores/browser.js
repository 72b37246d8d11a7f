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
// - Scope: one storage partition (an origin in one browser profile; third-party iframes are
//   partitioned by top-level site). Two devices or two profiles share neither locks nor IndexedDB.
//
// Every IndexedDB and Web Locks call is bounded: the lease driver races each store call with
// storeTimeoutMs (js/lease/session.js), and what BrowserSyncer.open itself awaits has the same bound.
import { SnowfallError } from "../errors.js";
import { openSession, withDeadline } from "../lease/session.js";
import { checkSettings } from "../snowfall_wasm.js";
import { readClock } from "../clock.js";

const DEFAULT_DATABASE = "snowfall-wasm";
const DB_VERSION = 1;
const GROUPS = "groups";
const SLOTS = "slots";
const GENERATOR_IDS = 4096;
const DEFAULT_EPOCH_MS = Date.UTC(2020, 0, 1);
/** A slot never written (as in SQL stores): free whenever the clock is past one lease after 1970. */
const NEVER_WRITTEN = Object.freeze({ lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" });
const NAME = /^[A-Za-z0-9_]{1,43}$/;

function unsupported(what) {
  return new SnowfallError("UNSUPPORTED_RUNTIME", `${what} is not available in this realm: BrowserSyncer needs IndexedDB and the Web Locks API (navigator.locks; secure contexts only: https or localhost). Use SimpleSyncer here, or DatabaseSyncer on a server`);
}

function checkGroupName(name) {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new SnowfallError("INVALID_SCHEMA_GROUP_NAME", `schema group name ${typeof name === "string" ? JSON.stringify(name) : typeof name} is not allowed: use 1 to 43 characters from [A-Za-z0-9_]`);
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
  #dbName;

  /**
   * @param {{ schemaGroupName?: string, databaseName?: string }} [options]
   */
  constructor({ schemaGroupName = "default", databaseName = DEFAULT_DATABASE } = {}) {
    this.schemaGroupName = checkGroupName(schemaGroupName);
    if (typeof databaseName !== "string" || databaseName === "") throw new SnowfallError("INVALID_TYPE", "databaseName must be a non-empty string");
    this.#dbName = databaseName;
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
    const group = await request(tx.objectStore(GROUPS).get(this.schemaGroupName), "reading the schema group");
    return group ? { ...group, schemaGroupName: this.schemaGroupName } : null;
  }

  /** Creates the group unless it exists (then the existing one stays); resolves the group kept. */
  async createGroup(group) {
    const tx = await this.#tx([GROUPS], "readwrite");
    const store = tx.objectStore(GROUPS);
    const done = committed(tx, "creating the schema group");
    const kept = await request(store.get(this.schemaGroupName), "reading the schema group");
    const value = kept ?? {
      livelinessProbeS: group.livelinessProbeS,
      epochUnixMs: group.epochUnixMs ?? DEFAULT_EPOCH_MS,
      maxClaimRetries: group.maxClaimRetries,
      minMsBetweenClaimRetries: group.minMsBetweenClaimRetries,
      maxMsBetweenClaimRetries: group.maxMsBetweenClaimRetries,
    };
    if (!kept) store.put(value, this.schemaGroupName);
    await done;
    return { ...value, schemaGroupName: this.schemaGroupName };
  }

  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    const out = [];
    from = Math.max(0, from);
    to = Math.min(GENERATOR_IDS, to);
    if (!(from < to) || !(limit > 0)) return out;
    const tx = await this.#tx([SLOTS], "readonly");
    const range = IDBKeyRange.bound([this.schemaGroupName, from], [this.schemaGroupName, to], false, true);
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
    const key = [this.schemaGroupName, generatorId];
    const current = slotOf(await request(store.get(key), `reading slot ${generatorId}`));
    const wrote = same(current, expected);
    if (wrote) store.put(slotOf(next), key);
    await done;
    return wrote;
  }

  /** The slot as stored (never-written slots read { 0, 0, "" }): for tests and diagnostics. */
  async readSlot(generatorId) {
    const tx = await this.#tx([SLOTS], "readonly");
    return { generatorId, ...slotOf(await request(tx.objectStore(SLOTS).get([this.schemaGroupName, generatorId]), "reading a slot")) };
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
    this.#group = inner.schemaGroupName;
    this.schemaGroupName = inner.schemaGroupName;
  }

  readGroup() {
    return this.#inner.readGroup();
  }

  async readFreeSlots(req) {
    if (this.#closed) throw new SnowfallError("GENERATOR_CLOSED", "the browser syncer was closed");
    const rows = await this.#inner.readFreeSlots({ ...req, limit: GENERATOR_IDS });
    const out = [];
    for (const row of rows) {
      if (out.length >= req.limit) break;
      if (!this.#locks.has(row.generatorId)) {
        const release = await tryLock(lockName(this.#group, row.generatorId));
        if (release === null) continue; // a live realm holds it
        if (this.#closed) { release(); break; }
        this.#locks.set(row.generatorId, release);
      }
      out.push(row);
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

const OPEN_KEYS = ["schemaGroupName", "databaseName", "livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "storeTimeoutMs", "maxClockSkewMs", "clock", "clockToleranceMs", "timers", "syncer", "closeOnPageHide"];

function epochOf(v) {
  if (v === undefined) return DEFAULT_EPOCH_MS;
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
    const inner = new IndexedDbStore({ schemaGroupName: options.schemaGroupName ?? "default", databaseName: options.databaseName });
    const [probeS, retries, minMs, maxMs, timeoutMs] = checkSettings(options.livelinessProbeS, options.maxClaimRetries, options.minMsBetweenClaimRetries, options.maxMsBetweenClaimRetries, options.storeTimeoutMs);
    const epochUnixMs = epochOf(options.epochStartDate);
    if (epochUnixMs > readClock(options.clock)) throw new SnowfallError("EPOCH_IN_FUTURE", `epochStartDate ${new Date(epochUnixMs).toISOString()} is in the future`);
    const made = await withDeadline(() => inner.createGroup({ livelinessProbeS: probeS, epochUnixMs, maxClaimRetries: retries, minMsBetweenClaimRetries: minMs, maxMsBetweenClaimRetries: maxMs }), timeoutMs);
    if (typeof made === "symbol") throw new SnowfallError("STORE_TIMEOUT", `IndexedDB did not answer within ${timeoutMs} ms (another tab may hold an older version of database ${JSON.stringify(options.databaseName ?? DEFAULT_DATABASE)} open: reload it)`);
    if ("error" in made) throw made.error instanceof SnowfallError ? made.error : idbError("creating the schema group", made.error);
    const store = new LockedStore(inner);
    const session = await openSession(store, { ...options, storeTimeoutMs: timeoutMs });
    session.store = store;
    for (const method of ["claim", "keep"]) {
      const run = session[method].bind(session);
      session[method] = (...args) => run(...args).catch((error) => {
        store.dropCandidates();
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
