//! The storage layer: the bytes of an open file, and everything in the crate that depends on
//! the platform (the only module that names one).
//!
//! A [`Storage`] is the file underneath: positional reads and writes, its length, syncing,
//! and, as optional capabilities, advisory locks and the operating-system file behind it (for
//! memory maps). [`FileStorage`] implements it over `std::fs::File` with one back-end per
//! platform, chosen at compile time:
//! - Unix (`unix.rs`): `pread`/`pwrite`, memory maps for reading and for small writes,
//!   `flock` locks, `madvise` hints;
//! - Windows (`windows.rs`): `seek_read`/`seek_write`, memory maps for reading,
//!   `LockFileEx` locks with the same shared/exclusive semantics;
//! - anything else with a file system, WASI among them (`portable.rs`): seek-and-read files,
//!   no maps, the standard library's locks where it has them.
//!
//! A [`Store`] is an open file's bytes as the decoder and writer see them. Readers take a
//! [`Snapshot`] (a view of the whole file as it was). Where the platform maps files, a
//! snapshot is a read-only map; after writes that grow the file, the next snapshot remaps it.
//! Writes and the map share the operating system's page cache, so a snapshot sees in-place
//! writes at once. Once a store has made many small writes (metadata-heavy work: thousands of
//! headers, attributes and links), writes of a few KiB are copied into a shared writable map
//! of the file instead of being one system call each; they reach the same page cache, so
//! nothing else changes (ordering, visibility, what a killed process leaves).
//!
//! Where files are not mapped (WASI; or anywhere when the environment variable `JANGADA_MMAP`
//! is `0`, which is how the host's tests exercise this path), the whole file is read into
//! memory at open and every write goes both to the storage and to that image, so snapshots
//! never read the file again. Files held only in memory ([`Store::from_vec`],
//! [`Store::in_memory`]) are such an image with no storage under it: the image is the file,
//! and [`Store::to_vec`] hands its bytes out (e.g. to offer a download in a browser).
//!
//! # File locking
//!
//! Like libhdf5 (1.10 and later), an open file holds an advisory lock: shared when opened
//! read-only, exclusive when opened for writing. A second writer, or a reader while a writer
//! holds the file (in this or another process, through this crate or libhdf5), gets
//! [`Error::Locked`] at open. The lock is released when the file is closed (the last handle
//! dropped). Locks are per open file description: one process opening the same file twice,
//! once for writing, conflicts with itself, as with libhdf5 when it cannot tell the two
//! opens apart; such a conflict within the process is reported as [`Error::Invalid`] (close
//! the other handles first) where the platform identifies files (Unix), one with another
//! process as [`Error::Locked`]. A conflict is retried for about a quarter of a second
//! before it is reported, because a child process being started by another thread briefly
//! holds copies of every descriptor, and with them their locks.
//!
//! The environment variable `HDF5_USE_FILE_LOCKING` is honoured as libhdf5 reads it:
//! `FALSE` or `0` disables locking; `TRUE` or `1` enables it and makes a file system without
//! lock support an error; `BEST_EFFORT`, unset, or any other value enables it but opens the
//! file unlocked where the file system (or the platform: WASI) does not support locks
//! (libhdf5's default build).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Result};

#[cfg(unix)]
#[path = "unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;
#[cfg(not(any(unix, windows)))]
#[path = "portable.rs"]
mod sys;

#[cfg(test)]
pub(crate) use sys::REPORTS_HUGEPAGES;
pub(crate) use sys::{advise_hugepage, read_at, write_all_at};

/// Fill `buf` by calling `read_some(rest, offset of rest)` until it is full or a call reads
/// nothing (the end of the file); interrupted calls are retried. Returns the bytes read. For
/// the back-ends whose system calls may read less than asked.
fn read_until_full(
    buf: &mut [u8],
    offset: u64,
    mut read_some: impl FnMut(&mut [u8], u64) -> io::Result<usize>,
) -> io::Result<usize> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        let at = offset
            .checked_add(done as u64)
            .ok_or(io::ErrorKind::InvalidInput)?;
        match read_some(rest, at) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// A read of `got` bytes where `want` were needed: `UnexpectedEof` when short.
fn expect_full(got: usize, want: usize) -> io::Result<()> {
    if got < want {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// The file under an open [`Store`]: positional I/O, length, sync; locks and the operating
/// system's file (for memory maps) are optional capabilities.
pub trait Storage: std::fmt::Debug + Send + Sync {
    /// Fill `buf` with the bytes at `offset`; a storage that ends first is an error
    /// (`UnexpectedEof`).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Write all of `data` at `offset`, growing the storage if needed.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// The storage's length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the storage holds no bytes.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Cut or extend (with zeros) the storage to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Make written data durable.
    fn sync(&self) -> io::Result<()>;
    /// Take an advisory lock without waiting: exclusive or shared. The default has no locks
    /// (an `Unsupported` error, which `HDF5_USE_FILE_LOCKING`'s default accepts).
    fn try_lock(&self, exclusive: bool) -> std::result::Result<(), fs::TryLockError> {
        let _ = exclusive;
        Err(fs::TryLockError::Error(io::ErrorKind::Unsupported.into()))
    }
    /// The operating system's file behind the storage, when there is one (for memory maps
    /// and to recognise two opens of one file).
    fn os_file(&self) -> Option<&fs::File> {
        None
    }
}

/// A [`Storage`] over a file of the file system, through this platform's back-end.
#[derive(Debug)]
pub struct FileStorage {
    file: fs::File,
}

impl FileStorage {
    /// The storage of an open file.
    pub fn new(file: fs::File) -> FileStorage {
        FileStorage { file }
    }
}

impl Storage for FileStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        sys::read_exact_at(&self.file, buf, offset)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        sys::write_all_at(&self.file, data, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn try_lock(&self, exclusive: bool) -> std::result::Result<(), fs::TryLockError> {
        if exclusive {
            self.file.try_lock()
        } else {
            self.file.try_lock_shared()
        }
    }

    fn os_file(&self) -> Option<&fs::File> {
        Some(&self.file)
    }
}

/// The mapped or owned bytes behind a snapshot.
#[derive(Debug)]
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
    Empty,
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
            Bytes::Empty => &[],
        }
    }
}

/// A view of the whole file, valid as long as it is held.
#[derive(Clone, Debug)]
pub struct Snapshot {
    bytes: Arc<Bytes>,
    len: u64,
}

impl Snapshot {
    /// All bytes of the file when the snapshot was taken.
    pub fn bytes(&self) -> &[u8] {
        let all = self.bytes.as_slice();
        all.get(
            ..usize::try_from(self.len)
                .unwrap_or(usize::MAX)
                .min(all.len()),
        )
        .unwrap_or(all)
    }
}

#[derive(Debug)]
struct State {
    /// The file's bytes: a map (when `mapped`) or the whole file in memory.
    current: Arc<Bytes>,
    /// Whether `current` maps the storage's file (else it is kept in step with every write).
    mapped: bool,
    /// Logical length of the file (what has been written).
    len: u64,
    /// Physical length of the storage: writes that grow the file extend it geometrically,
    /// so that the memory map is rebuilt rarely; `set_len` trims it back.
    physical: u64,
    writable: bool,
    /// Calls that changed the file (writes, length changes) so far.
    writes: u64,
    /// Test hook: how many more changing calls succeed before every further one fails
    /// (simulates a process killed between two writes).
    fault_after: Option<u64>,
    /// A shared writable map of the file's first `physical` bytes (as long as it was when
    /// mapped), through which small writes go (see [`Store::write_at`]).
    wmap: Option<memmap2::MmapMut>,
    /// Whether mapping the file for writing failed or is not done here (a file system
    /// without shared writable maps, a platform without them): small writes then go to
    /// the storage like the others.
    wmap_failed: bool,
    /// Small writes so far (the map is made after [`MAPPED_AFTER`] of them).
    small_writes: u32,
    /// Times a write had to copy the in-memory image because a snapshot held it.
    image_copies: u64,
}

impl State {
    /// Count a call that changes the file; fails once the injected budget is spent.
    fn spend(&mut self) -> Result<()> {
        if let Some(left) = self.fault_after.as_mut() {
            if *left == 0 {
                return Err(Error::Io(io::Error::other(
                    "injected fault: the write budget set by the crash-safety test hook is spent",
                )));
            }
            *left -= 1;
        }
        self.writes = self.writes.saturating_add(1);
        Ok(())
    }

    /// The writable map, (re)made to cover the first `end` bytes; `None` when the file
    /// cannot be mapped for writing.
    fn wmap_covering(&mut self, file: &fs::File, end: u64) -> Option<&mut memmap2::MmapMut> {
        let covers = self.wmap.as_ref().is_some_and(|m| m.len() as u64 >= end);
        if !covers && !self.wmap_failed {
            self.wmap = None;
            let len = usize::try_from(self.physical).ok()?;
            // SAFETY: the map covers no byte past the end of the file (`physical` is its
            // length on disk; every change of that length drops the map first), and it is
            // only written through while the state's lock is held. Other processes
            // truncating the file while it is open would make writes fault, as with any
            // mapped file; the exclusive lock taken at open keeps cooperating ones away.
            match unsafe { memmap2::MmapOptions::new().len(len).map_mut(file) } {
                Ok(m) => {
                    sys::advise_random(&m);
                    self.wmap = Some(m);
                }
                Err(_) => self.wmap_failed = true,
            }
        }
        self.wmap.as_mut().filter(|m| m.len() as u64 >= end)
    }

    /// Run `f` on the in-memory image (unmapped stores), which is copied first when a
    /// snapshot still holds it (snapshots never change under their holders).
    fn with_image<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let current = std::mem::replace(&mut self.current, Arc::new(Bytes::Empty));
        let mut image = match Arc::try_unwrap(current) {
            Ok(Bytes::Owned(v)) => v,
            Ok(other) => other.as_slice().to_vec(),
            Err(shared) => {
                self.image_copies = self.image_copies.saturating_add(1);
                shared.as_slice().to_vec()
            }
        };
        let out = f(&mut image);
        self.current = Arc::new(Bytes::Owned(image));
        out
    }

    /// Copy `data` into the in-memory image at `offset` (zeros fill any gap).
    fn image_write(&mut self, offset: usize, data: &[u8]) -> Result<()> {
        let end = offset
            .checked_add(data.len())
            .ok_or_else(|| Error::LimitExceeded("file offset".into()))?;
        self.with_image(|image| {
            if image.len() < end {
                image
                    .try_reserve(end - image.len())
                    .map_err(|_| Error::LimitExceeded(format!("{end} bytes of file in memory")))?;
                image.resize(end, 0);
            }
            if let Some(slot) = image.get_mut(offset..end) {
                slot.copy_from_slice(data);
            }
            Ok(())
        })
    }

    /// Cut or extend (with zeros) the in-memory image to `len` bytes.
    fn image_resize(&mut self, len: u64) -> Result<()> {
        let len = usize::try_from(len)
            .map_err(|_| Error::LimitExceeded(format!("{len} bytes of file in memory")))?;
        self.with_image(|image| {
            if len > image.len() {
                image
                    .try_reserve(len - image.len())
                    .map_err(|_| Error::LimitExceeded(format!("{len} bytes of file in memory")))?;
            }
            image.resize(len, 0);
            Ok(())
        })
    }
}

/// Writes of at most this many bytes are copied into a shared writable map of the file
/// instead of being `pwrite` calls: metadata-heavy work (thousands of small objects) makes
/// many small writes, each a system call otherwise. Larger writes keep `pwrite` (faulting
/// in page by page would be slower for bulk data). Both go to the same page cache.
const MAPPED_WRITE_MAX: usize = 4 << 10;

/// The map is made once a store has made this many small writes: making it, its page
/// faults and unmapping it cost more than the few writes of a short session (open, append,
/// close) would.
const MAPPED_AFTER: u32 = 64;

/// Smallest step by which a growing file is extended.
const GROW_STEP: u64 = 1 << 20;

/// An open file's storage.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    /// The file's identity (device, inode) and whether this store writes it, for the
    /// record of files this process holds.
    held: Option<((u64, u64), bool)>,
    /// The storage under the file, outside the mutex for [`Store::read_at`]; `None` for
    /// files held only in memory.
    storage: Option<Box<dyn Storage>>,
}

/// Files this process holds open through a [`Store`]: (device, inode) -> (readers, writers).
/// Only used to word a lock conflict: one with ourselves is a misuse, not another process.
static HELD: Mutex<BTreeMap<(u64, u64), (u32, u32)>> = Mutex::new(BTreeMap::new());

/// Record (`add`) or forget a store holding `key`.
fn note_held(key: (u64, u64), writer: bool, add: bool) {
    let Ok(mut held) = HELD.lock() else { return };
    let entry = held.entry(key).or_insert((0, 0));
    let count = if writer { &mut entry.1 } else { &mut entry.0 };
    *count = if add {
        count.saturating_add(1)
    } else {
        count.saturating_sub(1)
    };
    if *entry == (0, 0) {
        held.remove(&key);
    }
}

/// Whether this process holds `key` open (for writing, when `writer`).
fn held_here(key: (u64, u64)) -> Option<(u32, u32)> {
    HELD.lock().ok().and_then(|h| h.get(&key).copied())
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((key, writer)) = self.held {
            note_held(key, writer, false);
        }
    }
}

fn map(file: &fs::File, len: u64) -> Result<Bytes> {
    if len == 0 {
        return Ok(Bytes::Empty);
    }
    // SAFETY: the map is read-only. Like every reader that maps files, we rely on no other
    // process truncating the file while it is open; the advisory lock taken at open (see
    // the module docs) keeps cooperating writers, ours and libhdf5's, away.
    let m = unsafe { memmap2::Mmap::map(file)? };
    Ok(Bytes::Mapped(m))
}

/// Whether files are memory-mapped here: where the platform can, unless the environment
/// variable `JANGADA_MMAP` is `0` (which makes the host take the path of platforms
/// without maps, for tests).
pub(crate) fn maps_files() -> bool {
    sys::MAPS_FOR_READING && std::env::var_os("JANGADA_MMAP").is_none_or(|v| v != "0")
}

/// The environment variable that controls file locking (libhdf5's name).
pub const LOCKING_ENV: &str = "HDF5_USE_FILE_LOCKING";

/// What `HDF5_USE_FILE_LOCKING` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockPolicy {
    /// Never lock (`FALSE` or `0`).
    Off,
    /// Lock; a file system without lock support is an error (`TRUE` or `1`).
    Strict,
    /// Lock where the file system supports it (`BEST_EFFORT`, unset, anything else).
    BestEffort,
}

impl LockPolicy {
    /// The policy a value of `HDF5_USE_FILE_LOCKING` selects (`None`: unset).
    pub fn from_env_value(value: Option<&str>) -> LockPolicy {
        match value {
            Some("FALSE") | Some("0") => LockPolicy::Off,
            Some("TRUE") | Some("1") => LockPolicy::Strict,
            _ => LockPolicy::BestEffort,
        }
    }

    /// The policy the environment selects now.
    pub fn from_env() -> LockPolicy {
        let value = std::env::var_os(LOCKING_ENV);
        Self::from_env_value(value.as_ref().and_then(|v| v.to_str()))
    }
}

/// Take the advisory lock on a storage: exclusive for writers, shared for readers, without
/// waiting. Follows [`LockPolicy::from_env`]. The lock lasts as long as the storage (its
/// file, all its duplicates) stays open.
pub fn lock_storage(storage: &dyn Storage, exclusive: bool) -> Result<()> {
    let policy = LockPolicy::from_env();
    if policy == LockPolicy::Off {
        return Ok(());
    }
    let mut attempt = storage.try_lock(exclusive);
    // A conflict may be transient: while another thread of this process starts a child
    // process, the child holds copies of every descriptor (and so their locks) until it
    // executes its program. Retry for about a quarter of a second before giving up.
    let mut wait_ms = 1;
    while matches!(attempt, Err(fs::TryLockError::WouldBlock)) && wait_ms <= LOCK_RETRY_MAX_MS {
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        wait_ms *= 2;
        attempt = storage.try_lock(exclusive);
    }
    match attempt {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked),
        Err(fs::TryLockError::Error(e)) => {
            if sys::lock_unsupported(&e) && policy == LockPolicy::BestEffort {
                Ok(())
            } else {
                Err(Error::Io(e))
            }
        }
    }
}

/// Longest single wait between lock attempts (waits double from 1 ms: 255 ms in all).
const LOCK_RETRY_MAX_MS: u64 = 128;

impl Store {
    /// Open `path` for reading only (taking a shared lock, see the module docs).
    pub fn open_read(path: &Path) -> Result<Store> {
        let file = fs::File::open(path)?;
        Self::from_file(file, false)
    }

    /// Use an already opened file; `writable` when it was opened for writing. Takes the
    /// file's lock first (exclusive when `writable`, shared otherwise; see the module
    /// docs): [`Error::Locked`] when another open holds a conflicting lock.
    pub fn from_file(file: fs::File, writable: bool) -> Result<Store> {
        Self::from_storage(Box::new(FileStorage::new(file)), writable)
    }

    /// Use a storage; `writable` when it may be written. Locks it as
    /// [`Store::from_file`] does.
    pub fn from_storage(storage: Box<dyn Storage>, writable: bool) -> Result<Store> {
        Self::open_storage(storage, writable, maps_files())
    }

    /// [`Store::from_storage`], mapping the file only when `may_map` (and the storage has
    /// an operating-system file to map).
    fn open_storage(storage: Box<dyn Storage>, writable: bool, may_map: bool) -> Result<Store> {
        let key = storage.os_file().and_then(sys::identity);
        if let Err(e) = lock_storage(storage.as_ref(), writable) {
            return Err(match (e, key.and_then(held_here)) {
                (Error::Locked, Some((_, writers))) if writers > 0 => Error::Invalid(
                    "the file is already open for writing in this process: close every \
                     handle to it (files, groups, datasets) before opening it again \
                     (open files are locked, as libhdf5 locks them)"
                        .into(),
                ),
                (Error::Locked, Some(_)) if writable => Error::Invalid(
                    "the file is already open for reading in this process: close every \
                     handle to it (files, groups, datasets) before opening it for writing \
                     (open files are locked, as libhdf5 locks them)"
                        .into(),
                ),
                (e, _) => e,
            });
        }
        if let Some(key) = key {
            note_held(key, writable, true);
        }
        // Built before anything below can fail, so that dropping it forgets the file again.
        let mut store = Store {
            state: Mutex::new(State {
                current: Arc::new(Bytes::Empty),
                mapped: false,
                len: 0,
                physical: 0,
                writable,
                writes: 0,
                fault_after: None,
                wmap: None,
                wmap_failed: !sys::MAPS_FOR_WRITING,
                small_writes: 0,
                image_copies: 0,
            }),
            held: key.map(|k| (k, writable)),
            storage: None,
        };
        let len = storage.len()?;
        let (current, mapped) = match storage.os_file() {
            Some(file) if may_map => (map(file, len)?, true),
            _ => (Bytes::Owned(read_whole(storage.as_ref(), len)?), false),
        };
        let st = store.state.get_mut().map_err(|_| poisoned())?;
        st.current = Arc::new(current);
        st.mapped = mapped;
        st.wmap_failed |= !mapped;
        st.len = len;
        st.physical = len;
        store.storage = Some(storage);
        Ok(store)
    }

    /// A read-only store over bytes in memory.
    pub fn from_vec(bytes: Vec<u8>) -> Store {
        Self::memory(bytes, false)
    }

    /// A writable store in memory, empty: a file is created in it and its bytes taken with
    /// [`Store::to_vec`].
    pub fn in_memory() -> Store {
        Self::memory(Vec::new(), true)
    }

    fn memory(bytes: Vec<u8>, writable: bool) -> Store {
        let len = bytes.len() as u64;
        Store {
            state: Mutex::new(State {
                current: Arc::new(Bytes::Owned(bytes)),
                mapped: false,
                len,
                physical: len,
                writable,
                writes: 0,
                fault_after: None,
                wmap: None,
                wmap_failed: true,
                small_writes: 0,
                image_copies: 0,
            }),
            held: None,
            storage: None,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| poisoned())
    }

    /// The current bytes of the file, remapped if the file grew since the last snapshot.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let mut st = self.lock()?;
        if st.mapped && (st.current.as_slice().len() as u64) < st.len {
            if let Some(file) = self.storage.as_ref().and_then(|s| s.os_file()) {
                let fresh = map(file, st.physical)?;
                st.current = Arc::new(fresh);
            }
        }
        Ok(Snapshot {
            bytes: st.current.clone(),
            len: st.len,
        })
    }

    /// A copy of the file's bytes (of a file in memory: the file to save or offer for
    /// download).
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        Ok(self.snapshot()?.bytes().to_vec())
    }

    /// Whether [`Store::read_at`] reads from the storage (else the file's bytes are all in
    /// memory, and reads copy from a snapshot).
    pub fn reads_file(&self) -> bool {
        self.storage.is_some() && self.lock().map(|st| st.mapped).unwrap_or(false)
    }

    /// Fill `buf` with the file's bytes at absolute `offset` with positional reads (no
    /// memory map involved: large data is copied from the page cache straight into `buf`).
    /// Sees every write made so far, like a snapshot. The caller checks the range against
    /// the file's length first; a file that ends early (cut by another process) is an
    /// error. Files held in memory have no storage to read: [`Error::Invalid`].
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let storage = self
            .storage
            .as_ref()
            .ok_or_else(|| Error::Invalid("in-memory files have no file to read".into()))?;
        storage.read_at(offset, buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                Error::corrupt(
                    "file",
                    offset,
                    format!("the file ends within the {} bytes read here", buf.len()),
                )
            } else {
                Error::Io(e)
            }
        })
    }

    /// Whether writes are allowed.
    pub fn is_writable(&self) -> bool {
        self.lock().map(|s| s.writable).unwrap_or(false)
    }

    /// Current length of the file in bytes.
    pub fn len(&self) -> Result<u64> {
        Ok(self.lock()?.len)
    }

    /// Current length of the file in bytes, also after a panic in another thread poisoned
    /// the state's lock (the length is one integer, never left half-written).
    pub fn len_now(&self) -> u64 {
        match self.state.lock() {
            Ok(state) => state.len,
            Err(poisoned) => poisoned.into_inner().len,
        }
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Write `data` at absolute `offset`, growing the file if needed.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        let mut st = self.lock()?;
        if !st.writable {
            return Err(Error::Invalid("the file is open read-only".into()));
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| Error::LimitExceeded("file offset".into()))?;
        let Some(storage) = &self.storage else {
            st.spend()?;
            let at = usize::try_from(offset)
                .map_err(|_| Error::LimitExceeded(format!("file offset {offset:#x} in memory")))?;
            st.image_write(at, data)?;
            st.len = st.len.max(end);
            st.physical = st.len;
            return Ok(());
        };
        let grown = (end > st.physical)
            .then(|| end.max(st.physical + st.physical / 2).div_ceil(GROW_STEP) * GROW_STEP);
        if let Some(g) = grown {
            st.spend()?;
            storage.set_len(g)?;
            st.physical = g;
        }
        st.spend()?;
        let small = data.len() <= MAPPED_WRITE_MAX;
        if small {
            st.small_writes = st.small_writes.saturating_add(1);
        }
        let mapped = match storage.os_file() {
            Some(file) if small && st.small_writes > MAPPED_AFTER => {
                let range = usize::try_from(offset)
                    .ok()
                    .and_then(|o| Some(o..o.checked_add(data.len())?));
                st.wmap_covering(file, end)
                    .and_then(|m| m.get_mut(range?))
                    .map(|slot| slot.copy_from_slice(data))
                    .is_some()
            }
            _ => false,
        };
        if !mapped {
            storage.write_at(offset, data)?;
        }
        if !st.mapped {
            let at = usize::try_from(offset)
                .map_err(|_| Error::LimitExceeded(format!("file offset {offset:#x} in memory")))?;
            st.image_write(at, data)?;
        }
        if end > st.len {
            st.len = end;
            if !st.mapped {
                st.image_resize(end)?;
            }
        }
        Ok(())
    }

    /// Make the file at least `len` bytes long (zeros past the old end).
    pub fn ensure_len(&self, len: u64) -> Result<()> {
        let mut st = self.lock()?;
        if !st.writable {
            return Err(Error::Invalid("the file is open read-only".into()));
        }
        if len > st.physical {
            st.spend()?;
            if let Some(storage) = &self.storage {
                storage.set_len(len)?;
            }
            st.physical = len;
        }
        if len > st.len {
            st.len = len;
            if !st.mapped {
                st.image_resize(len)?;
            }
        }
        Ok(())
    }

    /// Cut or extend the file to exactly `len` bytes.
    pub fn set_len(&self, len: u64) -> Result<()> {
        let mut st = self.lock()?;
        let Some(storage) = &self.storage else {
            if !st.writable {
                return Ok(());
            }
            if len != st.len {
                st.spend()?;
                st.image_resize(len)?;
            }
            st.len = len;
            st.physical = len;
            return Ok(());
        };
        let changes = len != st.physical;
        if changes {
            st.spend()?;
            // The writable map must never reach past the end of the file.
            st.wmap = None;
        }
        let shrinks_map = st.mapped && (st.current.as_slice().len() as u64) > len;
        if shrinks_map {
            // Never keep a map past the end of the file (reading it would fault); and some
            // systems (Windows) refuse to cut a file while it is mapped.
            st.current = Arc::new(Bytes::Empty);
        }
        if changes {
            storage.set_len(len)?;
        }
        if shrinks_map {
            if let Some(file) = storage.os_file() {
                st.current = Arc::new(map(file, len)?);
            }
        }
        if !st.mapped {
            st.image_resize(len)?;
        }
        st.len = len;
        st.physical = len;
        Ok(())
    }

    /// Test hook for crash-safety tests: after `calls` more calls that change the file
    /// (writes and length changes), every further one fails with an I/O error, as if the
    /// process had died there; `None` lifts the limit.
    #[doc(hidden)]
    pub fn fail_writes_after(&self, calls: Option<u64>) -> Result<()> {
        self.lock()?.fault_after = calls;
        Ok(())
    }

    /// Calls that changed the file so far (see [`Store::fail_writes_after`]).
    #[doc(hidden)]
    pub fn write_calls(&self) -> Result<u64> {
        Ok(self.lock()?.writes)
    }

    /// Times a write copied the whole in-memory image (of a file without maps) because a
    /// snapshot still held it: the writer keeps this near zero, or writing many objects
    /// would take time quadratic in the file's size.
    #[doc(hidden)]
    pub fn image_copies(&self) -> Result<u64> {
        Ok(self.lock()?.image_copies)
    }

    /// Flush written data to the storage device.
    pub fn sync(&self) -> Result<()> {
        let st = self.lock()?;
        if let Some(m) = &st.wmap {
            m.flush()?;
        }
        if let Some(storage) = &self.storage {
            if st.writable {
                storage.sync()?;
            }
        }
        Ok(())
    }
}

fn poisoned() -> Error {
    Error::Invalid("file state poisoned by a panic in another thread".into())
}

/// The whole storage, read into memory (platforms without maps).
fn read_whole(storage: &dyn Storage, len: u64) -> Result<Vec<u8>> {
    let n = usize::try_from(len)
        .map_err(|_| Error::LimitExceeded(format!("a file of {len} bytes in memory")))?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(n)
        .map_err(|_| Error::LimitExceeded(format!("a file of {len} bytes in memory")))?;
    bytes.resize(n, 0);
    storage.read_at(0, &mut bytes).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::corrupt("file", 0, "the file shrank while it was being read")
        } else {
            Error::Io(e)
        }
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = crate::portable::scratch_root("jangada-store");
        fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn writable(path: &Path) -> Store {
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        Store::from_file(f, true).unwrap()
    }

    /// Small writes (through the writable map once there are enough of them) and large ones
    /// (`pwrite`), across growth steps and a shrink, land where they should: seen by
    /// snapshots, positional reads and the file on disk.
    #[test]
    fn small_and_large_writes_agree_across_growth_and_shrink() {
        let p = scratch("mixed.bin");
        let store = writable(&p);
        let mut expect = Vec::new();
        fn put(store: &Store, expect: &mut Vec<u8>, at: usize, data: &[u8]) {
            store.write_at(at as u64, data).unwrap();
            if expect.len() < at + data.len() {
                expect.resize(at + data.len(), 0);
            }
            expect[at..at + data.len()].copy_from_slice(data);
        }
        // Enough small writes to switch to the map; some past the first growth step.
        for i in 0..(MAPPED_AFTER as usize * 3) {
            let at = i * 9_973 % (3 * GROW_STEP as usize);
            put(&store, &mut expect, at, &[i as u8; 100]);
        }
        assert_eq!(
            store.lock().unwrap().wmap.is_some(),
            sys::MAPS_FOR_WRITING && maps_files()
        );
        put(&store, &mut expect, 1000, &vec![7u8; MAPPED_WRITE_MAX + 1]);
        put(&store, &mut expect, 5 * GROW_STEP as usize, &[9u8; 10]);
        let check = |store: &Store, expect: &[u8]| {
            let snap = store.snapshot().unwrap();
            same(snap.bytes(), expect);
            let mut buf = vec![0u8; expect.len()];
            store.read_at(0, &mut buf).unwrap();
            same(&buf, expect);
        };
        check(&store, &expect);
        // Shrink below the map, then write small again (the map is made anew).
        let cut = GROW_STEP as usize / 2;
        store.set_len(cut as u64).unwrap();
        expect.truncate(cut);
        for i in 0..10 {
            put(&store, &mut expect, cut - 50 + i * 10, &[0xaa; 20]);
        }
        check(&store, &expect);
        store.sync().unwrap();
        drop(store);
        // The file may be longer than what was written (it grows in steps; the writer
        // trims it at flush): zeros past the end.
        let disk = fs::read(&p).unwrap();
        same(&disk[..expect.len()], &expect);
        assert!(disk[expect.len()..].iter().all(|&b| b == 0));
    }

    /// The same writes through the path of platforms without maps (the file read into
    /// memory, every write going to both) and through a store held only in memory: the
    /// file, snapshots and the bytes handed out agree.
    #[test]
    fn unmapped_and_memory_stores_keep_their_image_in_step() {
        let p = scratch("unmapped.bin");
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        let file = Store::open_storage(Box::new(FileStorage::new(f)), true, false).unwrap();
        let memory = Store::in_memory();
        assert!(!file.reads_file() && !memory.reads_file());
        let mut on_disk = Vec::new();
        for (i, store) in [&file, &memory].into_iter().enumerate() {
            let held = store.snapshot().unwrap();
            let mut expect = Vec::new();
            for k in 0..200usize {
                let at = k * 7_919 % (3 * GROW_STEP as usize);
                let data = vec![(k + i) as u8; 1 + k % 300];
                store.write_at(at as u64, &data).unwrap();
                if expect.len() < at + data.len() {
                    expect.resize(at + data.len(), 0);
                }
                expect[at..at + data.len()].copy_from_slice(&data);
            }
            // A snapshot taken before the writes still shows the file as it was.
            assert_eq!(held.bytes(), b"");
            same(store.snapshot().unwrap().bytes(), &expect);
            store.ensure_len(expect.len() as u64 + 10).unwrap();
            expect.resize(expect.len() + 10, 0);
            same(&store.to_vec().unwrap(), &expect);
            store.set_len(1000).unwrap();
            expect.truncate(1000);
            same(store.snapshot().unwrap().bytes(), &expect);
            store.sync().unwrap();
            if i == 0 {
                on_disk = expect;
            }
        }
        drop(file);
        same(&fs::read(&p).unwrap(), &on_disk);
        // A read-only memory store refuses writes and keeps its bytes.
        let ro = Store::from_vec(vec![1, 2, 3]);
        assert!(ro.write_at(0, &[9]).is_err());
        assert_eq!(ro.to_vec().unwrap(), vec![1, 2, 3]);
    }

    /// `a == b`, reporting the first difference (not the whole buffers).
    fn same(a: &[u8], b: &[u8]) {
        assert_eq!(a.len(), b.len());
        let first = a.iter().zip(b).position(|(x, y)| x != y);
        assert_eq!(first, None, "first difference at byte {first:?}");
    }
}
