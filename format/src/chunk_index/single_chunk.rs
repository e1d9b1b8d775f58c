//! Chunk index: single chunk, the whole dataset in one chunk (spec Appendix C,
//! `#SingleChunk`). The chunk's address, and for filtered datasets its stored size and
//! filter mask, are stored in the Data Layout message itself.

use super::{Chunk, IndexParams};
use crate::error::{Error, Result};
use crate::io::Addr;
use crate::messages::layout::ChunkIndexKind;

/// The layout message's index for a single-chunk dataset: nothing is built, the message
/// holds the chunk's address (and, when `filtered`, its stored size and filter mask).
/// `None` means the chunk was never written (undefined address).
pub fn layout_for(chunk: Option<&Chunk>, filtered: bool) -> ChunkIndexKind {
    ChunkIndexKind::SingleChunk {
        addr: chunk.map(|c| c.addr),
        filtered: filtered.then(|| chunk.map_or((0, 0), |c| (c.size, c.filter_mask))),
    }
}

/// The one chunk at `addr`; `filtered` gives its stored size and filter mask.
pub fn chunks(
    addr: Addr,
    filtered: Option<(u64, u32)>,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    let (size, filter_mask) = match filtered {
        Some(f) => f,
        None => (
            params.chunk_bytes().ok_or_else(|| {
                Error::LimitExceeded("single chunk size in bytes overflows 64 bits".into())
            })?,
            0,
        ),
    };
    Ok(vec![Chunk {
        offset: vec![0; params.dims.len()],
        addr,
        size,
        filter_mask,
    }])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn params(filtered: bool) -> IndexParams<'static> {
        IndexParams {
            dims: &[5, 7],
            max_dims: &[5, 7],
            chunk_dims: &[5, 7],
            element_size: 4,
            filtered,
            layout_version: 4,
        }
    }

    #[test]
    fn layout_for_round_trips_through_chunks() {
        let c = Chunk {
            offset: vec![0, 0],
            addr: Addr(4096),
            size: 99,
            filter_mask: 1,
        };
        let kind = layout_for(Some(&c), true);
        let ChunkIndexKind::SingleChunk {
            addr: Some(a),
            filtered,
        } = kind
        else {
            panic!("not a single chunk")
        };
        assert_eq!(chunks(a, filtered, &params(true)).unwrap(), vec![c.clone()]);
        let kind = layout_for(Some(&c), false);
        assert_eq!(
            kind,
            ChunkIndexKind::SingleChunk {
                addr: Some(Addr(4096)),
                filtered: None
            }
        );
        assert_eq!(
            layout_for(None, true),
            ChunkIndexKind::SingleChunk {
                addr: None,
                filtered: Some((0, 0))
            }
        );
    }

    #[test]
    fn unfiltered_chunk_has_full_size() {
        let c = chunks(Addr(2048), None, &params(false)).unwrap();
        assert_eq!(
            c,
            vec![Chunk {
                offset: vec![0, 0],
                addr: Addr(2048),
                size: 140,
                filter_mask: 0
            }]
        );
    }

    #[test]
    fn filtered_chunk_uses_layout_size_and_mask() {
        let c = chunks(Addr(2188), Some((155, 2)), &params(true)).unwrap();
        assert_eq!(c[0].size, 155);
        assert_eq!(c[0].filter_mask, 2);
        assert_eq!(c[0].offset, vec![0, 0]);
    }

    #[test]
    fn overflowing_chunk_size_is_an_error() {
        let p = IndexParams {
            dims: &[u64::MAX],
            max_dims: &[u64::MAX],
            chunk_dims: &[u64::MAX],
            element_size: 8,
            filtered: false,
            layout_version: 4,
        };
        assert!(matches!(
            chunks(Addr(0), None, &p),
            Err(Error::LimitExceeded(_))
        ));
    }
}
