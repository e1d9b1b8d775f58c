//! File space management for a write session: allocation at the end of the file or from
//! freed extents (best fit, coalescing neighbours, shrinking the end of file when the last
//! extent is freed).
//!
//! Free extents are indexed by address (for coalescing) and by length (for allocation), so
//! that both cost O(log n) in the number of free extents: a session that rewrites many
//! object headers leaves thousands of small extents behind, and a linear first-fit scan
//! over them made saving 1,000 small objects quadratic.

use std::collections::{BTreeMap, BTreeSet};

use super::Space;
use crate::error::{Error, Result};
use crate::io::{Addr, Sizes};

/// Alignment of every allocation (libhdf5 does not require it; it keeps dumps readable and
/// element data naturally aligned in the memory map).
pub const ALIGN: u64 = 8;

fn align_up(v: u64) -> Option<u64> {
    v.checked_add(ALIGN - 1).map(|x| x / ALIGN * ALIGN)
}

/// Free extents and the end of the allocated file.
#[derive(Clone, Debug)]
pub struct FileSpace {
    sizes: Sizes,
    /// First address past everything allocated.
    eof: u64,
    /// Free extents: start -> length.
    free: BTreeMap<u64, u64>,
    /// The same extents as (length, start), for best-fit allocation.
    by_len: BTreeSet<(u64, u64)>,
}

impl FileSpace {
    /// Space for a file whose allocated part ends at `eof`.
    pub fn new(sizes: Sizes, eof: u64) -> Self {
        FileSpace {
            sizes,
            eof,
            free: BTreeMap::new(),
            by_len: BTreeSet::new(),
        }
    }

    fn insert_free(&mut self, start: u64, len: u64) {
        self.free.insert(start, len);
        self.by_len.insert((len, start));
    }

    fn remove_free(&mut self, start: u64) {
        if let Some(len) = self.free.remove(&start) {
            self.by_len.remove(&(len, start));
        }
    }

    /// First address past everything allocated (the superblock's end-of-file address).
    pub fn eof(&self) -> u64 {
        self.eof
    }

    /// Bytes currently free inside the file.
    pub fn free_bytes(&self) -> u64 {
        self.free.values().sum()
    }

    /// Give an extent back. Overlapping or out-of-range extents are an error (a bug).
    pub fn release(&mut self, addr: Addr, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let mut start = addr.0;
        let mut end = start
            .checked_add(len)
            .ok_or_else(|| Error::LimitExceeded("freed extent".into()))?;
        if end > self.eof {
            return Err(Error::Invalid(format!(
                "freeing {len} bytes at {addr} past the end of the file ({})",
                self.eof
            )));
        }
        // Merge with the previous and next extents.
        if let Some((&p, &plen)) = self.free.range(..=start).next_back() {
            if p + plen > start {
                return Err(Error::Invalid(format!("extent at {addr} freed twice")));
            }
            if p + plen == start {
                start = p;
                self.remove_free(p);
            }
        }
        if let Some((&n, &nlen)) = self.free.range(start..).next() {
            if n < end {
                return Err(Error::Invalid(format!("extent at {addr} freed twice")));
            }
            if n == end {
                end = n + nlen;
                self.remove_free(n);
            }
        }
        if end == self.eof {
            self.eof = start;
        } else {
            self.insert_free(start, end - start);
        }
        Ok(())
    }

    /// Mark an extent as free without checks of prior state (used when a walk of the file
    /// finds unused gaps).
    pub fn add_gap(&mut self, addr: Addr, len: u64) -> Result<()> {
        self.release(addr, len)
    }
}

impl Space for FileSpace {
    fn alloc(&mut self, len: u64) -> Result<Addr> {
        // Exactly `len` bytes at an aligned start: what a caller frees later is exactly what
        // it was given, and alignment padding stays in the free list.
        let need = len.max(1);
        // Best fit: the shortest free extent that holds `need` bytes from its first aligned
        // address (the unaligned head of an extent, e.g. a gap left by libhdf5, stays free).
        // Every extent of at least `need + ALIGN - 1` bytes fits, so the scan stops there.
        let found = self
            .by_len
            .range((need, 0)..)
            .take_while(|&&(flen, _)| flen < need.saturating_add(ALIGN))
            .chain(self.by_len.range((need.saturating_add(ALIGN), 0)..).take(1))
            .find_map(|&(flen, start)| {
                let at = align_up(start)?;
                let end = start.checked_add(flen)?;
                (at.checked_add(need)? <= end).then_some((start, flen, at))
            });
        if let Some((start, flen, at)) = found {
            self.remove_free(start);
            if at > start {
                self.insert_free(start, at - start);
            }
            let used_end = at + need;
            let end = start + flen;
            if end > used_end {
                self.insert_free(used_end, end - used_end);
            }
            return Ok(Addr(at));
        }
        let start = align_up(self.eof).ok_or_else(|| Error::LimitExceeded("file size".into()))?;
        if start > self.eof {
            self.insert_free(self.eof, start - self.eof);
        }
        self.eof = start
            .checked_add(need)
            .ok_or_else(|| Error::LimitExceeded("file size".into()))?;
        Ok(Addr(start))
    }

    fn sizes(&self) -> Sizes {
        self.sizes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn allocates_reuses_and_coalesces() {
        let mut s = FileSpace::new(Sizes::default(), 96);
        let a = s.alloc(10).unwrap();
        assert_eq!(a, Addr(96));
        let b = s.alloc(16).unwrap();
        assert_eq!(b, Addr(112));
        let c = s.alloc(8).unwrap();
        assert_eq!(c, Addr(128));
        // The alignment padding after `a` is free already and merges with it.
        assert_eq!(s.free_bytes(), 6);
        s.release(a, 10).unwrap();
        s.release(b, 16).unwrap();
        assert_eq!(s.free_bytes(), 32);
        // Reused.
        assert_eq!(s.alloc(24).unwrap(), Addr(96));
        // Freeing the last extent shrinks the file.
        s.release(c, 8).unwrap();
        assert_eq!(s.eof(), 120);
        assert!(s.release(Addr(96), 8).is_ok());
        assert!(s.release(Addr(96), 8).is_err());
    }

    #[test]
    fn best_fit_and_unaligned_extents() {
        let mut s = FileSpace::new(Sizes::default(), 1000);
        s.add_gap(Addr(96), 64).unwrap();
        s.add_gap(Addr(304), 16).unwrap();
        // An unaligned 16-byte extent cannot hold 16 aligned bytes, only 8.
        s.add_gap(Addr(403), 16).unwrap();
        assert_eq!(s.free_bytes(), 96);
        // The shortest extent that fits, not the first.
        assert_eq!(s.alloc(16).unwrap(), Addr(304));
        assert_eq!(s.alloc(8).unwrap(), Addr(408));
        // The head before the aligned start stays free, as does the tail.
        assert_eq!(s.free_bytes(), 64 + 5 + 3);
        assert_eq!(s.alloc(60).unwrap(), Addr(96));
        // Nothing fits any more: from the end of the file.
        assert_eq!(s.alloc(8).unwrap(), Addr(1000));
        // Freed extents coalesce in both indexes.
        s.release(Addr(304), 16).unwrap();
        s.release(Addr(96), 60).unwrap();
        assert_eq!(s.alloc(64).unwrap(), Addr(96));
        assert_eq!(s.alloc(16).unwrap(), Addr(304));
    }
}
