//! File space management for a write session: allocation at the end of the file or from
//! freed extents (best fit, coalescing neighbours, shrinking the end of file when the last
//! extent is freed).
//!
//! # Crash safety
//!
//! Two rules keep the file on disk valid if the process dies between any two writes (see
//! `format/docs/format-notes.md`, "Write ordering"):
//! - an extent given back with [`FileSpace::release`] is only *pending*: the file on disk
//!   may still point at it (an old chunk index, an old chunk, an old continuation block)
//!   until the next flush has published the new structures, so it is not reused before
//!   [`FileSpace::settle`] (called at the end of a flush);
//! - every extent handed out since the last [`FileSpace::clear_fresh`] is *fresh*: nothing
//!   on disk points at it yet, so it may be written in any order, before the writes that
//!   publish it ([`FileSpace::is_fresh`]).
//!
//! Free extents are indexed by address (for coalescing) and by length (for allocation), so
//! that both cost O(log n) in the number of free extents: a session that rewrites many
//! object headers leaves thousands of small extents behind, and a linear first-fit scan
//! over them made saving 1,000 small objects quadratic.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::Space;
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
    /// Extents released but possibly still referenced by the file on disk.
    pending: Vec<(u64, u64)>,
    /// Extents allocated since the last [`FileSpace::clear_fresh`]: start -> length.
    fresh: BTreeMap<u64, u64>,
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
            pending: Vec::new(),
            fresh: BTreeMap::new(),
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

    /// Give an extent back. It becomes free at the next [`FileSpace::settle`] (the file on
    /// disk may still point at it until then). Out-of-range extents are an error (a bug).
    pub fn release(&mut self, addr: Addr, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.extent_end(addr, len)?;
        self.pending.push((addr.0, len));
        Ok(())
    }

    /// The end of the extent of `len` bytes at `addr`, which must lie inside the file.
    fn extent_end(&self, addr: Addr, len: u64) -> Result<u64> {
        let end = addr
            .0
            .checked_add(len)
            .ok_or_else(|| Error::LimitExceeded("freed extent".into()))?;
        if end > self.eof {
            return Err(Error::Invalid(format!(
                "freeing {len} bytes at {addr} past the end of the file ({})",
                self.eof
            )));
        }
        Ok(end)
    }

    /// Make the extents released so far free for reuse: the caller has published every
    /// structure that replaced them. Extents released twice are an error (a bug).
    pub fn settle(&mut self) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        // Highest first, so that freeing the end of the file shrinks it step by step.
        pending.sort_unstable_by(|a, b| b.cmp(a));
        for (addr, len) in pending {
            self.free_now(Addr(addr), len)?;
        }
        Ok(())
    }

    /// Extents released and not yet settled.
    pub fn pending_bytes(&self) -> u64 {
        self.pending.iter().map(|p| p.1).sum()
    }

    /// Whether `len` bytes at `addr` lie in one extent allocated since the last
    /// [`FileSpace::clear_fresh`] (nothing on disk can point there).
    pub fn is_fresh(&self, addr: Addr, len: u64) -> bool {
        match self.fresh.range(..=addr.0).next_back() {
            Some((&start, &flen)) => addr
                .0
                .checked_add(len)
                .is_some_and(|end| end <= start + flen),
            None => false,
        }
    }

    /// Forget which extents are fresh: what was written to them is now published.
    pub fn clear_fresh(&mut self) {
        self.fresh.clear();
    }

    /// Free an extent at once. Free extents lie below the end of file (checked by
    /// `extent_end`), so the sums of their starts and lengths below do not overflow.
    fn free_now(&mut self, addr: Addr, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let mut start = addr.0;
        let mut end = self.extent_end(addr, len)?;
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
        self.free_now(addr, len)
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
        // A free extent lies below the end of file, which the file's offsets address (the
        // allocator never grows past `Sizes::max_eof`; a file opened larger refuses to grow):
        // `at + need` and `start + flen` do not overflow.
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
            self.fresh.insert(at, need);
            return Ok(Addr(at));
        }
        // Checked before any change: a refused allocation leaves the space as it was.
        let start = align_up(self.eof).ok_or_else(|| Error::LimitExceeded("file size".into()))?;
        let end = self
            .sizes
            .extent_end(start, need, "allocating file space")?;
        if start > self.eof {
            self.insert_free(self.eof, start - self.eof);
        }
        self.eof = end;
        self.fresh.insert(start, need);
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
        // Pending until settled: not reused yet.
        assert_eq!(s.free_bytes(), 6);
        assert_eq!(s.pending_bytes(), 26);
        s.settle().unwrap();
        assert_eq!(s.free_bytes(), 32);
        // Reused.
        assert_eq!(s.alloc(24).unwrap(), Addr(96));
        // Freeing the last extent shrinks the file.
        s.release(c, 8).unwrap();
        s.settle().unwrap();
        assert_eq!(s.eof(), 120);
        s.release(Addr(96), 8).unwrap();
        s.release(Addr(96), 8).unwrap();
        assert!(s.settle().is_err());
    }

    #[test]
    fn four_byte_offsets_refuse_to_grow_past_what_they_address() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let mut s = FileSpace::new(s4, 0xffff_ff00);
        s.add_gap(Addr(0x1000), 16).unwrap();
        // Up to the largest end of file the 4-byte field records (all ones is "undefined").
        assert_eq!(s.alloc(0xf0).unwrap(), Addr(0xffff_ff00));
        assert_eq!(s.eof(), 0xffff_fff0);
        let before = (s.eof(), s.free_bytes());
        for len in [0x11, 0x20, 1 << 20, u64::MAX] {
            let err = s.alloc(len).unwrap_err().to_string();
            assert!(
                err.contains("allocating file space") && err.contains("4-byte offsets"),
                "{err}"
            );
            assert_eq!(
                (s.eof(), s.free_bytes()),
                before,
                "a refused allocation changes nothing"
            );
        }
        // What fits still works: a free extent, then the last bytes of the address space.
        assert_eq!(s.alloc(16).unwrap(), Addr(0x1000));
        assert!(s.alloc(0xf).is_err());
        assert_eq!(s.alloc(0xe).unwrap(), Addr(0xffff_fff0));
        assert_eq!(s.eof(), 0xffff_fffe);
        assert!(s.alloc(1).is_err());
        // 8-byte offsets are not limited there.
        let mut s8 = FileSpace::new(Sizes::default(), 0xffff_ff00);
        assert_eq!(s8.alloc(1 << 33).unwrap(), Addr(0xffff_ff00));
    }

    #[test]
    fn mem_space_has_the_same_bound() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let mut m = crate::emit::MemSpace::new(s4, 0);
        m.end = 0xffff_fff0;
        assert!(m.alloc(0xf).is_err());
        assert_eq!(m.end, 0xffff_fff0);
        assert_eq!(m.alloc(0xe).unwrap(), Addr(0xffff_fff0));
    }

    #[test]
    fn fresh_extents() {
        let mut s = FileSpace::new(Sizes::default(), 96);
        let a = s.alloc(10).unwrap();
        assert!(s.is_fresh(a, 10));
        assert!(s.is_fresh(Addr(a.0 + 2), 8));
        assert!(!s.is_fresh(a, 11));
        assert!(!s.is_fresh(Addr(8), 8));
        s.clear_fresh();
        assert!(!s.is_fresh(a, 10));
        s.release(a, 10).unwrap();
        s.settle().unwrap();
        let b = s.alloc(8).unwrap();
        assert_eq!(b, a);
        assert!(s.is_fresh(b, 8));
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
        s.settle().unwrap();
        assert_eq!(s.alloc(64).unwrap(), Addr(96));
        assert_eq!(s.alloc(16).unwrap(), Addr(304));
    }
}
