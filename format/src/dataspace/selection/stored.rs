//! Building hyperslab selections as libhdf5's `H5Sselect_hyperslab` does, and the form in
//! which libhdf5 (file format low bound 1.10, h5py's `libver='v110'`) serializes them.
//!
//! `H5Sselect_hyperslab` keeps an "optimized" copy of its arguments per axis: blocks that
//! touch (`stride == block`) become one block (`count 1`, `stride 1`, `block = count x
//! block`) and a single block gets stride 1; this optimized copy is what is serialized.
//! Unlimited selections keep the arguments as given, except for the stride of a single
//! block. The serialization version (`H5S__hyper_get_version_enc_size`) is then, for a
//! 1.10 low bound:
//!
//! - version 2 (regular: start/stride/count/block, 8-byte values) for unlimited selections,
//!   for selections with at least 4 blocks, and for coordinates or block counts past
//!   32 bits;
//! - version 1 (the list of blocks, 4-byte values) otherwise.
//!
//! Checked against h5py 3.16 / libhdf5 2.0 (the mapping blocks of virtual datasets made
//! with `libver='v110'`; `tests/virtual_write.rs`).

use super::{RegularDim, Selection};
use crate::dataspace::{MAX_RANK, UNLIMITED};
use crate::error::{Error, Result};

/// Fewest blocks for which libhdf5 (low bound 1.10) stores a regular hyperslab as version 2
/// instead of a block list.
const MIN_REGULAR_BLOCKS: u64 = 4;

impl RegularDim {
    /// `count` blocks of `block` positions, block starts `stride` apart, from `start`;
    /// `count` or `block` may be [`UNLIMITED`].
    pub fn new(start: u64, stride: u64, count: u64, block: u64) -> RegularDim {
        RegularDim {
            start,
            stride,
            count,
            block,
        }
    }

    /// One block of `len` positions from `start` (`start..start + len`).
    pub fn range(start: u64, len: u64) -> RegularDim {
        RegularDim::new(start, 1, 1, len)
    }

    /// Every position from `start` on, however far the extent reaches (an unlimited block).
    pub fn from(start: u64) -> RegularDim {
        RegularDim::new(start, 1, 1, UNLIMITED)
    }
}

impl Selection {
    /// A regular hyperslab from `H5Sselect_hyperslab`'s arguments, one entry per axis
    /// (`stride` and `block` default to 1 when `None`), checked as libhdf5 checks them:
    /// equal lengths, rank 1 to 32, strides of at least 1, no overlapping blocks (`stride
    /// < block` with `count > 1`), at most one unlimited axis and not both its count and
    /// block unlimited, no empty selection (a zero count or block).
    pub fn hyperslab(
        start: &[u64],
        stride: Option<&[u64]>,
        count: &[u64],
        block: Option<&[u64]>,
    ) -> Result<Selection> {
        let rank = start.len();
        let lens = [
            Some(count.len()),
            stride.map(<[u64]>::len),
            block.map(<[u64]>::len),
        ];
        if lens.iter().flatten().any(|&n| n != rank) {
            return Err(Error::Invalid(format!(
                "hyperslab: start, stride, count and block must have the same length \
                 (start has {rank})"
            )));
        }
        let dims = (0..rank)
            .map(|i| {
                let get = |v: Option<&[u64]>| v.and_then(|v| v.get(i).copied()).unwrap_or(1);
                RegularDim::new(
                    start.get(i).copied().unwrap_or(0),
                    get(stride),
                    count.get(i).copied().unwrap_or(0),
                    get(block),
                )
            })
            .collect();
        let sel = Selection::Regular(dims);
        sel.check_regular()?;
        Ok(sel)
    }

    /// Check a regular hyperslab's arguments as `H5Sselect_hyperslab` does (see
    /// [`Selection::hyperslab`]); other selections pass.
    pub fn check_regular(&self) -> Result<()> {
        let Selection::Regular(dims) = self else {
            return Ok(());
        };
        if dims.is_empty() || dims.len() > MAX_RANK {
            return Err(Error::Invalid(format!(
                "hyperslab of rank {}: ranks are 1 to {MAX_RANK}",
                dims.len()
            )));
        }
        let mut unlimited = 0;
        for (axis, d) in dims.iter().enumerate() {
            let bad = |what: &str| {
                Err(Error::Invalid(format!(
                    "hyperslab axis {axis} (start {}, stride {}, count {}, block {}): {what}",
                    show(d.start),
                    show(d.stride),
                    show(d.count),
                    show(d.block)
                )))
            };
            if d.start == UNLIMITED || d.stride == UNLIMITED {
                return bad("the start and stride cannot be unlimited");
            }
            if d.stride == 0 {
                return bad("the stride must be at least 1");
            }
            if d.count == 0 || d.block == 0 {
                return bad("a zero count or block selects nothing");
            }
            if d.count == UNLIMITED && d.block == UNLIMITED {
                return bad("the count and the block cannot both be unlimited");
            }
            if d.count > 1 && d.stride < d.block {
                return bad("the blocks overlap (stride smaller than the block)");
            }
            if d.count == UNLIMITED || d.block == UNLIMITED {
                unlimited += 1;
            }
            if d.count != UNLIMITED && d.block != UNLIMITED {
                let last = (d.count - 1)
                    .checked_mul(d.stride)
                    .and_then(|o| o.checked_add(d.start))
                    .and_then(|s| s.checked_add(d.block));
                if last.is_none_or(|l| l == UNLIMITED) {
                    return bad("the selection passes the largest position");
                }
            }
        }
        if unlimited > 1 {
            return Err(Error::Invalid(
                "a hyperslab can have at most one unlimited axis".into(),
            ));
        }
        Ok(())
    }

    /// The selection in the form libhdf5 (low bound 1.10) serializes it (see the module
    /// docs): "all" and "none" as they are; a regular hyperslab optimized as
    /// `H5Sselect_hyperslab` optimizes it, then kept regular (encoded as version 2) or
    /// turned into its list of blocks (encoded as version 1). Irregular hyperslabs and
    /// points are not built by libhdf5 from one call: [`Error::Unsupported`].
    pub fn libhdf5_form(&self) -> Result<Selection> {
        let dims = match self {
            Selection::None | Selection::All => return Ok(self.clone()),
            Selection::Regular(dims) => dims,
            Selection::Points { .. } | Selection::Blocks { .. } => {
                return Err(Error::Unsupported(
                    "serializing point and irregular hyperslab selections as libhdf5 does".into(),
                ))
            }
        };
        self.check_regular()?;
        let unlimited = self.unlimited_axis().is_some();
        let opt: Vec<RegularDim> = dims
            .iter()
            .map(|d| {
                if !unlimited && d.stride == d.block {
                    // Touching blocks: one block (the product fits: checked above).
                    RegularDim::range(d.start, d.count.saturating_mul(d.block))
                } else if d.count == 1 {
                    RegularDim { stride: 1, ..*d }
                } else {
                    *d
                }
            })
            .collect();
        let regular = Selection::Regular(opt);
        if unlimited {
            return Ok(regular);
        }
        let blocks = regular
            .dims_product(|d| d.count)
            .filter(|&n| n < MIN_REGULAR_BLOCKS);
        let small = regular.dims_all(|d| {
            // The last position of the last block fits in 32 bits.
            d.start + (d.count - 1) * d.stride + d.block - 1 <= u64::from(u32::MAX)
        });
        match (blocks, small) {
            (Some(_), true) => {
                let rank = regular.rank().unwrap_or(0);
                let list = regular.block_list(MIN_REGULAR_BLOCKS as usize)?;
                Ok(Selection::Blocks {
                    rank,
                    blocks: list.unwrap_or_default(),
                })
            }
            _ => Ok(regular),
        }
    }

    /// The product of `f` over a regular hyperslab's axes (`None` on overflow or for other
    /// selections).
    fn dims_product(&self, f: impl Fn(&RegularDim) -> u64) -> Option<u64> {
        match self {
            Selection::Regular(dims) => dims.iter().try_fold(1u64, |a, d| a.checked_mul(f(d))),
            _ => None,
        }
    }

    fn dims_all(&self, f: impl Fn(&RegularDim) -> bool) -> bool {
        match self {
            Selection::Regular(dims) => dims.iter().all(f),
            _ => false,
        }
    }

    /// Elements selected on the axes that are not unlimited (libhdf5's
    /// `H5S_get_select_num_elem_non_unlim`) of a regular hyperslab; `None` for other
    /// selections or on overflow.
    pub fn non_unlimited_elements(&self) -> Option<u64> {
        let axis = self.unlimited_axis();
        match self {
            Selection::Regular(dims) => {
                dims.iter()
                    .enumerate()
                    .try_fold(1u64, |acc, (i, d)| match Some(i) == axis {
                        true => Some(acc),
                        false => acc.checked_mul(d.count.checked_mul(d.block)?),
                    })
            }
            _ => None,
        }
    }

    /// The selection of block `k` of a regular hyperslab's unlimited axis (libhdf5's
    /// `H5S_hyper_get_unlim_block`): that axis becomes the one block. `None` when the
    /// selection has no unlimited axis or the block lies past the largest position.
    pub fn unlimited_block(&self, k: u64) -> Option<Selection> {
        let axis = self.unlimited_axis()?;
        let Selection::Regular(dims) = self else {
            return None;
        };
        let mut dims = dims.clone();
        let d = dims.get_mut(axis)?;
        if d.block == UNLIMITED {
            return None;
        }
        let start = k.checked_mul(d.stride)?.checked_add(d.start)?;
        *d = RegularDim::range(start, d.block);
        Some(Selection::Regular(dims))
    }
}

fn show(v: u64) -> String {
    if v == UNLIMITED {
        "unlimited".into()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::dataspace::selection::HyperBlock;

    fn r(s: u64, st: u64, c: u64, b: u64) -> RegularDim {
        RegularDim::new(s, st, c, b)
    }

    fn blocks(list: &[(&[u64], &[u64])]) -> Selection {
        Selection::Blocks {
            rank: list[0].0.len(),
            blocks: list
                .iter()
                .map(|(s, e)| HyperBlock {
                    start: s.to_vec(),
                    end: e.to_vec(),
                })
                .collect(),
        }
    }

    /// What h5py 3.16 / libhdf5 2.0 (`libver='v110'`) stored for these selections.
    #[test]
    fn forms_seen_in_libhdf5_files() {
        let form = |dims: Vec<RegularDim>| Selection::Regular(dims).libhdf5_form().unwrap();
        // 10 single positions: one block.
        assert_eq!(form(vec![r(0, 1, 10, 1)]), blocks(&[(&[0], &[9])]));
        // Rows merged, 3 column blocks: a list of 3 blocks.
        assert_eq!(
            form(vec![r(0, 1, 4, 1), r(0, 2, 3, 1)]),
            blocks(&[(&[0, 0], &[3, 0]), (&[0, 2], &[3, 2]), (&[0, 4], &[3, 4])])
        );
        // 4 blocks: regular, optimized.
        assert_eq!(
            form(vec![r(0, 1, 4, 1), r(0, 2, 4, 1)]),
            Selection::Regular(vec![r(0, 1, 1, 4), r(0, 2, 4, 1)])
        );
        assert_eq!(
            form(vec![r(1, 5, 1, 3), r(0, 2, 4, 1)]),
            Selection::Regular(vec![r(1, 1, 1, 3), r(0, 2, 4, 1)])
        );
        // Touching blocks: one.
        assert_eq!(form(vec![r(0, 3, 8, 3)]), blocks(&[(&[0], &[23])]));
        // Unlimited: as given, but a single block's stride is 1.
        assert_eq!(
            form(vec![r(0, 1, UNLIMITED, 1)]),
            Selection::Regular(vec![r(0, 1, UNLIMITED, 1)])
        );
        assert_eq!(
            form(vec![r(2, 7, 1, UNLIMITED)]),
            Selection::Regular(vec![r(2, 1, 1, UNLIMITED)])
        );
        assert_eq!(
            form(vec![r(0, 1, 2, 1), r(0, 1, UNLIMITED, 1)]),
            Selection::Regular(vec![r(0, 1, 2, 1), r(0, 1, UNLIMITED, 1)])
        );
        // Past 32 bits: regular.
        let big = 1u64 << 33;
        assert_eq!(
            form(vec![r(big, 1, 1, 2)]),
            Selection::Regular(vec![r(big, 1, 1, 2)])
        );
        assert_eq!(Selection::All.libhdf5_form().unwrap(), Selection::All);
    }

    #[test]
    fn hyperslab_arguments_are_checked() {
        assert!(Selection::hyperslab(&[0], None, &[2], None).is_ok());
        for (start, stride, count, block) in [
            (vec![0u64], vec![1u64], vec![2u64, 1], vec![1u64]),
            (vec![0], vec![0], vec![2], vec![1]),
            (vec![0], vec![1], vec![0], vec![1]),
            (vec![0], vec![1], vec![2], vec![2]),
            (vec![0], vec![1], vec![UNLIMITED], vec![UNLIMITED]),
            (
                vec![0, 0],
                vec![1, 1],
                vec![UNLIMITED, 1],
                vec![1, UNLIMITED],
            ),
            (vec![u64::MAX - 1], vec![1], vec![1], vec![2]),
            (vec![], vec![], vec![], vec![]),
        ] {
            assert!(
                Selection::hyperslab(&start, Some(&stride), &count, Some(&block)).is_err(),
                "{start:?} {stride:?} {count:?} {block:?}"
            );
        }
        let s = Selection::Regular(vec![r(1, 5, UNLIMITED, 2), r(0, 1, 1, 3)]);
        assert_eq!(s.non_unlimited_elements(), Some(3));
        assert_eq!(
            s.unlimited_block(2),
            Some(Selection::Regular(vec![r(11, 1, 1, 2), r(0, 1, 1, 3)]))
        );
    }
}
