//! Choosing a chunk shape when the caller gives none: h5py's `guess_chunk` rule, so that our
//! files are chunked like jangada's (h5py 3.16 `_hl/filters.py`, described in
//! `h5py-conventions.md` §3; the chunk itself is the spec's "Data Layout Message", chunked
//! storage).
//!
//! The rule works in `f64` throughout, like h5py (which keeps the shape in a float64 numpy
//! array and multiplies it out left to right), so that the stop tests compare exactly the same
//! floating-point numbers and give the same chunk for every shape.

/// The base chunk size in bytes (16 KiB): the target for a 1 MiB dataset.
pub const CHUNK_BASE: u64 = 16 * 1024;
/// The soft lower limit of the target chunk size in bytes (8 KiB).
pub const CHUNK_MIN: u64 = 8 * 1024;
/// The hard upper limit of a chunk's size in bytes (1 MiB), unless one element is larger.
pub const CHUNK_MAX: u64 = 1024 * 1024;

/// The length h5py substitutes for a zero-length axis.
const ZERO_AXIS_GUESS: f64 = 1024.0;

/// The chunk shape h5py would choose for `shape` with elements of `type_size` bytes.
///
/// Same result as `h5py._hl.filters.guess_chunk(shape, maxshape, type_size)` in h5py 3.16
/// (h5py ignores `maxshape`):
/// 1. zero-length axes count as 1024;
/// 2. the target size is `CHUNK_BASE * 2^log10(dataset bytes / 1 MiB)`, clamped to
///    [`CHUNK_MIN`, `CHUNK_MAX`];
/// 3. starting from the (adjusted) shape, the axes are halved in turn (axis 0, 1, ...,
///    wrapping around), rounding up, until the chunk is smaller than [`CHUNK_MAX`] and either
///    smaller than the target or within 50% of it, or until it is a single element.
///
/// A scalar shape (`[]`) gives `[]`: h5py raises `ValueError` there, since scalar datasets
/// cannot be chunked; callers must not chunk them. Axes beyond 2^53 are rounded to `f64` as in
/// h5py (this only shows when the axis is never halved, i.e. with `type_size == 0`).
pub fn guess_chunk(shape: &[u64], type_size: u64) -> Vec<u64> {
    if shape.is_empty() {
        return Vec::new();
    }
    // `u64 as f64` rounds to nearest, like numpy's conversion of a Python int to float64.
    let mut chunks: Vec<f64> = shape
        .iter()
        .map(|&d| if d == 0 { ZERO_AXIS_GUESS } else { d as f64 })
        .collect();
    let type_size = type_size as f64;
    let base = CHUNK_BASE as f64;
    let min = CHUNK_MIN as f64;
    let max = CHUNK_MAX as f64;

    let dset_size = product(&chunks) * type_size;
    let mut target = base * 2f64.powf((dset_size / (1024.0 * 1024.0)).log10());
    if target > max {
        target = max;
    } else if target < min {
        target = min;
    }

    let ndims = chunks.len();
    let mut idx = 0usize;
    loop {
        let elements = product(&chunks);
        let chunk_bytes = elements * type_size;
        if (chunk_bytes < target || (chunk_bytes - target).abs() / target < 0.5)
            && chunk_bytes < max
        {
            break;
        }
        if elements == 1.0 {
            break; // one element is larger than CHUNK_MAX
        }
        if let Some(axis) = chunks.get_mut(idx % ndims) {
            *axis = (*axis / 2.0).ceil();
        }
        // Each pass halves every axis, so at most ~1100 rounds for any u64 shape of rank 16.
        idx = idx.wrapping_add(1);
    }
    // `f64 as u64` truncates (the values are whole numbers) and saturates at u64::MAX.
    chunks.iter().map(|&c| c as u64).collect()
}

/// The product of `values`, multiplied left to right from 1 like h5py's `product`.
fn product(values: &[f64]) -> f64 {
    values.iter().fold(1.0, |acc, &v| acc * v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn h5py_conventions_table() {
        // h5py-conventions.md §3, computed with h5py 3.16.0.
        assert_eq!(guess_chunk(&[1000, 1000], 8), vec![63, 63]);
        assert_eq!(guess_chunk(&[100, 100], 4), vec![50, 50]);
        assert_eq!(guess_chunk(&[100], 8), vec![100]);
        assert_eq!(guess_chunk(&[0], 8), vec![1024]);
        assert_eq!(guess_chunk(&[0, 3], 4), vec![512, 3]);
        assert_eq!(guess_chunk(&[1_000_000], 4), vec![7813]);
        assert_eq!(guess_chunk(&[10_000_000], 8), vec![9766]);
        assert_eq!(guess_chunk(&[3, 1000, 1000], 4), vec![1, 63, 125]);
    }

    #[test]
    fn constants() {
        assert_eq!((CHUNK_BASE, CHUNK_MIN, CHUNK_MAX), (16384, 8192, 1048576));
    }

    #[test]
    fn scalar_gives_empty() {
        assert_eq!(guess_chunk(&[], 8), Vec::<u64>::new());
    }

    #[test]
    fn huge_element_stops_at_one_element() {
        // An element larger than CHUNK_MAX: halve down to a single element.
        assert_eq!(guess_chunk(&[5, 7], 2 * CHUNK_MAX), vec![1, 1]);
    }

    #[test]
    fn extreme_inputs_terminate() {
        assert_eq!(guess_chunk(&[u64::MAX; 16], 8).len(), 16);
        assert!(guess_chunk(&[u64::MAX; 16], 8).iter().all(|&c| c >= 1));
        assert_eq!(guess_chunk(&[10, 0], 0), vec![10, 1024]);
        assert_eq!(guess_chunk(&[3], u64::MAX), vec![1]);
    }
}
