//! Chunk index: implicit (spec Appendix C, `#Implicit`). Space for every chunk of the grid
//! over the **maximum** dimensions is allocated at creation, consecutively from the index
//! address; chunk `i` (linear index over that grid, `#ChunkIndex`) is at
//! `addr + i * chunk bytes`. libhdf5 (`H5Dnone.c`) reports the chunks of the current grid.

use super::common::{check_params, Grid};
use super::{Chunk, IndexParams};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

const STRUCTURE: &str = "implicit chunk index";

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let at = img.absolute(addr);
    check_params(params, STRUCTURE, at)?;
    let grid = Grid::max_grid(params, STRUCTURE, at)?;
    let chunk_bytes = params
        .chunk_bytes()
        .ok_or_else(|| Error::LimitExceeded("chunk size in bytes overflows 64 bits".into()))?;
    let stored = grid
        .total()
        .and_then(|n| n.checked_mul(chunk_bytes))
        .ok_or_else(|| Error::corrupt(STRUCTURE, at, "size of the chunk array overflows"))?;
    // All chunks of the maximum grid are allocated: they must all be inside the file.
    img.slice(addr, stored, STRUCTURE)?;

    let current = params.chunks_per_axis(params.dims);
    let count = current
        .iter()
        .try_fold(1u64, |acc, &n| acc.checked_mul(n))
        .ok_or_else(|| Error::corrupt(STRUCTURE, at, "number of chunks overflows"))?;
    let mut out = Vec::new();
    let mut scaled = vec![0u64; current.len()];
    for _ in 0..count {
        let index = grid.index_of(&scaled).ok_or_else(|| {
            Error::corrupt(
                STRUCTURE,
                at,
                format!("chunk {scaled:?} lies outside the grid of the maximum dimensions"),
            )
        })?;
        // index < total, so index * chunk_bytes <= stored: no overflow.
        let chunk_addr = Addr(addr.get().saturating_add(index.saturating_mul(chunk_bytes)));
        let offset = scaled
            .iter()
            .zip(params.chunk_dims)
            .map(|(&s, &c)| s.saturating_mul(c))
            .collect();
        out.push(Chunk {
            offset,
            addr: chunk_addr,
            size: chunk_bytes,
            filter_mask: 0,
        });
        // Next chunk in row-major order over the current grid.
        for (s, &n) in scaled.iter_mut().zip(&current).rev() {
            *s += 1;
            if *s < n {
                break;
            }
            *s = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::io::Sizes;

    fn params<'a>(dims: &'a [u64], max: &'a [u64]) -> IndexParams<'a> {
        IndexParams {
            dims,
            max_dims: max,
            chunk_dims: &[2, 3],
            element_size: 4,
            filtered: false,
            layout_version: 4,
        }
    }

    #[test]
    fn addresses_follow_the_maximum_grid() {
        // dims 5x5 -> current grid 3x2; max 8x6 -> grid 4x2; chunks are 24 bytes.
        let bytes = vec![0u8; 100 + 8 * 24];
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let c = chunks(&img, Addr(100), &params(&[5, 5], &[8, 6])).unwrap();
        assert_eq!(c.len(), 6);
        assert_eq!(c[0].offset, vec![0, 0]);
        assert_eq!(c[1].offset, vec![0, 3]);
        assert_eq!(c[1].addr, Addr(124));
        assert_eq!(c[2].offset, vec![2, 0]);
        assert_eq!(c[2].addr, Addr(148));
        assert_eq!(c[5].offset, vec![4, 3]);
        assert_eq!(c[5].addr, Addr(100 + 5 * 24));
        assert!(c.iter().all(|c| c.size == 24 && c.filter_mask == 0));
    }

    #[test]
    fn chunk_array_must_fit_in_the_file() {
        let bytes = vec![0u8; 100 + 8 * 24 - 1];
        let img = FileImage::new(&bytes, 0, Sizes::default());
        assert!(matches!(
            chunks(&img, Addr(100), &params(&[5, 5], &[8, 6])),
            Err(Error::Corrupt { .. })
        ));
        let huge = [u64::MAX, u64::MAX - 1];
        assert!(chunks(&img, Addr(0), &params(&huge, &huge)).is_err());
    }

    #[test]
    fn dims_beyond_max_dims_are_corrupt() {
        let bytes = vec![0u8; 1000];
        let img = FileImage::new(&bytes, 0, Sizes::default());
        assert!(chunks(&img, Addr(0), &params(&[9, 5], &[8, 6])).is_err());
    }
}
