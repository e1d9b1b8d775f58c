//! The BZip2 filter (filter ID 307, PyTables' `H5Zbzip2.c`, which hdf5plugin's `BZip2` and
//! netCDF-C ship too): the chunk as one bzip2 stream. Client data 0 is the block size in
//! units of 100 kB (1 to 9, default 9), used only when compressing.
//!
//! Both directions use the `bzip2` crate over `libbz2-rs-sys`, a Rust port of libbzip2
//! (no C: the crate's name ends in `-sys` only because it also exports libbzip2's C API).
//! As the C filter, decoding stops at the end of the first stream and ignores what follows.

use bzip2::{Action, Compress, Compression, Decompress, Status};

use super::codec::{too_long, FilterCodec, FilterContext, LocalContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "bzip2 filter";

/// Block size (in 100 kB units) stored when none is given (the C filter's default).
pub const DEFAULT_BLOCK_SIZE: u32 = 9;

/// The BZip2 filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bzip2;

impl FilterCodec for Bzip2 {
    fn id(&self) -> u16 {
        id::BZIP2
    }

    fn name(&self) -> &str {
        "bzip2"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let level = ctx.cd_values.first().copied().unwrap_or(DEFAULT_BLOCK_SIZE);
        encode(input, level).map(Some)
    }

    fn set_local(&self, cd: &[u32], _local: &LocalContext<'_>) -> Result<Vec<u32>> {
        let level = cd.first().copied().unwrap_or(DEFAULT_BLOCK_SIZE);
        check_block_size(level)?;
        Ok(vec![level])
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // libbzip2's documented worst case: 1% larger plus 600 bytes.
        len.saturating_add(len / 100).saturating_add(600)
    }
}

fn check_block_size(level: u32) -> Result<()> {
    if (1..=9).contains(&level) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "bzip2 block size {level} is not between 1 and 9"
        )))
    }
}

/// Compress `input` as one bzip2 stream with blocks of `block_size` × 100 kB.
pub fn encode(input: &[u8], block_size: u32) -> Result<Vec<u8>> {
    check_block_size(block_size)?;
    // Work factor 0: libbzip2's default (30).
    let mut c = Compress::new(Compression::new(block_size), 0);
    let mut out = Vec::with_capacity(input.len() / 4 + 64);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(4096));
        }
        let consumed = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        match c.compress_vec(rest, &mut out, Action::Finish) {
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(_) => {}
            Err(e) => return Err(Error::Invalid(format!("bzip2 compression failed: {e}"))),
        }
    }
}

/// Decompress the first bzip2 stream of `input`, producing at most `limit` bytes.
pub fn decode(input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let mut d = Decompress::new(false);
    // One byte of room past the limit tells "exactly full" from "wants more".
    let mut out = vec![0u8; limit.saturating_add(1)];
    loop {
        let read = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let written = usize::try_from(d.total_out()).unwrap_or(usize::MAX);
        let (Some(rest), Some(room)) = (input.get(read..), out.get_mut(written..)) else {
            return Err(too_long(STRUCTURE, offset, limit));
        };
        if room.is_empty() {
            return Err(too_long(STRUCTURE, offset, limit));
        }
        let status = d.decompress(rest, room).map_err(|e| {
            Error::corrupt(
                STRUCTURE,
                offset,
                format!("invalid bzip2 stream at input byte {read}: {e}"),
            )
        })?;
        let now = usize::try_from(d.total_out()).unwrap_or(usize::MAX);
        if now > limit {
            return Err(too_long(STRUCTURE, offset, limit));
        }
        if let Status::StreamEnd = status {
            out.truncate(now);
            return Ok(out);
        }
        let progressed = now != written || d.total_in() != read as u64;
        if !progressed {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("bzip2 stream truncated after {} input bytes", input.len()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trip_limits_and_corrupt_streams() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i / 7 % 251) as u8).collect();
        for level in [1, 9] {
            let z = encode(&data, level).unwrap();
            assert!(z.starts_with(b"BZh"));
            assert!(z.len() < data.len() / 4);
            assert_eq!(decode(&z, data.len(), 0).unwrap(), data);
            // Trailing bytes after the stream are ignored, as by the C filter.
            let mut padded = z.clone();
            padded.extend_from_slice(b"junk");
            assert_eq!(decode(&padded, data.len(), 0).unwrap(), data);
            let err = decode(&z, data.len() - 1, 0).unwrap_err().to_string();
            assert!(err.contains("more than"), "{err}");
            for cut in [0, 3, 10, z.len() / 2, z.len() - 1] {
                assert!(decode(&z[..cut], data.len(), 7).is_err(), "cut {cut}");
            }
            for i in (0..z.len()).step_by(7) {
                let mut bad = z.clone();
                bad[i] ^= 0x5a;
                if let Ok(v) = decode(&bad, data.len(), 0) {
                    assert!(v.len() <= data.len());
                }
            }
        }
        assert_eq!(decode(&encode(&[], 9).unwrap(), 0, 0).unwrap(), b"");
        assert!(encode(&data, 0).is_err());
        assert!(encode(&data, 10).is_err());
        let err = decode(b"not bzip2", 10, 4096).unwrap_err().to_string();
        assert!(err.contains("4096") && err.contains("bzip2"), "{err}");
    }
}
