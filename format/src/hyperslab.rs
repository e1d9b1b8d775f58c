//! Hyperslab selections resolved against a shape, and the runs of elements they select
//! inside a block (a chunk, or a whole contiguous dataset): shared by reading (block to
//! output) and writing (input to block).

use crate::error::{Error, Result};

/// One resolved axis: positions `start + k * step` for `k < count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisSel {
    /// First position.
    pub start: u64,
    /// Step (at least 1).
    pub step: u64,
    /// Number of positions.
    pub count: u64,
    /// False when selected by an index: the axis is dropped from the output shape.
    /// Whether the axis stays in the output shape.
    pub keep: bool,
}

/// Number of selected elements (the product of the per-axis counts).
pub fn selected_count(sel: &[AxisSel]) -> Result<usize> {
    sel.iter()
        .try_fold(1u64, |acc, a| acc.checked_mul(a.count))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::LimitExceeded("selection has too many elements".into()))
}

/// One run of selected elements inside a block: `n` elements going to output positions
/// `out..out + n`, taken from block element `block`, `block + step`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First output element.
    pub out: usize,
    /// First block element.
    pub block: usize,
    /// Number of elements.
    pub n: usize,
    /// Step between block elements.
    pub step: usize,
}

/// Call `f` for every run of selected elements that fall inside the block at `origin` with
/// `block_dims` (runs go along the last axis).
pub fn for_each_run(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    f: &mut dyn FnMut(Run) -> Result<()>,
) -> Result<()> {
    let rank = sel.len();
    // Every output position is below the selection's element count and every block
    // position below the block's: with both products fitting `usize`, the strides below
    // never saturate and the unchecked offset sums and `as usize` casts cannot overflow or
    // truncate (a position `start + k * step` inside the block is at most its last one).
    let fits = |n: Option<u64>| n.and_then(|n| usize::try_from(n).ok()).is_some();
    if !fits(
        block_dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d)),
    ) {
        return Err(Error::LimitExceeded(format!(
            "a block of dimensions {block_dims:?} has more elements than memory can index"
        )));
    }
    selected_count(sel)?;
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
        return f(Run {
            out: 0,
            block: 0,
            n: 1,
            step: 1,
        });
    }
    let (inner_sel, inner_range) = match (sel.last(), ranges.last()) {
        (Some(a), Some(&r)) => (*a, r),
        _ => return Ok(()),
    };
    let inner_origin = origin.last().copied().unwrap_or(0);
    let (kmin, kmax) = inner_range;
    let first_pos = inner_sel.start + kmin * inner_sel.step;
    let n = (kmax - kmin) as usize;
    // With more than one element the step is below the block's last-axis size (which fits
    // `usize`, above); with one it is never multiplied by a non-zero count.
    let step = usize::try_from(inner_sel.step).unwrap_or(usize::MAX);
    if rank == 1 {
        return f(Run {
            out: kmin as usize,
            block: (first_pos - inner_origin) as usize,
            n,
            step,
        });
    }
    // The last outer axis (rank - 2) is walked in a loop of its own, its offsets advanced
    // by constant strides; the axes before it by an odometer.
    let row = rank - 2;
    let (row_sel, row_range, row_origin) = match (sel.get(row), ranges.get(row), origin.get(row)) {
        (Some(a), Some(&r), Some(&o)) => (*a, r, o),
        _ => return Ok(()),
    };
    let row_out = out_stride.get(row).copied().unwrap_or(1);
    let row_blk = blk_stride.get(row).copied().unwrap_or(1);
    let mut ks: Vec<u64> = ranges.iter().map(|r| r.0).collect();
    loop {
        let mut dst = 0u64;
        let mut src = 0u64;
        for i in 0..row {
            let (a, k, o) = (sel.get(i), ks.get(i), origin.get(i));
            if let (Some(a), Some(&k), Some(&o)) = (a, k, o) {
                let pos = a.start + k * a.step;
                dst += k * out_stride.get(i).copied().unwrap_or(1);
                src += (pos - o) * blk_stride.get(i).copied().unwrap_or(1);
            }
        }
        let (rmin, rmax) = row_range;
        dst += rmin * row_out + kmin;
        src +=
            (row_sel.start + rmin * row_sel.step - row_origin) * row_blk + first_pos - inner_origin;
        let src_step = row_sel.step * row_blk;
        for _ in rmin..rmax {
            f(Run {
                out: dst as usize,
                block: src as usize,
                n,
                step,
            })?;
            dst += row_out;
            src += src_step;
        }
        // Advance the odometer (axes rank-3 down to 0).
        let mut axis = row;
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

/// Copy selected elements the other way: from `src` (the selection's elements in output
/// order) into a block's bytes.
pub fn scatter_block(
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
            let from = src
                .get(run.out * elem..(run.out + run.n) * elem)
                .ok_or_else(outside)?;
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

/// Advance `pos` (one index into each of `lists`) to the next combination in row-major
/// order; `false` once every combination has been visited.
pub fn next_position<T>(pos: &mut [usize], lists: &[Vec<T>]) -> bool {
    for (p, list) in pos.iter_mut().zip(lists).rev() {
        *p += 1;
        if *p < list.len() {
            return true;
        }
        *p = 0;
    }
    false
}

/// For each axis, the chunk grid indices that the selection touches, ascending.
pub fn touched_chunks(sel: &[AxisSel], chunk_dims: &[u64]) -> Vec<Vec<u64>> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn all(n: u64) -> AxisSel {
        AxisSel {
            start: 0,
            step: 1,
            count: n,
            keep: true,
        }
    }

    /// A block whose element count overflows is an error, not runs at saturated strides.
    #[test]
    fn runs_refuse_a_block_past_usize() {
        let big = 1u64 << 40;
        let e = for_each_run(&[all(1), all(1)], &[0, 0], &[big, big], &mut |_| Ok(()));
        assert!(
            matches!(&e, Err(Error::LimitExceeded(m)) if m.contains("more elements")),
            "{e:?}"
        );
        // The same selection in a block that fits: one run.
        let mut runs = Vec::new();
        for_each_run(&[all(1), all(2)], &[0, 0], &[3, 4], &mut |r| {
            runs.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            runs,
            [Run {
                out: 0,
                block: 0,
                n: 2,
                step: 1
            }]
        );
    }
}
