//! The bytes of an open file: a read-only memory map for decoding, positional writes for
//! modifying. Readers take a [`Snapshot`] (a shared map of the file as it was); after
//! writes that grow the file, the next snapshot remaps it. Writes and the map share the
//! operating system's page cache, so a snapshot sees in-place writes at once. Once a store
//! has made many small writes (metadata-heavy work: thousands of headers, attributes and
//! links), writes of a few KiB are copied into a shared writable map of the file instead of
//! being one system call each; they reach the same page cache, so nothing else changes
//! (ordering, visibility, what a killed process leaves).
//!
//! # File locking
//!
//! Like libhdf5 (1.10 and later), an open file holds an advisory `flock` lock: shared when
//! opened read-only, exclusive when opened for writing. A second writer, or a reader while a
//! writer holds the file (in this or another process, through this crate or libhdf5), gets
//! [`Error::Locked`] at open. The lock is released when the file is closed (the last handle
//! dropped). Locks are per open file description: one process opening the same file twice,
//! once for writing, conflicts with itself, as with libhdf5 when it cannot tell the two
//! opens apart; such a conflict within the process is reported as [`Error::Invalid`] (close
//! the other handles first), one with another process as [`Error::Locked`]. A conflict is retried for about a quarter of a second before it is
//! reported, because a child process being started by another thread briefly holds copies of
//! every descriptor, and with them their locks.
//!
//! The environment variable `HDF5_USE_FILE_LOCKING` is honoured as libhdf5 reads it:
//! `FALSE` or `0` disables locking; `TRUE` or `1` enables it and makes a file system without
//! lock support an error; `BEST_EFFORT`, unset, or any other value enables it but opens the
//! file unlocked where the file system does not support locks (libhdf5's default build).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Result};

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
    file: Option<fs::File>,
    current: Arc<Bytes>,
    /// Logical length of the file (what has been written).
    len: u64,
    /// Physical length on disk: writes that grow the file extend it geometrically, so
    /// that the memory map is rebuilt rarely; `set_len` trims it back.
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
    /// Whether mapping the file for writing failed (a file system without shared
    /// writable maps): small writes then use `pwrite` like the others.
    wmap_failed: bool,
    /// Small writes so far (the map is made after [`MAPPED_AFTER`] of them).
    small_writes: u32,
}

impl State {
    /// Count a call that changes the file; fails once the injected budget is spent.
    fn spend(&mut self) -> Result<()> {
        if let Some(left) = self.fault_after.as_mut() {
            if *left == 0 {
                return Err(Error::Io(std::io::Error::other(
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
    fn wmap_covering(&mut self, end: u64) -> Option<&mut memmap2::MmapMut> {
        let covers = self.wmap.as_ref().is_some_and(|m| m.len() as u64 >= end);
        if !covers && !self.wmap_failed {
            self.wmap = None;
            let len = usize::try_from(self.physical).ok()?;
            let file = self.file.as_ref()?;
            // SAFETY: the map covers no byte past the end of the file (`physical` is its
            // length on disk; every change of that length drops the map first), and it is
            // only written through while the state's lock is held. Other processes
            // truncating the file while it is open would make writes fault, as with any
            // mapped file; the exclusive lock taken at open keeps cooperating ones away.
            match unsafe { memmap2::MmapOptions::new().len(len).map_mut(file) } {
                Ok(m) => {
                    // Faults bring in the page written, not a readahead window of pages
                    // (of a file mostly being appended to: holes, zero-filled for nothing).
                    let _ = m.advise(memmap2::Advice::Random);
                    self.wmap = Some(m);
                }
                Err(_) => self.wmap_failed = true,
            }
        }
        self.wmap.as_mut().filter(|m| m.len() as u64 >= end)
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
    /// A second descriptor of the open file (same open file description, so same lock),
    /// outside the mutex, for [`Store::read_at`]; `None` for in-memory stores.
    reader: Option<fs::File>,
}

/// Files this process holds open through a [`Store`]: (device, inode) -> (readers, writers).
/// Only used to word a lock conflict: one with ourselves is a misuse, not another process.
static HELD: Mutex<BTreeMap<(u64, u64), (u32, u32)>> = Mutex::new(BTreeMap::new());

fn file_key(file: &fs::File) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    file.metadata().ok().map(|m| (m.dev(), m.ino()))
}

/// Record (`delta` +1) or forget (-1) a store holding `key`.
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

/// Take the advisory lock on an open file: exclusive for writers, shared for readers,
/// without waiting. Follows [`LockPolicy::from_env`]. The lock lasts as long as the file
/// descriptor (all its duplicates) stays open.
pub fn lock_file(file: &fs::File, exclusive: bool) -> Result<()> {
    let policy = LockPolicy::from_env();
    if policy == LockPolicy::Off {
        return Ok(());
    }
    let try_once = || {
        if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        }
    };
    let mut attempt = try_once();
    // A conflict may be transient: while another thread of this process starts a child
    // process, the child holds copies of every descriptor (and so their locks) until it
    // executes its program. Retry for about a quarter of a second before giving up.
    let mut wait_ms = 1;
    while matches!(attempt, Err(fs::TryLockError::WouldBlock)) && wait_ms <= LOCK_RETRY_MAX_MS {
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        wait_ms *= 2;
        attempt = try_once();
    }
    match attempt {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked),
        Err(fs::TryLockError::Error(e)) => {
            let unsupported = e.kind() == std::io::ErrorKind::Unsupported
                || e.raw_os_error() == Some(ENOSYS)
                || e.raw_os_error() == Some(EOPNOTSUPP);
            if unsupported && policy == LockPolicy::BestEffort {
                Ok(())
            } else {
                Err(Error::Io(e))
            }
        }
    }
}

/// Longest single wait between lock attempts (waits double from 1 ms: 255 ms in all).
const LOCK_RETRY_MAX_MS: u64 = 128;

/// Linux `ENOSYS` (locking not implemented by the file system).
const ENOSYS: i32 = 38;
/// Linux `EOPNOTSUPP`.
const EOPNOTSUPP: i32 = 95;

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
        let key = file_key(&file);
        if let Err(e) = lock_file(&file, writable) {
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
        let len = file.metadata()?.len();
        let current = Arc::new(map(&file, len)?);
        let reader = file.try_clone().ok();
        Ok(Store {
            state: Mutex::new(State {
                file: Some(file),
                current,
                len,
                physical: len,
                writable,
                writes: 0,
                fault_after: None,
                wmap: None,
                wmap_failed: false,
                small_writes: 0,
            }),
            held: key.map(|k| (k, writable)),
            reader,
        })
    }

    /// A read-only store over bytes in memory.
    pub fn from_vec(bytes: Vec<u8>) -> Store {
        let len = bytes.len() as u64;
        Store {
            state: Mutex::new(State {
                file: None,
                current: Arc::new(Bytes::Owned(bytes)),
                len,
                physical: len,
                writable: false,
                writes: 0,
                fault_after: None,
                wmap: None,
                wmap_failed: true,
                small_writes: 0,
            }),
            held: None,
            reader: None,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::Invalid("file state poisoned by a panic in another thread".into()))
    }

    /// The current bytes of the file, remapped if the file grew since the last snapshot.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let mut st = self.lock()?;
        if (st.current.as_slice().len() as u64) < st.len {
            if let Some(file) = &st.file {
                let fresh = map(file, st.physical)?;
                st.current = Arc::new(fresh);
            }
        }
        Ok(Snapshot {
            bytes: st.current.clone(),
            len: st.len,
        })
    }

    /// Whether [`Store::read_at`] reads from a file (else the store is in memory, and reads
    /// copy from its snapshot).
    pub fn reads_file(&self) -> bool {
        self.reader.is_some()
    }

    /// Fill `buf` with the file's bytes at absolute `offset` with positional reads (no
    /// memory map involved: large data is copied from the page cache straight into `buf`).
    /// Sees every write made so far, like a snapshot. The caller checks the range against
    /// the file's length first; a file that ends early (cut by another process) is an
    /// error. In-memory stores have no file to read: [`Error::Invalid`].
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        use std::os::unix::fs::FileExt;
        let file = self
            .reader
            .as_ref()
            .ok_or_else(|| Error::Invalid("in-memory files have no file to read".into()))?;
        file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
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
        use std::os::unix::fs::FileExt;
        let mut st = self.lock()?;
        if !st.writable {
            return Err(Error::Invalid("the file is open read-only".into()));
        }
        if st.file.is_none() {
            return Err(Error::Invalid("in-memory files cannot be written".into()));
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| Error::LimitExceeded("file offset".into()))?;
        let grown = (end > st.physical)
            .then(|| end.max(st.physical + st.physical / 2).div_ceil(GROW_STEP) * GROW_STEP);
        if let Some(g) = grown {
            st.spend()?;
            if let Some(file) = &st.file {
                file.set_len(g)?;
            }
            st.physical = g;
        }
        st.spend()?;
        let small = data.len() <= MAPPED_WRITE_MAX;
        if small {
            st.small_writes = st.small_writes.saturating_add(1);
        }
        let mapped = if small && st.small_writes > MAPPED_AFTER {
            let range = usize::try_from(offset)
                .ok()
                .and_then(|o| Some(o..o.checked_add(data.len())?));
            st.wmap_covering(end)
                .and_then(|m| m.get_mut(range?))
                .map(|slot| slot.copy_from_slice(data))
                .is_some()
        } else {
            false
        };
        if !mapped {
            if let Some(file) = &st.file {
                file.write_all_at(data, offset)?;
            }
        }
        if end > st.len {
            st.len = end;
        }
        Ok(())
    }

    /// Make the file at least `len` bytes long (zeros past the old end).
    pub fn ensure_len(&self, len: u64) -> Result<()> {
        let mut st = self.lock()?;
        if !st.writable || st.file.is_none() {
            return Err(Error::Invalid("the file is open read-only".into()));
        }
        if len > st.physical {
            st.spend()?;
            if let Some(file) = &st.file {
                file.set_len(len)?;
            }
            st.physical = len;
        }
        if len > st.len {
            st.len = len;
        }
        Ok(())
    }

    /// Cut or extend the file to exactly `len` bytes.
    pub fn set_len(&self, len: u64) -> Result<()> {
        let mut st = self.lock()?;
        if st.file.is_none() {
            return Ok(());
        }
        let changes = len != st.physical;
        if changes {
            st.spend()?;
            // The writable map must never reach past the end of the file.
            st.wmap = None;
        }
        let remapped = match &st.file {
            Some(file) => {
                if changes {
                    file.set_len(len)?;
                }
                // Never keep a map past the end of the file (reading it would fault).
                if (st.current.as_slice().len() as u64) > len {
                    Some(Arc::new(map(file, len)?))
                } else {
                    None
                }
            }
            None => None,
        };
        st.len = len;
        st.physical = len;
        if let Some(m) = remapped {
            st.current = m;
        }
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

    /// Flush written data to the storage device.
    pub fn sync(&self) -> Result<()> {
        let st = self.lock()?;
        if let Some(m) = &st.wmap {
            m.flush()?;
        }
        if let Some(file) = &st.file {
            if st.writable {
                file.sync_data()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("jangada-store-{}", std::process::id()));
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
        assert!(store.lock().unwrap().wmap.is_some());
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

    /// `a == b`, reporting the first difference (not the whole buffers).
    fn same(a: &[u8], b: &[u8]) {
        assert_eq!(a.len(), b.len());
        let first = a.iter().zip(b).position(|(x, y)| x != y);
        assert_eq!(first, None, "first difference at byte {first:?}");
    }
}
