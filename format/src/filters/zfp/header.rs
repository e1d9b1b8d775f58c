//! zfp's stream header (`zfp_write_header`/`zfp_read_header`, codec version 5, zfp 0.5.x
//! and 1.0.x): the 32-bit magic, the 52-bit field metadata (scalar type, dimensionality,
//! sizes) and the 12- or 64-bit compression mode (`zfp_stream_mode`), in a zfp bit stream.
//!
//! ```text
//! 8 bits  'z'   8 bits 'f'   8 bits 'p'   8 bits codec version (5)
//! 52 bits metadata, from the low bits up:
//!         2 scalar type - 1 (int32, int64, float, double)
//!         2 dimensionality - 1
//!         48 sizes - 1, x first: 1-D 48 bits, 2-D 2 x 24, 3-D 3 x 16, 4-D 4 x 12
//! 12 bits mode, short form (<= 4094):
//!         0..=2047 fixed rate, maxbits = mode + 1
//!         2048..=2175 fixed precision, maxprec = mode - 2047
//!         2176 reversible
//!         2177..=4094 fixed accuracy, minexp = mode - 2177 - 1074
//!         4095: 52 more bits follow (64 in all): 0xfff, then 15 minbits - 1,
//!         15 maxbits - 1, 7 maxprec - 1, 15 minexp + 16495
//! ```

use super::bitstream::{BitReader, BitWriter, Truncated};

/// `ZFP_MIN_BITS`: the fewest bits of a block.
pub const MIN_BITS: u32 = 1;
/// `ZFP_MAX_BITS` (zfp 1.0): the most bits of a block.
pub const MAX_BITS: u32 = 16658;
/// `ZFP_MAX_PREC`: the most bit planes coded.
pub const MAX_PREC: u32 = 64;
/// `ZFP_MIN_EXP`: the smallest base-2 exponent coded; smaller means reversible.
pub const MIN_EXP: i32 = -1074;
/// The codec version this module implements (`ZFP_CODEC`).
pub const CODEC: u8 = 5;
/// Largest mode value of the 12-bit form.
const MODE_SHORT_MAX: u64 = (1 << 12) - 2;

/// zfp's scalar types (`zfp_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    /// 32-bit two's complement integers.
    Int32,
    /// 64-bit two's complement integers.
    Int64,
    /// IEEE single precision.
    Float,
    /// IEEE double precision.
    Double,
}

impl ScalarType {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            ScalarType::Int32 | ScalarType::Float => 4,
            ScalarType::Int64 | ScalarType::Double => 8,
        }
    }

    fn code(self) -> u64 {
        match self {
            ScalarType::Int32 => 0,
            ScalarType::Int64 => 1,
            ScalarType::Float => 2,
            ScalarType::Double => 3,
        }
    }
}

/// The array a stream holds: its scalar type and sizes, x (fastest varying) first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Scalar type.
    pub ty: ScalarType,
    /// Sizes, x first; 1 to 4 of them, each at least 1.
    pub dims: Vec<usize>,
}

impl Field {
    /// Number of values, or `None` on overflow.
    pub fn values(&self) -> Option<usize> {
        self.dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
    }

    /// The 52-bit metadata, or `None` when a size does not fit.
    fn metadata(&self) -> Option<u64> {
        let width = match self.dims.len() {
            1 => 48,
            2 => 24,
            3 => 16,
            4 => 12,
            _ => return None,
        };
        let mut meta = 0u64;
        for &d in self.dims.iter().rev() {
            let d = u64::try_from(d).ok()?.checked_sub(1)?;
            if d >> width != 0 {
                return None;
            }
            meta = (meta << width) + d;
        }
        meta = (meta << 2) + (self.dims.len() as u64 - 1);
        Some((meta << 2) + self.ty.code())
    }

    /// The field `meta` describes (`zfp_field_set_metadata`).
    fn from_metadata(meta: u64) -> Field {
        let ty = match meta & 3 {
            0 => ScalarType::Int32,
            1 => ScalarType::Int64,
            2 => ScalarType::Float,
            _ => ScalarType::Double,
        };
        let ndims = ((meta >> 2) & 3) + 1;
        let sizes = meta >> 4;
        let dims = match ndims {
            // zfp reads only 32 of the 48 bits of a 1-D size.
            1 => vec![(sizes & 0xffff_ffff) as usize + 1],
            2 => (0..2)
                .map(|i| ((sizes >> (24 * i)) & 0xff_ffff) as usize + 1)
                .collect(),
            3 => (0..3)
                .map(|i| ((sizes >> (16 * i)) & 0xffff) as usize + 1)
                .collect(),
            _ => (0..4)
                .map(|i| ((sizes >> (12 * i)) & 0xfff) as usize + 1)
                .collect(),
        };
        Field { ty, dims }
    }
}

/// zfp's four compression parameters (`zfp_stream`'s `minbits`, `maxbits`, `maxprec`,
/// `minexp`); every mode is a combination of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Fewest bits per block (blocks are padded to it).
    pub minbits: u32,
    /// Most bits per block (blocks are cut at it).
    pub maxbits: u32,
    /// Most bit planes coded.
    pub maxprec: u32,
    /// Smallest bit plane exponent coded (floating point); below [`MIN_EXP`]: reversible.
    pub minexp: i32,
}

impl Params {
    /// zfp's defaults (`zfp_stream_open`), which are also the expert mode's defaults.
    pub const DEFAULT: Params = Params {
        minbits: MIN_BITS,
        maxbits: MAX_BITS,
        maxprec: MAX_PREC,
        minexp: MIN_EXP,
    };

    /// Checked parameters (`zfp_stream_set_params`).
    pub fn new(minbits: u32, maxbits: u32, maxprec: u32, minexp: i32) -> Option<Params> {
        (minbits <= maxbits && (1..=64).contains(&maxprec)).then_some(Params {
            minbits,
            maxbits,
            maxprec,
            minexp,
        })
    }

    /// Whether the stream is lossless (`zfp_stream_set_reversible`).
    pub fn reversible(&self) -> bool {
        self.minexp < MIN_EXP
    }

    /// The parameters a mode value stands for (`zfp_stream_set_mode`).
    pub fn from_mode(mode: u64) -> Option<Params> {
        if mode <= MODE_SHORT_MAX {
            let m = mode as u32;
            return Some(match m {
                0..=2047 => Params {
                    minbits: m + 1,
                    maxbits: m + 1,
                    ..Params::DEFAULT
                },
                2048..=2175 => Params {
                    maxprec: m + 1 - 2048,
                    ..Params::DEFAULT
                },
                2176 => Params {
                    minexp: MIN_EXP - 1,
                    ..Params::DEFAULT
                },
                _ => Params {
                    minexp: m as i32 + MIN_EXP - 2177,
                    ..Params::DEFAULT
                },
            });
        }
        let m = mode >> 12;
        Params::new(
            (m & 0x7fff) as u32 + 1,
            ((m >> 15) & 0x7fff) as u32 + 1,
            ((m >> 30) & 0x7f) as u32 + 1,
            ((m >> 37) & 0x7fff) as i32 - 16495,
        )
    }

    /// The mode value of these parameters (`zfp_stream_mode`).
    pub fn mode(&self) -> u64 {
        let p = *self;
        let fixed_rate = p.minbits == p.maxbits
            && (1..=MAX_BITS).contains(&p.maxbits)
            && p.maxprec >= MAX_PREC
            && p.minexp == MIN_EXP;
        let wide_bits = p.minbits <= MIN_BITS && p.maxbits >= MAX_BITS;
        let valid = p.minbits <= p.maxbits && (1..=64).contains(&p.maxprec);
        if valid && p != Params::DEFAULT {
            if fixed_rate {
                if p.maxbits <= 2048 {
                    return u64::from(p.maxbits - 1);
                }
            } else if wide_bits && p.maxprec >= 1 && p.minexp == MIN_EXP {
                if p.maxprec <= 128 {
                    return u64::from(p.maxprec - 1) + 2048;
                }
            } else if wide_bits && p.maxprec >= MAX_PREC && p.minexp >= MIN_EXP {
                if p.minexp <= 843 {
                    return (p.minexp - MIN_EXP) as u64 + 2177;
                }
            } else if wide_bits && p.maxprec >= MAX_PREC && p.minexp < MIN_EXP {
                return 2176;
            }
        }
        let minbits = u64::from(p.minbits.clamp(1, 0x8000) - 1);
        let maxbits = u64::from(p.maxbits.clamp(1, 0x8000) - 1);
        let maxprec = u64::from(p.maxprec.clamp(1, 0x80) - 1);
        let minexp = i64::from(p.minexp).saturating_add(16495).clamp(0, 0x7fff) as u64;
        let mut mode = minexp;
        mode = (mode << 7) + maxprec;
        mode = (mode << 15) + maxbits;
        mode = (mode << 15) + minbits;
        (mode << 12) + 0xfff
    }
}

/// Why a header was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The stream ends inside the header.
    Truncated,
    /// Not "zfp", or another codec version.
    Magic(String),
    /// A mode zfp rejects.
    Mode(u64),
}

impl From<Truncated> for HeaderError {
    fn from(_: Truncated) -> Self {
        HeaderError::Truncated
    }
}

/// Read a full header (magic, metadata, mode).
pub(crate) fn read(r: &mut BitReader<'_>) -> Result<(Field, Params), HeaderError> {
    let magic = r.bits(32)?;
    let [z, f, p, codec] = (magic as u32).to_le_bytes();
    if [z, f, p] != *b"zfp" || codec != CODEC {
        return Err(HeaderError::Magic(format!(
            "{:?} codec {codec}",
            String::from_utf8_lossy(&[z, f, p])
        )));
    }
    let field = Field::from_metadata(r.bits(52)?);
    let mut mode = r.bits(12)?;
    if mode > MODE_SHORT_MAX {
        mode += r.bits(52)? << 12;
    }
    let params = Params::from_mode(mode).ok_or(HeaderError::Mode(mode))?;
    Ok((field, params))
}

/// Write a full header; `None` when the field's sizes do not fit in one.
pub(crate) fn write(w: &mut BitWriter, field: &Field, params: &Params) -> Option<()> {
    let meta = field.metadata()?;
    w.bits(u64::from(u32::from_le_bytes([b'z', b'f', b'p', CODEC])), 32);
    w.bits(meta, 52);
    let mode = params.mode();
    w.bits(mode, if mode > MODE_SHORT_MAX { 64 } else { 12 });
    Some(())
}
