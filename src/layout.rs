//! The 64-bit Snowfall GUID layout, bit-identical to the original Python package:
//!
//! ```text
//!  63                                    23 22          12 11           0
//! +----------------------------------------+--------------+--------------+
//! |   ms since the schema group's epoch    |   looping    |  generator   |
//! |               (41 bits)                | counter (11) |   id (12)    |
//! +----------------------------------------+--------------+--------------+
//! ```

use crate::Error;

/// Bits of the millisecond field.
pub const TIMESTAMP_BITS: u32 = 41;
/// Bits of the looping counter.
pub const COUNTER_BITS: u32 = 11;
/// Bits of the generator id.
pub const GENERATOR_ID_BITS: u32 = 12;

/// Largest millisecond offset from the epoch that fits (about 69.7 years).
pub const MAX_MS_SINCE_EPOCH: u64 = (1 << TIMESTAMP_BITS) - 1;
/// Largest looping counter: 2048 ids per millisecond per generator.
pub const MAX_LOOPING_COUNTER: u16 = (1 << COUNTER_BITS) - 1;
/// Largest generator id: 4096 generators per schema group.
pub const MAX_GENERATOR_ID: u16 = (1 << GENERATOR_ID_BITS) - 1;

const COUNTER_SHIFT: u32 = GENERATOR_ID_BITS;
const TIMESTAMP_SHIFT: u32 = GENERATOR_ID_BITS + COUNTER_BITS;

/// The default epoch, 2020-01-01T00:00:00Z, in Unix milliseconds (the original used the same date,
/// but as naive local time; here it is UTC).
pub const DEFAULT_EPOCH_UNIX_MS: i64 = 1_577_836_800_000;

/// The three fields of a GUID.
///
/// ```
/// use snowfall_wasm::GuidParts;
/// let id = 133494887688437760;
/// let parts = GuidParts::from_guid(id);
/// assert_eq!(parts, GuidParts { ms_since_epoch: 15_913_830_720, looping_counter: 0, generator_id: 0 });
/// assert_eq!(parts.to_guid().unwrap(), id);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuidParts {
    /// Milliseconds since the schema group's epoch (41 bits).
    pub ms_since_epoch: u64,
    /// Position within the millisecond (11 bits).
    pub looping_counter: u16,
    /// The generator that minted the id (12 bits).
    pub generator_id: u16,
}

impl GuidParts {
    /// Splits a GUID into its fields. Every u64 is a valid GUID, so this cannot fail.
    #[inline]
    pub const fn from_guid(guid: u64) -> Self {
        GuidParts {
            ms_since_epoch: guid >> TIMESTAMP_SHIFT,
            looping_counter: ((guid >> COUNTER_SHIFT) as u16) & MAX_LOOPING_COUNTER,
            generator_id: (guid as u16) & MAX_GENERATOR_ID,
        }
    }

    /// Packs the fields into a GUID, refusing any field that does not fit its bits.
    ///
    /// ```
    /// use snowfall_wasm::GuidParts;
    /// let too_big = GuidParts { ms_since_epoch: 0, looping_counter: 2048, generator_id: 0 };
    /// assert_eq!(too_big.to_guid().unwrap_err().code(), "OUT_OF_RANGE");
    /// ```
    pub fn to_guid(&self) -> Result<u64, Error> {
        if self.ms_since_epoch > MAX_MS_SINCE_EPOCH {
            return Err(Error::out_of_range(
                "msSinceEpoch",
                0,
                MAX_MS_SINCE_EPOCH,
                self.ms_since_epoch,
            ));
        }
        if self.looping_counter > MAX_LOOPING_COUNTER {
            return Err(Error::out_of_range(
                "loopingCounter",
                0,
                MAX_LOOPING_COUNTER as u64,
                self.looping_counter,
            ));
        }
        if self.generator_id > MAX_GENERATOR_ID {
            return Err(Error::out_of_range(
                "generatorId",
                0,
                MAX_GENERATOR_ID as u64,
                self.generator_id,
            ));
        }
        Ok(pack(
            self.ms_since_epoch,
            self.looping_counter,
            self.generator_id,
        ))
    }
}

/// Packs fields already known to fit (the generator's hot path).
#[inline(always)]
pub(crate) const fn pack(ms_since_epoch: u64, looping_counter: u16, generator_id: u16) -> u64 {
    (ms_since_epoch << TIMESTAMP_SHIFT)
        | ((looping_counter as u64) << COUNTER_SHIFT)
        | generator_id as u64
}

/// The smallest and largest GUID any generator can mint in one millisecond: `lo..=hi` selects
/// exactly the ids of that millisecond in a range query on an id column.
///
/// ```
/// use snowfall_wasm::guid_range_at;
/// let (lo, hi) = guid_range_at(1_000).unwrap();
/// assert_eq!(lo, 1_000 << 23);
/// assert_eq!(hi, (1_001 << 23) - 1);
/// ```
pub fn guid_range_at(ms_since_epoch: u64) -> Result<(u64, u64), Error> {
    if ms_since_epoch > MAX_MS_SINCE_EPOCH {
        return Err(Error::out_of_range(
            "msSinceEpoch",
            0,
            MAX_MS_SINCE_EPOCH,
            ms_since_epoch,
        ));
    }
    Ok((
        pack(ms_since_epoch, 0, 0),
        pack(ms_since_epoch, MAX_LOOPING_COUNTER, MAX_GENERATOR_ID),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_example_decodes_as_the_original() {
        // The original README's first id: generator 0, counter 0, 2020-07-03T04:30:30.720Z.
        let parts = GuidParts::from_guid(133_494_887_688_437_760);
        assert_eq!(parts.generator_id, 0);
        assert_eq!(parts.looping_counter, 0);
        assert_eq!(
            DEFAULT_EPOCH_UNIX_MS + parts.ms_since_epoch as i64,
            1_593_750_630_720
        );
    }

    #[test]
    fn round_trips_every_field_boundary() {
        for ms in [0, 1, 12345, MAX_MS_SINCE_EPOCH - 1, MAX_MS_SINCE_EPOCH] {
            for c in [0, 1, 1024, MAX_LOOPING_COUNTER] {
                for g in [0, 1, 2048, MAX_GENERATOR_ID] {
                    let p = GuidParts {
                        ms_since_epoch: ms,
                        looping_counter: c,
                        generator_id: g,
                    };
                    assert_eq!(GuidParts::from_guid(p.to_guid().unwrap()), p);
                }
            }
        }
        assert_eq!(GuidParts::from_guid(u64::MAX).to_guid().unwrap(), u64::MAX);
    }

    #[test]
    fn order_of_ids_is_order_of_fields() {
        let a = pack(5, MAX_LOOPING_COUNTER, MAX_GENERATOR_ID);
        let b = pack(6, 0, 0);
        assert!(a < b);
        assert!(pack(5, 1, 0) > pack(5, 0, MAX_GENERATOR_ID));
    }

    #[test]
    fn out_of_range_fields_are_refused() {
        assert!(GuidParts {
            ms_since_epoch: MAX_MS_SINCE_EPOCH + 1,
            looping_counter: 0,
            generator_id: 0
        }
        .to_guid()
        .is_err());
        assert!(GuidParts {
            ms_since_epoch: 0,
            looping_counter: 0,
            generator_id: 4096
        }
        .to_guid()
        .is_err());
        assert!(guid_range_at(MAX_MS_SINCE_EPOCH + 1).is_err());
    }
}
