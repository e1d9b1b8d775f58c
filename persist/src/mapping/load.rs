//! Reading a [`Value`] back from HDF5, as jangada's
//! `Persistable._load_data_from_h5py_tree` does, with typed errors instead of
//! `KeyError`/`ValueError`, and lists in NUMERIC item order (jangada sorts the item names
//! as strings, so `"10"` comes before `"2"`).
//!
//! A group's members and attributes together are its items (an attribute wins over a
//! member of the same name, as in jangada); `__container_type__` says list or dict; a dict
//! with a string `__class__` is an object. A dataset's `__dataset_type__` says ndarray,
//! Timestamp or DatetimeIndex (both pandas-version spellings are read), or names a custom
//! dataset type: registered ([`super::custom`]) it loads as [`Value::Custom`], unknown it
//! is an error — except with the lenient loaders ([`load_tree_lenient`],
//! [`crate::file::load_lenient`]), which load every unknown `__dataset_type__` as
//! [`Value::Custom`] (for tools such as `jangada show` that cannot know the registrations
//! of the program that wrote the file).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jangada_hdf5::{
    Attribute, Dataset, Datatype, Element, Group, H5Type, LinkTarget, Node, Selection,
    StringPadding, TypeClass,
};
use ndarray::ArrayD;

use super::custom::is_dataset_type;
use super::save::TIMEZONE;
use super::{
    time, CLASS, CONTAINER_TYPE, DATASET_TYPE, DATETIME_INDEX, DATETIME_INDEX_OLD, NDARRAY, NONE,
    PATH_PREFIX, ROOT, TIMESTAMP, TIMESTAMP_OLD,
};
use crate::error::{Error, Result};
use crate::value::{
    ArrayValue, CustomDataset, DatetimeIndex, FixedBytes, Object, Timestamp, Value,
};

/// Deepest nesting of groups loaded (guards against hostile files).
pub const MAX_DEPTH: usize = 256;

/// The element types of arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
    Bool,
    C64,
    C128,
    Str,
    Bytes,
}

fn kind(dtype: &Datatype) -> Option<Kind> {
    if dtype.is_h5py_bool() {
        return Some(Kind::Bool);
    }
    if let Some(part) = dtype.h5py_complex_part() {
        return match part.size {
            4 => Some(Kind::C64),
            8 => Some(Kind::C128),
            _ => None,
        };
    }
    match &dtype.class {
        TypeClass::Integer { signed: true, .. } => match dtype.size {
            1 => Some(Kind::I8),
            2 => Some(Kind::I16),
            4 => Some(Kind::I32),
            8 => Some(Kind::I64),
            _ => None,
        },
        TypeClass::Integer { signed: false, .. } => match dtype.size {
            1 => Some(Kind::U8),
            2 => Some(Kind::U16),
            4 => Some(Kind::U32),
            8 => Some(Kind::U64),
            _ => None,
        },
        TypeClass::Float { .. } => match dtype.size {
            2 => Some(Kind::F16),
            4 => Some(Kind::F32),
            8 => Some(Kind::F64),
            _ => None,
        },
        TypeClass::VarLenString { .. } => Some(Kind::Str),
        // numpy's `S<n>`, kept as bytes of that size (h5py reads them so).
        TypeClass::String { .. } => Some(Kind::Bytes),
        _ => None,
    }
}

/// The value of a string as jangada reads it: `NoneType:None` is `None`, `Path:...` a path.
pub fn string_value(s: String) -> Value {
    if s == NONE {
        Value::None
    } else if let Some(p) = s.strip_prefix(PATH_PREFIX) {
        Value::Path(PathBuf::from(p))
    } else {
        Value::Str(s)
    }
}

fn element_value(e: Element, at: &str) -> Result<Value> {
    Ok(match e {
        Element::Str(s) => string_value(s),
        Element::Bytes(b) => string_value(
            String::from_utf8(b)
                .map_err(|_| Error::Format(format!("{at}: string is not UTF-8")))?,
        ),
        Element::Int(i) => Value::Int(i),
        Element::UInt(u) => i64::try_from(u).map_or(Value::UInt(u), Value::Int),
        Element::Float(f) => Value::Float(f),
        Element::Bool(b) => Value::Bool(b),
        Element::Complex(re, im) => Value::Complex(re, im),
        other => {
            return Err(Error::Format(format!(
                "{at}: a value of kind {other:?} is not part of jangada's mapping"
            )))
        }
    })
}

/// The value of an attribute: a scalar (string, number, bool, complex) or, for attributes
/// jangada itself never writes, an array.
pub fn load_attr(attr: &Attribute, owner: &str) -> Result<Value> {
    let at = format!("{owner}@{}", attr.name());
    if attr.is_empty_value() {
        return Err(Error::Format(format!(
            "{at}: attribute has no value (null dataspace)"
        )));
    }
    if attr.shape().is_empty() {
        let mut elements = attr.read_dyn()?.elements;
        let one = elements
            .pop()
            .ok_or_else(|| Error::Format(format!("{at}: scalar attribute without a value")))?;
        return element_value(one, &at);
    }
    let k = kind(attr.dtype()).ok_or_else(|| unsupported_type(attr.dtype(), &at))?;
    Ok(Value::Array(match k {
        Kind::Str => {
            let shape = to_usize(attr.shape(), &at)?;
            ArrayValue::Str(shaped(shape, attr.read_strings()?, &at)?)
        }
        Kind::Bytes => {
            let shape = to_usize(attr.shape(), &at)?;
            ArrayValue::Bytes(fixed_bytes(attr.dtype(), shape, attr.raw(), &at)?)
        }
        Kind::F16 => ArrayValue::F16(attr.read()?),
        Kind::I8 => ArrayValue::I8(attr.read()?),
        Kind::I16 => ArrayValue::I16(attr.read()?),
        Kind::I32 => ArrayValue::I32(attr.read()?),
        Kind::I64 => ArrayValue::I64(attr.read()?),
        Kind::U8 => ArrayValue::U8(attr.read()?),
        Kind::U16 => ArrayValue::U16(attr.read()?),
        Kind::U32 => ArrayValue::U32(attr.read()?),
        Kind::U64 => ArrayValue::U64(attr.read()?),
        Kind::F32 => ArrayValue::F32(attr.read()?),
        Kind::F64 => ArrayValue::F64(attr.read()?),
        Kind::Bool => ArrayValue::Bool(attr.read()?),
        Kind::C64 => ArrayValue::C64(attr.read()?),
        Kind::C128 => ArrayValue::C128(attr.read()?),
    }))
}

/// A selection of a fixed-length string dataset as [`ArrayValue::Bytes`].
pub fn read_bytes(ds: &Dataset, sel: &Selection) -> Result<ArrayValue> {
    let (shape, raw) = ds.read_raw(sel)?;
    Ok(ArrayValue::Bytes(fixed_bytes(
        ds.dtype(),
        shape,
        &raw,
        ds.path(),
    )?))
}

/// Fixed-length string elements (`raw`, stored encoding) as numpy's `S<n>` holds them after
/// h5py reads them (see [`FixedBytes`]).
fn fixed_bytes(dtype: &Datatype, shape: Vec<usize>, raw: &[u8], at: &str) -> Result<FixedBytes> {
    let TypeClass::String { padding, .. } = dtype.class else {
        return Err(unsupported_type(dtype, at));
    };
    let n = dtype.size();
    if n == 0 {
        return Err(Error::Format(format!(
            "{at}: fixed-length strings of 0 bytes"
        )));
    }
    let elements: Vec<Vec<u8>> = raw
        .chunks_exact(n)
        .map(|e| h5py_bytes(e, padding).to_vec())
        .collect();
    Ok(FixedBytes {
        itemsize: n,
        data: shaped(shape, elements, at)?,
    })
}

/// One fixed-length string as h5py gives it in numpy's `S<n>`: null-padded strings are
/// read as they are (no conversion) and numpy drops the trailing NULs; libhdf5 converts the
/// others to null-padded ones, keeping what comes before the first NUL (and, space-padded,
/// dropping the trailing spaces).
fn h5py_bytes(e: &[u8], padding: StringPadding) -> &[u8] {
    let upto_nul = |e: &[u8]| -> usize { e.iter().position(|&b| b == 0).unwrap_or(e.len()) };
    let end = match padding {
        StringPadding::NullPad => e.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1),
        StringPadding::NullTerminate => upto_nul(e),
        StringPadding::SpacePad => {
            let cut = e.get(..upto_nul(e)).unwrap_or_default();
            cut.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1)
        }
    };
    e.get(..end).unwrap_or_default()
}

fn unsupported_type(dtype: &Datatype, at: &str) -> Error {
    Error::Format(format!(
        "{at}: element type {} is not part of jangada's mapping",
        jangada_hdf5::describe(dtype)
    ))
}

fn to_usize(shape: &[u64], at: &str) -> Result<Vec<usize>> {
    shape
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| Error::Format(format!("{at}: dimension {d} too large")))
        })
        .collect()
}

fn shaped<T>(shape: Vec<usize>, values: Vec<T>, at: &str) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(shape, values).map_err(|e| Error::Format(format!("{at}: {e}")))
}

/// The stored array of a dataset, whatever its element type.
pub fn read_array(ds: &Dataset) -> Result<ArrayValue> {
    let at = ds.path();
    if ds.is_null() {
        return Err(Error::Format(format!(
            "{at}: dataset has no data (null dataspace)"
        )));
    }
    let k = kind(ds.dtype()).ok_or_else(|| unsupported_type(ds.dtype(), at))?;
    fn typed<T: H5Type>(ds: &Dataset) -> Result<ArrayD<T>> {
        Ok(ds.read::<T>()?)
    }
    Ok(match k {
        Kind::Str => {
            let shape = to_usize(&ds.shape(), at)?;
            ArrayValue::Str(shaped(shape, ds.read_strings()?, at)?)
        }
        Kind::Bytes => read_bytes(ds, &Selection::all())?,
        Kind::F16 => ArrayValue::F16(typed(ds)?),
        Kind::I8 => ArrayValue::I8(typed(ds)?),
        Kind::I16 => ArrayValue::I16(typed(ds)?),
        Kind::I32 => ArrayValue::I32(typed(ds)?),
        Kind::I64 => ArrayValue::I64(typed(ds)?),
        Kind::U8 => ArrayValue::U8(typed(ds)?),
        Kind::U16 => ArrayValue::U16(typed(ds)?),
        Kind::U32 => ArrayValue::U32(typed(ds)?),
        Kind::U64 => ArrayValue::U64(typed(ds)?),
        Kind::F32 => ArrayValue::F32(typed(ds)?),
        Kind::F64 => ArrayValue::F64(typed(ds)?),
        Kind::Bool => ArrayValue::Bool(typed(ds)?),
        Kind::C64 => ArrayValue::C64(typed(ds)?),
        Kind::C128 => ArrayValue::C128(typed(ds)?),
    })
}

/// What a dataset's `__dataset_type__` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetType {
    /// `numpy.ndarray`.
    NdArray,
    /// `pandas.Timestamp` (either spelling).
    Timestamp,
    /// `pandas.DatetimeIndex` (either spelling).
    DatetimeIndex,
    /// A custom dataset type ([`Value::Custom`]): registered with
    /// [`crate::register_dataset_type`], or any unknown name when loading leniently.
    Custom,
}

impl DatasetType {
    /// True for the pandas time types.
    pub fn is_time(self) -> bool {
        matches!(self, DatasetType::Timestamp | DatasetType::DatetimeIndex)
    }
}

/// A dataset's `__dataset_type__` string.
pub fn dataset_type_name(ds: &Dataset) -> Result<String> {
    let at = ds.path();
    let attr = ds
        .attrs()?
        .into_iter()
        .find(|a| a.name() == DATASET_TYPE)
        .ok_or_else(|| Error::Format(format!("dataset {at} has no {DATASET_TYPE} attribute")))?;
    attr.read_string()
        .map_err(|_| Error::Format(format!("dataset {at}: {DATASET_TYPE} is not a string")))
}

/// Resolve a `__dataset_type__` name of the dataset at `at`: unknown names are an error
/// unless registered, or `lenient`.
pub fn resolve_dataset_type(name: &str, at: &str, lenient: bool) -> Result<DatasetType> {
    match name {
        NDARRAY => Ok(DatasetType::NdArray),
        TIMESTAMP | TIMESTAMP_OLD => Ok(DatasetType::Timestamp),
        DATETIME_INDEX | DATETIME_INDEX_OLD => Ok(DatasetType::DatetimeIndex),
        other if lenient || is_dataset_type(other) => Ok(DatasetType::Custom),
        other => Err(Error::Format(format!(
            "dataset {at} has an unknown {DATASET_TYPE} {other:?} (not registered with \
             jangada::register_dataset_type)"
        ))),
    }
}

/// Read and resolve a dataset's `__dataset_type__` (unregistered custom names are an
/// error).
pub fn dataset_type(ds: &Dataset) -> Result<DatasetType> {
    resolve_dataset_type(&dataset_type_name(ds)?, ds.path(), false)
}

/// A dataset's attributes as values, `__dataset_type__` excluded (what Python's `assemble`
/// receives).
pub fn dataset_attrs(ds: &Dataset) -> Result<BTreeMap<String, Value>> {
    let mut attrs = BTreeMap::new();
    for a in ds.attrs()? {
        if a.name() != DATASET_TYPE {
            attrs.insert(a.name().to_string(), load_attr(&a, ds.path())?);
        }
    }
    Ok(attrs)
}

/// The `timezone` attribute of a time dataset (`None` when naive).
pub fn timezone(ds: &Dataset) -> Result<Option<String>> {
    let at = ds.path();
    let attr = ds
        .attrs()?
        .into_iter()
        .find(|a| a.name() == TIMEZONE)
        .ok_or_else(|| Error::Format(format!("time dataset {at} has no {TIMEZONE} attribute")))?;
    match load_attr(&attr, at)? {
        Value::None => Ok(None),
        Value::Str(s) => Ok(Some(s)),
        other => Err(Error::Format(format!(
            "{at}@{TIMEZONE} is not a zone name: {other:?}"
        ))),
    }
}

fn int64s(a: ArrayValue, at: &str) -> Result<(Vec<usize>, Vec<i64>)> {
    match a {
        ArrayValue::I64(x) => Ok((x.shape().to_vec(), x.iter().copied().collect())),
        other => Err(Error::Format(format!(
            "time dataset {at} holds {} elements, not int64 nanoseconds",
            other.dtype_str()
        ))),
    }
}

/// Load a dataset as jangada does (its `__dataset_type__` decides; unregistered custom
/// names are an error).
pub fn load_dataset(ds: &Dataset) -> Result<Value> {
    load_dataset_with(ds, false)
}

/// [`load_dataset`], loading unknown `__dataset_type__`s as [`Value::Custom`] when
/// `lenient`.
pub fn load_dataset_with(ds: &Dataset, lenient: bool) -> Result<Value> {
    let at = ds.path();
    let name = dataset_type_name(ds)?;
    match resolve_dataset_type(&name, at, lenient)? {
        DatasetType::NdArray => Ok(Value::Array(read_array(ds)?)),
        DatasetType::Custom => Ok(Value::Custom(CustomDataset {
            dataset_type: name,
            array: read_array(ds)?,
            attrs: dataset_attrs(ds)?,
        })),
        DatasetType::Timestamp => {
            let tz = timezone(ds)?;
            let (shape, wall) = int64s(read_array(ds)?, at)?;
            let [one] = wall.as_slice() else {
                return Err(Error::Format(format!(
                    "Timestamp dataset {at} has shape {shape:?}, not a single value"
                )));
            };
            let ns = time::to_instant(&[*one], tz.as_deref())?;
            Ok(Value::Timestamp(Timestamp {
                ns: ns.first().copied().unwrap_or(*one),
                tz,
            }))
        }
        DatasetType::DatetimeIndex => {
            let tz = timezone(ds)?;
            let (shape, wall) = int64s(read_array(ds)?, at)?;
            if shape.len() != 1 {
                return Err(Error::Format(format!(
                    "DatetimeIndex dataset {at} has shape {shape:?}, not one dimension"
                )));
            }
            let ns = time::to_instant(&wall, tz.as_deref())?;
            Ok(Value::DatetimeIndex(DatetimeIndex { ns, tz }))
        }
    }
}

/// The items of a group (members, then attributes overriding members of the same name).
fn items(group: &Group, depth: usize, walk: &mut Walk) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for link in group.links()? {
        if let LinkTarget::External { .. } | LinkTarget::UserDefined(_) = link.target {
            return Err(Error::Format(format!(
                "{}/{} is an external or user-defined link, not part of a jangada tree",
                group.path(),
                link.name
            )));
        }
        let node = group.open_link(&link)?;
        let value = load_node(&node, depth + 1, walk)?;
        out.insert(link.name, value);
    }
    for attr in group.attrs()? {
        out.insert(attr.name().to_string(), load_attr(&attr, group.path())?);
    }
    Ok(out)
}

/// Sort key of list items: numeric names in numeric order, then any others by name.
fn item_order(name: &str) -> (u8, u64, &str) {
    match name.parse::<u64>() {
        Ok(n) => (0, n, name),
        Err(_) => (1, 0, name),
    }
}

/// Load a group: a list, a dict, or an object.
pub fn load_group(group: &Group) -> Result<Value> {
    load_group_at(group, 0, &mut Walk::new(false))
}

/// State of one load: the ancestors being loaded (cycle check), every object loaded so far
/// (header address -> path: a DAG of hard links must not multiply the work) and the
/// leniency.
struct Walk {
    stack: Vec<u64>,
    loaded: HashMap<u64, String>,
    lenient: bool,
}

impl Walk {
    fn new(lenient: bool) -> Walk {
        Walk {
            stack: Vec::new(),
            loaded: HashMap::new(),
            lenient,
        }
    }
}

fn load_group_at(group: &Group, depth: usize, walk: &mut Walk) -> Result<Value> {
    let at = group.path().to_string();
    if depth > MAX_DEPTH {
        return Err(Error::Format(format!(
            "{at}: groups nested deeper than {MAX_DEPTH}"
        )));
    }
    let addr = group.addr().get();
    if walk.stack.contains(&addr) {
        return Err(Error::Format(format!(
            "{at} links back to one of its own ancestors"
        )));
    }
    walk.stack.push(addr);
    let mut data = items(group, depth, walk)?;
    walk.stack.pop();
    let container = data
        .remove(CONTAINER_TYPE)
        .ok_or_else(|| Error::Format(format!("group {at} has no {CONTAINER_TYPE} attribute")))?;
    match container {
        Value::Str(s) if s == "list" => {
            let mut entries: Vec<(String, Value)> = data.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| item_order(a).cmp(&item_order(b)));
            Ok(Value::List(entries.into_iter().map(|(_, v)| v).collect()))
        }
        Value::Str(s) if s == "dict" => match data.remove(CLASS) {
            None => Ok(Value::Dict(data)),
            Some(Value::Str(class)) => Ok(Value::Object(Object { class, props: data })),
            Some(other) => Err(Error::Format(format!(
                "group {at}: {CLASS} is not a class name: {other:?}"
            ))),
        },
        other => Err(Error::Format(format!(
            "group {at} has an unknown {CONTAINER_TYPE} {}",
            match &other {
                Value::Str(s) => format!("{s:?}"),
                v => format!("{v:?}"),
            }
        ))),
    }
}

fn load_node(node: &Node, depth: usize, walk: &mut Walk) -> Result<Value> {
    let addr = node.addr().get();
    // An ancestor is reported by load_group_at; any other object seen before is shared.
    if !walk.stack.contains(&addr) {
        if let Some(first) = walk.loaded.get(&addr) {
            return Err(Error::Format(format!(
                "{} is the object already loaded as {first}: a jangada tree links each \
                 object once",
                node.path()
            )));
        }
        walk.loaded.insert(addr, node.path().to_string());
    }
    match node {
        Node::Group(g) => load_group_at(g, depth, walk),
        Node::Dataset(d) => load_dataset_with(d, walk.lenient),
        Node::Datatype(t) => Err(Error::Format(format!(
            "{} is a committed datatype, not part of a jangada tree",
            t.path()
        ))),
    }
}

/// The value stored under `key` in `group`: an attribute (preferred, as in jangada) or a
/// member group/dataset. A dataset of an unregistered custom type is an error.
pub fn load_tree(group: &Group, key: &str) -> Result<Value> {
    load_tree_with(group, key, false)
}

/// [`load_tree`], but every unknown `__dataset_type__` loads as [`Value::Custom`]
/// (registered or not): for generic tools that cannot know the writer's registrations.
pub fn load_tree_lenient(group: &Group, key: &str) -> Result<Value> {
    load_tree_with(group, key, true)
}

fn load_tree_with(group: &Group, key: &str, lenient: bool) -> Result<Value> {
    if let Some(attr) = group.attrs()?.into_iter().find(|a| a.name() == key) {
        return load_attr(&attr, group.path());
    }
    if group.link(key)?.is_none() {
        return Err(if key == ROOT && group.path() == "/" {
            Error::Format("the file has no \"root\" group".into())
        } else {
            Error::Format(format!("{} has no item {key:?}", group.path()))
        });
    }
    load_node(&group.get(key)?, 0, &mut Walk::new(lenient))
}

/// The root object's class and only the named properties (partial loading). Names that
/// are not stored are errors.
pub fn load_props(root: &Group, names: &[&str]) -> Result<Value> {
    let at = root.path();
    let container = load_tree(root, CONTAINER_TYPE)
        .map_err(|_| Error::Format(format!("group {at} has no {CONTAINER_TYPE} attribute")))?;
    if container != Value::Str("dict".into()) {
        return Err(Error::Format(format!("group {at} does not hold an object")));
    }
    let class = match load_tree(root, CLASS) {
        Ok(Value::Str(c)) => c,
        _ => {
            return Err(Error::Format(format!(
                "group {at} has no {CLASS} attribute"
            )))
        }
    };
    let mut props = BTreeMap::new();
    for &name in names {
        props.insert(name.to_string(), load_tree(root, name)?);
    }
    Ok(Value::Object(Object { class, props }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn list_items_sort_numerically_then_by_name() {
        let mut names = vec!["10", "2", "x", "1", "0", "b", "11"];
        names.sort_by(|a, b| item_order(a).cmp(&item_order(b)));
        assert_eq!(names, vec!["0", "1", "2", "10", "11", "b", "x"]);
    }

    #[test]
    fn strings_map_as_jangada_reads_them() {
        assert_eq!(string_value("NoneType:None".into()), Value::None);
        assert_eq!(string_value("Path:/a/b".into()), Value::Path("/a/b".into()));
        assert_eq!(string_value("Path:".into()), Value::Path("".into()));
        assert_eq!(string_value("none".into()), Value::Str("none".into()));
    }

    #[test]
    fn elements_map_to_values() {
        assert_eq!(element_value(Element::UInt(5), "x").unwrap(), Value::Int(5));
        assert_eq!(
            element_value(Element::UInt(u64::MAX), "x").unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(
            element_value(Element::Bool(true), "x").unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            element_value(Element::Complex(1.0, -1.0), "x").unwrap(),
            Value::Complex(1.0, -1.0)
        );
        assert_eq!(
            element_value(Element::Bytes(b"abc".to_vec()), "x").unwrap(),
            Value::Str("abc".into())
        );
        let e = element_value(Element::Bytes(vec![0xff]), "/g@a").unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a jangada file: /g@a: string is not UTF-8"
        );
        assert!(element_value(Element::Opaque(vec![1]), "x").is_err());
    }
}
