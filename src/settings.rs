//! Every default and every range, in one table (the Sonyflake v2 shape): the core checks each
//! setting against this table. JS passes raw values in; the defaults it fills in itself (an
//! epoch to decode with, a tolerance, a store deadline) come from `js/settings.js`, which is
//! generated from this table and checked against it by `cargo test` (see the tests below).
//!
//! | setting | default | range | what it bounds |
//! |---|---:|---|---|
//! | `livelinessProbeS` | 5 | 1..=86 400 | a holder renews every probe; silent for two probes, its id is free |
//! | `maxClaimRetries` | 3 | 0..=1000 | claim attempts after the first (each reads up to 16 free slots) |
//! | `minMsBetweenClaimRetries` | 100 | 0..=600 000 | jittered pause between claim attempts, low end |
//! | `maxMsBetweenClaimRetries` | 500 | min..=600 000 | ... high end |
//! | `clockToleranceMs` | 2 000 | 0..=86 400 000 | how far ids may run ahead of a stalled or stepped-back clock |
//! | `storeTimeoutMs` | 10 000 | 1..=600 000 | the deadline of every store operation (claim, renewal, release, open) |
//! | `maxClockSkewMs` | one probe | 0..=86 400 000 | how far a store's clock may differ from the host's at open |
//! | batch size | - | 0..=2^24 | ids per `getGuids` call |
//! | schema group name | `"default"` | 1..=43 of `[A-Za-z0-9_]` | it becomes part of SQL table names |

use crate::Error;

/// An integer setting: its name as JS spells it, its default and its inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The option's name in JS.
    pub name: &'static str,
    /// Used when the option is absent.
    pub default: i64,
    /// Smallest accepted value.
    pub min: i64,
    /// Largest accepted value.
    pub max: i64,
}

impl Setting {
    /// `value` (or the default when `None`) if it lies in range, else `OUT_OF_RANGE`.
    ///
    /// ```
    /// use snowfall_wasm::settings::LIVELINESS_PROBE_S;
    /// assert_eq!(LIVELINESS_PROBE_S.check(None).unwrap(), 5);
    /// assert_eq!(LIVELINESS_PROBE_S.check(Some(0)).unwrap_err().code(), "OUT_OF_RANGE");
    /// ```
    pub fn check(&self, value: Option<i64>) -> Result<i64, Error> {
        self.check_within(value, self.min)
    }

    /// As [`check`](Self::check), with a larger lower bound (a range whose low end is another setting).
    pub fn check_within(&self, value: Option<i64>, min: i64) -> Result<i64, Error> {
        let v = value.unwrap_or(self.default);
        if v < min || v > self.max {
            return Err(Error::out_of_range(self.name, min, self.max as u64, v));
        }
        Ok(v)
    }
}

/// How often a holder renews, in seconds.
pub const LIVELINESS_PROBE_S: Setting = Setting {
    name: "livelinessProbeS",
    default: 5,
    min: 1,
    max: 86_400,
};
/// Claim attempts after the first.
pub const MAX_CLAIM_RETRIES: Setting = Setting {
    name: "maxClaimRetries",
    default: 3,
    min: 0,
    max: 1000,
};
/// Low end of the jittered pause between claim attempts.
pub const MIN_MS_BETWEEN_CLAIM_RETRIES: Setting = Setting {
    name: "minMsBetweenClaimRetries",
    default: 100,
    min: 0,
    max: 600_000,
};
/// High end of the jittered pause between claim attempts (at least the low end).
pub const MAX_MS_BETWEEN_CLAIM_RETRIES: Setting = Setting {
    name: "maxMsBetweenClaimRetries",
    default: 500,
    min: 0,
    max: 600_000,
};
/// How far ids may run ahead of the clock.
pub const CLOCK_TOLERANCE_MS: Setting = Setting {
    name: "clockToleranceMs",
    default: 2_000,
    min: 0,
    max: 86_400_000,
};
/// The deadline of every store operation.
pub const STORE_TIMEOUT_MS: Setting = Setting {
    name: "storeTimeoutMs",
    default: 10_000,
    min: 1,
    max: 600_000,
};
/// How far a store's clock may be from the host's when a session opens (default: one probe,
/// filled in per group; `default` here is only a placeholder).
pub const MAX_CLOCK_SKEW_MS: Setting = Setting {
    name: "maxClockSkewMs",
    default: -1,
    min: 0,
    max: 86_400_000,
};
/// Largest `getGuids` batch.
pub const MAX_BATCH: i64 = 1 << 24;
/// Free slots one claim attempt reads.
pub const CLAIM_CANDIDATES: u16 = 16;
/// Renewals of unknown outcome a session remembers (their writes may be in the row).
pub const MAX_UNKNOWN_WRITES: usize = 8;
/// Claim writes of unknown outcome a session remembers (generator ids it may hold without
/// knowing): the next claim tries them first, and a release frees them (docs/PROTOCOL.md,
/// "Claims of unknown outcome").
pub const MAX_UNKNOWN_CLAIMS: usize = 8;
/// Largest magnitude of a millisecond value written to a store: JS's safe integers.
pub const MAX_STORE_MS: i64 = (1 << 53) - 1;

#[cfg(all(test, not(target_arch = "wasm32")))] // the mirror test reads the repository's file
mod tests {
    use super::*;
    use crate::layout::{
        COUNTER_BITS, DEFAULT_EPOCH_UNIX_MS, GENERATOR_ID_BITS, MAX_MS_SINCE_EPOCH, TIMESTAMP_BITS,
    };
    use crate::memory::MAX_SCHEMA_GROUP_NAME_LEN;

    /// js/settings.js as this table (and the id layout) renders it.
    fn js_settings() -> String {
        use std::fmt::Write;
        let mut js = String::from(
            "// GENERATED from src/settings.rs (the one table of defaults and ranges) and src/layout.rs:\n\
             // do not edit. `cargo test` fails when this file and the Rust table differ; regenerate it\n\
             // with `SNOWFALL_BLESS=1 cargo test --lib js_settings`. The core checks every setting;\n\
             // JS reads these only for the defaults it fills in before a value reaches the core (an\n\
             // epoch to decode with, a tolerance, a store deadline) and for its messages.\n\n\
             /** Every integer setting: its default and inclusive range (`maxClockSkewMs` defaults to one probe). */\n\
             export const SETTINGS = Object.freeze({\n",
        );
        for s in [
            LIVELINESS_PROBE_S,
            MAX_CLAIM_RETRIES,
            MIN_MS_BETWEEN_CLAIM_RETRIES,
            MAX_MS_BETWEEN_CLAIM_RETRIES,
            CLOCK_TOLERANCE_MS,
            STORE_TIMEOUT_MS,
            MAX_CLOCK_SKEW_MS,
        ] {
            let _ = writeln!(
                js,
                "  {}: Object.freeze({{ default: {}, min: {}, max: {} }}),",
                s.name, s.default, s.min, s.max
            );
        }
        let _ = write!(
            js,
            "}});\n\n\
             /** The default epoch (2020-01-01T00:00:00Z) as Unix ms. */\n\
             export const DEFAULT_EPOCH_UNIX_MS = {DEFAULT_EPOCH_UNIX_MS};\n\
             /** The id layout, high bits first: ms since the epoch | looping counter | generator id. */\n\
             export const TIMESTAMP_BITS = {TIMESTAMP_BITS};\n\
             export const COUNTER_BITS = {COUNTER_BITS};\n\
             export const GENERATOR_ID_BITS = {GENERATOR_ID_BITS};\n\
             /** The last ms an id can carry, counted from its epoch. */\n\
             export const MAX_MS_SINCE_EPOCH = {MAX_MS_SINCE_EPOCH};\n\
             /** Largest getGuids batch. */\n\
             export const MAX_BATCH = {MAX_BATCH};\n\
             /** Largest ms value written to a store (JS's safe integers). */\n\
             export const MAX_STORE_MS = {MAX_STORE_MS};\n\
             /** A schema group name: it becomes part of SQL table names (`snowfall_<name>_properties`). */\n\
             export const MAX_SCHEMA_GROUP_NAME_LENGTH = {MAX_SCHEMA_GROUP_NAME_LEN};\n\
             export const SCHEMA_GROUP_NAME = /^[A-Za-z0-9_]{{1,{MAX_SCHEMA_GROUP_NAME_LEN}}}$/;\n"
        );
        js
    }

    #[test]
    fn js_settings_mirror_this_table() {
        let want = js_settings();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/js/settings.js");
        if std::env::var_os("SNOWFALL_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "js/settings.js differs from src/settings.rs: regenerate it with `SNOWFALL_BLESS=1 cargo test --lib js_settings`"
        );
    }

    #[test]
    fn the_js_group_name_pattern_is_the_core_rule() {
        // The pattern above spells the rule of validate_schema_group_name: every byte that rule
        // accepts is in the pattern's class, and no other.
        for b in 0u8..=127 {
            let name = [b; 1];
            let name = core::str::from_utf8(&name).unwrap();
            let in_class =
                b.is_ascii_uppercase() || b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
            assert_eq!(
                crate::validate_schema_group_name(name).is_ok(),
                in_class,
                "byte {b}"
            );
        }
        assert!(crate::validate_schema_group_name(&"a".repeat(MAX_SCHEMA_GROUP_NAME_LEN)).is_ok());
        assert!(
            crate::validate_schema_group_name(&"a".repeat(MAX_SCHEMA_GROUP_NAME_LEN + 1)).is_err()
        );
        assert!(crate::validate_schema_group_name("é").is_err());
    }
}
