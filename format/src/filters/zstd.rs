//! The Zstandard filter (filter ID 32015, `H5Zzstd.c` as hdf5plugin ships it): the chunk as
//! Zstandard frames. Client data 0 is the compression level (used only when compressing).
//!
//! Both directions use `structured-zstd` (pure Rust, a fork of `ruzstd` that implements
//! zstd's numbered levels, 1-22 and the negative fast levels, and decodes about 3x faster):
//! the level of client data 0 is the level compressed at, as libzstd does.
//!
//! A frame header declares a window size (RFC 8878 3.1.1.1.2) that the decoder allocates
//! up front, up to 128 MiB, however short the frame. Decoding at most `limit` bytes never
//! looks further back than `limit` bytes, so a larger window is lowered to the smallest one
//! that holds `limit` bytes before decoding (the header is not covered by the checksum; what
//! the frame decodes to is unchanged), and a single-segment frame whose content is larger
//! than `limit` is refused before anything is allocated.

use std::borrow::Cow;

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
    encode_level(input, level)
}

/// The zstd level Blosc and Blosc2 compress at for their `clevel` (0-9), as c-blosc maps it
/// (`2 * clevel - 1`, 9 the highest); 19 here rather than zstd's 22, whose windows need
/// more memory than chunks are worth.
pub(crate) fn blosc_level(clevel: u8) -> u32 {
    if clevel >= 9 {
        19
    } else {
        (2 * u32::from(clevel)).saturating_sub(1).max(1)
    }
}

fn encode_level(input: &[u8], level: u32) -> Vec<u8> {
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

/// The smallest window a frame may declare (`Window_Log` 10).
const MIN_WINDOW: usize = 1 << 10;

/// Magic number of a Zstandard frame (little-endian on disk).
const FRAME_MAGIC: u32 = 0xFD2F_B528;

/// Skippable frames have magic numbers `0x184D2A50` to `0x184D2A5F`.
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;

/// The window size a window descriptor byte declares: `2^(10 + exponent)` plus `mantissa`
/// eighths of it.
fn window_of(descriptor: u8) -> u64 {
    let base = 1u64 << (10 + u32::from(descriptor >> 3));
    base + (base / 8) * u64::from(descriptor & 7)
}

/// The descriptor of the smallest window of at least `bytes` bytes (`bytes` at most 2^41).
fn descriptor_for(bytes: usize) -> u8 {
    let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
    (0..=u8::MAX)
        .find(|&d| window_of(d) >= bytes)
        .unwrap_or(u8::MAX)
}

/// A little-endian integer of `n` bytes at `at`, or `None` past the end.
fn le(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// `input` with every frame's window lowered to at most `window` bytes (a copy only when
/// one is larger). Frames are walked by their headers and block headers; the walk stops
/// at the first thing that is not a well-formed frame, which the decoder then reports.
fn bound_windows(input: &[u8], window: usize, limit: usize, offset: u64) -> Result<Cow<'_, [u8]>> {
    let mut out = Cow::Borrowed(input);
    let mut at = 0usize;
    while let Some(magic) = le(input, at, 4) {
        if magic & !0xF == u64::from(SKIPPABLE_MAGIC) {
            let Some(size) = le(input, at.saturating_add(4), 4) else {
                break;
            };
            at = at
                .saturating_add(8)
                .saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
            continue;
        }
        if magic != u64::from(FRAME_MAGIC) {
            break;
        }
        let Some(desc) = le(input, at.saturating_add(4), 1).and_then(|d| u8::try_from(d).ok())
        else {
            break;
        };
        let single = desc & 0x20 != 0;
        let dict_bytes = match desc & 3 {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => 4,
        };
        let fcs_bytes = match desc >> 6 {
            0 => usize::from(single),
            1 => 2,
            2 => 4,
            _ => 8,
        };
        // `at` is inside `input` here (its magic number was read): no overflow below.
        let mut pos = at.saturating_add(5);
        if single {
            // The window is the content size: more than `limit` cannot be decoded here.
            let fcs_at = pos.saturating_add(dict_bytes);
            let Some(mut size) = le(input, fcs_at, fcs_bytes) else {
                break;
            };
            if fcs_bytes == 2 {
                size += 256;
            }
            if usize::try_from(size).map_or(true, |s| s > limit) {
                return Err(too_long(STRUCTURE, offset, limit));
            }
        } else {
            let Some(wd) = le(input, pos, 1).and_then(|d| u8::try_from(d).ok()) else {
                break;
            };
            if window_of(wd) > u64::try_from(window).unwrap_or(u64::MAX) {
                if let Some(slot) = out.to_mut().get_mut(pos) {
                    *slot = descriptor_for(window);
                }
            }
            pos = pos.saturating_add(1);
        }
        pos = pos.saturating_add(dict_bytes + fcs_bytes);
        // The blocks: 3-byte headers (last flag, type, size); RLE blocks hold one byte.
        loop {
            let Some(header) = le(input, pos, 3) else {
                return Ok(out);
            };
            let size = usize::try_from(header >> 3).unwrap_or(usize::MAX);
            pos = pos
                .saturating_add(3)
                .saturating_add(match (header >> 1) & 3 {
                    0 | 2 => size,
                    1 => 1,
                    _ => return Ok(out),
                });
            if header & 1 == 1 {
                break;
            }
        }
        if desc & 0x04 != 0 {
            pos = pos.saturating_add(4);
        }
        at = pos;
    }
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
    let window = limit.max(MIN_WINDOW);
    let input = bound_windows(input, window, limit, offset)?;
    // Every window is at most twice `window` now (the descriptor's steps are 1/8 of a
    // power of two): refuse anything larger rather than allocate it.
    d.set_max_window_size(u64::try_from(window.saturating_mul(2)).unwrap_or(u64::MAX))
        .map_err(|e| Error::corrupt(STRUCTURE, offset, format!("Zstandard window: {e}")))?;
    d.decode_all(&input, out).map_err(|e| match e {
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

    #[test]
    fn window_descriptors() {
        assert_eq!(window_of(0), 1024);
        assert_eq!(window_of(1), 1024 + 128);
        assert_eq!(window_of(8), 2048);
        for n in [0, 1, 1024, 1025, 3000, 600_000, 1 << 20, (1 << 20) + 1] {
            let d = descriptor_for(n);
            assert!(window_of(d) >= n as u64, "{n}");
            assert!(d == 0 || window_of(d - 1) < n as u64, "{n}");
            assert!(window_of(d) <= 2 * (n.max(1024) as u64));
        }
    }

    /// A frame declaring a 64 MiB window for a few bytes (found by the `filters` fuzz
    /// target: `ruzstd` allocated the window up front) decodes as before, without it.
    #[test]
    fn large_windows_are_lowered_to_the_chunk() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i / 7) as u8).collect();
        let z = encode(&data, 3);
        // The frame with a window descriptor of 2^26 bytes (a single-segment frame, as the
        // encoder writes small ones, made multi-segment: the content size field stays).
        assert!(z[4] >> 6 != 0, "the frame records its content size");
        let mut big = z.clone();
        if z[4] & 0x20 != 0 {
            big[4] &= !0x20;
            big.insert(5, 0x80);
        } else {
            big[5] = 0x80;
        }
        assert_eq!(decode(&big, data.len(), 0).unwrap(), data);
        // Two frames, each with a huge window, and a skippable frame between them.
        let mut two = big.clone();
        two.extend_from_slice(&0x184D_2A5Au32.to_le_bytes());
        two.extend_from_slice(&3u32.to_le_bytes());
        two.extend_from_slice(b"abc");
        two.extend_from_slice(&big);
        let bounded = bound_windows(&two, 2 * data.len(), 2 * data.len(), 0).unwrap();
        let frames: Vec<usize> = (0..bounded.len() - 4)
            .filter(|&i| bounded[i..i + 4] == FRAME_MAGIC.to_le_bytes())
            .collect();
        assert_eq!(frames.len(), 2);
        for f in frames {
            assert!(window_of(bounded[f + 5]) <= 4 * data.len() as u64);
        }
        let mut both = data.clone();
        both.extend_from_slice(&data);
        assert_eq!(decode(&two, both.len(), 0).unwrap(), both);
        // A single-segment frame claiming more than the chunk: refused up front.
        let single = [
            0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 4, 0, 0, 0, 0, 1, 0, 0,
        ];
        assert!(decode(&single, 600, 0)
            .unwrap_err()
            .to_string()
            .contains("more than"));
    }
}
