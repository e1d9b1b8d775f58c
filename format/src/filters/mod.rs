//! Filters applied to chunks (spec IV.A.2.l): deflate, shuffle and Fletcher-32, decoded in
//! reverse pipeline order, honouring each chunk's filter mask. Any other filter is an
//! [`Error::UnsupportedFilter`] naming it.
//!
//! Bit `i` of a chunk's filter mask set means filter `i` of the pipeline was not applied to
//! that chunk (libhdf5 skips optional filters that fail); such filters are skipped when
//! decoding, even when this crate does not know them.

pub mod deflate;
pub mod fletcher32;
pub mod shuffle;

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::messages::filter_pipeline::{id, Filter, FilterPipeline};

/// Default deflate level when the pipeline gives none (zlib's default).
const DEFAULT_DEFLATE_LEVEL: u32 = 6;

/// Whether filter `i` was skipped according to `mask`.
fn skipped(mask: u32, i: usize) -> bool {
    i < 32 && mask & (1u32 << i) != 0
}

/// The error for a filter this crate cannot apply.
fn unsupported(f: &Filter) -> Error {
    Error::UnsupportedFilter {
        id: f.id,
        name: f.display_name(),
    }
}

/// Whether this crate implements filter `f`.
fn known(f: &Filter) -> bool {
    matches!(f.id, id::DEFLATE | id::SHUFFLE | id::FLETCHER32)
}

/// Shuffle element size: client data 0 (set by libhdf5 to the datatype size), else the
/// dataset's element size.
fn shuffle_size(f: &Filter, element_size: usize) -> usize {
    match f.client_data.first() {
        Some(&n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => element_size,
    }
}

/// Undo the pipeline on one stored chunk. `expected` is the unfiltered chunk size in bytes;
/// decoding never produces (or allocates) more than that.
pub fn decode_chunk(
    pipeline: &FilterPipeline,
    filter_mask: u32,
    stored: &[u8],
    element_size: usize,
    expected: usize,
) -> Result<Vec<u8>> {
    decode_chunk_at(pipeline, filter_mask, stored, element_size, expected, 0)
}

/// [`decode_chunk`] for a chunk stored at absolute file offset `offset`, which errors name.
pub fn decode_chunk_at(
    pipeline: &FilterPipeline,
    filter_mask: u32,
    stored: &[u8],
    element_size: usize,
    expected: usize,
    offset: u64,
) -> Result<Vec<u8>> {
    let active: Vec<(usize, &Filter)> = pipeline
        .filters
        .iter()
        .enumerate()
        .filter(|(i, _)| !skipped(filter_mask, *i))
        .collect();
    if let Some((_, f)) = active.iter().find(|(_, f)| !known(f)) {
        return Err(unsupported(f));
    }
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(stored);
    for (pos, (_, f)) in active.iter().enumerate().rev() {
        match f.id {
            id::FLETCHER32 => {
                let body = fletcher32::verify_and_strip(&buf, offset)?.len();
                buf = match buf {
                    Cow::Borrowed(b) => Cow::Borrowed(b.get(..body).unwrap_or_default()),
                    Cow::Owned(mut v) => {
                        v.truncate(body);
                        Cow::Owned(v)
                    }
                };
            }
            id::DEFLATE => {
                // The data entering deflate when writing was `expected` bytes plus the
                // checksums of the Fletcher-32 filters applied before it.
                let checksums = active
                    .iter()
                    .take(pos)
                    .filter(|(_, g)| g.id == id::FLETCHER32)
                    .count();
                let limit = expected.saturating_add(checksums * fletcher32::CHECKSUM_LEN);
                buf = Cow::Owned(deflate::decode(&buf, limit, offset)?);
            }
            id::SHUFFLE => {
                buf = Cow::Owned(shuffle::unshuffle(&buf, shuffle_size(f, element_size)));
            }
            _ => return Err(unsupported(f)),
        }
    }
    if buf.len() != expected {
        return Err(Error::corrupt(
            "filtered chunk",
            offset,
            format!(
                "decodes to {} bytes, expected {expected} (filter mask {filter_mask:#x})",
                buf.len()
            ),
        ));
    }
    Ok(buf.into_owned())
}

/// Apply the pipeline to one chunk of `data` (writing direction). Returns the stored bytes
/// and the chunk's filter mask: optional filters this crate does not implement are skipped
/// and their mask bit set; a required one is an [`Error::UnsupportedFilter`].
pub fn encode_chunk(
    pipeline: &FilterPipeline,
    data: &[u8],
    element_size: usize,
) -> Result<(Vec<u8>, u32)> {
    let mut mask = 0u32;
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(data);
    for (i, f) in pipeline.filters.iter().enumerate() {
        match f.id {
            id::DEFLATE => {
                let level = f
                    .client_data
                    .first()
                    .copied()
                    .unwrap_or(DEFAULT_DEFLATE_LEVEL);
                buf = Cow::Owned(deflate::encode(&buf, level)?);
            }
            id::SHUFFLE => {
                buf = Cow::Owned(shuffle::shuffle(&buf, shuffle_size(f, element_size)));
            }
            id::FLETCHER32 => buf = Cow::Owned(fletcher32::append(&buf)),
            _ if f.is_optional() && i < 32 => mask |= 1u32 << i,
            _ => return Err(unsupported(f)),
        }
    }
    Ok((buf.into_owned(), mask))
}

#[cfg(test)]
mod tests;
