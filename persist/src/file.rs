//! Saving and loading whole values: `save_value` (atomic: a temporary file in the same
//! directory renamed over the target only when complete) and `load`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::value::Value;

/// jangada's default file extension.
pub const DEFAULT_EXTENSION: &str = ".hdf5";

/// Optional compression for array datasets (an improvement over jangada, which has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// Deflate level 0-9.
    pub level: u32,
    /// Byte shuffle before deflate.
    pub shuffle: bool,
}

/// How to save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    /// Replace an existing file (jangada's default: true).
    pub overwrite: bool,
    /// Append `extension` when the path lacks it (jangada's default: true).
    pub use_default_extension: bool,
    /// The class's extension (`.hdf5` unless the class says otherwise).
    pub extension: String,
    /// Compression of every array dataset (`None`: as jangada, uncompressed).
    pub compression: Option<Compression>,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            overwrite: true,
            use_default_extension: true,
            extension: DEFAULT_EXTENSION.to_string(),
            compression: None,
        }
    }
}

/// The path `save` writes to: `path` with the extension appended when asked and missing.
pub fn target_path(path: &Path, opts: &SaveOptions) -> PathBuf {
    let _ = opts;
    path.to_path_buf()
}

/// Save `value` (normally an object) as a jangada file; returns the path written.
pub fn save_value(path: &Path, value: &Value, opts: &SaveOptions) -> Result<PathBuf> {
    let _ = (path, value, opts);
    Err(Error::Unsupported(
        "save_value is not implemented yet".into(),
    ))
}

/// Load a whole jangada file; unknown classes load as generic objects.
pub fn load(path: impl AsRef<Path>) -> Result<Value> {
    let _ = path;
    Err(Error::Unsupported("load is not implemented yet".into()))
}

/// Load only the named top-level properties of the root object (partial loading).
pub fn load_props(path: impl AsRef<Path>, names: &[&str]) -> Result<Value> {
    let _ = (path, names);
    Err(Error::Unsupported(
        "load_props is not implemented yet".into(),
    ))
}
