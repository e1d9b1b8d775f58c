//! The dynamic value tree: jangada's data model, what any jangada file holds.
//!
//! A jangada file stores one [`Value`] (normally an [`Value::Object`]) under the group
//! `root`. Typed Rust structs convert to and from `Value` (see [`crate::Persistable`]); files
//! whose classes are unknown load as generic objects that keep their qualified class name.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use ndarray::ArrayD;
use num_complex::Complex;

pub use crate::float16::F16;

/// Any value jangada can store.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Python `None`: the string attribute `NoneType:None`.
    None,
    /// `bool`: h5py's boolean enum attribute.
    Bool(bool),
    /// `int` that fits `i64`: an int64 attribute.
    Int(i64),
    /// An integer above `i64::MAX`: h5py stores such Python ints as uint64.
    UInt(u64),
    /// `float`: a float64 attribute.
    Float(f64),
    /// `complex`: h5py's `{r, i}` complex128 compound attribute.
    Complex(f64, f64),
    /// `str`: a variable-length UTF-8 string attribute.
    Str(String),
    /// `pathlib.Path`: the string attribute `Path:/absolute/path`.
    Path(PathBuf),
    /// `list`: a group with `__container_type__ = "list"`, creation order tracked, items
    /// named `0`, `1`, ...
    List(Vec<Value>),
    /// `dict`: a group with `__container_type__ = "dict"`.
    Dict(BTreeMap<String, Value>),
    /// A `Serializable` object: a dict group with a `__class__` attribute.
    Object(Object),
    /// `numpy.ndarray`: a dataset with `__dataset_type__ = "numpy.ndarray"`.
    Array(ArrayValue),
    /// `pandas.Timestamp`: a 0-d int64 dataset of nanoseconds plus a `timezone` attribute.
    Timestamp(Timestamp),
    /// `pandas.DatetimeIndex`: a 1-d int64 dataset of nanoseconds plus `timezone`.
    DatetimeIndex(DatetimeIndex),
    /// A type registered with jangada's `register_dataset_type`: a dataset with
    /// `__dataset_type__` = the type's qualified name and the type's attributes.
    Custom(CustomDataset),
}

/// A value of a custom dataset type (Python's `Serializable.register_dataset_type`): what
/// its `disassemble` gives (an array and a dict of scalar attributes) plus the type's
/// fully qualified name (`module.QualName`, Python's `get_full_qualified_name`).
///
/// Attribute values are scalars only: `None`, `bool`, `int`, `float`, `complex`, `str` or
/// `Path` (anything else is refused when saving). A file written by Python may hold other
/// attributes (h5py stores a list as an array attribute): they load (as [`Value::Array`])
/// but such a value cannot be saved back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomDataset {
    /// The `__dataset_type__` stored: the type's fully qualified name.
    pub dataset_type: String,
    /// The dataset's data.
    pub array: ArrayValue,
    /// The dataset's attributes (`__dataset_type__` excluded).
    pub attrs: BTreeMap<String, Value>,
}

/// An object of a (possibly unknown) class.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Object {
    /// Fully qualified class name, `module.QualName`.
    pub class: String,
    /// Property values by name.
    pub props: BTreeMap<String, Value>,
}

/// A point in time, as pandas' `Timestamp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00Z of the instant (pandas' `.value`); `i64::MIN`
    /// is NaT.
    pub ns: i64,
    /// IANA time zone name, or `None` for a naive timestamp.
    pub tz: Option<String>,
}

/// A sequence of points in time, as pandas' `DatetimeIndex`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatetimeIndex {
    /// Nanoseconds since the epoch of each instant (`i64::MIN` is NaT).
    pub ns: Vec<i64>,
    /// IANA time zone name, or `None` when naive.
    pub tz: Option<String>,
}

/// Not-a-time (pandas' `NaT`) as nanoseconds.
pub const NAT: i64 = i64::MIN;

/// An N-dimensional array of one of the element types numpy and HDF5 share.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayValue {
    /// `int8`.
    I8(ArrayD<i8>),
    /// `int16`.
    I16(ArrayD<i16>),
    /// `int32`.
    I32(ArrayD<i32>),
    /// `int64`.
    I64(ArrayD<i64>),
    /// `uint8`.
    U8(ArrayD<u8>),
    /// `uint16`.
    U16(ArrayD<u16>),
    /// `uint32`.
    U32(ArrayD<u32>),
    /// `uint64`.
    U64(ArrayD<u64>),
    /// `float16` (`<f2`), bit for bit.
    F16(ArrayD<F16>),
    /// `float32`.
    F32(ArrayD<f32>),
    /// `float64`.
    F64(ArrayD<f64>),
    /// `bool`.
    Bool(ArrayD<bool>),
    /// `complex64`.
    C64(ArrayD<Complex<f32>>),
    /// `complex128`.
    C128(ArrayD<Complex<f64>>),
    /// Variable-length strings (numpy object arrays of `str`).
    Str(ArrayD<String>),
    /// Fixed-length bytes (numpy's `S<n>`, `|S8`): stored as HDF5 fixed-length strings.
    Bytes(FixedBytes),
}

/// An array of numpy's fixed-length bytes `S<itemsize>`: each element holds at most
/// `itemsize` bytes, without trailing NULs (numpy strips them: `b"ab\0\0"` is `b"ab"`).
///
/// Loading gives each element as h5py reads it: a null-padded string's bytes without the
/// trailing NULs (NULs inside are kept), a null-terminated one's up to its first NUL, a
/// space-padded one's up to its first NUL and without trailing spaces. Saving writes
/// null-padded ASCII strings of `itemsize` bytes, as h5py writes numpy's `S` arrays.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedBytes {
    /// Bytes per element (numpy's `itemsize`, the `n` of `|S<n>`); at least 1.
    pub itemsize: usize,
    /// The elements.
    pub data: ArrayD<Vec<u8>>,
}

impl FixedBytes {
    /// An array of `S<itemsize>` with `itemsize` the longest element's length (at least
    /// 1), as `numpy.array(list_of_bytes)` chooses it.
    pub fn new(data: ArrayD<Vec<u8>>) -> FixedBytes {
        let itemsize = data.iter().map(Vec::len).max().unwrap_or(0).max(1);
        FixedBytes { itemsize, data }
    }
}

impl ArrayValue {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            ArrayValue::I8(a) => a.shape(),
            ArrayValue::I16(a) => a.shape(),
            ArrayValue::I32(a) => a.shape(),
            ArrayValue::I64(a) => a.shape(),
            ArrayValue::U8(a) => a.shape(),
            ArrayValue::U16(a) => a.shape(),
            ArrayValue::U32(a) => a.shape(),
            ArrayValue::U64(a) => a.shape(),
            ArrayValue::F16(a) => a.shape(),
            ArrayValue::F32(a) => a.shape(),
            ArrayValue::F64(a) => a.shape(),
            ArrayValue::Bool(a) => a.shape(),
            ArrayValue::C64(a) => a.shape(),
            ArrayValue::C128(a) => a.shape(),
            ArrayValue::Str(a) => a.shape(),
            ArrayValue::Bytes(b) => b.data.shape(),
        }
    }

    /// numpy's `dtype.str` of the elements (`"<f8"`, `"|b1"`, `"<c16"`, `"|S8"`, ...;
    /// `"str"` for variable-length strings).
    pub fn dtype_str(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ArrayValue::I8(_) => "|i1",
            ArrayValue::I16(_) => "<i2",
            ArrayValue::I32(_) => "<i4",
            ArrayValue::I64(_) => "<i8",
            ArrayValue::U8(_) => "|u1",
            ArrayValue::U16(_) => "<u2",
            ArrayValue::U32(_) => "<u4",
            ArrayValue::U64(_) => "<u8",
            ArrayValue::F16(_) => "<f2",
            ArrayValue::F32(_) => "<f4",
            ArrayValue::F64(_) => "<f8",
            ArrayValue::Bool(_) => "|b1",
            ArrayValue::C64(_) => "<c8",
            ArrayValue::C128(_) => "<c16",
            ArrayValue::Str(_) => "str",
            ArrayValue::Bytes(b) => return Cow::Owned(format!("|S{}", b.itemsize)),
        })
    }
}
