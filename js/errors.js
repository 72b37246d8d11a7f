/**
 * The one error class of snowfall-wasm. `code` is stable (switch on it); `message` says what
 * happened and what to do. Errors raised inside the wasm core are instances of this class too.
 *
 * Codes: INVALID_TYPE, OUT_OF_RANGE, INVALID_SCHEMA_GROUP_NAME, SCHEMA_GROUP_EXISTS,
 * SCHEMA_GROUP_NOT_FOUND, EPOCH_IN_FUTURE, GENERATOR_IDS_EXHAUSTED, CLOCK_BEFORE_EPOCH,
 * CLOCK_MOVED_BACKWARDS, CLOCK_STALLED, INVALID_CLOCK_READING, TIMESTAMP_OVERFLOW, LEASE_EXPIRED,
 * LEASE_LOST, GENERATOR_CLOSED, DATABASE_ERROR, INVALID_SYNCER, NOT_INITIALIZED, UNSUPPORTED_RUNTIME,
 * GRANT_UNAVAILABLE (and STORE_TIMEOUT, CLOCK_SKEW, STORE_CHECK_FAILED: see index.d.ts).
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
