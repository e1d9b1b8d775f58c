//! The Zstandard filter (filter ID 32015, `H5Zzstd.c` as hdf5plugin ships it): the chunk as
//! Zstandard frames. Client data 0 is the compression level (used only when compressing).
//!
//! Both directions use `structured-zstd` (pure Rust, a fork of `ruzstd` that implements
//! zstd's numbered levels, 1-22 and the negative fast levels, and decodes about 3x faster):
//! the level of client data 0 is the level compressed at, as libzstd does.

use structured_zstd::decoding::errors::FrameDecoderError;
use structured_zstd::decoding::FrameDecoder;
use structured_zstd::encoding::CompressionLevel;

use super::codec::{too_long, FilterCodec, FilterContext, LocalContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "zstd filter";

/// Level stored when none is given (libzstd's default).
pub const DEFAULT_LEVEL: u32 = 3;

/// Highest level (libzstd's `ZSTD_maxCLevel`); higher ones compress at this one.
pub const MAX_LEVEL: i32 = 22;

/// The Zstandard filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Zstd;

impl FilterCodec for Zstd {
    fn id(&self) -> u16 {
        id::ZSTD
    }

    fn name(&self) -> &str {
        "zstd"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let level = ctx.cd_values.first().copied().unwrap_or(DEFAULT_LEVEL);
        Ok(Some(encode(input, level)))
    }

    fn set_local(&self, cd: &[u32], _local: &LocalContext<'_>) -> Result<Vec<u32>> {
        Ok(vec![cd.first().copied().unwrap_or(DEFAULT_LEVEL)])
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // ZSTD_compressBound.
        len.saturating_add(len >> 8)
            .saturating_add(if len < 128 << 10 {
                ((128 << 10) - len) >> 11
            } else {
                0
            })
            .saturating_add(64)
    }
}

/// Compress `input` as one Zstandard frame that records its content size.
///
/// `level` is a client data value: an `int` stored as `u32` (as `H5Zzstd.c` reads it), so
/// negative levels (libzstd's fast modes) arrive as large values; 0 is the default level.
///
/// hdf5plugin's decoder sizes its output from the frame's content size
/// (`ZSTD_getFrameContentSize`) and fails on a frame without one: when the encoder leaves it
/// out, it is added to the frame header (Frame_Content_Size_flag 3, 8 bytes).
pub fn encode(input: &[u8], level: u32) -> Vec<u8> {
    let level = i32::from_ne_bytes(level.to_ne_bytes()).min(MAX_LEVEL);
    let frame =
        structured_zstd::encoding::compress_slice_to_vec(input, CompressionLevel::Level(level));
    with_content_size(frame, input.len() as u64)
}

/// Byte 4 of a frame: the frame header descriptor (FCS flag in bits 7-6, single segment in
/// bit 5, dictionary id flag in bits 1-0); byte 5 the window descriptor when not single
/// segment.
const DESCRIPTOR: usize = 4;

/// `frame` with an 8-byte content size after its window descriptor; unchanged when its
/// header is not the plain form (no content size, not single segment, no dictionary).
fn with_content_size(frame: Vec<u8>, size: u64) -> Vec<u8> {
    let magic = frame.get(..DESCRIPTOR) == Some(&0xFD2F_B528u32.to_le_bytes()[..]);
    let Some(&desc) = frame.get(DESCRIPTOR) else {
        return frame;
    };
    if !magic || desc & 0xE3 != 0 || frame.len() < DESCRIPTOR + 2 {
        return frame;
    }
    let mut out = Vec::with_capacity(frame.len() + 8);
    out.extend_from_slice(frame.get(..DESCRIPTOR).unwrap_or_default());
    out.push(desc | 0xC0);
    out.extend_from_slice(
        frame
            .get(DESCRIPTOR + 1..DESCRIPTOR + 2)
            .unwrap_or_default(),
    );
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(frame.get(DESCRIPTOR + 2..).unwrap_or_default());
    out
}

/// Decompress the Zstandard frames of `input` (skippable frames skipped), producing at most
/// `limit` bytes.
pub fn decode(input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let mut out = vec![0u8; limit];
    let n = decode_into(&mut FrameDecoder::new(), input, &mut out, offset)?;
    out.truncate(n);
    Ok(out)
}

/// [`decode`] into `out` (at most its length), with a decoder reused between calls (Bitshuffle
/// decodes a frame per 8 KiB block); the number of bytes decoded.
pub(crate) fn decode_into(
    d: &mut FrameDecoder,
    input: &[u8],
    out: &mut [u8],
    offset: u64,
) -> Result<usize> {
    let limit = out.len();
    d.decode_all(input, out).map_err(|e| match e {
        FrameDecoderError::TargetTooSmall => too_long(STRUCTURE, offset, limit),
        e => Error::corrupt(STRUCTURE, offset, format!("invalid Zstandard stream: {e}")),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trip_and_corrupt() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i / 11) as u8).collect();
        let z = encode(&data, 3);
        assert!(z.len() < data.len() / 4);
        assert_eq!(decode(&z, data.len(), 0).unwrap(), data);
        assert!(decode(&z, data.len() - 1, 0)
            .unwrap_err()
            .to_string()
            .contains("more than"));
        for cut in 0..z.len() {
            assert!(
                decode(&z[..cut], data.len(), 0).map_or(true, |v| v.len() < data.len())
                    || cut == z.len()
            );
        }
        for i in 0..z.len() {
            let mut bad = z.clone();
            bad[i] ^= 0xa5;
            let _ = decode(&bad, data.len(), 0);
        }
        assert_eq!(decode(&encode(&[], 1), 0, 0).unwrap(), b"");
        for level in [1, 5, 19, 0xFFFF_FFFF] {
            assert_eq!(decode(&encode(&data, level), data.len(), 0).unwrap(), data);
        }
        // The content size is in the header (hdf5plugin's decoder needs it): the field after
        // the window byte (none when single segment), 1, 2, 4 or 8 bytes (2: value - 256).
        let (flag, single) = (z[4] >> 6, z[4] & 0x20 != 0);
        assert_eq!(z[4] & 3, 0, "no dictionary id");
        let at = if single { 5 } else { 6 };
        let size = match (flag, single) {
            (0, true) => u64::from(z[at]),
            (1, _) => u64::from(u16::from_le_bytes([z[at], z[at + 1]])) + 256,
            (2, _) => u64::from(u32::from_le_bytes(z[at..at + 4].try_into().unwrap())),
            (3, _) => u64::from_le_bytes(z[at..at + 8].try_into().unwrap()),
            _ => 0, // no content size: fails below
        };
        assert_eq!(size, data.len() as u64);
    }
}
