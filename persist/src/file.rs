//! Saving and loading whole values: `save_value` (atomic: a temporary file in the same
//! directory renamed over the target only when complete) and `load`.

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};

use jangada_hdf5::File;

use crate::error::{Error, Result};
use crate::mapping::{self, ROOT};
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

/// The path `save` writes to, mirroring jangada's `Path(path).with_suffix(extension)` when
/// `use_default_extension` is set: the file name's last suffix (from its last `.`, unless
/// that dot starts or ends the name) is REPLACED by the extension (`data.h5` ->
/// `data.hdf5`, `run.v1` -> `run.hdf5`), or the extension is appended when there is no
/// suffix (`output` -> `output.hdf5`). An extension without a leading dot gets one.
pub fn target_path(path: &Path, opts: &SaveOptions) -> PathBuf {
    if !opts.use_default_extension || opts.extension.is_empty() {
        return path.to_path_buf();
    }
    let ext = if opts.extension.starts_with('.') {
        opts.extension.clone()
    } else {
        format!(".{}", opts.extension)
    };
    let Some(name) = path.file_name() else {
        return path.to_path_buf();
    };
    let name = name.to_string_lossy();
    let stem = match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() => name.get(..i).unwrap_or(&name),
        _ => &name,
    };
    path.with_file_name(format!("{stem}{ext}"))
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary file unless disarmed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Save `value` (normally an object) as a jangada file; returns the path written.
///
/// The value is checked first (nothing is written for an unsaveable value); the file is
/// built as `.<name>.tmp-<pid>-<n>` in the target's folder and renamed over the target
/// only when complete, so a failed save leaves any previous file intact.
pub fn save_value(path: &Path, value: &Value, opts: &SaveOptions) -> Result<PathBuf> {
    let target = target_path(path, opts);
    if !opts.overwrite && target.exists() {
        return Err(Error::Exists(target));
    }
    mapping::save::check_value(value, ROOT)?;
    let name = target
        .file_name()
        .ok_or_else(|| Error::Unsupported(format!("{} names no file", target.display())))?
        .to_string_lossy()
        .into_owned();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = target.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let mut guard = TempGuard(Some(temp.clone()));
    let mut deferred = Vec::new();
    {
        let file = File::create_truncate(&temp)?;
        let root = file.root()?;
        mapping::save::save_tree_deferred(&root, ROOT, value, opts, &mut deferred)?;
        file.close()?;
    }
    if !deferred.is_empty() {
        // Second session: see `save_tree_deferred` (a jangada-hdf5 flush bug).
        let file = File::open_rw(&temp)?;
        mapping::save::apply_deferred(&file, &deferred, opts)?;
        file.close()?;
    }
    if !opts.overwrite && target.exists() {
        return Err(Error::Exists(target));
    }
    std::fs::rename(&temp, &target)?;
    guard.0 = None;
    Ok(target)
}

fn open(path: &Path) -> Result<File> {
    if !path.is_file() {
        return Err(Error::NotFound(path.to_path_buf()));
    }
    Ok(File::open(path)?)
}

/// Load a whole jangada file; unknown classes load as generic objects.
pub fn load(path: impl AsRef<Path>) -> Result<Value> {
    let file = open(path.as_ref())?;
    mapping::load_tree(&file.root()?, ROOT)
}

/// Load only the named top-level properties of the root object (partial loading); the
/// class is kept. A name that is not stored is an error.
pub fn load_props(path: impl AsRef<Path>, names: &[&str]) -> Result<Value> {
    let file = open(path.as_ref())?;
    let top = file.root()?;
    if top.link(ROOT)?.is_none() {
        return Err(Error::Format("the file has no \"root\" group".into()));
    }
    let root = top.group(ROOT)?;
    mapping::load::load_props(&root, names)
}
