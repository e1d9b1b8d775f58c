//! The CCSDS 121.0-B decoder (as libaec's `aec_decode` behaves): reads coded data sets
//! until the output holds the bytes asked for and the interval it ends in is complete,
//! undoing the preprocessor per reference sample interval. Every read is checked: a stream that ends early, an impossible code or
//! a run past the end of its interval is an error, never a short or garbled output.

use super::aec::{unmap, AecParams, ROS, SEGMENT, SE_MAX_SUM};
use super::bits::BitReader;
use crate::error::{Error, Result};

/// Where decoded samples go: the output bytes, the position in the current RSI and the
/// preprocessor's state.
struct Sink<'p> {
    p: &'p AecParams,
    out: Vec<u8>,
    target: usize,
    /// Sample index within the current RSI.
    pos: usize,
    rsi_samples: usize,
    /// Samples of each RSI that are output (the rest is padding).
    keep: usize,
    /// The last reconstructed sample (the predictor).
    last: i64,
    range: (i64, i64),
    max_code: u64,
    structure: &'static str,
    offset: u64,
}

impl Sink<'_> {
    fn full(&self) -> bool {
        self.out.len() >= self.target
    }

    /// Whether decoding is over: the output is full and the interval it ended in too
    /// (libaec encodes whole intervals, so a stream cut inside its last one is an error).
    fn done(&self) -> bool {
        self.full() && self.pos == 0
    }

    /// `n` zero codes (at most the rest of the interval).
    fn zeros(&mut self, n: usize) -> Result<()> {
        let mut left = n;
        while left > 0 && !self.full() {
            self.push(0)?;
            left -= 1;
        }
        // Once the output is full only the position in the interval moves (a zero code
        // leaves the predictor as it is).
        self.pos = (self.pos + left) % self.rsi_samples;
        Ok(())
    }

    fn push(&mut self, code: u64) -> Result<()> {
        if code > self.max_code {
            return Err(Error::corrupt(
                self.structure,
                self.offset,
                format!(
                    "coded value {code} does not fit {} bits per sample",
                    self.p.bits_per_sample
                ),
            ));
        }
        let value = if !self.p.preprocess {
            code as i64
        } else if self.pos == 0 {
            // The reference sample, stored raw.
            let n = self.p.bits_per_sample;
            if self.p.signed {
                ((code << (64 - n)) as i64) >> (64 - n)
            } else {
                code as i64
            }
        } else {
            unmap(code, self.last, self.range)
        };
        self.last = value;
        if self.pos < self.keep && !self.full() {
            let v = value as u32;
            let n = self.p.bytes_per_sample;
            for i in 0..n {
                let shift = if self.p.msb { 8 * (n - 1 - i) } else { 8 * i };
                self.out.push((v >> shift) as u8);
            }
        }
        self.pos += 1;
        if self.pos == self.rsi_samples {
            self.pos = 0;
        }
        Ok(())
    }
}

/// The second extension's pair for code `m`: (first, second) with
/// `m = (a + b)(a + b + 1) / 2 + b`.
fn se_pair(m: u64) -> Option<(u64, u64)> {
    let mut beta = 0u64;
    while (beta + 1) * (beta + 2) / 2 <= m {
        beta += 1;
        if beta > SE_MAX_SUM {
            return None;
        }
    }
    let b = m - beta * (beta + 1) / 2;
    Some((beta - b, b))
}

/// Decode `input` into `out_len` bytes (a multiple of the sample size), keeping the first
/// `keep` samples of each reference sample interval. Errors name `structure` and `offset`.
pub fn decode(
    p: &AecParams,
    input: &[u8],
    out_len: usize,
    keep: usize,
    structure: &'static str,
    offset: u64,
) -> Result<Vec<u8>> {
    p.validate(structure, offset)?;
    let corrupt = |m: String| Error::corrupt(structure, offset, m);
    if !out_len.is_multiple_of(p.bytes_per_sample) {
        return Err(corrupt(format!(
            "{out_len} bytes are not a whole number of {}-byte samples",
            p.bytes_per_sample
        )));
    }
    let rsi_samples = p.rsi_samples(structure, offset)?;
    if keep == 0 {
        return Err(corrupt("no samples per reference sample interval".into()));
    }
    let mut sink = Sink {
        p,
        out: Vec::with_capacity(out_len),
        target: out_len,
        pos: 0,
        rsi_samples,
        keep: keep.min(rsi_samples),
        last: 0,
        range: p.range(),
        max_code: p.max_code(),
        structure,
        offset,
    };
    let mut r = BitReader::new(input, structure, offset);
    let (bs, bps) = (p.block_size, p.bits_per_sample);
    let id_uncompressed = p.id_uncompressed();
    let mut parts = [0u64; 64];
    while !sink.done() {
        if sink.pos == 0 && p.pad_rsi {
            r.align();
        }
        let with_ref = p.preprocess && sink.pos == 0;
        let coded = bs - usize::from(with_ref);
        let id = r.read(p.id_len())?;
        if id == id_uncompressed {
            for _ in 0..bs {
                sink.push(u64::from(r.read(bps)?))?;
            }
        } else if id == 0 {
            let second_extension = r.read(1)? == 1;
            if with_ref {
                sink.push(u64::from(r.read(bps)?))?;
            }
            if second_extension {
                let mut i = usize::from(with_ref);
                while i < bs {
                    let m = r.read_fs()?;
                    let (a, b) = se_pair(m).ok_or_else(|| {
                        corrupt(format!("second extension code {m} out of range"))
                    })?;
                    if i % 2 == 0 {
                        sink.push(a)?;
                        i += 1;
                    }
                    sink.push(b)?;
                    i += 1;
                }
            } else {
                let code = r.read_fs()?;
                let used = sink.pos / bs;
                let blocks = if code == ROS {
                    (p.rsi - used).min(SEGMENT - used % SEGMENT)
                } else if code < ROS {
                    code as usize + 1
                } else {
                    usize::try_from(code).unwrap_or(usize::MAX)
                };
                let left = rsi_samples - sink.pos;
                let zeros = blocks
                    .checked_mul(bs)
                    .map(|z| z - usize::from(with_ref))
                    .filter(|&z| z <= left)
                    .ok_or_else(|| {
                        corrupt(format!(
                            "a run of {blocks} zero blocks passes the end of the reference \
                             sample interval"
                        ))
                    })?;
                sink.zeros(zeros)?;
            }
        } else {
            let k = id - 1;
            if with_ref {
                sink.push(u64::from(r.read(bps)?))?;
            }
            let parts = parts.get_mut(..coded).unwrap_or_default();
            for v in parts.iter_mut() {
                let high = r.read_fs()?;
                if high > sink.max_code {
                    return Err(corrupt(format!(
                        "split code {high} does not fit {bps} bits per sample"
                    )));
                }
                *v = high << k;
            }
            for v in parts.iter_mut() {
                *v |= u64::from(r.read(k)?);
            }
            for &v in parts.iter() {
                sink.push(v)?;
            }
        }
    }
    Ok(sink.out)
}
