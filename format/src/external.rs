//! Reading and writing the raw data of datasets stored in external files (the External
//! Data Files message, [`crate::messages::external`]).
//!
//! Where a relative name is looked for (decided here; libhdf5 itself resolves relative names
//! against the process's working directory unless a prefix is set):
//!
//! 1. An absolute name is used as it is.
//! 2. When the environment variable `HDF5_EXTFILE_PREFIX` is set (and is neither empty nor
//!    `.`), the name is joined to it, a leading `${ORIGIN}` standing for the HDF5 file's
//!    folder, as libhdf5 does.
//! 3. Otherwise the HDF5 file's folder, which keeps a file and its raw data movable together;
//!    when the name is not found there, the working directory (libhdf5's default).
//!
//! Bytes past the end of an external file that is shorter than its segment read as zeros, as
//! in libhdf5; a missing file is an error naming it.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::messages::external::{ExternalFiles, Segment};

/// The file holding segment `name` of a dataset of the HDF5 file at `hdf5`.
pub(crate) fn resolve(name: &str, hdf5: Option<&Path>) -> PathBuf {
    let given = Path::new(name);
    if given.is_absolute() {
        return given.to_path_buf();
    }
    let folder = hdf5.and_then(Path::parent).map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    match prefix() {
        Some(prefix) => {
            let prefix = match (prefix.strip_prefix("${ORIGIN}"), folder) {
                (Some(rest), Some(dir)) => format!("{}{rest}", dir.display()),
                _ => prefix,
            };
            Path::new(&prefix).join(given)
        }
        None => match folder.map(|dir| dir.join(given)) {
            Some(beside) if beside.exists() => beside,
            _ => given.to_path_buf(),
        },
    }
}

/// `HDF5_EXTFILE_PREFIX`, when it sets a prefix (libhdf5 ignores an empty one and `.`).
fn prefix() -> Option<String> {
    std::env::var("HDF5_EXTFILE_PREFIX")
        .ok()
        .filter(|p| !p.is_empty() && p != ".")
}

/// Reads and writes of a dataset's external segments, each file opened once.
pub(crate) struct ExternalIo<'a> {
    efl: &'a ExternalFiles,
    hdf5: Option<&'a Path>,
    dataset: &'a str,
    writing: bool,
    open: HashMap<usize, fs::File>,
}

impl<'a> ExternalIo<'a> {
    /// Reads of the segments of `efl`, for the dataset `dataset` of the file at `hdf5`.
    pub(crate) fn reader(efl: &'a ExternalFiles, hdf5: Option<&'a Path>, dataset: &'a str) -> Self {
        ExternalIo {
            efl,
            hdf5,
            dataset,
            writing: false,
            open: HashMap::new(),
        }
    }

    /// Writes (and reads) of the segments: files are created when missing, never
    /// truncated.
    pub(crate) fn writer(efl: &'a ExternalFiles, hdf5: Option<&'a Path>, dataset: &'a str) -> Self {
        ExternalIo {
            writing: true,
            ..Self::reader(efl, hdf5, dataset)
        }
    }

    /// Fill `out` with the dataset's bytes starting at byte `start` of its data.
    pub(crate) fn read(&mut self, start: u64, out: &mut [u8]) -> Result<()> {
        self.each_piece(start, out.len() as u64, |io, k, at, lo, hi| {
            let dst = out
                .get_mut(span(lo, hi)?)
                .ok_or_else(|| Error::Invalid("external read outside its buffer".into()))?;
            let file = io.file(k)?;
            let mut done = 0;
            while done < dst.len() {
                let rest = dst.get_mut(done..).unwrap_or_default();
                let pos = at.checked_add(done as u64).ok_or_else(|| {
                    Error::LimitExceeded(format!("external segment {k} reaches past 2^64 bytes"))
                })?;
                let n = crate::store::read_at(file, rest, pos)?;
                if n == 0 {
                    // Past the end of the external file: zeros, as libhdf5 reads them.
                    rest.fill(0);
                    break;
                }
                done += n;
            }
            Ok(())
        })
    }

    /// Write `bytes` at byte `start` of the dataset's data.
    pub(crate) fn write(&mut self, start: u64, bytes: &[u8]) -> Result<()> {
        self.each_piece(start, bytes.len() as u64, |io, k, at, lo, hi| {
            let src = bytes
                .get(span(lo, hi)?)
                .ok_or_else(|| Error::Invalid("external write outside its buffer".into()))?;
            Ok(crate::store::write_all_at(io.file(k)?, src, at)?)
        })
    }

    /// Call `f(self, segment, offset in its file, lo, hi)` for each piece of the dataset's
    /// bytes `start..start + len` that lies in one segment (`lo..hi` relative to `start`).
    fn each_piece(
        &mut self,
        start: u64,
        len: u64,
        mut f: impl FnMut(&mut Self, usize, u64, u64, u64) -> Result<()>,
    ) -> Result<()> {
        let end = start.saturating_add(len);
        if end > self.efl.capacity() {
            return Err(Error::Invalid(format!(
                "dataset {} needs {end} bytes but its external segments hold {}",
                self.dataset,
                self.efl.capacity()
            )));
        }
        let mut seg_start = 0u64;
        for (k, seg) in self.efl.segments.iter().enumerate() {
            let seg_end = seg.size.map_or(u64::MAX, |n| seg_start.saturating_add(n));
            let lo = start.max(seg_start);
            let hi = end.min(seg_end);
            if lo < hi {
                let at = seg.offset.checked_add(lo - seg_start).ok_or_else(|| {
                    Error::LimitExceeded(format!(
                        "segment {k} of dataset {} reaches past 2^64 bytes",
                        self.dataset
                    ))
                })?;
                f(self, k, at, lo - start, hi - start)?;
            }
            if seg_end >= end {
                break;
            }
            seg_start = seg_end;
        }
        Ok(())
    }

    /// The open file of segment `k`.
    fn file(&mut self, k: usize) -> Result<&fs::File> {
        if self.hdf5.is_none() {
            // A file read from memory has no folder to resolve names against, and opening
            // what they name from the working directory would let untrusted bytes read
            // other files.
            return Err(Error::Unsupported(format!(
                "dataset {} stored in external files, for a file opened from memory",
                self.dataset
            )));
        }
        if !self.open.contains_key(&k) {
            let seg = self
                .efl
                .segments
                .get(k)
                .ok_or_else(|| Error::Invalid("no such external segment".into()))?;
            let file = if self.writing {
                let path = resolve_for_write(&seg.name, self.hdf5);
                fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)
                    .map_err(|e| self.open_error(&path, seg, e))?
            } else {
                let path = resolve(&seg.name, self.hdf5);
                fs::File::open(&path).map_err(|e| self.open_error(&path, seg, e))?
            };
            self.open.insert(k, file);
        }
        self.open
            .get(&k)
            .ok_or_else(|| Error::Invalid("external file vanished".into()))
    }

    fn open_error(&self, path: &Path, seg: &Segment, e: std::io::Error) -> Error {
        Error::NotFound(format!(
            "external raw data file {} of dataset {} (stored name {:?}): {e}",
            path.display(),
            self.dataset,
            seg.name
        ))
    }
}

fn span(lo: u64, hi: u64) -> Result<std::ops::Range<usize>> {
    let lo = usize::try_from(lo).map_err(|_| Error::LimitExceeded("external read".into()))?;
    let hi = usize::try_from(hi).map_err(|_| Error::LimitExceeded("external read".into()))?;
    Ok(lo..hi)
}

/// Where a write goes: as [`resolve`], but a relative name that exists nowhere yet is
/// created beside the HDF5 file (where reading looks first).
fn resolve_for_write(name: &str, hdf5: Option<&Path>) -> PathBuf {
    let found = resolve(name, hdf5);
    if found.exists() || Path::new(name).is_absolute() {
        return found;
    }
    match hdf5.and_then(Path::parent) {
        Some(dir) if prefix().is_none() => dir.join(name),
        _ => found,
    }
}
