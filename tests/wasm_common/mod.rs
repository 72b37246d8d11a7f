//! The wasm layer's exports exercised from Rust, shared by tests/wasm.rs (Node) and
//! tests/wasm_browser.rs (headless Chromium). Each function is one test; the binaries wrap them in
//! `#[wasm_bindgen_test]`.
//!
//! All tests of a binary share one wasm instance, hence one in-memory registry: every test uses
//! its own schema group names.

#![allow(dead_code)]

use js_sys::{Array, BigInt, Date, Function, Object, Reflect};
use snowfall_wasm::wasm_exports::*;
use snowfall_wasm::{GuidParts, DEFAULT_EPOCH_UNIX_MS, MAX_LOOPING_COUNTER};
use wasm_bindgen::{JsCast, JsValue};

pub const EPOCH: i64 = DEFAULT_EPOCH_UNIX_MS;

/// `{ key: value, ... }`
pub fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn n(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

pub fn big(v: u64) -> JsValue {
    JsValue::from(v)
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

pub fn num(v: &JsValue, key: &str) -> f64 {
    prop(v, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

/// Asserts that `e` is a thrown snowfall error (an `Error` with `code`) and returns its message.
pub fn assert_code(e: &JsValue, code: &str) -> String {
    assert!(
        e.is_instance_of::<js_sys::Error>(),
        "expected an Error, got {e:?}"
    );
    let message = prop(e, "message").as_string().unwrap_or_default();
    assert_eq!(
        prop(e, "code").as_string().as_deref(),
        Some(code),
        "message: {message}"
    );
    assert!(!message.is_empty(), "{code} without a message");
    message
}

pub fn expect_err<T>(r: Result<T, JsValue>, code: &str) -> String {
    match r {
        Ok(_) => panic!("expected {code}, got a value"),
        Err(e) => assert_code(&e, code),
    }
}

/// A JS clock `() => state.now` whose reading the test sets.
pub struct JsManualClock {
    state: JsValue,
    pub function: Function,
}

impl JsManualClock {
    pub fn new(now: f64) -> Self {
        let state = obj(&[("now", n(now))]);
        let make = Function::new_with_args("state", "return () => state.now");
        let function = make
            .call1(&JsValue::UNDEFINED, &state)
            .unwrap()
            .unchecked_into();
        JsManualClock { state, function }
    }
    pub fn set(&self, now: f64) {
        Reflect::set(&self.state, &s("now"), &n(now)).unwrap();
    }
    /// A clock returning any JS value (a string, NaN...).
    pub fn returning(value: JsValue) -> Function {
        let make = Function::new_with_args("v", "return () => v");
        make.call1(&JsValue::UNDEFINED, &value)
            .unwrap()
            .unchecked_into()
    }
}

pub fn now() -> f64 {
    Date::now()
}

/// `nextId` and, on failure (it returns 0), the kept error.
pub fn next(g: &mut WasmGenerator) -> Result<u64, JsValue> {
    match g.next_id() {
        0 => match g.take_error() {
            e if e.is_undefined() => Ok(0),
            e => Err(e),
        },
        id => {
            assert!(g.take_error().is_undefined(), "an error kept after success");
            Ok(id)
        }
    }
}

/// `nextIds(count)` as a Vec.
pub fn batch(g: &mut WasmGenerator, count: JsValue) -> Result<Vec<u64>, JsValue> {
    g.next_ids(count).map(|a| a.to_vec())
}

pub fn memory_generator(group: &str) -> WasmGenerator {
    WasmGenerator::from_memory_group(obj(&[("schemaGroupName", s(group))]))
        .unwrap_or_else(|e| panic!("fromMemoryGroup({group}): {e:?}"))
}

// --- decodeGuid, guidRangeAt ---------------------------------------------------------------

pub fn decode_guid_reads_the_original_readme_example() {
    let id = 133_494_887_688_437_760u64;
    for input in [big(id), s("133494887688437760"), s(" 133494887688437760 ")] {
        let d = decode_guid(input, JsValue::UNDEFINED).unwrap();
        assert_eq!(num(&d, "msSinceEpoch"), 15_913_830_720.0);
        assert_eq!(num(&d, "loopingCounter"), 0.0);
        assert_eq!(num(&d, "generatorId"), 0.0);
        assert_eq!(num(&d, "unixMs"), 1_593_750_630_720.0); // 2020-07-03T04:30:30.720Z
    }
    // Every field, and another epoch.
    let id = (5u64 << 23) | (7 << 12) | 4095;
    let d = decode_guid(big(id), obj(&[("epochStartDate", n(1_000.0))])).unwrap();
    assert_eq!(
        (
            num(&d, "msSinceEpoch"),
            num(&d, "loopingCounter"),
            num(&d, "generatorId"),
            num(&d, "unixMs")
        ),
        (5.0, 7.0, 4095.0, 1_005.0)
    );
    let d = decode_guid(big(u64::MAX), JsValue::UNDEFINED).unwrap();
    assert_eq!(num(&d, "generatorId"), 4095.0);
    assert_eq!(num(&d, "loopingCounter"), MAX_LOOPING_COUNTER as f64);
    assert_eq!(
        num(
            &decode_guid(s("-0"), JsValue::UNDEFINED).unwrap(),
            "msSinceEpoch"
        ),
        0.0
    );
}

pub fn decode_guid_refuses_bad_input_with_typed_errors() {
    let m = expect_err(
        decode_guid(n(133494887688437760.0), JsValue::UNDEFINED),
        "INVALID_TYPE",
    );
    assert!(m.contains("Number"), "{m}");
    expect_err(decode_guid(s("12a"), JsValue::UNDEFINED), "INVALID_TYPE");
    expect_err(decode_guid(s(""), JsValue::UNDEFINED), "INVALID_TYPE");
    expect_err(
        decode_guid(JsValue::NULL, JsValue::UNDEFINED),
        "INVALID_TYPE",
    );
    expect_err(
        decode_guid(s("18446744073709551616"), JsValue::UNDEFINED),
        "OUT_OF_RANGE",
    );
    expect_err(decode_guid(s("-5"), JsValue::UNDEFINED), "OUT_OF_RANGE");
    let minus_one = BigInt::from(-1i64);
    expect_err(
        decode_guid(minus_one.into(), JsValue::UNDEFINED),
        "OUT_OF_RANGE",
    );
    expect_err(decode_guid(big(1), n(5.0)), "INVALID_TYPE");
    expect_err(
        decode_guid(big(1), obj(&[("epochStartDate", s("2020"))])),
        "INVALID_TYPE",
    );
    expect_err(
        decode_guid(big(1), obj(&[("epochStartDate", n(-1.0))])),
        "OUT_OF_RANGE",
    );
}

pub fn guid_range_at_bounds_one_millisecond() {
    let ms = (EPOCH + 1_000) as f64;
    let date: JsValue = Date::new(&n(ms)).into();
    for input in [n(ms), date] {
        let r = guid_range(input, JsValue::UNDEFINED).unwrap();
        assert_eq!(r, vec![1_000u64 << 23, (1_001u64 << 23) - 1]);
    }
    let r = guid_range(n(1_000.0), obj(&[("epochStartDate", n(0.0))])).unwrap();
    assert_eq!(r, vec![1_000u64 << 23, (1_001u64 << 23) - 1]);
    // An id decodes into the range of its own millisecond.
    let id = (1_000u64 << 23) | (3 << 12) | 9;
    let unix_ms = num(&decode_guid(big(id), JsValue::UNDEFINED).unwrap(), "unixMs");
    let r = guid_range(n(unix_ms), JsValue::UNDEFINED).unwrap();
    assert!(r[0] <= id && id <= r[1]);

    expect_err(
        guid_range(n((EPOCH - 1) as f64), JsValue::UNDEFINED),
        "CLOCK_BEFORE_EPOCH",
    );
    expect_err(guid_range(n(1.5), JsValue::UNDEFINED), "INVALID_TYPE");
    expect_err(guid_range(s("now"), JsValue::UNDEFINED), "INVALID_TYPE");
    expect_err(
        guid_range(Date::new(&n(f64::NAN)).into(), JsValue::UNDEFINED),
        "INVALID_TYPE",
    );
    expect_err(
        guid_range(n(EPOCH as f64 + 2f64.powi(41)), JsValue::UNDEFINED),
        "OUT_OF_RANGE",
    );
}

// --- in-memory schema groups ------------------------------------------------------------------

pub fn memory_schema_groups_are_created_once_and_checked() {
    let name = "wt_groups";
    let opts = || obj(&[("schemaGroupName", s(name)), ("livelinessProbeS", n(2.0))]);
    assert_eq!(memory_schema_group_exists(s(name)), Ok(false));
    create_memory_schema_group(opts()).unwrap();
    assert_eq!(memory_schema_group_exists(s(name)), Ok(true));
    expect_err(create_memory_schema_group(opts()), "SCHEMA_GROUP_EXISTS");
    let status = memory_schema_group_status(s(name)).unwrap();
    assert_eq!(num(&status, "livelinessProbeS"), 2.0);
    assert_eq!(num(&status, "epochUnixMs"), EPOCH as f64);
    assert_eq!(num(&status, "liveGenerators"), 0.0);
    let mut g = memory_generator(name);
    next(&mut g).unwrap();
    assert_eq!(
        num(
            &memory_schema_group_status(s(name)).unwrap(),
            "liveGenerators"
        ),
        1.0
    );
    g.close();
    assert_eq!(
        num(
            &memory_schema_group_status(s(name)).unwrap(),
            "liveGenerators"
        ),
        0.0
    );
    assert_eq!(drop_memory_schema_group(s(name)), Ok(true));
    assert_eq!(drop_memory_schema_group(s(name)), Ok(false));
    expect_err(
        memory_schema_group_status(s(name)),
        "SCHEMA_GROUP_NOT_FOUND",
    );

    let m = expect_err(
        create_memory_schema_group(obj(&[("schemaGroupName", s("x; DROP TABLE t"))])),
        "INVALID_SCHEMA_GROUP_NAME",
    );
    assert!(m.contains("DROP TABLE"), "{m}");
    expect_err(
        create_memory_schema_group(obj(&[("schemaGroupName", s(&"a".repeat(44)))])),
        "INVALID_SCHEMA_GROUP_NAME",
    );
    assert_eq!(
        create_memory_schema_group(obj(&[("schemaGroupName", s(&"a".repeat(43)))])),
        Ok(())
    );
    expect_err(
        create_memory_schema_group(obj(&[("schemaGroupName", n(1.0))])),
        "INVALID_TYPE",
    );
    let bad = |k: &str, v: JsValue| obj(&[("schemaGroupName", s("wt_bad")), (k, v)]);
    expect_err(
        create_memory_schema_group(bad("livelinessProbeS", n(0.0))),
        "OUT_OF_RANGE",
    );
    expect_err(
        create_memory_schema_group(bad("livelinessProbeS", n(86_401.0))),
        "OUT_OF_RANGE",
    );
    expect_err(
        create_memory_schema_group(bad("livelinessProbeS", n(1.5))),
        "INVALID_TYPE",
    );
    expect_err(
        create_memory_schema_group(bad("livelinessProbeS", s("5"))),
        "INVALID_TYPE",
    );
    expect_err(
        create_memory_schema_group(bad("epochStartDate", n(now() + 3_600_000.0))),
        "EPOCH_IN_FUTURE",
    );
    expect_err(create_memory_schema_group(n(1.0)), "INVALID_TYPE");
    expect_err(
        create_memory_schema_group(Array::new().into()),
        "INVALID_TYPE",
    );
    expect_err(
        memory_schema_group_exists(JsValue::UNDEFINED),
        "INVALID_TYPE",
    );
    assert_eq!(memory_schema_group_exists(s("wt_bad")), Ok(false));
}

// --- Generator.fromMemoryGroup ---------------------------------------------------------------

pub fn memory_generators_get_distinct_ids_and_increasing_guids() {
    let name = "wt_memory";
    create_memory_schema_group(obj(&[("schemaGroupName", s(name))])).unwrap();
    let mut a = memory_generator(name);
    let mut b = memory_generator(name);
    assert_eq!((a.generator_id(), b.generator_id()), (Some(0), Some(1)));
    assert_eq!(a.epoch_unix_ms(), EPOCH as f64);
    assert_eq!(a.last_issued_unix_ms(), -1.0);
    let mut seen = std::collections::HashSet::new();
    let (mut last_a, mut last_b) = (0, 0);
    for _ in 0..20_000 {
        let (x, y) = (next(&mut a).unwrap(), next(&mut b).unwrap());
        assert!(x > last_a && y > last_b);
        assert_eq!(GuidParts::from_guid(x).generator_id, 0);
        assert_eq!(GuidParts::from_guid(y).generator_id, 1);
        assert!(seen.insert(x) && seen.insert(y));
        (last_a, last_b) = (x, y);
    }
    // The id's time is the clock's (Date.now()), within the default tolerance.
    let unix_ms = EPOCH as f64 + GuidParts::from_guid(last_a).ms_since_epoch as f64;
    assert!((unix_ms - now()).abs() <= 2_000.0, "{unix_ms} vs {}", now());
    assert_eq!(a.last_issued_unix_ms(), unix_ms);
    let window = a.lease_window().unwrap();
    assert!(window[0] <= unix_ms && unix_ms <= window[1], "{window:?}");

    // nextIds: a batch continues the sequence.
    let ids = batch(&mut a, n(5_000.0)).unwrap();
    assert_eq!(ids.len(), 5_000);
    assert!(ids[0] > last_a);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert!(ids
        .iter()
        .all(|&id| GuidParts::from_guid(id).generator_id == 0 && seen.insert(id)));
    assert!(next(&mut a).unwrap() > ids[4_999]);
    assert_eq!(batch(&mut a, n(0.0)).unwrap(), Vec::<u64>::new());
    expect_err(batch(&mut a, n(-1.0)), "OUT_OF_RANGE");
    expect_err(batch(&mut a, n(2f64.powi(24) + 1.0)), "OUT_OF_RANGE");
    expect_err(batch(&mut a, n(1.5)), "INVALID_TYPE");
    expect_err(batch(&mut a, s("3")), "INVALID_TYPE");
    expect_err(batch(&mut a, big(3)), "INVALID_TYPE");

    // close: refuses at once, and the id is free at once for the next generator, whose ids come
    // after the closed one's.
    let last = next(&mut a).unwrap();
    a.close();
    assert!(a.closed());
    assert_eq!(a.generator_id(), None);
    expect_err(next(&mut a), "GENERATOR_CLOSED");
    expect_err(batch(&mut a, n(3.0)), "GENERATOR_CLOSED");
    expect_err(a.adopt_lease(n(0.0), 0.0, 1e15), "GENERATOR_CLOSED");
    a.close(); // twice is fine
    let mut c = memory_generator(name);
    assert_eq!(c.generator_id(), Some(0));
    assert!(next(&mut c).unwrap() > last);
    b.close();
    c.close();
}

pub fn default_group_is_created_on_first_use_and_unknown_groups_are_refused() {
    let mut g = WasmGenerator::from_memory_group(JsValue::UNDEFINED).unwrap();
    assert!(g.generator_id().is_some());
    assert!(next(&mut g).unwrap() > 0);
    g.close();
    assert_eq!(memory_schema_group_exists(s("default")), Ok(true));
    let m = expect_err(
        WasmGenerator::from_memory_group(obj(&[("schemaGroupName", s("wt_missing"))])),
        "SCHEMA_GROUP_NOT_FOUND",
    );
    assert!(m.contains("wt_missing"), "{m}");
    expect_err(
        WasmGenerator::from_memory_group(obj(&[("schemaGroupName", s("no-dash"))])),
        "INVALID_SCHEMA_GROUP_NAME",
    );
    expect_err(
        WasmGenerator::from_memory_group(obj(&[("schemaGroupName", n(1.0))])),
        "INVALID_TYPE",
    );
    expect_err(
        WasmGenerator::from_memory_group(s("default")),
        "INVALID_TYPE",
    );
}

pub fn all_4096_generator_ids_then_exhausted() {
    let name = "wt_exhaust";
    create_memory_schema_group(obj(&[("schemaGroupName", s(name))])).unwrap();
    let gens: Vec<_> = (0..4096).map(|_| memory_generator(name)).collect();
    assert_eq!(gens[4095].generator_id(), Some(4095));
    let m = expect_err(
        WasmGenerator::from_memory_group(obj(&[("schemaGroupName", s(name))])),
        "GENERATOR_IDS_EXHAUSTED",
    );
    assert!(m.contains(name), "{m}");
    for mut g in gens {
        g.close();
    }
    assert_eq!(memory_generator(name).generator_id(), Some(0));
}

// --- custom clocks and clock errors ----------------------------------------------------------

fn clocked(
    group: &str,
    clock: &Function,
    tolerance: Option<f64>,
) -> Result<WasmGenerator, JsValue> {
    let mut fields = vec![("schemaGroupName", s(group)), ("clock", clock.into())];
    if let Some(t) = tolerance {
        fields.push(("clockToleranceMs", n(t)));
    }
    WasmGenerator::from_memory_group(obj(&fields))
}

pub fn a_frozen_clock_borrows_up_to_the_tolerance_then_clock_stalled() {
    let name = "wt_frozen";
    create_memory_schema_group(obj(&[("schemaGroupName", s(name))])).unwrap();
    let t = now();
    let clock = JsManualClock::new(t);
    let mut g = clocked(name, &clock.function, Some(1.0)).unwrap();
    // 2048 ids in the clock's ms, 2048 borrowed from the next: then the tolerance is used up.
    let per_ms = MAX_LOOPING_COUNTER as usize + 1;
    let mut last = 0;
    for i in 0..2 * per_ms {
        let id = next(&mut g).unwrap_or_else(|e| panic!("id {i}: {e:?}"));
        assert!(id > last);
        last = id;
    }
    assert_eq!(
        EPOCH as f64 + GuidParts::from_guid(last).ms_since_epoch as f64,
        t.floor() + 1.0
    );
    let m = expect_err(next(&mut g), "CLOCK_STALLED");
    assert!(m.contains("clockToleranceMs"), "{m}");
    expect_err(batch(&mut g, n(10.0)), "CLOCK_STALLED");
    // The clock moves: it recovers.
    clock.set(t + 2.0);
    assert!(next(&mut g).unwrap() > last);
    g.close();
}

pub fn a_clock_stepping_back_is_ridden_out_within_the_tolerance_then_named() {
    let name = "wt_backwards";
    create_memory_schema_group(obj(&[("schemaGroupName", s(name))])).unwrap();
    let t = now().floor();
    let clock = JsManualClock::new(t);
    let mut g = clocked(name, &clock.function, Some(50.0)).unwrap();
    let a = next(&mut g).unwrap();
    clock.set(t - 50.0);
    let b = next(&mut g).unwrap();
    assert!(
        b > a,
        "a step back within the tolerance continues from the last id"
    );
    clock.set(t - 51.0);
    let m = expect_err(next(&mut g), "CLOCK_MOVED_BACKWARDS");
    assert!(m.contains("51 ms"), "{m}");
    clock.set(t + 1.0);
    assert!(next(&mut g).unwrap() > b);
    g.close();
}

pub fn bad_clocks_and_settings_are_typed_errors() {
    let name = "wt_bad_clocks";
    create_memory_schema_group(obj(&[("schemaGroupName", s(name))])).unwrap();
    let throwing = Function::new_no_args("throw new Error('no time')");
    let m = expect_err(clocked(name, &throwing, None), "INVALID_CLOCK_READING");
    assert!(m.contains("exception"), "{m}");
    for value in [
        s("soon"),
        n(f64::NAN),
        n(f64::INFINITY),
        JsValue::UNDEFINED,
        big(5),
    ] {
        expect_err(
            clocked(name, &JsManualClock::returning(value), None),
            "INVALID_CLOCK_READING",
        );
    }
    // A clock that fails later: the error comes from nextId, and the generator goes on afterwards.
    let clock = JsManualClock::new(now());
    let mut g = clocked(name, &clock.function, None).unwrap();
    next(&mut g).unwrap();
    clock.set(f64::NAN);
    expect_err(next(&mut g), "INVALID_CLOCK_READING");
    clock.set(now() + 1.0);
    next(&mut g).unwrap();
    g.close();
    // A monotonic clock (performance.now()-like, far before the epoch): never an id. In a group of
    // its own: a fresh slot's window starts at Unix ms 1, before the epoch.
    let fresh = "wt_monotonic_clock";
    create_memory_schema_group(obj(&[("schemaGroupName", s(fresh))])).unwrap();
    let mut g = clocked(fresh, &JsManualClock::returning(n(1_234.5)), None).unwrap();
    expect_err(next(&mut g), "CLOCK_BEFORE_EPOCH");
    expect_err(batch(&mut g, n(4.0)), "CLOCK_BEFORE_EPOCH");
    g.close();

    let opt = |k: &str, v: JsValue| obj(&[("schemaGroupName", s(name)), (k, v)]);
    expect_err(
        WasmGenerator::from_memory_group(opt("clock", n(5.0))),
        "INVALID_TYPE",
    );
    expect_err(
        WasmGenerator::from_memory_group(opt("clockToleranceMs", n(-1.0))),
        "OUT_OF_RANGE",
    );
    expect_err(
        WasmGenerator::from_memory_group(opt("clockToleranceMs", n(86_400_001.0))),
        "OUT_OF_RANGE",
    );
    expect_err(
        WasmGenerator::from_memory_group(opt("clockToleranceMs", n(0.5))),
        "INVALID_TYPE",
    );
    // Tolerance 0 with Date.now(), in a group of its own (this one's slot 0 was just released by a
    // generator whose clock ran 1 ms ahead: its successor's ids start after that ms).
    let own = "wt_tolerance_0";
    create_memory_schema_group(obj(&[("schemaGroupName", s(own))])).unwrap();
    let o = obj(&[("schemaGroupName", s(own)), ("clockToleranceMs", n(0.0))]);
    let mut g = WasmGenerator::from_memory_group(o).unwrap();
    next(&mut g).unwrap();
    g.close();
}

// --- Generator.external + adoptLease ---------------------------------------------------------

pub fn external_generators_mint_only_inside_adopted_leases() {
    let clock = JsManualClock::new(10_000.0);
    let mut g = WasmGenerator::external(obj(&[
        ("epochStartDate", n(0.0)),
        ("clock", clock.function.clone().into()),
    ]))
    .unwrap();
    assert_eq!(g.epoch_unix_ms(), 0.0);
    assert_eq!(g.generator_id(), None);
    assert!(g.lease_window().is_none());
    let m = expect_err(next(&mut g), "LEASE_EXPIRED");
    assert!(m.contains("no generator id lease"), "{m}");

    g.adopt_lease(n(7.0), 9_000.0, 12_000.0).unwrap();
    assert_eq!(g.generator_id(), Some(7));
    assert_eq!(g.lease_window(), Some(vec![9_000.0, 12_000.0]));
    let a = next(&mut g).unwrap();
    assert_eq!(
        GuidParts::from_guid(a),
        GuidParts {
            ms_since_epoch: 10_000,
            looping_counter: 0,
            generator_id: 7
        }
    );
    assert_eq!(g.last_issued_unix_ms(), 10_000.0);
    clock.set(12_001.0);
    let m = expect_err(next(&mut g), "LEASE_EXPIRED");
    assert!(m.contains("12000"), "{m}");
    // A renewal: the window grows and minting goes on.
    g.adopt_lease(n(7.0), 9_000.0, 20_000.0).unwrap();
    let b = next(&mut g).unwrap();
    assert_eq!(GuidParts::from_guid(b).ms_since_epoch, 12_001);
    // Another generator id whose window starts later: ids follow its window (borrowing ahead of
    // the clock, within the tolerance), and keep increasing.
    clock.set(14_000.0);
    g.adopt_lease(n(3.0), 15_000.0, 30_000.0).unwrap();
    let c = next(&mut g).unwrap();
    assert_eq!(
        GuidParts::from_guid(c),
        GuidParts {
            ms_since_epoch: 15_000,
            looping_counter: 0,
            generator_id: 3
        }
    );
    assert!(c > b);
    // The same id again, but a window after other holders' ids (lost, then claimed again).
    clock.set(24_000.0);
    g.adopt_lease(n(3.0), 25_000.0, 30_000.0).unwrap();
    assert_eq!(
        GuidParts::from_guid(next(&mut g).unwrap()).ms_since_epoch,
        25_000
    );

    g.revoke_lease();
    expect_err(next(&mut g), "LEASE_EXPIRED");
    expect_err(g.adopt_lease(n(4096.0), 0.0, 1.0), "OUT_OF_RANGE");
    expect_err(g.adopt_lease(n(-1.0), 0.0, 1.0), "OUT_OF_RANGE");
    expect_err(g.adopt_lease(s("7"), 0.0, 1.0), "INVALID_TYPE");
    expect_err(g.adopt_lease(n(7.0), f64::NAN, 1.0), "INVALID_TYPE");
    expect_err(g.adopt_lease(n(7.0), 0.0, f64::INFINITY), "INVALID_TYPE");
    g.close();
    expect_err(g.adopt_lease(n(7.0), 0.0, 1e15), "GENERATOR_CLOSED");
    expect_err(next(&mut g), "GENERATOR_CLOSED");

    // Default epoch, Date.now() clock.
    let mut g = WasmGenerator::external(JsValue::UNDEFINED).unwrap();
    assert_eq!(g.epoch_unix_ms(), EPOCH as f64);
    g.adopt_lease(n(1.0), 0.0, now() + 60_000.0).unwrap();
    let id = next(&mut g).unwrap();
    assert_eq!(GuidParts::from_guid(id).generator_id, 1);
    expect_err(
        WasmGenerator::external(obj(&[("epochStartDate", s("x"))])),
        "INVALID_TYPE",
    );
}
