//! The filter trait: what one HDF5 filter does to one chunk, in both directions (libhdf5's
//! `H5Z_class2_t`: an id, a name, `set_local` and the filter function).

use std::borrow::Cow;

use crate::datatype::Datatype;
use crate::error::{Error, Result};

/// What a filter is told about the chunk it filters.
#[derive(Clone, Copy, Debug)]
pub struct FilterContext<'a> {
    /// The filter's client data values (`cd_values`) as stored in the pipeline message.
    pub cd_values: &'a [u32],
    /// The dataset's element size in bytes.
    pub element_size: usize,
    /// Decoding: the most bytes this step may produce (the unfiltered chunk size plus any
    /// checksums the filters applied before this one appended). A stream that decodes to
    /// more is corrupt. Encoding: the size of the input.
    pub limit: usize,
    /// The chunk's absolute file offset, for errors (0 when not known).
    pub offset: u64,
}

/// What a filter's [`FilterCodec::set_local`] is told about the dataset being created
/// (libhdf5 passes the dataset creation property list, its datatype and its dataspace).
#[derive(Clone, Copy, Debug)]
pub struct LocalContext<'a> {
    /// The dataset's datatype.
    pub datatype: &'a Datatype,
    /// The chunk dimensions, in elements.
    pub chunk_dims: &'a [u64],
    /// The fill value's bytes (one element of `datatype`), when one is set.
    pub fill: Option<&'a [u8]>,
}

impl LocalContext<'_> {
    /// The datatype's element size in bytes.
    pub fn element_size(&self) -> usize {
        self.datatype.size()
    }
}

/// One filter (libhdf5's filter class). Built-in filters implement it, and so can users:
/// [`crate::filters::register`] makes a filter known for reading and writing.
///
/// Implementations must not panic on any input and must never produce more than
/// [`FilterContext::limit`] bytes when decoding (the pipeline checks this too, but only after
/// the fact).
pub trait FilterCodec: Send + Sync {
    /// The HDF5 filter identifier.
    fn id(&self) -> u16;

    /// The filter's name (used in errors and stored in the pipeline message for ids >= 256).
    fn name(&self) -> &str;

    /// Undo the filter on one chunk (reading direction).
    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>>;

    /// Apply the filter to one chunk (writing direction). `Ok(None)` means the filter
    /// declines this chunk (e.g. LZF cannot shrink it): an optional filter is then skipped
    /// for the chunk (its filter mask bit set), a required one fails the write.
    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The client data to store when a dataset is created with `cd_values` (libhdf5's
    /// `set_local` callback: e.g. shuffle records the element size). The default keeps
    /// them.
    fn set_local(&self, cd_values: &[u32], _local: &LocalContext<'_>) -> Result<Vec<u32>> {
        Ok(cd_values.to_vec())
    }

    /// The most bytes [`FilterCodec::encode`] can produce from `len` bytes: the decoding
    /// limit of the filters applied after this one. The default allows twice the input and
    /// 64 bytes; filters that never grow their input should say so.
    fn encoded_bound(&self, len: usize) -> usize {
        len.saturating_mul(2).saturating_add(64)
    }

    /// [`FilterCodec::decode`] over a buffer that may be borrowed: filters that only strip
    /// bytes (Fletcher-32) override it to avoid a copy.
    fn decode_cow<'a>(
        &self,
        ctx: &FilterContext<'_>,
        input: Cow<'a, [u8]>,
    ) -> Result<Cow<'a, [u8]>> {
        self.decode(ctx, &input).map(Cow::Owned)
    }
}

/// A `u32` client data value as a `usize` (saturating on 16-bit targets).
pub(crate) fn usize_of(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The error for a stream that decodes to more than the chunk can hold.
pub(crate) fn too_long(structure: &'static str, offset: u64, limit: usize) -> Error {
    Error::corrupt(
        structure,
        offset,
        format!("stream decodes to more than the {limit} bytes expected"),
    )
}

/// A big-endian `u32` at `at` of `b`, or a "truncated" error.
pub(crate) fn be32(b: &[u8], at: usize, structure: &'static str, offset: u64) -> Result<u32> {
    let bytes = b
        .get(at..at.saturating_add(4))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .ok_or_else(|| truncated(structure, offset, at))?;
    Ok(u32::from_be_bytes(bytes))
}

/// A big-endian `u64` at `at` of `b`, or a "truncated" error.
pub(crate) fn be64(b: &[u8], at: usize, structure: &'static str, offset: u64) -> Result<u64> {
    let bytes = b
        .get(at..at.saturating_add(8))
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .ok_or_else(|| truncated(structure, offset, at))?;
    Ok(u64::from_be_bytes(bytes))
}

/// The error for a stream that ends inside a header or block.
pub(crate) fn truncated(structure: &'static str, offset: u64, at: usize) -> Error {
    Error::corrupt(structure, offset, format!("stream truncated at byte {at}"))
}
