//! The `Generator` class JS sees: a core [`crate::Generator`] whose clock readings JS hands in.
//!
//! The wasm never reads a clock. Every minting call takes the reading JS made (`Date.now()`, or
//! the user's clock through js/clock.js `readClock`). When the core needs more than that one
//! reading — a millisecond's 2048 ids are used up and it must wait for the next millisecond, or a
//! batch moves on to another millisecond — it stops instead, and says so: `waitingPast()` is the
//! reading JS must spin past (JS reads the clock up to `SPIN_READS` times and calls again with
//! what it saw: `nextIdSpun` / `fillIds(.., waited, answer)`), and a batch that stopped short
//! with neither an error nor a wait wants a fresh reading. The core's logic is unchanged: a spin
//! answered by JS is the same spin (src/generator.rs `spin_past`, `Clock::wait_past`).

use alloc::{boxed::Box, string::String, vec, vec::Vec};
use core::cell::{Cell, UnsafeCell};
use wasm_bindgen::prelude::*;

use super::{fail, unix_ms, Global};
use crate::{
    Clock, Error, Generator, Lease, LeaseKeeper, MemoryKeeper, Settings, SharedGroup,
    MAX_GENERATOR_ID,
};

/// Largest batch one `fillIds` call makes: the scratch area is at most this many ids (512 KiB),
/// whatever the batch size; js/snowfall.js copies each chunk out before asking for the next.
pub const CHUNK_IDS: usize = 1 << 16;

/// The scratch area of every generator (one JS realm runs one call at a time).
static SCRATCH: Global<UnsafeCell<Vec<u64>>> = Global(UnsafeCell::new(Vec::new()));

/// Where `statsAt` writes the counters.
static STATS: Global<Cell<[f64; 9]>> = Global(Cell::new([0.0; 9]));

/// Where `fillIds` put its ids (valid until the next `fillIds`).
#[wasm_bindgen(js_name = scratchAddress)]
pub fn scratch_address() -> u32 {
    // Safety: a leaf.
    unsafe { SCRATCH.with_mut(|s| s.as_ptr() as u32) }
}

/// Readings handed in by JS, one call at a time.
#[derive(Default)]
pub(crate) struct JsClock {
    /// The reading of this call, taken by the first read.
    reading: Option<i64>,
    /// `(waited, answer)`: JS spun past `waited` and saw `answer`.
    spun: Option<(i64, i64)>,
    /// The reading the core asked JS to spin past.
    waiting: Option<i64>,
}

/// What the clock returns when it has no reading: not an error JS ever sees (an empty `got`
/// marks it); the call stops and JS supplies the reading.
fn reading_needed() -> Error {
    Error::InvalidClockReading { got: String::new() }
}

fn is_reading_needed(e: &Error) -> bool {
    matches!(e, Error::InvalidClockReading { got } if got.is_empty())
}

impl Clock for JsClock {
    #[inline(always)]
    fn unix_ms(&mut self) -> Result<i64, Error> {
        self.reading.take().ok_or_else(reading_needed)
    }

    fn wait_past(&mut self, unix_ms: i64) -> Result<i64, Error> {
        match self.spun {
            Some((waited, answer)) if waited == unix_ms => Ok(answer),
            _ => {
                self.waiting = Some(unix_ms);
                Err(reading_needed())
            }
        }
    }
}

#[inline(always)]
fn clock_reading(n: f64) -> Result<i64, Error> {
    super::whole_ms(n).ok_or_else(bad_clock_reading)
}

/// The error of a reading outside the Date range: out of line (cold, and built once, not at
/// every `clock_reading`).
#[cold]
#[inline(never)]
fn bad_clock_reading() -> Error {
    Error::InvalidClockReading {
        got: "a number outside the Date range (+-8.64e15 ms)".into(),
    }
}

/// A [`MemoryKeeper`] that renews only while its schema group is still the one registered under
/// its name: a generator left idle past its lease while its group was dropped (allowed: it was no
/// longer live) and made again must not renew in the old group and mint beside the new group's
/// holder of the same generator id.
struct RegisteredKeeper {
    inner: MemoryKeeper,
    group: SharedGroup,
}

impl LeaseKeeper for RegisteredKeeper {
    fn renew_interval_ms(&self) -> i64 {
        self.inner.renew_interval_ms()
    }

    fn renew(&mut self, current: &Lease, now_unix_ms: i64) -> Result<Lease, Error> {
        if !super::groups::is_registered(&self.group) {
            return Err(Error::SchemaGroupNotFound {
                name: self.group.borrow().name().into(),
            });
        }
        self.inner.renew(current, now_unix_ms)
    }

    fn release(&mut self, lease: &Lease, last_issued_unix_ms: Option<i64>) {
        self.inner.release(lease, last_issued_unix_ms)
    }
}

/// A core generator for JS. Internal: the public class is `Snowfall` (js/snowfall.js), and
/// js/core.js adds the checked JS methods (`Generator.external`, `adoptLease`).
#[wasm_bindgen(js_name = Generator)]
pub struct WasmGenerator {
    inner: Generator<JsClock>,
}

#[wasm_bindgen(js_class = Generator)]
impl WasmGenerator {
    /// A generator without a lease: it mints once a syncer hands one in (`adoptLeaseAt`), or after
    /// `claimMemory`. Both numbers are checked by js/core.js (whole ms, tolerance 0..=1 day).
    #[wasm_bindgen(constructor)]
    pub fn new(epoch_unix_ms: f64, clock_tolerance_ms: f64) -> WasmGenerator {
        let settings = Settings {
            epoch_unix_ms: unix_ms("epochStartDate", epoch_unix_ms).unwrap_or(0),
            clock_tolerance_ms: unix_ms("clockToleranceMs", clock_tolerance_ms)
                .unwrap_or(0)
                .clamp(0, 86_400_000),
        };
        WasmGenerator {
            inner: Generator::new(JsClock::default(), settings),
        }
    }

    /// Claims a generator id in the in-memory schema group `name` (created on first use if it is
    /// "default", at `wall_unix_ms`) with the generator's clock reading `now_unix_ms`, and takes
    /// the group's epoch. False on failure, with the error kept for `takeError`.
    #[wasm_bindgen(js_name = claimMemory)]
    pub fn claim_memory(&mut self, name: &str, now_unix_ms: f64, wall_unix_ms: f64) -> bool {
        let claimed = (|| {
            let now = clock_reading(now_unix_ms)?;
            let group = super::groups::find(name, unix_ms("Date.now()", wall_unix_ms)?)?;
            let epoch = group.borrow().epoch_unix_ms();
            let (inner, lease) = MemoryKeeper::claim(group.clone(), now)?;
            Ok::<_, Error>((epoch, RegisteredKeeper { inner, group }, lease, now))
        })();
        match claimed {
            Ok((epoch_unix_ms, keeper, lease, now)) => {
                let settings = Settings {
                    epoch_unix_ms,
                    ..*self.inner.settings()
                };
                let clock = JsClock {
                    reading: Some(now),
                    ..JsClock::default()
                };
                self.inner = Generator::with_keeper(clock, settings, lease, Box::new(keeper));
                self.inner.clock_mut().reading = None;
                true
            }
            Err(e) => fail(e),
        }
    }

    /// The next id (a bigint) at the clock reading `now_unix_ms`, or 0 on failure (the error kept
    /// for `takeError`, or `waitingPast()` set).
    ///
    /// Not a `Result`: wasm-bindgen returns a `Result<u64, _>` through a stack slot read with a
    /// DataView, which costs more than making the id (measured when this binding was written). The JS
    /// wrapper checks for 0 (an id that is also valid: the epoch's first ms, generator 0).
    #[wasm_bindgen(js_name = nextIdAt)]
    pub fn next_id_at(&mut self, now_unix_ms: f64) -> u64 {
        match clock_reading(now_unix_ms) {
            Ok(ms) => self.inner.clock_mut().reading = Some(ms),
            Err(e) => return fail(e) as u64,
        }
        match self.inner.next_id() {
            Ok(id) => id,
            Err(e) => self.failed(e),
        }
    }

    /// `nextIdAt` after JS spun past `waited` (the last `waitingPast()`) and saw `answer`.
    #[wasm_bindgen(js_name = nextIdSpun)]
    pub fn next_id_spun(&mut self, now_unix_ms: f64, waited: f64, answer: f64) -> u64 {
        match (clock_reading(waited), clock_reading(answer)) {
            (Ok(w), Ok(a)) => self.inner.clock_mut().spun = Some((w, a)),
            (Err(e), _) | (_, Err(e)) => return fail(e) as u64,
        }
        let id = self.next_id_at(now_unix_ms);
        self.inner.clock_mut().spun = None;
        id
    }

    #[cold]
    #[inline(never)]
    fn failed(&mut self, e: Error) -> u64 {
        let clock = self.inner.clock_mut();
        clock.reading = None;
        if !is_reading_needed(&e) {
            clock.waiting = None;
            fail(e);
        }
        0
    }

    /// The Unix ms reading the last call stopped to have JS spin past (then forgotten), or NaN.
    #[wasm_bindgen(js_name = waitingPast)]
    pub fn waiting_past(&mut self) -> f64 {
        self.inner
            .clock_mut()
            .waiting
            .take()
            .map_or(f64::NAN, |ms| ms as f64)
    }

    /// Makes up to `count` ids (at most [`CHUNK_IDS`]) into the scratch area (`scratchAddress`),
    /// starting at the reading `now_unix_ms` (and, when `waited` is not NaN, with JS's answer to
    /// the last wait), and returns how many it made. Fewer than asked: an error was kept for
    /// `takeError`, or `waitingPast()` is set, or else the batch needs a fresh reading (it moved
    /// on to another millisecond).
    ///
    /// A batch is all or nothing from its last mark: `mark` (the batch's first call, and a call
    /// after ids were handed to the caller) remembers the generator's state, and a call that
    /// fails returns 0 with the generator back at that mark: the ids the batch made since are
    /// taken back (js/snowfall.js never exposed them). Otherwise the ids made are valid.
    #[wasm_bindgen(js_name = fillIds)]
    pub fn fill_ids(
        &mut self,
        count: u32,
        now_unix_ms: f64,
        waited: f64,
        answer: f64,
        mark: bool,
    ) -> u32 {
        let n = (count as usize).min(CHUNK_IDS);
        // Grown first, whatever this call's outcome: js/wasm-memory.js reuses its view of the area
        // (no `scratchAddress` call per batch) until a call asks for more ids than any before,
        // the only call that can move it.
        // Safety: a leaf.
        unsafe {
            SCRATCH.with_mut(|s| {
                if s.len() < n {
                    s.resize(n, 0);
                }
            })
        };
        if mark {
            self.inner.mark();
        }
        let clock = self.inner.clock_mut();
        match clock_reading(now_unix_ms) {
            Ok(ms) => clock.reading = Some(ms),
            Err(e) => return fail(e) as u32,
        }
        if waited == waited {
            match (clock_reading(waited), clock_reading(answer)) {
                (Ok(w), Ok(a)) => clock.spun = Some((w, a)),
                (Err(e), _) | (_, Err(e)) => {
                    clock.reading = None;
                    return fail(e) as u32;
                }
            }
        }
        // Safety: the core generator (and its keeper, which reads only the registry) never
        // reaches SCRATCH.
        let (made, error) = unsafe {
            SCRATCH.with_mut(|s| {
                // `get_mut`: in bounds after the resize, without a panicking index (wasm bytes).
                self.inner.fill_some(s.get_mut(..n).unwrap_or_default())
            })
        };
        let clock = self.inner.clock_mut();
        clock.spun = None;
        if let Some(e) = error {
            if !is_reading_needed(&e) {
                self.inner.rollback();
                self.failed(e);
                return 0;
            }
            self.failed(e);
        }
        self.inner.clock_mut().reading = None;
        made as u32
    }

    /// Writes the counters of [`crate::GeneratorStats`], in its field order, then the generator
    /// id, the lease window's end and the last id's Unix ms (each -1 when none), as 9 f64s at the
    /// returned address (valid until the next call; js/snowfall.js `stats` reads them at once).
    #[wasm_bindgen(js_name = statsAt)]
    pub fn stats_at(&self) -> u32 {
        let s = self.inner.stats();
        STATS.with(|out| {
            out.set([
                s.ids_made as f64,
                s.borrowed_ms as f64,
                s.clock_steps_back as f64,
                s.renewals_ok as f64,
                s.renewals_failed as f64,
                s.generator_id_switches as f64,
                self.inner.generator_id().map_or(-1.0, f64::from),
                self.inner
                    .lease()
                    .map_or(-1.0, |l| l.window_end_unix_ms as f64),
                self.last_issued_unix_ms(),
            ]);
            out.as_ptr() as u32
        })
    }

    /// The generator id held, or undefined when none is.
    #[wasm_bindgen(getter, js_name = generatorId)]
    pub fn generator_id(&self) -> Option<u16> {
        self.inner.generator_id()
    }

    /// The schema group's epoch in Unix ms.
    #[wasm_bindgen(getter, js_name = epochUnixMs)]
    pub fn epoch_unix_ms(&self) -> f64 {
        self.inner.settings().epoch_unix_ms as f64
    }

    /// Unix ms of the last issued id's timestamp, or -1 before the first id.
    #[wasm_bindgen(getter, js_name = lastIssuedUnixMs)]
    pub fn last_issued_unix_ms(&self) -> f64 {
        self.inner
            .last_issued_unix_ms()
            .map_or(-1.0, |ms| ms as f64)
    }

    /// `[windowStartUnixMs, windowEndUnixMs]` of the lease held, or undefined.
    #[wasm_bindgen(getter, js_name = leaseWindow)]
    pub fn lease_window(&self) -> Option<Vec<f64>> {
        self.inner
            .lease()
            .map(|l| vec![l.window_start_unix_ms as f64, l.window_end_unix_ms as f64])
    }

    /// Adopts a lease a syncer has saved (a renewal of the same generator id, or another id and
    /// its window together); the numbers are checked by js/core.js `adoptLease`. False on failure.
    #[wasm_bindgen(js_name = adoptLeaseAt)]
    pub fn adopt_lease_at(
        &mut self,
        generator_id: f64,
        window_start_unix_ms: f64,
        window_end_unix_ms: f64,
    ) -> bool {
        if self.inner.is_closed() {
            return fail(Error::GeneratorClosed);
        }
        if !(0.0..=MAX_GENERATOR_ID as f64).contains(&generator_id) {
            return fail(Error::out_of_range(
                "generatorId",
                0,
                MAX_GENERATOR_ID as u64,
                "another number",
            ));
        }
        let window = (
            unix_ms("windowStartUnixMs", window_start_unix_ms),
            unix_ms("windowEndUnixMs", window_end_unix_ms),
        );
        let (window_start_unix_ms, window_end_unix_ms) = match window {
            (Ok(s), Ok(e)) => (s, e),
            (Err(e), _) | (_, Err(e)) => return fail(e),
        };
        self.inner.adopt_lease(Lease {
            generator_id: generator_id as u16,
            window_start_unix_ms,
            window_end_unix_ms,
        });
        true
    }

    /// Stops minting at once (the lease was lost).
    #[wasm_bindgen(js_name = revokeLease)]
    pub fn revoke_lease(&mut self) {
        self.inner.revoke_lease();
    }

    /// Releases the generator id (in-memory groups: at once) and refuses every later call.
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// Whether `close` was called.
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// For the wasm tests (tests/wasm_common): not exported to JS.
impl WasmGenerator {
    /// The ids of the last `fillIds` that made `made` ids.
    pub fn scratch_ids(made: u32) -> Vec<u64> {
        // Safety: a leaf.
        unsafe { SCRATCH.with_mut(|s| s[..made as usize].to_vec()) }
    }
}
