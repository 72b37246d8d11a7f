// The public generator class: a thin wrapper over the wasm core's Generator (src/wasm/generator.rs),
// which makes every id. This file picks the syncer, reads and checks every JS value (options, the
// clock, targets) before the core sees it, and adapts JS conventions. The core receives only
// checked primitives and never calls back into JS (src/wasm/mod.rs).
import { Generator, coreError, coreFailure, memoryCore, CHUNK_IDS, SPIN_READS, DEFAULT_TOLERANCE_MS, MAX_TOLERANCE_MS } from "./core.js";
import { SnowfallError } from "./errors.js";
import { SimpleSyncer } from "./simple-syncer.js";
import { LeaseKeeper } from "./lease/keeper.js";
import { openSession } from "./lease/session.js";
import { decodeAt, Epoch } from "./decode.js";
import { copyScratch, copyScratchInto, fillScratch, wasmF64s } from "./wasm-memory.js";
import { readClock, wallClock, describeValue } from "./clock.js";
import { functionValue, integerValue, readOptions, stringValue } from "./check.js";
import { MAX_BATCH } from "./settings.js";

const fromParts = Symbol("Snowfall.fromParts");

/** The options every path reads (others are handed on to the syncer untouched). */
const OPTION_KEYS = ["syncer", "store", "schemaGroupName", "clock", "clockToleranceMs", "database", "timers", "storeTimeoutMs", "maxClockSkewMs"];

/** Clock reads spent waiting for the next millisecond: one in Cloudflare Workers (see #spinPast). */
const SPINS = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers" ? 1 : SPIN_READS;

/** Options read once each, checked for shape; a plain object (see js/check.js readOptions). */
function checkOptions(options) {
  const o = readOptions(options, "options", OPTION_KEYS, true);
  // Only options that were set travel on (a syncer may refuse names it does not know).
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

// Intrinsic typed-array getters: they read internal slots, which a Proxy or a subclass cannot fake.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;
const typedArrayLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "length").get;

/** A generator after #dispose(): every minting call reports GENERATOR_CLOSED. */
const DISPOSED = Object.freeze({
  nextIdAt: () => 0n,
  nextIdSpun: () => 0n,
  fillIds: () => 0,
  waitingPast: () => NaN,
  generatorId: undefined,
  closed: true,
  close() {},
  revokeLease() {},
  free() {},
});

/**
 * @typedef {{ idsMade: number, borrowedMs: number, clockStepsBack: number, renewalsOk: number,
 *   renewalsFailed: number, generatorIdSwitches: number, leasesLost: number, generatorId: number,
 *   leaseWindowEndUnixMs: number, lastIdUnixMs: number }} GeneratorStatsValue
 */

function closedError() {
  return new SnowfallError("GENERATOR_CLOSED", "this generator was closed and its generator id released: create a new one");
}

function checkCount(count) {
  if (count === undefined) throw new SnowfallError("INVALID_TYPE", "count must be an integer number, got undefined");
  integerValue(count, "count", 0, MAX_BATCH);
}

/**
 * Makes 64-bit, time-sortable GUIDs as bigints, holding a generator id reserved through a syncer.
 *
 * @example
 * const gen = new Snowfall();            // in-memory SimpleSyncer, schema group "default"
 * const id = gen.getGuid();              // 133494887688437760n
 * gen.close();
 */
/**
 * The class `Snowfall.create` makes: the one it was called on if that is Snowfall or a subclass
 * (an entry may export one: js/init.mjs), else Snowfall. Outside the class body, so that bundlers
 * keep the class's name ("Snowfall", not a renamed inner binding such as "_Snowfall").
 */
function madeBy(C) {
  return typeof C === "function" && (C === Snowfall || C.prototype instanceof Snowfall) ? C : Snowfall;
}

export class Snowfall {
  /** @type {Generator} */ #core;
  /** @type {LeaseKeeper | undefined} */ #keeper;
  /** @type {(() => number) | undefined} */ #clock;
  /** @type {number} */ #epochUnixMs;
  /** @type {Epoch | undefined} for decode() */ #epoch;
  /** @type {GeneratorStatsValue | undefined} the counters when the core was freed */ #finalStats;

  /**
   * A generator on an in-memory schema group (SimpleSyncer). For a database syncer use
   * `await Snowfall.create({ syncer: DatabaseSyncer, ... })`.
   * @param {{ schemaGroupName?: string, clock?: () => number, clockToleranceMs?: number, syncer?: unknown }} [options]
   */
  constructor(options, parts) {
    if (options === fromParts) {
      this.#core = parts.core;
      this.#keeper = parts.keeper;
      this.#clock = parts.clock;
      this.#epochUnixMs = parts.core.epochUnixMs;
      return;
    }
    const opts = checkOptions(options);
    if (opts.syncer !== undefined && opts.syncer !== SimpleSyncer) {
      throw new SnowfallError("INVALID_SYNCER", "only SimpleSyncer works synchronously: use `await Snowfall.create({ syncer, ... })` for other syncers");
    }
    const name = stringValue(opts.schemaGroupName, "schemaGroupName") ?? "default";
    const clock = functionValue(opts.clock, "clock");
    const tolerance = integerValue(opts.clockToleranceMs, "clockToleranceMs", 0, MAX_TOLERANCE_MS) ?? DEFAULT_TOLERANCE_MS;
    const wall = wallClock();
    const now = clock === undefined ? wall : readClock(clock);
    this.#core = memoryCore(name, tolerance, now, wall);
    this.#clock = clock;
    this.#epochUnixMs = this.#core.epochUnixMs;
  }

  /**
   * A generator on any syncer: SimpleSyncer (the default), DatabaseSyncer, or your own. Resolves
   * once a generator id is leased.
   * @param {{ syncer?: any, schemaGroupName?: string, database?: any, clock?: () => number, clockToleranceMs?: number, timers?: boolean }} [options]
   * @returns {Promise<Snowfall>}
   */
  static async create(options) {
    const opts = checkOptions(options);
    // Checked before any store is touched: a bad clock or tolerance never opens a session.
    functionValue(opts.clock, "clock");
    integerValue(opts.clockToleranceMs, "clockToleranceMs", 0, MAX_TOLERANCE_MS);
    const syncer = opts.syncer ?? SimpleSyncer;
    let session;
    if (opts.store !== undefined) {
      session = await openSession(opts.store, opts); // a custom store (docs/PROTOCOL.md)
    } else if (syncer === SimpleSyncer) {
      return new (madeBy(this))(opts);
    } else {
      let open;
      try {
        open = syncer?.open;
      } catch (cause) {
        throw new SnowfallError("INVALID_SYNCER", "syncer could not be read (a getter or Proxy threw): pass SimpleSyncer, DatabaseSyncer, RedisSyncer, or { store }", { cause });
      }
      if (typeof open !== "function") {
        throw new SnowfallError("INVALID_SYNCER", "syncer must be SimpleSyncer, DatabaseSyncer, RedisSyncer, or a syncer with an async open(options); to bring your own storage pass { store } (see the store interface in docs/PROTOCOL.md)");
      }
      session = await open.call(syncer, opts);
    }
    const core = Generator.external({
      epochStartDate: session.epochUnixMs,
      clock: opts.clock,
      clockToleranceMs: opts.clockToleranceMs,
    });
    const keeper = new LeaseKeeper(session, core, { timers: opts.timers, clock: opts.clock });
    try {
      await keeper.start();
    } catch (e) {
      core.close();
      throw e;
    }
    // An entry may export a subclass (js/init.mjs): make one of it. A syncer may want the
    // generator (BrowserSyncer closes it on pagehide).
    const Made = madeBy(this);
    const generator = new Made(fromParts, { core, keeper, clock: opts.clock });
    session.attach?.(generator);
    return generator;
  }

  /** The next GUID: unique in the schema group, greater than every id this generator made before. */
  getGuid() {
    // The clock is read here, in JS (the core never calls out): a user clock through readClock,
    // which checks the reading; Date.now() returns a whole ms by definition.
    const now = this.#clock === undefined ? Date.now() : readClock(this.#clock);
    const id = this.#core.nextIdAt(now);
    // 0n signals a failure or a wait for the next ms; it is also a real id in the epoch's first ms.
    if (id === 0n) return this.#slowId();
    return id;
  }

  /** After nextIdAt returned 0n: the kept error, a real 0n, or a wait for the next millisecond. */
  #slowId() {
    if (this.#core === DISPOSED) throw closedError();
    for (let round = 0; ; round++) {
      const error = coreError();
      if (error !== undefined) throw error;
      const waited = this.#core.waitingPast();
      if (waited !== waited) return 0n; // NaN: no wait, so 0n was a real id
      // A millisecond's 2048 ids are used up: read the clock until it moves (bounded). A clock
      // that keeps stepping elsewhere is, after a few rounds, answered as frozen (the core then
      // borrows the next ms or reports CLOCK_STALLED: never an endless wait).
      const answer = round < 4 ? this.#spinPast(waited) : waited;
      const id = this.#core.nextIdSpun(answer, waited, answer);
      if (id !== 0n) return id;
    }
  }

  /**
   * Reads the clock until it reads something else than `ms`, at most SPIN_READS times. In
   * Cloudflare Workers the clock never moves during synchronous work (Date.now() advances only
   * after I/O), so a spin could only burn billed CPU: one read, and the core borrows the next ms.
   */
  #spinPast(ms) {
    const clock = this.#clock;
    for (let i = 0; i < SPINS; i++) {
      const now = readClock(clock);
      if (now !== ms) return now;
    }
    return ms;
  }

  /**
   * `count` GUIDs at once (same guarantees). Made through a bounded scratch area of the core (64 Ki
   * ids per call), so wasm memory does not grow with the batch size. All or nothing: a batch that
   * throws leaves the generator as it was (see #fill).
   * @param {number} count
   * @returns {BigUint64Array}
   */
  getGuids(count) {
    checkCount(count);
    return count === 0 ? new BigUint64Array(0) : this.#fill(null, count);
  }

  /**
   * Fills `out[0..count]` with ids, chunk by chunk, reading the clock in JS, and returns it. With
   * `out` null, a new array: a copy of the scratch area when one call made them all.
   */
  #fill(out, count) {
    const core = this.#core;
    if (core === DISPOSED) throw closedError();
    // The common case first, straight-line: one chunk, made in one call (a batch that starts
    // early enough in its millisecond). V8 compiles this small path well; the loop below, with
    // its waits and re-marks, stays out of it.
    if (count <= CHUNK_IDS) {
      const made = fillScratch(core, count, readClock(this.#clock), NaN, NaN, true);
      if (made === count) {
        if (out === null) return copyScratch(made);
        copyScratchInto(out, 0, made);
        return out;
      }
      return this.#fillRest(out, count, made);
    }
    return this.#fillRest(out, count, -1);
  }

  /**
   * The rest of a batch after #fill's call made `first` ids into the scratch area (-1: no call
   * yet), chunk by chunk, reading the clock in JS.
   */
  #fillRest(out, count, first) {
    const core = this.#core;
    // All or nothing from the last mark (src/wasm/generator.rs fillIds): a call that fails puts
    // the core back where it was at the mark, taking back the ids made since. That is safe only
    // for ids nobody saw: getGuids' array is ours until it returns, so it marks once; a target
    // of getGuidsInto is the caller's (their clock may run between chunks), so it marks again
    // after each chunk copied into it, and a failure leaves those chunks' ids used.
    const exposed = out !== null;
    let mark = true;
    let done = 0;
    let reading = first < 0 ? readClock(this.#clock) : NaN;
    let waited = NaN;
    let answer = NaN;
    let idle = 0;
    for (let call = first < 0; ; call = true) {
      const want = Math.min(CHUNK_IDS, count - done);
      const made = call ? fillScratch(core, want, reading, waited, answer, mark) : first;
      mark = false;
      if (made > 0) {
        if (out === null) {
          if (made === count) return copyScratch(made);
          out = new BigUint64Array(count);
        }
        copyScratchInto(out, done, made);
        mark = exposed;
        done += made;
        idle = 0;
        if (done === count) return out;
      }
      waited = NaN;
      answer = NaN;
      if (made < want) {
        const error = coreError();
        if (error !== undefined) throw error;
        const w = core.waitingPast();
        if (w === w) {
          // Waiting for the next millisecond: spin here, hand the core what the clock read.
          waited = w;
          answer = ++idle < 4 ? this.#spinPast(w) : w;
          reading = answer;
          continue;
        }
        if (made === 0 && ++idle > 8) throw coreFailure();
      }
      // The batch moved on to another millisecond: a fresh reading.
      reading = readClock(this.#clock);
    }
  }

  /**
   * Fills `target` with GUIDs (same guarantees as getGuids) and returns it: for hot loops that
   * reuse one array, since allocating a fresh array per batch (and collecting it) costs more than
   * making the ids.
   * @param {BigUint64Array} target
   * @returns {BigUint64Array}
   */
  getGuidsInto(target) {
    // The internal slots, read by the intrinsic getters: a Proxy, a look-alike or a subclass that
    // overrides `length` cannot pass for a BigUint64Array or lie about its length.
    if (typedArrayTag.call(target) !== "BigUint64Array") {
      throw new SnowfallError("INVALID_TYPE", `target must be a BigUint64Array, got ${describeValue(target)}`);
    }
    const count = typedArrayLength.call(target);
    if (count > MAX_BATCH) {
      throw new SnowfallError("OUT_OF_RANGE", `target must hold at most ${MAX_BATCH} ids, got a BigUint64Array of ${count}: fill it in parts (subarray)`);
    }
    if (count === 0) return target;
    try {
      // #fill's common case, straight-line here: one chunk, made in one call. A caller that fills
      // one array per batch calls this rarely, so V8 runs it unoptimised (baseline code) for its
      // first thousand or so calls and may compile the caller's loop around a plain call to it
      // rather than inline it; there every call and property read costs, more so right after
      // the caller's own work evicted it (bench/into-read.mjs measures the gap).
      const core = this.#core;
      if (count <= CHUNK_IDS && core !== DISPOSED) {
        const made = fillScratch(core, count, this.#clock === undefined ? Date.now() : readClock(this.#clock), NaN, NaN, true);
        if (made === count) {
          copyScratchInto(target, 0, made);
          return target;
        }
        this.#fillRest(target, count, made);
      } else {
        this.#fill(target, count);
      }
    } catch (e) {
      if (e instanceof SnowfallError) throw e;
      // The user's clock detached or resized the target's buffer between two chunks.
      throw new SnowfallError("INVALID_TYPE", "target changed while it was being filled (its buffer was detached or resized): do not touch it until getGuidsInto returns", { cause: e });
    }
    return target;
  }

  /** The next GUID as a decimal string, safe for JSON. */
  getGuidString() {
    return this.getGuid().toString();
  }

  /**
   * `count` GUIDs as decimal strings.
   * @param {number} count
   * @returns {string[]}
   */
  getGuidStrings(count) {
    const ids = this.getGuids(count);
    const out = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = ids[i].toString();
    return out;
  }

  /** The generator id (0..4095) this generator holds now; undefined once closed. */
  get generatorId() {
    return this.#core.generatorId;
  }

  /**
   * Counters for a service's metrics, read in one call (cheap: no I/O, a few numbers). Counts
   * only grow, except that a failed batch takes its ids (and what they borrowed) back.
   * @returns {GeneratorStatsValue}
   */
  stats() {
    const core = this.#core;
    if (core === DISPOSED) return { ...this.#finalStats };
    const v = wasmF64s(core.statsAt(), 9);
    const k = this.#keeper?.counts;
    return {
      idsMade: v[0],
      borrowedMs: v[1],
      clockStepsBack: v[2],
      renewalsOk: v[3] + (k?.renewalsOk ?? 0),
      renewalsFailed: v[4] + (k?.renewalsFailed ?? 0),
      generatorIdSwitches: v[5],
      leasesLost: k?.leasesLost ?? 0,
      generatorId: v[6],
      leaseWindowEndUnixMs: v[7],
      lastIdUnixMs: v[8],
    };
  }

  /** The schema group's epoch. */
  get epochStartDate() {
    return new Date(this.#epochUnixMs);
  }

  /** Whether close() was called. */
  get closed() {
    return this.#core.closed;
  }

  /**
   * Decodes an id with this generator's epoch.
   * @param {bigint | string} id
   */
  decode(id) {
    return decodeAt(id, (this.#epoch ??= new Epoch(this.#epochUnixMs)));
  }

  /**
   * Resolves once the lease is renewed as far as the syncer can (runtimes without background
   * timers, like Cloudflare Workers, call it per request). Immediate for SimpleSyncer.
   */
  async ready() {
    if (this.#keeper) await this.#keeper.ready();
  }

  /**
   * Releases the generator id at once and refuses later calls. The returned promise settles when
   * the syncer has recorded the release (immediately for SimpleSyncer).
   * @returns {Promise<void>}
   */
  close() {
    // The keeper stops minting and releases the id first (bounded: storeTimeoutMs); the core's
    // wasm memory is freed once that settled, whatever the store answered.
    if (this.#keeper) return this.#keeper.close().finally(() => this.#dispose());
    this.#dispose();
    return Promise.resolve();
  }

  /**
   * Frees the core's wasm memory at once (the generator, and its hold on its schema group's
   * manifest), after releasing its generator id if close() did not yet. Idempotent; afterwards
   * every minting call is a GENERATOR_CLOSED SnowfallError. For close(): call it once the syncer
   * no longer needs the core (after the LeaseKeeper's close() settled).
   */
  #dispose() {
    const core = this.#core;
    if (core === DISPOSED) return;
    this.#finalStats = { ...this.stats(), generatorId: -1, leaseWindowEndUnixMs: -1 };
    this.#core = DISPOSED;
    core.close();
    core.free();
  }

  [Symbol.for("nodejs.util.inspect.custom")]() {
    return `Snowfall { generatorId: ${this.generatorId}, epochStartDate: ${this.epochStartDate.toISOString()}${this.closed ? ", closed" : ""} }`;
  }
}

if (typeof Symbol.dispose === "symbol") {
  Snowfall.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}
if (typeof Symbol.asyncDispose === "symbol") {
  Snowfall.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.close();
  };
}
