//! The lease model shared by every syncer: which generator id a generator may use, and the window
//! of timestamps it may mint with that id.
//!
//! A manifest (in memory, or a database table) keeps one [`Slot`] per generator id. Claims and
//! renewals are compare-and-swap on the whole slot, and every claim starts its window strictly after
//! the slot's `reserved_until_ms`. Because a generator mints only inside a window it has saved,
//! two holders of one generator id can never mint the same timestamp, however long one of them was
//! paused and whatever the skew between their clocks. (The original package had no such fence: a
//! paused holder woke up and kept minting with an id that now belonged to someone else.)

use crate::layout::MAX_GENERATOR_ID;

/// Number of generator ids in a schema group.
pub const GENERATOR_ID_COUNT: usize = MAX_GENERATOR_ID as usize + 1;

/// What a generator may mint with: one generator id, and an inclusive window of Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The generator id reserved for this holder.
    pub generator_id: u16,
    /// The first Unix ms this holder may use as an id's timestamp.
    pub window_start_unix_ms: i64,
    /// The last Unix ms this holder may use as an id's timestamp (inclusive).
    pub window_end_unix_ms: i64,
}

/// One generator id's entry in a manifest. `last_updated_ms` keeps the original's meaning (the
/// holder's last sign of life), so instances of the original package can share a manifest.
/// Every value a store holds is a safe integer (|x| < 2^53), whatever the clock said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Slot {
    /// Unix ms of the holder's last claim or renewal (backdated by a release).
    pub last_updated_ms: i64,
    /// The end of the last window saved for this generator id (Unix ms, inclusive).
    pub reserved_until_ms: i64,
    /// Who holds it: a random token per claim, 0 (the empty string in stores) when nobody does.
    pub holder: u128,
}

impl Slot {
    /// A slot never claimed in an in-memory manifest: `last_updated_ms` is the smallest safe
    /// integer, so it is free whatever the clock reads (Cloudflare Workers read 0 at global scope,
    /// where generators are typically made). Database manifests start from the original's 0.
    pub const FREE: Slot = Slot {
        last_updated_ms: -crate::settings::MAX_STORE_MS,
        reserved_until_ms: 0,
        holder: 0,
    };

    /// Whether every value fits a store (safe integers; a reservation is never negative).
    pub fn is_storable(&self) -> bool {
        let m = crate::settings::MAX_STORE_MS;
        self.last_updated_ms.abs() <= m && (0..=m).contains(&self.reserved_until_ms)
    }
}

/// The timing rules of a schema group's leases.
///
/// ```
/// use snowfall_wasm::LeaseTerms;
/// let terms = LeaseTerms::from_probe_seconds(5);
/// // A holder that renewed at t=1000 is alive until 2 probes later, as in the original.
/// assert!(!terms.is_free(1_000, 11_000));
/// assert!(terms.is_free(1_000, 11_001));
/// // Its successor's window starts after everything the holder could have minted.
/// let (start, end) = terms.claim_window(11_000, 11_001);
/// assert_eq!((start, end), (11_001, 21_001));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    /// How often a holder renews; a holder silent for two probes is considered dead.
    pub liveliness_probe_ms: i64,
}

impl LeaseTerms {
    /// Terms for a liveliness probe given in seconds (the original's unit).
    pub const fn from_probe_seconds(seconds: i64) -> Self {
        LeaseTerms {
            liveliness_probe_ms: seconds * 1000,
        }
    }

    /// How long a claim or renewal lasts: two probes, the original's reclaim delay.
    pub const fn lease_ms(&self) -> i64 {
        2 * self.liveliness_probe_ms
    }

    /// Whether a slot last updated at `last_updated_ms` may be claimed at `now_unix_ms`.
    pub const fn is_free(&self, last_updated_ms: i64, now_unix_ms: i64) -> bool {
        last_updated_ms < now_unix_ms.saturating_sub(self.lease_ms())
    }

    /// The window a new holder gets for a slot whose last saved window ended at `reserved_until_ms`:
    /// it starts strictly after it (the fence), and lasts one lease from now.
    pub fn claim_window(&self, reserved_until_ms: i64, now_unix_ms: i64) -> (i64, i64) {
        let start = reserved_until_ms + 1;
        (start, start.max(now_unix_ms) + self.lease_ms())
    }

    /// The window of a grant of `window_ms` (see `LeaseMachine::grant`): from the fence, for
    /// `window_ms` after the later of now and the fence.
    pub fn grant_window(
        &self,
        reserved_until_ms: i64,
        now_unix_ms: i64,
        window_ms: i64,
    ) -> (i64, i64) {
        let start = reserved_until_ms + 1;
        (start, start.max(now_unix_ms).saturating_add(window_ms))
    }

    /// The new end of a window renewed at `now_unix_ms`; it never moves backwards.
    pub fn renewed_window_end(&self, window_end_unix_ms: i64, now_unix_ms: i64) -> i64 {
        window_end_unix_ms.max(now_unix_ms + self.lease_ms())
    }

    /// When a holder that last renewed at `renewed_at` (within the window ending at
    /// `window_end`) should renew next: a probe later, or as soon as less than a probe of window is
    /// left (a renewal that landed late leaves a short window: renew again at once).
    pub fn renewal_due(&self, renewed_at: i64, window_end: i64) -> i64 {
        (renewed_at + self.liveliness_probe_ms).min(window_end - self.liveliness_probe_ms)
    }

    /// The slot a release writes: `reserved_until_ms` cut down to what was minted (see
    /// [`released_reserved_until`](Self::released_reserved_until)), the holder cleared, and
    /// `last_updated_ms` either [`Slot::FREE`]'s (in memory: free at once) or backdated two probes
    /// before that last minted ms (in a shared database: free for any claimer, ours or the
    /// original package's, exactly once its clock has passed that ms; 0 would let an original
    /// instance with a slower clock take the id at once and repeat our last milliseconds).
    pub fn released_slot(
        &self,
        lease: &Lease,
        last_issued_unix_ms: Option<i64>,
        free_at_once: bool,
    ) -> Slot {
        let reserved = Self::released_reserved_until(lease, last_issued_unix_ms);
        Slot {
            last_updated_ms: if free_at_once {
                Slot::FREE.last_updated_ms
            } else {
                reserved - self.lease_ms()
            },
            reserved_until_ms: reserved,
            holder: 0,
        }
    }

    /// What a releasing holder leaves in `reserved_until_ms`: the last ms it actually minted, so the
    /// next holder need not wait out the rest of the window (the releaser never mints again).
    pub fn released_reserved_until(lease: &Lease, last_issued_unix_ms: Option<i64>) -> i64 {
        let floor = lease.window_start_unix_ms - 1;
        last_issued_unix_ms.map_or(floor, |ms| ms.clamp(floor, lease.window_end_unix_ms))
    }
}

/// Whether a session may open against a store whose clock read `store_now` between the host's
/// readings `host_before` and `host_after`: the skew (less what the round trip leaves uncertain)
/// must not exceed `bound_ms`. A host behind by more than a probe would see its ids look free to
/// others before each renewal, and be taken again and again (fenced, but churning); Twitter's
/// Snowflake likewise refused to start past a bound.
///
/// ```
/// use snowfall_wasm::check_store_clock;
/// assert!(check_store_clock(1_000, 1_500, 1_010, 5_000).is_ok());
/// assert_eq!(check_store_clock(1_000, 9_000, 1_010, 5_000).unwrap_err().code(), "CLOCK_SKEW");
/// ```
pub fn check_store_clock(
    host_before: i64,
    store_now: i64,
    host_after: i64,
    bound_ms: i64,
) -> Result<(), crate::Error> {
    let mid = host_before + (host_after - host_before) / 2;
    let uncertainty = (host_after - host_before).abs() / 2 + 1;
    let skew = store_now - mid;
    if skew.abs() > bound_ms + uncertainty {
        return Err(crate::Error::ClockSkew {
            skew_ms: skew,
            bound_ms,
        });
    }
    Ok(())
}

/// Something that keeps a generator's lease alive synchronously (the in-memory syncer, which runs
/// [`crate::LeaseMachine`] against a store that answers at once). Stores that need I/O are driven
/// from the outside instead, and hand leases in through [`crate::Generator::adopt_lease`].
pub trait LeaseKeeper {
    /// How long after a claim or renewal the generator should ask for the next renewal.
    fn renew_interval_ms(&self) -> i64;
    /// Renews `current`; if it was lost, claims another generator id and returns that lease instead.
    fn renew(&mut self, current: &Lease, now_unix_ms: i64) -> Result<Lease, crate::Error>;
    /// Gives the generator id back at once. `last_issued_unix_ms` is the last ms actually minted.
    fn release(&mut self, lease: &Lease, last_issued_unix_ms: Option<i64>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_window_never_overlaps_predecessor() {
        let t = LeaseTerms::from_probe_seconds(5);
        // Whatever the clocks say, the next window starts after the saved end.
        for (reserved, now) in [(100_000, 0), (100_000, 100_000), (100_000, 500_000), (0, 5)] {
            let (start, end) = t.claim_window(reserved, now);
            assert!(start > reserved);
            assert!(end >= start);
        }
    }

    #[test]
    fn renewal_never_shrinks_window() {
        let t = LeaseTerms::from_probe_seconds(1);
        assert_eq!(t.renewed_window_end(50_000, 10_000), 50_000);
        assert_eq!(t.renewed_window_end(50_000, 60_000), 62_000);
    }

    #[test]
    fn release_keeps_the_fence_below_what_was_minted() {
        let lease = Lease {
            generator_id: 3,
            window_start_unix_ms: 1_000,
            window_end_unix_ms: 9_000,
        };
        assert_eq!(LeaseTerms::released_reserved_until(&lease, None), 999);
        assert_eq!(
            LeaseTerms::released_reserved_until(&lease, Some(4_000)),
            4_000
        );
        assert_eq!(
            LeaseTerms::released_reserved_until(&lease, Some(99_000)),
            9_000
        );
    }
}
