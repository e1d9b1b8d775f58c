//! # jangada
//!
//! Persist Rust objects to HDF5 exactly the way the Python library jangada
//! (`jangada.serialization.Persistable`) does, so that a file written by either side opens
//! in the other. Built on the pure-Rust `jangada-hdf5`: no libhdf5, no C.
//!
//! - [`Value`]: the dynamic tree (jangada's data model); [`mapping`]: its HDF5 layout.
//! - The `jangada` command-line tool's commands live in [`cli`].

pub mod cli;
pub mod error;
pub mod file;
pub mod mapping;
pub mod value;

pub use error::{Error, Result};
pub use file::{load, load_props, save_value, Compression, SaveOptions};
pub use jangada_hdf5 as hdf5;
pub use value::{ArrayValue, DatetimeIndex, Object, Timestamp, Value, NAT};
