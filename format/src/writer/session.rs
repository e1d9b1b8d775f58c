//! The write session of a file open for writing: file space, the structures held in memory
//! until the next flush (dense link and attribute storage, symbol tables, chunk maps), and
//! the flush that writes them and the superblock.
//!
//! Object headers are edited in place as soon as a change is made; structures that grow
//! with the number of entries are rebuilt once per flush, so that adding 100,000 links or
//! appending 10,000 times costs one rebuild, not one per call.
//!
//! # Write ordering (crash safety)
//!
//! A process killed between any two writes must leave a file that libhdf5 opens, with each
//! object in its old or its new state. Every [`Session::commit`] therefore writes
//! 1. the blocks in *fresh* space (allocated since the last commit: nothing on disk points
//!    there yet), in any order;
//! 2. the superblock, when the end of file grew (libhdf5 refuses addresses past it), after
//!    making the file that long;
//! 3. the *live* blocks (edits in place of structures the file already points to), each
//!    one write: an object header's first chunk, which publishes the new structures.
//!
//! Space given back stays reserved until the end of the flush that publishes its
//! replacement ([`FileSpace::settle`]), so that no write lands on a block the file on disk
//! still uses. A dataset's new shape is held in memory ([`Session::pending`]) and written
//! together with its rebuilt chunk index at flush, in one header write: a resize or append
//! is never seen half done (new shape, old index). Details: `format/docs/format-notes.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use super::header::HeaderEditor;
use super::space::FileSpace;
use super::vlen::VlenHeap;
use crate::chunk_index::Chunk;
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage, Sizes};
use crate::links::symbol_table::SymbolTableEntry;
use crate::messages::attribute::AttributeMessage;
use crate::messages::group_info::GroupInfo;
use crate::messages::kind;
use crate::messages::link::Link;
use crate::messages::link_info::LinkInfo;
use crate::object_header::MessageBytes;
use crate::store::Store;
use crate::superblock::{self, Superblock};

/// A group's links held in memory until the next flush.
#[derive(Clone, Debug)]
pub enum GroupLinks {
    /// New-style dense storage (fractal heap + v2 B-trees), rebuilt at flush.
    Dense {
        /// Links by name.
        links: BTreeMap<String, Link>,
        /// Whether creation order is tracked and indexed.
        track_order: bool,
        /// Next creation order to give.
        next_order: u64,
    },
    /// Old-style symbol table, rebuilt at flush (B-tree root and heap header stay put).
    SymbolTable {
        /// Entries by name; soft links carry their target.
        entries: BTreeMap<String, (SymbolTableEntry, Option<String>)>,
    },
}

/// Dense attributes held in memory until the next flush.
#[derive(Clone, Debug)]
pub struct DenseAttrs {
    /// Attributes by name, with their creation order.
    pub attrs: BTreeMap<String, (u32, AttributeMessage)>,
    /// Whether creation order is tracked (and indexed).
    pub track_order: bool,
    /// Next creation order to give.
    pub next_order: u32,
}

/// A chunked dataset's chunks, held in memory once written to in this session.
#[derive(Clone, Debug)]
pub struct ChunkState {
    /// Chunks by grid position.
    pub chunks: HashMap<Vec<u64>, Chunk>,
    /// Whether the index must be rebuilt.
    pub dirty: bool,
}

/// Everything a writable file keeps between calls.
#[derive(Debug)]
pub struct Session {
    /// Field sizes of the file.
    pub sizes: Sizes,
    /// Absolute offset of address 0.
    pub base: u64,
    /// Space allocation.
    pub space: FileSpace,
    /// Groups whose links are held in memory.
    pub groups: HashMap<Addr, GroupLinks>,
    /// Objects whose attributes are held in memory (dense storage).
    pub attrs: HashMap<Addr, DenseAttrs>,
    /// Chunked datasets written in this session.
    pub chunks: HashMap<Addr, ChunkState>,
    /// Where variable-length data goes.
    pub vlen: VlenHeap,
    /// Whether anything changed since the last flush.
    pub dirty: bool,
    /// Groups whose in-memory links changed since the last flush.
    pub dirty_groups: BTreeSet<Addr>,
    /// Objects whose in-memory attributes changed since the last flush.
    pub dirty_attrs: BTreeSet<Addr>,
    /// Group B-tree K values (leaf, internal) from the superblock.
    pub group_k: (u16, u16),
    /// Indexed-storage (chunk) B-tree K from the superblock.
    pub chunk_k: u16,
    /// The superblock as last written (its end of file is the published one).
    pub superblock: Superblock,
    /// Dataset headers edited in memory (a new shape), written with the chunk index at
    /// flush or before any other edit of the same header ([`Session::settle_header`]).
    pub pending: HashMap<Addr, HeaderEditor>,
    /// The shapes of [`Session::pending`] headers, shared with readers of the open file.
    pub pending_shapes: PendingShapes,
    /// Whether the file existed before this session: only then must every write keep it
    /// valid (a file being created is complete once flushed, as with libhdf5; the persist
    /// layer's `save` writes a temporary file and renames it), so the superblock's end of
    /// file is published before anything points past it.
    pub existing: bool,
    /// The file's path, where the raw data files of external datasets are resolved.
    pub path: Option<std::path::PathBuf>,
}

/// Dataset shapes changed in memory but not yet on disk, by object header address; readers
/// of a file open for writing consult it (without taking the write session's lock).
pub type PendingShapes = Arc<RwLock<HashMap<Addr, Vec<u64>>>>;

impl Session {
    /// Start a new, empty file in `store`: superblock version 3 and an empty root group.
    pub fn create(store: &Store, sizes: Sizes) -> Result<(Superblock, Session)> {
        let sb_len = superblock::encoded_len(3, sizes) as u64;
        let mut session = Session {
            sizes,
            base: 0,
            space: FileSpace::new(sizes, sb_len),
            groups: HashMap::new(),
            attrs: HashMap::new(),
            chunks: HashMap::new(),
            vlen: VlenHeap::default(),
            dirty: false,
            dirty_groups: BTreeSet::new(),
            dirty_attrs: BTreeSet::new(),
            group_k: super::symtab::DEFAULT_GROUP_K,
            chunk_k: crate::chunk_index::BTREE_V1_K,
            superblock: Superblock::new_v3(sizes, Addr(0), sb_len),
            pending: HashMap::new(),
            pending_shapes: PendingShapes::default(),
            existing: false,
            path: None,
        };
        let mut emit = Emit::default();
        let root = HeaderEditor::create(
            0,
            group_messages(sizes, false)?,
            &mut session.space,
            &mut emit,
        )?;
        let sb = Superblock::new_v3(sizes, root.addr, session.space.eof());
        // A new file: nothing is published until the superblock is written.
        for (addr, bytes) in &emit.blocks {
            store.write_at(addr.0, bytes)?;
        }
        session.space.clear_fresh();
        store.write_at(0, &sb.encode()?)?;
        session.superblock = sb.clone();
        Ok((sb, session))
    }

    /// Start writing to the existing file described by `superblock`.
    ///
    /// The file's free space is recovered first: every structure reachable from the
    /// superblock is walked ([`crate::usage::used_extents`]) and the gaps between the
    /// extents they occupy become free space. When the walk cannot account for every byte
    /// (an incomplete walk, overlapping structures, or an error), nothing is reused and new
    /// space comes from the end of the file.
    pub fn open(store: &Store, superblock: &Superblock) -> Result<Session> {
        let file_len = store.len()?.saturating_sub(superblock.base);
        // The stored end-of-file address counts the user block (libhdf5 writes the file
        // size there); undefined means unknown.
        let stored_eof = match superblock.eof {
            u64::MAX => 0,
            e => e.saturating_sub(superblock.base),
        };
        let eof = stored_eof.max(file_len);
        let mut space = FileSpace::new(superblock.sizes, eof);
        for (addr, len) in free_gaps(store, superblock, eof)? {
            space.add_gap(addr, len)?;
        }
        Ok(Session {
            sizes: superblock.sizes,
            base: superblock.base,
            space,
            groups: HashMap::new(),
            attrs: HashMap::new(),
            chunks: HashMap::new(),
            vlen: VlenHeap::default(),
            dirty: false,
            dirty_groups: BTreeSet::new(),
            dirty_attrs: BTreeSet::new(),
            group_k: (superblock.group_leaf_k, superblock.group_internal_k),
            chunk_k: superblock.indexed_storage_k,
            superblock: superblock.clone(),
            pending: HashMap::new(),
            pending_shapes: PendingShapes::default(),
            existing: true,
            path: None,
        })
    }

    /// Write queued blocks to the file in crash-safe order (see the module docs): fresh
    /// blocks, then the superblock if the end of file grew, then edits in place. Of a block
    /// that rewrites bytes already in the file, only the span that differs is written (one
    /// write, or none when it is unchanged: adding a string to a global heap collection
    /// changes a few bytes of it).
    pub fn commit(&mut self, store: &Store, emit: &Emit) -> Result<()> {
        self.dirty = true;
        let snap = store.snapshot()?;
        let (fresh, live): (Vec<_>, Vec<_>) = emit
            .blocks
            .iter()
            .partition(|(addr, bytes)| self.space.is_fresh(*addr, bytes.len() as u64));
        for (addr, bytes) in fresh {
            self.write_changed(store, &snap, *addr, bytes)?;
        }
        if !live.is_empty() && self.existing {
            self.publish_eof(store, false)?;
        }
        for (addr, bytes) in live {
            self.write_changed(store, &snap, *addr, bytes)?;
        }
        self.space.clear_fresh();
        self.vlen.committed(emit);
        Ok(())
    }

    /// Write the part of `bytes` that differs from what `snap` holds at `addr`.
    fn write_changed(
        &self,
        store: &Store,
        snap: &crate::store::Snapshot,
        addr: Addr,
        bytes: &[u8],
    ) -> Result<()> {
        let at = self.absolute(addr)?;
        let (skip, len) = changed_span(snap.bytes(), at, bytes);
        match bytes.get(skip..skip + len).filter(|p| !p.is_empty()) {
            Some(part) => store.write_at(at + skip as u64, part),
            None => Ok(()),
        }
    }

    /// The absolute file offset of `addr`.
    fn absolute(&self, addr: Addr) -> Result<u64> {
        self.base
            .checked_add(addr.0)
            .ok_or_else(|| Error::LimitExceeded("file offset".into()))
    }

    /// Write the superblock with the current end of file when it grew past the published
    /// one (or, with `shrink`, when it changed at all), making the file that long first:
    /// libhdf5 refuses files shorter than their superblock says.
    fn publish_eof(&mut self, store: &Store, shrink: bool) -> Result<()> {
        // Stored as libhdf5 does: the absolute end of file (base + relative end).
        let eof = self.absolute(Addr(self.space.eof()))?;
        let published = self.superblock.eof;
        if eof == published || (eof < published && !shrink) {
            return Ok(());
        }
        if eof > published {
            store.ensure_len(eof)?;
        }
        self.superblock.eof = eof;
        store.write_at(self.base, &self.superblock.encode()?)
    }

    /// A file image of the current bytes.
    pub fn with_image<T>(
        &self,
        store: &Store,
        f: impl FnOnce(&FileImage<'_>) -> Result<T>,
    ) -> Result<T> {
        let snap = store.snapshot()?;
        let img = FileImage::new(snap.bytes(), self.base, self.sizes);
        f(&img)
    }

    /// Write everything pending and the superblock.
    pub fn flush(&mut self, store: &Store, superblock: &RwLock<Superblock>) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        // Each step reads object headers back from the file, so the previous step's
        // writes must be in the file first (a group can have both dense links and dense
        // attributes, a dataset dense attributes and a chunk index).
        // Resized datasets first: their headers are then on disk for the other steps.
        let pending: Vec<Addr> = self.pending.keys().copied().collect();
        for addr in pending {
            self.settle_header(store, addr)?;
        }
        let mut emit = Emit::default();
        self.flush_groups(store, &mut emit)?;
        self.commit(store, &std::mem::take(&mut emit))?;
        self.flush_attrs(store, &mut emit)?;
        self.commit(store, &std::mem::take(&mut emit))?;
        self.flush_chunks(store, &mut emit)?;
        self.commit(store, &std::mem::take(&mut emit))?;
        // Everything is published: what the old structures used can be reused now.
        self.space.settle()?;
        self.publish_eof(store, true)?;
        store.set_len(self.absolute(Addr(self.space.eof()))?)?;
        let mut sb = superblock
            .write()
            .map_err(|_| Error::Invalid("superblock lock poisoned".into()))?;
        *sb = self.superblock.clone();
        self.dirty = false;
        Ok(())
    }

    /// Write a dataset header held in [`Session::pending`] (its new shape), with its chunk
    /// index rebuilt, so that the header can be edited in place again.
    pub fn settle_header(&mut self, store: &Store, addr: Addr) -> Result<()> {
        if !self.pending.contains_key(&addr) {
            return Ok(());
        }
        let mut emit = Emit::default();
        // Rebuilding the index saves the header (taken from `pending`) with it.
        super::datasets::write_index(self, store, addr, &mut emit)?;
        if let Some(state) = self.chunks.get_mut(&addr) {
            state.dirty = false;
        }
        if let Some(mut editor) = self.pending.remove(&addr) {
            if emit.is_empty() {
                // No index to rebuild (e.g. an implicit index): the header alone.
                editor.save(&mut self.space, &mut emit)?;
            }
        }
        self.commit(store, &emit)?;
        if let Ok(mut shapes) = self.pending_shapes.write() {
            shapes.remove(&addr);
        }
        Ok(())
    }

    fn flush_groups(&mut self, store: &Store, emit: &mut Emit) -> Result<()> {
        let dirty = std::mem::take(&mut self.dirty_groups);
        for addr in dirty {
            if let Some(links) = self.groups.get(&addr).cloned() {
                super::groups::write_links(self, store, addr, &links, emit)?;
            }
        }
        Ok(())
    }

    fn flush_attrs(&mut self, store: &Store, emit: &mut Emit) -> Result<()> {
        let dirty = std::mem::take(&mut self.dirty_attrs);
        for addr in dirty {
            if let Some(dense) = self.attrs.get(&addr).cloned() {
                super::attrs::write_dense(self, store, addr, &dense, emit)?;
            }
        }
        Ok(())
    }

    fn flush_chunks(&mut self, store: &Store, emit: &mut Emit) -> Result<()> {
        let dirty: Vec<Addr> = self
            .chunks
            .iter()
            .filter(|(_, c)| c.dirty)
            .map(|(a, _)| *a)
            .collect();
        for addr in dirty {
            super::datasets::write_index(self, store, addr, emit)?;
            if let Some(state) = self.chunks.get_mut(&addr) {
                state.dirty = false;
            }
        }
        Ok(())
    }

    /// Load an object header for editing (with the edits held in memory, if any).
    pub fn editor(&self, store: &Store, addr: Addr) -> Result<HeaderEditor> {
        if let Some(editor) = self.pending.get(&addr) {
            return Ok(editor.clone());
        }
        self.with_image(store, |img| HeaderEditor::load(img, addr))
    }

    /// Load an object header to change it on disk: a dataset header held in memory is
    /// written first ([`Session::settle_header`]).
    pub fn editor_for_write(&mut self, store: &Store, addr: Addr) -> Result<HeaderEditor> {
        self.settle_header(store, addr)?;
        self.editor(store, addr)
    }

    /// Hold a dataset's edited header (a new shape) in memory until the next flush.
    pub fn defer_header(&mut self, editor: HeaderEditor, dims: Vec<u64>) {
        self.dirty = true;
        if let Ok(mut shapes) = self.pending_shapes.write() {
            shapes.insert(editor.addr, dims);
        }
        self.pending.insert(editor.addr, editor);
    }
}

/// Blocks longer than this are written whole (comparing them would cost more than it saves
/// and fault in the old bytes).
const DIFF_MAX: usize = 64 * 1024;

/// The part of `new` (to be written at `at`) that differs from the file's current bytes:
/// (offset into `new`, length); all of it when it does not lie entirely inside `file` or is
/// longer than [`DIFF_MAX`].
fn changed_span(file: &[u8], at: u64, new: &[u8]) -> (usize, usize) {
    let old = usize::try_from(at)
        .ok()
        .filter(|_| new.len() <= DIFF_MAX)
        .and_then(|a| file.get(a..a.checked_add(new.len())?));
    let Some(old) = old else {
        return (0, new.len());
    };
    let head = common_len(old.chunks(16), new.chunks(16));
    if head == new.len() {
        return (head, 0);
    }
    let tail = common_len(old.rchunks(16), new.rchunks(16)).min(new.len() - head);
    (head, new.len() - head - tail)
}

/// Bytes in the leading equal chunks of two chunk sequences (16-byte granularity: up to 15
/// unchanged bytes on each side of a change are rewritten).
fn common_len<'a>(a: impl Iterator<Item = &'a [u8]>, b: impl Iterator<Item = &'a [u8]>) -> usize {
    let mut n = 0;
    for (x, y) in a.zip(b) {
        if x == y {
            n += x.len();
        } else {
            return n;
        }
    }
    n
}

/// The gaps below `eof` between the structures of the file in `store`, when a walk of the
/// file accounts for every structure exactly; none otherwise.
fn free_gaps(store: &Store, superblock: &Superblock, eof: u64) -> Result<Vec<(Addr, u64)>> {
    let snap = store.snapshot()?;
    let img = FileImage::new(snap.bytes(), superblock.base, superblock.sizes);
    match crate::usage::used_extents(&img, superblock) {
        Ok(usage)
            if usage.complete
                && usage.overlaps().is_empty()
                && usage.out_of_bounds(eof).is_empty() =>
        {
            Ok(usage.gaps(eof))
        }
        _ => Ok(Vec::new()),
    }
}

/// The messages of a new, empty new-style group.
pub fn group_messages(sizes: Sizes, track_order: bool) -> Result<Vec<MessageBytes>> {
    let info = LinkInfo {
        max_creation_index: track_order.then_some(0),
        ..LinkInfo::default()
    };
    let mut msgs = vec![
        MessageBytes::new(kind::LINK_INFO, info.encode(sizes)?),
        MessageBytes::new(kind::GROUP_INFO, GroupInfo::default().encode()),
    ];
    // Every version 2 header gets an Attribute Info message, as libhdf5 writes: libhdf5
    // counts a v2 header's attributes from it (h5py's `len(attrs)` is 0 without one).
    let ainfo = crate::messages::attribute_info::AttributeInfo {
        max_creation_index: track_order.then_some(0),
        ..Default::default()
    };
    msgs.push(MessageBytes::new(
        kind::ATTRIBUTE_INFO,
        ainfo.encode(sizes)?,
    ));
    Ok(msgs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn only_the_changed_span_is_rewritten() {
        let file: Vec<u8> = (0..200u8).collect();
        let mut new = file[40..140].to_vec();
        assert_eq!(changed_span(&file, 40, &new), (100, 0));
        new[50] = 0;
        // Chunks of 16: the one holding byte 50 (48..64) from the front, from the back the
        // chunk 36..52 (100 bytes = 6 full chunks + 4 from the back).
        let (skip, len) = changed_span(&file, 40, &new);
        assert!(skip <= 50 && skip + len > 50 && len <= 32, "{skip} {len}");
        // Past the end of the file, or too long: all of it.
        assert_eq!(changed_span(&file, 150, &new), (0, 100));
        let long = vec![0u8; DIFF_MAX + 1];
        assert_eq!(
            changed_span(&vec![0u8; DIFF_MAX + 8], 0, &long),
            (0, DIFF_MAX + 1)
        );
    }
}
