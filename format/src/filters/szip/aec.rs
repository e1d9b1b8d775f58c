//! The parameters of one CCSDS 121.0-B (Lossless Data Compression, Blue Book) coded stream
//! as libaec defines them, and the preprocessor's unit-delay predictor and mapping (121.0-B
//! section 4), shared by the decoder and the encoder.
//!
//! A stream is a sequence of reference sample intervals (RSIs) of `rsi` blocks of
//! `block_size` samples. Each block is one coded data set (CDS): an option id of
//! [`AecParams::id_len`] bits, then
//!
//! ```text
//! id 0, bit 0   zero block(s): [ref], FS(run code)       run code 0-3: 1-4 blocks,
//!                                                        4: to the end of the RSI or of
//!                                                        its 64-block segment (ROS),
//!                                                        n > 4: n blocks
//! id 0, bit 1   second extension: [ref], FS(gamma) per pair of samples
//! id 1 ..= max-1  split with k = id - 1: [ref], FS(x >> k) per sample, then the low k
//!               bits of each sample (k = 0: the fundamental sequence option)
//! id max (all 1s) no compression: the block's samples, bits_per_sample bits each
//! ```
//!
//! With the preprocessor, the first block of each RSI starts with the reference sample
//! (`[ref]`, raw) and codes one sample fewer; the other samples are mapped prediction
//! errors. FS(n) is n 0 bits then a 1 bit.

use crate::error::{Error, Result};

/// Zero-block run code meaning "to the end of the segment or RSI" (Remainder Of Segment).
pub(super) const ROS: u64 = 4;
/// Blocks in a segment, the unit the ROS code counts to.
pub(super) const SEGMENT: usize = 64;
/// The largest pair sum the second extension option codes (libaec's table of 91 codes).
pub(super) const SE_MAX_SUM: u64 = 12;

/// How a stream is coded (libaec's `aec_stream` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AecParams {
    /// Significant bits per sample, 1 to 32.
    pub bits_per_sample: u32,
    /// Bytes each sample takes in the unfiltered data: 1, 2, 3 or 4, enough for
    /// `bits_per_sample`.
    pub bytes_per_sample: usize,
    /// Samples per block: even, 2 to 64.
    pub block_size: usize,
    /// Blocks per reference sample interval.
    pub rsi: usize,
    /// The unit-delay predictor and mapping (libaec's `AEC_DATA_PREPROCESS`, SZIP's NN).
    pub preprocess: bool,
    /// Samples are two's complement (`AEC_DATA_SIGNED`).
    pub signed: bool,
    /// Multi-byte samples are big-endian (`AEC_DATA_MSB`), else little-endian.
    pub msb: bool,
    /// Each RSI starts on a byte boundary (`AEC_PAD_RSI`).
    pub pad_rsi: bool,
}

impl AecParams {
    /// Checks the settings are ones libaec accepts; the error names `structure`.
    pub fn validate(&self, structure: &'static str, offset: u64) -> Result<()> {
        let bad = |m: String| Err(Error::corrupt(structure, offset, m));
        if !(1..=32).contains(&self.bits_per_sample) {
            return bad(format!("{} bits per sample", self.bits_per_sample));
        }
        let need = match self.bits_per_sample {
            1..=8 => 1,
            9..=16 => 2,
            17..=24 => 3,
            _ => 4,
        };
        if self.bytes_per_sample < need || self.bytes_per_sample > 4 {
            return bad(format!(
                "{} bytes cannot hold {}-bit samples",
                self.bytes_per_sample, self.bits_per_sample
            ));
        }
        if self.block_size < 2 || self.block_size > 64 || !self.block_size.is_multiple_of(2) {
            return bad(format!("block size {}", self.block_size));
        }
        if self.rsi == 0 {
            return bad("reference sample interval 0".into());
        }
        self.rsi_samples(structure, offset).map(|_| ())
    }

    /// Bits of the option id: 3 for samples up to 8 bits, 4 up to 16, else 5.
    pub fn id_len(&self) -> u32 {
        match self.bits_per_sample {
            0..=8 => 3,
            9..=16 => 4,
            _ => 5,
        }
    }

    /// The id of the no-compression option (all ones).
    pub fn id_uncompressed(&self) -> u32 {
        (1 << self.id_len()) - 1
    }

    /// Samples per RSI.
    pub fn rsi_samples(&self, structure: &'static str, offset: u64) -> Result<usize> {
        self.rsi.checked_mul(self.block_size).ok_or_else(|| {
            Error::corrupt(
                structure,
                offset,
                format!("reference sample interval of {} blocks", self.rsi),
            )
        })
    }

    /// The smallest and largest sample values.
    pub fn range(&self) -> (i64, i64) {
        let n = self.bits_per_sample;
        if self.signed {
            (-(1i64 << (n - 1)), (1i64 << (n - 1)) - 1)
        } else {
            (0, (1i64 << n) - 1)
        }
    }

    /// The largest coded value (a raw sample or a mapped prediction error).
    pub fn max_code(&self) -> u64 {
        (1u64 << self.bits_per_sample) - 1
    }
}

/// The preprocessor's mapping of sample `x` predicted by the previous sample `prev`
/// (121.0-B 4.3): small errors alternate sign, `2d` or `-2d - 1`; past `theta`, the
/// distance to the nearer bound of `[min, max]`, the value is `theta + |d|`.
pub(super) fn map(x: i64, prev: i64, (min, max): (i64, i64)) -> u64 {
    let theta = (prev - min).min(max - prev);
    let d = x - prev;
    let code = if (0..=theta).contains(&d) {
        2 * d
    } else if (-theta..0).contains(&d) {
        -2 * d - 1
    } else {
        theta + d.abs()
    };
    code as u64
}

/// The inverse of [`map`]: the sample whose mapped prediction error from `prev` is `code`
/// (at most `max - min`).
pub(super) fn unmap(code: u64, prev: i64, (min, max): (i64, i64)) -> i64 {
    let code = code as i64;
    let low = prev - min;
    let high = max - prev;
    let theta = low.min(high);
    if code <= 2 * theta {
        if code % 2 == 0 {
            prev + code / 2
        } else {
            prev - (code + 1) / 2
        }
    } else if low < high {
        min + code
    } else {
        max - code
    }
}
