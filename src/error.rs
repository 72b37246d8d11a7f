//! One error type for the whole crate. Each cause has a stable `code()` string (the JS
//! `SnowfallError.code`), and a message that says what happened and what to do.

use alloc::string::{String, ToString};
use core::fmt;

/// Everything that can go wrong, by cause.
///
/// ```
/// use snowfall_wasm::Error;
/// let e = Error::SchemaGroupNotFound { name: "orders".into() };
/// assert_eq!(e.code(), "SCHEMA_GROUP_NOT_FOUND");
/// assert!(e.to_string().contains("orders"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A value of the wrong type (raised by the JS boundary, kept here so all codes live in one place).
    InvalidType {
        what: String,
        expected: &'static str,
        got: String,
    },
    /// A number outside the range its field allows.
    OutOfRange {
        what: &'static str,
        min: i64,
        max: u64,
        got: String,
    },
    /// A schema group name that could not safely become part of an SQL table name.
    InvalidSchemaGroupName { name: String, reason: &'static str },
    /// `create_schema_group` for a name that exists.
    SchemaGroupExists { name: String },
    /// Dropping a schema group that live generators still hold ids in (a group made again under
    /// that name would hand out the same generator ids a second time).
    SchemaGroupInUse { name: String, live_generators: u64 },
    /// A schema group that was never created.
    SchemaGroupNotFound { name: String },
    /// An epoch later than the current time.
    EpochInFuture {
        epoch_unix_ms: i64,
        now_unix_ms: i64,
    },
    /// Every generator id of the schema group is held by a live generator (`contended`: free ones
    /// were seen, but concurrent claimers took each first).
    GeneratorIdsExhausted {
        schema_group: String,
        contended: bool,
    },
    /// The clock reads a time before the schema group's epoch.
    ClockBeforeEpoch {
        clock_unix_ms: i64,
        epoch_unix_ms: i64,
    },
    /// The clock stepped back further than the tolerance allows riding out.
    ClockMovedBackwards { gap_ms: i64, tolerance_ms: i64 },
    /// The clock stands still and the generator has borrowed as far ahead as it may.
    ClockStalled { ahead_ms: i64, tolerance_ms: i64 },
    /// The clock returned something that is not a finite time.
    InvalidClockReading { got: String },
    /// The 41-bit millisecond field is used up (about 69.7 years after the epoch).
    TimestampOverflow { ms_since_epoch: i64 },
    /// The generator holds no lease that covers the current time (never claimed, lost, or not renewed).
    LeaseExpired {
        generator_id: Option<u16>,
        window_end_unix_ms: i64,
    },
    /// The generator was closed and its generator id released.
    GeneratorClosed,
    /// A store operation passed its deadline (`storeTimeoutMs`, or a renewal at its window end).
    StoreTimeout {
        operation: &'static str,
        waited_ms: i64,
    },
    /// The store failed (the JS layer attaches its error as `cause`).
    StoreFailed { operation: &'static str },
    /// Every claim attempt met contention the store reported (serialization failures, locks).
    StoreContention { schema_group: String, attempts: u32 },
    /// The store's clock and the host's differ by more than the bound when a session opens.
    ClockSkew { skew_ms: i64, bound_ms: i64 },
}

impl Error {
    /// An [`Error::OutOfRange`] for `what`, which must lie in `min..=max` but is `got`.
    pub fn out_of_range(what: &'static str, min: i64, max: u64, got: impl MessageValue) -> Self {
        Error::OutOfRange {
            what,
            min,
            max,
            got: got.into_text(),
        }
    }

    /// The stable code of this cause, as `SnowfallError.code` in JS.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidType { .. } => "INVALID_TYPE",
            Error::OutOfRange { .. } => "OUT_OF_RANGE",
            Error::InvalidSchemaGroupName { .. } => "INVALID_SCHEMA_GROUP_NAME",
            Error::SchemaGroupExists { .. } => "SCHEMA_GROUP_EXISTS",
            Error::SchemaGroupInUse { .. } => "SCHEMA_GROUP_IN_USE",
            Error::SchemaGroupNotFound { .. } => "SCHEMA_GROUP_NOT_FOUND",
            Error::EpochInFuture { .. } => "EPOCH_IN_FUTURE",
            Error::GeneratorIdsExhausted { .. } => "GENERATOR_IDS_EXHAUSTED",
            Error::ClockBeforeEpoch { .. } => "CLOCK_BEFORE_EPOCH",
            Error::ClockMovedBackwards { .. } => "CLOCK_MOVED_BACKWARDS",
            Error::ClockStalled { .. } => "CLOCK_STALLED",
            Error::InvalidClockReading { .. } => "INVALID_CLOCK_READING",
            Error::TimestampOverflow { .. } => "TIMESTAMP_OVERFLOW",
            Error::LeaseExpired { .. } => "LEASE_EXPIRED",
            Error::GeneratorClosed => "GENERATOR_CLOSED",
            Error::StoreTimeout { .. } => "STORE_TIMEOUT",
            Error::StoreFailed { .. } | Error::StoreContention { .. } => "DATABASE_ERROR",
            Error::ClockSkew { .. } => "CLOCK_SKEW",
        }
    }
}

impl Error {
    /// What happened and what to do: the JS `SnowfallError.message` and this type's `Display`.
    ///
    /// Built by hand rather than with `write!`: `core::fmt` and its integer formatting would add
    /// kilobytes to the wasm file, for messages that are only ever read on failures.
    pub fn message(&self) -> String {
        let mut m = Message(String::new());
        self.write_message(&mut m);
        m.0
    }

    /// `"CODE:message"`, the form the wasm layer hands to JS (one string, built in one place).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // the wasm layer's
    pub(crate) fn coded_message(&self) -> String {
        let mut m = Message(String::new());
        m.s(self.code()).s(":");
        self.write_message(&mut m);
        m.0
    }

    fn write_message(&self, m: &mut Message) {
        match self {
            Error::InvalidType { what, expected, got } => {
                m.s(what).s(" must be ").s(expected).s(", got ").s(got)
            }
            Error::OutOfRange { what, min, max, got } => m
                .s(what)
                .s(" must be an integer from ")
                .i(*min)
                .s(" to ")
                .u(*max)
                .s(", got ")
                .s(got),
            Error::InvalidSchemaGroupName { name, reason } => m
                .s("invalid schema group name \"")
                .s(name)
                .s("\": ")
                .s(reason)
                .s(" (it becomes part of SQL table names: use 1 to 43 characters of A-Z, a-z, 0-9 and _)"),
            Error::SchemaGroupExists { name } => m
                .s("schema group \"")
                .s(name)
                .s("\" already exists: create it once, then start generators on it"),
            Error::SchemaGroupInUse {
                name,
                live_generators,
            } => m
                .s("schema group \"")
                .s(name)
                .s("\" still has ")
                .u(*live_generators)
                .s(" live generator(s): close() them before dropping the group (a group made again under this name would hand out their generator ids a second time)"),
            Error::SchemaGroupNotFound { name } => m
                .s("schema group \"")
                .s(name)
                .s("\" does not exist: create it first with createSchemaGroup"),
            Error::EpochInFuture {
                epoch_unix_ms,
                now_unix_ms,
            } => m
                .s("the epoch (")
                .i(*epoch_unix_ms)
                .s(" Unix ms) is ")
                .i(epoch_unix_ms - now_unix_ms)
                .s(" ms in the future: choose an epoch at or before now"),
            Error::GeneratorIdsExhausted { schema_group, contended: false } => m
                .s("all 4096 generator ids of schema group \"")
                .s(schema_group)
                .s("\" are in use: close idle generators, or wait for dead ones to expire (two liveliness probes after their last renewal)"),
            Error::GeneratorIdsExhausted { schema_group, contended: true } => m
                .s("could not claim a generator id in schema group \"")
                .s(schema_group)
                .s("\": every free id was taken by a concurrent claimer; retry later"),
            Error::ClockBeforeEpoch {
                clock_unix_ms,
                epoch_unix_ms,
            } => m
                .s("the clock reads ")
                .i(*clock_unix_ms)
                .s(" Unix ms, before the epoch ")
                .i(*epoch_unix_ms)
                .s(": fix the clock (in Cloudflare Workers, make ids inside a request, not at global scope)"),
            Error::ClockMovedBackwards {
                gap_ms,
                tolerance_ms,
            } => m
                .s("the clock moved back ")
                .i(*gap_ms)
                .s(" ms, more than the ")
                .i(*tolerance_ms)
                .s(" ms this generator rides out: ids resume once the clock catches up (or raise clockToleranceMs)"),
            Error::ClockStalled {
                ahead_ms,
                tolerance_ms,
            } => m
                .s("the clock stands still and ids would run ")
                .i(*ahead_ms)
                .s(" ms ahead of it, past clockToleranceMs (")
                .i(*tolerance_ms)
                .s(" ms): let time advance (in Cloudflare Workers, after an await) and retry"),
            Error::InvalidClockReading { got } => m
                .s("the clock returned ")
                .s(got)
                .s(": a clock must return finite Unix milliseconds"),
            Error::TimestampOverflow { ms_since_epoch } => m
                .i(*ms_since_epoch)
                .s(" ms since the epoch does not fit the 41-bit field (it lasts about 69.7 years): use a later epoch for a new schema group"),
            Error::LeaseExpired {
                generator_id: Some(id),
                window_end_unix_ms,
            } => m
                .s("the lease on generator id ")
                .u(*id as u64)
                .s(" covers timestamps only up to ")
                .i(*window_end_unix_ms)
                .s(" Unix ms and was not renewed: await generator.ready() to renew it, or check the syncer's database"),
            Error::LeaseExpired {
                generator_id: None,
                ..
            } => m.s("this generator holds no generator id lease: it was never claimed or was lost"),
            Error::GeneratorClosed => m.s(
                "this generator was closed and its generator id released: create a new one",
            ),
            Error::StoreTimeout { operation, waited_ms } => m
                .s("the store did not answer while ")
                .s(operation)
                .s(" (gave up after ")
                .i(*waited_ms)
                .s(" ms): check that it is reachable; the next call tries again (raise storeTimeoutMs for a slow store)"),
            Error::StoreFailed { operation } => m
                .s("the store failed while ")
                .s(operation)
                .s(" (its error is the cause)"),
            Error::StoreContention { schema_group, attempts } => m
                .s("could not claim a generator id in schema group \"")
                .s(schema_group)
                .s("\" after ")
                .u(*attempts as u64)
                .s(" attempts: the database kept reporting contention (raise maxClaimRetries, or retry later)"),
            Error::ClockSkew { skew_ms, bound_ms } => m
                .s("this host's clock differs from the store's by ")
                .i(*skew_ms)
                .s(" ms, more than the ")
                .i(*bound_ms)
                .s(" ms allowed: fix the host clock (NTP); past one liveliness probe its generator ids would be taken from it again and again (maxClockSkewMs raises the bound)"),
        };
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// A value as an error message shows it ([`Error::out_of_range`]), as text made without
/// `core::fmt` (see [`Error::message`]).
pub trait MessageValue {
    /// The value as message text.
    fn into_text(self) -> String;
}

impl MessageValue for String {
    fn into_text(self) -> String {
        self
    }
}

impl MessageValue for &str {
    fn into_text(self) -> String {
        self.to_string()
    }
}

impl MessageValue for u64 {
    fn into_text(self) -> String {
        let mut m = Message(String::new());
        m.u(self);
        m.0
    }
}

impl MessageValue for u16 {
    fn into_text(self) -> String {
        (self as u64).into_text()
    }
}

impl MessageValue for i64 {
    fn into_text(self) -> String {
        let mut m = Message(String::new());
        m.i(self);
        m.0
    }
}

/// A message under construction. Its steps are not inlined: one call each, rather than a copy of
/// `push_str` at every step of every message. They take `&mut self`: by value, every step moved
/// the `String` in and out through memory (about 570 bytes more wasm).
struct Message(String);

impl Message {
    #[inline(never)]
    fn s(&mut self, text: &str) -> &mut Self {
        self.0.push_str(text);
        self
    }

    #[inline(never)]
    fn u(&mut self, mut n: u64) -> &mut Self {
        // Written from the right; no indexing (its bounds checks would link core's panic paths).
        let mut digits = [0u8; 20]; // u64::MAX has 20
        let mut len = 0;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
            len += 1;
            if n == 0 {
                break;
            }
        }
        let digits = digits.get(digits.len() - len..).unwrap_or_default();
        // Safety: ASCII digits are UTF-8.
        self.s(unsafe { core::str::from_utf8_unchecked(digits) })
    }

    #[inline(never)]
    fn i(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.0.push('-');
        }
        self.u(n.unsigned_abs())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_spell_every_number_exactly() {
        assert_eq!(
            Error::out_of_range("x", i64::MIN, u64::MAX, i64::MIN).to_string(),
            "x must be an integer from -9223372036854775808 to 18446744073709551615, got -9223372036854775808"
        );
        assert_eq!(
            Error::out_of_range("count", 0, 16_777_216, "1.5".to_string()).message(),
            "count must be an integer from 0 to 16777216, got 1.5"
        );
        assert_eq!(
            Error::ClockMovedBackwards { gap_ms: 2_500, tolerance_ms: 0 }.message(),
            "the clock moved back 2500 ms, more than the 0 ms this generator rides out: ids resume once the clock catches up (or raise clockToleranceMs)"
        );
        assert_eq!(
            Error::LeaseExpired { generator_id: Some(4095), window_end_unix_ms: -1 }.message(),
            "the lease on generator id 4095 covers timestamps only up to -1 Unix ms and was not renewed: await generator.ready() to renew it, or check the syncer's database"
        );
        assert_eq!(
            Error::SchemaGroupNotFound { name: "orders".into() }.coded_message(),
            "SCHEMA_GROUP_NOT_FOUND:schema group \"orders\" does not exist: create it first with createSchemaGroup"
        );
        assert_eq!(u64::MAX.into_text(), "18446744073709551615");
        assert_eq!(10u16.into_text(), "10");
        assert_eq!(0u64.into_text(), "0");
    }
}
