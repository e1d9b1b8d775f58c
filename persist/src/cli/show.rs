//! `jangada show --json FILE`: the loaded value as "value JSON" (the contract of issue 4):
//!
//! - `null`, `true`/`false`, integers (above `i64::MAX` exact), finite floats as numbers
//!   (always with a fraction or exponent, `-0.0` keeps its sign), other floats as
//!   `{"$float":"nan"|"inf"|"-inf"}`, `{"$complex":[re,im]}` (non-finite parts as
//!   `"nan"`/`"inf"`/`"-inf"`), strings, `{"$path":"/p"}`;
//! - lists as arrays, `{"$dict":{..}}`, objects as `{"$class":"mod.Name","$props":{..}}`;
//! - arrays as `{"$array":{"dtype":DT,"shape":[..],"data":FLAT}}` with DT and FLAT as in
//!   `jangada dump --json` (`"<f2"` float16 values converted exactly to float64; `"|S8"`
//!   fixed-length bytes as text, or `{"$hex":"ff00"}` for an element that is not UTF-8,
//!   an extension of the contract);
//! - `{"$timestamp":{"ns":INT,"tz":"Europe/Paris"|null}}` and
//!   `{"$datetimeindex":{"ns":[..],"tz":..}}`, `ns` the instant's nanoseconds since
//!   1970-01-01T00:00Z (pandas' `.value`), NaT = -2^63;
//! - custom dataset types (an extension of the contract) as
//!   `{"$dataset":{"type":"mylib.Quantity","array":{"dtype":DT,"shape":[..],"data":FLAT},
//!   "attrs":{NAME: VALUE_JSON}}}`, the attribute values scalar value JSON.
//!
//! `show` loads with [`crate::file::load_lenient`]: the tool cannot know which dataset types
//! the program that wrote the file registered, so every unknown `__dataset_type__` shows as
//! `$dataset` (the library's [`crate::load`] stays strict).

use std::path::Path;

use serde_json::{json, Map, Value as Json};

use super::dump::float_json;
use crate::error::Result;
use crate::value::{ArrayValue, Value};

/// Load the jangada file at `path` and give its value JSON.
pub fn show_file(path: impl AsRef<Path>) -> Result<Json> {
    Ok(value_to_json(&crate::file::load_lenient(path)?))
}

fn number_json(f: f64) -> Json {
    match float_json(f) {
        s @ Json::String(_) => json!({ "$float": s }),
        n => n,
    }
}

fn complex_json(re: f64, im: f64) -> Json {
    json!([float_json(re), float_json(im)])
}

/// The value JSON of a value.
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::None => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => number_json(*f),
        Value::Complex(re, im) => json!({ "$complex": complex_json(*re, *im) }),
        Value::Str(s) => json!(s),
        Value::Path(p) => json!({ "$path": p.to_string_lossy() }),
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::Dict(map) => json!({ "$dict": props_json(map) }),
        Value::Object(obj) => json!({ "$class": obj.class, "$props": props_json(&obj.props) }),
        Value::Array(a) => json!({ "$array": array_json(a) }),
        Value::Timestamp(t) => json!({ "$timestamp": { "ns": t.ns, "tz": t.tz } }),
        Value::DatetimeIndex(t) => json!({ "$datetimeindex": { "ns": t.ns, "tz": t.tz } }),
        Value::Custom(c) => json!({ "$dataset": {
            "type": c.dataset_type,
            "array": array_json(&c.array),
            "attrs": props_json(&c.attrs),
        } }),
    }
}

fn props_json(map: &std::collections::BTreeMap<String, Value>) -> Json {
    Json::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), value_to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

/// One element of an `|S<n>` array: its text when the bytes are UTF-8 (as `dump` prints
/// fixed-length strings), else `{"$hex":"ff00"}` (an extension: nothing is lost).
fn bytes_json(b: &[u8]) -> Json {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => json!({ "$hex": b.iter().map(|x| format!("{x:02x}")).collect::<String>() }),
    }
}

/// `{"dtype":DT,"shape":[..],"data":FLAT}` of an array.
pub fn array_json(a: &ArrayValue) -> Json {
    let data: Vec<Json> = match a {
        ArrayValue::I8(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::I16(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::I32(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::I64(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::U8(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::U16(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::U32(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::U64(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::F16(x) => x.iter().map(|v| float_json(v.to_f64())).collect(),
        ArrayValue::F32(x) => x.iter().map(|v| float_json(f64::from(*v))).collect(),
        ArrayValue::F64(x) => x.iter().map(|v| float_json(*v)).collect(),
        ArrayValue::Bool(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::C64(x) => x
            .iter()
            .map(|c| complex_json(f64::from(c.re), f64::from(c.im)))
            .collect(),
        ArrayValue::C128(x) => x.iter().map(|c| complex_json(c.re, c.im)).collect(),
        ArrayValue::Str(x) => x.iter().map(|v| json!(v)).collect(),
        ArrayValue::Bytes(b) => b.data.iter().map(|v| bytes_json(v)).collect(),
    };
    json!({ "dtype": a.dtype_str(), "shape": a.shape(), "data": data })
}
