//! Opening and creating files: the storage, the superblock and (when writable) the write
//! session, shared by every handle of one open file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::error::{Error, Result};
use crate::io::{Addr, FileImage, Sizes};
use crate::sohm::SohmRef;
use crate::store::{Snapshot, Store};
use crate::superblock::Superblock;
use crate::writer::session::Session;

use super::group::Group;
use super::node::Node;

/// How to open a file, as in h5py.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `r`: read only; the file must exist.
    Read,
    /// `r+`: read and write; the file must exist.
    ReadWrite,
    /// `w`: create, truncating an existing file.
    Truncate,
    /// `w-` / `x`: create; fail if the file exists.
    CreateNew,
    /// `a`: read and write if the file exists, create it otherwise.
    Append,
}

impl std::str::FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "r" => Ok(Mode::Read),
            "r+" => Ok(Mode::ReadWrite),
            "w" => Ok(Mode::Truncate),
            "w-" | "x" => Ok(Mode::CreateNew),
            "a" => Ok(Mode::Append),
            other => Err(Error::Invalid(format!(
                "unknown mode {other:?} (expected r, r+, w, w-, x or a)"
            ))),
        }
    }
}

/// A snapshot of the file's bytes with the superblock's base and field sizes.
pub(crate) struct Snap {
    bytes: Snapshot,
    base: u64,
    sizes: Sizes,
    sohm: Option<SohmRef>,
}

impl Snap {
    /// The image structures are decoded from.
    pub(crate) fn image(&self) -> FileImage<'_> {
        FileImage::new(self.bytes.bytes(), self.base, self.sizes).with_sohm(self.sohm)
    }
}

/// The shared object header message table of the file in `store`, if any.
fn find_sohm(store: &Store, superblock: &Superblock) -> Result<Option<SohmRef>> {
    if superblock.extension.is_none() {
        return Ok(None);
    }
    let snap = store.snapshot()?;
    let img = FileImage::new(snap.bytes(), superblock.base, superblock.sizes);
    crate::sohm::find_table(&img, superblock.extension)
}

/// State shared by every handle of one open file.
#[derive(Debug)]
pub(crate) struct FileInner {
    pub(crate) store: Store,
    superblock: RwLock<Superblock>,
    path: Option<PathBuf>,
    session: Option<Mutex<Session>>,
    /// Shapes changed in the write session but not yet on disk (see `Session::pending`).
    pending_shapes: Option<crate::writer::session::PendingShapes>,
    /// Global heap collections already parsed, shared by the reads of a read-only file.
    gheap: crate::heap::global::CollectionCache,
    /// The shared object header message table (found at open).
    sohm: Option<SohmRef>,
    /// Most bytes one read may decode (see [`File::set_read_limit`]).
    read_limit: std::sync::atomic::AtomicU64,
}

/// The default of [`File::set_read_limit`]: 64 GiB, or the environment variable
/// `JANGADA_MAX_READ_BYTES` when it holds a number. Generous on purpose: it is there so that
/// a file whose dataspace claims terabytes gives an error instead of an allocation the
/// operating system kills the process for, not to stop reads that fit in memory.
pub const DEFAULT_READ_LIMIT: u64 = 64 << 30;

fn default_read_limit() -> u64 {
    std::env::var("JANGADA_MAX_READ_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_READ_LIMIT)
}

impl FileInner {
    /// The path the file was opened at (`None` for files opened from bytes).
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A snapshot to decode from.
    pub(crate) fn snapshot(&self) -> Result<Snap> {
        let sb = self.superblock()?;
        Ok(Snap {
            bytes: self.store.snapshot()?,
            base: sb.base,
            sizes: sb.sizes,
            sohm: self.sohm,
        })
    }

    /// A reader of the variable-length data `snap` points at. A read-only file never
    /// changes, so its readers share the collections they parse; a writable one's reader
    /// parses them afresh (objects are added to collections in place).
    pub(crate) fn vlen_reader<'a>(&'a self, snap: &'a Snap) -> super::value::VlenReader<'a> {
        if self.writable() {
            super::value::VlenReader::new(snap.image())
        } else {
            super::value::VlenReader::with_cache(snap.image(), &self.gheap)
        }
    }

    /// A copy of the current superblock.
    pub(crate) fn superblock(&self) -> Result<Superblock> {
        self.superblock
            .read()
            .map(|s| s.clone())
            .map_err(|_| Error::Invalid("file state poisoned by a panic in another thread".into()))
    }

    /// The file's field sizes.
    pub(crate) fn sizes(&self) -> Result<Sizes> {
        Ok(self.superblock()?.sizes)
    }

    /// Address of the root group's object header.
    pub(crate) fn superblock_root(&self) -> Result<Addr> {
        Ok(self.superblock()?.root)
    }

    /// The write session; an error for read-only files.
    pub(crate) fn session(&self) -> Result<MutexGuard<'_, Session>> {
        let s = self.session.as_ref().ok_or_else(|| {
            Error::Invalid(
                "the file is open read-only (mode r); open it with r+, a or w to write".into(),
            )
        })?;
        s.lock().map_err(|_| {
            Error::Invalid("write session poisoned by a panic in another thread".into())
        })
    }

    /// Check that a read decoding `bytes` bytes for `what` stays within the read limit.
    pub(crate) fn check_read(&self, bytes: u64, what: &str) -> Result<()> {
        let limit = self.read_limit.load(std::sync::atomic::Ordering::Relaxed);
        if bytes > limit {
            return Err(Error::LimitExceeded(format!(
                "{what}: reading {bytes} bytes exceeds the read limit of {limit} bytes \
                 (File::set_read_limit, JANGADA_MAX_READ_BYTES); read it in slices"
            )));
        }
        Ok(())
    }

    /// Whether the file is writable.
    pub(crate) fn writable(&self) -> bool {
        self.session.is_some()
    }

    /// The shape of the dataset at `addr` when the write session changed it in memory.
    pub(crate) fn pending_shape(&self, addr: crate::io::Addr) -> Option<Vec<u64>> {
        let shapes = self.pending_shapes.as_ref()?.read().ok()?;
        shapes.get(&addr).cloned()
    }
}

impl Drop for FileInner {
    fn drop(&mut self) {
        // Close leaves a complete file; errors here can only be reported by `File::close`.
        if let Some(session) = &self.session {
            if let Ok(mut s) = session.lock() {
                let _ = s.flush(&self.store, &self.superblock);
            }
        }
    }
}

/// An open HDF5 file.
#[derive(Clone, Debug)]
pub struct File {
    inner: Arc<FileInner>,
}

impl File {
    /// Open an existing file read-only. The file is memory-mapped; it must not be truncated
    /// by another process while open.
    pub fn open(path: impl AsRef<Path>) -> Result<File> {
        Self::open_with(path, Mode::Read)
    }

    /// Open an existing file for reading and writing (`r+`).
    pub fn open_rw(path: impl AsRef<Path>) -> Result<File> {
        Self::open_with(path, Mode::ReadWrite)
    }

    /// Create a new file; fails if it exists (`w-`).
    pub fn create(path: impl AsRef<Path>) -> Result<File> {
        Self::open_with(path, Mode::CreateNew)
    }

    /// Create a file, truncating it if it exists (`w`).
    pub fn create_truncate(path: impl AsRef<Path>) -> Result<File> {
        Self::open_with(path, Mode::Truncate)
    }

    /// Open in one of h5py's modes.
    pub fn open_with(path: impl AsRef<Path>, mode: Mode) -> Result<File> {
        let path = path.as_ref();
        let mut options = std::fs::OpenOptions::new();
        let create = match mode {
            Mode::Read => return Self::from_store(Store::open_read(path)?, Some(path), None),
            Mode::ReadWrite => {
                options.read(true).write(true);
                false
            }
            Mode::Append => {
                if path.exists() {
                    options.read(true).write(true);
                    false
                } else {
                    options.read(true).write(true).create_new(true);
                    true
                }
            }
            Mode::Truncate => {
                // Truncated below, once the lock is held: a file another process has open
                // must not be emptied under it.
                options.read(true).write(true).create(true);
                true
            }
            Mode::CreateNew => {
                options.read(true).write(true).create_new(true);
                true
            }
        };
        let file = options.open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                Error::Invalid(format!("{} already exists (mode {mode:?})", path.display()))
            }
            _ => Error::Io(e),
        })?;
        let store = Store::from_file(file, true)?;
        if mode == Mode::Truncate {
            store.set_len(0)?;
        }
        if create {
            let (superblock, session) = Session::create(&store, Sizes::default())?;
            return Self::from_parts(store, superblock, Some(path), Some(session));
        }
        let superblock = Superblock::read(store.snapshot()?.bytes())?;
        if find_sohm(&store, &superblock)?.is_some() {
            // Objects share messages counted by the SOHM indexes; editing them without
            // updating the counts would let libhdf5 free messages still in use.
            return Err(Error::Unsupported(format!(
                "{}: writing to a file with shared object header messages (SOHM); open it \
                 read-only",
                path.display()
            )));
        }
        let session = Session::open(&store, &superblock)?;
        Self::from_parts(store, superblock, Some(path), Some(session))
    }

    /// A handle on an already open file.
    pub(crate) fn from_inner(inner: Arc<FileInner>) -> File {
        File { inner }
    }

    /// Read a file image held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<File> {
        Self::from_store(Store::from_vec(bytes), None, None)
    }

    /// Create a file in memory (nothing touches the file system): write to it as to any
    /// new file, then take its bytes with [`File::to_bytes`] (to save elsewhere, send, or
    /// offer for download in a browser).
    pub fn create_in_memory() -> Result<File> {
        let store = Store::in_memory();
        let (superblock, session) = Session::create(&store, Sizes::default())?;
        Self::from_parts(store, superblock, None, Some(session))
    }

    /// The file's bytes as they are now, flushed first when it is writable: a complete
    /// HDF5 file (what [`File::from_bytes`] or any reader opens).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.flush()?;
        self.inner.store.to_vec()
    }

    fn from_store(store: Store, path: Option<&Path>, session: Option<Session>) -> Result<File> {
        let superblock = Superblock::read(store.snapshot()?.bytes())?;
        Self::from_parts(store, superblock, path, session)
    }

    fn from_parts(
        store: Store,
        superblock: Superblock,
        path: Option<&Path>,
        session: Option<Session>,
    ) -> Result<File> {
        let sohm = find_sohm(&store, &superblock)?;
        Ok(File {
            inner: Arc::new(FileInner {
                read_limit: default_read_limit().into(),
                sohm,
                store,
                superblock: RwLock::new(superblock),
                path: path.map(Path::to_path_buf),
                pending_shapes: session.as_ref().map(|s| s.pending_shapes.clone()),
                session: session
                    .map(|s| Session {
                        path: path.map(Path::to_path_buf),
                        ..s
                    })
                    .map(Mutex::new),
                gheap: Default::default(),
            }),
        })
    }

    /// Test hook for crash-safety tests: after `calls` more calls that change the file,
    /// every further one fails as if the process had died there (`None` lifts the limit).
    #[doc(hidden)]
    pub fn fail_writes_after(&self, calls: Option<u64>) -> Result<()> {
        self.inner.store.fail_writes_after(calls)
    }

    /// Calls that changed the file since it was opened (writes, length changes).
    #[doc(hidden)]
    pub fn write_calls(&self) -> Result<u64> {
        self.inner.store.write_calls()
    }

    /// The decoded superblock.
    pub fn superblock(&self) -> Superblock {
        match self.inner.superblock.read() {
            Ok(sb) => sb.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Set the most bytes one read (a dataset, a selection, an attribute) may decode;
    /// larger reads are [`Error::LimitExceeded`] before anything is allocated. The default
    /// is [`DEFAULT_READ_LIMIT`] (or `JANGADA_MAX_READ_BYTES`).
    pub fn set_read_limit(&self, bytes: u64) {
        self.inner
            .read_limit
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// The current read limit (see [`File::set_read_limit`]).
    pub fn read_limit(&self) -> u64 {
        self.inner
            .read_limit
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The path the file was opened from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Whether the file was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.inner.writable()
    }

    /// The root group `/`.
    pub fn root(&self) -> Result<Group> {
        Group::open(
            self.inner.clone(),
            self.inner.superblock_root()?,
            "/".to_string(),
        )
    }

    /// The object at `path` (absolute or relative to the root).
    pub fn get(&self, path: &str) -> Result<Node> {
        self.root()?.get(path)
    }

    /// The group at `path`.
    pub fn group(&self, path: &str) -> Result<Group> {
        self.root()?.group(path)
    }

    /// The dataset at `path`.
    pub fn dataset(&self, path: &str) -> Result<super::Dataset> {
        self.root()?.dataset(path)
    }

    /// Write everything pending (dense link and attribute storage, chunk indexes, the
    /// superblock) so that the file on disk is complete. A read-only file has nothing to
    /// write: flushing it does nothing (as in h5py).
    pub fn flush(&self) -> Result<()> {
        if !self.inner.writable() {
            return Ok(());
        }
        let mut session = self.inner.session()?;
        session.flush(&self.inner.store, &self.inner.superblock)
    }

    /// Flush and close this handle (other handles to the same file keep it open).
    pub fn close(self) -> Result<()> {
        self.flush()
    }

    /// Size of the file in bytes.
    pub fn len(&self) -> u64 {
        self.inner.store.len_now()
    }

    /// Whether the file is empty (never true for an opened file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
