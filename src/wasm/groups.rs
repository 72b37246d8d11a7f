//! The in-memory schema groups of this JS realm (`SimpleSyncer`).

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::convert::{epoch_option, error_to_js, Options};
use crate::{MemoryRegistry, SharedGroup, PROBE_SECONDS_RANGE};
use alloc::string::ToString;

static REGISTRY: super::Global<RefCell<MemoryRegistry>> =
    super::Global(RefCell::new(MemoryRegistry::new()));

pub(crate) const DEFAULT_GROUP: &str = "default";
pub(crate) const DEFAULT_PROBE_S: i64 = 5;

pub(crate) fn now_unix_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn create(options: &Options, now: i64) -> Result<SharedGroup, JsValue> {
    let name = options
        .string("schemaGroupName")?
        .unwrap_or_else(|| DEFAULT_GROUP.to_string());
    let (lo, hi) = PROBE_SECONDS_RANGE;
    let probe = options
        .integer("livelinessProbeS", lo, hi)?
        .unwrap_or(DEFAULT_PROBE_S);
    let epoch = epoch_option(options)?;
    REGISTRY
        .with(|r| r.borrow_mut().create_schema_group(&name, probe, epoch, now))
        .map_err(error_to_js)
}

/// Finds a group; "default" is created on first use so `new Snowfall()` works on its own.
pub(crate) fn find(name: &str) -> Result<SharedGroup, JsValue> {
    match REGISTRY.with(|r| r.borrow().get(name)) {
        Err(crate::Error::SchemaGroupNotFound { .. }) if name == DEFAULT_GROUP => create(
            &Options::new(&JsValue::UNDEFINED, "options")?,
            now_unix_ms(),
        ),
        other => other.map_err(error_to_js),
    }
}

/// `SimpleSyncer.createSchemaGroup({ schemaGroupName, livelinessProbeS, epochStartDate })`.
#[wasm_bindgen(js_name = createMemorySchemaGroup)]
pub fn create_memory_schema_group(options: JsValue) -> Result<(), JsValue> {
    create(&Options::new(&options, "options")?, now_unix_ms()).map(|_| ())
}

/// Whether a group of that name exists in this realm.
#[wasm_bindgen(js_name = memorySchemaGroupExists)]
pub fn memory_schema_group_exists(name: JsValue) -> Result<bool, JsValue> {
    let name = super::convert::string_arg("schemaGroupName", &name)?;
    Ok(REGISTRY.with(|r| r.borrow().get(&name).is_ok()))
}

/// `{ schemaGroupName, epochUnixMs, livelinessProbeS, liveGenerators }` of a group.
#[wasm_bindgen(js_name = memorySchemaGroupStatus)]
pub fn memory_schema_group_status(name: JsValue) -> Result<JsValue, JsValue> {
    let name = super::convert::string_arg("schemaGroupName", &name)?;
    let group = REGISTRY
        .with(|r| r.borrow().get(&name))
        .map_err(error_to_js)?;
    let group = group.borrow();
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"schemaGroupName".into(), &name.as_str().into())?;
    js_sys::Reflect::set(
        &out,
        &"epochUnixMs".into(),
        &(group.epoch_unix_ms() as f64).into(),
    )?;
    js_sys::Reflect::set(
        &out,
        &"livelinessProbeS".into(),
        &((group.terms().liveliness_probe_ms / 1000) as f64).into(),
    )?;
    js_sys::Reflect::set(
        &out,
        &"liveGenerators".into(),
        &(group.live_generator_count(now_unix_ms()) as f64).into(),
    )?;
    Ok(out.into())
}

/// Forgets a group; generators already started on it keep working.
#[wasm_bindgen(js_name = dropMemorySchemaGroup)]
pub fn drop_memory_schema_group(name: JsValue) -> Result<bool, JsValue> {
    let name = super::convert::string_arg("schemaGroupName", &name)?;
    Ok(REGISTRY.with(|r| r.borrow_mut().remove(&name)))
}
