//! The jangada conventions: how a [`Value`](crate::Value) is laid out in HDF5, exactly as
//! Python `jangada==0.1.9` (`jangada/serialization.py`, `Persistable._save_data_in_group`
//! and `_load_data_from_h5py_tree`) does it.
//!
//! - attributes: `None` -> `"NoneType:None"`, `Path` -> `"Path:/abs"`, `str` -> vlen UTF-8,
//!   `int` -> int64 (uint64 above `i64::MAX`), `float` -> float64, `complex` -> h5py
//!   complex128, `bool` -> h5py bool enum;
//! - groups: `list` (`__container_type__="list"`, `track_order=True`, items `0`, `1`, ...),
//!   `dict` (`__container_type__="dict"`), objects = dicts with a `__class__` attribute;
//! - datasets: `numpy.ndarray` (chunked, `maxshape=(None, *shape[1:])`, 0-d not resizable),
//!   pandas `Timestamp` / `DatetimeIndex` (int64 wall-clock nanoseconds + `timezone`),
//!   custom dataset types ([`custom`]: laid out as an ndarray, `__dataset_type__` = the
//!   type's qualified name, plus the type's scalar attributes).
//!
//! Submodules: [`save`] ([`save_tree`]; values are checked before anything is written),
//! [`load`] ([`load_tree`]; typed errors, lists in numeric item order, both pandas
//! spellings of `__dataset_type__`), [`time`] (instant <-> wall clock with the bundled IANA
//! database).
//!
//! Arrays keep their numpy dtype: `<f2` loads as [`ArrayValue::F16`](crate::ArrayValue) (bit
//! for bit) and `|S<n>` as [`ArrayValue::Bytes`](crate::ArrayValue) (n kept), so a load ->
//! save round trip writes them back as jangada wrote them.
//!
//! Dict and object keys: a scalar item is an attribute, whose name may hold `/` or be `.`
//! (jangada 0.1.9 and h5py write such attributes); an item stored as a group or dataset
//! cannot (jangada would turn `a/b` into a group `a` it cannot load back): refused before
//! anything is written.
//!
//! Known jangada ambiguities kept for compatibility: a `str` equal to `"NoneType:None"` loads
//! as `None` and one starting with `"Path:"` as a path; `Value::UInt` values that fit `i64`
//! load as `Value::Int` (h5py stores only integers above `i64::MAX` as uint64); big-endian
//! arrays load converted to the native (little-endian) types of the value model; numpy
//! scalars of other widths stored as attributes (`np.float16(1.5)`, `np.int32(3)`) load as
//! `float`/`int` and save back as float64/int64; scalar fixed-length string attributes load
//! as `str`.

/// Name of the group holding the whole value.
pub const ROOT: &str = "root";
/// Attribute naming a group's container type.
pub const CONTAINER_TYPE: &str = "__container_type__";
/// Attribute naming an object's class.
pub const CLASS: &str = "__class__";
/// Attribute naming a dataset's type.
pub const DATASET_TYPE: &str = "__dataset_type__";
/// The string stored for `None`.
pub const NONE: &str = "NoneType:None";
/// Prefix of stored paths.
pub const PATH_PREFIX: &str = "Path:";
/// `__dataset_type__` of numpy arrays.
pub const NDARRAY: &str = "numpy.ndarray";
/// `__dataset_type__` jangada writes for timestamps with pandas 3.
pub const TIMESTAMP: &str = "pandas.Timestamp";
/// `__dataset_type__` of timestamps written with pandas < 3.
pub const TIMESTAMP_OLD: &str = "pandas._libs.tslibs.timestamps.Timestamp";
/// `__dataset_type__` jangada writes for datetime indexes with pandas 3.
pub const DATETIME_INDEX: &str = "pandas.DatetimeIndex";
/// `__dataset_type__` of datetime indexes written with pandas < 3.
pub const DATETIME_INDEX_OLD: &str = "pandas.core.indexes.datetimes.DatetimeIndex";

pub mod custom;
pub mod load;
pub mod save;
pub mod time;

pub use custom::{is_dataset_type, register_dataset_type, remove_dataset_type};
pub use load::{load_group, load_tree, load_tree_lenient};
pub use save::{save_tree, TIMEZONE};
