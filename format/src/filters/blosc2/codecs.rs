//! The codecs of Blosc2 streams (c-blosc2 `README_CHUNK_FORMAT.rst`, flags bits 5-7): each
//! stream is one LZ4 block, one zlib stream, one Zstandard frame or one BloscLZ stream.
//! LZ4HC writes the LZ4 block format, so both read as LZ4; this crate writes LZ4HC as LZ4.

use super::Blosc2Codec;
use crate::error::{Error, Result};
use crate::filters::{blosclz, deflate, zstd};

const STRUCTURE: &str = "blosc2 stream";

/// Codec formats of the chunk header's flags bits 5-7.
pub(crate) const FORMAT_BLOSCLZ: u8 = 0;
pub(crate) const FORMAT_LZ4: u8 = 1;
pub(crate) const FORMAT_ZLIB: u8 = 3;
pub(crate) const FORMAT_ZSTD: u8 = 4;
/// The codec is the user codec of header byte 22.
const FORMAT_USER: u8 = 6;

/// Decompress `src` (a stream of codec `format`) into exactly `dst.len()` bytes.
pub(crate) fn decompress(
    format: u8,
    udcodec: u8,
    src: &[u8],
    dst: &mut [u8],
    offset: u64,
) -> Result<()> {
    let want = dst.len();
    let wrong = |got: usize| {
        Error::corrupt(
            STRUCTURE,
            offset,
            format!("decodes to {got} bytes, expected {want}"),
        )
    };
    match format {
        FORMAT_BLOSCLZ => {
            let got = blosclz::decompress(src, dst).ok_or_else(|| {
                Error::corrupt(STRUCTURE, offset, "invalid BloscLZ stream".to_string())
            })?;
            if got != want {
                return Err(wrong(got));
            }
        }
        FORMAT_LZ4 => {
            let got = lz4_flex::block::decompress_into(src, dst)
                .map_err(|e| Error::corrupt(STRUCTURE, offset, format!("invalid LZ4 data: {e}")))?;
            if got != want {
                return Err(wrong(got));
            }
        }
        FORMAT_ZLIB | FORMAT_ZSTD => {
            let v = if format == FORMAT_ZLIB {
                deflate::decode(src, want, offset)?
            } else {
                zstd::decode(src, want, offset)?
            };
            if v.len() != want {
                return Err(wrong(v.len()));
            }
            dst.copy_from_slice(&v);
        }
        FORMAT_USER => {
            return Err(Error::Unsupported(format!(
                "blosc2 user-defined codec {udcodec}"
            )))
        }
        2 => return Err(Error::Unsupported("blosc2 codec snappy".into())),
        other => return Err(Error::Unsupported(format!("blosc2 codec format {other}"))),
    }
    Ok(())
}

/// Compress `src` with `codec` at `clevel` (1-9). `None`: the codec cannot shrink it.
pub(crate) fn compress(codec: Blosc2Codec, clevel: u8, src: &[u8]) -> Result<Option<Vec<u8>>> {
    let out = match codec {
        Blosc2Codec::BloscLz => {
            let mut out = Vec::with_capacity(src.len());
            let n = blosclz::compress(src, &mut out, clevel);
            out.truncate(n);
            out
        }
        Blosc2Codec::Lz4 | Blosc2Codec::Lz4Hc => lz4_flex::block::compress(src),
        Blosc2Codec::Zlib => deflate::encode(src, u32::from(clevel))?,
        Blosc2Codec::Zstd => zstd::encode(src, zstd::blosc_level(clevel)),
    };
    Ok((!out.is_empty() && out.len() < src.len()).then_some(out))
}
