//! The in-memory schema groups of this JS realm (`SimpleSyncer`). Arguments are primitives
//! checked by js/simple-syncer.js; `now` is `Date.now()` read in JS.

use core::cell::UnsafeCell;

use alloc::{vec, vec::Vec};
use wasm_bindgen::prelude::*;

use super::{fail, unix_ms};
use crate::{Error, MemoryRegistry, SharedGroup, DEFAULT_EPOCH_UNIX_MS};

static REGISTRY: super::Global<UnsafeCell<MemoryRegistry>> =
    super::Global(UnsafeCell::new(MemoryRegistry::new()));

/// `f` on the registry. Every `f` here is a leaf: core registry calls, which never reach REGISTRY.
fn registry<R>(f: impl FnOnce(&mut MemoryRegistry) -> R) -> R {
    // Safety: see above (no `f` in this file reaches REGISTRY).
    unsafe { REGISTRY.with_mut(f) }
}

pub(crate) const DEFAULT_GROUP: &str = "default";
pub(crate) const DEFAULT_PROBE_S: i64 = 5;

/// Finds a group; "default" is created on first use so `new Snowfall()` works on its own.
pub(crate) fn find(name: &str, now: i64) -> Result<SharedGroup, Error> {
    let found = registry(|r| r.get(name));
    match found {
        Err(Error::SchemaGroupNotFound { .. }) if name == DEFAULT_GROUP => registry(|r| {
            r.create_schema_group(DEFAULT_GROUP, DEFAULT_PROBE_S, DEFAULT_EPOCH_UNIX_MS, now)
        }),
        other => other,
    }
}

/// Whether `group` is the group registered under its name (not dropped, not replaced).
pub(crate) fn is_registered(group: &SharedGroup) -> bool {
    let this = group.borrow();
    let registered = registry(|r| r.get(this.name()));
    registered.is_ok_and(|g| alloc::rc::Rc::ptr_eq(&g, group))
}

/// `SimpleSyncer.createSchemaGroup`: false on failure, with the error kept for `takeError`.
#[wasm_bindgen(js_name = createMemorySchemaGroup)]
pub fn create_memory_schema_group(
    name: &str,
    liveliness_probe_s: f64,
    epoch_unix_ms: f64,
    now_unix_ms: f64,
) -> bool {
    let created = (|| {
        let (epoch, now) = (
            unix_ms("epochStartDate", epoch_unix_ms)?,
            unix_ms("Date.now()", now_unix_ms)?,
        );
        // The probe is checked in JS and again by the core (PROBE_SECONDS_RANGE).
        let probe = unix_ms("livelinessProbeS", liveliness_probe_s)?;
        registry(|r| r.create_schema_group(name, probe, epoch, now))
    })();
    match created {
        Ok(_) => true,
        Err(e) => fail(e),
    }
}

/// Whether a group of that name exists in this realm (false for names no group can have).
#[wasm_bindgen(js_name = memorySchemaGroupExists)]
pub fn memory_schema_group_exists(name: &str) -> bool {
    registry(|r| r.get(name).is_ok())
}

/// `[epochUnixMs, livelinessProbeS, liveGenerators]` of a group at `now`, or undefined with the
/// error kept for `takeError`.
#[wasm_bindgen(js_name = memorySchemaGroupStatus)]
pub fn memory_schema_group_status(name: &str, now_unix_ms: f64) -> Option<Vec<f64>> {
    let status = (|| {
        let now = unix_ms("Date.now()", now_unix_ms)?;
        let group = registry(|r| r.get(name))?;
        let group = group.borrow();
        Ok::<_, Error>(vec![
            group.epoch_unix_ms() as f64,
            (group.terms().liveliness_probe_ms / 1000) as f64,
            group.live_generator_count(now) as f64,
        ])
    })();
    match status {
        Ok(s) => Some(s),
        Err(e) => {
            fail(e);
            None
        }
    }
}

/// Forgets a group: 1 if it was dropped, 0 if there was none; 2 (the error kept for
/// `takeError`) while it has live generators at `now` — `SCHEMA_GROUP_IN_USE`. Refused rather
/// than forgotten under them: a group made again under the name would start with every generator
/// id free and hand out the ids those generators still mint with (duplicate ids).
#[wasm_bindgen(js_name = dropMemorySchemaGroup)]
pub fn drop_memory_schema_group(name: &str, now_unix_ms: f64) -> u32 {
    let now = match unix_ms("Date.now()", now_unix_ms) {
        Ok(now) => now,
        Err(e) => {
            fail(e);
            return 2;
        }
    };
    let Ok(group) = registry(|r| r.get(name)) else {
        return 0;
    };
    let live = group.borrow().live_generator_count(now);
    if live > 0 {
        fail(Error::SchemaGroupInUse {
            name: name.into(),
            live_generators: live as u64,
        });
        return 2;
    }
    registry(|r| r.remove(name)) as u32
}
