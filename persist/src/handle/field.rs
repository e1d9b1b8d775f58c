//! [`LazyField`]: how each property type is seen through an open handle (the return types
//! of the derived `<Name>Handle` accessors).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::LazyObject;
use crate::convert::FromValue;
use crate::error::Result;
use crate::lazy::ProxyDataset;
use crate::value::{Object, Value};

/// How a property's type is seen through an open handle (the return type of the derived
/// accessors): arrays and times as [`ProxyDataset`]s, nested persistable structs as
/// [`LazyObject`]s, `Option<T>` as `Option` of `T`'s (`None` when stored as `None`),
/// anything else loaded whole.
pub trait LazyField {
    /// What the accessor returns.
    type Lazy<'h>;
    /// The item `name` of `obj`.
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Self::Lazy<'h>>;
}

/// Implements [`LazyField`] for types of your own that implement [`FromValue`], so that
/// the derived `<Name>Handle` accessors load them whole: `jangada::lazy_loaded!(MyType);`.
/// (Or opt a struct out of the accessors with `#[jangada(no_handle)]`.)
#[macro_export]
macro_rules! lazy_loaded {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::LazyField for $t {
            type Lazy<'h> = $t;
            fn lazy<'h>(
                obj: &$crate::LazyObject<'h, $crate::Value>,
                name: &str,
            ) -> $crate::Result<$t> {
                obj.prop(name)
            }
        }
    )*};
}

macro_rules! loaded {
    ($($t:ty),* $(,)?) => {$(
        impl LazyField for $t {
            type Lazy<'h> = $t;
            fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<$t> {
                obj.prop(name)
            }
        }
    )*};
}

loaded!(
    i8,
    i16,
    i32,
    i64,
    isize,
    u8,
    u16,
    u32,
    u64,
    usize,
    i128,
    u128,
    f32,
    f64,
    bool,
    String,
    PathBuf,
    Value,
    Object,
    num_complex::Complex<f32>,
    num_complex::Complex<f64>
);

impl<T: FromValue> LazyField for Vec<T> {
    type Lazy<'h> = Vec<T>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Vec<T>> {
        obj.prop(name)
    }
}

impl<T: FromValue> LazyField for BTreeMap<String, T> {
    type Lazy<'h> = BTreeMap<String, T>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Self> {
        obj.prop(name)
    }
}

impl<T: FromValue, S: std::hash::BuildHasher + Default> LazyField
    for std::collections::HashMap<String, T, S>
{
    type Lazy<'h> = std::collections::HashMap<String, T, S>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Self> {
        obj.prop(name)
    }
}

impl<T: LazyField> LazyField for Box<T> {
    type Lazy<'h> = T::Lazy<'h>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Self::Lazy<'h>> {
        T::lazy(obj, name)
    }
}

impl<T: LazyField> LazyField for Option<T> {
    type Lazy<'h> = Option<T::Lazy<'h>>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<Self::Lazy<'h>> {
        if obj.is_none(name)? {
            Ok(None)
        } else {
            T::lazy(obj, name).map(Some)
        }
    }
}

macro_rules! proxied {
    ($($t:ty),*) => {$(
        impl LazyField for $t {
            type Lazy<'h> = ProxyDataset<'h>;
            fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<ProxyDataset<'h>> {
                obj.proxy(name)
            }
        }
    )*};
}

proxied!(
    crate::value::Timestamp,
    crate::value::DatetimeIndex,
    crate::value::ArrayValue,
    crate::value::CustomDataset
);

impl<T, D: ndarray::Dimension> LazyField for ndarray::Array<T, D> {
    type Lazy<'h> = ProxyDataset<'h>;
    fn lazy<'h>(obj: &LazyObject<'h, Value>, name: &str) -> Result<ProxyDataset<'h>> {
        obj.proxy(name)
    }
}
