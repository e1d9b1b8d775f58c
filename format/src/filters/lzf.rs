//! The LZF filter (filter ID 32000, h5py's `lzf_filter.c` over liblzf): the chunk as one LZF
//! stream. Client data, as h5py's `set_local` writes them: the filter version (4), the liblzf
//! version (0x0105) and the unfiltered chunk size in bytes.
//!
//! LZF streams are a sequence of runs. A control byte below 32 starts `ctrl + 1` literal
//! bytes; otherwise its top 3 bits are a match length minus 2 (7: add the next byte), its low
//! 5 bits and the next byte the distance minus 1 back into the output (at most 8 KiB).
//!
//! h5py's compressor is given an output buffer the size of the chunk: a chunk LZF cannot
//! shrink makes the filter fail, and libhdf5 (the filter is optional) stores the chunk
//! unfiltered with its filter mask bit set. [`Lzf::encode`] declines such chunks likewise.

use super::codec::{too_long, FilterCodec, FilterContext, LocalContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "lzf filter";

/// h5py's `H5PY_FILTER_LZF_VERSION`, client data 0.
pub const FILTER_VERSION: u32 = 4;
/// liblzf's `LZF_VERSION` (1.5), client data 1.
pub const LZF_VERSION: u32 = 0x0105;

/// Longest match a run can encode.
const MAX_MATCH: usize = 264;
/// Farthest distance a match can reach back.
const MAX_DISTANCE: usize = 1 << 13;
/// Longest literal run.
const MAX_LITERALS: usize = 32;
/// Bits of the compressor's hash table index.
const HASH_BITS: u32 = 14;

/// The LZF filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lzf;

impl FilterCodec for Lzf {
    fn id(&self) -> u16 {
        id::LZF
    }

    fn name(&self) -> &str {
        "lzf"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, _ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(encode(input))
    }

    fn set_local(&self, _cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        let bytes = local
            .chunk_dims
            .iter()
            .try_fold(local.element_size() as u64, |acc, &d| acc.checked_mul(d))
            .and_then(|b| u32::try_from(b).ok())
            .ok_or_else(|| Error::Invalid("lzf: chunks must be smaller than 4 GiB".into()))?;
        Ok(vec![FILTER_VERSION, LZF_VERSION, bytes])
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // Declined when it does not shrink.
        len
    }
}

/// Decompress the LZF stream `input`, producing at most `limit` bytes.
pub fn decode(input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(limit.min(input.len().saturating_mul(8).max(4096)));
    let corrupt = |what: String| Error::corrupt(STRUCTURE, offset, what);
    let mut ip = 0usize;
    while let Some(&ctrl) = input.get(ip) {
        ip += 1;
        if ctrl < 32 {
            let len = usize::from(ctrl) + 1;
            let lit = input
                .get(ip..ip + len)
                .ok_or_else(|| corrupt(format!("literal run at byte {} is cut short", ip - 1)))?;
            if out.len() + len > limit {
                return Err(too_long(STRUCTURE, offset, limit));
            }
            out.extend_from_slice(lit);
            ip += len;
        } else {
            let mut len = usize::from(ctrl >> 5);
            if len == 7 {
                len +=
                    usize::from(*input.get(ip).ok_or_else(|| {
                        corrupt(format!("match at byte {} is cut short", ip - 1))
                    })?);
                ip += 1;
            }
            len += 2;
            let low = *input
                .get(ip)
                .ok_or_else(|| corrupt(format!("match at byte {} is cut short", ip - 1)))?;
            ip += 1;
            let back = (usize::from(ctrl & 0x1f) << 8) + usize::from(low) + 1;
            let start = out.len().checked_sub(back).ok_or_else(|| {
                corrupt(format!(
                    "match at byte {} reaches {back} bytes back, before the start",
                    ip - 2
                ))
            })?;
            if out.len() + len > limit {
                return Err(too_long(STRUCTURE, offset, limit));
            }
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping: the run repeats the last `back` bytes.
                for k in start..start + len {
                    let b = out.get(k).copied().unwrap_or_default();
                    out.push(b);
                }
            }
        }
    }
    Ok(out)
}

fn hash(b: &[u8], i: usize) -> usize {
    let v = match b.get(i..i + 3) {
        Some(&[x, y, z]) => u32::from_le_bytes([x, y, z, 0]),
        _ => 0,
    };
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

/// Compress `input` as an LZF stream; `None` when that would not be shorter than `input`
/// (also for empty input, as liblzf).
pub fn encode(input: &[u8]) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    let mut table = vec![0u32; 1 << HASH_BITS];
    let mut lit = 0usize;
    let mut i = 0usize;
    while i + 2 < n {
        let h = hash(input, i);
        let slot = table.get_mut(h)?;
        let cand = *slot as usize;
        *slot = u32::try_from(i + 1).unwrap_or(0);
        if cand > 0 && i - (cand - 1) <= MAX_DISTANCE {
            let r = cand - 1;
            let max = MAX_MATCH.min(n - i);
            let len = input
                .get(r..r + max)?
                .iter()
                .zip(input.get(i..i + max)?)
                .take_while(|(a, b)| a == b)
                .count();
            if len >= 3 {
                literals(&mut out, input.get(lit..i)?);
                let off = i - r - 1;
                let l = len - 2;
                let hi = (off >> 8) as u8;
                if l < 7 {
                    out.push(((l as u8) << 5) | hi);
                } else {
                    out.push((7 << 5) | hi);
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                if out.len() >= n {
                    return None;
                }
                // Index the last positions of the match, as liblzf does.
                for j in (i + len).saturating_sub(2)..i + len {
                    if j + 2 < n {
                        if let Some(s) = table.get_mut(hash(input, j)) {
                            *s = u32::try_from(j + 1).unwrap_or(0);
                        }
                    }
                }
                i += len;
                lit = i;
                continue;
            }
        }
        i += 1;
    }
    literals(&mut out, input.get(lit..)?);
    (out.len() < n).then_some(out)
}

/// Literal runs for `bytes`.
fn literals(out: &mut Vec<u8>, bytes: &[u8]) {
    for run in bytes.chunks(MAX_LITERALS) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trips_and_declines_random_data() {
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog; "
            .iter()
            .cycle()
            .take(10_000)
            .copied()
            .collect();
        let z = encode(&text).unwrap();
        assert!(z.len() < text.len() / 5);
        assert_eq!(decode(&z, text.len(), 0).unwrap(), text);
        let zeros = vec![0u8; 100_000];
        assert_eq!(decode(&encode(&zeros).unwrap(), 100_000, 0).unwrap(), zeros);
        let mut x = 1u64;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(encode(&noise), None);
        assert_eq!(encode(&[]), None);
    }

    #[test]
    fn corrupt_streams_are_errors() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 17) as u8).collect();
        let z = encode(&data).unwrap();
        // Bounded output.
        let e = decode(&z, 100, 9).unwrap_err().to_string();
        assert!(e.contains("lzf filter at byte offset 9"), "{e}");
        // Cut short: an error or a shorter output (the pipeline checks the size).
        for cut in 1..z.len() {
            if let Ok(v) = decode(&z[..cut], 3000, 0) {
                assert!(v.len() < 3000);
            }
        }
        // A match before the start.
        assert!(decode(&[0x20, 0x05], 100, 0).is_err());
    }
}
