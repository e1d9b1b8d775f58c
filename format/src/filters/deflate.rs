//! The deflate filter (filter ID 1, spec IV.A.2.l; libhdf5 `H5Zdeflate.c`): a zlib stream
//! (RFC 1950 header and Adler-32 trailer) at the compression level in client data 0.
//!
//! Decoding never produces more than a caller-given limit: a stream that would inflate past
//! it is reported as corrupt after at most `limit` bytes have been allocated.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{Error, Result};

const STRUCTURE: &str = "deflate filter";

/// Compress `data` at `level` (0-9; larger values are clamped to 9).
pub fn encode(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let mut c = Compress::new(Compression::new(level.min(9)), true);
    // zlib's compressBound-like estimate; the loop grows the buffer if ever needed.
    let mut out = Vec::with_capacity(data.len() + data.len() / 1000 + 64);
    loop {
        let consumed = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(64));
        }
        let status = c
            .compress_vec(rest, &mut out, FlushCompress::Finish)
            .map_err(|e| Error::Invalid(format!("deflate compression failed: {e}")))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}

/// Inflate the zlib stream `data`, producing at most `limit` bytes. Trailing bytes after the
/// end of the stream are ignored, as libhdf5 does. `offset` is the chunk's file offset.
pub fn decode(data: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let mut d = Decompress::new(true);
    let initial = limit.min(data.len().saturating_mul(4).max(4096));
    let mut out = Vec::with_capacity(initial);
    loop {
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        if out.len() == out.capacity() {
            if out.len() >= limit {
                finish_at_limit(&mut d, rest, limit, offset)?;
                return Ok(out);
            }
            let grow = out.capacity().max(4096).min(limit - out.len());
            out.reserve_exact(grow);
        }
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| {
                Error::corrupt(STRUCTURE, offset, format!("invalid deflate stream: {e}"))
            })?;
        if out.len() > limit {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("deflate stream inflates to more than the {limit} bytes expected"),
            ));
        }
        if status == Status::StreamEnd {
            return Ok(out);
        }
        if d.total_in() == before_in && d.total_out() == before_out && out.len() < out.capacity() {
            return Err(Error::corrupt(
                STRUCTURE,
                offset,
                format!("deflate stream ends early after {} bytes", out.len()),
            ));
        }
    }
}

/// The output reached `limit` bytes: the stream must end without producing more.
fn finish_at_limit(d: &mut Decompress, mut rest: &[u8], limit: usize, offset: u64) -> Result<()> {
    let mut probe = [0u8; 64];
    loop {
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let status = d
            .decompress(rest, &mut probe, FlushDecompress::None)
            .map_err(|e| {
                Error::corrupt(STRUCTURE, offset, format!("invalid deflate stream: {e}"))
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
        let used = usize::try_from(d.total_in() - before_in).unwrap_or(usize::MAX);
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
