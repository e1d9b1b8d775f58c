//! The crate's error type; wraps `jangada-hdf5`'s.

use std::path::PathBuf;

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong saving or loading jangada files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HDF5 layer failed (corrupt file, I/O, unsupported feature, ...).
    #[error(transparent)]
    Hdf5(#[from] jangada_hdf5::Error),
    /// The file is valid HDF5 but not a jangada file, or breaks its conventions.
    #[error("not a jangada file: {0}")]
    Format(String),
    /// The stored object's class is not the one asked for.
    #[error("wrong class: expected {expected}, the file holds {found}")]
    WrongClass {
        /// The class asked for.
        expected: String,
        /// The class stored.
        found: String,
    },
    /// A value cannot be stored (unsupported type, bad dict key, ...).
    #[error("cannot save: {0}")]
    Unsupported(String),
    /// A value does not fit the Rust type it is loaded into.
    #[error("type mismatch at {path}: {detail}")]
    Type {
        /// Property path (`root.data`).
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// A property assignment was rejected (write-once, parser/validator).
    #[error("invalid value for {property}: {detail}")]
    Invalid {
        /// The property.
        property: String,
        /// Why.
        detail: String,
    },
    /// The file already exists and overwriting was not allowed.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// The file does not exist.
    #[error("{0} does not exist")]
    NotFound(PathBuf),
    /// A write was asked of a file opened read-only (mode `r`).
    #[error(
        "cannot write {0}: the file is open read-only (mode \"r\"); open it with \"r+\" or \"a\""
    )]
    ReadOnly(String),
    /// Data written to or appended to a dataset does not match it (element type, time zone,
    /// shape, a 0-d or non-resizable dataset, ...).
    #[error("cannot write to {path}: {detail}")]
    Mismatch {
        /// The dataset (`/root/data`).
        path: String,
        /// What does not match.
        detail: String,
    },
    /// I/O failure outside the HDF5 layer.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
