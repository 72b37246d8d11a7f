// The lease driver: runs the core's lease machine (src/machine.rs, the protocol in
// docs/PROTOCOL.md) against a store. It decides nothing: the machine says which request to make,
// this file makes it with a deadline, and hands the answer (or the silence) back. A store only
// does I/O: see the store interface in docs/PROTOCOL.md and `checkStore` (js/testing.js).
import { CoreSession, checkSettings } from "../snowfall_wasm.js";
import { wasmF64s } from "../wasm-memory.js";
import { coreFailure } from "../core.js";
import { SnowfallError } from "../errors.js";
import { DEFAULT_EPOCH_UNIX_MS } from "../settings.js";
import { readClock, describeValue } from "../clock.js";

// Step kinds of the core's poll() (src/wasm/session.rs).
const IDLE = 0, READ = 1, SWAP = 2, PENDING = 3, WAIT = 4, REVOKE = 5, LEASED = 6, LOST = 7, RELEASED = 8, FAILED = 9;
const TIMED_OUT = Symbol("timed out");

/**
 * Awaits `call()` (a store method) until `ms` have passed; resolves `{ value }`, `{ error }` or
 * `TIMED_OUT`. A late answer is dropped (and a late rejection never goes unhandled).
 */
export function withDeadline(call, ms) {
  let promise;
  try {
    promise = Promise.resolve(call());
  } catch (error) {
    return Promise.resolve({ error });
  }
  const settled = promise.then((value) => ({ value }), (error) => ({ error }));
  if (!(ms < Infinity)) return settled;
  let timer;
  const expired = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, ms), TIMED_OUT); });
  return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
}

/**
 * A group administration call (create, status, drop: no lease machine, so no per-request
 * deadline) under one deadline: `storeTimeoutMs` of `options`, checked (and defaulted) by the
 * core as a session's is. Resolves `work()`'s value, rejects its error, or STORE_TIMEOUT once the deadline
 * passed (the call may still finish in the store; its late answer is dropped).
 */
export async function administer(options, operation, work) {
  const ms = groupSettings({}, options.storeTimeoutMs)[4];
  const r = await withDeadline(work, ms);
  if (r === TIMED_OUT) {
    throw new SnowfallError("STORE_TIMEOUT", `${operation} got no answer from the store within ${ms} ms (storeTimeoutMs): check that the store is reachable, or allow more time with storeTimeoutMs`);
  }
  if ("error" in r) throw r.error;
  return r.value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function randomSeed() {
  const seed = new Uint32Array(4);
  globalThis.crypto.getRandomValues(seed);
  return seed;
}

/**
 * A holder token (four u32 words from the core) as stores keep it, in `holder VARCHAR(36)`: the
 * empty string for nobody, else 32 lowercase hex digits grouped 8-4-4-4-12 (the shape of the
 * UUIDs 0.1 wrote, which read back the same).
 */
export function holderText(w0, w1, w2, w3) {
  if ((w0 | w1 | w2 | w3) === 0) return "";
  const h = [w0, w1, w2, w3].map((w) => (w >>> 0).toString(16).padStart(8, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const HOLDER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The four words of a stored holder text into `out` at `at`; NaN when this protocol could not have written it. */
function holderWords(text, out, at) {
  if (text === "") {
    out.fill(0, at, at + 4);
  } else if (typeof text === "string" && HOLDER.test(text)) {
    const h = text.replace(/-/g, "");
    for (let i = 0; i < 4; i++) out[at + i] = parseInt(h.slice(8 * i, 8 * i + 8), 16);
  } else {
    out.fill(NaN, at, at + 4);
  }
}

/** A setting as the core takes it: a Number, NaN when absent; anything else is INVALID_TYPE. */
export function settingNumber(name, v) {
  if (v === undefined) return NaN;
  if (typeof v !== "number" || Number.isNaN(v)) throw new SnowfallError("INVALID_TYPE", `${name} must be an integer number, got ${describeValue(v)}`);
  return v;
}

/** checkSettings with the types checked first (the core checks ranges and fills in defaults). */
export function groupSettings(group, storeTimeoutMs) {
  const checked = checkSettings(settingNumber("livelinessProbeS", group.livelinessProbeS), settingNumber("maxClaimRetries", group.maxClaimRetries),
    settingNumber("minMsBetweenClaimRetries", group.minMsBetweenClaimRetries), settingNumber("maxMsBetweenClaimRetries", group.maxMsBetweenClaimRetries),
    settingNumber("storeTimeoutMs", storeTimeoutMs));
  if (checked.length === 0) throw coreFailure();
  return checked;
}

/** A store's error as DATABASE_ERROR with the store's error as cause. */
function storeError(core, cause) {
  if (cause instanceof SnowfallError && cause.code !== "DATABASE_ERROR") return cause;
  let text;
  try {
    text = cause instanceof Error ? cause.message : describeValue(cause);
  } catch {
    text = "an unprintable error";
  }
  return new SnowfallError(core.code, `${core.message}: ${text}`, { cause });
}

/** A number a store returned (Number, bigint, or digits as text), or NaN. */
function toMs(v) {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : NaN;
  if (typeof v === "string" && /^-?\d{1,16}$/.test(v)) return Number(v);
  return NaN;
}

/**
 * One holder's session on a schema group in a store: at most one lease at a time.
 * What `Snowfall.create()` runs; usable on its own (claims on a device's behalf, tests).
 */
export class LeaseSession {
  #core; #store; #clock; #timeoutMs;
  #op = 0;
  #storeFailure = null;
  /** Why an operation that a later one replaced ended (a release: LEASE_LOST). */
  #superseded = null;
  /** The last holder token's words and text. */
  #lastHolder = null;
  /** Store calls made (for the benchmark figures). */
  statements = 0;

  /**
   * @param {object} store the store (docs/PROTOCOL.md)
   * @param {{ schemaGroupName: string, livelinessProbeS: number, epochUnixMs: number,
   *   maxClaimRetries: number, minMsBetweenClaimRetries: number, maxMsBetweenClaimRetries: number }} group
   * @param {{ clock?: () => number, storeTimeoutMs?: number }} [options]
   */
  constructor(store, group, options = {}) {
    const settings = groupSettings(group, options.storeTimeoutMs);
    this.#timeoutMs = settings[4];
    const seed = randomSeed();
    this.#core = new CoreSession(group.schemaGroupName, settings, seed[0], seed[1], seed[2], seed[3]);
    this.#store = store;
    this.#clock = options.clock;
    this.schemaGroupName = group.schemaGroupName;
    this.epochUnixMs = group.epochUnixMs;
    this.livelinessProbeMs = settings[0] * 1000;
    this.group = group;
  }

  /** The deadline of every store operation (ms). */
  get storeTimeoutMs() {
    return this.#timeoutMs;
  }

  /** The lease the store last confirmed, or null. */
  get lease() {
    this.#core.info();
    const s = this.#scratch();
    return Number.isNaN(s[0]) ? null : { generatorId: s[0], windowStartUnixMs: s[1], windowEndUnixMs: s[2] };
  }

  /** When the next renewal is due (Unix ms), or NaN without a lease. */
  get renewalDue() {
    this.#core.info();
    return this.#scratch()[3];
  }

  /** holderText, remembering the last token made (a renewal writes the same one every time). */
  #holder(w0, w1, w2, w3) {
    const c = this.#lastHolder;
    if (c !== null && c[0] === w0 && c[1] === w1 && c[2] === w2 && c[3] === w3) return c[4];
    const text = holderText(w0, w1, w2, w3);
    if (text !== "") this.#lastHolder = [w0, w1, w2, w3, text];
    return text;
  }

  /** The core's scratch array (re-made each time: wasm memory growth replaces the buffer). */
  #scratch() {
    return wasmF64s(this.#core.scratch, 112);
  }

  /**
   * Refuses (CLOCK_SKEW) when the store's clock, read between the host readings `before` and
   * `after`, differs from the host's by more than `maxClockSkewMs` (default: one probe).
   */
  checkClock(before, storeNow, after, maxClockSkewMs) {
    if (!this.#core.checkClock(before, storeNow, after, settingNumber("maxClockSkewMs", maxClockSkewMs))) throw coreFailure();
  }

  #now() {
    return readClock(this.#clock);
  }

  /** Claims a free generator id (forgetting any lease held). Throws GENERATOR_IDS_EXHAUSTED, STORE_TIMEOUT, DATABASE_ERROR. */
  async claim() {
    return this.#run((now) => this.#core.start(0, now, -1));
  }

  /** Extends the lease held. Rejects LEASE_LOST when another holder took it; other errors leave the window held so far valid. */
  async renew() {
    const lease = await this.#run((now) => this.#core.start(1, now, -1));
    if (lease === null) throw new SnowfallError("LEASE_LOST", "the generator id was taken over by another holder after its lease expired, or none is held: claim again");
    return lease;
  }

  /**
   * Renews, or when the lease was lost calls `onRevoke()` (stop minting now) and claims another.
   * @param {() => void} [onRevoke]
   */
  async keep(onRevoke) {
    return this.#run((now) => this.#core.start(2, now, -1), onRevoke);
  }

  /**
   * Grants a window of `windowMs` on a free generator id to someone else (a device minting
   * offline): claimed like claim(), written so that nobody takes the id or mints into the window
   * before it ends (docs/PROTOCOL.md, "Grants"); this session holds nothing afterwards.
   * @param {number} windowMs
   */
  async grant(windowMs) {
    return this.#run((now) => this.#core.start(4, now, windowMs));
  }

  /**
   * Gives the id back (call once the generator stopped minting), and frees the ids claims of
   * unknown outcome may hold (docs/PROTOCOL.md; no I/O when there are none). Abandons any
   * operation running.
   * @param {number} [lastIssuedUnixMs] the last ms minted with it, or -1 for none
   */
  async release(lastIssuedUnixMs = -1) {
    const last = typeof lastIssuedUnixMs === "number" && Number.isFinite(lastIssuedUnixMs) ? Math.floor(lastIssuedUnixMs) : -1;
    await this.#run((now) => this.#core.start(3, now, last), undefined, new SnowfallError("LEASE_LOST", "the generator id was released while this operation ran"));
  }

  /** Starts an operation and drives it to its end; an operation started later abandons this one. */
  async #run(start, onRevoke, superseded) {
    this.#superseded = superseded ?? new SnowfallError("STORE_TIMEOUT", "the lease operation was abandoned for a fresh attempt after its deadline");
    const op = ++this.#op;
    start(this.#now());
    this.#storeFailure = null;
    let now = this.#now();
    for (;;) {
      if (op !== this.#op) throw this.#superseded;
      const kind = this.#core.poll(now);
      const s = this.#scratch();
      if (kind === READ || kind === SWAP) {
        const seq = s[0], deadline = s[1];
        this.statements++;
        const request = kind === READ
          ? { from: s[2], to: s[3], limit: s[4], freeBeforeMs: s[5] }
          : {
            generatorId: s[2],
            expected: { lastUpdatedMs: s[3], reservedUntilMs: s[4], holder: this.#holder(s[5], s[6], s[7], s[8]) },
            next: { lastUpdatedMs: s[9], reservedUntilMs: s[10], holder: this.#holder(s[11], s[12], s[13], s[14]) },
          };
        const result = await withDeadline(() => (kind === READ ? this.#store.readFreeSlots(request) : this.#store.compareAndSwap(request)), deadline - this.#now());
        if (op !== this.#op) continue;
        now = this.#now();
        if (result === TIMED_OUT) {
          this.#core.handle(seq, now, 5, 0); // our timer measured the deadline (the clock may be frozen)
          continue;
        }
        if ("error" in result) {
          this.#storeFailure = result.error;
          this.#core.handle(seq, now, result.error?.contention === true ? 4 : 3, 0);
        } else if (kind === READ) {
          const count = this.#rows(result.value, request.limit);
          this.#core.handle(seq, now, count < 0 ? 3 : 0, Math.max(0, count));
        } else if (typeof result.value === "boolean") {
          this.#core.handle(seq, now, result.value ? 1 : 2, 0);
        } else {
          this.#storeFailure = new SnowfallError("DATABASE_ERROR", `the store's compareAndSwap resolved ${describeValue(result.value)}; it must resolve true (written) or false (the slot held something else)`);
          this.#core.handle(seq, now, 3, 0);
        }
        continue;
      }
      switch (kind) {
        case WAIT:
          await sleep(s[1] - now);
          now = this.#now();
          this.#core.handle(0, now, 6, 0); // the pause is over, whatever a frozen clock says
          continue;
        case PENDING: // not reached: this loop awaits every request it hands out
          throw new SnowfallError("STORE_TIMEOUT", "the lease operation is waiting for a request another caller made");
        case REVOKE:
          onRevoke?.();
          now = this.#now();
          continue;
        case LEASED:
          return { generatorId: s[2], windowStartUnixMs: s[3], windowEndUnixMs: s[4] };
        case LOST:
          return null;
        case RELEASED:
          return undefined;
        case FAILED: {
          const err = coreFailure();
          throw err.code === "DATABASE_ERROR" && this.#storeFailure != null ? storeError(err, this.#storeFailure) : err;
        }
        case IDLE:
        default:
          throw new SnowfallError("STORE_TIMEOUT", "the lease operation was abandoned");
      }
    }
  }

  /**
   * Writes a readFreeSlots reply into the scratch as the core reads it (at most `limit` rows:
   * the core drops anything more) and returns the row count; -1 (the failure kept) when malformed.
   */
  #rows(value, limit) {
    try {
      if (!Array.isArray(value)) throw new TypeError(`readFreeSlots resolved ${describeValue(value)}, not an array of slots`);
      const n = Math.min(value.length, limit);
      const rows = [];
      for (let i = 0; i < n; i++) {
        const row = value[i];
        if (row === null || typeof row !== "object") throw new TypeError(`readFreeSlots row ${i} is ${describeValue(row)}, not a slot object`);
        rows.push([toMs(row.generatorId), toMs(row.lastUpdatedMs), toMs(row.reservedUntilMs), row.holder ?? ""]);
      }
      const s = this.#scratch(); // after every read of the store's values: none can run user code now
      rows.forEach((r, i) => {
        s[7 * i] = r[0];
        s[7 * i + 1] = r[1];
        s[7 * i + 2] = r[2];
        holderWords(r[3], s, 7 * i + 3);
      });
      return n;
    } catch (err) {
      this.#storeFailure = new SnowfallError("DATABASE_ERROR", `the store answered readFreeSlots with a malformed reply (${err?.message}): see the store interface in docs/PROTOCOL.md`, { cause: err });
      return -1;
    }
  }
}

/**
 * Opens a session on a schema group kept in `store`: reads the group (SCHEMA_GROUP_NOT_FOUND if
 * absent) and, when the store has a clock, refuses a host clock too far from it (CLOCK_SKEW).
 * Every store call has the deadline `storeTimeoutMs`.
 * @param {object} store
 * @param {{ clock?: () => number, storeTimeoutMs?: number, maxClockSkewMs?: number, schemaGroupName?: string }} [options]
 */
export async function openSession(store, options = {}) {
  if (store === null || typeof store !== "object" || typeof store.readGroup !== "function" || typeof store.readFreeSlots !== "function" || typeof store.compareAndSwap !== "function") {
    throw new SnowfallError("INVALID_TYPE", "store must have readGroup(), readFreeSlots() and compareAndSwap() (see the store interface in docs/PROTOCOL.md; checkStore from snowfall-wasm/testing checks one)");
  }
  const timeoutMs = groupSettings({}, options.storeTimeoutMs)[4];
  const openedAt = Date.now(); // one deadline for the whole open (the group, then the store clock)
  const reply = await withDeadline(() => store.readGroup(), timeoutMs);
  if (reply === TIMED_OUT) throw new SnowfallError("STORE_TIMEOUT", `the store did not answer readGroup within ${timeoutMs} ms: check that it is reachable (storeTimeoutMs sets the bound)`);
  if ("error" in reply) throw storeError(new SnowfallError("DATABASE_ERROR", "the store failed while reading the schema group"), reply.error);
  const group = reply.value;
  const name = options.schemaGroupName ?? store.schemaGroupName ?? "default";
  if (group == null) {
    throw new SnowfallError("SCHEMA_GROUP_NOT_FOUND", `schema group ${JSON.stringify(name)} does not exist in this store: create it first (DatabaseSyncer.createSchemaGroup, \`npx snowfall-wasm create-group\`, or the store's createGroup)`);
  }
  const props = {
    schemaGroupName: typeof group.schemaGroupName === "string" ? group.schemaGroupName : name,
    livelinessProbeS: group.livelinessProbeS,
    epochUnixMs: group.epochUnixMs ?? DEFAULT_EPOCH_UNIX_MS,
    maxClaimRetries: group.maxClaimRetries,
    minMsBetweenClaimRetries: group.minMsBetweenClaimRetries,
    maxMsBetweenClaimRetries: group.maxMsBetweenClaimRetries,
  };
  if (!Number.isSafeInteger(props.epochUnixMs) || props.epochUnixMs < 0) {
    throw new SnowfallError("DATABASE_ERROR", `the store's schema group has an invalid epoch (${describeValue(props.epochUnixMs)})`);
  }
  const session = new LeaseSession(store, props, { clock: options.clock, storeTimeoutMs: timeoutMs });
  if (typeof store.now === "function") {
    const before = readClock(options.clock);
    const at = await withDeadline(() => store.now(), openedAt + timeoutMs - Date.now());
    const after = readClock(options.clock);
    if (at === TIMED_OUT) throw new SnowfallError("STORE_TIMEOUT", `the store did not answer now() within ${timeoutMs} ms`);
    if ("error" in at) throw storeError(new SnowfallError("DATABASE_ERROR", "the store failed while reading its clock"), at.error);
    session.checkClock(before, toMs(at.value), after, options.maxClockSkewMs);
  }
  return session;
}
