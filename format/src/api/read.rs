//! The copy engine: move the selected elements of each stored block (a chunk, or the whole
//! contiguous/compact data) to their places in the output, in runs along the last axis.
//! Only the chunks a selection touches are located, read and decoded.

use std::collections::HashMap;

use crate::chunk_index::Chunk;
use crate::error::{Error, Result};
use crate::filters;
use crate::io::FileImage;
use crate::messages::filter_pipeline::FilterPipeline;

use super::selection::AxisSel;

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

/// Number of selected elements (the product of the per-axis counts).
pub(crate) fn selected_count(sel: &[AxisSel]) -> Result<usize> {
    sel.iter()
        .try_fold(1u64, |acc, a| acc.checked_mul(a.count))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::LimitExceeded("selection has too many elements".into()))
}

/// One run of selected elements inside a block: `n` elements going to output positions
/// `out..out + n`, taken from block element `block`, `block + step`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub out: usize,
    pub block: usize,
    pub n: usize,
    pub step: usize,
}

/// Call `f` for every run of selected elements that fall inside the block at `origin` with
/// `block_dims` (runs go along the last axis).
pub(crate) fn for_each_run(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    f: &mut dyn FnMut(Run) -> Result<()>,
) -> Result<()> {
    let rank = sel.len();
    // Per axis: the range of selection indices k whose positions fall inside the block.
    let mut ranges = Vec::with_capacity(rank);
    for ((a, &o), &d) in sel.iter().zip(origin).zip(block_dims) {
        if a.count == 0 || d == 0 {
            return Ok(());
        }
        let last = o.saturating_add(d - 1);
        let kmin = if o > a.start {
            (o - a.start).div_ceil(a.step)
        } else {
            0
        };
        if last < a.start {
            return Ok(());
        }
        let kmax = ((last - a.start) / a.step + 1).min(a.count);
        if kmin >= kmax {
            return Ok(());
        }
        ranges.push((kmin, kmax));
    }
    // Strides in elements, row-major.
    let mut out_stride = vec![1u64; rank];
    let mut blk_stride = vec![1u64; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        let (next_out, next_blk) = (
            out_stride.get(i + 1).copied().unwrap_or(1),
            blk_stride.get(i + 1).copied().unwrap_or(1),
        );
        let (cnt, bd) = (
            sel.get(i + 1).map_or(1, |a| a.count),
            block_dims.get(i + 1).copied().unwrap_or(1),
        );
        if let (Some(o), Some(b)) = (out_stride.get_mut(i), blk_stride.get_mut(i)) {
            *o = next_out.saturating_mul(cnt);
            *b = next_blk.saturating_mul(bd);
        }
    }
    if rank == 0 {
        return f(Run { out: 0, block: 0, n: 1, step: 1 });
    }
    let (inner_sel, inner_range) = match (sel.last(), ranges.last()) {
        (Some(a), Some(&r)) => (*a, r),
        _ => return Ok(()),
    };
    let inner_origin = origin.last().copied().unwrap_or(0);
    // Odometer over the outer axes.
    let mut ks: Vec<u64> = ranges.iter().map(|r| r.0).collect();
    loop {
        let mut dst = 0u64;
        let mut src = 0u64;
        for i in 0..rank - 1 {
            let (a, k, o) = (sel.get(i), ks.get(i), origin.get(i));
            if let (Some(a), Some(&k), Some(&o)) = (a, k, o) {
                let pos = a.start + k * a.step;
                dst += k * out_stride.get(i).copied().unwrap_or(1);
                src += (pos - o) * blk_stride.get(i).copied().unwrap_or(1);
            }
        }
        let (kmin, kmax) = inner_range;
        let first_pos = inner_sel.start + kmin * inner_sel.step;
        f(Run {
            out: (dst + kmin) as usize,
            block: (src + first_pos - inner_origin) as usize,
            n: (kmax - kmin) as usize,
            step: inner_sel.step as usize,
        })?;
        // Advance the odometer (axes rank-2 down to 0).
        let mut axis = rank - 1;
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            let (Some(k), Some(r)) = (ks.get_mut(axis), ranges.get(axis)) else {
                return Ok(());
            };
            *k += 1;
            if *k < r.1 {
                break;
            }
            *k = r.0;
        }
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
) -> Result<()> {
    let block_elems = block_dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
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

/// Copy selected elements the other way: from `src` (the selection's elements in output
/// order) into a block's bytes.
pub(crate) fn scatter_block(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    block: &mut [u8],
    src: &[u8],
    elem: usize,
) -> Result<()> {
    let outside = || Error::Invalid("selection outside the block being written".into());
    for_each_run(sel, origin, block_dims, &mut |run| {
        if run.step == 1 {
            let to = block
                .get_mut(run.block * elem..(run.block + run.n) * elem)
                .ok_or_else(outside)?;
            let from = src.get(run.out * elem..(run.out + run.n) * elem).ok_or_else(outside)?;
            to.copy_from_slice(from);
        } else {
            for i in 0..run.n {
                let b = (run.block + i * run.step) * elem;
                let o = (run.out + i) * elem;
                let to = block.get_mut(b..b + elem).ok_or_else(outside)?;
                to.copy_from_slice(src.get(o..o + elem).ok_or_else(outside)?);
            }
        }
        Ok(())
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

/// For each axis, the chunk grid indices that the selection touches, ascending.
pub(crate) fn touched_chunks(sel: &[AxisSel], chunk_dims: &[u64]) -> Vec<Vec<u64>> {
    sel.iter()
        .zip(chunk_dims)
        .map(|(a, &cd)| {
            let mut out: Vec<u64> = Vec::new();
            if cd == 0 {
                return out;
            }
            if a.step >= cd {
                for k in 0..a.count {
                    let idx = (a.start + k * a.step) / cd;
                    if out.last() != Some(&idx) {
                        out.push(idx);
                    }
                }
            } else if a.count > 0 {
                let first = a.start / cd;
                let last = (a.start + (a.count - 1) * a.step) / cd;
                out.extend(first..=last);
            }
            out
        })
        .collect()
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
        // Next chunk in row-major order.
        let mut axis = touched.len();
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            let (Some(p), Some(t)) = (pos.get_mut(axis), touched.get(axis)) else {
                return Ok(());
            };
            *p += 1;
            if *p < t.len() {
                break;
            }
            *p = 0;
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
