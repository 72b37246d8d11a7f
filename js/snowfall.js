// The public generator class: a thin wrapper over the wasm core's Generator (src/wasm/generator.rs),
// which makes every id. This file only picks the syncer and adapts JS conventions.
import { Generator } from "./snowfall_wasm.js";
import { SnowfallError } from "./errors.js";
import { SimpleSyncer } from "./simple-syncer.js";
import { LeaseKeeper } from "./lease/keeper.js";
import { openSession } from "./lease/session.js";
import { decodeGuid } from "./decode.js";
import { copyU64s, copyU64sInto } from "./wasm-memory.js";

/** Largest getGuids() batch (also enforced, with its typed error, in src/wasm/generator.rs). */
const MAX_BATCH = 2 ** 24;

const fromParts = Symbol("Snowfall.fromParts");

function checkOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new SnowfallError("INVALID_TYPE", `options must be an options object, got ${options === null ? "null" : typeof options}`);
  }
  return options;
}

/**
 * Makes 64-bit, time-sortable GUIDs as bigints, holding a generator id reserved through a syncer.
 *
 * @example
 * const gen = new Snowfall();            // in-memory SimpleSyncer, schema group "default"
 * const id = gen.getGuid();              // 133494887688437760n
 * gen.close();
 */
export class Snowfall {
  /** @type {Generator} */ #core;
  /** @type {LeaseKeeper | undefined} */ #keeper;
  /** @type {(() => number) | undefined} */ #clock;

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
      return;
    }
    const opts = checkOptions(options);
    if (opts.syncer !== undefined && opts.syncer !== SimpleSyncer) {
      throw new SnowfallError("INVALID_SYNCER", "only SimpleSyncer works synchronously: use `await Snowfall.create({ syncer, ... })` for other syncers");
    }
    this.#core = Generator.fromMemoryGroup(opts);
    this.#clock = opts.clock;
  }

  /**
   * A generator on any syncer: SimpleSyncer (the default), DatabaseSyncer, or your own. Resolves
   * once a generator id is leased.
   * @param {{ syncer?: any, schemaGroupName?: string, database?: any, clock?: () => number, clockToleranceMs?: number, timers?: boolean }} [options]
   * @returns {Promise<Snowfall>}
   */
  static async create(options) {
    const opts = checkOptions(options);
    const syncer = opts.syncer ?? SimpleSyncer;
    let session;
    if (opts.store !== undefined) {
      session = await openSession(opts.store, opts); // a custom store (docs/PROTOCOL.md)
    } else if (syncer === SimpleSyncer) {
      return typeof this === "function" && this.prototype instanceof Snowfall ? new this(opts) : new Snowfall(opts);
    } else if (typeof syncer?.open === "function") {
      session = await syncer.open(opts);
    } else {
      throw new SnowfallError("INVALID_SYNCER", "syncer must be SimpleSyncer, DatabaseSyncer, or a syncer with an async open(options); to bring your own storage pass { store } (see the store interface in docs/PROTOCOL.md)");
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
    const Made = typeof this === "function" && (this === Snowfall || this.prototype instanceof Snowfall) ? this : Snowfall;
    const generator = new Made(fromParts, { core, keeper, clock: opts.clock });
    session.attach?.(generator);
    return generator;
  }

  /** The next GUID: unique in the schema group, greater than every id this generator made before. */
  getGuid() {
    // The clock is read here: calling Date.now() from JS is cheaper than from wasm.
    const id = this.#core.nextIdAt(this.#clock === undefined ? Date.now() : this.#clock());
    // 0n signals a failure (the core keeps the error); it is also a real id in the epoch's first ms.
    if (id === 0n) return this.#failedOrZero();
    return id;
  }

  #failedOrZero() {
    const error = this.#core.takeError();
    if (error !== undefined) throw error;
    return 0n;
  }

  /**
   * `count` GUIDs at once (same guarantees, one call into wasm).
   * @param {number} count
   * @returns {BigUint64Array}
   */
  getGuids(count) {
    if (!(Number.isInteger(count) && count > 0 && count <= MAX_BATCH)) {
      return this.#core.nextIds(count); // 0, or the typed error of a bad count
    }
    return copyU64s(this.#fill(count), count);
  }

  /** Makes `count` (1..MAX_BATCH) ids in wasm memory and returns their address. */
  #fill(count) {
    const address = this.#core.fillIds(count);
    if (address === 0) throw this.#core.takeError();
    return address;
  }

  /**
   * Fills `target` with GUIDs (same guarantees as getGuids) and returns it: for hot loops that
   * reuse one array, since allocating a fresh array per batch (and collecting it) costs more than
   * making the ids.
   * @param {BigUint64Array} target
   * @returns {BigUint64Array}
   */
  getGuidsInto(target) {
    if (!(target instanceof BigUint64Array)) {
      throw new SnowfallError("INVALID_TYPE", `target must be a BigUint64Array, got ${target === null ? "null" : typeof target}`);
    }
    const count = target.length;
    if (count === 0) return target;
    if (count > MAX_BATCH) this.#core.nextIds(count); // throws the typed OUT_OF_RANGE
    copyU64sInto(this.#fill(count), target);
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

  /** The schema group's epoch. */
  get epochStartDate() {
    return new Date(this.#core.epochUnixMs);
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
    return decodeGuid(id, { epochStartDate: this.#core.epochUnixMs });
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
    if (this.#keeper) return this.#keeper.close();
    this.#core.close();
    return Promise.resolve();
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
