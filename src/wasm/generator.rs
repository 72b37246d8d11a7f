//! The `Generator` class JS sees: a core [`crate::Generator`] reading the JS clock.

use alloc::{boxed::Box, string::ToString, vec, vec::Vec};
use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::convert::{epoch_option, error_to_js, finite_ms, integer_arg, Options};
use crate::{
    Clock, Error, Generator, Lease, MemoryKeeper, Settings, DEFAULT_CLOCK_TOLERANCE_MS,
    MAX_GENERATOR_ID,
};

/// Largest batch `nextIds` makes in one call (128 MiB of ids).
const MAX_BATCH: i64 = 1 << 24;
/// Largest `nextIds` buffer kept between calls (512 KiB).
const KEPT_BUFFER_IDS: usize = 1 << 16;
/// Largest clock tolerance accepted: one day.
const MAX_TOLERANCE_MS: i64 = 86_400_000;

/// The JS clock: `Date.now()` read lazily on each id (never at module load: Workers read 0 there),
/// or a user's function returning Unix ms. The JS wrapper usually reads the clock itself and hands
/// the reading in (`nextIdAt`): a JS call to `Date.now()` is cheaper than wasm calling out to JS.
pub(crate) struct JsClock {
    source: Option<Function>,
    handed_in: Option<f64>,
}

impl JsClock {
    fn read(&self) -> Result<f64, Error> {
        let Some(f) = &self.source else {
            return Ok(js_sys::Date::now());
        };
        let v = f
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| Error::InvalidClockReading {
                got: ["an exception (", &super::convert::describe(&e), ")"].concat(),
            })?;
        v.as_f64().ok_or_else(|| Error::InvalidClockReading {
            got: super::convert::describe(&v),
        })
    }
}

impl Clock for JsClock {
    #[inline(always)]
    fn unix_ms(&mut self) -> Result<i64, Error> {
        // The reading handed in serves the first read of a call; later ones (the bounded wait
        // for the next millisecond) read the clock itself.
        let ms = match self.handed_in.take() {
            Some(ms) => ms,
            None => self.read()?,
        };
        if !ms.is_finite() {
            return Err(Error::InvalidClockReading {
                got: super::convert::number_text(ms),
            });
        }
        Ok(ms as i64)
    }
}

/// Clock and tolerance from `{ clock, clockToleranceMs }`.
fn clock_and_settings(o: &Options, epoch_unix_ms: i64) -> Result<(JsClock, Settings), JsValue> {
    let clock = o
        .function("clock")?
        .map(|f| JsClock {
            source: Some(f),
            handed_in: None,
        })
        .unwrap_or(JsClock {
            source: None,
            handed_in: None,
        });
    let clock_tolerance_ms = o
        .integer("clockToleranceMs", 0, MAX_TOLERANCE_MS)?
        .unwrap_or(DEFAULT_CLOCK_TOLERANCE_MS);
    Ok((
        clock,
        Settings {
            epoch_unix_ms,
            clock_tolerance_ms,
        },
    ))
}

/// A core generator for JS. Internal: the public class is `Snowfall` (js/snowfall.js).
#[wasm_bindgen(js_name = Generator)]
pub struct WasmGenerator {
    inner: Generator<JsClock>,
    /// The error of the last failed `nextId`, until `takeError` hands it to JS.
    error: Option<Error>,
    /// `nextIds`' scratch space.
    buffer: Vec<u64>,
}

#[wasm_bindgen(js_class = Generator)]
impl WasmGenerator {
    /// A generator holding a lease in an in-memory schema group (SimpleSyncer).
    /// Options: `{ schemaGroupName = "default", clock?, clockToleranceMs? }`.
    #[wasm_bindgen(js_name = fromMemoryGroup)]
    pub fn from_memory_group(options: JsValue) -> Result<WasmGenerator, JsValue> {
        let o = Options::new(&options, "options")?;
        let name = o
            .string("schemaGroupName")?
            .unwrap_or_else(|| super::groups::DEFAULT_GROUP.to_string());
        let group = super::groups::find(&name)?;
        let epoch = group.borrow().epoch_unix_ms();
        let (mut clock, settings) = clock_and_settings(&o, epoch)?;
        let now = clock.unix_ms().map_err(error_to_js)?;
        let (keeper, lease) = MemoryKeeper::claim(group, now).map_err(error_to_js)?;
        Ok(WasmGenerator {
            inner: Generator::with_keeper(clock, settings, lease, Box::new(keeper)),
            error: None,
            buffer: Vec::new(),
        })
    }

    /// A generator whose lease an outside syncer (a database) saves and hands in with `adoptLease`.
    /// Options: `{ epochStartDate, clock?, clockToleranceMs? }`.
    pub fn external(options: JsValue) -> Result<WasmGenerator, JsValue> {
        let o = Options::new(&options, "options")?;
        let epoch = epoch_option(&o)?;
        let (clock, settings) = clock_and_settings(&o, epoch)?;
        Ok(WasmGenerator {
            inner: Generator::new(clock, settings),
            error: None,
            buffer: Vec::new(),
        })
    }

    /// The next id (a bigint), or 0 on failure, with the error kept for `takeError`.
    ///
    /// Not a `Result`: wasm-bindgen returns a `Result<u64, _>` through a stack slot read with a
    /// DataView, which costs more than making the id (measured in bench/ablation.mjs). The JS
    /// wrapper checks for 0 (an id that is also valid: the epoch's first ms, generator 0, so it asks
    /// `takeError` before throwing).
    #[wasm_bindgen(js_name = nextId)]
    pub fn next_id(&mut self) -> u64 {
        match self.inner.next_id() {
            Ok(id) => id,
            Err(e) => {
                self.error = Some(e);
                0
            }
        }
    }

    /// `nextId` with the clock already read by the caller (`Date.now()` or the user's clock).
    #[wasm_bindgen(js_name = nextIdAt)]
    pub fn next_id_at(&mut self, now_unix_ms: f64) -> u64 {
        self.inner.clock_mut().handed_in = Some(now_unix_ms);
        let id = self.next_id();
        self.inner.clock_mut().handed_in = None;
        id
    }

    /// The error kept by the last failed `nextId`, as a SnowfallError, or undefined if it did not fail.
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> JsValue {
        self.error.take().map_or(JsValue::UNDEFINED, error_to_js)
    }

    /// Fills this generator's buffer in wasm memory with `count` ids (one clock read per
    /// millisecond used) and returns its address, valid until the next call; 0 on failure, with
    /// the error kept for `takeError`. The JS wrapper checks `count` and copies the ids out with one
    /// `slice()`: cheaper than any wasm-bindgen return type for an array (bench/ablation.mjs).
    #[wasm_bindgen(js_name = fillIds)]
    pub fn fill_ids(&mut self, count: u32) -> u32 {
        let n = (count as usize).min(MAX_BATCH as usize);
        if self.buffer.capacity() > KEPT_BUFFER_IDS && n <= KEPT_BUFFER_IDS {
            self.buffer = Vec::new(); // do not keep a large one-off batch's memory
        }
        self.buffer.clear();
        self.buffer.resize(n, 0);
        match self.inner.fill(&mut self.buffer) {
            Ok(()) => self.buffer.as_ptr() as u32,
            Err(e) => {
                self.error = Some(e);
                0
            }
        }
    }

    /// `count` ids as a BigUint64Array, with `count` checked here: the path for arguments the JS
    /// wrapper does not take as valid, so every bad count gets its typed error from one place.
    #[wasm_bindgen(js_name = nextIds)]
    pub fn next_ids(&mut self, count: JsValue) -> Result<js_sys::BigUint64Array, JsValue> {
        let n = integer_arg("count", &count, 0, MAX_BATCH)? as usize;
        if n > 0 && self.fill_ids(n as u32) == 0 {
            return Err(self.take_error());
        }
        let array = js_sys::BigUint64Array::new_with_length(n as u32);
        array.copy_from(&self.buffer[..n]);
        Ok(array)
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

    /// Adopts a lease a syncer has saved: a renewal of the same generator id, or another id and
    /// its window together.
    #[wasm_bindgen(js_name = adoptLease)]
    pub fn adopt_lease(
        &mut self,
        generator_id: JsValue,
        window_start_unix_ms: f64,
        window_end_unix_ms: f64,
    ) -> Result<(), JsValue> {
        if self.inner.is_closed() {
            return Err(error_to_js(Error::GeneratorClosed));
        }
        let generator_id =
            integer_arg("generatorId", &generator_id, 0, MAX_GENERATOR_ID as i64)? as u16;
        let window_start_unix_ms = finite_ms("windowStartUnixMs", window_start_unix_ms)?;
        let window_end_unix_ms = finite_ms("windowEndUnixMs", window_end_unix_ms)?;
        self.inner.adopt_lease(Lease {
            generator_id,
            window_start_unix_ms,
            window_end_unix_ms,
        });
        Ok(())
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
