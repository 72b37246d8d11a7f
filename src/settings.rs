//! Every default and every range, in one table (the Sonyflake v2 shape): the core checks each
//! setting against this table, the JS layer passes raw values in and never keeps a copy.
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
/// Largest magnitude of a millisecond value written to a store: JS's safe integers.
pub const MAX_STORE_MS: i64 = (1 << 53) - 1;
