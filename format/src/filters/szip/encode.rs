//! The CCSDS 121.0-B encoder: per block, the cheapest of the zero-block, second extension,
//! split-sample (k = 0 is the fundamental sequence) and no-compression options, as libaec
//! chooses; runs of zero blocks end at the end of a 64-block segment or of the reference
//! sample interval, the ROS code used when they reach it.

use super::aec::{map, AecParams, ROS, SEGMENT, SE_MAX_SUM};
use super::bits::BitWriter;
use crate::error::{Error, Result};

/// Encode `samples` (each the sample's `bits_per_sample`-bit pattern; a whole number of
/// reference sample intervals). Errors name `structure`.
pub fn encode(p: &AecParams, samples: &[u32], structure: &'static str) -> Result<Vec<u8>> {
    p.validate(structure, 0)?;
    let rsi_samples = p.rsi_samples(structure, 0)?;
    if !samples.len().is_multiple_of(rsi_samples) {
        return Err(Error::Invalid(format!(
            "{structure}: {} samples are not a whole number of {rsi_samples}-sample intervals",
            samples.len()
        )));
    }
    let max = p.max_code();
    if let Some(x) = samples.iter().find(|&&x| u64::from(x) > max) {
        return Err(Error::Invalid(format!(
            "{structure}: sample {x:#x} has more than {} significant bits",
            p.bits_per_sample
        )));
    }
    let mut w = BitWriter::with_capacity(samples.len() * p.bytes_per_sample / 2 + 16);
    let mut codes: Vec<u64> = Vec::with_capacity(rsi_samples);
    for interval in samples.chunks_exact(rsi_samples) {
        codes.clear();
        preprocess(p, interval, &mut codes);
        encode_interval(p, &codes, &mut w);
        if p.pad_rsi {
            w.align();
        }
    }
    Ok(w.finish())
}

/// The value of a stored sample pattern.
fn value(p: &AecParams, x: u32) -> i64 {
    let n = p.bits_per_sample;
    if p.signed {
        ((u64::from(x) << (64 - n)) as i64) >> (64 - n)
    } else {
        i64::from(x)
    }
}

/// The coded values of one RSI: the samples, or (preprocessing) the reference sample's
/// pattern then the mapped prediction errors.
fn preprocess(p: &AecParams, interval: &[u32], codes: &mut Vec<u64>) {
    if !p.preprocess {
        codes.extend(interval.iter().map(|&x| u64::from(x)));
        return;
    }
    let range = p.range();
    let mut prev = 0i64;
    for (i, &x) in interval.iter().enumerate() {
        let v = value(p, x);
        codes.push(if i == 0 {
            u64::from(x)
        } else {
            map(v, prev, range)
        });
        prev = v;
    }
}

fn encode_interval(p: &AecParams, codes: &[u64], w: &mut BitWriter) {
    let bs = p.block_size;
    let blocks = p.rsi;
    let mut b = 0;
    while b < blocks {
        let with_ref = p.preprocess && b == 0;
        let skip = usize::from(with_ref);
        let block = codes.get(b * bs..(b + 1) * bs).unwrap_or_default();
        let is_zero = |blk: &[u64], s: usize| blk.iter().skip(s).all(|&c| c == 0);
        if is_zero(block, skip) {
            // A run of zero blocks, within this segment.
            let end = blocks.min((b / SEGMENT + 1) * SEGMENT);
            let mut e = b + 1;
            while e < end && is_zero(codes.get(e * bs..(e + 1) * bs).unwrap_or_default(), 0) {
                e += 1;
            }
            let n = (e - b) as u64;
            w.put(0, p.id_len());
            w.put(0, 1);
            if with_ref {
                w.put(
                    block.first().copied().unwrap_or(0) as u32,
                    p.bits_per_sample,
                );
            }
            let code = if e == end && n > ROS {
                ROS
            } else if n <= ROS {
                n - 1
            } else {
                n
            };
            w.put_fs(code);
            b = e;
            continue;
        }
        encode_block(p, block, with_ref, w);
        b += 1;
    }
}

/// Code one block that is not all zero with the cheapest option.
fn encode_block(p: &AecParams, block: &[u64], with_ref: bool, w: &mut BitWriter) {
    let skip = usize::from(with_ref);
    let coded = block.get(skip..).unwrap_or_default();
    let bps = u64::from(p.bits_per_sample);
    let n = coded.len() as u64;
    // No compression.
    let mut best_cost = n * bps;
    let mut best = Choice::Uncompressed;
    // Split, k = 0 (fundamental sequence) up to the largest id.
    let kmax = u64::from(p.id_uncompressed() - 2).min(bps - 1);
    for k in 0..=kmax {
        let cost = coded.iter().map(|&c| (c >> k) + 1 + k).sum::<u64>();
        if cost < best_cost {
            best_cost = cost;
            best = Choice::Split(k as u32);
        }
    }
    // Second extension: pairs of samples (the reference's place counts as 0).
    let mut se_cost = 1u64;
    let mut se_ok = true;
    for (i, pair) in block.chunks(2).enumerate() {
        let a = if with_ref && i == 0 {
            0
        } else {
            pair.first().copied().unwrap_or(0)
        };
        let b = pair.get(1).copied().unwrap_or(0);
        let sum = a + b;
        if sum > SE_MAX_SUM {
            se_ok = false;
            break;
        }
        se_cost += sum * (sum + 1) / 2 + b + 1;
    }
    if se_ok && se_cost < best_cost {
        best = Choice::SecondExtension;
    }
    let reference = block.first().copied().unwrap_or(0) as u32;
    match best {
        Choice::Uncompressed => {
            w.put(p.id_uncompressed(), p.id_len());
            for &c in block {
                w.put(c as u32, p.bits_per_sample);
            }
        }
        Choice::Split(k) => {
            w.put(k + 1, p.id_len());
            if with_ref {
                w.put(reference, p.bits_per_sample);
            }
            for &c in coded {
                w.put_fs(c >> k);
            }
            for &c in coded {
                w.put(c as u32, k);
            }
        }
        Choice::SecondExtension => {
            w.put(0, p.id_len());
            w.put(1, 1);
            if with_ref {
                w.put(reference, p.bits_per_sample);
            }
            for (i, pair) in block.chunks(2).enumerate() {
                let a = if with_ref && i == 0 {
                    0
                } else {
                    pair.first().copied().unwrap_or(0)
                };
                let b = pair.get(1).copied().unwrap_or(0);
                let sum = a + b;
                w.put_fs(sum * (sum + 1) / 2 + b);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Choice {
    Uncompressed,
    Split(u32),
    SecondExtension,
}
