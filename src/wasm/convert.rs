//! JS value <-> core type conversions, with a typed `SnowfallError` for every bad input.

use core::cell::RefCell;

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::{Error, DEFAULT_EPOCH_UNIX_MS};
use alloc::string::{String, ToString};

pub(crate) static ERROR_CLASS: super::Global<RefCell<Option<Function>>> =
    super::Global(RefCell::new(None));

/// A core error as a thrown JS value: `new SnowfallError(code, message)`.
pub(crate) fn error_to_js(e: Error) -> JsValue {
    let text = e.message();
    let (code, message) = (JsValue::from_str(e.code()), JsValue::from_str(&text));
    let class = ERROR_CLASS.with(|c| c.borrow().clone());
    if let Some(class) = class {
        if let Ok(err) = Reflect::construct(&class, &js_sys::Array::of2(&code, &message)) {
            return err;
        }
    }
    let err = js_sys::Error::new(&text);
    let _ = Reflect::set(&err, &"code".into(), &code);
    err.into()
}

/// A number as JS prints it (Rust's float formatting would add kilobytes to the wasm).
pub(crate) fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

fn bigint_text(v: &JsValue) -> String {
    v.unchecked_ref::<js_sys::BigInt>()
        .to_string(10)
        .map(String::from)
        .unwrap_or_default()
}

/// How a JS value is described in an error message (concatenated: `format!` would bring in
/// `core::fmt`, kilobytes of wasm).
pub(crate) fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if let Some(s) = v.as_string() {
        ["the string \"", &s, "\""].concat()
    } else if let Some(n) = v.as_f64() {
        ["the number ", &number_text(n)].concat()
    } else if v.is_bigint() {
        ["the bigint ", &bigint_text(v)].concat()
    } else if v.is_function() {
        "a function".into()
    } else {
        let t = v.js_typeof().as_string().unwrap_or_default();
        ["a value of type ", &t].concat()
    }
}

fn invalid_type(what: &str, expected: &'static str, got: &JsValue) -> JsValue {
    error_to_js(Error::InvalidType {
        what: what.to_string(),
        expected,
        got: describe(got),
    })
}

/// An options object (or undefined, meaning all defaults), read field by field.
pub(crate) struct Options<'a> {
    obj: Option<&'a JsValue>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(v: &'a JsValue, what: &str) -> Result<Self, JsValue> {
        if v.is_undefined() || v.is_null() {
            Ok(Options { obj: None })
        } else if v.is_object() && !v.is_function() && !js_sys::Array::is_array(v) {
            Ok(Options { obj: Some(v) })
        } else {
            Err(invalid_type(what, "an options object", v))
        }
    }

    /// The field's value, or None when absent or undefined.
    pub(crate) fn get(&self, key: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(obj) = self.obj else { return Ok(None) };
        let v = Reflect::get(obj, &key.into())?;
        Ok((!v.is_undefined()).then_some(v))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        self.get(key)?.map(|v| string_arg(key, &v)).transpose()
    }

    /// An integer field within `min..=max`.
    pub(crate) fn integer(
        &self,
        key: &'static str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, JsValue> {
        self.get(key)?
            .map(|v| integer_arg(key, &v, min, max))
            .transpose()
    }

    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsValue> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if v.is_function() => Ok(Some(v.unchecked_into())),
            Some(v) => Err(invalid_type(key, "a function", &v)),
        }
    }
}

pub(crate) fn string_arg(what: &str, v: &JsValue) -> Result<String, JsValue> {
    v.as_string()
        .ok_or_else(|| invalid_type(what, "a string", v))
}

/// Whether a finite `n` has no fraction (`f64::fract` and `floor` need std, hence these two).
fn is_integral(n: f64) -> bool {
    const EXACT: f64 = 4_503_599_627_370_496.0; // 2^52: every f64 beyond it is an integer
    !(-EXACT..=EXACT).contains(&n) || (n as i64) as f64 == n
}

/// `n.floor() as i64` for a finite `n` (saturating, as `as` does).
fn floor(n: f64) -> i64 {
    let t = n as i64;
    if (t as f64) > n {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// A JS number that must be an integer within `min..=max`.
pub(crate) fn integer_arg(
    what: &'static str,
    v: &JsValue,
    min: i64,
    max: i64,
) -> Result<i64, JsValue> {
    let Some(n) = v.as_f64() else {
        return Err(invalid_type(what, "an integer number", v));
    };
    if !n.is_finite() || !is_integral(n) {
        return Err(invalid_type(what, "an integer number", v));
    }
    if n < min as f64 || n > max as f64 {
        return Err(error_to_js(Error::out_of_range(
            what,
            min,
            max as u64,
            number_text(n),
        )));
    }
    Ok(n as i64)
}

/// A millisecond value passed between our own JS and wasm (already checked by the caller's types).
pub(crate) fn finite_ms(what: &str, n: f64) -> Result<i64, JsValue> {
    if n.is_finite() {
        Ok(floor(n))
    } else {
        Err(error_to_js(Error::InvalidType {
            what: what.to_string(),
            expected: "a finite number of ms",
            got: number_text(n),
        }))
    }
}

/// A point in time: a valid `Date`, or integer Unix milliseconds.
pub(crate) fn time_arg(what: &'static str, v: &JsValue) -> Result<i64, JsValue> {
    if let Some(date) = v.dyn_ref::<js_sys::Date>() {
        let ms = date.get_time();
        if !ms.is_finite() {
            return Err(invalid_type(what, "a valid Date", v));
        }
        return Ok(ms as i64);
    }
    if v.as_f64().is_some() {
        return integer_arg(what, v, -8_640_000_000_000_000, 8_640_000_000_000_000);
    }
    Err(invalid_type(what, "a Date or integer Unix milliseconds", v))
}

/// `options.epochStartDate` (a Date or Unix ms), defaulting to 2020-01-01T00:00:00Z.
pub(crate) fn epoch_option(o: &Options) -> Result<i64, JsValue> {
    match o.get("epochStartDate")? {
        None => Ok(DEFAULT_EPOCH_UNIX_MS),
        Some(v) => {
            let ms = time_arg("epochStartDate", &v)?;
            if ms < 0 {
                return Err(error_to_js(Error::out_of_range(
                    "epochStartDate",
                    0,
                    i64::MAX as u64,
                    ms,
                )));
            }
            Ok(ms)
        }
    }
}

/// A GUID given as a bigint or a decimal string. Numbers are refused: ids exceed 2^53, so a Number
/// has already lost digits.
pub(crate) fn guid_arg(what: &'static str, v: &JsValue) -> Result<u64, JsValue> {
    let text = if v.is_bigint() {
        bigint_text(v)
    } else if let Some(s) = v.as_string() {
        let t = s.trim();
        if t.is_empty()
            || !t
                .bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
        {
            return Err(invalid_type(what, "a bigint or a decimal string", v));
        }
        t.to_string()
    } else {
        return Err(invalid_type(
            what,
            "a bigint or a decimal string (a Number cannot hold a 64-bit id exactly)",
            v,
        ));
    };
    if text.starts_with('-') && text.trim_start_matches(['-', '0']).is_empty() {
        return Ok(0); // "-0"
    }
    match text.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) => Err(error_to_js(Error::out_of_range(what, 0, u64::MAX, text))),
    }
}
