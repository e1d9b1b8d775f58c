//! Checksums used by the format: Bob Jenkins' lookup3 `hashlittle` (initial value 0) over
//! version 2 metadata structures, and Fletcher-32 for the data filter (spec I.A; libhdf5
//! `H5checksum.c`).

use crate::error::{Error, Result};

#[inline]
fn rot(x: u32, k: u32) -> u32 {
    x.rotate_left(k)
}

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= rot(*c, 4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= rot(*a, 6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= rot(*b, 8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= rot(*c, 16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= rot(*a, 19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= rot(*b, 4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(rot(*b, 14));
    *a ^= *c;
    *a = a.wrapping_sub(rot(*c, 11));
    *b ^= *a;
    *b = b.wrapping_sub(rot(*a, 25));
    *c ^= *b;
    *c = c.wrapping_sub(rot(*b, 16));
    *a ^= *c;
    *a = a.wrapping_sub(rot(*c, 4));
    *b ^= *a;
    *b = b.wrapping_sub(rot(*a, 14));
    *c ^= *b;
    *c = c.wrapping_sub(rot(*b, 24));
}

/// Little-endian word of up to four bytes (missing high bytes are zero).
#[inline]
fn word(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (8 * i)))
}

/// Jenkins lookup3 `hashlittle` of `data` with the given initial value.
pub fn lookup3(data: &[u8], initval: u32) -> u32 {
    // The length is mixed in modulo 2^32, exactly as the C code's `(uint32_t)length`.
    let init = 0xdead_beef_u32
        .wrapping_add(data.len() as u32)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = data;
    while rest.len() > 12 {
        let (block, tail) = rest.split_at(12);
        a = a.wrapping_add(word(block.get(0..4).unwrap_or_default()));
        b = b.wrapping_add(word(block.get(4..8).unwrap_or_default()));
        c = c.wrapping_add(word(block.get(8..12).unwrap_or_default()));
        mix(&mut a, &mut b, &mut c);
        rest = tail;
    }
    if rest.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(rest.get(0..rest.len().min(4)).unwrap_or_default()));
    if rest.len() > 4 {
        b = b.wrapping_add(word(rest.get(4..rest.len().min(8)).unwrap_or_default()));
    }
    if rest.len() > 8 {
        c = c.wrapping_add(word(rest.get(8..).unwrap_or_default()));
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// The metadata checksum of libhdf5 (`H5_checksum_metadata`): lookup3 with initial value 0.
pub fn metadata(data: &[u8]) -> u32 {
    lookup3(data, 0)
}

/// Verify that the four little-endian bytes after `covered` hold its metadata checksum.
///
/// `block` is the structure's bytes including the trailing checksum; `offset` is its file
/// offset, used in the error.
pub fn verify_trailing(block: &[u8], structure: &'static str, offset: u64) -> Result<()> {
    let split = block
        .len()
        .checked_sub(4)
        .ok_or_else(|| Error::corrupt(structure, offset, "too short to hold a checksum"))?;
    let (covered, stored) = block.split_at(split);
    let stored = word(stored);
    let computed = metadata(covered);
    if stored != computed {
        return Err(Error::Checksum {
            structure,
            offset,
            stored,
            computed,
        });
    }
    Ok(())
}

/// Fletcher-32 as libhdf5 computes it (`H5_checksum_fletcher32`): sums start at 0 (not 0xffff),
/// big-endian 16-bit words, an odd trailing byte taken as the high byte of a last word.
pub fn fletcher32(data: &[u8]) -> u32 {
    let mut sum1: u32 = 0;
    let mut sum2: u32 = 0;
    let words = data.chunks_exact(2);
    let odd = words.remainder().first().copied();
    // 360 words is the most that can be summed before the 32-bit sums could overflow.
    let mut since_reduce = 0;
    for pair in words {
        let w = u32::from(u16::from_be_bytes([
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        ]));
        sum1 += w;
        sum2 += sum1;
        since_reduce += 1;
        if since_reduce == 360 {
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
            since_reduce = 0;
        }
    }
    if since_reduce > 0 {
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if let Some(last) = odd {
        sum1 += u32::from(last) << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup3_reference_values() {
        // Values from the test driver in Bob Jenkins' lookup3.c.
        assert_eq!(lookup3(b"", 0), 0xdeadbeef);
        assert_eq!(lookup3(b"", 0xdeadbeef), 0xbd5b7dde);
        assert_eq!(lookup3(b"Four score and seven years ago", 0), 0x17770551);
        assert_eq!(lookup3(b"Four score and seven years ago", 1), 0xcd628161);
    }

    #[test]
    fn checksum_mismatch_is_reported() {
        let mut block = b"abcdefg".to_vec();
        block.extend_from_slice(&metadata(b"abcdefg").to_le_bytes());
        assert!(verify_trailing(&block, "test", 0).is_ok());
        if let Some(b) = block.first_mut() {
            *b ^= 1;
        }
        assert!(matches!(
            verify_trailing(&block, "test", 7),
            Err(Error::Checksum { offset: 7, .. })
        ));
    }
}
