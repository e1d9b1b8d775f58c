//! The copy engine: move the selected elements of each stored block (a chunk, or the whole
//! contiguous/compact data) to their places in the output, in runs along the last axis.
//! Only the chunks a selection touches are located, read and decoded.

use std::collections::HashMap;

use crate::chunk_index::Chunk;
use crate::error::{Error, Result};
use crate::filters;
use crate::io::FileImage;
use crate::messages::filter_pipeline::FilterPipeline;

use crate::hyperslab::{for_each_run, touched_chunks, AxisSel};

/// Where selected elements go.
pub(crate) trait Sink {
    /// Elements `dst..dst + n` of the output get the `n` elements encoded in `src`.
    fn put(&mut self, dst: usize, src: &[u8]) -> Result<()>;
    /// Elements `dst..dst + n` of the output get the fill value `elem`.
    fn fill(&mut self, dst: usize, n: usize, elem: &[u8]) -> Result<()>;
}

/// A block's bytes: stored data, or nothing stored (read as the fill value).
#[derive(Clone, Copy)]
pub(crate) enum Block<'a> {
    Data(&'a [u8]),
    Fill(&'a [u8]),
}

/// Copy the selected elements that fall inside the block at `origin` with `block_dims`.
pub(crate) fn copy_block(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    block: Block<'_>,
    elem: usize,
    sink: &mut dyn Sink,
) -> Result<()> {
    let block_elems = block_dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d));
    if let (Block::Data(bytes), Some(n)) = (block, block_elems) {
        let need = n.checked_mul(elem as u64);
        if need.is_none_or(|need| (bytes.len() as u64) < need) {
            return Err(Error::Invalid(format!(
                "stored block holds {} bytes, fewer than its {n} elements need",
                bytes.len()
            )));
        }
    }
    for_each_run(sel, origin, block_dims, &mut |run| {
        emit(block, run.out, run.block, run.n, run.step, elem, sink)
    })
}

/// Emit `n` elements to `dst..`, taken from element `src` of the block every `step` elements.
fn emit(
    block: Block<'_>,
    dst: usize,
    src: usize,
    n: usize,
    step: usize,
    elem: usize,
    sink: &mut dyn Sink,
) -> Result<()> {
    match block {
        Block::Fill(value) => sink.fill(dst, n, value),
        Block::Data(bytes) => {
            let outside = || Error::Invalid("selection outside the stored block".into());
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
    }
}

/// Read the selection of a chunked dataset: for each touched chunk, decode it (or use the
/// fill value when it was never written) and copy its part.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_chunked(
    img: &FileImage<'_>,
    sel: &[AxisSel],
    chunk_dims: &[u64],
    chunks: &HashMap<Vec<u64>, Chunk>,
    pipeline: &FilterPipeline,
    elem: usize,
    fill: &[u8],
    sink: &mut dyn Sink,
) -> Result<()> {
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
            None => copy_block(sel, &origin, chunk_dims, Block::Fill(fill), elem, sink)?,
            Some(chunk) => {
                let stored = img.slice(chunk.addr, chunk.size, "chunk")?;
                if pipeline.filters.is_empty() {
                    copy_block(sel, &origin, chunk_dims, Block::Data(stored), elem, sink)?;
                } else {
                    let decoded = filters::decode_chunk(
                        pipeline,
                        chunk.filter_mask,
                        stored,
                        elem,
                        chunk_bytes,
                    )?;
                    if decoded.len() < chunk_bytes {
                        return Err(Error::corrupt(
                            "chunk",
                            img.absolute(chunk.addr),
                            format!("decoded to {} bytes, expected {chunk_bytes}", decoded.len()),
                        ));
                    }
                    copy_block(sel, &origin, chunk_dims, Block::Data(&decoded), elem, sink)?;
                }
            }
        }
        if !crate::hyperslab::next_position(&mut pos, &touched) {
            return Ok(());
        }
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
}
