//! Where time comes from. The generator reads the clock through this one-method trait, so tests
//! and unusual runtimes (Cloudflare Workers, which freeze `Date.now()`) can supply their own.

use alloc::rc::Rc;
use core::cell::Cell;

/// A source of wall-clock time in Unix milliseconds.
///
/// ```
/// use snowfall_wasm::Clock;
/// struct Fixed(i64);
/// impl Clock for Fixed { fn unix_ms(&mut self) -> Result<i64, snowfall_wasm::Error> { Ok(self.0) } }
/// assert_eq!(Fixed(7).unix_ms().unwrap(), 7);
/// ```
pub trait Clock {
    /// The current time in Unix milliseconds. Called on every id, so keep it cheap.
    fn unix_ms(&mut self) -> Result<i64, crate::Error>;

    /// Waits (bounded) for the clock to read something other than `unix_ms` and returns that
    /// reading, or `unix_ms` if the clock did not move within [`crate::SPIN_READS`] reads (a
    /// frozen clock). The generator calls it when a millisecond's 2048 ids are used up. Clocks
    /// read by someone else (the wasm layer: JavaScript reads the clock and spins) override it.
    fn wait_past(&mut self, unix_ms: i64) -> Result<i64, crate::Error> {
        let mut now = unix_ms;
        for _ in 0..crate::SPIN_READS {
            now = self.unix_ms()?;
            if now != unix_ms {
                break;
            }
            core::hint::spin_loop();
        }
        Ok(now)
    }
}

/// The operating system's clock (native builds only: wasm32-unknown-unknown has no system clock,
/// the wasm layer reads `Date.now()` instead).
///
/// ```
/// use snowfall_wasm::{Clock, SystemClock};
/// assert!(SystemClock.unix_ms().unwrap() > 1_577_836_800_000);
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn unix_ms(&mut self) -> Result<i64, crate::Error> {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| crate::Error::InvalidClockReading {
                got: format!("a time before 1970 ({e})"),
            })?;
        Ok(d.as_millis() as i64)
    }
}

/// A clock that moves only when told to; clones share one reading. For tests and simulations.
///
/// ```
/// use snowfall_wasm::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// let mut reader = clock.clone();
/// clock.advance(5);
/// assert_eq!(reader.unix_ms().unwrap(), 1_005);
/// clock.set(900); // clocks may step back
/// assert_eq!(reader.unix_ms().unwrap(), 900);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Rc<Cell<i64>>);

impl ManualClock {
    /// A clock reading `unix_ms`.
    pub fn new(unix_ms: i64) -> Self {
        ManualClock(Rc::new(Cell::new(unix_ms)))
    }
    /// Sets the reading (forwards or backwards).
    pub fn set(&self, unix_ms: i64) {
        self.0.set(unix_ms)
    }
    /// Moves the reading by `ms` (may be negative).
    pub fn advance(&self, ms: i64) {
        self.0.set(self.0.get() + ms)
    }
    /// The current reading.
    pub fn get(&self) -> i64 {
        self.0.get()
    }
}

impl Clock for ManualClock {
    fn unix_ms(&mut self) -> Result<i64, crate::Error> {
        Ok(self.0.get())
    }
}
