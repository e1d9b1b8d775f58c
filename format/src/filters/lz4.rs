//! The LZ4 filter (filter ID 32004, `H5Zlz4.c` as hdf5plugin ships it): the chunk cut into
//! blocks, each compressed with the LZ4 block format. Client data 0 is the block size in
//! bytes (0 or absent: 1 GiB, i.e. one block for any real chunk).
//!
//! ```text
//! u64 BE  unfiltered size
//! u32 BE  block size
//! per block (the last one holds the rest):
//!   u32 BE  stored size; equal to the block's size: the block is stored raw
//!   bytes   the LZ4 block (or the raw bytes)
//! ```

use super::codec::{be32, be64, truncated, usize_of, FilterCodec, FilterContext, LocalContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "lz4 filter";

/// Block size when client data gives none (`H5Zlz4.c`'s `DEFAULT_BLOCK_SIZE`).
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 30;

/// Bytes of the header.
const HEADER: usize = 12;

/// The LZ4 filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lz4;

impl FilterCodec for Lz4 {
    fn id(&self) -> u16 {
        id::LZ4
    }

    fn name(&self) -> &str {
        "lz4"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let block = match ctx.cd_values.first() {
            Some(&b) if b > 0 => usize_of(b),
            _ => DEFAULT_BLOCK_SIZE,
        };
        encode(input, block).map(Some)
    }

    fn set_local(&self, cd: &[u32], _local: &LocalContext<'_>) -> Result<Vec<u32>> {
        Ok(vec![cd.first().copied().unwrap_or(0)])
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // Incompressible blocks are stored raw: 4 bytes per block over the header. Blocks
        // are at least 1 byte.
        len.saturating_mul(5).saturating_add(HEADER)
    }
}

/// Compress `input` in blocks of `block` bytes.
pub fn encode(input: &[u8], block: usize) -> Result<Vec<u8>> {
    let block = block.clamp(1, input.len().max(1));
    let n = input.len();
    let mut out = Vec::with_capacity(HEADER + n / 2 + 64);
    out.extend_from_slice(&(n as u64).to_be_bytes());
    out.extend_from_slice(&u32::try_from(block).unwrap_or(u32::MAX).to_be_bytes());
    for part in input.chunks(block) {
        let at = out.len();
        out.resize(
            at + 4 + lz4_flex::block::get_maximum_output_size(part.len()),
            0,
        );
        let dst = out.get_mut(at + 4..).unwrap_or_default();
        let stored = match lz4_flex::block::compress_into(part, dst) {
            Ok(c) if c < part.len() => c,
            _ => {
                dst.get_mut(..part.len())
                    .ok_or_else(|| Error::Invalid("lz4: block buffer".into()))?
                    .copy_from_slice(part);
                part.len()
            }
        };
        let size = u32::try_from(stored)
            .map_err(|_| Error::Invalid("lz4: blocks must be smaller than 4 GiB".into()))?;
        if let Some(h) = out.get_mut(at..at + 4) {
            h.copy_from_slice(&size.to_be_bytes());
        }
        out.truncate(at + 4 + stored);
    }
    Ok(out)
}

/// Decompress the framed stream `input`, producing at most `limit` bytes.
pub fn decode(input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let corrupt = |what: String| Error::corrupt(STRUCTURE, offset, what);
    let total = be64(input, 0, STRUCTURE, offset)?;
    let block = usize_of(be32(input, 8, STRUCTURE, offset)?);
    let total = usize::try_from(total)
        .ok()
        .filter(|&t| t <= limit)
        .ok_or_else(|| {
            corrupt(format!(
                "claims {total} bytes, more than the {limit} expected"
            ))
        })?;
    if block == 0 && total > 0 {
        return Err(corrupt("block size 0".into()));
    }
    let mut out = vec![0u8; total];
    let mut at = HEADER;
    let mut done = 0usize;
    while done < total {
        let want = block.min(total - done);
        let stored = usize_of(be32(input, at, STRUCTURE, offset)?);
        at += 4;
        let src = input
            .get(at..at.saturating_add(stored))
            .ok_or_else(|| truncated(STRUCTURE, offset, at))?;
        let dst = out.get_mut(done..done + want).unwrap_or_default();
        if stored == want {
            dst.copy_from_slice(src);
        } else {
            let got = lz4_flex::block::decompress_into(src, dst)
                .map_err(|e| corrupt(format!("block at byte {}: invalid LZ4 data: {e}", at - 4)))?;
            if got != want {
                return Err(corrupt(format!(
                    "block at byte {} decodes to {got} bytes, expected {want}",
                    at - 4
                )));
            }
        }
        at += stored;
        done += want;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trip_blocks_and_raw() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i / 7) as u8).collect();
        for block in [1, 7, 1000, 4096, DEFAULT_BLOCK_SIZE] {
            let z = encode(&data, block).unwrap();
            assert_eq!(decode(&z, data.len(), 0).unwrap(), data, "block {block}");
        }
        assert_eq!(decode(&encode(&[], 0).unwrap(), 0, 0).unwrap(), b"");
        // Incompressible: stored raw.
        let raw: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(151) ^ 0x5a).collect();
        let z = encode(&raw, 1 << 30).unwrap();
        assert_eq!(z.len(), 12 + 4 + 100);
        assert_eq!(decode(&z, 100, 0).unwrap(), raw);
    }

    #[test]
    fn corrupt_streams_are_errors() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8).collect();
        let z = encode(&data, 1024).unwrap();
        assert!(decode(&z, 4999, 0)
            .unwrap_err()
            .to_string()
            .contains("more than"));
        for cut in 0..z.len() {
            assert!(decode(&z[..cut], 5000, 0).is_err(), "cut {cut}");
        }
        for i in 12..z.len() {
            let mut bad = z.clone();
            bad[i] ^= 0x55;
            if let Ok(v) = decode(&bad, 5000, 0) {
                assert_eq!(v.len(), 5000);
            }
        }
    }
}
