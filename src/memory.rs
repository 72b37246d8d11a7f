//! The in-memory syncer (the original's `SimpleSyncer`): schema groups whose manifest lives in the
//! process, for one-process use (browsers, tests, prototypes). Leases follow the same model as the
//! database syncer ([`crate::lease`]); only the place the manifest is stored differs.

use alloc::rc::Rc;
use core::cell::RefCell;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::lease::{Lease, LeaseKeeper, LeaseTerms, Slot, GENERATOR_ID_COUNT};
use crate::machine::{LeaseMachine, MachineConfig, Outcome, SyncStore};
use crate::settings::LIVELINESS_PROBE_S;
use crate::Error;

/// Longest schema group name: `snowfall_{name}_properties` must fit PostgreSQL's 63-byte identifiers.
pub const MAX_SCHEMA_GROUP_NAME_LEN: usize = 43;

/// Checks that a schema group name can safely become part of an SQL table name.
///
/// ```
/// use snowfall_wasm::validate_schema_group_name;
/// assert!(validate_schema_group_name("orders_eu_1").is_ok());
/// let e = validate_schema_group_name("x; DROP TABLE users").unwrap_err();
/// assert_eq!(e.code(), "INVALID_SCHEMA_GROUP_NAME");
/// ```
pub fn validate_schema_group_name(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_SCHEMA_GROUP_NAME_LEN {
        "it is longer than 43 characters"
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        "it contains a character other than A-Z, a-z, 0-9 and _"
    } else {
        return Ok(());
    };
    Err(Error::InvalidSchemaGroupName {
        name: name.to_string(),
        reason,
    })
}

/// Shortest and longest liveliness probe accepted, in seconds (from src/settings.rs).
pub const PROBE_SECONDS_RANGE: (i64, i64) = (LIVELINESS_PROBE_S.min, LIVELINESS_PROBE_S.max);

/// The in-memory manifest: a store that answers at once. Slots never written read as
/// [`Slot::FREE`]; only the prefix up to the highest generator id ever claimed is kept, so a group
/// uses memory for the ids it handed out, not for all 4096.
#[derive(Debug, Default)]
pub struct MemoryStore {
    slots: Vec<Slot>,
}

impl MemoryStore {
    fn get(&self, id: usize) -> Slot {
        self.slots.get(id).copied().unwrap_or(Slot::FREE)
    }
}

impl SyncStore for MemoryStore {
    fn read_free(
        &mut self,
        from: u16,
        to: u16,
        limit: u16,
        free_before_ms: i64,
    ) -> Vec<(i64, Option<Slot>)> {
        let mut out = Vec::new();
        for id in from as usize..(to as usize).min(GENERATOR_ID_COUNT) {
            if out.len() >= limit as usize {
                break;
            }
            let slot = self.get(id);
            if slot.last_updated_ms < free_before_ms {
                out.push((id as i64, Some(slot)));
            }
        }
        out
    }

    fn compare_and_swap(&mut self, generator_id: u16, expected: &Slot, next: &Slot) -> bool {
        let id = generator_id as usize;
        if id >= GENERATOR_ID_COUNT || self.get(id) != *expected {
            return false;
        }
        if self.slots.len() <= id {
            self.slots.resize(id + 1, Slot::FREE);
        }
        self.slots[id] = *next;
        true
    }
}

/// One schema group kept in memory: its settings and its manifest.
#[derive(Debug)]
pub struct MemorySchemaGroup {
    name: String,
    epoch_unix_ms: i64,
    probe_s: i64,
    store: MemoryStore,
    sessions: u64,
}

impl MemorySchemaGroup {
    /// A new, empty group. The epoch may not lie after `now_unix_ms` (unless the clock reads 0).
    pub fn new(
        name: &str,
        liveliness_probe_s: i64,
        epoch_unix_ms: i64,
        now_unix_ms: i64,
    ) -> Result<Self, Error> {
        validate_schema_group_name(name)?;
        let probe_s = LIVELINESS_PROBE_S.check(Some(liveliness_probe_s))?;
        // A clock reading 0 is not running yet (Cloudflare Workers' global scope, where groups are
        // typically set up): the epoch cannot be judged then, and minting checks it again anyway
        // (CLOCK_BEFORE_EPOCH).
        if now_unix_ms > 0 && epoch_unix_ms > now_unix_ms {
            return Err(Error::EpochInFuture {
                epoch_unix_ms,
                now_unix_ms,
            });
        }
        Ok(MemorySchemaGroup {
            name: name.to_string(),
            epoch_unix_ms,
            probe_s,
            store: MemoryStore::default(),
            sessions: 0,
        })
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's epoch in Unix ms.
    pub fn epoch_unix_ms(&self) -> i64 {
        self.epoch_unix_ms
    }

    /// The group's lease timing.
    pub fn terms(&self) -> LeaseTerms {
        LeaseTerms::from_probe_seconds(self.probe_s)
    }

    /// A fresh session (lease machine) on this group.
    pub fn session(&mut self) -> LeaseMachine {
        self.sessions += 1;
        LeaseMachine::new(
            MachineConfig::memory(&self.name, self.probe_s),
            [self.sessions, 0x5EED],
        )
    }

    /// Runs `machine`'s started operation against this group's manifest.
    pub fn run(&mut self, machine: &mut LeaseMachine, now_unix_ms: i64) -> Outcome {
        machine.run_sync(now_unix_ms, &mut self.store)
    }

    /// How many generator ids are held by live generators at `now_unix_ms`.
    pub fn live_generator_count(&self, now_unix_ms: i64) -> usize {
        let terms = self.terms();
        self.store
            .slots
            .iter()
            .filter(|s| !terms.is_free(s.last_updated_ms, now_unix_ms))
            .count()
    }
}

/// A shared handle on a group: generators keep it to renew and release their leases.
pub type SharedGroup = Rc<RefCell<MemorySchemaGroup>>;

/// The schema groups of one process (one JS realm). A plain list: processes have a handful of
/// groups, and a hash map would add kilobytes to the wasm for no measurable gain.
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    groups: Vec<SharedGroup>,
}

impl MemoryRegistry {
    /// No groups yet.
    pub const fn new() -> Self {
        MemoryRegistry { groups: Vec::new() }
    }

    /// Creates a group; an existing name is an error, as in the original.
    ///
    /// ```
    /// use snowfall_wasm::MemoryRegistry;
    /// let mut registry = MemoryRegistry::default();
    /// let now = 1_700_000_000_000;
    /// registry.create_schema_group("default", 5, 1_577_836_800_000, now).unwrap();
    /// let again = registry.create_schema_group("default", 5, 1_577_836_800_000, now);
    /// assert_eq!(again.unwrap_err().code(), "SCHEMA_GROUP_EXISTS");
    /// ```
    pub fn create_schema_group(
        &mut self,
        name: &str,
        liveliness_probe_s: i64,
        epoch_unix_ms: i64,
        now_unix_ms: i64,
    ) -> Result<SharedGroup, Error> {
        let group = MemorySchemaGroup::new(name, liveliness_probe_s, epoch_unix_ms, now_unix_ms)?;
        if self.find(name).is_some() {
            return Err(Error::SchemaGroupExists {
                name: name.to_string(),
            });
        }
        let shared = Rc::new(RefCell::new(group));
        self.groups.push(shared.clone());
        Ok(shared)
    }

    /// Looks a group up by name.
    pub fn get(&self, name: &str) -> Result<SharedGroup, Error> {
        validate_schema_group_name(name)?;
        self.find(name)
            .map(|i| self.groups[i].clone())
            .ok_or_else(|| Error::SchemaGroupNotFound {
                name: name.to_string(),
            })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.borrow().name == name)
    }

    /// Forgets a group (its live generators keep their handle and keep working).
    pub fn remove(&mut self, name: &str) -> bool {
        match self.find(name) {
            Some(i) => {
                self.groups.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// Keeps one generator's lease in a [`MemorySchemaGroup`]: the group's [`LeaseMachine`] session,
/// run synchronously as the generator asks (no timers: `new Snowfall()` stays synchronous).
pub struct MemoryKeeper {
    group: SharedGroup,
    machine: LeaseMachine,
}

impl MemoryKeeper {
    /// Claims a generator id in `group`, returning the keeper and the lease to adopt.
    pub fn claim(group: SharedGroup, now_unix_ms: i64) -> Result<(Self, Lease), Error> {
        let mut machine = group.borrow_mut().session();
        machine.claim(now_unix_ms);
        let outcome = group.borrow_mut().run(&mut machine, now_unix_ms);
        match outcome {
            Outcome::Leased(lease) => Ok((MemoryKeeper { group, machine }, lease)),
            Outcome::Failed(e) => Err(e),
            Outcome::Lost | Outcome::Released => Err(Error::LeaseExpired {
                generator_id: None,
                window_end_unix_ms: i64::MIN,
            }),
        }
    }
}

impl LeaseKeeper for MemoryKeeper {
    fn renew_interval_ms(&self) -> i64 {
        self.machine.config().terms.liveliness_probe_ms
    }

    fn renew(&mut self, _current: &Lease, now_unix_ms: i64) -> Result<Lease, Error> {
        // keep: renew, or (lost: this generator was idle past its lease and the id was taken)
        // claim another id, whose window starts after that id's previous holders.
        self.machine.keep(now_unix_ms);
        match self.group.borrow_mut().run(&mut self.machine, now_unix_ms) {
            Outcome::Leased(lease) => Ok(lease),
            Outcome::Failed(e) => Err(e),
            Outcome::Lost | Outcome::Released => Err(Error::LeaseExpired {
                generator_id: None,
                window_end_unix_ms: i64::MIN,
            }),
        }
    }

    fn release(&mut self, _lease: &Lease, last_issued_unix_ms: Option<i64>) {
        // The machine's own clock-free release: the time only bounds a deadline here.
        let now = self.machine.lease().map_or(0, |l| l.window_start_unix_ms);
        self.machine.release(now, last_issued_unix_ms);
        let _ = self.group.borrow_mut().run(&mut self.machine, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::generator::{Generator, Settings};
    use crate::layout::{GuidParts, DEFAULT_EPOCH_UNIX_MS};

    const NOW: i64 = DEFAULT_EPOCH_UNIX_MS + 1_000_000;

    fn group(probe_s: i64) -> SharedGroup {
        MemoryRegistry::default()
            .create_schema_group("g", probe_s, DEFAULT_EPOCH_UNIX_MS, NOW)
            .unwrap()
    }

    fn start(group: &SharedGroup, clock: &ManualClock) -> Result<Generator<ManualClock>, Error> {
        let (keeper, lease) = MemoryKeeper::claim(group.clone(), clock.get())?;
        Ok(Generator::with_keeper(
            clock.clone(),
            Settings::default(),
            lease,
            Box::new(keeper),
        ))
    }

    #[test]
    fn hands_out_4096_distinct_ids_lowest_first_then_refuses() {
        let g = group(5);
        let clock = ManualClock::new(NOW);
        let gens: Vec<_> = (0..4096).map(|_| start(&g, &clock).unwrap()).collect();
        for (i, gen) in gens.iter().enumerate() {
            assert_eq!(gen.generator_id(), Some(i as u16));
        }
        assert_eq!(
            start(&g, &clock).err().unwrap().code(),
            "GENERATOR_IDS_EXHAUSTED"
        );
    }

    #[test]
    fn close_frees_at_once_and_successor_starts_after_what_was_minted() {
        let g = group(5);
        let clock = ManualClock::new(NOW);
        let mut a = start(&g, &clock).unwrap();
        let last_a = a.next_id().unwrap();
        a.close();
        let mut b = start(&g, &clock).unwrap();
        assert_eq!(b.generator_id(), Some(0));
        let first_b = b.next_id().unwrap();
        assert!(
            GuidParts::from_guid(first_b).ms_since_epoch
                > GuidParts::from_guid(last_a).ms_since_epoch
        );
    }

    #[test]
    fn dropped_generator_is_reclaimed_after_two_probes_only() {
        let g = group(5);
        let clock = ManualClock::new(NOW);
        let a = start(&g, &clock).unwrap();
        std::mem::forget(a); // dropped without close: stops renewing
        clock.advance(10_000);
        assert_eq!(start(&g, &clock).unwrap().generator_id(), Some(1));
        clock.advance(1);
        assert_eq!(start(&g, &clock).unwrap().generator_id(), Some(0));
    }

    #[test]
    fn active_generator_renews_and_keeps_its_id() {
        let g = group(1);
        let clock = ManualClock::new(NOW);
        let mut a = start(&g, &clock).unwrap();
        for _ in 0..100 {
            clock.advance(500);
            a.next_id().unwrap();
        }
        assert_eq!(a.generator_id(), Some(0));
        assert_eq!(start(&g, &clock).unwrap().generator_id(), Some(1));
    }

    #[test]
    fn idle_generator_whose_id_was_taken_switches_id_and_never_duplicates() {
        let g = group(1);
        let clock = ManualClock::new(NOW);
        let mut a = start(&g, &clock).unwrap();
        let before = a.next_id().unwrap();
        clock.advance(60_000); // a was paused for a minute
        let mut b = start(&g, &clock).unwrap();
        assert_eq!(
            b.generator_id(),
            Some(0),
            "the dead holder's id is reclaimed"
        );
        let from_b = b.next_id().unwrap();
        let from_a = a.next_id().unwrap();
        assert_ne!(
            a.generator_id(),
            Some(0),
            "a must not keep minting with an id it lost"
        );
        assert_ne!(from_a, from_b);
        assert!(from_a > before);
    }

    #[test]
    fn claims_work_while_the_clock_reads_zero_and_renew_once_it_runs() {
        // Cloudflare Workers: Date.now() is 0 at global scope, where generators are made.
        let g = group(5);
        let clock = ManualClock::new(0);
        let mut a = start(&g, &clock).unwrap();
        assert_eq!(a.next_id().unwrap_err().code(), "CLOCK_BEFORE_EPOCH");
        clock.set(NOW);
        assert_eq!(GuidParts::from_guid(a.next_id().unwrap()).generator_id, 0);
        assert_eq!(start(&g, &clock).unwrap().generator_id(), Some(1));
    }

    #[test]
    fn paused_generator_that_gets_its_own_id_back_never_duplicates() {
        // Regression (found by tests/properties.rs): a paused past its lease, b took id 0, minted
        // and closed; a then lost its renewal and claimed the lowest free id: 0 again, with a
        // window after b's ids. a used to treat that as a renewal and mint b's ids once more.
        let g = group(1);
        let clock = ManualClock::new(NOW);
        let mut a = start(&g, &clock).unwrap();
        a.next_id().unwrap();
        clock.advance(60_000);
        let mut b = start(&g, &clock).unwrap();
        assert_eq!(b.generator_id(), Some(0));
        let from_b = b.next_id().unwrap();
        b.close();
        let from_a = a.next_id().unwrap();
        assert_eq!(a.generator_id(), Some(0));
        assert!(from_a > from_b, "{from_a} must come after {from_b}");
    }

    #[test]
    fn a_frozen_clock_borrows_up_to_the_tolerance_renewing_the_window_on_the_way() {
        // Regression: probe 1 s (windows of 2 s), the clock frozen 900 ms after the claim, before
        // the renewal time: ids borrowed past the saved window's end and got LEASE_EXPIRED after
        // 1101 ms, though the keeper could renew at once and the tolerance allows 2000 ms.
        let g = group(1);
        let clock = ManualClock::new(NOW);
        let mut a = start(&g, &clock).unwrap();
        a.next_id().unwrap();
        clock.advance(900);
        let mut last = 0;
        let e = loop {
            match a.next_id() {
                Ok(id) => last = id,
                Err(e) => break e,
            }
        };
        assert_eq!(e.code(), "CLOCK_STALLED", "{e}");
        let ms = GuidParts::from_guid(last).ms_since_epoch as i64;
        assert_eq!(ms + DEFAULT_EPOCH_UNIX_MS, NOW + 900 + 2_000);
        assert_eq!(a.generator_id(), Some(0));
    }

    #[test]
    fn refuses_bad_groups() {
        let mut r = MemoryRegistry::default();
        assert_eq!(
            r.create_schema_group("a-b", 5, 0, NOW).unwrap_err().code(),
            "INVALID_SCHEMA_GROUP_NAME"
        );
        assert_eq!(
            r.create_schema_group("ok", 0, 0, NOW).unwrap_err().code(),
            "OUT_OF_RANGE"
        );
        assert_eq!(
            r.create_schema_group("ok", 5, NOW + 1, NOW)
                .unwrap_err()
                .code(),
            "EPOCH_IN_FUTURE"
        );
        assert_eq!(
            r.get("missing").unwrap_err().code(),
            "SCHEMA_GROUP_NOT_FOUND"
        );
    }
}
