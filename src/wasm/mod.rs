//! The wasm-bindgen layer: translates core calls for JS, and nothing else. Everything it exports is
//! internal to the package; the public JS API is `js/api.js`.
//!
//! **No JS runs while wasm holds state.** Every export takes only primitives (numbers and strings
//! the JS side has already read and checked, js/check.js) and returns only primitives, and no
//! export calls an import: the wasm never reads a JS object, calls a clock, or builds a JS value.
//! So no JS exception (a throwing getter or clock, a revoked Proxy, a JS stack overflow) can
//! unwind through wasm frames, leak wasm's shadow stack or leave a borrow flag set. Errors are
//! kept here and read by JS with [`take_error`], which builds the `SnowfallError` (js/core.js).
//! Clocks are read in JS; when the core must wait for the next millisecond it stops and asks JS to
//! spin (`waitingPast`, src/wasm/generator.rs).

mod generator;
mod groups;
mod session;

// For `crate::wasm_exports` (the wasm tests).
pub use generator::{scratch_address, WasmGenerator};
pub use groups::{
    create_memory_schema_group, drop_memory_schema_group, memory_schema_group_exists,
    memory_schema_group_status,
};

use alloc::string::String;
use core::cell::UnsafeCell;
use wasm_bindgen::prelude::*;

use crate::Error;

/// A global of the wasm build (`thread_local!` without std). The wasm runs on one thread
/// (wasm32-unknown-unknown without the atomics feature), so sharing it is sound.
pub(crate) struct Global<T>(pub(crate) T);

// Safety: one thread (see above).
unsafe impl<T> Sync for Global<T> {}

#[cfg(target_feature = "atomics")]
compile_error!("src/wasm assumes one thread: Global and the allocator are not thread-safe");

impl<T> Global<T> {
    /// `f` on the value, as `LocalKey::with`.
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}

impl<T> Global<UnsafeCell<T>> {
    /// `f` on the value, mutably: a `RefCell` without its borrow flag, whose checks and panic
    /// paths (with their messages and locations) cost wasm bytes at every use.
    ///
    /// # Safety
    /// `f` must not reach this same global again (no nested `with_mut` on it): then the `&mut` is
    /// the only reference to the value, on the one thread. Every use is a leaf that calls only
    /// core code, which knows nothing of these globals, and no JS runs inside an export.
    pub(crate) unsafe fn with_mut<R>(&'static self, f: impl FnOnce(&mut T) -> R) -> R {
        // Safety: the caller's promise above.
        f(unsafe { &mut *self.0.get() })
    }
}

/// A trap for any panic in the shipped (no_std) wasm: what `panic = "abort"` does with std too,
/// without std's panic machinery and message formatting (kilobytes of wasm).
#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// A small power-of-two allocator instead of std's dlmalloc (src/allocator.rs): 8 KB less wasm.
#[global_allocator]
static ALLOCATOR: crate::allocator::Allocator<crate::allocator::WasmPages> =
    crate::allocator::Allocator::new(crate::allocator::WasmPages);

/// The error of the last failed call, until JS takes it.
static LAST_ERROR: Global<UnsafeCell<Option<Error>>> = Global(UnsafeCell::new(None));

/// Keeps `e` for [`take_error`]; returns false, what failing exports return.
#[cold]
#[inline(never)]
pub(crate) fn fail(e: Error) -> bool {
    // Safety: a leaf (dropping the previous error runs no code that reaches LAST_ERROR).
    unsafe { LAST_ERROR.with_mut(|c| *c = Some(e)) };
    false
}

/// The error of the last failed call as `"CODE:message"` (once), or `""` if there is none.
/// js/core.js turns it into a `SnowfallError`.
#[wasm_bindgen(js_name = takeError)]
pub fn take_error() -> String {
    // Safety: a leaf.
    match unsafe { LAST_ERROR.with_mut(Option::take) } {
        Some(e) => e.coded_message(),
        None => String::new(),
    }
}

/// A number handed in by JS as Unix ms (already checked there): whole ms within the Date range.
#[inline(never)] // one copy for the calls off the hot path (clock readings use `whole_ms`)
pub(crate) fn unix_ms(what: &'static str, n: f64) -> Result<i64, Error> {
    whole_ms(n).ok_or_else(|| not_unix_ms(what))
}

/// `n` as whole Unix ms (rounded down), or None outside the Date range (NaN too). JS checks
/// first (js/clock.js), so None is a second line only.
#[inline(always)]
pub(crate) fn whole_ms(n: f64) -> Option<i64> {
    const LIMIT: f64 = 8.64e15;
    if !(-LIMIT..=LIMIT).contains(&n) {
        return None;
    }
    let t = n as i64;
    Some(if (t as f64) > n { t - 1 } else { t })
}

#[cold]
#[inline(never)]
fn not_unix_ms(what: &'static str) -> Error {
    Error::InvalidType {
        what: what.into(),
        expected: "finite Unix milliseconds within the Date range",
        got: "another number".into(),
    }
}
