//! The wasm layer (src/wasm/) under wasm-bindgen-test in Node: `bash scripts/test-wasm.sh`.
//! The test bodies are in tests/wasm_common/ (shared with tests/wasm_browser.rs, which runs them in
//! headless Chromium); this binary adds the registered `SnowfallError` class.

#![cfg(target_arch = "wasm32")]

mod wasm_common;

use js_sys::{Function, Reflect};
use snowfall_wasm::wasm_exports::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use wasm_common::*;

thread_local! {
    static ERROR_CLASS: Function = Function::new_no_args(
        "return class SnowfallError extends Error { \
           constructor(code, message) { super(message); this.name = 'SnowfallError'; this.code = code; } }",
    )
    .call0(&JsValue::UNDEFINED)
    .unwrap()
    .unchecked_into();
}

/// Registers the error class (as every JS entry point does) and returns it.
fn registered_class() -> Function {
    let class = ERROR_CLASS.with(Function::clone);
    register_error_class(class.clone());
    class
}

macro_rules! shared {
    ($($name:ident),* $(,)?) => {$(
        #[wasm_bindgen_test]
        fn $name() {
            registered_class();
            wasm_common::$name();
        }
    )*};
}

shared!(
    decode_guid_reads_the_original_readme_example,
    decode_guid_refuses_bad_input_with_typed_errors,
    guid_range_at_bounds_one_millisecond,
    memory_schema_groups_are_created_once_and_checked,
    memory_generators_get_distinct_ids_and_increasing_guids,
    default_group_is_created_on_first_use_and_unknown_groups_are_refused,
    all_4096_generator_ids_then_exhausted,
    a_frozen_clock_borrows_up_to_the_tolerance_then_clock_stalled,
    a_clock_stepping_back_is_ridden_out_within_the_tolerance_then_named,
    bad_clocks_and_settings_are_typed_errors,
    external_generators_mint_only_inside_adopted_leases,
);

#[wasm_bindgen_test]
fn errors_are_instances_of_the_registered_class_with_code_and_message() {
    let class = registered_class();
    let check = |e: JsValue, code: &str| {
        assert!(e.is_instance_of::<js_sys::Error>());
        let instance_of = Function::new_with_args("e, C", "return e instanceof C");
        let instance = instance_of.call2(&JsValue::UNDEFINED, &e, &class).unwrap();
        let instance = instance.as_bool() == Some(true);
        assert!(instance, "not a SnowfallError: {e:?}");
        assert_eq!(
            Reflect::get(&e, &"name".into())
                .unwrap()
                .as_string()
                .as_deref(),
            Some("SnowfallError")
        );
        assert_code(&e, code);
    };
    check(
        decode_guid(n(1.0), JsValue::UNDEFINED).unwrap_err(),
        "INVALID_TYPE",
    );
    let mut g = WasmGenerator::external(JsValue::UNDEFINED).unwrap();
    assert_eq!(g.next_id(), 0);
    check(g.take_error(), "LEASE_EXPIRED");
    assert!(g.take_error().is_undefined(), "an error is handed out once");
    check(g.next_ids(n(1.0)).err().unwrap(), "LEASE_EXPIRED");
    g.close();
    assert_eq!(g.next_id(), 0);
    check(g.take_error(), "GENERATOR_CLOSED");
}
