//! Bit-level reading and writing for the CCSDS 121.0-B coded data stream: bits are packed
//! most significant first, the stream ends padded with zero bits to a whole byte.

use crate::error::{Error, Result};

/// Reads bits, most significant first, from a byte slice. Running out of input is an error
/// naming `structure` and the chunk `offset`.
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    /// The next byte of `data` to load.
    pos: usize,
    /// Loaded bits, left aligned; the bits below the `bits` valid ones are zero.
    acc: u64,
    /// How many bits of `acc` are valid.
    bits: u32,
    structure: &'static str,
    offset: u64,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(data: &'a [u8], structure: &'static str, offset: u64) -> Self {
        BitReader {
            data,
            pos: 0,
            acc: 0,
            bits: 0,
            structure,
            offset,
        }
    }

    fn refill(&mut self) {
        while self.bits <= 56 {
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            self.acc |= u64::from(b) << (56 - self.bits);
            self.bits += 8;
            self.pos += 1;
        }
    }

    fn truncated(&self) -> Error {
        Error::corrupt(
            self.structure,
            self.offset,
            format!(
                "coded stream truncated: {} bytes end inside a block",
                self.data.len()
            ),
        )
    }

    /// The next `n` bits (`n` at most 32) as a number.
    pub(super) fn read(&mut self, n: u32) -> Result<u32> {
        if n == 0 {
            return Ok(0);
        }
        if self.bits < n {
            self.refill();
            if self.bits < n {
                return Err(self.truncated());
            }
        }
        let v = (self.acc >> (64 - n)) as u32;
        self.acc <<= n;
        self.bits -= n;
        Ok(v)
    }

    /// A fundamental sequence code word: the number of 0 bits before the next 1 bit.
    pub(super) fn read_fs(&mut self) -> Result<u64> {
        let mut count = 0u64;
        loop {
            if self.acc == 0 {
                count += u64::from(self.bits);
                self.bits = 0;
                self.refill();
                if self.bits == 0 {
                    return Err(self.truncated());
                }
                continue;
            }
            let zeros = self.acc.leading_zeros();
            // The invalid low bits are zero, so the 1 found is a valid bit.
            self.acc = (self.acc << zeros) << 1;
            self.bits -= zeros + 1;
            return Ok(count + u64::from(zeros));
        }
    }

    /// Skip to the next byte boundary (libaec's `AEC_PAD_RSI`).
    pub(super) fn align(&mut self) {
        let drop = self.bits % 8;
        self.acc <<= drop;
        self.bits -= drop;
    }
}

/// Writes bits, most significant first.
pub(super) struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    /// Pending bits in the low end of `acc` (fewer than 8 between calls).
    bits: u32,
}

impl BitWriter {
    pub(super) fn with_capacity(n: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(n),
            acc: 0,
            bits: 0,
        }
    }

    /// Append the low `n` bits (`n` at most 32) of `v`.
    pub(super) fn put(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        let v = u64::from(v) & (u64::MAX >> (64 - n));
        self.acc = (self.acc << n) | v;
        self.bits += n;
        while self.bits >= 8 {
            self.bits -= 8;
            self.out.push((self.acc >> self.bits) as u8);
        }
    }

    /// Append a fundamental sequence code word: `count` 0 bits then a 1 bit.
    pub(super) fn put_fs(&mut self, mut count: u64) {
        while count >= 32 {
            self.put(0, 32);
            count -= 32;
        }
        // count < 32: count zeros and a one fit in 32 bits.
        self.put(1, count as u32 + 1);
    }

    /// Pad to a whole byte with 0 bits.
    pub(super) fn align(&mut self) {
        if self.bits > 0 {
            self.put(0, 8 - self.bits);
        }
    }

    /// The bytes written, the last one padded with 0 bits.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.align();
        self.out
    }
}
