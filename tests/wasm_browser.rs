//! The wasm layer (src/wasm/) under wasm-bindgen-test in headless Chromium (pass 2 of
//! `bash scripts/test-wasm.sh`): the shared tests of tests/wasm_common/ in a browser realm, where
//! the clock is the browser's `Date.now()`. This binary never registers an error class: errors are
//! then plain `Error`s carrying `code`.

#![cfg(target_arch = "wasm32")]

mod wasm_common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! shared {
    ($($name:ident),* $(,)?) => {$(
        #[wasm_bindgen_test]
        fn $name() {
            wasm_common::$name();
        }
    )*};
}

shared!(
    memory_schema_groups_are_created_once_and_checked,
    a_group_with_live_generators_cannot_be_dropped,
    a_generator_idle_past_its_lease_cannot_renew_in_a_dropped_group,
    memory_generators_get_distinct_ids_and_increasing_guids,
    default_group_is_created_on_first_use_and_unknown_groups_are_refused,
    all_4096_generator_ids_then_exhausted,
    a_frozen_clock_borrows_up_to_the_tolerance_then_clock_stalled,
    a_running_clock_is_waited_for_when_a_millisecond_is_used_up,
    a_clock_stepping_back_is_ridden_out_within_the_tolerance_then_named,
    bad_readings_are_typed_errors_and_change_nothing,
    external_generators_mint_only_inside_adopted_leases,
);

#[wasm_bindgen_test]
fn in_a_browser_realm() {
    // This really runs in a browser: there is a window and a document.
    let global = js_sys::global();
    for name in ["window", "document", "navigator"] {
        assert!(
            js_sys::Reflect::has(&global, &name.into()).unwrap(),
            "no {name}: not a browser"
        );
    }
}
