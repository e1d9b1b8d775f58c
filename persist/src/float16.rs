//! [`F16`]: numpy's `float16` (IEEE 754 binary16), the element type of `<f2` arrays.
//!
//! A small type of our own rather than the `half` crate: the value model only needs to
//! carry the bits unchanged (a `<f2` array loads and saves back bit for bit), to widen them
//! exactly (to `f32`/`f64`, for JSON and arithmetic) and to narrow a float as numpy does
//! (round to nearest, ties to even; NaN payloads kept as `npy_double_to_half` keeps them).
//! That is about forty lines, tested exhaustively below; `half` would add a dependency for
//! the same, and could not carry this crate's HDF5 traits (orphan rule).

use jangada_hdf5::{Datatype, H5Type, H5Write, Number, Plan};

/// An IEEE 754 half-precision float (numpy's `float16`), stored as its bits.
///
/// Equality is IEEE equality (as for `f32`: `NaN != NaN`, `-0.0 == 0.0`); compare
/// [`F16::to_bits`] for identity.
#[derive(Clone, Copy, Debug, Default)]
pub struct F16(u16);

impl F16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> F16 {
        F16(bits)
    }

    /// The bits.
    pub const fn to_bits(self) -> u16 {
        self.0
    }

    /// Exactly the same value as an `f64` (every half is a double; NaN payloads kept).
    pub fn to_f64(self) -> f64 {
        let sign = u64::from(self.0 & 0x8000) << 48;
        let exp = u64::from((self.0 >> 10) & 0x1f);
        let mant = u64::from(self.0 & 0x3ff);
        match exp {
            // Zero and subnormals: mant * 2^-24, exact in f64.
            0 => {
                let v = mant as f64 * f64::from_bits(0x3e70_0000_0000_0000); // 2^-24
                if sign != 0 {
                    -v
                } else {
                    v
                }
            }
            0x1f => f64::from_bits(sign | 0x7ff0_0000_0000_0000 | (mant << 42)),
            e => f64::from_bits(sign | ((e + 1023 - 15) << 52) | (mant << 42)),
        }
    }

    /// Exactly the same value as an `f32` (NaN payloads kept).
    pub fn to_f32(self) -> f32 {
        if self.is_nan() {
            // Built from the bits: a float conversion may quiet a signalling NaN.
            let sign = u32::from(self.0 & 0x8000) << 16;
            return f32::from_bits(sign | 0x7f80_0000 | (u32::from(self.0 & 0x3ff) << 13));
        }
        // Every half is a float: the narrowing from the exact f64 is exact.
        self.to_f64() as f32
    }

    /// The nearest half to `v` (ties to even), as numpy's `np.float16(v)`: too large
    /// values become infinities, too small ones (signed) zeros; NaN keeps the top bits of
    /// its payload (and stays a NaN).
    pub fn from_f64(v: f64) -> F16 {
        let bits = v.to_bits();
        let sign = ((bits >> 48) & 0x8000) as u16;
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let mant = bits & 0x000f_ffff_ffff_ffff;
        if exp == 0x7ff {
            if mant == 0 {
                return F16(sign | 0x7c00);
            }
            let payload = (mant >> 42) as u16;
            return F16(sign | 0x7c00 | payload.max(1));
        }
        // The half's biased exponent.
        let e = exp - 1023 + 15;
        if e >= 0x1f {
            return F16(sign | 0x7c00);
        }
        if e <= 0 {
            // Subnormal (or zero): the 53-bit significand in units of 2^-24.
            let shift = 42 + (1 - e);
            if shift >= 64 || exp == 0 {
                return F16(sign);
            }
            let q = round_shift(mant | (1 << 52), shift as u32);
            // A carry into 0x400 is the smallest normal: the encoding is right as is.
            return F16(sign | q as u16);
        }
        // Normal: a carry out of the mantissa bumps the exponent (up to infinity), which
        // the addition does by itself.
        let q = ((e as u64) << 10) + round_shift(mant, 42);
        F16(sign | q as u16)
    }

    /// [`F16::from_f64`] of an `f32` (the f32 widens exactly first; a NaN keeps the top
    /// bits of its payload, read from the bits: widening may quiet a signalling NaN).
    pub fn from_f32(v: f32) -> F16 {
        if v.is_nan() {
            let bits = v.to_bits();
            let sign = ((bits >> 16) & 0x8000) as u16;
            let payload = ((bits & 0x007f_ffff) >> 13) as u16;
            return F16(sign | 0x7c00 | payload.max(1));
        }
        F16::from_f64(f64::from(v))
    }

    /// Whether the value is a NaN.
    pub fn is_nan(self) -> bool {
        self.0 & 0x7c00 == 0x7c00 && self.0 & 0x3ff != 0
    }
}

/// `m >> s` rounded to nearest, ties to even (`1 <= s <= 63`).
fn round_shift(m: u64, s: u32) -> u64 {
    let q = m >> s;
    let rem = m & ((1u64 << s) - 1);
    let half = 1u64 << (s - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    }
}

impl PartialEq for F16 {
    fn eq(&self, other: &F16) -> bool {
        self.to_f64() == other.to_f64()
    }
}

impl PartialOrd for F16 {
    fn partial_cmp(&self, other: &F16) -> Option<std::cmp::Ordering> {
        self.to_f64().partial_cmp(&other.to_f64())
    }
}

impl From<F16> for f32 {
    fn from(v: F16) -> f32 {
        v.to_f32()
    }
}

impl From<F16> for f64 {
    fn from(v: F16) -> f64 {
        v.to_f64()
    }
}

impl std::fmt::Display for F16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.to_f32(), f)
    }
}

/// The little-endian IEEE half datatype (`<f2`), as h5py creates for numpy's `float16`.
fn half_datatype() -> Datatype {
    Datatype::float16()
}

impl H5Write for F16 {
    fn datatype() -> Datatype {
        half_datatype()
    }
    fn number(self) -> Number {
        Number::Float(self.to_f64())
    }
    const NATIVE: bool = true;
    fn encode_native(values: &[Self], out: &mut [u8]) -> bool {
        if out.len() != 2 * values.len() {
            return false;
        }
        for (o, v) in out.chunks_exact_mut(2).zip(values) {
            o.copy_from_slice(&v.0.to_le_bytes());
        }
        true
    }
}

/// Reads: halves bit for bit; other numbers converted as numpy's `astype(float16)` does.
impl H5Type for F16 {
    fn plan(dtype: &Datatype) -> jangada_hdf5::Result<Plan> {
        <f64 as H5Type>::plan(dtype)
    }

    fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]) {
        match *plan {
            Plan::Float { size: 2, big } => {
                for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                    let b = [
                        s.first().copied().unwrap_or(0),
                        s.get(1).copied().unwrap_or(0),
                    ];
                    *d = F16(if big {
                        u16::from_be_bytes(b)
                    } else {
                        u16::from_le_bytes(b)
                    });
                }
            }
            _ => {
                let mut wide = vec![0f64; dst.len()];
                <f64 as H5Type>::convert(plan, src, &mut wide);
                for (d, w) in dst.iter_mut().zip(wide) {
                    *d = F16::from_f64(w);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn every_half_widens_and_narrows_back_bit_for_bit() {
        for bits in 0..=u16::MAX {
            let h = F16::from_bits(bits);
            assert_eq!(F16::from_f64(h.to_f64()).to_bits(), bits, "{bits:#06x}");
            assert_eq!(F16::from_f32(h.to_f32()).to_bits(), bits, "{bits:#06x}");
            assert_eq!(h.is_nan(), h.to_f64().is_nan());
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(F16::from_bits(0x3c00).to_f64(), 1.0);
        assert_eq!(F16::from_bits(0xc000).to_f64(), -2.0);
        assert_eq!(F16::from_bits(0x7bff).to_f64(), 65504.0);
        assert_eq!(F16::from_bits(0x0001).to_f64(), 2f64.powi(-24));
        assert_eq!(F16::from_bits(0x0400).to_f64(), 2f64.powi(-14));
        assert_eq!(F16::from_f64(0.1).to_bits(), 0x2e66);
        assert_eq!(F16::from_f64(0.1).to_f64(), 0.0999755859375);
        assert_eq!(F16::from_f64(65520.0).to_bits(), 0x7c00); // rounds up to inf
        assert_eq!(F16::from_f64(65519.99).to_bits(), 0x7bff);
        assert_eq!(F16::from_f64(-1e-9).to_bits(), 0x8000);
        assert_eq!(F16::from_f64(f64::NAN).to_bits() & 0x7e00, 0x7e00);
        assert_eq!(F16::from_f64(f64::NEG_INFINITY).to_bits(), 0xfc00);
    }

    #[test]
    fn midpoints_round_to_even() {
        // Between each pair of neighbouring finite halves of the same sign: the midpoint
        // goes to the one with the even mantissa, anything off the midpoint to the nearer.
        for bits in 0..0x7bffu16 {
            let (lo, hi) = (F16::from_bits(bits), F16::from_bits(bits + 1));
            let mid = (lo.to_f64() + hi.to_f64()) / 2.0;
            let even = if bits & 1 == 0 { bits } else { bits + 1 };
            assert_eq!(F16::from_f64(mid).to_bits(), even, "{bits:#06x}");
            let below = f64::from_bits(mid.to_bits() - 1);
            let above = f64::from_bits(mid.to_bits() + 1);
            assert_eq!(F16::from_f64(below).to_bits(), bits);
            assert_eq!(F16::from_f64(above).to_bits(), bits + 1);
            assert_eq!(F16::from_f64(-mid).to_bits(), even | 0x8000);
        }
        // Halfway between the largest half and 65536 (the next step): to infinity (even).
        assert_eq!(F16::from_f64(65520.0).to_bits(), 0x7c00);
    }
}
