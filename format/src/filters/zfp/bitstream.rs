//! zfp's bit stream (`bitstream.inl`) as H5Z-ZFP builds it (`BIT_STREAM_WORD_TYPE=uint8`):
//! bits are written and read least significant first, in 8-bit words, so a stream is a
//! plain byte string and "aligning" or "flushing" rounds to a whole byte.

/// A read ran past the end of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Truncated;

/// Reads bits from a byte string, least significant bit of each byte first.
#[derive(Clone, Debug)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position of the next bit to read.
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// The bit position of the next read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Whether every bit read or skipped so far lies inside the stream.
    pub(crate) fn in_bounds(&self) -> bool {
        self.pos <= self.data.len().saturating_mul(8)
    }

    /// One bit.
    #[inline]
    pub(crate) fn bit(&mut self) -> Result<u32, Truncated> {
        let byte = *self.data.get(self.pos >> 3).ok_or(Truncated)?;
        let bit = (byte >> (self.pos & 7)) & 1;
        self.pos += 1;
        Ok(u32::from(bit))
    }

    /// `n <= 64` bits, the first read in the least significant position.
    #[inline]
    pub(crate) fn bits(&mut self, n: u32) -> Result<u64, Truncated> {
        let mut value = 0u64;
        let mut got = 0u32;
        while got < n {
            let byte = *self.data.get(self.pos >> 3).ok_or(Truncated)?;
            let off = (self.pos & 7) as u32;
            let take = (8 - off).min(n - got);
            let chunk = (u64::from(byte) >> off) & ((1u64 << take) - 1);
            value |= chunk << got;
            got += take;
            self.pos += take as usize;
        }
        Ok(value)
    }

    /// Skip `n` bits (checked when the next bit is read, or by [`Self::in_bounds`]).
    pub(crate) fn skip(&mut self, n: u64) {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.pos = self.pos.saturating_add(n);
    }
}

/// Writes bits to a byte string, least significant bit of each byte first.
#[derive(Clone, Debug, Default)]
pub(crate) struct BitWriter {
    out: Vec<u8>,
    /// Bits not yet written out (fewer than 8).
    acc: u8,
    /// Number of bits in `acc`.
    nacc: u32,
}

impl BitWriter {
    /// An empty stream with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(capacity),
            acc: 0,
            nacc: 0,
        }
    }

    /// One bit (the low bit of `bit`); returns it.
    #[inline]
    pub(crate) fn bit(&mut self, bit: u32) -> u32 {
        let bit = bit & 1;
        self.acc |= (bit as u8) << self.nacc;
        self.nacc += 1;
        if self.nacc == 8 {
            self.out.push(self.acc);
            self.acc = 0;
            self.nacc = 0;
        }
        bit
    }

    /// The low `n <= 64` bits of `value`, least significant first.
    #[inline]
    pub(crate) fn bits(&mut self, mut value: u64, mut n: u32) {
        while n > 0 {
            let take = (8 - self.nacc).min(n);
            let chunk = (value & ((1u64 << take) - 1)) as u8;
            self.acc |= chunk << self.nacc;
            self.nacc += take;
            value = value.checked_shr(take).unwrap_or(0);
            n -= take;
            if self.nacc == 8 {
                self.out.push(self.acc);
                self.acc = 0;
                self.nacc = 0;
            }
        }
    }

    /// `n` zero bits.
    pub(crate) fn pad(&mut self, n: u64) {
        let mut n = n;
        while n > 0 && self.nacc != 0 {
            self.bit(0);
            n -= 1;
        }
        let bytes = usize::try_from(n / 8).unwrap_or(usize::MAX);
        self.out.resize(self.out.len().saturating_add(bytes), 0);
        for _ in 0..n % 8 {
            self.bit(0);
        }
    }

    /// Pad to a whole byte and return the bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        if self.nacc > 0 {
            self.out.push(self.acc);
        }
        self.out
    }
}
