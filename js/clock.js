// The one check of a clock reading, for every path that reads a clock in JS (ids, claims,
// renewals, releases, group creation): a finite Number, floored to whole milliseconds. Anything
// else is INVALID_CLOCK_READING and reaches neither the core nor a store. A clock that throws is
// INVALID_CLOCK_READING too, with its error as `cause`.
import { SnowfallError } from "./errors.js";

/** Largest magnitude of a clock reading (ms): the range of a JS Date. */
export const MAX_CLOCK_MS = 8.64e15;

/**
 * Reads `clock` (a function returning Unix ms; `Date.now` when undefined) and returns whole ms.
 * @param {(() => number) | undefined} clock
 * @returns {number}
 */
export function readClock(clock) {
  if (clock === undefined) return Date.now();
  let ms;
  try {
    ms = clock();
  } catch (cause) {
    throw new SnowfallError("INVALID_CLOCK_READING", `the clock threw instead of returning Unix ms (${describeError(cause)}): fix the clock function`, { cause });
  }
  return checkReading(ms);
}

/**
 * `Date.now()` for the in-memory registry (group creation, status, drop), checked like any clock:
 * a test's fake timers may have replaced it.
 * @returns {number}
 */
export function wallClock() {
  return readClock(() => Date.now());
}

/**
 * Checks one reading: a finite Number within the Date range, floored to whole ms.
 * @param {unknown} ms
 * @returns {number}
 */
export function checkReading(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || Math.abs(ms) > MAX_CLOCK_MS) {
    throw new SnowfallError("INVALID_CLOCK_READING", `the clock returned ${describeValue(ms)}: a clock must return Unix ms as a finite Number (like Date.now())`);
  }
  return Math.floor(ms);
}

/** A short, safe description of a thrown value (a getter that throws again is "unprintable"). */
export function describeError(err) {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : describeValue(err);
  } catch {
    return "an unprintable error";
  }
}

/** A short, safe description of any value (never calls user code). */
export function describeValue(v) {
  switch (typeof v) {
    case "string": return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v)}`;
    case "number": return `the number ${String(v)}`;
    case "bigint": return `the bigint ${String(v)}n`;
    case "undefined": return "undefined";
    case "symbol": return "a symbol";
    case "function": return "a function";
    case "boolean": return `${v}`;
    default: return v === null ? "null" : "an object";
  }
}
