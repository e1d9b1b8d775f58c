//! The crate's one error type, organised by what the caller must know: the file is corrupt (which
//! structure, at which byte offset), a feature is unsupported (which one), a limit was exceeded, the
//! caller misused the API, or the operating system failed.

use std::io;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing an HDF5 file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file's bytes do not form a valid structure.
    #[error("corrupt file: {structure} at byte offset {offset}: {detail}")]
    Corrupt {
        /// The structure being decoded (`"object header"`, `"v2 B-tree leaf node"`, ...).
        structure: &'static str,
        /// Absolute byte offset in the file where the problem was found.
        offset: u64,
        /// What was wrong.
        detail: String,
    },
    /// A stored checksum does not match the bytes it covers.
    #[error("checksum mismatch: {structure} at byte offset {offset} (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        /// The structure whose checksum failed.
        structure: &'static str,
        /// Absolute byte offset of the structure.
        offset: u64,
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum computed over the bytes.
        computed: u32,
    },
    /// A valid HDF5 feature this crate does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A filter in a dataset's pipeline that this crate cannot decode.
    #[error("unsupported filter {id} ({name})")]
    UnsupportedFilter {
        /// The HDF5 filter identifier.
        id: u16,
        /// Its registered name, or the name stored in the file.
        name: String,
    },
    /// A size or count in the file exceeds what the file could hold or a configured limit.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The stored datatype cannot be converted to the requested one.
    #[error("type error: {0}")]
    Type(String),
    /// A path or name that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller passed an invalid argument (bad selection, bad name, wrong mode, ...).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Another open of the file (in this or another process) holds a conflicting lock: a
    /// writer excludes everyone else, a reader excludes writers.
    #[error(
        "file is locked by another process (set HDF5_USE_FILE_LOCKING=FALSE to disable locking)"
    )]
    Locked,
    /// Operating-system I/O failure.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// An array whose shape does not fit its data (e.g. `Array::from_shape_vec` with the
/// wrong length) is the caller's invalid argument.
impl From<ndarray::ShapeError> for Error {
    fn from(e: ndarray::ShapeError) -> Self {
        Error::Invalid(format!("array shape: {e}"))
    }
}

impl Error {
    /// Shorthand for [`Error::Corrupt`].
    pub fn corrupt(structure: &'static str, offset: u64, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            structure,
            offset,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shape that does not fit the data is reported as the caller's invalid argument,
    /// and `?` converts it.
    #[test]
    fn shape_errors_convert() {
        fn build() -> Result<ndarray::ArrayD<u8>> {
            Ok(ndarray::ArrayD::from_shape_vec(
                ndarray::IxDyn(&[2, 3]),
                vec![1u8; 5],
            )?)
        }
        let err = build().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("invalid argument: array shape"), "{err}");
    }
}
