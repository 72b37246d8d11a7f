/**
 * The one error class of snowfall-wasm. `code` is stable (switch on it); `message` says what
 * happened and what to do. Errors of the wasm core are made into instances of this class in JS
 * (js/core.js): the wasm never builds a JS value.
 *
 * Codes: INVALID_TYPE, OUT_OF_RANGE, INVALID_SCHEMA_GROUP_NAME, SCHEMA_GROUP_EXISTS,
 * SCHEMA_GROUP_IN_USE, SCHEMA_GROUP_NOT_FOUND, EPOCH_IN_FUTURE, GENERATOR_IDS_EXHAUSTED, CLOCK_BEFORE_EPOCH,
 * CLOCK_MOVED_BACKWARDS, CLOCK_STALLED, INVALID_CLOCK_READING, TIMESTAMP_OVERFLOW, LEASE_EXPIRED,
 * LEASE_LOST, GENERATOR_CLOSED, DATABASE_ERROR, INVALID_SYNCER, STORE_TIMEOUT, CLOCK_SKEW, STORE_CHECK_FAILED,
 * NOT_INITIALIZED, UNSUPPORTED_RUNTIME, GRANT_UNAVAILABLE.
 */
export class SnowfallError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "SnowfallError";
    this.code = code;
  }
}
