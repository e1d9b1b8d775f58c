//! File space accounting: every byte extent owned by a structure reachable from the
//! superblock (spec sections II-IV: superblock, object headers and their continuation
//! blocks, v1/v2 B-trees, local, global and fractal heaps, chunk indexes, raw data).
//!
//! HDF5 files as libhdf5 writes them by default do not record their free space. A walk of
//! every reachable structure gives the extents in use; the gaps between them (below the end
//! of file) are free. The walk reports itself *incomplete* whenever it meets something
//! whose file space it cannot account for exactly (superblock extensions, shared-message
//! tables, external storage, virtual layouts, free-space managers, filtered fractal heaps,
//! message types it does not know, ...): callers must then not treat gaps as free.
//!
//! The same walk serves consistency checks: [`Usage::overlaps`] lists extents claimed by
//! two structures, and every extent is checked to lie inside the file.

mod data;
mod walk;

pub use data::{chunk_index_extents, dense_storage_extents};

use crate::error::Result;
use crate::io::{Addr, FileImage};
use crate::superblock::Superblock;

/// One extent of the file owned by a structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extent {
    /// Start address (relative to the base address).
    pub addr: Addr,
    /// Length in bytes.
    pub len: u64,
    /// The kind of structure that owns it (`"object header"`, `"chunk"`, ...).
    pub what: &'static str,
}

impl Extent {
    /// First address past the extent (saturating).
    pub fn end(&self) -> u64 {
        self.addr.0.saturating_add(self.len)
    }
}

/// The result of a walk: every extent found, and whether the walk accounted for all of the
/// file's structures.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// Extents in use, in the order found (not sorted, not merged).
    pub extents: Vec<Extent>,
    /// False when the walk met something whose file space it cannot account for: gaps
    /// must then not be treated as free.
    pub complete: bool,
    /// Why the walk is incomplete (the first reason met).
    pub reason: Option<String>,
}

impl Usage {
    /// The gaps between extents below `eof`, sorted and merged: `(start, length)`. Space
    /// between the last extent and `eof` is a gap too.
    pub fn gaps(&self, eof: u64) -> Vec<(Addr, u64)> {
        let mut sorted: Vec<(u64, u64)> = self
            .extents
            .iter()
            .filter(|e| e.len > 0)
            .map(|e| (e.addr.0, e.end()))
            .collect();
        sorted.sort_unstable();
        let mut out = Vec::new();
        let mut cursor = 0u64;
        for (start, end) in sorted {
            if start >= eof {
                break;
            }
            if start > cursor {
                out.push((Addr(cursor), start - cursor));
            }
            cursor = cursor.max(end);
        }
        if cursor < eof {
            out.push((Addr(cursor), eof - cursor));
        }
        out
    }

    /// Pairs of extents that share at least one byte (each pair: the earlier-starting
    /// extent first). Zero-length extents never overlap.
    pub fn overlaps(&self) -> Vec<(Extent, Extent)> {
        let mut sorted: Vec<&Extent> = self.extents.iter().filter(|e| e.len > 0).collect();
        sorted.sort_by_key(|e| (e.addr, e.len));
        let mut out = Vec::new();
        let mut reach: Option<&Extent> = None;
        for e in sorted {
            if let Some(r) = reach {
                if e.addr.0 < r.end() {
                    out.push((r.clone(), e.clone()));
                }
                if e.end() > r.end() {
                    reach = Some(e);
                }
            } else {
                reach = Some(e);
            }
        }
        out
    }

    /// Extents that run past `eof` (the file's end).
    pub fn out_of_bounds(&self, eof: u64) -> Vec<Extent> {
        self.extents
            .iter()
            .filter(|e| e.end() > eof || e.addr.0.checked_add(e.len).is_none())
            .cloned()
            .collect()
    }

    /// Total bytes of the extents (overlaps counted twice).
    pub fn used_bytes(&self) -> u64 {
        self.extents.iter().map(|e| e.len).sum()
    }
}

/// Walk every structure reachable from `superblock` in `img` and collect the extents they
/// occupy.
///
/// Corrupt structures are errors; features whose file space cannot be accounted for make
/// the result incomplete ([`Usage::complete`] false, with a reason) rather than an error.
pub fn used_extents(img: &FileImage<'_>, superblock: &Superblock) -> Result<Usage> {
    walk::Walker::new(img, superblock).run()
}

#[cfg(test)]
mod tests;
