// GENERATED from src/settings.rs (the one table of defaults and ranges) and src/layout.rs:
// do not edit. `cargo test` fails when this file and the Rust table differ; regenerate it
// with `SNOWFALL_BLESS=1 cargo test --lib js_settings`. The core checks every setting;
// JS reads these only for the defaults it fills in before a value reaches the core (an
// epoch to decode with, a tolerance, a store deadline) and for its messages.

/** Every integer setting: its default and inclusive range (`maxClockSkewMs` defaults to one probe). */
export const SETTINGS = Object.freeze({
  livelinessProbeS: Object.freeze({ default: 5, min: 1, max: 86400 }),
  maxClaimRetries: Object.freeze({ default: 3, min: 0, max: 1000 }),
  minMsBetweenClaimRetries: Object.freeze({ default: 100, min: 0, max: 600000 }),
  maxMsBetweenClaimRetries: Object.freeze({ default: 500, min: 0, max: 600000 }),
  clockToleranceMs: Object.freeze({ default: 2000, min: 0, max: 86400000 }),
  storeTimeoutMs: Object.freeze({ default: 10000, min: 1, max: 600000 }),
  maxClockSkewMs: Object.freeze({ default: -1, min: 0, max: 86400000 }),
});

/** The default epoch (2020-01-01T00:00:00Z) as Unix ms. */
export const DEFAULT_EPOCH_UNIX_MS = 1577836800000;
/** The id layout, high bits first: ms since the epoch | looping counter | generator id. */
export const TIMESTAMP_BITS = 41;
export const COUNTER_BITS = 11;
export const GENERATOR_ID_BITS = 12;
/** The last ms an id can carry, counted from its epoch. */
export const MAX_MS_SINCE_EPOCH = 2199023255551;
/** Largest getGuids batch. */
export const MAX_BATCH = 16777216;
/** Largest ms value written to a store (JS's safe integers). */
export const MAX_STORE_MS = 9007199254740991;
/** A schema group name: it becomes part of SQL table names (`snowfall_<name>_properties`). */
export const MAX_SCHEMA_GROUP_NAME_LENGTH = 43;
export const SCHEMA_GROUP_NAME = /^[A-Za-z0-9_]{1,43}$/;
