//! Writing the selected elements of a chunked dataset chunk by chunk (layout message v3/v4
//! chunk storage, spec "Data Layout Message"): each touched chunk is built (from the source
//! alone when the selection covers it, else over its stored value or the fill value),
//! filtered if the dataset has filters, and written. Unfiltered chunks written to
//! consecutive addresses are gathered and written with one positional write.
//!
//! Filtered chunks that the selection covers entirely are built in batches and compressed
//! on several threads ([`encode_all`]); they are then placed and written in chunk order, as
//! one thread would, so the file's bytes do not depend on the number of threads.

use super::source::{self, ElementSource};
use super::{chunk_state, covers_chunk, element_count, usize_of, DatasetMeta};
use crate::chunk_index::Chunk;
use crate::emit::Space;
use crate::error::{Error, Result};
use crate::filters;
use crate::hyperslab::{self, AxisSel};
use crate::io::{Addr, FileImage};
use crate::messages::filter_pipeline::FilterPipeline;
use crate::messages::layout::ChunkedLayout;
use crate::store::{Snapshot, Store};
use crate::writer::session::Session;

/// Largest run of consecutive unfiltered chunks gathered into one write.
const GATHER_BYTES: usize = 4 << 20;

/// Unfiltered bytes of the filtered chunks built before they are compressed together
/// (at least one chunk per thread).
const BATCH_BYTES: usize = 8 << 20;

/// A filtered chunk's stored bytes and filter mask.
pub(crate) type Encoded = (Vec<u8>, u32);

/// Apply `pipeline` to every block, on up to `threads` threads (the calling one
/// included). Results are in block order and the same whatever the thread count; a
/// thread that cannot be started leaves its share to the others.
pub(crate) fn encode_all(
    pipeline: &FilterPipeline,
    blocks: &[&[u8]],
    elem: usize,
    threads: usize,
) -> Vec<Result<Encoded>> {
    crate::parallel::map_indexed(blocks.len(), threads, |i| {
        let block = blocks.get(i).copied().unwrap_or_default();
        filters::encode_chunk(pipeline, block, elem)
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|| Err(Error::Invalid("a compression thread failed".into()))))
    .collect()
}

/// A chunk the selection covers entirely, built and waiting to be filtered.
struct Built {
    grid: Vec<u64>,
    origin: Vec<u64>,
    existing: Option<Chunk>,
    block: Vec<u8>,
}

/// Bytes for consecutive file offsets, written with one `write_at`: copied into a buffer,
/// or (whole chunks the caller's data already holds encoded) a span of the caller's bytes
/// written as they are.
#[derive(Default)]
struct Gather<'a> {
    at: u64,
    buf: Vec<u8>,
    /// The caller's bytes and the span of them gathered (when `buf` is empty).
    borrowed: Option<(&'a [u8], std::ops::Range<usize>)>,
}

impl<'a> Gather<'a> {
    /// Gather `source[from..from + len]` (the caller's bytes, already encoded) for file
    /// offset `offset`: extends the gathered span when both follow it.
    fn borrow(
        &mut self,
        store: &Store,
        offset: u64,
        source: &'a [u8],
        from: usize,
        len: usize,
    ) -> Result<()> {
        let span = from..from.saturating_add(len);
        if source.get(span.clone()).is_none() {
            return Err(Error::Invalid(
                "selection out of range of the data written".into(),
            ));
        }
        if let Some((src, gathered)) = &mut self.borrowed {
            let follows = self.at.checked_add(gathered.len() as u64) == Some(offset)
                && std::ptr::eq(*src, source)
                && gathered.end == from;
            if follows {
                gathered.end = span.end;
                return Ok(());
            }
        }
        self.flush(store)?;
        self.at = offset;
        self.borrowed = Some((source, span));
        Ok(())
    }

    /// Room for `len` bytes at file offset `offset` (zero-filled), writing out what was
    /// gathered first when `offset` does not follow it or the buffer is full.
    fn room(&mut self, store: &Store, offset: u64, len: usize) -> Result<&mut [u8]> {
        let follows = self.at.checked_add(self.buf.len() as u64) == Some(offset);
        if !follows || self.borrowed.is_some() || self.buf.len() + len > GATHER_BYTES.max(len) {
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
        if let Some((src, span)) = self.borrowed.take() {
            store.write_at(self.at, src.get(span).unwrap_or_default())?;
        }
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

impl<'a> Writer<'a> {
    fn run(&mut self, touched: &[Vec<u64>], gather: &mut Gather<'a>) -> Result<()> {
        let mut batch = Vec::new();
        let result = self.each_chunk(touched, gather, &mut batch);
        // Chunks already built are stored even after an error, as one thread would have.
        let stored = self.store_batch(&mut batch, gather);
        result.and(stored)
    }

    fn each_chunk(
        &mut self,
        touched: &[Vec<u64>],
        gather: &mut Gather<'a>,
        batch: &mut Vec<Built>,
    ) -> Result<()> {
        let meta = self.meta;
        let elem = meta.datatype.size();
        let chunk_dims = &self.layout.chunk_dims;
        let chunk_bytes = usize_of(element_count(chunk_dims)?)?
            .checked_mul(elem)
            .ok_or_else(|| Error::LimitExceeded("chunk is too large".into()))?;
        let filtered = !meta.pipeline.filters.is_empty();
        let dims = &meta.dataspace.dims;
        let (sel, data) = (self.sel, self.data);
        let batch_len = crate::parallel::threads().max(BATCH_BYTES / chunk_bytes.max(1));
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
            // Partial edge chunks of a dataset created with
            // `H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS` are stored raw, as libhdf5 does.
            let filtered = filtered && !self.layout.stores_raw(&origin, dims);
            if filtered && full {
                let mut block = vec![0; chunk_bytes];
                fill_full(sel, &origin, chunk_dims, data, elem, run, &mut block)?;
                batch.push(Built {
                    grid,
                    origin,
                    existing,
                    block,
                });
                if batch.len() >= batch_len {
                    self.store_batch(batch, gather)?;
                }
            } else if filtered {
                // Chunks are placed in order: the batch goes first.
                self.store_batch(batch, gather)?;
                let mut block = self.initial(existing.as_ref(), &origin, chunk_bytes)?;
                source::scatter(sel, &origin, chunk_dims, &mut block, data, elem)?;
                let (bytes, mask) = filters::encode_chunk(&meta.pipeline, &block, elem)?;
                gather.flush(self.store)?;
                self.place(grid, origin, existing, &bytes, mask)?;
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
                if let (Some(first), Some(raw)) = (run, data.bytes()) {
                    // The chunk is a run of the caller's encoded bytes: written from them.
                    gather.borrow(self.store, offset, raw, first * elem, chunk_bytes)?;
                } else if full {
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
                self.record(grid, origin, at, size, 0);
            }
            if !hyperslab::next_position(&mut pos, touched) {
                return Ok(());
            }
        }
    }

    /// Filter the built chunks (on several threads) and place them, in order.
    fn store_batch(&mut self, batch: &mut Vec<Built>, gather: &mut Gather<'a>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let elem = self.meta.datatype.size();
        let blocks: Vec<&[u8]> = batch.iter().map(|b| b.block.as_slice()).collect();
        let encoded = encode_all(
            &self.meta.pipeline,
            &blocks,
            elem,
            crate::parallel::threads(),
        );
        gather.flush(self.store)?;
        for (built, result) in batch.drain(..).zip(encoded) {
            let (bytes, mask) = result?;
            self.place(built.grid, built.origin, built.existing, &bytes, mask)?;
        }
        Ok(())
    }

    /// Give a filtered chunk new space (freeing its old space), write it and record it.
    fn place(
        &mut self,
        grid: Vec<u64>,
        origin: Vec<u64>,
        existing: Option<Chunk>,
        bytes: &[u8],
        mask: u32,
    ) -> Result<()> {
        let size = bytes.len() as u64;
        if let Some(c) = &existing {
            self.session.space.release(c.addr, c.size)?;
        }
        let at = self.session.space.alloc(size)?;
        self.store.write_at(self.session.base + at.0, bytes)?;
        self.record(grid, origin, at, size, mask);
        Ok(())
    }

    /// Point the chunk map at a written chunk.
    fn record(&mut self, grid: Vec<u64>, origin: Vec<u64>, at: Addr, size: u64, mask: u32) {
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
                    let dims = &meta.dataspace.dims;
                    let mask = self.layout.effective_mask(origin, dims, c.filter_mask);
                    let at = img.absolute(c.addr);
                    filters::decode_chunk_at(&meta.pipeline, mask, stored, elem, chunk_bytes, at)?
                }
            }
            // A chunk the selection covers completely needs no initial value, except an
            // edge chunk's part past the dataset's extent, which holds the fill value as
            // libhdf5 writes it (filters such as scale-offset see it).
            _ if (covered
                && source::inside(origin, &self.layout.chunk_dims, &meta.dataspace.dims))
                || meta.fill.iter().all(|&b| b == 0) =>
            {
                vec![0; chunk_bytes]
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::messages::filter_pipeline::{id, Filter};

    fn pipeline(ids: &[(u16, Vec<u32>)]) -> FilterPipeline {
        FilterPipeline {
            filters: ids
                .iter()
                .map(|(i, cd)| Filter {
                    id: *i,
                    name: None,
                    flags: 1,
                    client_data: cd.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let p = pipeline(&[(id::SHUFFLE, vec![]), (id::DEFLATE, vec![4])]);
        let blocks: Vec<Vec<u8>> = (0..37)
            .map(|k| {
                (0..4096u32 + k)
                    .flat_map(|i| (f64::from(i * (k + 1)) / 1000.0).sin().to_le_bytes())
                    .collect()
            })
            .collect();
        let views: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
        let one = encode_all(&p, &views, 8, 1);
        for threads in [2, 3, 8, 64] {
            let many = encode_all(&p, &views, 8, threads);
            assert_eq!(many.len(), one.len());
            for (a, b) in one.iter().zip(&many) {
                assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
            }
        }
        // In block order, and each decodes back to its block.
        for (block, enc) in blocks.iter().zip(&one) {
            let (bytes, mask) = enc.as_ref().unwrap();
            assert_eq!(*mask, 0);
            let back = filters::decode_chunk(&p, 0, bytes, 8, block.len()).unwrap();
            assert_eq!(&back, block);
        }
        assert!(encode_all(&p, &[], 8, 4).is_empty());
    }

    #[test]
    fn errors_stay_with_their_block() {
        // A required filter this crate does not know fails every block, in order.
        let mut p = pipeline(&[(id::DEFLATE, vec![1])]);
        p.filters.push(Filter {
            id: id::LZO,
            name: None,
            flags: 0,
            client_data: vec![],
        });
        let blocks = [&[1u8, 2, 3][..], &[4u8; 100][..]];
        let out = encode_all(&p, &blocks, 1, 2);
        assert_eq!(out.len(), 2);
        assert!(out
            .iter()
            .all(|r| matches!(r, Err(Error::UnsupportedFilter { id: 305, .. }))));
    }
}
