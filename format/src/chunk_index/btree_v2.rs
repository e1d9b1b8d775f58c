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
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

const STRUCTURE: &str = "v2 B-tree chunk index";

/// Node size of the v2 B-tree chunk index libhdf5 creates (`H5D_BT2_NODE_SIZE`); the layout
/// message records it together with [`SPLIT_PERCENT`] and [`MERGE_PERCENT`].
pub const NODE_SIZE: u32 = 2048;
/// Split percentage of the chunk index (`H5D_BT2_SPLIT_PERC`).
pub const SPLIT_PERCENT: u8 = bt2::build::SPLIT_PERCENT;
/// Merge percentage of the chunk index (`H5D_BT2_MERGE_PERC`).
pub const MERGE_PERCENT: u8 = bt2::build::MERGE_PERCENT;

/// Width in bytes of the stored-size field of a filtered chunk record.
pub fn chunk_size_width(params: &IndexParams<'_>, length_size: u8) -> Option<usize> {
    if params.layout_version >= 5 {
        return Some(usize::from(length_size));
    }
    let bytes = params.chunk_bytes().filter(|&b| b > 0)?;
    let log2 = 63 - bytes.leading_zeros() as usize;
    Some((1 + (log2 + 8) / 8).min(8))
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
                // Type-10 records (no filters) store no size: such a chunk is always whole.
                size: rec.size.unwrap_or(chunk_bytes),
                filter_mask: rec.filter_mask,
            })
        })
        .collect()
}

/// Build a v2 B-tree chunk index over `chunks` (record type 11 when `params.filtered`, else
/// 10) with nodes of [`NODE_SIZE`] bytes; return the B-tree header's address.
///
/// Records are ordered by scaled offset, compared axis by axis as libhdf5 does
/// (`H5D__bt2_compare`). Every chunk offset must be a multiple of the chunk dimensions and
/// appear once; unfiltered chunks must have the full chunk size.
pub fn build(
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    let sizes = space.sizes();
    let rank = params.dims.len();
    if params.chunk_dims.len() != rank || params.chunk_dims.contains(&0) {
        return Err(Error::Invalid(format!(
            "chunk dimensions {:?} do not fit a rank-{rank} dataset",
            params.chunk_dims
        )));
    }
    let size_width = if params.filtered {
        Some(
            chunk_size_width(params, sizes.length)
                .ok_or_else(|| Error::Invalid("chunk size is zero or overflows".into()))?,
        )
    } else {
        None
    };
    let mut keyed = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        if chunk.offset.len() != rank {
            return Err(Error::Invalid(format!(
                "chunk offset {:?} has the wrong rank",
                chunk.offset
            )));
        }
        let scaled = chunk
            .offset
            .iter()
            .zip(params.chunk_dims)
            .map(|(&o, &d)| (o % d == 0).then_some(o / d))
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "chunk offset {:?} is not on a chunk boundary",
                    chunk.offset
                ))
            })?;
        if let Some(w) = size_width {
            if w < 8 && chunk.size >> (8 * w) != 0 {
                return Err(Error::Invalid(format!(
                    "chunk of {} bytes does not fit a {w}-byte size field",
                    chunk.size
                )));
            }
        }
        keyed.push(ChunkRecord {
            addr: chunk.addr,
            size: params.filtered.then_some(chunk.size),
            filter_mask: if params.filtered {
                chunk.filter_mask
            } else {
                0
            },
            scaled,
        });
    }
    keyed.sort_by(|a, b| a.scaled.cmp(&b.scaled));
    if keyed
        .windows(2)
        .any(|w| w.first().map(|r| &r.scaled) == w.get(1).map(|r| &r.scaled))
    {
        return Err(Error::Invalid("two chunks at the same offset".into()));
    }
    let record_type = if params.filtered { 11 } else { 10 };
    let record_size = usize::from(sizes.offset) + size_width.map_or(0, |w| w + 4) + 8 * rank;
    let record_size =
        u16::try_from(record_size).map_err(|_| Error::LimitExceeded("chunk record size".into()))?;
    let records = keyed
        .iter()
        .map(|r| r.encode(sizes, size_width))
        .collect::<Result<Vec<_>>>()?;
    bt2::build::build(record_type, record_size, &records, NODE_SIZE, space, emit)
}

#[cfg(test)]
mod tests;
