//! Filters applied to chunks (spec IV.A.2.l): the filter trait ([`FilterCodec`]), the
//! registry of known filters ([`register`], [`lookup`]) and the pipeline that applies them,
//! decoding in reverse pipeline order and honouring each chunk's filter mask.
//!
//! Built in, each one module: deflate, shuffle, Fletcher-32, SZIP (libaec's CCSDS 121.0-B
//! coder), N-bit and scale-offset (libhdf5's own); LZF (h5py's); BZip2, LZ4, Zstandard,
//! Bitshuffle (plain, +LZ4, +Zstandard), Blosc, Blosc2 and ZFP (hdf5plugin's). Users may
//! register more. Any other filter is an [`Error::UnsupportedFilter`] naming it.
//!
//! Bit `i` of a chunk's filter mask set means filter `i` of the pipeline was not applied to
//! that chunk (libhdf5 skips optional filters that fail); such filters are skipped when
//! decoding, even when this crate does not know them.

pub mod bitshuffle;
pub mod blosc;
pub mod blosc2;
pub mod blosclz;
pub mod bzip2;
pub mod codec;
pub mod deflate;
pub mod fletcher32;
pub mod lz4;
pub mod lzf;
pub mod nbit;
pub mod registry;
pub mod scaleoffset;
pub mod shuffle;
pub mod szip;
pub mod zfp;
pub mod zstd;

use std::borrow::Cow;

pub use codec::{FilterCodec, FilterContext, LocalContext};
pub use registry::{builtin, is_known, lookup, register, unregister, Resolved};

use crate::error::{Error, Result};
use crate::messages::filter_pipeline::{Filter, FilterPipeline};

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
    // The filters applied to this chunk, in writing order, with the most bytes each one's
    // input (its decoded output) can hold: the chunk, grown by the filters before it.
    let mut active: Vec<(&Filter, Resolved, usize)> = Vec::with_capacity(pipeline.filters.len());
    let mut limit = expected;
    for (i, f) in pipeline.filters.iter().enumerate() {
        if skipped(filter_mask, i) {
            continue;
        }
        let codec = lookup(f.id).ok_or_else(|| unsupported(f))?;
        let next = codec.encoded_bound(limit);
        active.push((f, codec, limit));
        limit = next;
    }
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(stored);
    for (f, codec, limit) in active.iter().rev() {
        let ctx = FilterContext {
            cd_values: &f.client_data,
            element_size,
            limit: *limit,
            offset,
        };
        buf = codec.decode_cow(&ctx, buf)?;
        if buf.len() > *limit {
            return Err(Error::corrupt(
                "filtered chunk",
                offset,
                format!(
                    "filter {} ({}) decoded {} bytes, more than the {limit} expected",
                    f.id,
                    codec.name(),
                    buf.len()
                ),
            ));
        }
    }
    if buf.len() != expected {
        let names: Vec<&str> = active.iter().map(|(_, c, _)| c.name()).collect();
        return Err(Error::corrupt(
            "filtered chunk",
            offset,
            format!(
                "decodes to {} bytes, expected {expected} (filters {}, filter mask \
                 {filter_mask:#x})",
                buf.len(),
                names.join(", ")
            ),
        ));
    }
    Ok(buf.into_owned())
}

/// Apply the pipeline to one chunk of `data` (writing direction). Returns the stored bytes
/// and the chunk's filter mask: optional filters this crate does not know, or that decline
/// the chunk (LZF on data it cannot shrink), are skipped and their mask bit set; a required
/// one is an error ([`Error::UnsupportedFilter`] when unknown).
pub fn encode_chunk(
    pipeline: &FilterPipeline,
    data: &[u8],
    element_size: usize,
) -> Result<(Vec<u8>, u32)> {
    let mut mask = 0u32;
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(data);
    for (i, f) in pipeline.filters.iter().enumerate() {
        let skippable = f.is_optional() && i < 32;
        let Some(codec) = lookup(f.id) else {
            if skippable {
                mask |= 1u32 << i;
                continue;
            }
            return Err(unsupported(f));
        };
        let ctx = FilterContext {
            cd_values: &f.client_data,
            element_size,
            limit: buf.len(),
            offset: 0,
        };
        match codec.encode(&ctx, &buf)? {
            Some(out) => buf = Cow::Owned(out),
            None if skippable => mask |= 1u32 << i,
            None => {
                return Err(Error::Invalid(format!(
                    "filter {} ({}) cannot encode a chunk and is not optional",
                    f.id,
                    codec.name()
                )))
            }
        }
    }
    Ok((buf.into_owned(), mask))
}

/// The client data to store for `pipeline` in a new dataset described by `local` (each known
/// filter's `set_local`; unknown ones keep theirs).
pub fn set_local(pipeline: &FilterPipeline, local: &LocalContext<'_>) -> Result<FilterPipeline> {
    let mut out = pipeline.clone();
    for f in &mut out.filters {
        if let Some(codec) = lookup(f.id) {
            f.client_data = codec.set_local(&f.client_data, local)?;
            if f.id >= 256 && f.name.is_none() {
                f.name = Some(codec.name().to_string());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
