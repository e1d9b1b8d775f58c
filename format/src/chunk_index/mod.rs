//! Chunk indexes (spec IV.A.2.i and Appendix C): where each chunk of a chunked dataset is
//! stored. Every index is read into the same list of [`Chunk`]s.

pub mod btree_v1;
pub mod btree_v2;
pub mod common;
pub mod extensible_array;
pub mod fixed_array;
pub mod implicit;
pub mod single_chunk;

use crate::error::Result;
use crate::io::{Addr, FileImage};
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout};

/// One stored chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Element coordinates of the chunk's first element, one per dataset axis.
    pub offset: Vec<u64>,
    /// Address of the stored (possibly filtered) bytes.
    pub addr: Addr,
    /// Stored size in bytes.
    pub size: u64,
    /// Filter mask: bit `i` set means filter `i` of the pipeline was skipped.
    pub filter_mask: u32,
}

/// What every index needs to know about the dataset.
#[derive(Clone, Debug)]
pub struct IndexParams<'a> {
    /// Current dataset dimensions.
    pub dims: &'a [u64],
    /// Maximum dimensions (equal to `dims` when not resizable).
    pub max_dims: &'a [u64],
    /// Chunk dimensions in elements.
    pub chunk_dims: &'a [u64],
    /// Element size in bytes.
    pub element_size: u64,
    /// Whether the dataset has a filter pipeline (chunk records then carry size and mask).
    pub filtered: bool,
    /// Layout message version (5 widens filtered chunk sizes to "size of lengths" bytes).
    pub layout_version: u8,
}

impl IndexParams<'_> {
    /// Size in bytes of an unfiltered chunk, or `None` on overflow.
    pub fn chunk_bytes(&self) -> Option<u64> {
        self.chunk_dims
            .iter()
            .try_fold(self.element_size, |acc, &d| acc.checked_mul(d))
    }

    /// Number of chunks along each axis for the given extent (ceiling division).
    pub fn chunks_per_axis(&self, extent: &[u64]) -> Vec<u64> {
        extent
            .iter()
            .zip(self.chunk_dims)
            .map(|(&d, &c)| if c == 0 { 0 } else { d.div_ceil(c) })
            .collect()
    }
}

/// Read every stored chunk of a dataset.
pub fn read_index(
    img: &FileImage<'_>,
    layout: &ChunkedLayout,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    match &layout.index {
        ChunkIndexKind::BtreeV1 { addr: None }
        | ChunkIndexKind::SingleChunk { addr: None, .. }
        | ChunkIndexKind::Implicit { addr: None }
        | ChunkIndexKind::FixedArray { addr: None, .. }
        | ChunkIndexKind::ExtensibleArray { addr: None, .. }
        | ChunkIndexKind::BtreeV2 { addr: None, .. } => Ok(Vec::new()),
        ChunkIndexKind::BtreeV1 { addr: Some(a) } => btree_v1::chunks(img, *a, params),
        ChunkIndexKind::SingleChunk {
            addr: Some(a),
            filtered,
        } => single_chunk::chunks(*a, *filtered, params),
        ChunkIndexKind::Implicit { addr: Some(a) } => implicit::chunks(img, *a, params),
        ChunkIndexKind::FixedArray { addr: Some(a), .. } => fixed_array::chunks(img, *a, params),
        ChunkIndexKind::ExtensibleArray { addr: Some(a), .. } => {
            extensible_array::chunks(img, *a, params)
        }
        ChunkIndexKind::BtreeV2 { addr: Some(a), .. } => btree_v2::chunks(img, *a, params),
    }
}
