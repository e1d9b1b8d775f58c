//! The portable back-end of the storage layer, for systems without memory maps or positional
//! I/O in the standard library (WASI, and any other target with a file system): plain
//! `std::fs` files, read and written by seeking. Files are read into memory when opened and
//! kept there in step with every write (see the store's module docs), so no read needs the
//! file again. Locks are what the standard library offers (WASI has none: `BEST_EFFORT`, the
//! default, opens unlocked; `HDF5_USE_FILE_LOCKING=TRUE` makes that an error).

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// No memory maps: files are read into memory.
pub const MAPS_FOR_READING: bool = false;

/// No memory maps for writing either.
pub const MAPS_FOR_WRITING: bool = false;

/// Seeking and then reading or writing is two calls on a shared file position: they are
/// made under this lock so that two threads never interleave them.
static POSITION: Mutex<()> = Mutex::new(());

/// Read up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
pub fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let _held = POSITION.lock().unwrap_or_else(|p| p.into_inner());
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    super::read_until_full(buf, offset, |rest, _| f.read(rest))
}

/// Fill `buf` from `offset`; a file that ends first is `UnexpectedEof`.
pub fn read_exact_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    super::expect_full(read_at(file, buf, offset)?, buf.len())
}

/// Write all of `data` at `offset`.
pub fn write_all_at(file: &fs::File, data: &[u8], offset: u64) -> io::Result<()> {
    let _held = POSITION.lock().unwrap_or_else(|p| p.into_inner());
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(data)
}

/// Files are not identified here.
pub fn identity(_file: &fs::File) -> Option<(u64, u64)> {
    None
}

/// Whether a failed lock attempt means the file system has no locks.
pub fn lock_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
}

/// No maps, no hints.
pub fn advise_random(_map: &memmap2::MmapMut) {}

/// No huge-page advice here.
pub fn advise_hugepage(_start: usize, _len: usize) {}

#[cfg(test)]
/// Whether this system can report huge-page advice back, for tests.
pub const REPORTS_HUGEPAGES: bool = false;
