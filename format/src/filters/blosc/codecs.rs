//! The codecs of one Blosc stream (c-blosc 1.x `blosc.c`'s `*_wrap_compress` and
//! `*_wrap_decompress`): BloscLZ ([`crate::filters::blosclz`]), LZ4 block format (LZ4HC
//! writes the same format), zlib (RFC 1950), Zstandard frames, and raw Snappy (`snap`).

use crate::error::{Error, Result};
use crate::filters::{blosclz, deflate, zstd};

/// A Blosc codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// BloscLZ.
    BloscLz,
    /// LZ4.
    Lz4,
    /// LZ4HC: stored as LZ4 blocks.
    Lz4Hc,
    /// Snappy (the raw format).
    Snappy,
    /// zlib.
    Zlib,
    /// Zstandard.
    Zstd,
}

impl Codec {
    /// The codec of a header's flag bits 5-7 (LZ4HC reads as LZ4: one format).
    pub fn from_format(format: u8) -> Option<Codec> {
        Some(match format {
            0 => Codec::BloscLz,
            1 => Codec::Lz4,
            2 => Codec::Snappy,
            3 => Codec::Zlib,
            4 => Codec::Zstd,
            _ => return None,
        })
    }

    /// The header's flag bits 5-7 for this codec.
    pub fn format(self) -> u8 {
        match self {
            Codec::BloscLz => 0,
            Codec::Lz4 | Codec::Lz4Hc => 1,
            Codec::Snappy => 2,
            Codec::Zlib => 3,
            Codec::Zstd => 4,
        }
    }

    /// The codec of hdf5-blosc's client data 6 (c-blosc's compressor code).
    pub fn from_code(code: u32) -> Option<Codec> {
        Some(match code {
            0 => Codec::BloscLz,
            1 => Codec::Lz4,
            2 => Codec::Lz4Hc,
            3 => Codec::Snappy,
            4 => Codec::Zlib,
            5 => Codec::Zstd,
            _ => return None,
        })
    }

    /// hdf5-blosc's client data 6 for this codec.
    pub fn code(self) -> u32 {
        match self {
            Codec::BloscLz => 0,
            Codec::Lz4 => 1,
            Codec::Lz4Hc => 2,
            Codec::Snappy => 3,
            Codec::Zlib => 4,
            Codec::Zstd => 5,
        }
    }

    /// c-blosc's name of the codec.
    pub fn name(self) -> &'static str {
        match self {
            Codec::BloscLz => "blosclz",
            Codec::Lz4 => "lz4",
            Codec::Lz4Hc => "lz4hc",
            Codec::Snappy => "snappy",
            Codec::Zlib => "zlib",
            Codec::Zstd => "zstd",
        }
    }
}

/// Decompress one stream `src` into all of `dst`; anything but exactly `dst.len()` bytes
/// is an error.
pub fn decompress(codec: Codec, src: &[u8], dst: &mut [u8], offset: u64) -> Result<()> {
    let corrupt = |detail: String| Error::corrupt(super::frame::STRUCTURE, offset, detail);
    let want = dst.len();
    let got = match codec {
        Codec::BloscLz => blosclz::decompress(src, dst)
            .ok_or_else(|| corrupt(format!("invalid BloscLZ data for {want} bytes")))?,
        Codec::Lz4 | Codec::Lz4Hc => lz4_flex::block::decompress_into(src, dst)
            .map_err(|e| corrupt(format!("invalid LZ4 data: {e}")))?,
        Codec::Zlib => copy(&deflate::decode(src, want, offset)?, dst),
        Codec::Zstd => copy(&zstd::decode(src, want, offset)?, dst),
        Codec::Snappy => {
            let n = snap::raw::decompress_len(src)
                .map_err(|e| corrupt(format!("invalid snappy data: {e}")))?;
            if n != want {
                return Err(corrupt(format!(
                    "snappy stream decodes to {n} bytes, expected {want}"
                )));
            }
            snap::raw::Decoder::new()
                .decompress(src, dst)
                .map_err(|e| corrupt(format!("invalid snappy data: {e}")))?
        }
    };
    if got != want {
        return Err(corrupt(format!(
            "{} stream decodes to {got} bytes, expected {want}",
            codec.name()
        )));
    }
    Ok(())
}

/// `src` into the start of `dst` (which holds at least as many bytes); its length.
fn copy(src: &[u8], dst: &mut [u8]) -> usize {
    if let Some(d) = dst.get_mut(..src.len()) {
        d.copy_from_slice(src);
    }
    src.len()
}

/// Compress `src` as one stream appended to `out`; the bytes appended, 0 (and `out`
/// unchanged) when the stream would not be shorter than `src`.
///
/// LZ4HC is written as plain LZ4 (fast mode), which is a valid LZ4HC stream: the two share
/// one format and every LZ4 decoder reads it. Zstandard compresses at c-blosc's level for
/// `clevel` ([`zstd::blosc_level`]).
pub fn compress(codec: Codec, src: &[u8], out: &mut Vec<u8>, clevel: u8) -> Result<usize> {
    let at = out.len();
    match codec {
        Codec::BloscLz => return Ok(blosclz::compress(src, out, clevel)),
        Codec::Lz4 | Codec::Lz4Hc => {
            out.resize(at + lz4_flex::block::get_maximum_output_size(src.len()), 0);
            let dst = out.get_mut(at..).unwrap_or_default();
            let n = lz4_flex::block::compress_into(src, dst).unwrap_or(usize::MAX);
            out.truncate(at.saturating_add(n).min(out.len()));
        }
        Codec::Zlib => out.extend_from_slice(&deflate::encode(src, u32::from(clevel))?),
        Codec::Zstd => out.extend_from_slice(&zstd::encode(src, zstd::blosc_level(clevel))),
        Codec::Snappy => {
            let packed = snap::raw::Encoder::new()
                .compress_vec(src)
                .map_err(|e| Error::Invalid(format!("snappy compression failed: {e}")))?;
            out.extend_from_slice(&packed);
        }
    }
    let n = out.len() - at;
    if n == 0 || n >= src.len() {
        out.truncate(at);
        return Ok(0);
    }
    Ok(n)
}
