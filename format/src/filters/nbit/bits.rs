//! The bit streams of the N-bit and scale-offset filters: values packed most significant
//! bit first, each byte filled from its high bit down, with no padding between values.

/// Writes values of any width up to 64 bits, most significant bit first.
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    out: Vec<u8>,
    /// Bits not yet written out (the low `pending` bits).
    acc: u64,
    /// How many (fewer than 8 between calls).
    pending: u32,
}

impl BitWriter {
    /// A writer whose buffer starts with `prefix` (e.g. a header).
    pub(crate) fn with_prefix(prefix: &[u8], capacity: usize) -> BitWriter {
        let mut out = Vec::with_capacity(prefix.len().saturating_add(capacity));
        out.extend_from_slice(prefix);
        BitWriter {
            out,
            acc: 0,
            pending: 0,
        }
    }

    /// Append the low `n` bits of `v` (`n` at most 64).
    pub(crate) fn put(&mut self, v: u64, n: u32) {
        let n = n.min(64);
        if n > 56 {
            self.put(v >> 32, n - 32);
            self.put(v & low_mask(32), 32);
            return;
        }
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (v & low_mask(n));
        self.pending += n;
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
        self.acc &= low_mask(self.pending);
    }

    /// The bytes, padded as both filters pad: the number of whole bytes written plus one
    /// (a zero byte is added when the bits end on a byte boundary).
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push((self.acc << (8 - self.pending)) as u8);
        self.out
    }
}

/// Reads what [`BitWriter`] wrote.
#[derive(Debug)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next bit to read, counted from the start of `data`.
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> BitReader<'a> {
        BitReader { data, bit: 0 }
    }

    /// The next `n` bits (`n` at most 64) as the low bits of the result; `None` past the
    /// end of the data.
    pub(crate) fn get(&mut self, n: u32) -> Option<u64> {
        let mut left = n.min(64);
        let mut v = 0u64;
        while left > 0 {
            let byte = *self.data.get(self.bit / 8)?;
            let avail = 8 - (self.bit % 8) as u32;
            let take = left.min(avail);
            let bits = (u64::from(byte) >> (avail - take)) & low_mask(take);
            v = (v << take) | bits;
            left -= take;
            self.bit += take as usize;
        }
        Some(v)
    }

    /// Byte offset of the next bit (for errors).
    pub(crate) fn byte_pos(&self) -> usize {
        self.bit / 8
    }
}

/// The low `n` bits set (`n` at most 64).
pub(crate) fn low_mask(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_widths() {
        let mut w = BitWriter::default();
        let vals: Vec<(u64, u32)> = (0..200u64)
            .map(|i| {
                let n = (i % 64) as u32 + 1;
                (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & low_mask(n), n)
            })
            .collect();
        for &(v, n) in &vals {
            w.put(v, n);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for &(v, n) in &vals {
            assert_eq!(r.get(n).unwrap(), v);
        }
    }

    #[test]
    fn padding_and_end() {
        let mut w = BitWriter::default();
        w.put(0b101, 3);
        assert_eq!(w.finish(), vec![0b1010_0000]);
        let mut w = BitWriter::default();
        w.put(0xab, 8);
        assert_eq!(w.finish(), vec![0xab, 0]);
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.get(5), Some(31));
        assert_eq!(r.get(4), None);
    }
}
