//! The Unix back-end of the storage layer: positional I/O (`pread`/`pwrite`), memory maps for
//! reading and for small writes, `flock` locks (through the standard library), and the
//! kernel hints (`madvise`) the rest of the crate asks for.

use std::fs;
use std::io;

/// Files are memory-mapped for reading.
pub const MAPS_FOR_READING: bool = true;

/// Small writes may go through a shared writable map of the file.
pub const MAPS_FOR_WRITING: bool = true;

/// Read up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
pub fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    super::read_until_full(buf, offset, |rest, at| file.read_at(rest, at))
}

/// Fill `buf` from `offset`; a file that ends first is `UnexpectedEof`.
pub fn read_exact_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    super::expect_full(read_at(file, buf, offset)?, buf.len())
}

/// Write all of `data` at `offset`.
pub fn write_all_at(file: &fs::File, data: &[u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(data, offset)
}

/// The file's identity (device, inode), to recognise two opens of one file.
pub fn identity(file: &fs::File) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    file.metadata().ok().map(|m| (m.dev(), m.ino()))
}

/// Whether a failed lock attempt means the file system has no locks (rather than a
/// conflict or a real error).
pub fn lock_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || e.raw_os_error() == Some(libc::ENOSYS)
        || e.raw_os_error() == Some(libc::EOPNOTSUPP)
}

/// Tell the kernel that a writable map is written at scattered places: faults then bring in
/// the page written, not a readahead window of pages (of a file mostly being appended to:
/// holes, zero-filled for nothing). Only a hint.
pub fn advise_random(map: &memmap2::MmapMut) {
    let _ = map.advise(memmap2::Advice::Random);
}

/// Ask for transparent huge pages behind `start..start + len`, a 2 MiB-aligned range inside a
/// live buffer of the caller (see `crate::hugepage`). Linux only; elsewhere nothing.
#[cfg(target_os = "linux")]
pub fn advise_hugepage(start: usize, len: usize) {
    // SAFETY: `madvise` with `MADV_HUGEPAGE` only marks the mapping as eligible for huge
    // pages; it neither changes nor invalidates the memory's contents, so it cannot break
    // any reference to it. The caller passes a range inside one of its live buffers,
    // rounded inwards to 2 MiB boundaries (also page boundaries, as `madvise` requires). A
    // failure (e.g. `EINVAL` on a kernel without transparent huge pages) only means no
    // advice; the result is deliberately ignored.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

/// Ask for transparent huge pages: no such advice on this system.
#[cfg(not(target_os = "linux"))]
pub fn advise_hugepage(_start: usize, _len: usize) {}

#[cfg(test)]
/// Whether this system can report huge-page advice back (`/proc/self/smaps`), for tests.
pub const REPORTS_HUGEPAGES: bool = cfg!(target_os = "linux");
