//! # jangada
//!
//! Persist Rust objects to HDF5 exactly the way the Python library jangada
//! (`jangada.serialization.Persistable`) does, so that a file written by either side opens
//! in the other. Built on the pure-Rust `jangada-hdf5`: no libhdf5, no C.
//!
//! - [`Value`]: the dynamic tree (jangada's data model); [`mapping`]: its HDF5 layout.
//! - [`open`] / [`Persistable::open`]: jangada's context-manager mode ([`Handle`],
//!   [`ProxyDataset`]: lazy slices, writes, appends).
//! - The `jangada` command-line tool's commands live in [`cli`].
//!
//! ## Custom dataset types
//!
//! Python's `Serializable.register_dataset_type(type, disassemble, assemble)` stores a
//! value of `type` as a dataset: the array `disassemble` gives, `__dataset_type__` = the
//! type's fully qualified name (`get_full_qualified_name`: `module.QualName`, `__main__.X`
//! for a class of a script) and its attribute dict as attributes (`None` as
//! `"NoneType:None"`); loading calls `assemble(array, attrs)`. In Rust:
//!
//! - [`Value::Custom`] ([`CustomDataset`]: `dataset_type`, `array`, scalar `attrs`) is
//!   such a dataset in the value tree; saving writes it like an ndarray (chunked,
//!   `maxshape=(None, *shape[1:])`, 0-d not resizable) plus its type and attributes.
//! - `disassemble`/`assemble` are an [`IntoValue`]/[`FromValue`] pair for your type
//!   producing/consuming a [`Value::Custom`] with the SAME qualified name Python uses;
//!   add `jangada::lazy_loaded!(YourType)` to use it as a field of a
//!   `#[derive(Persistable)]` struct.
//! - [`register_dataset_type`]`("module.QualName")` makes the name known to the generic
//!   loader ([`load`], [`open`], ...): a dataset whose `__dataset_type__` is neither
//!   numpy's, pandas' nor registered is an error. [`is_dataset_type`] /
//!   [`remove_dataset_type`] query / undo a registration (process-wide).
//! - [`load_lenient`] (and `jangada show`) load every unknown `__dataset_type__` as a
//!   [`Value::Custom`]: generic tools cannot know the writer's registrations.
//!
//! ```
//! use jangada::{CustomDataset, FromValue, IntoValue, Value, ArrayValue};
//! use ndarray::ArrayD;
//! use std::collections::BTreeMap;
//!
//! struct Quantity { values: ArrayD<f64>, unit: String }
//!
//! impl IntoValue for Quantity {
//!     fn to_value(&self) -> jangada::Result<Value> {
//!         Ok(Value::Custom(CustomDataset {
//!             dataset_type: "mylib.Quantity".into(),
//!             array: ArrayValue::F64(self.values.clone()),
//!             attrs: BTreeMap::from([("unit".into(), Value::Str(self.unit.clone()))]),
//!         }))
//!     }
//! }
//!
//! impl FromValue for Quantity {
//!     fn from_value(v: Value, path: &str) -> jangada::Result<Self> {
//!         let c = CustomDataset::from_value(v, path)?;
//!         Ok(Quantity {
//!             values: ArrayD::<f64>::from_value(Value::Array(c.array), path)?,
//!             unit: String::from_value(c.attrs.get("unit").cloned().unwrap_or_default(), path)?,
//!         })
//!     }
//! }
//!
//! jangada::register_dataset_type("mylib.Quantity");
//! assert!(jangada::is_dataset_type("mylib.Quantity"));
//! ```

extern crate self as jangada;

pub mod cli;
pub mod compression;
pub mod convert;
pub mod error;
pub mod file;
mod float16;
#[doc(hidden)]
pub mod fuzzing;
pub mod handle;
pub mod lazy;
pub mod mapping;
pub mod persistable;
pub mod value;
mod value_ext;

// Scratch paths and skips that let the unit tests run on other targets (scripts/cross.sh).
#[cfg(test)]
#[path = "../../tests/portable.rs"]
pub(crate) mod portable;

pub use convert::{FromValue, IntoValue, PropCopy};
pub use error::{Error, Result};
pub use file::{
    load, load_bytes, load_lenient, load_props, save_value, ArrayStorage, Compression, SaveOptions,
};
pub use handle::{open, Handle, LazyField, LazyObject, LazyValue, Mode, ObjectAccess, Schema};
pub use jangada_derive::Persistable;
pub use jangada_hdf5 as hdf5;
/// The `ndarray` of array values (the same as `jangada::hdf5::ndarray`).
pub use jangada_hdf5::ndarray;
/// The `num_complex` of complex values.
pub use jangada_hdf5::num_complex;
pub use jangada_hdf5::{Selection, SliceArg};
pub use lazy::{H5Elem, IntoSelection, ProxyDataset};
pub use mapping::custom::{is_dataset_type, register_dataset_type, remove_dataset_type};
pub use mapping::load::DatasetType;
#[doc(hidden)]
pub use persistable::__private;
pub use persistable::{registry, Persistable, PropInfo};
pub use value::{
    ArrayValue, CustomDataset, DatetimeIndex, FixedBytes, Object, Timestamp, Value, F16, NAT,
};
