//! Writing a [`Value`] into an HDF5 group the way jangada's
//! `Persistable._save_data_in_group` does (see the [module docs](super) for the mapping).
//!
//! Everything that could make the save fail for a reason of the VALUE (a dict key HDF5
//! cannot hold as a name, an unknown time zone, a non-UTF-8 path, a time out of range) is
//! checked by [`check_value`] before the first byte is written.

use std::path::Path;

use jangada_hdf5::{
    AttrData, CharacterSet, DatasetBuilder, Datatype, Group, IntoAttr, Selection, StringPadding,
};
use ndarray::ArrayD;

use super::custom::is_builtin;
use super::{
    time, CLASS, CONTAINER_TYPE, DATASET_TYPE, DATETIME_INDEX, NDARRAY, NONE, PATH_PREFIX,
    TIMESTAMP,
};
use crate::error::{Error, Result};
use crate::file::SaveOptions;
use crate::value::{ArrayValue, CustomDataset, FixedBytes, Value};

/// Attribute holding a time value's zone.
pub const TIMEZONE: &str = "timezone";

/// Whether HDF5 can hold `name` as a link or attribute name: non-empty, no `/`, not `.`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && !name.contains('/')
}

fn check_key(key: &str, at: &str, reserved: &[&str]) -> Result<()> {
    if !valid_name(key) {
        return Err(Error::Unsupported(format!(
            "key {key:?} in {at} cannot be an HDF5 name (empty, \".\" or containing \"/\")"
        )));
    }
    if reserved.contains(&key) {
        return Err(Error::Unsupported(format!(
            "key {key:?} in {at} is reserved by jangada's layout"
        )));
    }
    Ok(())
}

fn path_string(p: &Path) -> Result<String> {
    let abs = std::path::absolute(p)?;
    abs.to_str()
        .map(|s| format!("{PATH_PREFIX}{s}"))
        .ok_or_else(|| Error::Unsupported(format!("path {} is not valid UTF-8", p.display())))
}

/// Where a value sits in the tree being checked: built into a string only for an error
/// message (formatting every node's path cost as much as the rest of the check).
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Index(&'a At<'a>, usize),
    Key(&'a At<'a>, &'a str),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(s) => f.write_str(s),
            At::Index(p, i) => write!(f, "{p}[{i}]"),
            At::Key(p, k) => write!(f, "{p}.{k}"),
        }
    }
}

/// Check that the whole of `value` (stored as `at`) can be saved, without writing anything.
pub fn check_value(value: &Value, at: &str) -> Result<()> {
    check_at(value, &At::Root(at))
}

fn check_at(value: &Value, at: &At<'_>) -> Result<()> {
    match value {
        Value::Path(p) => path_string(p).map(|_| ()),
        Value::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_at(v, &At::Index(at, i))),
        Value::Dict(map) => map.iter().try_for_each(|(k, v)| {
            check_item_key(k, v, at)?;
            check_at(v, &At::Key(at, k))
        }),
        Value::Object(obj) => {
            if obj.class.is_empty() {
                return Err(Error::Unsupported(format!(
                    "object {at} has an empty class name"
                )));
            }
            obj.props.iter().try_for_each(|(k, v)| {
                check_item_key(k, v, at)?;
                check_at(v, &At::Key(at, k))
            })
        }
        Value::Timestamp(t) => time::to_wall(&[t.ns], t.tz.as_deref()).map(|_| ()),
        Value::DatetimeIndex(t) => time::to_wall(&t.ns, t.tz.as_deref()).map(|_| ()),
        Value::Array(a) => check_array(a, &at.to_string()),
        Value::Custom(c) => check_custom(c, &at.to_string()),
        Value::None
        | Value::Bool(_)
        | Value::Int(_)
        | Value::UInt(_)
        | Value::Float(_)
        | Value::Complex(..)
        | Value::Str(_) => Ok(()),
    }
}

/// The key of a dict or object item: scalars are attributes, whose names may hold any
/// character (`"a/b"`, `"."`: HDF5 and h5py accept them, and so does jangada 0.1.9); the
/// other values are groups or datasets, whose names cannot hold `/` (jangada would make
/// `a/b` a dataset `b` in a new group `a` without `__container_type__`, which it then fails
/// to load) and cannot be `.`. No name may be empty or one of jangada's own.
fn check_item_key(key: &str, value: &Value, at: &At<'_>) -> Result<()> {
    let reserved = [CONTAINER_TYPE, CLASS].contains(&key);
    let ok = if value.is_scalar() {
        !key.is_empty()
    } else {
        valid_name(key)
    };
    if ok && !reserved {
        return Ok(());
    }
    if reserved || key.is_empty() || value.is_scalar() {
        return check_key(key, &at.to_string(), &[CONTAINER_TYPE, CLASS]);
    }
    Err(Error::Unsupported(format!(
        "key {key:?} in {at} holds a {}, which is stored as a group or dataset: its name \
         cannot be \".\" or contain \"/\" (only keys of scalars, stored as attributes, can)",
        value.kind()
    )))
}

fn check_array(a: &ArrayValue, at: &str) -> Result<()> {
    let n: Option<usize> = a
        .shape()
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if n.is_none() {
        return Err(Error::Unsupported(format!("array {at} is too large")));
    }
    match a {
        ArrayValue::Bytes(b) => check_bytes(b, at),
        _ => Ok(()),
    }
}

/// An `S<n>` array: `n` from 1 to `u32::MAX`, no element longer than `n` or ending with a
/// NUL (numpy drops trailing NULs: it would not load back the same).
pub(crate) fn check_bytes(b: &FixedBytes, at: &str) -> Result<()> {
    if b.itemsize == 0 || u32::try_from(b.itemsize).is_err() {
        return Err(Error::Unsupported(format!(
            "bytes array {at} has an item size of {} (numpy's S<n> needs 1 <= n < 2^32)",
            b.itemsize
        )));
    }
    for e in &b.data {
        if e.len() > b.itemsize {
            return Err(Error::Unsupported(format!(
                "bytes array {at}: an element of {} bytes does not fit its item size {}",
                e.len(),
                b.itemsize
            )));
        }
        if e.last() == Some(&0) {
            return Err(Error::Unsupported(format!(
                "bytes array {at}: element {e:?} ends with a NUL byte, which numpy's S type \
                 drops (it would not load back the same)"
            )));
        }
    }
    Ok(())
}

/// A custom dataset: a type name that is not jangada's own, attribute names HDF5 can hold
/// (not `__dataset_type__`), scalar attribute values.
fn check_custom(c: &CustomDataset, at: &str) -> Result<()> {
    if c.dataset_type.is_empty() || is_builtin(&c.dataset_type) {
        return Err(Error::Unsupported(format!(
            "custom dataset {at} has the dataset type {:?}, which is empty or one of \
             jangada's own (use Value::Array / Timestamp / DatetimeIndex)",
            c.dataset_type
        )));
    }
    check_array(&c.array, at)?;
    c.attrs.iter().try_for_each(|(k, v)| {
        // Attributes: any non-empty name ("a/b" too), as h5py writes them for jangada.
        if k.is_empty() || k == DATASET_TYPE {
            check_key(k, at, &[DATASET_TYPE])?;
        }
        match v {
            Value::None
            | Value::Bool(_)
            | Value::Int(_)
            | Value::UInt(_)
            | Value::Float(_)
            | Value::Complex(..)
            | Value::Str(_) => Ok(()),
            Value::Path(p) => path_string(p).map(|_| ()),
            other => Err(Error::Unsupported(format!(
                "attribute {k:?} of custom dataset {at} is a {}: custom dataset attributes \
                 are scalars (None, bool, int, float, complex, str, Path)",
                other.kind()
            ))),
        }
    })
}

/// Save `value` under `key` in `group` (jangada's `_save_data_in_group(key, value, group)`).
///
/// The value is checked first ([`check_value`]): an unsaveable value is an
/// [`Error::Unsupported`] before anything is written.
pub fn save_tree(group: &Group, key: &str, value: &Value, opts: &SaveOptions) -> Result<()> {
    check_value(value, key)?;
    save_checked(group, key, value, opts)
}

/// [`save_tree`] of a value already checked with [`check_value`].
pub fn save_checked(group: &Group, key: &str, value: &Value, opts: &SaveOptions) -> Result<()> {
    // A scalar is an attribute: any non-empty name (see `check_item_key`).
    if !value.is_scalar() || key.is_empty() {
        check_key(key, group.path(), &[])?;
    }
    write(group, key, value, opts)
}

/// The attribute a scalar value is stored as (`None` for values stored as groups or
/// datasets).
fn scalar_attr(value: &Value) -> Result<Option<AttrData>> {
    Ok(Some(match value {
        Value::None => NONE.into_attr()?,
        Value::Bool(b) => b.into_attr()?,
        Value::Int(i) => i.into_attr()?,
        Value::UInt(u) => u.into_attr()?,
        Value::Float(f) => f.into_attr()?,
        Value::Complex(re, im) => num_complex::Complex::new(*re, *im).into_attr()?,
        Value::Str(s) => s.as_str().into_attr()?,
        Value::Path(p) => path_string(p)?.into_attr()?,
        _ => return Ok(None),
    }))
}

/// Write a container group: the group with its attributes (the header's and the scalar
/// items', written with the group's header: [`jangada_hdf5::GroupBuilder::attrs`]), then
/// the groups and datasets of the other items, in order.
fn write_container<'a>(
    group: &Group,
    key: &str,
    track_order: bool,
    header: Vec<(String, Value)>,
    items: impl Iterator<Item = (String, &'a Value)>,
    opts: &SaveOptions,
) -> Result<()> {
    let mut attrs = Vec::new();
    let mut nested: Vec<(String, &Value)> = Vec::new();
    for (k, v) in &header {
        match scalar_attr(v)? {
            Some(a) => attrs.push((k.clone(), a)),
            None => nested.push((k.clone(), v)),
        }
    }
    for (k, v) in items {
        match scalar_attr(v)? {
            Some(a) => attrs.push((k, a)),
            None => nested.push((k, v)),
        }
    }
    let sub = group
        .new_group(key)
        .track_order(track_order)
        .attrs(attrs)
        .create()?;
    for (k, v) in nested {
        write(&sub, &k, v, opts)?;
    }
    Ok(())
}

/// `(name, attribute)` pairs of string attributes.
fn str_attrs(pairs: &[(&str, &str)]) -> Result<Vec<(String, AttrData)>> {
    pairs
        .iter()
        .map(|(k, v)| Ok((k.to_string(), v.into_attr()?)))
        .collect()
}

fn write(group: &Group, key: &str, value: &Value, opts: &SaveOptions) -> Result<()> {
    match value {
        // Scalars are attributes, mapped by `scalar_attr` (which gives one for each).
        Value::None
        | Value::Bool(_)
        | Value::Int(_)
        | Value::UInt(_)
        | Value::Float(_)
        | Value::Complex(..)
        | Value::Str(_)
        | Value::Path(_) => {
            if let Some(attr) = scalar_attr(value)? {
                group.set_attr(key, attr)?;
            }
        }
        Value::List(items) => {
            let header = vec![(CONTAINER_TYPE.to_string(), Value::Str("list".into()))];
            let items = items.iter().enumerate().map(|(i, v)| (i.to_string(), v));
            write_container(group, key, true, header, items, opts)?;
        }
        Value::Dict(map) => {
            let header = vec![(CONTAINER_TYPE.to_string(), Value::Str("dict".into()))];
            let items = map.iter().map(|(k, v)| (k.clone(), v));
            write_container(group, key, false, header, items, opts)?;
        }
        Value::Object(obj) => {
            let header = vec![
                (CONTAINER_TYPE.to_string(), Value::Str("dict".into())),
                (CLASS.to_string(), Value::Str(obj.class.clone())),
            ];
            let items = obj.props.iter().map(|(k, v)| (k.clone(), v));
            write_container(group, key, false, header, items, opts)?;
        }
        Value::Array(a) => {
            write_array(group, key, a, str_attrs(&[(DATASET_TYPE, NDARRAY)])?, opts)?;
        }
        Value::Custom(c) => {
            let mut attrs = str_attrs(&[(DATASET_TYPE, c.dataset_type.as_str())])?;
            for (k, v) in &c.attrs {
                attrs.push((k.clone(), custom_attr(group, key, k, v)?));
            }
            write_array(group, key, &c.array, attrs, opts)?;
        }
        Value::Timestamp(t) => {
            let wall = time::to_wall(&[t.ns], t.tz.as_deref())?;
            let data = ArrayD::from_shape_vec(Vec::new(), wall)
                .map_err(|e| Error::Unsupported(e.to_string()))?;
            let tz = t.tz.as_deref().unwrap_or(NONE);
            group
                .new_dataset(key)
                .attrs(str_attrs(&[(DATASET_TYPE, TIMESTAMP), (TIMEZONE, tz)])?)
                .write(&data)?;
        }
        Value::DatetimeIndex(t) => {
            let wall = time::to_wall(&t.ns, t.tz.as_deref())?;
            let data = ArrayD::from_shape_vec(vec![wall.len()], wall)
                .map_err(|e| Error::Unsupported(e.to_string()))?;
            let tz = t.tz.as_deref().unwrap_or(NONE);
            resizable(
                group.new_dataset(key),
                &child_path(group, key),
                data.shape(),
                opts,
            )
            .attrs(str_attrs(&[
                (DATASET_TYPE, DATETIME_INDEX),
                (TIMEZONE, tz),
            ])?)
            .write(&data)?;
        }
    }
    Ok(())
}

/// A scalar attribute `name` of the custom dataset `key` in `group`, stored as jangada
/// stores scalars (`None` -> `"NoneType:None"`, a path -> `"Path:/abs"`).
fn custom_attr(group: &Group, key: &str, name: &str, value: &Value) -> Result<AttrData> {
    scalar_attr(value)?.ok_or_else(|| {
        Error::Unsupported(format!(
            "attribute {name:?} of custom dataset {} is a {}, not a scalar",
            child_path(group, key),
            value.kind()
        ))
    })
}

/// jangada's dataset creation: `maxshape=(None, *shape[1:])` (hence chunked, the chunk shape
/// guessed as h5py does) unless 0-d; plus the optional compression.
/// Absolute path of `key` inside `group`.
fn child_path(group: &Group, key: &str) -> String {
    format!("{}/{key}", group.path().trim_end_matches('/'))
}

fn resizable(
    builder: DatasetBuilder,
    path: &str,
    shape: &[usize],
    opts: &SaveOptions,
) -> DatasetBuilder {
    if shape.is_empty() {
        return builder;
    }
    let field = opts.fields.get(path);
    let maxshape: Vec<Option<u64>> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if i == 0 { None } else { Some(d as u64) })
        .collect();
    let mut builder = builder.maxshape(&maxshape);
    if let Some(chunks) = field.and_then(|f| f.chunks.as_ref()) {
        builder = builder.chunks(chunks);
    }
    match field.and_then(|f| f.compression.as_ref()) {
        Some(c) => c.apply(builder),
        None => match &opts.compression {
            Some(c) => c.apply(builder),
            None => builder,
        },
    }
}

fn write_array(
    group: &Group,
    key: &str,
    a: &ArrayValue,
    attrs: Vec<(String, AttrData)>,
    opts: &SaveOptions,
) -> Result<jangada_hdf5::Dataset> {
    let builder = resizable(
        group.new_dataset(key),
        &child_path(group, key),
        a.shape(),
        opts,
    )
    .attrs(attrs);
    match a {
        ArrayValue::I8(x) => Ok(builder.write(x)?),
        ArrayValue::I16(x) => Ok(builder.write(x)?),
        ArrayValue::I32(x) => Ok(builder.write(x)?),
        ArrayValue::I64(x) => Ok(builder.write(x)?),
        ArrayValue::U8(x) => Ok(builder.write(x)?),
        ArrayValue::U16(x) => Ok(builder.write(x)?),
        ArrayValue::U32(x) => Ok(builder.write(x)?),
        ArrayValue::U64(x) => Ok(builder.write(x)?),
        ArrayValue::F16(x) => Ok(builder.write(x)?),
        ArrayValue::F32(x) => Ok(builder.write(x)?),
        ArrayValue::F64(x) => Ok(builder.write(x)?),
        ArrayValue::Bool(x) => Ok(builder.write(x)?),
        ArrayValue::C64(x) => Ok(builder.write(x)?),
        ArrayValue::C128(x) => Ok(builder.write(x)?),
        ArrayValue::Str(x) => {
            let shape: Vec<u64> = x.shape().iter().map(|&d| d as u64).collect();
            let values: Vec<String> = x.iter().cloned().collect();
            Ok(builder.write_strings(&shape, &values)?)
        }
        ArrayValue::Bytes(b) => {
            // Checked by `check_bytes`: 1 <= itemsize <= u32::MAX, elements fit.
            let n = u32::try_from(b.itemsize)
                .map_err(|_| Error::Unsupported(format!("item size {}", b.itemsize)))?;
            let shape: Vec<u64> = b.data.shape().iter().map(|&d| d as u64).collect();
            let mut raw = Vec::with_capacity(b.data.len().saturating_mul(b.itemsize));
            for e in &b.data {
                raw.extend_from_slice(e);
                raw.resize(raw.len() + b.itemsize.saturating_sub(e.len()), 0);
            }
            let ds = builder.dtype(bytes_datatype(n)).shape(&shape).create()?;
            if !raw.is_empty() {
                ds.write_raw(Selection::all(), &raw)?;
            }
            Ok(ds)
        }
    }
}

/// numpy's `S<n>` as h5py stores it: null-padded ASCII strings of `n` bytes.
pub fn bytes_datatype(n: u32) -> Datatype {
    Datatype::fixed_string(n, StringPadding::NullPad, CharacterSet::Ascii)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::value::{Object, Timestamp};
    use std::collections::BTreeMap;

    #[test]
    fn names_hdf5_can_hold() {
        assert!(valid_name("a.b"));
        assert!(valid_name("ação"));
        assert!(valid_name(".."));
        assert!(!valid_name(""));
        assert!(!valid_name("."));
        assert!(!valid_name("a/b"));
    }

    #[test]
    fn check_value_names_the_offending_place() {
        let bad = Value::List(vec![
            Value::Int(1),
            Value::Object(Object {
                class: "m.C".into(),
                props: BTreeMap::from([(
                    "p".to_string(),
                    Value::Dict(BTreeMap::from([
                        ("/".to_string(), Value::None),
                        ("a/b".to_string(), Value::List(Vec::new())),
                    ])),
                )]),
            }),
        ]);
        assert_eq!(
            check_value(&bad, "root").unwrap_err().to_string(),
            "cannot save: key \"a/b\" in root[1].p holds a list, which is stored as a group or \
             dataset: its name cannot be \".\" or contain \"/\" (only keys of scalars, stored \
             as attributes, can)"
        );
        let far = Value::Timestamp(Timestamp {
            ns: i64::MAX - 1,
            tz: Some("Asia/Tokyo".into()),
        });
        assert!(check_value(&far, "root").is_err());
        assert!(check_value(
            &Value::Timestamp(Timestamp {
                ns: i64::MAX - 1,
                tz: None
            }),
            "root"
        )
        .is_ok());
    }
}
