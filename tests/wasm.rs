//! The wasm layer (src/wasm/) under wasm-bindgen-test in Node: `bash scripts/test-wasm.sh`.
//! The test bodies are in tests/wasm_common/ (shared with tests/wasm_browser.rs, which runs them in
//! headless Chromium).

#![cfg(target_arch = "wasm32")]

mod wasm_common;

use snowfall_wasm::wasm_exports::*;
use wasm_bindgen_test::wasm_bindgen_test;
use wasm_common::*;

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
fn errors_are_kept_once_as_code_and_message() {
    let mut g = WasmGenerator::new(EPOCH as f64, 2_000.0);
    assert_eq!(take_error(), "");
    assert_eq!(g.next_id_at(now()), 0);
    assert!(g.waiting_past().is_nan(), "a failure is not a wait");
    let m = expect_code("LEASE_EXPIRED");
    assert!(m.contains("lease"), "{m}");
    assert_eq!(g.fill_ids(1, now(), f64::NAN, f64::NAN, true), 0);
    expect_code("LEASE_EXPIRED");
    g.close();
    assert_eq!(g.next_id_at(now()), 0);
    expect_code("GENERATOR_CLOSED");
}
