//! The wasm layer's exports exercised from Rust, shared by tests/wasm.rs (Node) and
//! tests/wasm_browser.rs (headless Chromium). Each function is one test; the binaries wrap them in
//! `#[wasm_bindgen_test]`.
//!
//! The exports take and return primitives only (src/wasm/mod.rs): readings are handed in, errors
//! are read back with `take_error()` as "CODE:message". The helpers below follow js/snowfall.js's
//! protocol (spin in the caller when the core waits for the next millisecond).
//!
//! All tests of a binary share one wasm instance, hence one in-memory registry: every test uses
//! its own schema group names.

#![allow(dead_code)]

use js_sys::Date;
use snowfall_wasm::wasm_exports::*;
use snowfall_wasm::{GuidParts, DEFAULT_EPOCH_UNIX_MS, MAX_LOOPING_COUNTER, SPIN_READS};

pub const EPOCH: i64 = DEFAULT_EPOCH_UNIX_MS;

pub fn now() -> f64 {
    Date::now()
}

/// The kept error's code, asserting there is one with a message; returns the message.
pub fn expect_code(code: &str) -> String {
    let text = take_error();
    let (c, message) = text.split_once(':').unwrap_or(("", ""));
    assert_eq!(c, code, "kept error: {text:?}");
    assert!(!message.is_empty(), "{code} without a message");
    assert_eq!(take_error(), "", "an error is handed out once");
    message.to_string()
}

fn failed() -> Result<u64, String> {
    let t = take_error();
    assert!(!t.is_empty(), "a failure without a kept error");
    Err(t)
}

/// Waits as js/snowfall.js `#spinPast` does.
fn spin_past(clock: &mut dyn FnMut() -> f64, ms: f64) -> f64 {
    for _ in 0..SPIN_READS {
        let r = clock();
        if r != ms {
            return r;
        }
    }
    ms
}

/// One id at the readings of `clock`, or the kept error ("CODE:message").
pub fn next_with(g: &mut WasmGenerator, clock: &mut dyn FnMut() -> f64) -> Result<u64, String> {
    let id = g.next_id_at(clock());
    if id != 0 {
        assert_eq!(take_error(), "", "an error kept after success");
        return Ok(id);
    }
    loop {
        let t = take_error();
        if !t.is_empty() {
            return Err(t);
        }
        let waited = g.waiting_past();
        if waited.is_nan() {
            return Ok(0);
        }
        let answer = spin_past(clock, waited);
        let id = g.next_id_spun(answer, waited, answer);
        if id != 0 {
            return Ok(id);
        }
    }
}

/// One id with `Date.now()`.
pub fn next(g: &mut WasmGenerator) -> Result<u64, String> {
    next_with(g, &mut || now())
}

/// `count` ids through the scratch area, chunk by chunk, as js/snowfall.js `#fill` does.
pub fn batch_with(
    g: &mut WasmGenerator,
    count: usize,
    clock: &mut dyn FnMut() -> f64,
) -> Result<Vec<u64>, String> {
    let mut out = Vec::with_capacity(count);
    let (mut reading, mut waited, mut answer) = (clock(), f64::NAN, f64::NAN);
    while out.len() < count {
        let want = (count - out.len()) as u32;
        let made = g.fill_ids(want, reading, waited, answer, out.is_empty());
        out.extend(WasmGenerator::scratch_ids(made));
        (waited, answer) = (f64::NAN, f64::NAN);
        if out.len() == count {
            break;
        }
        if made < want.min(1 << 16) {
            let t = take_error();
            if !t.is_empty() {
                return Err(t);
            }
            let w = g.waiting_past();
            if !w.is_nan() {
                waited = w;
                answer = spin_past(clock, w);
                reading = answer;
                continue;
            }
        }
        reading = clock();
    }
    Ok(out)
}

pub fn batch(g: &mut WasmGenerator, count: usize) -> Result<Vec<u64>, String> {
    batch_with(g, count, &mut || now())
}

pub fn memory_generator_at(
    group: &str,
    reading: f64,
    tolerance: f64,
) -> Result<WasmGenerator, String> {
    let mut g = WasmGenerator::new(0.0, tolerance);
    if g.claim_memory(group, reading, now()) {
        Ok(g)
    } else {
        Err(take_error())
    }
}

pub fn memory_generator(group: &str) -> WasmGenerator {
    memory_generator_at(group, now(), 2_000.0)
        .unwrap_or_else(|e| panic!("claimMemory({group}): {e}"))
}

fn create(name: &str, probe_s: f64) {
    assert!(
        create_memory_schema_group(name, probe_s, EPOCH as f64, now()),
        "{}",
        take_error()
    );
}

/// A clock the test sets: `Rc<Cell<f64>>` read by a closure.
#[derive(Clone)]
pub struct ManualClock(std::rc::Rc<std::cell::Cell<f64>>);

impl ManualClock {
    pub fn new(t: f64) -> Self {
        ManualClock(std::rc::Rc::new(std::cell::Cell::new(t)))
    }
    pub fn set(&self, t: f64) {
        self.0.set(t)
    }
    pub fn reader(&self) -> impl FnMut() -> f64 {
        let c = self.0.clone();
        move || c.get()
    }
}

// --- in-memory schema groups ------------------------------------------------------------------

pub fn memory_schema_groups_are_created_once_and_checked() {
    let name = "wt_groups";
    assert!(!memory_schema_group_exists(name));
    create(name, 2.0);
    assert!(memory_schema_group_exists(name));
    assert!(!create_memory_schema_group(name, 2.0, EPOCH as f64, now()));
    expect_code("SCHEMA_GROUP_EXISTS");
    let status = memory_schema_group_status(name, now()).unwrap();
    assert_eq!(status, vec![EPOCH as f64, 2.0, 0.0]);
    let mut g = memory_generator(name);
    next(&mut g).unwrap();
    assert_eq!(memory_schema_group_status(name, now()).unwrap()[2], 1.0);
    g.close();
    assert_eq!(memory_schema_group_status(name, now()).unwrap()[2], 0.0);
    assert_eq!(drop_memory_schema_group(name, now()), 1);
    assert_eq!(drop_memory_schema_group(name, now()), 0);
    assert_eq!(memory_schema_group_status(name, now()), None);
    expect_code("SCHEMA_GROUP_NOT_FOUND");

    assert!(!create_memory_schema_group(
        "x; DROP TABLE t",
        5.0,
        EPOCH as f64,
        now()
    ));
    let m = expect_code("INVALID_SCHEMA_GROUP_NAME");
    assert!(m.contains("DROP TABLE"), "{m}");
    assert!(!create_memory_schema_group(
        &"a".repeat(44),
        5.0,
        EPOCH as f64,
        now()
    ));
    expect_code("INVALID_SCHEMA_GROUP_NAME");
    create(&"a".repeat(43), 5.0);
    for probe in [0.0, 86_401.0] {
        assert!(!create_memory_schema_group(
            "wt_bad",
            probe,
            EPOCH as f64,
            now()
        ));
        expect_code("OUT_OF_RANGE");
    }
    assert!(!create_memory_schema_group(
        "wt_bad",
        5.0,
        now() + 3_600_000.0,
        now()
    ));
    expect_code("EPOCH_IN_FUTURE");
    // Numbers JS never passes (it checks first) are refused here too, not taken for something.
    assert!(!create_memory_schema_group("wt_bad", 5.0, f64::NAN, now()));
    expect_code("INVALID_TYPE");
    assert!(!memory_schema_group_exists("wt_bad"));
    assert!(!memory_schema_group_exists("not a name"));
}

pub fn a_group_with_live_generators_cannot_be_dropped() {
    // Regression: dropping "g" under a live generator, then creating "g" again, handed out
    // generator id 0 a second time: two generators minting the same ids.
    let name = "wt_drop_live";
    create(name, 5.0);
    let mut a = memory_generator(name);
    assert_eq!(a.generator_id(), Some(0));
    assert_eq!(drop_memory_schema_group(name, now()), 2);
    let m = expect_code("SCHEMA_GROUP_IN_USE");
    assert!(
        m.contains("1 live generator") && m.contains("close()"),
        "{m}"
    );
    assert!(memory_schema_group_exists(name), "refused means kept");
    let mut b = memory_generator(name);
    assert_eq!(b.generator_id(), Some(1), "the same group: the next id");
    let ids_a = batch(&mut a, 5_000).unwrap();
    let ids_b = batch(&mut b, 5_000).unwrap();
    let mut all: Vec<u64> = ids_a.iter().chain(&ids_b).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 10_000);
    a.close();
    assert_eq!(drop_memory_schema_group(name, now()), 2, "b still lives");
    expect_code("SCHEMA_GROUP_IN_USE");
    b.close();
    assert_eq!(drop_memory_schema_group(name, now()), 1);
    create(name, 5.0);
    assert_eq!(memory_generator(name).generator_id(), Some(0));
}

pub fn a_generator_idle_past_its_lease_cannot_renew_in_a_dropped_group() {
    // A generator idle for two probes is not live: its group may be dropped and made again. Its
    // next id must not come from a renewal in the old group, with the same generator id (0) as
    // the new group's first generator: the two would mint the same ids.
    let name = "wt_drop_stale";
    let t = now().floor();
    assert!(create_memory_schema_group(name, 1.0, EPOCH as f64, t));
    let mut a = memory_generator_at(name, t, 2_000.0).unwrap();
    assert_eq!(a.generator_id(), Some(0));
    next_with(&mut a, &mut || t).unwrap();
    let later = t + 3_000.0;
    assert_eq!(drop_memory_schema_group(name, later), 1);
    assert!(create_memory_schema_group(name, 1.0, EPOCH as f64, later));
    let mut b = memory_generator_at(name, later, 2_000.0).unwrap();
    assert_eq!(b.generator_id(), Some(0));
    let id_b = next_with(&mut b, &mut || later).unwrap();
    let from_a = next_with(&mut a, &mut || later);
    assert_ne!(from_a, Ok(id_b), "a duplicate of the new group's id");
    let e = from_a.unwrap_err();
    assert!(e.starts_with("SCHEMA_GROUP_NOT_FOUND:"), "{e}");
    b.close();
}

// --- generators on in-memory groups ------------------------------------------------------------

pub fn memory_generators_get_distinct_ids_and_increasing_guids() {
    let name = "wt_memory";
    create(name, 5.0);
    let mut a = memory_generator(name);
    let mut b = memory_generator(name);
    assert_eq!((a.generator_id(), b.generator_id()), (Some(0), Some(1)));
    assert_eq!(a.epoch_unix_ms(), EPOCH as f64);
    assert_eq!(a.last_issued_unix_ms(), -1.0);
    let mut seen = std::collections::HashSet::new();
    let (mut last_a, mut last_b) = (0, 0);
    for _ in 0..20_000 {
        let (x, y) = (next(&mut a).unwrap(), next(&mut b).unwrap());
        assert!(x > last_a && y > last_b);
        assert_eq!(GuidParts::from_guid(x).generator_id, 0);
        assert_eq!(GuidParts::from_guid(y).generator_id, 1);
        assert!(seen.insert(x) && seen.insert(y));
        (last_a, last_b) = (x, y);
    }
    // The id's time is the clock's (Date.now()), within the default tolerance.
    let unix_ms = EPOCH as f64 + GuidParts::from_guid(last_a).ms_since_epoch as f64;
    assert!((unix_ms - now()).abs() <= 2_000.0, "{unix_ms} vs {}", now());
    assert_eq!(a.last_issued_unix_ms(), unix_ms);
    let window = a.lease_window().unwrap();
    assert!(window[0] <= unix_ms && unix_ms <= window[1], "{window:?}");

    // A batch continues the sequence, through chunks of the scratch area (> 64 Ki ids).
    let ids = batch(&mut a, 150_000).unwrap();
    assert_eq!(ids.len(), 150_000);
    assert!(ids[0] > last_a);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert!(ids
        .iter()
        .all(|&id| GuidParts::from_guid(id).generator_id == 0 && seen.insert(id)));
    assert!(next(&mut a).unwrap() > ids[149_999]);
    // One call never makes more than a chunk.
    assert!(a.fill_ids(1 << 20, now(), f64::NAN, f64::NAN, true) <= 1 << 16);
    let _ = take_error();
    let _ = a.waiting_past();

    // close: refuses at once, and the id is free at once for the next generator, whose ids come
    // after the closed one's.
    let last = next(&mut a).unwrap();
    a.close();
    assert!(a.closed());
    assert_eq!(a.generator_id(), None);
    assert!(next(&mut a).unwrap_err().starts_with("GENERATOR_CLOSED:"));
    assert!(batch(&mut a, 3)
        .unwrap_err()
        .starts_with("GENERATOR_CLOSED:"));
    assert!(!a.adopt_lease_at(0.0, 0.0, 1e15));
    expect_code("GENERATOR_CLOSED");
    a.close(); // twice is fine
    let mut c = memory_generator(name);
    assert_eq!(c.generator_id(), Some(0));
    assert!(next(&mut c).unwrap() > last);
    b.close();
    c.close();
}

pub fn default_group_is_created_on_first_use_and_unknown_groups_are_refused() {
    let mut g = memory_generator("default");
    assert!(g.generator_id().is_some());
    assert!(next(&mut g).unwrap() > 0);
    g.close();
    assert!(memory_schema_group_exists("default"));
    let e = memory_generator_at("wt_missing", now(), 2_000.0)
        .err()
        .unwrap();
    assert!(
        e.starts_with("SCHEMA_GROUP_NOT_FOUND:") && e.contains("wt_missing"),
        "{e}"
    );
    let e = memory_generator_at("no-dash", now(), 2_000.0)
        .err()
        .unwrap();
    assert!(e.starts_with("INVALID_SCHEMA_GROUP_NAME:"), "{e}");
}

pub fn all_4096_generator_ids_then_exhausted() {
    let name = "wt_exhaust";
    create(name, 5.0);
    let gens: Vec<_> = (0..4096).map(|_| memory_generator(name)).collect();
    assert_eq!(gens[4095].generator_id(), Some(4095));
    let e = memory_generator_at(name, now(), 2_000.0).err().unwrap();
    assert!(
        e.starts_with("GENERATOR_IDS_EXHAUSTED:") && e.contains(name),
        "{e}"
    );
    for mut g in gens {
        g.close();
    }
    assert_eq!(memory_generator(name).generator_id(), Some(0));
}

// --- clocks (readings handed in) ---------------------------------------------------------------

pub fn a_frozen_clock_borrows_up_to_the_tolerance_then_clock_stalled() {
    let name = "wt_frozen";
    create(name, 5.0);
    let t = now().floor();
    let clock = ManualClock::new(t);
    let mut read = clock.reader();
    let mut g = memory_generator_at(name, t, 1.0).unwrap();
    // 2048 ids in the clock's ms, 2048 borrowed from the next: then the tolerance is used up.
    let per_ms = MAX_LOOPING_COUNTER as usize + 1;
    let mut last = 0;
    for i in 0..2 * per_ms {
        let id = next_with(&mut g, &mut read).unwrap_or_else(|e| panic!("id {i}: {e}"));
        assert!(id > last);
        last = id;
    }
    assert_eq!(
        EPOCH as f64 + GuidParts::from_guid(last).ms_since_epoch as f64,
        t + 1.0
    );
    let e = next_with(&mut g, &mut read).unwrap_err();
    assert!(
        e.starts_with("CLOCK_STALLED:") && e.contains("clockToleranceMs"),
        "{e}"
    );
    assert!(batch_with(&mut g, 10, &mut read)
        .unwrap_err()
        .starts_with("CLOCK_STALLED:"));
    // The clock moves: it recovers.
    clock.set(t + 2.0);
    assert!(next_with(&mut g, &mut read).unwrap() > last);
    g.close();
}

pub fn a_running_clock_is_waited_for_when_a_millisecond_is_used_up() {
    // The core stops and asks for a spin (waitingPast); the caller's clock then moves on.
    let name = "wt_running";
    create(name, 5.0);
    let t = now().floor();
    let clock = ManualClock::new(t);
    let c = clock.clone();
    let mut reads = 0u32;
    // Moves 1 ms every 1000 reads.
    let mut read = move || {
        reads += 1;
        if reads % 1_000 == 0 {
            c.set(c.0.get() + 1.0);
        }
        c.0.get()
    };
    let mut g = memory_generator_at(name, t, 0.0).unwrap();
    let ids = batch_with(&mut g, 3 * 2048 + 5, &mut read).unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let ms: Vec<u64> = ids
        .iter()
        .map(|&id| GuidParts::from_guid(id).ms_since_epoch)
        .collect();
    assert_eq!(
        ms[0] + 3,
        ms[ms.len() - 1],
        "waited, with tolerance 0 never borrowed"
    );
    let mut last = *ids.last().unwrap();
    for _ in 0..3 * 2048 {
        let id = next_with(&mut g, &mut read).unwrap();
        assert!(id > last);
        last = id;
    }
    g.close();
}

pub fn a_clock_stepping_back_is_ridden_out_within_the_tolerance_then_named() {
    let name = "wt_backwards";
    create(name, 5.0);
    let t = now().floor();
    let clock = ManualClock::new(t);
    let mut read = clock.reader();
    let mut g = memory_generator_at(name, t, 50.0).unwrap();
    let a = next_with(&mut g, &mut read).unwrap();
    clock.set(t - 50.0);
    let b = next_with(&mut g, &mut read).unwrap();
    assert!(
        b > a,
        "a step back within the tolerance continues from the last id"
    );
    clock.set(t - 51.0);
    let e = next_with(&mut g, &mut read).unwrap_err();
    assert!(
        e.starts_with("CLOCK_MOVED_BACKWARDS:") && e.contains("51 ms"),
        "{e}"
    );
    clock.set(t + 1.0);
    assert!(next_with(&mut g, &mut read).unwrap() > b);
    g.close();
}

pub fn bad_readings_are_typed_errors_and_change_nothing() {
    let name = "wt_bad_clocks";
    create(name, 5.0);
    for bad in [f64::NAN, f64::INFINITY, -1e300, 8.64e15 + 1.0] {
        let e = memory_generator_at(name, bad, 2_000.0).err().unwrap();
        assert!(e.starts_with("INVALID_CLOCK_READING:"), "{e}");
    }
    let mut g = memory_generator(name);
    let a = next(&mut g).unwrap();
    for bad in [f64::NAN, f64::NEG_INFINITY, -1e300] {
        assert_eq!(g.next_id_at(bad), 0);
        expect_code("INVALID_CLOCK_READING");
        assert_eq!(g.fill_ids(5, bad, f64::NAN, f64::NAN, true), 0);
        expect_code("INVALID_CLOCK_READING");
    }
    assert!(next(&mut g).unwrap() > a);
    g.close();
    // A monotonic clock (performance.now()-like, far before the epoch): never an id. In a group of
    // its own: a fresh slot's window starts at Unix ms 1, before the epoch.
    let fresh = "wt_monotonic_clock";
    create(fresh, 5.0);
    let mut g = memory_generator_at(fresh, 1_234.0, 2_000.0).unwrap();
    assert!(next_with(&mut g, &mut || 1_234.0)
        .unwrap_err()
        .starts_with("CLOCK_BEFORE_EPOCH:"));
    assert!(batch_with(&mut g, 4, &mut || 1_234.0)
        .unwrap_err()
        .starts_with("CLOCK_BEFORE_EPOCH:"));
    g.close();
}

// --- external generators + adoptLeaseAt --------------------------------------------------------

pub fn external_generators_mint_only_inside_adopted_leases() {
    let clock = ManualClock::new(10_000.0);
    let mut read = clock.reader();
    let mut g = WasmGenerator::new(0.0, 2_000.0);
    assert_eq!(g.epoch_unix_ms(), 0.0);
    assert_eq!(g.generator_id(), None);
    assert!(g.lease_window().is_none());
    let e = next_with(&mut g, &mut read).unwrap_err();
    assert!(
        e.starts_with("LEASE_EXPIRED:") && e.contains("no generator id lease"),
        "{e}"
    );

    assert!(g.adopt_lease_at(7.0, 9_000.0, 12_000.0));
    assert_eq!(g.generator_id(), Some(7));
    assert_eq!(g.lease_window(), Some(vec![9_000.0, 12_000.0]));
    let a = next_with(&mut g, &mut read).unwrap();
    assert_eq!(
        GuidParts::from_guid(a),
        GuidParts {
            ms_since_epoch: 10_000,
            looping_counter: 0,
            generator_id: 7
        }
    );
    assert_eq!(g.last_issued_unix_ms(), 10_000.0);
    clock.set(12_001.0);
    let e = next_with(&mut g, &mut read).unwrap_err();
    assert!(
        e.starts_with("LEASE_EXPIRED:") && e.contains("12000"),
        "{e}"
    );
    // A renewal: the window grows and minting goes on.
    assert!(g.adopt_lease_at(7.0, 9_000.0, 20_000.0));
    let b = next_with(&mut g, &mut read).unwrap();
    assert_eq!(GuidParts::from_guid(b).ms_since_epoch, 12_001);
    // Another generator id whose window starts later: ids follow its window.
    clock.set(14_000.0);
    assert!(g.adopt_lease_at(3.0, 15_000.0, 30_000.0));
    let c = next_with(&mut g, &mut read).unwrap();
    assert_eq!(
        GuidParts::from_guid(c),
        GuidParts {
            ms_since_epoch: 15_000,
            looping_counter: 0,
            generator_id: 3
        }
    );
    assert!(c > b);

    g.revoke_lease();
    assert!(next_with(&mut g, &mut read)
        .unwrap_err()
        .starts_with("LEASE_EXPIRED:"));
    for (id, start, end, code) in [
        (4096.0, 0.0, 1.0, "OUT_OF_RANGE"),
        (-1.0, 0.0, 1.0, "OUT_OF_RANGE"),
        (f64::NAN, 0.0, 1.0, "OUT_OF_RANGE"),
        (7.0, f64::NAN, 1.0, "INVALID_TYPE"),
        (7.0, 0.0, f64::INFINITY, "INVALID_TYPE"),
    ] {
        assert!(!g.adopt_lease_at(id, start, end));
        expect_code(code);
    }
    g.close();
    assert!(!g.adopt_lease_at(7.0, 0.0, 1e15));
    expect_code("GENERATOR_CLOSED");
    assert!(next_with(&mut g, &mut read)
        .unwrap_err()
        .starts_with("GENERATOR_CLOSED:"));
}
