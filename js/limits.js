// When a schema group's ids outgrow a column: the one place for that rule. An id is
// ms since the epoch (41 bits) << 23 | counter | generator id, so ids reach 2^63 (no longer fit a
// signed 64-bit BIGINT) once the ms field reaches 2^40, and the layout ends (2^64) at 2^41 - 1 ms.
import { SnowfallError } from "./errors.js";
import { epochOption, MAX_MS_SINCE_EPOCH, MAX_TIME_MS } from "./check.js";

/** First ms since the epoch whose ids are 2^63 or more. */
const SIGNED_BIGINT_MS = 2 ** 40;

/**
 * The dates a schema group's ids pass the signed 64-bit range and reach the end of the layout.
 * @param {{ epochStartDate?: Date | number }} [options] the group's epoch (default 2020-01-01)
 * @returns {{ passesSignedBigint: Date, layoutEnds: Date }} passesSignedBigint: the first
 *   millisecond whose ids are >= 2^63 (a signed BIGINT column overflows from then on);
 *   layoutEnds: the last millisecond any id can have (after it, TIMESTAMP_OVERFLOW).
 */
export function guidLimits(options) {
  const epoch = epochOption(options);
  if (epoch + MAX_MS_SINCE_EPOCH > MAX_TIME_MS) {
    throw new SnowfallError("OUT_OF_RANGE", `epochStartDate must be at most ${MAX_TIME_MS - MAX_MS_SINCE_EPOCH} Unix ms, so that its ids' last millisecond is a Date; got ${epoch}`);
  }
  return {
    passesSignedBigint: new Date(epoch + SIGNED_BIGINT_MS),
    layoutEnds: new Date(epoch + MAX_MS_SINCE_EPOCH),
  };
}
