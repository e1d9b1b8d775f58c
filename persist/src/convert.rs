//! Conversions between Rust field types and the dynamic [`Value`] tree.
//!
//! [`IntoValue`] and [`FromValue`] are what `#[derive(Persistable)]` calls for every field.
//! They follow jangada's type mapping (see [`crate::value`]): integers become `Value::Int`
//! (or `Value::UInt` above `i64::MAX`, as h5py stores such Python ints), floats `Value::Float`,
//! `Option::None` is `Value::None`, `Vec` a list, string-keyed maps a dict, `ndarray` arrays
//! an array, nested persistable structs an object.
//!
//! Loading is strict but forgiving where h5py and numpy are: an integer loads into a float
//! field, a float never loads into an integer field, an `int64` array loads into an `f64`
//! array field. Every mismatch is an [`Error::Type`] naming the property path, e.g.
//! `root.measurements[3].value`.
//!
//! [`PropCopy`] is the deep copy used by [`crate::Persistable::copy`]: it behaves like
//! `Clone` except that nested persistable structs drop their non-copiable properties, as
//! jangada's `copy()` does.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::PathBuf;

use ndarray::{Array, ArrayD, Dimension};
use num_complex::Complex;

use crate::error::{Error, Result};
use crate::value::{
    ArrayValue, CustomDataset, DatetimeIndex, FixedBytes, Object, Timestamp, Value, F16,
};

/// Converts a Rust value to a [`Value`].
pub trait IntoValue {
    /// The value as jangada stores it. Fails for values jangada cannot store (e.g. a
    /// Rust integer wider than 64 bits).
    fn to_value(&self) -> Result<Value>;

    /// True when the value is "unset" in jangada's sense (`None`): a write-once property
    /// holding it may still be assigned.
    fn is_none_value(&self) -> bool {
        false
    }
}

/// Builds a Rust value from a [`Value`].
pub trait FromValue: Sized {
    /// Converts `v`; `path` names the property for error messages (`root.data[2]`).
    fn from_value(v: Value, path: &str) -> Result<Self>;
}

/// Deep copy for property values: `Clone`, except that nested persistable structs keep only
/// their copiable properties (jangada's `copy()` semantics).
pub trait PropCopy {
    /// The copy.
    fn prop_copy(&self) -> Self;
}

/// The [`Error::Type`] for a value of the wrong kind at `path`.
pub fn type_error(path: &str, expected: &str, found: &Value) -> Error {
    Error::Type {
        path: path.to_string(),
        detail: format!("expected {expected}, found {}", found.kind()),
    }
}

/// The path of property `name` below `path` (`root.data`).
pub fn prop_path(path: &str, name: &str) -> String {
    format!("{path}.{name}")
}

fn index_path(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn key_path(path: &str, key: &str) -> String {
    format!("{path}[{key:?}]")
}

// ---------------------------------------------------------------- integers

macro_rules! int_impls {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            #[allow(clippy::unnecessary_fallible_conversions, irrefutable_let_patterns)]
            fn to_value(&self) -> Result<Value> {
                if let Ok(i) = i64::try_from(*self) {
                    return Ok(Value::Int(i));
                }
                match u64::try_from(*self) {
                    Ok(u) => Ok(Value::UInt(u)),
                    Err(_) => Err(Error::Unsupported(format!(
                        "integer {} does not fit 64 bits", self
                    ))),
                }
            }
        }

        impl FromValue for $t {
            #[allow(clippy::unnecessary_fallible_conversions)]
            fn from_value(v: Value, path: &str) -> Result<Self> {
                let out = match &v {
                    Value::Int(i) => <$t>::try_from(*i).ok(),
                    Value::UInt(u) => <$t>::try_from(*u).ok(),
                    other => return Err(type_error(path, stringify!($t), other)),
                };
                out.ok_or_else(|| Error::Type {
                    path: path.to_string(),
                    detail: format!("{:?} does not fit {}", v, stringify!($t)),
                })
            }
        }

        impl PropCopy for $t {
            fn prop_copy(&self) -> Self {
                *self
            }
        }
    )*};
}

int_impls!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, i128, u128);

// ---------------------------------------------------------------- floats, complex, bool

macro_rules! float_impls {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn to_value(&self) -> Result<Value> {
                Ok(Value::Float(f64::from(*self)))
            }
        }

        impl FromValue for $t {
            fn from_value(v: Value, path: &str) -> Result<Self> {
                match v {
                    Value::Float(f) => Ok(f as $t),
                    Value::Int(i) => Ok(i as $t),
                    Value::UInt(u) => Ok(u as $t),
                    other => Err(type_error(path, stringify!($t), &other)),
                }
            }
        }

        impl PropCopy for $t {
            fn prop_copy(&self) -> Self {
                *self
            }
        }

        impl IntoValue for Complex<$t> {
            fn to_value(&self) -> Result<Value> {
                Ok(Value::Complex(f64::from(self.re), f64::from(self.im)))
            }
        }

        impl FromValue for Complex<$t> {
            fn from_value(v: Value, path: &str) -> Result<Self> {
                match v {
                    Value::Complex(re, im) => Ok(Complex::new(re as $t, im as $t)),
                    Value::Float(f) => Ok(Complex::new(f as $t, 0.0)),
                    Value::Int(i) => Ok(Complex::new(i as $t, 0.0)),
                    Value::UInt(u) => Ok(Complex::new(u as $t, 0.0)),
                    other => Err(type_error(path, "complex", &other)),
                }
            }
        }

        impl PropCopy for Complex<$t> {
            fn prop_copy(&self) -> Self {
                *self
            }
        }
    )*};
}

float_impls!(f32, f64);

impl IntoValue for bool {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Bool(*self))
    }
}

impl FromValue for bool {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(type_error(path, "bool", &other)),
        }
    }
}

// ---------------------------------------------------------------- strings, paths, time

impl IntoValue for str {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Str(self.to_string()))
    }
}

impl IntoValue for String {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Str(self.clone()))
    }
}

impl FromValue for String {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::Str(s) => Ok(s),
            other => Err(type_error(path, "str", &other)),
        }
    }
}

impl IntoValue for PathBuf {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Path(self.clone()))
    }
}

impl IntoValue for std::path::Path {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Path(self.to_path_buf()))
    }
}

/// A path field also accepts a plain string (a file written by hand with h5py).
impl FromValue for PathBuf {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::Path(p) => Ok(p),
            Value::Str(s) => Ok(PathBuf::from(s)),
            other => Err(type_error(path, "Path", &other)),
        }
    }
}

/// `IntoValue`/`FromValue` for a type that is one variant of [`Value`] (its name in errors).
macro_rules! variant_value {
    ($($t:ty => $variant:ident, $name:literal;)*) => {$(
        impl IntoValue for $t {
            fn to_value(&self) -> Result<Value> {
                Ok(Value::$variant(self.clone()))
            }
        }

        impl FromValue for $t {
            fn from_value(v: Value, path: &str) -> Result<Self> {
                match v {
                    Value::$variant(x) => Ok(x),
                    other => Err(type_error(path, $name, &other)),
                }
            }
        }
    )*};
}

// A generic object (any class); a custom dataset as is (the building block of a user
// type's own conversions).
variant_value! {
    Timestamp => Timestamp, "Timestamp";
    DatetimeIndex => DatetimeIndex, "DatetimeIndex";
    Object => Object, "object";
    CustomDataset => Custom, "custom dataset";
    ArrayValue => Array, "array";
}

macro_rules! clone_copy {
    ($($t:ty),*) => {$(
        impl PropCopy for $t {
            fn prop_copy(&self) -> Self {
                self.clone()
            }
        }
    )*};
}

clone_copy!(
    bool,
    String,
    PathBuf,
    Timestamp,
    DatetimeIndex,
    Value,
    Object,
    ArrayValue,
    CustomDataset
);

// ---------------------------------------------------------------- the dynamic tree itself

impl IntoValue for Value {
    fn to_value(&self) -> Result<Value> {
        Ok(self.clone())
    }

    fn is_none_value(&self) -> bool {
        self.is_none()
    }
}

impl FromValue for Value {
    fn from_value(v: Value, _path: &str) -> Result<Self> {
        Ok(v)
    }
}

// ---------------------------------------------------------------- containers

impl<T: IntoValue + ?Sized> IntoValue for &T {
    fn to_value(&self) -> Result<Value> {
        (**self).to_value()
    }

    fn is_none_value(&self) -> bool {
        (**self).is_none_value()
    }
}

impl<T: IntoValue + ?Sized> IntoValue for Box<T> {
    fn to_value(&self) -> Result<Value> {
        (**self).to_value()
    }

    fn is_none_value(&self) -> bool {
        (**self).is_none_value()
    }
}

impl<T: FromValue> FromValue for Box<T> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        T::from_value(v, path).map(Box::new)
    }
}

impl<T: PropCopy> PropCopy for Box<T> {
    fn prop_copy(&self) -> Self {
        Box::new((**self).prop_copy())
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn to_value(&self) -> Result<Value> {
        match self {
            None => Ok(Value::None),
            Some(v) => v.to_value(),
        }
    }

    fn is_none_value(&self) -> bool {
        self.is_none()
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::None => Ok(None),
            other => T::from_value(other, path).map(Some),
        }
    }
}

impl<T: PropCopy> PropCopy for Option<T> {
    fn prop_copy(&self) -> Self {
        self.as_ref().map(PropCopy::prop_copy)
    }
}

impl<T: IntoValue> IntoValue for [T] {
    fn to_value(&self) -> Result<Value> {
        self.iter()
            .map(IntoValue::to_value)
            .collect::<Result<Vec<_>>>()
            .map(Value::List)
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn to_value(&self) -> Result<Value> {
        self.as_slice().to_value()
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item, &index_path(path, i)))
                .collect(),
            other => Err(type_error(path, "list", &other)),
        }
    }
}

impl<T: PropCopy> PropCopy for Vec<T> {
    fn prop_copy(&self) -> Self {
        self.iter().map(PropCopy::prop_copy).collect()
    }
}

fn map_to_value<'a, T: IntoValue + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<Value> {
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        out.insert(k.clone(), v.to_value()?);
    }
    Ok(Value::Dict(out))
}

fn dict_entries(v: Value, path: &str) -> Result<BTreeMap<String, Value>> {
    match v {
        Value::Dict(d) => Ok(d),
        other => Err(type_error(path, "dict", &other)),
    }
}

impl<T: IntoValue> IntoValue for BTreeMap<String, T> {
    fn to_value(&self) -> Result<Value> {
        map_to_value(self.iter())
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        dict_entries(v, path)?
            .into_iter()
            .map(|(k, v)| {
                let item = T::from_value(v, &key_path(path, &k))?;
                Ok((k, item))
            })
            .collect()
    }
}

impl<T: PropCopy> PropCopy for BTreeMap<String, T> {
    fn prop_copy(&self) -> Self {
        self.iter()
            .map(|(k, v)| (k.clone(), v.prop_copy()))
            .collect()
    }
}

impl<T: IntoValue, S> IntoValue for HashMap<String, T, S> {
    fn to_value(&self) -> Result<Value> {
        map_to_value(self.iter())
    }
}

impl<T: FromValue, S: BuildHasher + Default> FromValue for HashMap<String, T, S> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        dict_entries(v, path)?
            .into_iter()
            .map(|(k, v)| {
                let item = T::from_value(v, &key_path(path, &k))?;
                Ok((k, item))
            })
            .collect()
    }
}

impl<T: PropCopy, S: BuildHasher + Default> PropCopy for HashMap<String, T, S> {
    fn prop_copy(&self) -> Self {
        self.iter()
            .map(|(k, v)| (k.clone(), v.prop_copy()))
            .collect()
    }
}

// ---------------------------------------------------------------- ndarray

/// Element types of [`ArrayValue`]: every numeric dtype, `bool`, complex and `String`.
pub trait ArrayElement: Clone + Sized {
    /// numpy's name of the dtype, for error messages.
    const DTYPE: &'static str;
    /// Wraps an array of this element type.
    fn wrap(a: ArrayD<Self>) -> ArrayValue;
    /// Unwraps an array of this element type, converting losslessly-enough element types
    /// (any integer or `f32` array into `f64`, narrower integers into wider ones of the
    /// same or larger range, `complex64`/real arrays into `complex128`); gives the array
    /// back when it does not fit.
    fn unwrap(a: ArrayValue) -> std::result::Result<ArrayD<Self>, ArrayValue>;
}

macro_rules! array_element {
    ($t:ty, $variant:ident, $dtype:literal $(, $from:ident => |$x:ident| $conv:expr)*) => {
        impl ArrayElement for $t {
            const DTYPE: &'static str = $dtype;
            fn wrap(a: ArrayD<Self>) -> ArrayValue {
                ArrayValue::$variant(a)
            }
            fn unwrap(a: ArrayValue) -> std::result::Result<ArrayD<Self>, ArrayValue> {
                match a {
                    ArrayValue::$variant(a) => Ok(a),
                    $(ArrayValue::$from(a) => Ok(a.mapv(|$x| $conv)),)*
                    other => Err(other),
                }
            }
        }
    };
}

array_element!(i8, I8, "int8");
array_element!(i16, I16, "int16", I8 => |x| i16::from(x), U8 => |x| i16::from(x));
array_element!(i32, I32, "int32", I8 => |x| i32::from(x), I16 => |x| i32::from(x),
    U8 => |x| i32::from(x), U16 => |x| i32::from(x));
array_element!(i64, I64, "int64", I8 => |x| i64::from(x), I16 => |x| i64::from(x),
    I32 => |x| i64::from(x), U8 => |x| i64::from(x), U16 => |x| i64::from(x),
    U32 => |x| i64::from(x));
array_element!(u8, U8, "uint8");
array_element!(u16, U16, "uint16", U8 => |x| u16::from(x));
array_element!(u32, U32, "uint32", U8 => |x| u32::from(x), U16 => |x| u32::from(x));
array_element!(u64, U64, "uint64", U8 => |x| u64::from(x), U16 => |x| u64::from(x),
    U32 => |x| u64::from(x));
array_element!(F16, F16, "float16");
array_element!(f32, F32, "float32", F16 => |x| x.to_f32(), I8 => |x| f32::from(x),
    I16 => |x| f32::from(x), U8 => |x| f32::from(x), U16 => |x| f32::from(x));
array_element!(f64, F64, "float64", F16 => |x| x.to_f64(), F32 => |x| f64::from(x),
    I8 => |x| f64::from(x),
    I16 => |x| f64::from(x), I32 => |x| f64::from(x), I64 => |x| x as f64,
    U8 => |x| f64::from(x), U16 => |x| f64::from(x), U32 => |x| f64::from(x),
    U64 => |x| x as f64);
array_element!(bool, Bool, "bool");
array_element!(Complex<f32>, C64, "complex64");
array_element!(Complex<f64>, C128, "complex128",
    C64 => |x| Complex::new(f64::from(x.re), f64::from(x.im)),
    F64 => |x| Complex::new(x, 0.0), F32 => |x| Complex::new(f64::from(x), 0.0));
array_element!(String, Str, "str");

/// `ArrayD<Vec<u8>>` is numpy's `S<n>` ([`ArrayValue::Bytes`]): saved with `n` the longest
/// element's length (as `numpy.array` chooses it); loaded from any `S<n>`.
impl ArrayElement for Vec<u8> {
    const DTYPE: &'static str = "bytes (S<n>)";
    fn wrap(a: ArrayD<Self>) -> ArrayValue {
        ArrayValue::Bytes(FixedBytes::new(a))
    }
    fn unwrap(a: ArrayValue) -> std::result::Result<ArrayD<Self>, ArrayValue> {
        match a {
            ArrayValue::Bytes(b) => Ok(b.data),
            other => Err(other),
        }
    }
}

impl<T: ArrayElement, D: Dimension> IntoValue for Array<T, D> {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Array(T::wrap(self.clone().into_dyn())))
    }
}

impl<T: ArrayElement, D: Dimension> FromValue for Array<T, D> {
    fn from_value(v: Value, path: &str) -> Result<Self> {
        let a = match v {
            Value::Array(a) => a,
            other => return Err(type_error(path, &format!("array of {}", T::DTYPE), &other)),
        };
        let a = T::unwrap(a).map_err(|a| Error::Type {
            path: path.to_string(),
            detail: format!(
                "expected array of {}, found array {}",
                T::DTYPE,
                a.dtype_str()
            ),
        })?;
        let ndim = a.ndim();
        a.into_dimensionality::<D>().map_err(|_| Error::Type {
            path: path.to_string(),
            detail: format!(
                "expected a {}-dimensional array, found {ndim} dimensions",
                D::NDIM.map_or_else(|| "N".to_string(), |n| n.to_string())
            ),
        })
    }
}

impl<T: ArrayElement, D: Dimension> PropCopy for Array<T, D> {
    fn prop_copy(&self) -> Self {
        self.clone()
    }
}
