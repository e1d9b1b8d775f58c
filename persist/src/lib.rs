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

extern crate self as jangada;

pub mod cli;
pub mod convert;
pub mod error;
pub mod file;
pub mod handle;
pub mod lazy;
pub mod mapping;
pub mod persistable;
pub mod value;
mod value_ext;

pub use convert::{FromValue, IntoValue, PropCopy};
pub use error::{Error, Result};
pub use file::{
    load, load_lenient, load_props, save_value, ArrayStorage, Compression, SaveOptions,
};
pub use handle::{open, Handle, LazyField, LazyObject, LazyValue, Mode, ObjectAccess, Schema};
pub use jangada_derive::Persistable;
pub use jangada_hdf5 as hdf5;
pub use jangada_hdf5::{Selection, SliceArg};
pub use lazy::{H5Elem, IntoSelection, ProxyDataset};
pub use mapping::custom::{is_dataset_type, register_dataset_type, remove_dataset_type};
pub use mapping::load::DatasetType;
#[doc(hidden)]
pub use persistable::__private;
pub use persistable::{registry, Persistable, PropInfo};
pub use value::{ArrayValue, CustomDataset, DatetimeIndex, Object, Timestamp, Value, NAT};
