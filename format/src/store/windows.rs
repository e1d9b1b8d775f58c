//! The Windows back-end of the storage layer: positional I/O (`ReadFile`/`WriteFile` with an
//! offset, through `FileExt::seek_read`/`seek_write`), memory maps for reading, and
//! `LockFileEx` locks (through the standard library's `File::try_lock`, shared or
//! exclusive, failing at once: the same semantics as `flock` on Unix).
//!
//! Differences from Unix, decided here:
//! - No writable map for small writes: Windows refuses to shrink a file while any map of it
//!   is open, and a writer trims its file at every flush. Small writes are `WriteFile` calls.
//! - Files are not identified (no device/inode): a second open of the same file in this
//!   process that conflicts with the first is reported as [`crate::Error::Locked`], like
//!   one by another process.

use std::fs;
use std::io;
use std::os::windows::fs::FileExt;

/// Files are memory-mapped for reading.
pub const MAPS_FOR_READING: bool = true;

/// Small writes never go through a writable map (see the module docs).
pub const MAPS_FOR_WRITING: bool = false;

/// Read up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
pub fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    super::read_until_full(buf, offset, |rest, at| match file.seek_read(rest, at) {
        // Reading at or past the end of a file is an error on Windows, not 0 bytes.
        Err(e) if e.raw_os_error() == Some(ERROR_HANDLE_EOF) => Ok(0),
        other => other,
    })
}

/// Fill `buf` from `offset`; a file that ends first is `UnexpectedEof`.
pub fn read_exact_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    super::expect_full(read_at(file, buf, offset)?, buf.len())
}

/// Write all of `data` at `offset`.
pub fn write_all_at(file: &fs::File, data: &[u8], offset: u64) -> io::Result<()> {
    let mut done = 0;
    while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
        let at = offset
            .checked_add(done as u64)
            .ok_or(io::ErrorKind::InvalidInput)?;
        match file.seek_write(rest, at) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Windows' `ERROR_HANDLE_EOF`.
const ERROR_HANDLE_EOF: i32 = 38;
/// Windows' `ERROR_NOT_SUPPORTED`.
const ERROR_NOT_SUPPORTED: i32 = 50;
/// Windows' `ERROR_INVALID_FUNCTION` (what some network file systems answer to locks).
const ERROR_INVALID_FUNCTION: i32 = 1;

/// Files are not identified on Windows (see the module docs).
pub fn identity(_file: &fs::File) -> Option<(u64, u64)> {
    None
}

/// Whether a failed lock attempt means the file system has no locks.
pub fn lock_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || e.raw_os_error() == Some(ERROR_NOT_SUPPORTED)
        || e.raw_os_error() == Some(ERROR_INVALID_FUNCTION)
}

/// No access-pattern hints for maps here.
pub fn advise_random(_map: &memmap2::MmapMut) {}

/// No huge-page advice here (large pages need a privilege on Windows).
pub fn advise_hugepage(_start: usize, _len: usize) {}

#[cfg(test)]
/// Whether this system can report huge-page advice back, for tests.
pub const REPORTS_HUGEPAGES: bool = false;
