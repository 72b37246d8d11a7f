//! One error type for the whole crate. Each cause has a stable `code()` string (the JS
//! `SnowfallError.code`), and a message that says what happened and what to do.

use std::fmt;

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
    /// A schema group that was never created.
    SchemaGroupNotFound { name: String },
    /// An epoch later than the current time.
    EpochInFuture {
        epoch_unix_ms: i64,
        now_unix_ms: i64,
    },
    /// Every generator id of the schema group is held by a live generator.
    GeneratorIdsExhausted { schema_group: String },
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
}

impl Error {
    /// An [`Error::OutOfRange`] for `what`, which must lie in `min..=max` but is `got`.
    pub fn out_of_range(what: &'static str, min: i64, max: u64, got: impl fmt::Display) -> Self {
        Error::OutOfRange {
            what,
            min,
            max,
            got: got.to_string(),
        }
    }

    /// The stable code of this cause, as `SnowfallError.code` in JS.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidType { .. } => "INVALID_TYPE",
            Error::OutOfRange { .. } => "OUT_OF_RANGE",
            Error::InvalidSchemaGroupName { .. } => "INVALID_SCHEMA_GROUP_NAME",
            Error::SchemaGroupExists { .. } => "SCHEMA_GROUP_EXISTS",
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
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidType { what, expected, got } => write!(f, "{what} must be {expected}, got {got}"),
            Error::OutOfRange { what, min, max, got } => {
                write!(f, "{what} must be an integer from {min} to {max}, got {got}")
            }
            Error::InvalidSchemaGroupName { name, reason } => write!(
                f,
                "invalid schema group name \"{name}\": {reason} (it becomes part of SQL table names: use 1 to 40 characters of A-Z, a-z, 0-9 and _)"
            ),
            Error::SchemaGroupExists { name } => {
                write!(f, "schema group \"{name}\" already exists: create it once, then start generators on it")
            }
            Error::SchemaGroupNotFound { name } => {
                write!(f, "schema group \"{name}\" does not exist: create it first with createSchemaGroup")
            }
            Error::EpochInFuture { epoch_unix_ms, now_unix_ms } => write!(
                f,
                "the epoch ({epoch_unix_ms} Unix ms) is {} ms in the future: choose an epoch at or before now",
                epoch_unix_ms - now_unix_ms
            ),
            Error::GeneratorIdsExhausted { schema_group } => write!(
                f,
                "all 4096 generator ids of schema group \"{schema_group}\" are in use: close idle generators, or wait for dead ones to expire"
            ),
            Error::ClockBeforeEpoch { clock_unix_ms, epoch_unix_ms } => write!(
                f,
                "the clock reads {clock_unix_ms} Unix ms, before the epoch {epoch_unix_ms}: fix the clock (in Cloudflare Workers, make ids inside a request, not at global scope)"
            ),
            Error::ClockMovedBackwards { gap_ms, tolerance_ms } => write!(
                f,
                "the clock moved back {gap_ms} ms, more than the {tolerance_ms} ms this generator rides out: ids resume once the clock catches up (or raise clockToleranceMs)"
            ),
            Error::ClockStalled { ahead_ms, tolerance_ms } => write!(
                f,
                "the clock stands still and ids would run {ahead_ms} ms ahead of it, past clockToleranceMs ({tolerance_ms} ms): let time advance (in Cloudflare Workers, after an await) and retry"
            ),
            Error::InvalidClockReading { got } => {
                write!(f, "the clock returned {got}: a clock must return finite Unix milliseconds")
            }
            Error::TimestampOverflow { ms_since_epoch } => write!(
                f,
                "{ms_since_epoch} ms since the epoch does not fit the 41-bit field (it lasts about 69.7 years): use a later epoch for a new schema group"
            ),
            Error::LeaseExpired { generator_id: Some(id), window_end_unix_ms } => write!(
                f,
                "the lease on generator id {id} covers timestamps only up to {window_end_unix_ms} Unix ms and was not renewed: await generator.ready() to renew it, or check the syncer's database"
            ),
            Error::LeaseExpired { generator_id: None, .. } => {
                write!(f, "this generator holds no generator id lease: it was never claimed or was lost")
            }
            Error::GeneratorClosed => write!(f, "this generator was closed and its generator id released: create a new one"),
        }
    }
}

impl std::error::Error for Error {}
