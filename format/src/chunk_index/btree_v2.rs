//! Chunk index: version 2 B-tree, record types 10 (unfiltered) and 11 (filtered) (Appendix C,
//! "The Version 2 B-trees Index"; record layouts in spec III.A.2).
//!
//! Each record holds the chunk's address, for filtered datasets its stored size and filter
//! mask, and its scaled offset (element offset divided by the chunk dimension) on every axis.
//! The stored-size field of filtered records is as wide as libhdf5 makes it
//! (`H5D__bt2_crt_context`): `1 + (floor(log2(chunk bytes)) + 8) / 8` bytes, at most 8, and
//! "size of lengths" bytes for layout message version 5.

use super::{Chunk, IndexParams};
use crate::btree::v2::{self as bt2, ChunkRecord};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

const STRUCTURE: &str = "v2 B-tree chunk index";

/// Width in bytes of the stored-size field of a filtered chunk record.
pub fn chunk_size_width(params: &IndexParams<'_>, length_size: u8) -> Option<usize> {
    if params.layout_version >= 5 {
        return Some(usize::from(length_size));
    }
    let bytes = params.chunk_bytes().filter(|&b| b > 0)?;
    let log2 = 63 - bytes.leading_zeros() as usize;
    Some((1 + (log2 + 8) / 8).min(8))
}

/// Build a v2 B-tree chunk index (stub: another change provides the real builder).
pub fn build(
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    space: &mut dyn crate::writer::Space,
    emit: &mut crate::writer::Emit,
) -> Result<Addr> {
    let _ = (chunks, params, space, emit);
    Err(Error::Unsupported(
        "building v2 B-tree chunk indexes is not implemented yet".into(),
    ))
}

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let at = img.absolute(addr);
    let sizes = img.sizes();
    let chunk_bytes = params
        .chunk_bytes()
        .filter(|&b| b > 0)
        .ok_or_else(|| Error::corrupt(STRUCTURE, at, "chunk size is zero or overflows"))?;
    if params.chunk_dims.len() != params.dims.len() {
        return Err(Error::corrupt(
            STRUCTURE,
            at,
            format!(
                "{} chunk dimensions for a rank-{} dataset",
                params.chunk_dims.len(),
                params.dims.len()
            ),
        ));
    }
    let (header, records) = bt2::raw_records(img, addr)?;
    let want_type = if params.filtered { 11 } else { 10 };
    if header.record_type != want_type {
        return Err(Error::corrupt(
            STRUCTURE,
            at,
            format!(
                "B-tree record type {}, expected {want_type}",
                header.record_type
            ),
        ));
    }
    let size_width = if params.filtered {
        Some(
            chunk_size_width(params, sizes.length)
                .ok_or_else(|| Error::corrupt(STRUCTURE, at, "chunk size overflows"))?,
        )
    } else {
        None
    };
    let rank = params.dims.len();
    records
        .iter()
        .map(|r| {
            let rec = ChunkRecord::decode(r, sizes, size_width, rank)?;
            let offset = rec
                .scaled
                .iter()
                .zip(params.chunk_dims)
                .map(|(&s, &d)| s.checked_mul(d))
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| Error::corrupt(STRUCTURE, r.offset, "chunk offset overflows"))?;
            Ok(Chunk {
                offset,
                addr: rec.addr,
                size: rec.size.unwrap_or(chunk_bytes),
                filter_mask: rec.filter_mask,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
