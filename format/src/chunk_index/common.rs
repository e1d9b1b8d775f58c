//! Pieces shared by the array-based chunk indexes (Appendix C): the encoding of one chunk
//! record ("Data Block Element for (Non-)filtered Dataset Chunk") and the mapping between a
//! chunk's linear index and its position in the chunk grid (`#ChunkIndex`).
//!
//! Two facts the spec text does not state, taken from libhdf5 (`H5Dfarray.c`, `H5Dearray.c`,
//! `H5Dnone.c`) and checked against files it wrote:
//!
//! - The linear index runs over the grid of the **maximum** dimensions (`max_down_chunks`),
//!   not the current ones, so that it stays stable when the dataset grows.
//! - For the extensible array the unlimited axis is moved to the front ("swizzled") before
//!   linearising: it becomes the slowest-changing axis, the others keep their order.
//!
//! The width of the "chunk size" field of filtered records is
//! `1 + (floor(log2(chunk bytes)) + 8) / 8` bytes (at most 8) for layout version 4, and
//! "size of lengths" bytes for layout version 5 (HDF5 2.0).

use super::IndexParams;
use crate::dataspace::UNLIMITED;
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};

/// Width in bytes of the "chunk size" field in filtered chunk records (fixed array and
/// extensible array elements, version 2 B-tree record type 11).
pub fn filtered_size_width(params: &IndexParams<'_>, sizes: Sizes) -> Result<usize> {
    if params.layout_version >= 5 {
        return Ok(usize::from(sizes.length));
    }
    let bytes = params
        .chunk_bytes()
        .ok_or_else(|| Error::LimitExceeded("chunk size in bytes overflows 64 bits".into()))?;
    // floor(log2(bytes)); libhdf5's log2 of 0 is 0.
    let log2 = 63u32.saturating_sub(bytes.max(1).leading_zeros());
    let width = 1 + (log2 as usize + 8) / 8;
    Ok(width.min(8))
}

/// A decoded chunk record: address, stored size and filter mask.
pub type Record = (Addr, u64, u32);

/// How one chunk record of an array index is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFormat {
    /// Whether records carry a chunk size and a filter mask.
    pub filtered: bool,
    /// Width of the chunk size field (filtered records only).
    pub size_width: usize,
    /// Size of addresses in the file.
    pub offset_size: u8,
    /// Size of an unfiltered chunk, the size reported for unfiltered records.
    pub chunk_bytes: u64,
}

impl RecordFormat {
    /// The record format of the dataset described by `params` in a file with `sizes`.
    pub fn new(params: &IndexParams<'_>, sizes: Sizes) -> Result<Self> {
        let chunk_bytes = params
            .chunk_bytes()
            .ok_or_else(|| Error::LimitExceeded("chunk size in bytes overflows 64 bits".into()))?;
        Ok(RecordFormat {
            filtered: params.filtered,
            size_width: if params.filtered {
                filtered_size_width(params, sizes)?
            } else {
                0
            },
            offset_size: sizes.offset,
            chunk_bytes,
        })
    }

    /// Encoded size of one record.
    pub fn record_size(&self) -> usize {
        if self.filtered {
            usize::from(self.offset_size) + self.size_width + 4
        } else {
            usize::from(self.offset_size)
        }
    }

    /// The client ID that arrays of these records carry (0 unfiltered, 1 filtered).
    pub fn client_id(&self) -> u8 {
        u8::from(self.filtered)
    }

    /// Check an array header's client ID and element size against these records; `what`
    /// names the size field ("element size", "entry size") in the error.
    pub fn check_header(
        &self,
        client_id: u8,
        size: u8,
        what: &str,
        structure: &'static str,
        at: u64,
    ) -> Result<()> {
        if client_id != self.client_id() {
            return Err(Error::corrupt(
                structure,
                at,
                format!(
                    "client ID {client_id} does not match a dataset {} filters",
                    if self.filtered { "with" } else { "without" }
                ),
            ));
        }
        if usize::from(size) != self.record_size() {
            return Err(Error::corrupt(
                structure,
                at,
                format!(
                    "{what} {size} differs from the expected {}",
                    self.record_size()
                ),
            ));
        }
        Ok(())
    }

    /// Decode one record: `None` when its address is undefined (chunk never written),
    /// else the address, stored size and filter mask.
    pub fn read(&self, c: &mut Cursor<'_>) -> Result<Option<Record>> {
        let addr = c.addr()?;
        let (size, mask) = if self.filtered {
            (c.uint(self.size_width)?, c.u32()?)
        } else {
            (self.chunk_bytes, 0)
        };
        Ok(addr.map(|a| (a, size, mask)))
    }

    /// Encode one record (`None`: a chunk never written, the undefined address with a zero
    /// size and mask, as libhdf5's fill callback writes it).
    pub fn write(&self, out: &mut Vec<u8>, rec: Option<Record>) -> Result<()> {
        let sizes = Sizes {
            offset: self.offset_size,
            length: 8,
        };
        out.put_addr(rec.map(|r| r.0), sizes)?;
        if self.filtered {
            let (size, mask) = rec.map_or((0, 0), |r| (r.1, r.2));
            out.put_uint(size, self.size_width)?;
            out.put_u32(mask);
        }
        Ok(())
    }
}

/// The linear index of every chunk in `grid`, paired with its record, sorted by index.
/// A chunk whose offset is not on the grid (not a multiple of the chunk dimensions, or
/// outside it) or that appears twice is an [`Error::Invalid`].
pub fn index_chunks(grid: &Grid, chunks: &[super::Chunk]) -> Result<Vec<(u64, Record)>> {
    let mut out = Vec::with_capacity(chunks.len());
    for c in chunks {
        let scaled = c
            .offset
            .iter()
            .zip(&grid.chunk_dims)
            .map(|(&o, &d)| (d != 0 && o % d == 0).then(|| o / d))
            .collect::<Option<Vec<u64>>>()
            .filter(|s| s.len() == grid.chunk_dims.len())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "chunk offset {:?} is not on the chunk grid",
                    c.offset
                ))
            })?;
        let index = grid.index_of(&scaled).ok_or_else(|| {
            Error::Invalid(format!(
                "chunk offset {:?} lies outside the chunk grid",
                c.offset
            ))
        })?;
        out.push((index, (c.addr, c.size, c.filter_mask)));
    }
    out.sort_by_key(|e| e.0);
    if out.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
        return Err(Error::Invalid("two chunks have the same offset".into()));
    }
    Ok(out)
}

/// Set bit `index` of a libhdf5 bitmap (bit 0 is the high bit of byte 0).
pub fn set_bit(bitmap: &mut [u8], index: u64) {
    if let Some(b) = usize::try_from(index / 8)
        .ok()
        .and_then(|byte| bitmap.get_mut(byte))
    {
        *b |= 0x80 >> (index % 8);
    }
}

/// Append the lookup3 checksum of `buf[from..]`.
pub fn seal(buf: &mut Vec<u8>, from: usize) {
    let sum = crate::checksum::metadata(buf.get(from..).unwrap_or_default());
    buf.extend_from_slice(&sum.to_le_bytes());
}

/// A chunk grid linearised in row-major order over a permutation of the axes.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Axes from slowest- to fastest-changing.
    order: Vec<usize>,
    /// Number of chunks along each axis (indexed by axis); `None` when unbounded.
    counts: Vec<Option<u64>>,
    /// Chunk dimensions (indexed by axis).
    chunk_dims: Vec<u64>,
}

impl Grid {
    /// The grid over the maximum dimensions of `params`, axes in their natural order (fixed
    /// array and implicit indexes). `structure`/`offset` name the index for errors.
    pub fn max_grid(
        params: &IndexParams<'_>,
        structure: &'static str,
        offset: u64,
    ) -> Result<Self> {
        check_params(params, structure, offset)?;
        let counts = params
            .max_dims
            .iter()
            .zip(params.chunk_dims)
            .map(|(&m, &c)| {
                if m == UNLIMITED {
                    Err(Error::corrupt(
                        structure,
                        offset,
                        "this chunk index needs fixed maximum dimensions, found an unlimited one",
                    ))
                } else {
                    Ok(Some(m.div_ceil(c)))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Grid {
            order: (0..counts.len()).collect(),
            counts,
            chunk_dims: params.chunk_dims.to_vec(),
        })
    }

    /// The grid of an extensible array: the (single) unlimited axis first, then the other
    /// axes in order over their maximum dimensions.
    pub fn swizzled(
        params: &IndexParams<'_>,
        structure: &'static str,
        offset: u64,
    ) -> Result<Self> {
        check_params(params, structure, offset)?;
        let unlimited: Vec<usize> = params
            .max_dims
            .iter()
            .enumerate()
            .filter(|(_, &m)| m == UNLIMITED)
            .map(|(i, _)| i)
            .collect();
        if unlimited.len() > 1 {
            return Err(Error::corrupt(
                structure,
                offset,
                format!(
                    "an extensible array indexes datasets with one unlimited dimension, found {}",
                    unlimited.len()
                ),
            ));
        }
        let unlim = unlimited.first().copied().unwrap_or(0);
        let counts = params
            .max_dims
            .iter()
            .zip(params.chunk_dims)
            .enumerate()
            .map(|(i, (&m, &c))| {
                if i == unlim {
                    None
                } else {
                    Some(m.div_ceil(c))
                }
            })
            .collect::<Vec<_>>();
        let mut order = vec![unlim];
        order.extend((0..counts.len()).filter(|&i| i != unlim));
        Ok(Grid {
            order,
            counts,
            chunk_dims: params.chunk_dims.to_vec(),
        })
    }

    /// Total number of chunks in the grid, `None` when unbounded or beyond 64 bits.
    pub fn total(&self) -> Option<u64> {
        self.counts
            .iter()
            .try_fold(1u64, |acc, c| c.and_then(|c| acc.checked_mul(c)))
    }

    /// Element coordinates of the chunk with linear index `index`, or `None` if the index
    /// lies outside the grid (or the coordinates overflow).
    pub fn offset_of(&self, mut index: u64) -> Option<Vec<u64>> {
        let mut scaled = vec![0u64; self.counts.len()];
        for (pos, &axis) in self.order.iter().enumerate().rev() {
            let count = *self.counts.get(axis)?;
            let coord = if pos == 0 {
                // Slowest axis: what is left must fit along it.
                let c = index;
                if count.is_some_and(|n| c >= n) {
                    return None;
                }
                c
            } else {
                let n = count?;
                if n == 0 {
                    return None;
                }
                let c = index % n;
                index /= n;
                c
            };
            *scaled.get_mut(axis)? = coord;
        }
        scaled
            .iter()
            .zip(&self.chunk_dims)
            .map(|(&s, &c)| s.checked_mul(c))
            .collect()
    }

    /// Linear index of the chunk at scaled (chunk-unit) coordinates `scaled`, or `None` if
    /// outside the grid.
    pub fn index_of(&self, scaled: &[u64]) -> Option<u64> {
        let mut index = 0u64;
        for (pos, &axis) in self.order.iter().enumerate() {
            let s = *scaled.get(axis)?;
            let count = *self.counts.get(axis)?;
            if count.is_some_and(|n| s >= n) {
                return None;
            }
            if pos > 0 {
                index = index.checked_mul(count?)?;
            }
            index = index.checked_add(s)?;
        }
        Some(index)
    }
}

/// Check that the dimension lists agree and that no chunk dimension is zero.
pub fn check_params(params: &IndexParams<'_>, structure: &'static str, offset: u64) -> Result<()> {
    let rank = params.chunk_dims.len();
    if rank == 0 || params.dims.len() != rank || params.max_dims.len() != rank {
        return Err(Error::corrupt(
            structure,
            offset,
            format!(
                "chunk rank {rank} does not match the dataspace (rank {}, {} maximum dimensions)",
                params.dims.len(),
                params.max_dims.len()
            ),
        ));
    }
    if params.chunk_dims.contains(&0) {
        return Err(Error::corrupt(
            structure,
            offset,
            "a chunk dimension is zero",
        ));
    }
    if params.element_size == 0 {
        return Err(Error::corrupt(structure, offset, "element size is zero"));
    }
    Ok(())
}

/// Whether bit `index` is set in a libhdf5 bitmap (bit 0 is the high bit of byte 0).
pub fn bit_set(bitmap: &[u8], index: u64) -> bool {
    usize::try_from(index / 8)
        .ok()
        .and_then(|byte| bitmap.get(byte))
        .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn params<'a>(dims: &'a [u64], max: &'a [u64], chunk: &'a [u64]) -> IndexParams<'a> {
        IndexParams {
            dims,
            max_dims: max,
            chunk_dims: chunk,
            element_size: 4,
            filtered: true,
            layout_version: 4,
        }
    }

    #[test]
    fn size_width_follows_libhdf5() {
        let s = Sizes::default();
        // 400-byte chunks use 3 bytes, 200-byte chunks 2 bytes (spec README note 2).
        assert_eq!(
            filtered_size_width(&params(&[100], &[100], &[100]), s).unwrap(),
            3
        );
        assert_eq!(
            filtered_size_width(&params(&[50], &[50], &[50]), s).unwrap(),
            2
        );
        assert_eq!(
            filtered_size_width(&params(&[1], &[1], &[1]), s).unwrap(),
            1 + 10 / 8
        );
        let mut p = params(&[50], &[50], &[50]);
        p.layout_version = 5;
        assert_eq!(filtered_size_width(&p, s).unwrap(), 8);
        let big = [u64::MAX / 8];
        assert_eq!(
            filtered_size_width(&params(&big, &big, &big), s).unwrap(),
            8
        );
    }

    #[test]
    fn spec_example_chunk_index() {
        // Spec #ChunkIndex example: dims [4,5], chunks [3,2]; offset [3,4] is chunk 5.
        let p = params(&[4, 5], &[4, 5], &[3, 2]);
        let g = Grid::max_grid(&p, "t", 0).unwrap();
        assert_eq!(g.total(), Some(6));
        assert_eq!(g.index_of(&[1, 2]), Some(5));
        assert_eq!(g.offset_of(5), Some(vec![3, 4]));
        assert_eq!(g.offset_of(6), None);
    }

    #[test]
    fn swizzled_grid_puts_unlimited_axis_first() {
        let max = [10, UNLIMITED];
        let p = params(&[9, 450], &max, &[2, 1]);
        let g = Grid::swizzled(&p, "t", 0).unwrap();
        assert_eq!(g.total(), None);
        // index = column * 5 + row chunk
        assert_eq!(g.offset_of(0), Some(vec![0, 0]));
        assert_eq!(g.offset_of(4), Some(vec![8, 0]));
        assert_eq!(g.offset_of(7), Some(vec![4, 1]));
        assert_eq!(g.index_of(&[2, 1]), Some(7));
        let max = [UNLIMITED, 10];
        let p = params(&[7, 6], &max, &[8, 4]);
        let g = Grid::swizzled(&p, "t", 0).unwrap();
        assert_eq!(g.offset_of(4), Some(vec![8, 4]));
        assert_eq!(g.offset_of(u64::MAX), None, "offset overflow");
        let two = [UNLIMITED, UNLIMITED];
        assert!(Grid::swizzled(&params(&[1, 1], &two, &[1, 1]), "t", 0).is_err());
    }

    #[test]
    fn bad_params_are_rejected() {
        assert!(Grid::max_grid(&params(&[4], &[4, 4], &[2]), "t", 0).is_err());
        assert!(Grid::max_grid(&params(&[4], &[4], &[0]), "t", 0).is_err());
        assert!(Grid::max_grid(&params(&[4], &[UNLIMITED], &[2]), "t", 0).is_err());
    }

    #[test]
    fn bitmap_bits_are_msb_first() {
        let map = [0b1000_0001u8, 0b0100_0000];
        assert!(bit_set(&map, 0));
        assert!(!bit_set(&map, 1));
        assert!(bit_set(&map, 7));
        assert!(bit_set(&map, 9));
        assert!(!bit_set(&map, 100));
    }
}
