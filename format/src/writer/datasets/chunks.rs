//! Writing the selected elements of a chunked dataset chunk by chunk (layout message v3/v4
//! chunk storage, spec "Data Layout Message"): each touched chunk is built (from the source
//! alone when the selection covers it, else over its stored value or the fill value),
//! filtered if the dataset has filters, and written. Unfiltered chunks written to
//! consecutive addresses are gathered and written with one positional write.

use super::source::{self, ElementSource};
use super::{chunk_state, covers_chunk, element_count, usize_of, DatasetMeta};
use crate::chunk_index::Chunk;
use crate::error::{Error, Result};
use crate::filters;
use crate::hyperslab::{self, AxisSel};
use crate::io::{Addr, FileImage};
use crate::messages::layout::ChunkedLayout;
use crate::store::{Snapshot, Store};
use crate::writer::session::Session;
use crate::writer::Space;

/// Largest run of consecutive unfiltered chunks gathered into one write.
const GATHER_BYTES: usize = 4 << 20;

/// Bytes for consecutive file offsets, written with one `write_at`.
#[derive(Default)]
struct Gather {
    at: u64,
    buf: Vec<u8>,
}

impl Gather {
    /// Room for `len` bytes at file offset `offset` (zero-filled), writing out what was
    /// gathered first when `offset` does not follow it or the buffer is full.
    fn room(&mut self, store: &Store, offset: u64, len: usize) -> Result<&mut [u8]> {
        let follows = self.at.checked_add(self.buf.len() as u64) == Some(offset);
        if !follows || self.buf.len() + len > GATHER_BYTES.max(len) {
            self.flush(store)?;
            self.at = offset;
        }
        let start = self.buf.len();
        self.buf.resize(start + len, 0);
        self.buf
            .get_mut(start..)
            .ok_or_else(|| Error::Invalid("gather buffer".into()))
    }

    fn flush(&mut self, store: &Store) -> Result<()> {
        if !self.buf.is_empty() {
            store.write_at(self.at, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// Write the selected elements; stored unfiltered chunks are overwritten in place unless
/// `copy_on_write`, which writes every touched chunk to new space (the file on disk keeps
/// the old chunk until the rebuilt index is published).
#[allow(clippy::too_many_arguments)]
pub(super) fn write_chunks(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
    layout: &ChunkedLayout,
    sel: &[AxisSel],
    data: &dyn ElementSource,
    copy_on_write: bool,
) -> Result<()> {
    let touched = hyperslab::touched_chunks(sel, &layout.chunk_dims);
    if touched.iter().any(Vec::is_empty) {
        return Ok(());
    }
    chunk_state(session, store, addr, meta)?;
    let snap = store.snapshot()?;
    let mut gather = Gather::default();
    let result = Writer {
        session,
        store,
        addr,
        meta,
        layout,
        sel,
        data,
        snap: &snap,
        copy_on_write,
    }
    .run(&touched, &mut gather);
    // Whatever was gathered is written even after an error: the chunk map already points
    // at it.
    let flushed = gather.flush(store);
    result.and(flushed)
}

struct Writer<'a> {
    session: &'a mut Session,
    store: &'a Store,
    addr: Addr,
    meta: &'a DatasetMeta,
    layout: &'a ChunkedLayout,
    sel: &'a [AxisSel],
    data: &'a dyn ElementSource,
    snap: &'a Snapshot,
    copy_on_write: bool,
}

impl Writer<'_> {
    fn run(&mut self, touched: &[Vec<u64>], gather: &mut Gather) -> Result<()> {
        let meta = self.meta;
        let elem = meta.datatype.size();
        let chunk_dims = &self.layout.chunk_dims;
        let chunk_bytes = usize_of(element_count(chunk_dims)?)? * elem;
        let filtered = !meta.pipeline.filters.is_empty();
        let dims = &meta.dataspace.dims;
        let (sel, data) = (self.sel, self.data);
        // Reused for filtered chunks the selection covers entirely.
        let mut whole: Vec<u8> = Vec::new();
        let mut pos = vec![0usize; touched.len()];
        loop {
            let grid: Vec<u64> = touched
                .iter()
                .zip(&pos)
                .filter_map(|(t, &p)| t.get(p).copied())
                .collect();
            let origin: Vec<u64> = grid.iter().zip(chunk_dims).map(|(g, c)| g * c).collect();
            let existing = self
                .session
                .chunks
                .get(&self.addr)
                .and_then(|s| s.chunks.get(&grid))
                .cloned();
            let run = source::whole_chunk_run(sel, &origin, chunk_dims, dims);
            let full = run.is_some()
                || (source::inside(&origin, chunk_dims, dims)
                    && covers_chunk(sel, &origin, chunk_dims, dims));
            let (at, size, mask) = if filtered {
                let block: &[u8] = if full {
                    whole.resize(chunk_bytes, 0);
                    fill_full(sel, &origin, chunk_dims, data, elem, run, &mut whole)?;
                    &whole
                } else {
                    let mut block = self.initial(existing.as_ref(), &origin, chunk_bytes)?;
                    source::scatter(sel, &origin, chunk_dims, &mut block, data, elem)?;
                    whole = block;
                    &whole
                };
                let (bytes, mask) = filters::encode_chunk(&meta.pipeline, block, elem)?;
                let size = bytes.len() as u64;
                if let Some(c) = &existing {
                    self.session.space.release(c.addr, c.size)?;
                }
                let at = self.session.space.alloc(size)?;
                gather.flush(self.store)?;
                self.store.write_at(self.session.base + at.0, &bytes)?;
                (at, size, mask)
            } else {
                let size = chunk_bytes as u64;
                let at = match &existing {
                    Some(c) if c.size == size && !self.copy_on_write => c.addr,
                    Some(c) => {
                        self.session.space.release(c.addr, c.size)?;
                        self.session.space.alloc(size)?
                    }
                    None => self.session.space.alloc(size)?,
                };
                let offset = self.session.base + at.0;
                if full {
                    let room = gather.room(self.store, offset, chunk_bytes)?;
                    fill_full(sel, &origin, chunk_dims, data, elem, run, room)?;
                } else {
                    // Reads the stored chunk: what was gathered goes out first.
                    gather.flush(self.store)?;
                    let mut block = self.initial(existing.as_ref(), &origin, chunk_bytes)?;
                    source::scatter(sel, &origin, chunk_dims, &mut block, data, elem)?;
                    gather
                        .room(self.store, offset, chunk_bytes)?
                        .copy_from_slice(&block);
                }
                (at, size, 0)
            };
            if let Some(state) = self.session.chunks.get_mut(&self.addr) {
                state.chunks.insert(
                    grid,
                    Chunk {
                        offset: origin,
                        addr: at,
                        size,
                        filter_mask: mask,
                    },
                );
                state.dirty = true;
            }
            if !hyperslab::next_position(&mut pos, touched) {
                return Ok(());
            }
        }
    }

    /// A chunk's value before a write that does not cover it: its stored value, else the
    /// fill value.
    fn initial(
        &self,
        existing: Option<&Chunk>,
        origin: &[u64],
        chunk_bytes: usize,
    ) -> Result<Vec<u8>> {
        let meta = self.meta;
        let elem = meta.datatype.size();
        let covered = covers_chunk(
            self.sel,
            origin,
            &self.layout.chunk_dims,
            &meta.dataspace.dims,
        );
        Ok(match (existing, covered) {
            (Some(c), false) => {
                let img = FileImage::new(self.snap.bytes(), self.session.base, self.session.sizes);
                let stored = img.slice(c.addr, c.size, "chunk")?;
                if meta.pipeline.filters.is_empty() {
                    stored
                        .get(..chunk_bytes)
                        .ok_or_else(|| {
                            Error::corrupt(
                                "chunk",
                                img.absolute(c.addr),
                                "chunk shorter than its size",
                            )
                        })?
                        .to_vec()
                } else {
                    filters::decode_chunk(&meta.pipeline, c.filter_mask, stored, elem, chunk_bytes)?
                }
            }
            // A chunk the selection covers completely needs no initial value.
            _ if covered || meta.fill.iter().all(|&b| b == 0) => vec![0; chunk_bytes],
            _ => meta.fill.repeat(chunk_bytes / elem.max(1)),
        })
    }
}

/// Fill `out` (a whole chunk inside the dataset, every element selected) from the source:
/// one encode when the chunk is one run of it, else run by run.
fn fill_full(
    sel: &[AxisSel],
    origin: &[u64],
    chunk_dims: &[u64],
    data: &dyn ElementSource,
    elem: usize,
    run: Option<usize>,
    out: &mut [u8],
) -> Result<()> {
    match run {
        Some(first) => data.encode(first, out),
        None => source::scatter(sel, origin, chunk_dims, out, data, elem),
    }
}
