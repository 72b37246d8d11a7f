// The one check of each kind of argument, in JS, before anything reaches the wasm core: the core
// receives only the primitives these return. Each failure is a SnowfallError with the same code
// for the same mistake everywhere (INVALID_TYPE for a wrong type, OUT_OF_RANGE for an integer
// outside its range), and reading a value that throws (a getter, a Proxy trap, a revoked Proxy)
// is INVALID_TYPE with the thrown error as `cause`. Nothing here calls user code except the reads
// of an options object's fields, once each, inside try/catch.
import { SnowfallError } from "./errors.js";
import { describeError, describeValue } from "./clock.js";
import { DEFAULT_EPOCH_UNIX_MS, MAX_MS_SINCE_EPOCH } from "./settings.js";

/** Largest magnitude of a time value (ms): the range of a JS Date. */
export const MAX_TIME_MS = 8.64e15;
/** 2^41 - 1: the largest ms since the epoch an id holds. */
export { MAX_MS_SINCE_EPOCH };
/** Latest epoch accepted: every id of the group then decodes to a valid Date. */
export const MAX_EPOCH_MS = MAX_TIME_MS - MAX_MS_SINCE_EPOCH;

// Intrinsics taken at load, so that a value cannot fake the internal slots they read.
const dateGetTime = Date.prototype.getTime;
const isArray = Array.isArray;

/**
 * Reads `keys` of an options argument once each and returns them as a plain object (undefined:
 * all defaults). With `keepOthers`, the other own enumerable fields are copied too (options
 * handed on to a syncer, which reads its own). Refuses null, non-objects, functions, arrays.
 * @param {unknown} options
 * @param {string} what how the argument is named in messages
 * @param {readonly string[]} keys
 * @param {boolean} [keepOthers]
 * @returns {Record<string, unknown>}
 */
export function readOptions(options, what, keys, keepOthers = false) {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw new SnowfallError("INVALID_TYPE", `${what} must be an options object like { schemaGroupName: "orders" }, got ${describeValue(options)}`);
  }
  const out = {};
  let others = [];
  try {
    if (isArray(options)) {
      throw new SnowfallError("INVALID_TYPE", `${what} must be an options object like { schemaGroupName: "orders" }, got an array`);
    }
    if (keepOthers) others = Object.keys(options).filter((key) => key !== "__proto__" && !keys.includes(key));
  } catch (cause) {
    if (cause instanceof SnowfallError) throw cause;
    throw unreadable(what, cause);
  }
  for (const key of [...keys, ...others]) {
    try {
      out[key] = options[key];
    } catch (cause) {
      throw unreadable(`${what}.${key}`, cause);
    }
  }
  return out;
}

function unreadable(what, cause) {
  return new SnowfallError("INVALID_TYPE", `${what} could not be read (${describeError(cause)}): pass a plain object with plain values`, { cause });
}

/** A string, or undefined. */
export function stringValue(value, what) {
  if (value === undefined || typeof value === "string") return value;
  throw new SnowfallError("INVALID_TYPE", `${what} must be a string, got ${describeValue(value)}`);
}

/** A function, or undefined. */
export function functionValue(value, what) {
  if (value === undefined || typeof value === "function") return value;
  throw new SnowfallError("INVALID_TYPE", `${what} must be a function, got ${describeValue(value)}`);
}

/** An integer Number within `min..=max`, or undefined. */
export function integerValue(value, what, min, max) {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new SnowfallError("INVALID_TYPE", `${what} must be an integer number, got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw new SnowfallError("OUT_OF_RANGE", `${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * A point in time as whole Unix ms: a valid Date (read through its internal slot, so a Date whose
 * getTime throws or lies, or an object posing as one, cannot fake it) or integer Unix ms within
 * the Date range.
 * @returns {number | undefined}
 */
export function timeValue(value, what) {
  if (value === undefined) return undefined;
  if (typeof value === "number") return integerValue(value, what, -MAX_TIME_MS, MAX_TIME_MS);
  if (typeof value === "object" && value !== null) {
    let ms;
    try {
      ms = dateGetTime.call(value);
    } catch {
      throw new SnowfallError("INVALID_TYPE", `${what} must be a Date or integer Unix milliseconds, got an object that is not a Date`);
    }
    if (ms !== ms) throw new SnowfallError("INVALID_TYPE", `${what} must be a valid Date, got an Invalid Date`);
    return ms;
  }
  throw new SnowfallError("INVALID_TYPE", `${what} must be a Date or integer Unix milliseconds, got ${describeValue(value)}`);
}

/** `epochStartDate`: a time from 1970 to 2^41 ms before the end of the Date range; default 2020-01-01. */
export function epochValue(value, what = "epochStartDate") {
  const ms = timeValue(value, what);
  if (ms === undefined) return DEFAULT_EPOCH_UNIX_MS;
  if (ms < 0 || ms > MAX_EPOCH_MS) {
    throw new SnowfallError("OUT_OF_RANGE", `${what} must lie from 1970-01-01 (0) to ${MAX_EPOCH_MS} Unix ms (so every id of the group decodes to a valid Date), got ${ms}`);
  }
  return ms;
}

/** The epoch of `{ epochStartDate }` options (decodeGuid, guidRange). */
export function epochOption(options) {
  return epochValue(readOptions(options, "options", ["epochStartDate"]).epochStartDate);
}
