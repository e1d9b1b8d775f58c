//! The SZIP filter (filter ID 4) as libhdf5's `H5Zszip.c` applies it through libaec's SZIP
//! compatibility layer (`sz_compat.c`): CCSDS 121.0-B adaptive entropy coding ("Rice"),
//! the coder in [`aec`]/[`decode`](fn@aec_decode)/[`encode`](fn@aec_encode).
//!
//! Client data (`H5Z_SZIP_PARM_*`, completed by [`FilterCodec::set_local`]):
//!
//! ```text
//! 0  options mask   OPTION_* bits: NN (preprocess) or EC, LSB/MSB from the datatype's
//!                   byte order, K13 and RAW always (H5Pset_szip); libaec reads only NN
//!                   and MSB
//! 1  pixels per block       even, 2 to 32 (the block size)
//! 2  bits per pixel         the datatype's precision; 25-32 bits count as 32, 33-64 as 64
//! 3  pixels per scanline    the chunk's last dimension, bounded by 128 blocks
//! ```
//!
//! A stored chunk is the unfiltered size (u32 little-endian) then the coded stream. 32- and
//! 64-bit pixels are split into byte planes and coded as 8-bit samples; samples of 9-16
//! bits take 2 bytes, 17-24 bits 4 bytes. Each scanline is one reference sample interval
//! of `ceil(pixels per scanline / pixels per block)` blocks, padded with the line's last
//! pixel (NN) or zeros to whole blocks; a short last scanline is padded the same way.
//! Samples are coded as unsigned. A chunk the coder cannot shrink is declined (libhdf5
//! then stores it unfiltered, the filter being optional).

pub mod aec;
mod bits;
mod decode;
mod encode;

use std::borrow::Cow;

pub use aec::AecParams;
pub use decode::decode as aec_decode;
pub use encode::encode as aec_encode;

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use crate::datatype::{ByteOrder, Datatype, TypeClass};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "szip filter";

/// Options mask bit: allow k = 13 (always set; libaec always allows it).
pub const OPTION_K13: u32 = 1;
/// Options mask bit: chip mode (always cleared).
pub const OPTION_CHIP: u32 = 2;
/// Options mask bit: entropy coding only.
pub const OPTION_EC: u32 = 4;
/// Options mask bit: little-endian data.
pub const OPTION_LSB: u32 = 8;
/// Options mask bit: big-endian data.
pub const OPTION_MSB: u32 = 16;
/// Options mask bit: nearest-neighbour preprocessing, then entropy coding.
pub const OPTION_NN: u32 = 32;
/// Options mask bit: no SZIP header in the stream (always set).
pub const OPTION_RAW: u32 = 128;
/// The most pixels per block (`SZ_MAX_PIXELS_PER_BLOCK`).
pub const MAX_PIXELS_PER_BLOCK: u32 = 32;
/// The most blocks per scanline (`SZ_MAX_BLOCKS_PER_SCANLINE`).
pub const MAX_BLOCKS_PER_SCANLINE: u64 = 128;
/// The most pixels per scanline (`SZ_MAX_PIXELS_PER_SCANLINE`).
pub const MAX_PIXELS_PER_SCANLINE: u64 = 4096;

/// Bytes of the chunk header (the unfiltered size).
const HEADER: usize = 4;

/// SZIP's coding method (h5py's `compression_opts=('nn', n)` / `('ec', n)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SzipCoding {
    /// Nearest-neighbour: unit-delay prediction, then entropy coding (for smooth data).
    Nn,
    /// Entropy coding only.
    Ec,
}

impl SzipCoding {
    /// The options mask `H5Pset_szip` stores for this method (before `set_local` adds the
    /// byte order).
    pub fn options_mask(self) -> u32 {
        let method = match self {
            SzipCoding::Nn => OPTION_NN,
            SzipCoding::Ec => OPTION_EC,
        };
        method | OPTION_K13 | OPTION_RAW
    }
}

/// The SZIP filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Szip;

/// The client data of one dataset.
#[derive(Clone, Copy, Debug)]
struct Params {
    mask: u32,
    pixels_per_block: u32,
    bits_per_pixel: u32,
    pixels_per_scanline: u32,
}

impl Params {
    fn parse(cd: &[u32], offset: u64) -> Result<Params> {
        match *cd {
            [mask, pixels_per_block, bits_per_pixel, pixels_per_scanline] => Ok(Params {
                mask,
                pixels_per_block,
                bits_per_pixel,
                pixels_per_scanline,
            }),
            _ => Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("{} client data values, expected 4", cd.len()),
            )),
        }
    }

    /// Bytes per word split into byte planes (32- and 64-bit pixels), if any.
    fn planes(&self) -> Option<usize> {
        matches!(self.bits_per_pixel, 32 | 64).then(|| usize_of(self.bits_per_pixel / 8))
    }

    /// The coder's settings (`SZ_BufftoBuff*`'s translation).
    fn aec(&self, offset: u64) -> Result<AecParams> {
        let bits = if self.planes().is_some() {
            8
        } else {
            self.bits_per_pixel
        };
        if bits == 0 || bits > 32 {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("{} bits per pixel", self.bits_per_pixel),
            ));
        }
        if self.pixels_per_scanline == 0 || self.pixels_per_block == 0 {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!(
                    "{} pixels per block, {} per scanline",
                    self.pixels_per_block, self.pixels_per_scanline
                ),
            ));
        }
        let p = AecParams {
            bits_per_sample: bits,
            bytes_per_sample: match bits {
                0..=8 => 1,
                9..=16 => 2,
                _ => 4,
            },
            block_size: usize_of(self.pixels_per_block),
            rsi: usize_of(self.pixels_per_scanline.div_ceil(self.pixels_per_block)),
            preprocess: self.mask & OPTION_NN != 0,
            signed: false,
            msb: self.mask & OPTION_MSB != 0,
            pad_rsi: false,
        };
        p.validate(STRUCTURE, offset)?;
        Ok(p)
    }
}

impl FilterCodec for Szip {
    fn id(&self) -> u16 {
        id::SZIP
    }

    fn name(&self) -> &str {
        "szip"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(ctx.cd_values, input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        encode(ctx.cd_values, input)
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        set_local(cd, local.datatype, local.chunk_dims)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // A chunk the coder cannot shrink is declined.
        len.saturating_add(HEADER)
    }
}

/// Decode one stored chunk with client data `cd`, producing at most `limit` bytes.
pub fn decode(cd: &[u32], input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let p = Params::parse(cd, offset)?;
    let aec = p.aec(offset)?;
    let header = input
        .get(..HEADER)
        .and_then(|h| <[u8; 4]>::try_from(h).ok())
        .ok_or_else(|| super::codec::truncated(STRUCTURE, offset, 0))?;
    let size = usize_of(u32::from_le_bytes(header));
    if size > limit {
        return Err(Error::corrupt(
            STRUCTURE,
            offset,
            format!("claims {size} bytes, more than the {limit} expected"),
        ));
    }
    if let Some(word) = p.planes() {
        if !size.is_multiple_of(word) {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("{size} bytes are not a whole number of {word}-byte pixels"),
            ));
        }
    }
    let stream = input.get(HEADER..).unwrap_or_default();
    let keep = usize_of(p.pixels_per_scanline);
    let out = aec_decode(&aec, stream, size, keep, STRUCTURE, offset)?;
    Ok(match p.planes() {
        Some(word) => from_planes(&out, word),
        None => out,
    })
}

/// Encode one chunk with client data `cd`; `None` when the stream would be larger than the
/// chunk (libaec's "output buffer full").
pub fn encode(cd: &[u32], input: &[u8]) -> Result<Option<Vec<u8>>> {
    let p = Params::parse(cd, 0)?;
    let aec = p.aec(0)?;
    let n = input.len();
    let header = u32::try_from(n)
        .map_err(|_| Error::Invalid("szip: chunks must be smaller than 4 GiB".into()))?;
    let data: Cow<'_, [u8]> = match p.planes() {
        Some(word) if !n.is_multiple_of(word) => {
            return Err(Error::Invalid(format!(
                "szip: {n} bytes are not a whole number of {word}-byte pixels"
            )))
        }
        Some(word) => Cow::Owned(to_planes(input, word)),
        None => Cow::Borrowed(input),
    };
    let size = aec.bytes_per_sample;
    if !n.is_multiple_of(size) {
        return Err(Error::Invalid(format!(
            "szip: {n} bytes are not a whole number of {size}-byte samples"
        )));
    }
    let line = usize_of(p.pixels_per_scanline);
    let padded_line = aec.rsi_samples(STRUCTURE, 0)?;
    let lines = (n / size).div_ceil(line);
    let mut samples: Vec<u32> = Vec::with_capacity(lines.saturating_mul(padded_line));
    let read = |px: &[u8]| {
        px.iter().enumerate().fold(0u32, |acc, (i, &b)| {
            if aec.msb {
                (acc << 8) | u32::from(b)
            } else {
                acc | (u32::from(b) << (8 * i))
            }
        })
    };
    let all: Vec<u32> = data.chunks_exact(size).map(read).collect();
    for pixels in all.chunks(line) {
        samples.extend_from_slice(pixels);
        let pad = match (aec.preprocess, pixels.last()) {
            (true, Some(&last)) => last,
            _ => 0,
        };
        samples.resize(samples.len() + padded_line - pixels.len(), pad);
    }
    let stream = aec_encode(&aec, &samples, STRUCTURE)?;
    if stream.len() > n {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(HEADER + stream.len());
    out.extend_from_slice(&header.to_le_bytes());
    out.extend_from_slice(&stream);
    Ok(Some(out))
}

/// Split `word`-byte words into byte planes: byte `j` of word `i` goes to `j * n + i`.
fn to_planes(data: &[u8], word: usize) -> Vec<u8> {
    let n = data.len() / word;
    let mut out = vec![0u8; data.len()];
    for (i, w) in data.chunks_exact(word).enumerate() {
        for (j, &b) in w.iter().enumerate() {
            if let Some(o) = out.get_mut(j * n + i) {
                *o = b;
            }
        }
    }
    out
}

/// The inverse of [`to_planes`].
fn from_planes(planes: &[u8], word: usize) -> Vec<u8> {
    let n = planes.len() / word;
    let mut out = vec![0u8; planes.len()];
    for (i, w) in out.chunks_exact_mut(word).enumerate() {
        for (j, b) in w.iter_mut().enumerate() {
            *b = planes.get(j * n + i).copied().unwrap_or(0);
        }
    }
    out
}

/// The byte order, precision and bit offset of an atomic datatype (through enum, array
/// and complex types to their base), as `H5T_get_order`/`H5T_get_precision` see them.
fn atomic(dt: &Datatype) -> Option<(ByteOrder, u32, u32)> {
    match &dt.class {
        TypeClass::Integer {
            order,
            bit_offset,
            precision,
            ..
        }
        | TypeClass::Float {
            order,
            bit_offset,
            precision,
            ..
        }
        | TypeClass::Bitfield {
            order,
            bit_offset,
            precision,
        } => Some((*order, u32::from(*precision), u32::from(*bit_offset))),
        TypeClass::Time { order, precision } => Some((*order, u32::from(*precision), 0)),
        TypeClass::Enum { base, .. }
        | TypeClass::Array { base, .. }
        | TypeClass::Complex { base } => atomic(base),
        _ => None,
    }
}

/// `H5Z_can_apply_szip` and `H5Z_set_local_szip`: client data `[mask, pixels per block]`
/// completed for a dataset of `datatype` with chunks `chunk_dims`.
pub fn set_local(cd: &[u32], datatype: &Datatype, chunk_dims: &[u64]) -> Result<Vec<u32>> {
    let invalid = |m: String| Err(Error::Invalid(format!("szip: {m}")));
    let (Some(&mask), Some(&ppb)) = (cd.first(), cd.get(1)) else {
        return invalid("client data needs an options mask and pixels per block".into());
    };
    if ppb == 0 || !ppb.is_multiple_of(2) || ppb > MAX_PIXELS_PER_BLOCK {
        return invalid(format!(
            "{ppb} pixels per block (must be even, 2 to {MAX_PIXELS_PER_BLOCK})"
        ));
    }
    let size = datatype.size.saturating_mul(8);
    if size == 0 || (size > 32 && size != 64) {
        return invalid(format!("cannot code {}-byte elements", datatype.size));
    }
    let Some((order, mut precision, bit_offset)) = atomic(datatype) else {
        return invalid("needs an integer or floating-point datatype".into());
    };
    if precision == 0 {
        return invalid("datatype precision 0".into());
    }
    if precision < size && bit_offset != 0 {
        precision = size;
    }
    if precision > 24 {
        precision = if precision <= 32 { 32 } else { 64 };
    }
    let Some(&last) = chunk_dims.last() else {
        return invalid("needs chunked storage".into());
    };
    let ppb64 = u64::from(ppb);
    let scanline = if last < ppb64 {
        let points = chunk_dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .unwrap_or(u64::MAX);
        if points < ppb64 {
            return invalid(format!(
                "{ppb} pixels per block is more than the {points} elements of a chunk"
            ));
        }
        (ppb64 * MAX_BLOCKS_PER_SCANLINE).min(points)
    } else if last <= MAX_PIXELS_PER_SCANLINE {
        (ppb64 * MAX_BLOCKS_PER_SCANLINE).min(last)
    } else {
        ppb64 * MAX_BLOCKS_PER_SCANLINE
    };
    let order_bit = match order {
        ByteOrder::Little => OPTION_LSB,
        ByteOrder::Big => OPTION_MSB,
    };
    // H5Pset_szip's fixed bits, then the byte order.
    let mask = (mask & !(OPTION_CHIP | OPTION_LSB | OPTION_MSB)) | OPTION_K13 | OPTION_RAW;
    Ok(vec![
        mask | order_bit,
        ppb,
        precision,
        u32::try_from(scanline).unwrap_or(u32::MAX),
    ])
}

#[cfg(test)]
mod tests;
