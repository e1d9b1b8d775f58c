//! `jangada write --json IN.json OUT.hdf5`: parse value JSON (the schema of
//! [`super::show`]) and save it as a jangada file. Malformed input is an
//! [`Error::Invalid`] naming the JSON location (`$.props.x[2]`), and nothing is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use num_complex::Complex;
use serde_json::{Map, Value as Json};

use crate::compression::Compression;
use crate::error::{Error, Result};
use crate::file::{save_value, SaveOptions};
use crate::value::{
    ArrayValue, CustomDataset, DatetimeIndex, FixedBytes, Object, Timestamp, Value, F16,
};

fn bad(at: &str, detail: impl std::fmt::Display) -> Error {
    Error::Invalid {
        property: at.to_string(),
        detail: format!("malformed value JSON: {detail}"),
    }
}

/// Read value JSON from `input` and write it to `output` exactly (no extension added,
/// replacing any existing file atomically). Returns the path written.
pub fn write_file(input: &Path, output: &Path) -> Result<PathBuf> {
    write_file_compressed(input, output, None)
}

/// [`write_file`] with every array dataset (of rank 1 or more) compressed with
/// `compression` (`jangada write --compression "shuffle,zstd:3"`).
pub fn write_file_compressed(
    input: &Path,
    output: &Path,
    compression: Option<Compression>,
) -> Result<PathBuf> {
    let text = std::fs::read_to_string(input)?;
    let json: Json = serde_json::from_str(&text).map_err(|e| bad("$", e))?;
    let value = value_from_json(&json)?;
    let opts = SaveOptions {
        use_default_extension: false,
        compression,
        ..SaveOptions::default()
    };
    save_value(output, &value, &opts)
}

/// The value of value JSON.
pub fn value_from_json(json: &Json) -> Result<Value> {
    parse(json, "$")
}

fn single<'a>(map: &'a Map<String, Json>, at: &str) -> Result<(&'a str, &'a Json)> {
    let mut it = map.iter();
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        _ => Err(bad(at, "an object must be one of the $-tagged forms")),
    }
}

fn parse_float(json: &Json, at: &str) -> Result<f64> {
    match json {
        Json::Number(n) => n.as_f64().ok_or_else(|| bad(at, "not a float")),
        Json::String(s) => match s.as_str() {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            _ => Err(bad(
                at,
                format!("{s:?} is not \"nan\", \"inf\" or \"-inf\""),
            )),
        },
        _ => Err(bad(at, "expected a number or \"nan\"/\"inf\"/\"-inf\"")),
    }
}

fn parse_complex(json: &Json, at: &str) -> Result<(f64, f64)> {
    match json.as_array().map(Vec::as_slice) {
        Some([re, im]) => Ok((parse_float(re, at)?, parse_float(im, at)?)),
        _ => Err(bad(at, "a complex number is [re, im]")),
    }
}

fn parse_map(json: &Json, at: &str) -> Result<BTreeMap<String, Value>> {
    let map = json
        .as_object()
        .ok_or_else(|| bad(at, "expected an object"))?;
    map.iter()
        .map(|(k, v)| Ok((k.clone(), parse(v, &format!("{at}.{k}"))?)))
        .collect()
}

fn parse_i64(json: &Json, at: &str) -> Result<i64> {
    json.as_i64()
        .ok_or_else(|| bad(at, "expected a 64-bit signed integer"))
}

fn parse_tz(json: Option<&Json>, at: &str) -> Result<Option<String>> {
    match json {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(at, "tz must be a string or null")),
    }
}

fn fields<'a>(json: &'a Json, at: &str, allowed: &[&str]) -> Result<&'a Map<String, Json>> {
    let map = json
        .as_object()
        .ok_or_else(|| bad(at, "expected an object"))?;
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(at, format!("unexpected field {k:?}")));
    }
    Ok(map)
}

fn parse(json: &Json, at: &str) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if n.is_f64() {
                Value::Float(n.as_f64().ok_or_else(|| bad(at, "bad float"))?)
            } else if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                return Err(bad(at, format!("{n} is not representable")));
            }
        }
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| parse(v, &format!("{at}[{i}]")))
                .collect::<Result<_>>()?,
        ),
        Json::Object(map) if map.contains_key("$class") => {
            let map = fields(json, at, &["$class", "$props"])?;
            let class = map
                .get("$class")
                .and_then(Json::as_str)
                .ok_or_else(|| bad(at, "$class must be a string"))?;
            let props = match map.get("$props") {
                Some(p) => parse_map(p, &format!("{at}.$props"))?,
                None => return Err(bad(at, "an object needs $props")),
            };
            Value::Object(Object {
                class: class.to_string(),
                props,
            })
        }
        Json::Object(map) => {
            let (tag, body) = single(map, at)?;
            let inner = format!("{at}.{tag}");
            match tag {
                "$float" => Value::Float(match body {
                    Json::String(_) => parse_float(body, &inner)?,
                    _ => return Err(bad(&inner, "expected \"nan\", \"inf\" or \"-inf\"")),
                }),
                "$complex" => {
                    let (re, im) = parse_complex(body, &inner)?;
                    Value::Complex(re, im)
                }
                "$path" => Value::Path(PathBuf::from(
                    body.as_str()
                        .ok_or_else(|| bad(&inner, "expected a string"))?,
                )),
                "$dict" => Value::Dict(parse_map(body, &inner)?),
                "$array" => Value::Array(parse_array(body, &inner)?),
                "$dataset" => {
                    let m = fields(body, &inner, &["type", "array", "attrs"])?;
                    let dataset_type = m
                        .get("type")
                        .and_then(Json::as_str)
                        .ok_or_else(|| bad(&inner, "type must be a string"))?;
                    let array = parse_array(
                        m.get("array")
                            .ok_or_else(|| bad(&inner, "a $dataset needs an array"))?,
                        &format!("{inner}.array"),
                    )?;
                    let attrs = match m.get("attrs") {
                        Some(a) => parse_map(a, &format!("{inner}.attrs"))?,
                        None => BTreeMap::new(),
                    };
                    Value::Custom(CustomDataset {
                        dataset_type: dataset_type.to_string(),
                        array,
                        attrs,
                    })
                }
                "$timestamp" => {
                    let m = fields(body, &inner, &["ns", "tz"])?;
                    let ns = parse_i64(m.get("ns").unwrap_or(&Json::Null), &format!("{inner}.ns"))?;
                    Value::Timestamp(Timestamp {
                        ns,
                        tz: parse_tz(m.get("tz"), &inner)?,
                    })
                }
                "$datetimeindex" => {
                    let m = fields(body, &inner, &["ns", "tz"])?;
                    let ns = m
                        .get("ns")
                        .and_then(Json::as_array)
                        .ok_or_else(|| bad(&inner, "ns must be a list of integers"))?
                        .iter()
                        .enumerate()
                        .map(|(i, v)| parse_i64(v, &format!("{inner}.ns[{i}]")))
                        .collect::<Result<_>>()?;
                    Value::DatetimeIndex(DatetimeIndex {
                        ns,
                        tz: parse_tz(m.get("tz"), &inner)?,
                    })
                }
                other => return Err(bad(at, format!("unknown tag {other:?}"))),
            }
        }
    })
}

fn elements<T>(data: &[Json], at: &str, f: impl Fn(&Json, &str) -> Result<T>) -> Result<Vec<T>> {
    data.iter()
        .enumerate()
        .map(|(i, v)| f(v, &format!("{at}.data[{i}]")))
        .collect()
}

fn int<T: TryFrom<i64>>(v: &Json, at: &str) -> Result<T> {
    v.as_i64()
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| bad(at, "integer out of range for the dtype"))
}

fn uint<T: TryFrom<u64>>(v: &Json, at: &str) -> Result<T> {
    v.as_u64()
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| bad(at, "integer out of range for the dtype"))
}

/// Parse `{"dtype":DT,"shape":[..],"data":FLAT}`.
pub fn parse_array(json: &Json, at: &str) -> Result<ArrayValue> {
    let m = fields(json, at, &["dtype", "shape", "data"])?;
    let dtype = m
        .get("dtype")
        .and_then(Json::as_str)
        .ok_or_else(|| bad(at, "dtype must be a string"))?;
    let shape: Vec<usize> = m
        .get("shape")
        .and_then(Json::as_array)
        .ok_or_else(|| bad(at, "shape must be a list"))?
        .iter()
        .map(|d| {
            d.as_u64()
                .and_then(|d| usize::try_from(d).ok())
                .ok_or_else(|| bad(at, "shape entries must be non-negative integers"))
        })
        .collect::<Result<_>>()?;
    let data = m
        .get("data")
        .and_then(Json::as_array)
        .ok_or_else(|| bad(at, "data must be a list"))?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad(at, "shape too large"))?;
    if count != data.len() {
        return Err(bad(
            at,
            format!(
                "shape {shape:?} needs {count} elements, data has {}",
                data.len()
            ),
        ));
    }
    fn arr<T>(shape: Vec<usize>, v: Vec<T>, at: &str) -> Result<ArrayD<T>> {
        ArrayD::from_shape_vec(shape, v).map_err(|e| bad(at, e))
    }
    let d = data.as_slice();
    Ok(match dtype {
        "|i1" => ArrayValue::I8(arr(shape, elements(d, at, int::<i8>)?, at)?),
        "<i2" => ArrayValue::I16(arr(shape, elements(d, at, int::<i16>)?, at)?),
        "<i4" => ArrayValue::I32(arr(shape, elements(d, at, int::<i32>)?, at)?),
        "<i8" => ArrayValue::I64(arr(shape, elements(d, at, int::<i64>)?, at)?),
        "|u1" => ArrayValue::U8(arr(shape, elements(d, at, uint::<u8>)?, at)?),
        "<u2" => ArrayValue::U16(arr(shape, elements(d, at, uint::<u16>)?, at)?),
        "<u4" => ArrayValue::U32(arr(shape, elements(d, at, uint::<u32>)?, at)?),
        "<u8" => ArrayValue::U64(arr(shape, elements(d, at, uint::<u64>)?, at)?),
        // Rounded as numpy's astype does (as for "<f4"); `show` writes them exactly.
        "<f2" => ArrayValue::F16(arr(
            shape,
            elements(d, at, |v, a| parse_float(v, a).map(F16::from_f64))?,
            at,
        )?),
        "<f4" => ArrayValue::F32(arr(
            shape,
            elements(d, at, |v, a| parse_float(v, a).map(|f| f as f32))?,
            at,
        )?),
        "<f8" => ArrayValue::F64(arr(shape, elements(d, at, parse_float)?, at)?),
        "|b1" => ArrayValue::Bool(arr(
            shape,
            elements(d, at, |v, a| {
                v.as_bool().ok_or_else(|| bad(a, "expected a bool"))
            })?,
            at,
        )?),
        "<c8" => ArrayValue::C64(arr(
            shape,
            elements(d, at, |v, a| {
                parse_complex(v, a).map(|(re, im)| Complex::new(re as f32, im as f32))
            })?,
            at,
        )?),
        "<c16" => ArrayValue::C128(arr(
            shape,
            elements(d, at, |v, a| {
                parse_complex(v, a).map(|(re, im)| Complex::new(re, im))
            })?,
            at,
        )?),
        "str" => ArrayValue::Str(arr(
            shape,
            elements(d, at, |v, a| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(a, "expected a string"))
            })?,
            at,
        )?),
        other => match other
            .strip_prefix("|S")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(itemsize) if itemsize > 0 => ArrayValue::Bytes(FixedBytes {
                itemsize,
                data: arr(shape, elements(d, at, |v, a| bytes(v, a, itemsize))?, at)?,
            }),
            _ => return Err(bad(at, format!("unsupported dtype {other:?}"))),
        },
    })
}

/// One element of an `|S<n>` array: a string (its UTF-8 bytes) or `{"$hex": "6162"}` (bytes
/// that are not UTF-8), at most `itemsize` bytes.
fn bytes(v: &Json, at: &str, itemsize: usize) -> Result<Vec<u8>> {
    let b = match v {
        Json::String(s) => s.as_bytes().to_vec(),
        Json::Object(m) => match single(m, at)? {
            ("$hex", Json::String(h)) => from_hex(h).ok_or_else(|| bad(at, "bad $hex digits"))?,
            _ => return Err(bad(at, "expected a string or {\"$hex\": \"..\"}")),
        },
        _ => return Err(bad(at, "expected a string or {\"$hex\": \"..\"}")),
    };
    if b.len() > itemsize {
        return Err(bad(
            at,
            format!("{} bytes do not fit the item size {itemsize}", b.len()),
        ));
    }
    Ok(b)
}

/// Lowercase or uppercase hex digits, two per byte.
fn from_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| h.get(i..i + 2).and_then(|d| u8::from_str_radix(d, 16).ok()))
        .collect()
}
