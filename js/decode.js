// Reading ids back: fields, time, and the id range of a millisecond (for range queries). Plain JS
// (a few BigInt shifts, no wasm): the layout is 41 bits of ms since the epoch | 11-bit looping
// counter | 12-bit generator id (src/layout.rs).
import { SnowfallError } from "./errors.js";
import { describeValue } from "./clock.js";
import { epochOption, timeValue } from "./check.js";
import { DEFAULT_EPOCH_UNIX_MS, MAX_MS_SINCE_EPOCH } from "./settings.js";

const MAX_GUID = (1n << 64n) - 1n;
const DIGITS = /^[0-9]+$/;

/** A GUID given as a bigint 0..2^64-1 or a decimal string of digits only. */
function guidArg(id) {
  if (typeof id === "bigint") {
    // One BigInt operation for the range: only 0..2^64-1 is its own unsigned 64-bit value.
    if (BigInt.asUintN(64, id) !== id) {
      throw new SnowfallError("OUT_OF_RANGE", `id must be an integer from 0 to ${MAX_GUID}, got ${describeValue(id)}`);
    }
    return id;
  }
  if (typeof id === "string") {
    if (!DIGITS.test(id)) {
      throw new SnowfallError("INVALID_TYPE", `id must be a bigint or a decimal string of digits only, got ${describeValue(id)}`);
    }
    const digits = id.replace(/^0+(?=.)/, "");
    if (digits.length > 20 || BigInt(digits) > MAX_GUID) {
      throw new SnowfallError("OUT_OF_RANGE", `id must be an integer from 0 to ${MAX_GUID}, got ${describeValue(id)}`);
    }
    return BigInt(digits);
  }
  throw new SnowfallError("INVALID_TYPE", `id must be a bigint or a decimal string (a Number cannot hold a 64-bit id exactly), got ${describeValue(id)}`);
}

const inspect = Symbol.for("nodejs.util.inspect.custom");

/**
 * What decodeGuid returns: the three numbers as own properties, `timestamp` a Date made on its
 * first read (then kept), since making a Date costs about as much as the rest of a decode and
 * many callers read only a field or two. Destructuring and JSON.stringify see all four fields.
 */
class DecodedGuid {
  /** `{ ms }` of the epoch (shared: a double field would be boxed per object), then the Date. */
  #timestamp;
  constructor(msSinceEpoch, low, epoch) {
    this.msSinceEpoch = msSinceEpoch;
    this.loopingCounter = low >>> 12;
    this.generatorId = low & 0xfff;
    this.#timestamp = epoch;
  }

  /** @returns {Date} */
  get timestamp() {
    const t = this.#timestamp;
    return t instanceof Epoch ? (this.#timestamp = new Date(t.ms + this.msSinceEpoch)) : t;
  }

  /** Assignable, as a field of a plain object is: the value becomes an own property. */
  set timestamp(value) {
    Object.defineProperty(this, "timestamp", { value, writable: true, enumerable: true, configurable: true });
  }

  /** The same JSON as the plain object earlier versions returned (timestamp first, as ISO text). */
  toJSON() {
    return { timestamp: this.timestamp, msSinceEpoch: this.msSinceEpoch, loopingCounter: this.loopingCounter, generatorId: this.generatorId };
  }

  [inspect](depth, options, inspectValue) {
    return `DecodedGuid ${(inspectValue ?? ((v) => JSON.stringify(v)))(this.toJSON(), options)}`;
  }
}
Object.defineProperty(DecodedGuid.prototype, "timestamp", { enumerable: true });

/** An epoch's Unix ms, shared by the results decoded with it. */
export class Epoch {
  constructor(ms) {
    this.ms = ms;
  }
}
const DEFAULT_EPOCH = new Epoch(DEFAULT_EPOCH_UNIX_MS);

/**
 * Splits a GUID into its fields.
 * @param {bigint | string} id
 * @param {{ epochStartDate?: Date | number }} [options]
 * @returns {{ timestamp: Date, msSinceEpoch: number, loopingCounter: number, generatorId: number }}
 */
export function decodeGuid(id, options) {
  // The common case inline (guidArg, with its messages, is too big for V8 to inline).
  const guid = typeof id === "bigint" && BigInt.asUintN(64, id) === id ? id : guidArg(id);
  return decoded(guid, options === undefined ? DEFAULT_EPOCH : new Epoch(epochOption(options)));
}

/** decodeGuid with a checked epoch (Snowfall#decode keeps its generator's). */
export function decodeAt(id, epoch) {
  return decoded(typeof id === "bigint" && BigInt.asUintN(64, id) === id ? id : guidArg(id), epoch);
}

function decoded(guid, epoch) {
  // One BigInt operation: the low 23 bits (counter and generator id) exactly; the ms from the id as
  // a double, which is off by at most 2^11 (its rounding, then the subtraction's), far below the
  // 2^22 that would move Math.round to another millisecond.
  const low = Number(BigInt.asUintN(23, guid));
  return new DecodedGuid(Math.round((Number(guid) - low) / 8388608), low, epoch);
}

/**
 * The lowest and highest GUID any generator can make in the millisecond of `time`:
 * `WHERE id BETWEEN lowest AND highest` selects that millisecond's ids.
 * @param {Date | number} time
 * @param {{ epochStartDate?: Date | number }} [options]
 * @returns {{ lowest: bigint, highest: bigint }}
 */
export function guidRange(time, options) {
  const ms = timeValue(time, "time");
  if (ms === undefined) throw new SnowfallError("INVALID_TYPE", "time must be a Date or integer Unix milliseconds, got undefined");
  const epoch = epochOption(options);
  const since = ms - epoch;
  if (since < 0) {
    throw new SnowfallError("CLOCK_BEFORE_EPOCH", `time (${ms} Unix ms) is before the epoch (${epoch} Unix ms): no id has it; pass a later time or the group's epochStartDate`);
  }
  if (since > MAX_MS_SINCE_EPOCH) {
    throw new SnowfallError("OUT_OF_RANGE", `time must be at most ${MAX_MS_SINCE_EPOCH} ms after the epoch (the 41-bit field), got ${since}`);
  }
  const lowest = BigInt(since) << 23n;
  return { lowest, highest: lowest | 0x7fffffn };
}
