//! The copy engine: move the selected elements of each stored block (a chunk, or the whole
//! contiguous/compact data) to their places in the output, in runs along the last axis.
//! Only the chunks a selection touches are located, read and decoded.
//!
//! Unfiltered data of a file on disk that lands in long runs of an output holding elements
//! as stored (raw bytes, or numbers in the file's own encoding) is read with positional
//! reads straight into the output, as libhdf5 does, rather than copied out of the file's
//! memory map: that skips faulting the map's pages in (and keeping the page cache mapped).
//! Runs adjacent in the file and in the output are merged into one read. Short runs, and
//! in-memory files, copy from the snapshot.

use std::collections::HashMap;

use crate::chunk_index::Chunk;
use crate::error::{Error, Result};
use crate::filters;
use crate::io::{Addr, FileImage};
use crate::messages::filter_pipeline::FilterPipeline;
use crate::messages::layout::ChunkedLayout;
use crate::store::Store;

use crate::hyperslab::{for_each_run, touched_chunks, AxisSel};

/// Runs shorter than this (in bytes) are copied from the memory map even for files on disk:
/// a positional read costs a system call, a copy out of an already mapped page does not.
pub(crate) const DIRECT_MIN: usize = if cfg!(test) { 1 } else { 32 << 10 };

/// Where selected elements go.
pub(crate) trait Sink {
    /// Elements `dst..dst + n` of the output get the `n` elements encoded in `src`.
    fn put(&mut self, dst: usize, src: &[u8]) -> Result<()>;
    /// Elements `dst..dst + n` of the output get the fill value `elem`.
    fn fill(&mut self, dst: usize, n: usize, elem: &[u8]) -> Result<()>;
    /// The output's bytes for elements `dst..dst + n`, when the output holds elements
    /// exactly as they are stored (so stored bytes can be read straight into it); `None`
    /// when elements are converted, or the range is outside the output.
    fn raw_mut(&mut self, _dst: usize, _n: usize) -> Option<&mut [u8]> {
        None
    }
    /// The bytes of the whole output, when it holds elements exactly as they are stored
    /// (see [`Sink::raw_mut`]): stored runs are then copied in without a call per run.
    fn raw_all(&mut self) -> Option<&mut [u8]> {
        None
    }
}

/// A block's bytes: stored data, or nothing stored (read as the fill value).
#[derive(Clone, Copy)]
pub(crate) enum Block<'a> {
    /// Stored bytes, in memory (the snapshot's view of them).
    Data(&'a [u8]),
    /// Stored bytes in a file on disk: `bytes` is the snapshot's view of them (already
    /// checked to be inside the file), `at` their absolute file offset. Long runs are read
    /// from the file by `direct`, the rest copied from `bytes`.
    File { bytes: &'a [u8], at: u64 },
    /// Nothing stored: every element is this fill value.
    Fill(&'a [u8]),
}

impl<'a> Block<'a> {
    /// The `len` stored bytes at `addr` (a bounds-checked slice of `img`, an error naming
    /// `structure` when outside the file), read through `direct` when it reads a file.
    pub(crate) fn stored(
        img: &FileImage<'a>,
        direct: &Direct<'_>,
        addr: Addr,
        len: u64,
        structure: &'static str,
    ) -> Result<Block<'a>> {
        let bytes = img.slice(addr, len, structure)?;
        Ok(if direct.enabled() {
            Block::File {
                bytes,
                at: img.absolute(addr),
            }
        } else {
            Block::Data(bytes)
        })
    }
}

/// Positional reads of stored data straight into the output, merging runs that follow
/// each other both in the file and in the output. [`Direct::finish`] must be called after
/// the last block (pending runs are read then).
pub(crate) struct Direct<'s> {
    store: Option<&'s Store>,
    elem: usize,
    /// Whether the read is small (at most [`WINDOW_MAX`] bytes selected): its copied runs
    /// are then read with positional reads too (see [`WINDOW_MAX`]).
    small: bool,
    /// A pending read: absolute file offset, first output element, bytes.
    pending: Option<(u64, usize, usize)>,
}

impl<'s> Direct<'s> {
    /// Reads from `store` when it reads a file (else nothing is read directly).
    pub(crate) fn new(store: Option<&'s Store>, elem: usize) -> Self {
        Direct {
            store: store.filter(|s| s.reads_file()),
            elem,
            small: false,
            pending: None,
        }
    }

    /// Mark the read as small or not from the bytes it selects.
    pub(crate) fn selecting(mut self, bytes: u64) -> Self {
        self.small = bytes <= WINDOW_MAX as u64;
        self
    }

    /// No direct reads (in-memory data).
    pub(crate) fn none() -> Self {
        Direct {
            store: None,
            elem: 1,
            small: false,
            pending: None,
        }
    }

    fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Queue the read of `bytes` bytes at file offset `at` into output elements from `dst`,
    /// if the sink can take raw bytes there. Returns whether it was queued (else the
    /// caller copies the elements).
    fn queue(&mut self, sink: &mut dyn Sink, at: u64, dst: usize, bytes: usize) -> Result<bool> {
        let (Some(_), true) = (self.store, self.elem > 0 && bytes.is_multiple_of(self.elem)) else {
            return Ok(false);
        };
        if sink.raw_mut(dst, bytes / self.elem).is_none() {
            return Ok(false);
        }
        if let Some((p_at, p_dst, p_len)) = &mut self.pending {
            let follows_file = p_at.checked_add(*p_len as u64) == Some(at);
            let follows_out = p_dst.checked_add(*p_len / self.elem) == Some(dst);
            if follows_file && follows_out {
                *p_len += bytes;
                return Ok(true);
            }
        }
        self.flush(sink)?;
        self.pending = Some((at, dst, bytes));
        Ok(true)
    }

    /// Read the pending run.
    fn flush(&mut self, sink: &mut dyn Sink) -> Result<()> {
        if let (Some((at, dst, len)), Some(store)) = (self.pending.take(), self.store) {
            let buf = sink
                .raw_mut(dst, len / self.elem)
                .ok_or_else(|| Error::Invalid("output position out of range".into()))?;
            store.read_at(at, buf)?;
        }
        Ok(())
    }

    /// Read `len` bytes at file offset `at` into `buf` (resized to `len`).
    fn read_into<'b>(&self, at: u64, len: usize, buf: &'b mut Vec<u8>) -> Result<&'b [u8]> {
        let store = self
            .store
            .ok_or_else(|| Error::Invalid("no file to read from".into()))?;
        buf.clear();
        buf.resize(len, 0);
        store.read_at(at, buf)?;
        Ok(buf)
    }

    /// Read whatever is pending; call after the last block.
    pub(crate) fn finish(&mut self, sink: &mut dyn Sink) -> Result<()> {
        self.flush(sink)
    }
}

/// Copy the selected elements that fall inside the block at `origin` with `block_dims`.
pub(crate) fn copy_block(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    block: Block<'_>,
    elem: usize,
    sink: &mut dyn Sink,
    direct: &mut Direct<'_>,
) -> Result<()> {
    let block_elems = block_dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d));
    if let (Block::Data(bytes) | Block::File { bytes, .. }, Some(n)) = (block, block_elems) {
        let need = n.checked_mul(elem as u64);
        if need.is_none_or(|need| (bytes.len() as u64) < need) {
            return Err(Error::Invalid(format!(
                "stored block holds {} bytes, fewer than its {n} elements need",
                bytes.len()
            )));
        }
    }
    if let (Block::File { bytes, at }, true) = (block, direct.small) {
        if let Some(window) = small_window(sel, origin, block_dims, bytes.len(), elem)? {
            return copy_window(
                sel,
                origin,
                block_dims,
                (bytes, at),
                window,
                elem,
                sink,
                direct,
            );
        }
    }
    // Stored bytes copied as they are (no run long enough to be read from the file
    // straight into the output): one copy per run into the output's bytes.
    let no_direct = block_dims
        .last()
        .is_none_or(|&d| d.saturating_mul(elem as u64) < DIRECT_MIN as u64);
    let stored = match block {
        Block::Data(bytes) => Some(bytes),
        Block::File { bytes, .. } if no_direct => Some(bytes),
        _ => None,
    };
    if let Some(src) = stored {
        if let Some(out) = sink.raw_all() {
            return copy_runs(sel, origin, block_dims, src, out, elem);
        }
    }
    for_each_run(sel, origin, block_dims, &mut |run| {
        emit(
            block, run.out, run.block, run.n, run.step, elem, sink, direct,
        )
    })
}

/// Copy the selected runs of the stored block `src` into the output bytes `out` (elements
/// of `elem` bytes, stored as the output holds them).
fn copy_runs(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    src: &[u8],
    out: &mut [u8],
    elem: usize,
) -> Result<()> {
    let outside = || Error::Invalid("selection outside the stored block".into());
    let out_of_range = || Error::Invalid("output position out of range".into());
    for_each_run(sel, origin, block_dims, &mut |run| {
        if run.step == 1 {
            let (from, to) = (run.block * elem, run.out * elem);
            let len = run.n * elem;
            out.get_mut(to..to + len)
                .ok_or_else(out_of_range)?
                .copy_from_slice(src.get(from..from + len).ok_or_else(outside)?);
        } else {
            for i in 0..run.n {
                let (from, to) = ((run.block + i * run.step) * elem, (run.out + i) * elem);
                out.get_mut(to..to + elem)
                    .ok_or_else(out_of_range)?
                    .copy_from_slice(src.get(from..from + elem).ok_or_else(outside)?);
            }
        }
        Ok(())
    })
}

/// Small reads (at most this many bytes selected) read each stored block's span of copied
/// runs (too short to be read straight into the output) with one positional read, when
/// the span is at most this long too: small scattered reads then map no page of the file
/// (the memory map faults in, and counts in the resident size, page-cache folios around
/// each access: 1,000 slices of 800 bytes mapped 235 MiB of a 256 MiB file), as libhdf5's
/// reads do. Larger reads copy from the map, which is faster when a region is read again
/// (W6-read: twice as fast as positional reads of every chunk).
const WINDOW_MAX: usize = 64 << 10;

/// Whether a run goes straight into the output (see [`emit`]).
fn is_direct(n: usize, step: usize, elem: usize) -> bool {
    step == 1 && n * elem >= DIRECT_MIN
}

/// The byte span `[lo, hi)` of the block that the copied runs of the selection touch, when
/// it is at most [`WINDOW_MAX`] bytes inside a block of `len` bytes.
fn small_window(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    len: usize,
    elem: usize,
) -> Result<Option<(usize, usize)>> {
    let (mut lo, mut hi) = (usize::MAX, 0usize);
    for_each_run(sel, origin, block_dims, &mut |run| {
        if run.n == 0 || is_direct(run.n, run.step, elem) {
            return Ok(());
        }
        let first = run.block.saturating_mul(elem);
        let last = (run.n - 1)
            .checked_mul(run.step)
            .and_then(|d| d.checked_add(run.block))
            .and_then(|e| e.checked_add(1))
            .and_then(|e| e.checked_mul(elem))
            .unwrap_or(usize::MAX);
        lo = lo.min(first);
        hi = hi.max(last);
        Ok(())
    })?;
    Ok((lo < hi && hi - lo <= WINDOW_MAX && hi <= len).then_some((lo, hi)))
}

/// [`copy_block`] for a block in a file on disk whose copied runs lie in `window`: one
/// positional read of the window, direct runs as usual.
#[allow(clippy::too_many_arguments)]
fn copy_window(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    (bytes, at): (&[u8], u64),
    (lo, hi): (usize, usize),
    elem: usize,
    sink: &mut dyn Sink,
    direct: &mut Direct<'_>,
) -> Result<()> {
    let mut scratch = Vec::new();
    let window = direct.read_into(at + lo as u64, hi - lo, &mut scratch)?;
    let skip = lo / elem.max(1);
    for_each_run(sel, origin, block_dims, &mut |run| {
        if is_direct(run.n, run.step, elem) {
            let block = Block::File { bytes, at };
            emit(
                block, run.out, run.block, run.n, run.step, elem, sink, direct,
            )
        } else {
            let src = run
                .block
                .checked_sub(skip)
                .ok_or_else(|| Error::Invalid("selection outside the stored block".into()))?;
            emit(
                Block::Data(window),
                run.out,
                src,
                run.n,
                run.step,
                elem,
                sink,
                direct,
            )
        }
    })
}

/// Emit `n` elements to `dst..`, taken from element `src` of the block every `step` elements.
#[allow(clippy::too_many_arguments)]
fn emit(
    block: Block<'_>,
    dst: usize,
    src: usize,
    n: usize,
    step: usize,
    elem: usize,
    sink: &mut dyn Sink,
    direct: &mut Direct<'_>,
) -> Result<()> {
    let outside = || Error::Invalid("selection outside the stored block".into());
    let bytes = match block {
        Block::Fill(value) => return sink.fill(dst, n, value),
        Block::Data(bytes) => bytes,
        Block::File { bytes, at } => {
            let len = n * elem;
            if is_direct(n, step, elem) {
                let start = src * elem;
                // The same range check as a copy from the snapshot.
                bytes.get(start..start + len).ok_or_else(outside)?;
                if direct.queue(sink, at + start as u64, dst, len)? {
                    return Ok(());
                }
            }
            bytes
        }
    };
    if step == 1 {
        let start = src * elem;
        sink.put(dst, bytes.get(start..start + n * elem).ok_or_else(outside)?)
    } else {
        for i in 0..n {
            let start = (src + i * step) * elem;
            sink.put(dst + i, bytes.get(start..start + elem).ok_or_else(outside)?)?;
        }
        Ok(())
    }
}

/// Read the selection of a chunked dataset: for each touched chunk, decode it (or use the
/// fill value when it was never written) and copy its part.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_chunked(
    img: &FileImage<'_>,
    sel: &[AxisSel],
    layout: &ChunkedLayout,
    dims: &[u64],
    chunks: &HashMap<Vec<u64>, Chunk>,
    pipeline: &FilterPipeline,
    elem: usize,
    fill: &[u8],
    sink: &mut dyn Sink,
    direct: &mut Direct<'_>,
) -> Result<()> {
    let chunk_dims = layout.chunk_dims.as_slice();
    let chunk_elems = chunk_dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::LimitExceeded("chunk has too many elements".into()))?;
    let chunk_bytes = chunk_elems
        .checked_mul(elem as u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::LimitExceeded("chunk is too large".into()))?;
    let touched = touched_chunks(sel, chunk_dims);
    if touched.iter().any(Vec::is_empty) {
        return Ok(());
    }
    let ctx = ChunkRead {
        img,
        pipeline,
        elem,
        chunk_bytes,
    };
    // Large reads of filtered chunks decode them on several threads, a batch at a time:
    // the batch's stored bytes are read and decoded in parallel, then copied out in order.
    let count = touched.iter().map(Vec::len).product::<usize>();
    let threads = if pipeline.filters.is_empty() {
        1
    } else {
        crate::parallel::threads_for(count, (count as u64).saturating_mul(chunk_bytes as u64))
    };
    let batch_len = crate::parallel::batch_len(threads, chunk_bytes);
    let mut batch: Vec<(Vec<u64>, &Chunk)> = Vec::new();
    // Filtered chunks of a file on disk are read into this buffer (reused).
    let mut scratch: Vec<u8> = Vec::new();
    let mut pos = vec![0usize; touched.len()];
    let mut grid: Vec<u64> = Vec::with_capacity(touched.len());
    loop {
        grid.clear();
        grid.extend(
            touched
                .iter()
                .zip(&pos)
                .filter_map(|(t, &p)| t.get(p).copied()),
        );
        let origin: Vec<u64> = grid.iter().zip(chunk_dims).map(|(&g, &c)| g * c).collect();
        match chunks.get(&grid) {
            None => copy_block(
                sel,
                &origin,
                chunk_dims,
                Block::Fill(fill),
                elem,
                sink,
                direct,
            )?,
            // Unfiltered datasets, and partial edge chunks stored raw (layout flag).
            Some(chunk) if pipeline.filters.is_empty() || layout.stores_raw(&origin, dims) => {
                let block = Block::stored(img, direct, chunk.addr, chunk.size, "chunk")?;
                copy_block(sel, &origin, chunk_dims, block, elem, sink, direct)?;
            }
            Some(chunk) if threads > 1 => {
                batch.push((origin, chunk));
                if batch.len() >= batch_len {
                    ctx.decode_batch(&batch, threads, sel, chunk_dims, sink, direct)?;
                    batch.clear();
                }
            }
            Some(chunk) => {
                let decoded = ctx.decode(chunk, direct, &mut scratch)?;
                copy_block(
                    sel,
                    &origin,
                    chunk_dims,
                    Block::Data(&decoded),
                    elem,
                    sink,
                    direct,
                )?;
            }
        }
        if !crate::hyperslab::next_position(&mut pos, &touched) {
            ctx.decode_batch(&batch, threads, sel, chunk_dims, sink, direct)?;
            return direct.finish(sink);
        }
    }
}

/// What decoding one filtered chunk of a dataset needs.
struct ChunkRead<'i, 'a> {
    img: &'i FileImage<'a>,
    pipeline: &'i FilterPipeline,
    elem: usize,
    chunk_bytes: usize,
}

impl ChunkRead<'_, '_> {
    /// Read and decode one filtered chunk; on disk, its stored bytes go through `scratch`.
    fn decode(&self, chunk: &Chunk, direct: &Direct<'_>, scratch: &mut Vec<u8>) -> Result<Vec<u8>> {
        let stored = match Block::stored(self.img, direct, chunk.addr, chunk.size, "chunk")? {
            Block::File { bytes, at } => direct.read_into(at, bytes.len(), scratch)?,
            Block::Data(bytes) | Block::Fill(bytes) => bytes,
        };
        let at = self.img.absolute(chunk.addr);
        let decoded = filters::decode_chunk_at(
            self.pipeline,
            chunk.filter_mask,
            stored,
            self.elem,
            self.chunk_bytes,
            at,
        )?;
        if decoded.len() < self.chunk_bytes {
            return Err(Error::corrupt(
                "chunk",
                at,
                format!(
                    "decoded to {} bytes, expected {}",
                    decoded.len(),
                    self.chunk_bytes
                ),
            ));
        }
        Ok(decoded)
    }

    /// Decode `batch` on `threads` threads, then copy each chunk's selected part, in order.
    fn decode_batch(
        &self,
        batch: &[(Vec<u64>, &Chunk)],
        threads: usize,
        sel: &[AxisSel],
        chunk_dims: &[u64],
        sink: &mut dyn Sink,
        direct: &mut Direct<'_>,
    ) -> Result<()> {
        let reader: &Direct<'_> = direct;
        let decoded = crate::parallel::map_indexed(batch.len(), threads, |i| {
            let (_, chunk) = batch
                .get(i)
                .ok_or_else(|| Error::Invalid("batch index".into()))?;
            self.decode(chunk, reader, &mut Vec::new())
        });
        for ((origin, _), bytes) in batch.iter().zip(decoded) {
            let bytes =
                bytes.unwrap_or_else(|| Err(Error::Invalid("a decoding thread failed".into())))?;
            copy_block(
                sel,
                origin,
                chunk_dims,
                Block::Data(&bytes),
                self.elem,
                sink,
                direct,
            )?;
        }
        Ok(())
    }
}

/// A sink collecting raw element bytes in output order.
pub(crate) struct RawSink {
    pub out: Vec<u8>,
    pub elem: usize,
}

impl Sink for RawSink {
    fn put(&mut self, dst: usize, src: &[u8]) -> Result<()> {
        let start = dst * self.elem;
        let slot = self
            .out
            .get_mut(start..start + src.len())
            .ok_or_else(|| Error::Invalid("output position out of range".into()))?;
        slot.copy_from_slice(src);
        Ok(())
    }

    fn fill(&mut self, dst: usize, n: usize, elem: &[u8]) -> Result<()> {
        let start = dst * self.elem;
        let slot = self
            .out
            .get_mut(start..start + n * self.elem)
            .ok_or_else(|| Error::Invalid("output position out of range".into()))?;
        for e in slot.chunks_exact_mut(self.elem) {
            e.copy_from_slice(elem);
        }
        Ok(())
    }

    fn raw_mut(&mut self, dst: usize, n: usize) -> Option<&mut [u8]> {
        let start = dst.checked_mul(self.elem)?;
        let end = start.checked_add(n.checked_mul(self.elem)?)?;
        self.out.get_mut(start..end)
    }

    fn raw_all(&mut self) -> Option<&mut [u8]> {
        Some(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    //! Reads of files on disk (positional reads straight into the output: `DIRECT_MIN` is
    //! 1 byte in tests, so every run takes that path when the output allows it) give the
    //! same results as reads of the same bytes in memory (copies from the snapshot).
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use ndarray::{ArrayD, IxDyn};

    use crate::datatype::{ByteOrder, Datatype, TypeClass};
    use crate::{File, Selection, SliceArg, Storage};

    fn scratch(name: &str) -> PathBuf {
        let dir = crate::portable::scratch_root("jangada-read-direct");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        let _ = std::fs::remove_file(&p);
        p
    }

    fn grid(rows: usize, cols: usize) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| (i[0] * 1000 + i[1]) as f64)
    }

    /// A file with every kind of storage the direct path handles or skips.
    fn make(path: &PathBuf) {
        let f = File::create(path).unwrap();
        let root = f.root().unwrap();
        let g = grid(37, 53);
        // Edge chunks in both axes.
        root.new_dataset("chunked")
            .chunks(&[8, 16])
            .write(&g)
            .unwrap();
        // Chunks never written read as the fill value.
        let sparse = root
            .new_dataset("sparse")
            .dtype_of::<f64>()
            .shape(&[37, 53])
            .chunks(&[8, 16])
            .fill_value(-2.5f64)
            .unwrap()
            .create()
            .unwrap();
        let part = grid(10, 20);
        sparse
            .write_slice(
                Selection::new([SliceArg::range(9, 19), SliceArg::range(30, 50)]),
                &part,
            )
            .unwrap();
        root.new_dataset("filtered")
            .chunks(&[8, 16])
            .shuffle()
            .deflate(4)
            .fletcher32()
            .write(&g)
            .unwrap();
        root.new_dataset("contiguous")
            .storage(Storage::Contiguous)
            .write(&g.mapv(|v| v as i32))
            .unwrap();
        root.new_dataset("compact")
            .storage(Storage::Compact)
            .write(&grid(3, 4).mapv(|v| v as u16))
            .unwrap();
        let line = ArrayD::from_shape_fn(IxDyn(&[1000]), |i| i[0] as u16);
        root.new_dataset("line")
            .chunks(&[64])
            .maxshape(&[None])
            .write(&line)
            .unwrap();
        // Big-endian numbers: converted, never read straight into the output.
        let mut be = Datatype::float(8).unwrap();
        if let TypeClass::Float { order, .. } = &mut be.class {
            *order = ByteOrder::Big;
        }
        let ds = root
            .new_dataset("big_endian")
            .dtype(be)
            .shape(&[37, 53])
            .chunks(&[8, 16])
            .create()
            .unwrap();
        let raw: Vec<u8> = g.iter().flat_map(|v| v.to_be_bytes()).collect();
        ds.write_raw(Selection::all(), &raw).unwrap();
        f.close().unwrap();
    }

    fn selections() -> Vec<Selection> {
        use SliceArg::*;
        vec![
            Selection::all(),
            Selection::new([SliceArg::range(0, 37), SliceArg::range(0, 53)]),
            Selection::new([SliceArg::range(5, 30), SliceArg::range(7, 50)]),
            Selection::new([SliceArg::stepped(1, 36, 3), SliceArg::range(15, 53)]),
            Selection::new([SliceArg::range(2, 20), SliceArg::stepped(0, 53, 5)]),
            Selection::new([Index(36), SliceArg::range(0, 53)]),
            Selection::new([SliceArg::range(32, 37), Index(52)]),
            Selection::new([SliceArg::range(16, 24), SliceArg::range(16, 32)]),
        ]
    }

    #[test]
    fn file_reads_equal_memory_reads() {
        let path = scratch("kinds.h5");
        make(&path);
        let disk = File::open(&path).unwrap();
        let memory = File::from_bytes(std::fs::read(&path).unwrap()).unwrap();
        // Files are read positionally where they are mapped (else they are in memory too).
        assert_eq!(
            disk.dataset("chunked")
                .unwrap()
                .file_inner()
                .store
                .reads_file(),
            crate::store::maps_files()
        );
        assert!(!memory
            .dataset("chunked")
            .unwrap()
            .file_inner()
            .store
            .reads_file());
        let g = grid(37, 53);
        for name in ["chunked", "sparse", "filtered", "contiguous", "big_endian"] {
            let (d, m) = (disk.dataset(name).unwrap(), memory.dataset(name).unwrap());
            for sel in selections() {
                let a = d.read_slice::<f64>(&sel).unwrap();
                assert_eq!(a, m.read_slice::<f64>(&sel).unwrap(), "{name} {sel:?}");
                // Converted reads (no raw view of the output) agree too.
                assert_eq!(
                    d.read_slice::<f32>(&sel).unwrap(),
                    m.read_slice::<f32>(&sel).unwrap(),
                    "{name} {sel:?} as f32"
                );
                assert_eq!(
                    d.read_raw(&sel).unwrap(),
                    m.read_raw(&sel).unwrap(),
                    "{name} {sel:?} raw"
                );
            }
            let whole = d.read::<f64>().unwrap();
            match name {
                "sparse" => {
                    assert_eq!(whole[[0, 0]], -2.5);
                    assert_eq!(whole[[9, 30]], 0.0);
                    assert_eq!(whole[[18, 49]], 9019.0);
                    assert_eq!(whole[[19, 49]], -2.5);
                }
                _ => assert_eq!(whole, g, "{name}"),
            }
        }
        for name in ["compact", "line"] {
            let (d, m) = (disk.dataset(name).unwrap(), memory.dataset(name).unwrap());
            assert_eq!(d.read::<u16>().unwrap(), m.read::<u16>().unwrap(), "{name}");
            assert_eq!(
                d.read_raw(Selection::all()).unwrap(),
                m.read_raw(Selection::all()).unwrap()
            );
        }
        let line = disk.dataset("line").unwrap().read::<u16>().unwrap();
        assert!(line.iter().enumerate().all(|(i, &v)| v as usize == i));
        let part = disk
            .dataset("line")
            .unwrap()
            .read_slice::<u16>(&Selection::new([SliceArg::range(100, 901)]))
            .unwrap();
        assert_eq!(part.len(), 801);
        assert_eq!(part[[0]], 100);
        assert_eq!(part[[800]], 900);
    }

    #[test]
    fn concurrent_readers_and_a_writer_in_the_process() {
        use crate::portable::{skip_unless, Needs};
        if skip_unless(
            Needs::Threads,
            "concurrent_readers_and_a_writer_in_the_process",
        ) {
            return;
        }
        let path = scratch("concurrent.h5");
        make(&path);
        let disk = File::open(&path).unwrap();
        let ds = disk.dataset("chunked").unwrap();
        let want = grid(37, 53);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let ds = ds.clone();
                let want = want.clone();
                s.spawn(move || {
                    for sel in selections() {
                        let a = ds.read_slice::<f64>(&sel).unwrap();
                        assert_eq!(a.len(), ds.read_slice::<f64>(&sel).unwrap().len());
                    }
                    assert_eq!(ds.read::<f64>().unwrap(), want);
                });
            }
        });
        drop((ds, disk));
        // A writer's writes are seen by reads through the same handle at once.
        let f = File::open_rw(&path).unwrap();
        let ds = f.dataset("chunked").unwrap();
        let ones = ArrayD::from_elem(IxDyn(&[37, 53]), 1.0f64);
        ds.write(&ones).unwrap();
        assert_eq!(ds.read::<f64>().unwrap(), ones);
        let line = f.dataset("line").unwrap();
        line.append(&ArrayD::from_shape_fn(IxDyn(&[100]), |i| 7 + i[0] as u16))
            .unwrap();
        let all = line.read::<u16>().unwrap();
        assert_eq!(all.len(), 1100);
        assert_eq!(all[[999]], 999);
        assert_eq!(all[[1000]], 7);
        assert_eq!(all[[1099]], 106);
        drop((ds, line));
        f.close().unwrap();
        let again = File::open(&path).unwrap();
        assert_eq!(
            again.dataset("chunked").unwrap().read::<f64>().unwrap(),
            ones
        );
        assert_eq!(again.dataset("line").unwrap().read::<u16>().unwrap(), all);
    }

    #[test]
    fn a_file_cut_short_is_an_error() {
        let path = scratch("cut.h5");
        let f = File::create(&path).unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[100_000]), |i| i[0] as i32);
        f.root()
            .unwrap()
            .new_dataset("data")
            .storage(Storage::Contiguous)
            .write(&data)
            .unwrap();
        f.close().unwrap();
        if !crate::store::maps_files() {
            // Unmapped files are read whole at open: a cut afterwards changes nothing.
            return;
        }
        let disk = File::open(&path).unwrap();
        let ds = disk.dataset("data").unwrap();
        assert!(disk.len() > 400_000);
        // Cut the file inside the data (as another process might): the map still spans the
        // old length, the positional read meets the end of the file.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(200_000)
            .unwrap();
        let err = ds.read::<i32>().unwrap_err();
        assert!(
            matches!(
                err,
                crate::Error::Corrupt {
                    structure: "file",
                    ..
                }
            ),
            "{err}"
        );
    }
}
