//! The wasm-bindgen layer: translates JS values to core types and back, and nothing else.
//! Everything it exports is internal to the package; the public JS API is `js/api.js`.

mod convert;
mod generator;
mod groups;
mod session;

// For `crate::wasm_exports` (the wasm tests).
pub use generator::WasmGenerator;
pub use groups::{
    create_memory_schema_group, drop_memory_schema_group, memory_schema_group_exists,
    memory_schema_group_status,
};

use alloc::{vec, vec::Vec};
use wasm_bindgen::prelude::*;

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

use crate::{guid_range_at, GuidParts};
use convert::{epoch_option, error_to_js, guid_arg, Options};

/// Called once by each entry point: errors thrown from wasm become instances of this class
/// (`SnowfallError`), so `instanceof` and `err.code` work the same whichever side threw.
#[wasm_bindgen(js_name = registerErrorClass)]
pub fn register_error_class(class: js_sys::Function) {
    convert::ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// `{ msSinceEpoch, loopingCounter, generatorId, unixMs }` of a GUID given as a bigint or decimal string.
#[wasm_bindgen(js_name = decodeGuid)]
pub fn decode_guid(id: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let guid = guid_arg("id", &id)?;
    let epoch = epoch_option(&Options::new(&options, "options")?)?;
    let parts = GuidParts::from_guid(guid);
    let out = js_sys::Object::new();
    let set = |k: &str, v: f64| js_sys::Reflect::set(&out, &k.into(), &v.into()).map(|_| ());
    set("msSinceEpoch", parts.ms_since_epoch as f64)?;
    set("loopingCounter", parts.looping_counter as f64)?;
    set("generatorId", parts.generator_id as f64)?;
    set("unixMs", (epoch + parts.ms_since_epoch as i64) as f64)?;
    Ok(out.into())
}

/// `[lowest, highest]`: the GUIDs that bound one millisecond (Unix ms) for range queries.
#[wasm_bindgen(js_name = guidRangeAt)]
pub fn guid_range(unix_ms: JsValue, options: JsValue) -> Result<Vec<u64>, JsValue> {
    let epoch = epoch_option(&Options::new(&options, "options")?)?;
    let ms = convert::time_arg("time", &unix_ms)?;
    let since = ms - epoch;
    if since < 0 {
        return Err(error_to_js(crate::Error::ClockBeforeEpoch {
            clock_unix_ms: ms,
            epoch_unix_ms: epoch,
        }));
    }
    let (lo, hi) = guid_range_at(since as u64).map_err(error_to_js)?;
    Ok(vec![lo, hi])
}
