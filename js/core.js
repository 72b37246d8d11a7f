// The wasm core's JS face: the only module that calls the wasm Generator's constructor, and where
// the core's kept errors become SnowfallErrors. The wasm takes only primitives checked here or in
// js/check.js, returns only primitives, and calls no JS (src/wasm/mod.rs).
import { Generator, takeError } from "./snowfall_wasm.js";
import { SnowfallError } from "./errors.js";
import { epochValue, functionValue, integerValue, readOptions, MAX_TIME_MS } from "./check.js";
import { describeValue } from "./clock.js";
import { SETTINGS } from "./settings.js";

/** Largest clock tolerance: one day. */
export const MAX_TOLERANCE_MS = SETTINGS.clockToleranceMs.max;
/** Default clock tolerance. */
export const DEFAULT_TOLERANCE_MS = SETTINGS.clockToleranceMs.default;
/** How many clock reads a wait for the next millisecond takes at most (src/generator.rs SPIN_READS). */
export const SPIN_READS = 1 << 16;
/** Ids per fillIds call (src/wasm/generator.rs CHUNK_IDS). */
export const CHUNK_IDS = 1 << 16;

/**
 * The error the core kept for its last failed call, as a SnowfallError (once), or undefined.
 * @returns {SnowfallError | undefined}
 */
export function coreError() {
  const text = takeError();
  if (text === "") return undefined;
  const colon = text.indexOf(":");
  return new SnowfallError(text.slice(0, colon), text.slice(colon + 1));
}

/** The kept error, or one saying the core failed without one (never expected). */
export function coreFailure() {
  return coreError() ?? new SnowfallError("INVALID_TYPE", "the wasm core refused a value without saying why: please report this");
}

/** A generator on the in-memory group `name` (checked), claimed at the clock reading `now`. */
export function memoryCore(name, toleranceMs, now, wallNow) {
  const core = new Generator(0, toleranceMs);
  if (!core.claimMemory(name, now, wallNow)) {
    const error = coreFailure();
    core.free();
    throw error;
  }
  return core;
}

/**
 * A generator whose lease an outside syncer saves and hands in with `adoptLease`
 * (`Snowfall.create`). Options `{ epochStartDate, clock?, clockToleranceMs? }`, checked here; the
 * clock is read by js/snowfall.js, never by the core.
 */
Generator.external = function external(options) {
  const o = readOptions(options, "options", ["epochStartDate", "clock", "clockToleranceMs"]);
  const epoch = epochValue(o.epochStartDate);
  functionValue(o.clock, "clock");
  const tolerance = integerValue(o.clockToleranceMs, "clockToleranceMs", 0, MAX_TOLERANCE_MS) ?? DEFAULT_TOLERANCE_MS;
  return new Generator(epoch, tolerance);
};

/**
 * Adopts a lease a syncer saved: `generatorId` an integer 0..4095, the window ends Unix ms Numbers.
 * Throws a SnowfallError (INVALID_TYPE, OUT_OF_RANGE, GENERATOR_CLOSED) for anything else.
 */
Generator.prototype.adoptLease = function adoptLease(generatorId, windowStartUnixMs, windowEndUnixMs) {
  integerValue(generatorId, "generatorId", 0, 4095);
  for (const [what, v] of [["windowStartUnixMs", windowStartUnixMs], ["windowEndUnixMs", windowEndUnixMs]]) {
    if (typeof v !== "number" || !(Math.abs(v) <= MAX_TIME_MS)) {
      throw new SnowfallError("INVALID_TYPE", `${what} must be Unix ms (a finite Number within the Date range), got ${describeValue(v)}: the syncer returned a broken lease`);
    }
  }
  if (!this.adoptLeaseAt(generatorId, windowStartUnixMs, windowEndUnixMs)) throw coreFailure();
};

export { Generator };
