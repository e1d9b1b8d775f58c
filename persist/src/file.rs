//! Saving and loading whole values: `save_value` (atomic: a temporary file in the same
//! directory renamed over the target only when complete) and `load`.

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};

use jangada_hdf5::File;

pub use crate::compression::Compression;
use crate::error::{Error, Result};
use crate::mapping::{self, ROOT};
use crate::value::Value;

/// jangada's default file extension.
pub const DEFAULT_EXTENSION: &str = ".hdf5";

/// Storage of one array property (an improvement over jangada: per-field compression and
/// chunk shape).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArrayStorage {
    /// The filter pipeline of this dataset; overrides [`SaveOptions::compression`].
    pub compression: Option<Compression>,
    /// Chunk shape; `None` keeps h5py's guess.
    pub chunks: Option<Vec<u64>>,
}

/// How to save.
#[derive(Clone, Debug, PartialEq)]
pub struct SaveOptions {
    /// Replace an existing file (jangada's default: true).
    pub overwrite: bool,
    /// Append `extension` when the path lacks it (jangada's default: true).
    pub use_default_extension: bool,
    /// The class's extension (`.hdf5` unless the class says otherwise).
    pub extension: String,
    /// Compression of every array dataset (`None`: as jangada, uncompressed).
    pub compression: Option<Compression>,
    /// Per-dataset storage, keyed by the dataset's absolute path in the file
    /// (`"/root/data"`).
    pub fields: std::collections::BTreeMap<String, ArrayStorage>,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            overwrite: true,
            use_default_extension: true,
            extension: DEFAULT_EXTENSION.to_string(),
            compression: None,
            fields: std::collections::BTreeMap::new(),
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

/// A random number drawn once per process, naming its temporary files apart from those of
/// other processes saving beside the same target. (Not the process id: WebAssembly has none,
/// and `std::process::id()` panics there.)
fn process_nonce() -> u64 {
    use std::hash::BuildHasher;
    static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *NONCE.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u8))
}

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
/// built as `.<name>.tmp-<nonce>-<n>` in the target's folder and renamed over the target
/// only when complete, so a failed save leaves any previous file intact.
pub fn save_value(path: &Path, value: &Value, opts: &SaveOptions) -> Result<PathBuf> {
    let target = target_path(path, opts);
    if !opts.overwrite && target.exists() {
        return Err(Error::Exists(target));
    }
    mapping::save::check_value(value, ROOT)?;
    write_atomically(&target, opts.overwrite, |temp| {
        let file = File::create_truncate(temp)?;
        mapping::save::save_checked(&file.root()?, ROOT, value, opts)?;
        Ok(file.close()?)
    })?;
    Ok(target)
}

/// Run `build` on a temporary path beside `target` (`.<name>.tmp-<nonce>-<n>`), then move the
/// result to `target`: `rename` (replacing) when `overwrite`, otherwise a hard link that
/// fails if `target` appeared meanwhile. On any error the temporary file is removed and
/// `target` is untouched.
fn write_atomically(
    target: &Path,
    overwrite: bool,
    build: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::Unsupported(format!("{} names no file", target.display())))?
        .to_string_lossy()
        .into_owned();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = target.with_file_name(format!(".{name}.tmp-{:x}-{n}", process_nonce()));
    let _guard = TempGuard(Some(temp.clone()));
    build(&temp)?;
    if overwrite {
        std::fs::rename(&temp, target)?;
    } else {
        std::fs::hard_link(&temp, target).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::Exists(target.to_path_buf()),
            _ => Error::Io(e),
        })?;
    }
    Ok(())
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

/// Load a whole jangada file held in memory (as [`load`] does a file on disk).
pub fn load_bytes(bytes: Vec<u8>) -> Result<Value> {
    let file = File::from_bytes(bytes)?;
    mapping::load_tree(&file.root()?, ROOT)
}

/// Load a whole jangada file like [`load`], but a dataset whose `__dataset_type__` is not
/// known (neither numpy's/pandas' nor registered with
/// [`register_dataset_type`](crate::register_dataset_type)) loads as
/// [`Value::Custom`] instead of being an error. For generic tools
/// (`jangada show`) that cannot know the registrations of the program that wrote the file.
pub fn load_lenient(path: impl AsRef<Path>) -> Result<Value> {
    let file = open(path.as_ref())?;
    mapping::load_tree_lenient(&file.root()?, ROOT)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = crate::portable::scratch_root(&format!("pcore-file-{name}"));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn temps(d: &Path) -> usize {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            })
            .count()
    }

    #[test]
    fn a_save_failing_midway_leaves_the_old_file_and_no_temp() {
        let d = dir("midway");
        let target = d.join("f.hdf5");
        std::fs::write(&target, b"old bytes").unwrap();
        // Half a file is written (groups, a dataset), then the writer fails.
        let err = write_atomically(&target, true, |temp| {
            let f = File::create_truncate(temp)?;
            let g = f.root()?.create_group("root")?;
            g.set_attr("__container_type__", "dict")?;
            g.write_dataset("x", &ndarray::ArrayD::<f64>::zeros(vec![1000]))?;
            f.flush()?;
            assert!(temp.exists());
            Err(Error::Unsupported("boom".into()))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "cannot save: boom");
        assert_eq!(std::fs::read(&target).unwrap(), b"old bytes");
        assert_eq!(temps(&d), 0);
    }

    #[test]
    fn no_overwrite_never_replaces_a_file_that_appeared_meanwhile() {
        let d = dir("race");
        let target = d.join("f.hdf5");
        let _ = std::fs::remove_file(&target);
        let err = write_atomically(&target, false, |temp| {
            std::fs::write(temp, b"new")?;
            std::fs::write(&target, b"someone else")?;
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(err, Error::Exists(ref p) if p == &target), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"someone else");
        assert_eq!(temps(&d), 0);
        std::fs::remove_file(&target).unwrap();
        write_atomically(&target, false, |temp| Ok(std::fs::write(temp, b"mine")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"mine");
        assert_eq!(temps(&d), 0);
    }
}
