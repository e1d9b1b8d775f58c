//! The deflate filter (filter ID 1, spec IV.A.2.l; libhdf5 `H5Zdeflate.c`): a zlib stream
//! (RFC 1950 header and Adler-32 trailer) at the compression level in client data 0.
//!
//! Decoding never produces more than a caller-given limit: a stream that would inflate past
//! it is reported as corrupt after at most `limit` bytes have been allocated.
//!
//! Both directions use `zlib-rs` (a pure-Rust port of zlib-ng's algorithms). Measured on
//! 64 KiB chunks of shuffled smooth float64 (the W7 benchmark), level 4 compresses 1.6x
//! as fast as `miniz_oxide` (the previous backend) to within 1% of the same size, and
//! inflates 1.2-1.4x as fast; its output is a standard zlib stream that libhdf5 (any zlib)
//! reads.

use zlib_rs::{DeflateConfig, Inflate, InflateFlush, ReturnCode, Status};

use super::codec::{FilterCodec, FilterContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "deflate filter";

/// Default level when the pipeline gives none (zlib's default).
const DEFAULT_LEVEL: u32 = 6;

/// The deflate filter: client data 0 is the level.
#[derive(Clone, Copy, Debug, Default)]
pub struct Deflate;

impl FilterCodec for Deflate {
    fn id(&self) -> u16 {
        id::DEFLATE
    }

    fn name(&self) -> &str {
        "deflate"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let level = ctx.cd_values.first().copied().unwrap_or(DEFAULT_LEVEL);
        encode(input, level).map(Some)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        zlib_rs::compress_bound(len)
    }
}

/// Compress `data` at `level` (0-9; larger values are clamped to 9).
pub fn encode(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let level = i32::try_from(level.min(9)).unwrap_or(9);
    let mut out = vec![0u8; zlib_rs::compress_bound(data.len())];
    let (compressed, rc) = zlib_rs::compress_slice(&mut out, data, DeflateConfig::new(level));
    if rc != ReturnCode::Ok {
        return Err(Error::Invalid(format!(
            "deflate compression failed ({rc:?})"
        )));
    }
    let n = compressed.len();
    out.truncate(n);
    Ok(out)
}

/// Inflate the zlib stream `data`, producing at most `limit` bytes. Trailing bytes after the
/// end of the stream are ignored, as libhdf5 does. `offset` is the chunk's file offset.
pub fn decode(data: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let invalid = |e: zlib_rs::InflateError| {
        Error::corrupt(
            STRUCTURE,
            offset,
            format!("invalid deflate stream: {}", e.as_str()),
        )
    };
    let mut d = Inflate::new(true, 15);
    // Room for the whole output at once when it is at most 1 MiB (chunks usually are);
    // larger outputs grow with what the stream produces, so that a short stream claiming a
    // huge chunk does not allocate it.
    let initial = limit.min(data.len().saturating_mul(4).max(1 << 20));
    let mut out = vec![0u8; initial];
    loop {
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let rest = data.get(usize_of(before_in)..).unwrap_or_default();
        let room = out.get_mut(usize_of(before_out)..).unwrap_or_default();
        let status = d
            .decompress(rest, room, InflateFlush::NoFlush)
            .map_err(invalid)?;
        let filled = usize_of(d.total_out());
        if status == Status::StreamEnd {
            out.truncate(filled);
            return Ok(out);
        }
        if filled == out.len() {
            if filled >= limit {
                let rest = data.get(usize_of(d.total_in())..).unwrap_or_default();
                finish_at_limit(&mut d, rest, limit, offset)?;
                out.truncate(filled);
                return Ok(out);
            }
            let grow = out.len().max(4096).min(limit - out.len());
            out.resize(out.len() + grow, 0);
        } else if d.total_in() == before_in && d.total_out() == before_out {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("deflate stream ends early after {filled} bytes"),
            ));
        }
    }
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The output reached `limit` bytes: the stream must end without producing more.
fn finish_at_limit(d: &mut Inflate, mut rest: &[u8], limit: usize, offset: u64) -> Result<()> {
    let mut probe = [0u8; 64];
    loop {
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let status = d
            .decompress(rest, &mut probe, InflateFlush::NoFlush)
            .map_err(|e| {
                Error::corrupt(
                    STRUCTURE,
                    offset,
                    format!("invalid deflate stream: {}", e.as_str()),
                )
            })?;
        if d.total_out() != before_out {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("deflate stream inflates to more than the {limit} bytes expected"),
            ));
        }
        if status == Status::StreamEnd {
            return Ok(());
        }
        let used = usize_of(d.total_in() - before_in);
        if used == 0 {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                "deflate stream ends early".to_string(),
            ));
        }
        rest = rest.get(used..).unwrap_or_default();
    }
}
