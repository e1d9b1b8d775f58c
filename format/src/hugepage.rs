//! Large output buffers backed by transparent huge pages where the kernel offers them, as
//! numpy does for its arrays (and so h5py's reads get): a buffer of at least
//! [`THRESHOLD`] bytes is `madvise(MADV_HUGEPAGE)`d before it is first written, so that the
//! kernel maps it in 2 MiB pages instead of 4 KiB ones. With transparent huge pages in
//! `madvise` mode (a common default), filling a fresh 256 MiB buffer otherwise takes 65,536
//! page faults, which cost more than copying the data.
//!
//! The advice is a hint: it never changes the buffer's contents, and where it is not
//! supported (other systems, kernels without transparent huge pages, mode `never`) it is
//! silently skipped.

/// Buffers at least this large are advised (numpy's threshold: 4 MiB).
pub const THRESHOLD: usize = 4 << 20;

/// Size of a (PMD-level) huge page on the systems that have them; only the 2 MiB-aligned
/// interior of a buffer can be mapped in huge pages, so only that part is advised.
const HUGE: usize = 2 << 20;

/// A vector of `n` copies of `value`, advised for huge pages when it is large.
///
/// For the zero value of a primitive number type (what reads start from), the standard
/// library allocates zeroed memory (`calloc`), whose pages a large allocation has not
/// touched yet: the advice then takes effect at the first write. For other values the
/// pages are already written in 4 KiB pages; the advice still lets the kernel merge them
/// later.
pub fn vec_of<T: Clone>(n: usize, value: T) -> Vec<T> {
    let v = vec![value; n];
    advise(&v);
    v
}

/// [`vec_of`], or an error when the memory cannot be had (a huge selection of a never
/// written dataset): the size is tried first with a fallible reservation, released at once
/// (untouched), so that `vec_of` keeps its untouched zeroed pages.
pub fn try_vec_of<T: Clone>(
    n: usize,
    value: T,
) -> Result<Vec<T>, std::collections::TryReserveError> {
    let mut probe: Vec<T> = Vec::new();
    probe.try_reserve_exact(n)?;
    drop(probe);
    Ok(vec_of(n, value))
}

/// Ask the kernel to back `buf`'s memory with huge pages, when it is at least
/// [`THRESHOLD`] bytes long.
pub fn advise<T>(buf: &[T]) {
    let len = std::mem::size_of_val(buf);
    if len < THRESHOLD {
        return;
    }
    let start = buf.as_ptr() as usize;
    let (Some(first), Some(end)) = (
        start.checked_next_multiple_of(HUGE),
        start.checked_add(len).map(|e| e - e % HUGE),
    ) else {
        return;
    };
    if end > first {
        crate::store::advise_hugepage(first, end - first);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn contents_are_unchanged() {
        let small = vec_of(10, 7u16);
        assert_eq!(small, vec![7u16; 10]);
        let n = (THRESHOLD / 8) * 3 + 5;
        let big = vec_of(n, 0.0f64);
        assert_eq!(big.len(), n);
        assert!(big.iter().all(|&v| v == 0.0));
        let ones = vec_of(n, 1.5f64);
        assert!(ones.iter().all(|&v| v == 1.5));
        // Advising again, or a buffer whose interior holds no whole huge page, is harmless.
        advise(&big);
        advise(&big[1..THRESHOLD / 8 + 1]);
        advise::<u8>(&[]);
    }

    #[test]
    fn large_buffers_are_advised() {
        // Emulators (qemu-user) show the host's /proc/self/smaps, not the program's.
        if !crate::store::REPORTS_HUGEPAGES
            || crate::portable::skip_unless(crate::portable::Needs::HostTools, "hugepage")
        {
            return;
        }
        // With THP in `madvise` or `always` mode, the kernel reports the advised range
        // in /proc/self/smaps with the `hg` flag; where THP is off there is nothing to see.
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if mode.contains("[never]") || mode.is_empty() {
            return;
        }
        let buf = vec_of(16 << 20, 0u8);
        let start = buf.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut advised = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((a, b)) = range.split_once('-') {
                    if let (Ok(a), Ok(b)) =
                        (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                    {
                        inside = a <= start + (4 << 20) && start + (4 << 20) < b;
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") && line.contains(" hg") {
                advised = true;
            }
        }
        assert!(advised, "no VMA with the hg flag around the buffer");
        drop(buf);
    }
}
