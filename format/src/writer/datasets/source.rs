//! Where the elements of a write come from: already encoded bytes ([`RawElements`]) or any
//! other [`ElementSource`] that encodes elements on demand (the high-level API passes the
//! caller's typed slice, so that each chunk is encoded straight into its chunk buffer and
//! no whole-array byte copy is made). Elements are in selection order (row-major over the
//! selected positions), each in the dataset's encoding.

use crate::error::{Error, Result};
use crate::hyperslab::{self, AxisSel};

/// The selected elements of a write, in selection order.
pub trait ElementSource {
    /// Number of elements.
    fn len(&self) -> usize;

    /// Whether there are no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Encode the elements `start..start + out.len() / element_size` into `out` (whose
    /// length is a multiple of the dataset's element size).
    fn encode(&self, start: usize, out: &mut [u8]) -> Result<()>;

    /// The elements as encoded bytes, when the source already holds them so (they are then
    /// written to the file without an intermediate copy where possible).
    fn bytes(&self) -> Option<&[u8]> {
        None
    }
}

/// Elements already in the dataset's encoding.
#[derive(Clone, Copy, Debug)]
pub struct RawElements<'a> {
    bytes: &'a [u8],
    elem: usize,
}

impl<'a> RawElements<'a> {
    /// `bytes` holds whole elements of `elem` bytes (checked by the writer against the
    /// selection: `bytes.len()` must be the selected count times `elem`).
    pub fn new(bytes: &'a [u8], elem: usize) -> Self {
        RawElements { bytes, elem }
    }
}

fn out_of_range() -> Error {
    Error::Invalid("selection out of range of the data written".into())
}

impl ElementSource for RawElements<'_> {
    fn len(&self) -> usize {
        self.bytes.len().checked_div(self.elem).unwrap_or(0)
    }

    fn encode(&self, start: usize, out: &mut [u8]) -> Result<()> {
        let from = start.checked_mul(self.elem).ok_or_else(out_of_range)?;
        let to = from.checked_add(out.len()).ok_or_else(out_of_range)?;
        out.copy_from_slice(self.bytes.get(from..to).ok_or_else(out_of_range)?);
        Ok(())
    }

    fn bytes(&self) -> Option<&[u8]> {
        Some(self.bytes)
    }
}

/// Copy the selected elements that fall inside the block at `origin` (shape `block_dims`)
/// from `src` into `block` (the block's elements, row-major, `elem` bytes each).
pub fn scatter(
    sel: &[AxisSel],
    origin: &[u64],
    block_dims: &[u64],
    block: &mut [u8],
    src: &dyn ElementSource,
    elem: usize,
) -> Result<()> {
    let outside = || Error::Invalid("selection outside the block being written".into());
    hyperslab::for_each_run(sel, origin, block_dims, &mut |run| {
        if run.step == 1 {
            let to = block
                .get_mut(run.block * elem..(run.block + run.n) * elem)
                .ok_or_else(outside)?;
            src.encode(run.out, to)
        } else {
            for i in 0..run.n {
                let b = (run.block + i * run.step) * elem;
                let to = block.get_mut(b..b + elem).ok_or_else(outside)?;
                src.encode(run.out + i, to)?;
            }
            Ok(())
        }
    })
}

/// Whether the chunk at `origin` lies entirely inside the dataset's `dims` (not an edge chunk).
pub fn inside(origin: &[u64], chunk: &[u64], dims: &[u64]) -> bool {
    origin
        .iter()
        .zip(chunk)
        .zip(dims)
        .all(|((&o, &c), &d)| o.checked_add(c).is_some_and(|end| end <= d))
}

/// When the selected elements inside the chunk at `origin` are all of the chunk, lie inside
/// the dataset (`dims`) and are consecutive in selection order: the index of the first one.
/// Such a chunk is one run of the source, in the chunk's own element order.
pub fn whole_chunk_run(
    sel: &[AxisSel],
    origin: &[u64],
    chunk: &[u64],
    dims: &[u64],
) -> Option<usize> {
    let axes = || sel.iter().zip(origin).zip(chunk).zip(dims);
    let covered =
        axes().all(|(((a, &o), &c), _)| a.step == 1 && a.start <= o && a.start + a.count >= o + c);
    if !inside(origin, chunk, dims) || !covered {
        return None;
    }
    // Row-major: after the first axis on which the chunk spans more than one position, the
    // chunk must span the whole selection on every axis.
    let mut spanning = false;
    for (((a, _), &c), _) in axes() {
        if spanning && c != a.count {
            return None;
        }
        spanning |= c > 1;
    }
    // Index in selection order of the chunk's first element.
    let mut first = 0u64;
    for (((a, &o), _), _) in axes() {
        first = first.checked_mul(a.count)?.checked_add(o - a.start)?;
    }
    usize::try_from(first).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn axis(start: u64, count: u64) -> AxisSel {
        AxisSel {
            start,
            step: 1,
            count,
            keep: true,
        }
    }

    #[test]
    fn raw_elements_encode_ranges() {
        let bytes: Vec<u8> = (0..12).collect();
        let src = RawElements::new(&bytes, 4);
        assert_eq!(src.len(), 3);
        let mut out = [0u8; 8];
        src.encode(1, &mut out).unwrap();
        assert_eq!(out, [4, 5, 6, 7, 8, 9, 10, 11]);
        assert!(src.encode(2, &mut out).is_err());
        assert_eq!(src.bytes().unwrap().len(), 12);
        assert_eq!(RawElements::new(&bytes, 0).len(), 0);
    }

    #[test]
    fn whole_chunk_runs_1d() {
        let sel = [axis(0, 100)];
        assert_eq!(whole_chunk_run(&sel, &[10], &[10], &[100]), Some(10));
        // Edge chunk reaching past the dataset.
        assert_eq!(whole_chunk_run(&sel, &[95], &[10], &[100]), None);
        // Selection not covering the chunk.
        assert_eq!(whole_chunk_run(&[axis(12, 50)], &[10], &[10], &[100]), None);
        assert_eq!(
            whole_chunk_run(&[axis(5, 50)], &[10], &[10], &[100]),
            Some(5)
        );
    }

    #[test]
    fn whole_chunk_runs_2d() {
        // Chunks of whole rows are consecutive in selection order.
        let sel = [axis(0, 8), axis(0, 6)];
        assert_eq!(whole_chunk_run(&sel, &[2, 0], &[2, 6], &[8, 6]), Some(12));
        // Chunks of part rows are not (unless one row high).
        assert_eq!(whole_chunk_run(&sel, &[2, 0], &[2, 3], &[8, 6]), None);
        assert_eq!(whole_chunk_run(&sel, &[2, 3], &[1, 3], &[8, 6]), Some(15));
    }

    /// The typed path (chunks encoded straight from the array) and the raw-bytes path write
    /// the same file contents, for whole, partial, edge and strided selections.
    #[test]
    fn typed_and_raw_writes_agree() {
        use crate::{File, Selection, SliceArg};
        use ndarray::{ArrayD, IxDyn};
        let dir = crate::portable::scratch_root("jangada-source");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("typed_raw.h5");
        let file = File::create(&path).unwrap();
        let root = file.root().unwrap();
        let make = |name: &str| {
            root.new_dataset(name)
                .dtype_of::<i32>()
                .shape(&[10, 7])
                .chunks(&[4, 3])
                .create()
                .unwrap()
        };
        let (typed, raw) = (make("typed"), make("raw"));
        let sels = [
            Selection::all(),
            Selection::new([SliceArg::range(2, 9), SliceArg::range(1, 7)]),
            Selection::new([SliceArg::stepped(1, 10, 3), SliceArg::stepped(0, 7, 2)]),
            Selection::new([SliceArg::range(4, 8), SliceArg::range(0, 7)]),
        ];
        for (k, sel) in sels.iter().enumerate() {
            let resolved = sel.resolve(&[10, 7]).unwrap();
            let shape: Vec<usize> = resolved.iter().map(|a| a.count as usize).collect();
            let n: usize = shape.iter().product();
            let values: Vec<i32> = (0..n as i32).map(|v| v * 10 + k as i32).collect();
            let arr = ArrayD::from_shape_vec(IxDyn(&shape), values.clone()).unwrap();
            typed.write_slice(sel, &arr).unwrap();
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            raw.write_raw(sel, &bytes).unwrap();
            let a = typed.read::<i32>().unwrap();
            assert_eq!(a, raw.read::<i32>().unwrap(), "selection {k}");
        }
        let a = typed.read::<i32>().unwrap();
        assert_eq!(a[[4, 0]], 3);
        assert_eq!(a[[9, 6]], (9 * 7 + 6) * 10);
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inside_dims() {
        assert!(inside(&[0, 4], &[2, 4], &[2, 8]));
        assert!(!inside(&[0, 6], &[2, 4], &[2, 8]));
        assert!(!inside(&[u64::MAX], &[2], &[8]));
    }

    #[test]
    fn scatter_strided() {
        let bytes: Vec<u8> = (1..=3).collect();
        let src = RawElements::new(&bytes, 1);
        let sel = [AxisSel {
            start: 1,
            step: 2,
            count: 3,
            keep: true,
        }];
        let mut block = vec![0u8; 8];
        scatter(&sel, &[0], &[8], &mut block, &src, 1).unwrap();
        assert_eq!(block, [0, 1, 0, 2, 0, 3, 0, 0]);
    }
}
