//! Filters applied to chunks (spec IV.A.2.l): deflate, shuffle and Fletcher-32, decoded in
//! reverse pipeline order, honouring each chunk's filter mask. Any other filter is an
//! [`Error::UnsupportedFilter`] naming it.

pub mod deflate;
pub mod fletcher32;
pub mod shuffle;

use crate::error::{Error, Result};
use crate::messages::filter_pipeline::FilterPipeline;

/// Undo the pipeline on one stored chunk. `expected` is the unfiltered chunk size in bytes;
/// decoding never produces (or allocates) more than that.
pub fn decode_chunk(
    pipeline: &FilterPipeline,
    filter_mask: u32,
    stored: &[u8],
    element_size: usize,
    expected: usize,
) -> Result<Vec<u8>> {
    let _ = (pipeline, filter_mask, stored, element_size, expected);
    Err(Error::Unsupported("filters not implemented yet".into()))
}
