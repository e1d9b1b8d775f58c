//! Floating-point layouts other than IEEE binary16/32/64 (spec IV.A.2.d, datatype class 1:
//! any bit offset, precision, sign location, exponent location, size and bias, mantissa
//! location and size, and mantissa normalization), decoded exactly into `f64` with the
//! semantics of libhdf5's catch-all float conversion `H5T__conv_f_f`:
//!
//! - mantissa and exponent all zeros: a signed zero; mantissa zero and exponent all ones:
//!   a signed infinity (with no implied bit, also a mantissa holding only its top bit);
//!   exponent all ones otherwise: NaN (libhdf5 writes a NaN with every mantissa bit set);
//! - implied normalization: `(2^msize + m) * 2^(e - bias - msize)`, and when the exponent is
//!   zero (denormalized) `m * 2^(1 - bias - msize)`;
//! - no normalization: `m * 2^(e - bias + 1 - msize)` (the leading one is stored);
//! - "msb-set" normalization: libhdf5 fails with "normalization method not implemented yet"
//!   for every value with a nonzero exponent, so such a type is refused when planned.
//!
//! Only layouts whose every value is exactly an `f64` are accepted (at most 53 significant
//! bits, no bit below 2^-1074, none above 2^1023): anything else would need rounding and
//! is an error naming the layout, never an approximation.

use crate::datatype::{Datatype, Normalization, TypeClass};
use crate::error::{Error, Result};

/// The decoding-relevant fields of a floating-point datatype (bit positions count from the
/// least significant bit of the element in little-endian order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatLayout {
    /// Bit position of the sign bit.
    pub sign: u8,
    /// Bit position of the exponent.
    pub exponent_location: u8,
    /// Exponent bits (1 to 11 in a layout that fits `f64`).
    pub exponent_size: u8,
    /// Bit position of the mantissa.
    pub mantissa_location: u8,
    /// Mantissa bits (1 to 53).
    pub mantissa_size: u8,
    /// Exponent bias.
    pub exponent_bias: u32,
    /// The mantissa's leading one is implied (normalization "implied"); otherwise it is
    /// stored (normalization "none").
    pub implied: bool,
}

impl FloatLayout {
    /// The layout of the float type `dtype`, or a type error when its values cannot all be
    /// decoded exactly into `f64` (or libhdf5 cannot convert them at all).
    pub fn of(dtype: &Datatype) -> Result<FloatLayout> {
        let TypeClass::Float {
            bit_offset,
            precision,
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
            normalization,
            ..
        } = &dtype.class
        else {
            return Err(Error::Type(format!(
                "{} is not a floating-point type",
                super::value::describe(dtype)
            )));
        };
        let fail = |why: &str| {
            Error::Type(format!(
                "cannot read {} as a number: float layout (size {}, precision {precision} at \
                 bit offset {bit_offset}, sign at bit {sign_location}, exponent {exponent_size} \
                 bits at {exponent_location} with bias {exponent_bias}, mantissa \
                 {mantissa_size} bits at {mantissa_location}, normalization {normalization:?}) \
                 {why}",
                super::value::describe(dtype),
                dtype.size,
            ))
        };
        let implied = match normalization {
            Normalization::Implied => true,
            Normalization::None => false,
            Normalization::MsbSet => {
                return Err(fail(
                    "uses msb-set normalization, which libhdf5 cannot convert either",
                ))
            }
        };
        let bits = u64::from(dtype.size) * 8;
        let (es, ms) = (u64::from(*exponent_size), u64::from(*mantissa_size));
        if es == 0
            || ms == 0
            || u64::from(*sign_location) >= bits
            || u64::from(*exponent_location) + es > bits
            || u64::from(*mantissa_location) + ms > bits
        {
            return Err(fail("has fields outside the element or of zero size"));
        }
        // Exponents are small here: a wider field would need a bias that breaks the range
        // checks below.
        if es > 32 || ms + u64::from(implied) > 53 {
            return Err(fail("does not fit a 64-bit float exactly"));
        }
        let bias = i64::from(*exponent_bias);
        let largest_exponent = (1i64 << es) - 2;
        let top = largest_exponent - bias;
        let bottom = 1 - bias - ms as i64;
        if top > 1023 || bottom < -1074 {
            return Err(fail("does not fit a 64-bit float exactly"));
        }
        Ok(FloatLayout {
            sign: *sign_location,
            exponent_location: *exponent_location,
            exponent_size: *exponent_size,
            mantissa_location: *mantissa_location,
            mantissa_size: *mantissa_size,
            exponent_bias: *exponent_bias,
            implied,
        })
    }

    /// The value of one element (`bytes` is exactly the element, in byte order `big`).
    #[inline]
    pub fn decode(&self, bytes: &[u8], big: bool) -> f64 {
        let es = u32::from(self.exponent_size);
        let ms = u32::from(self.mantissa_size);
        let negative = field(bytes, big, u32::from(self.sign), 1) != 0;
        let e = field(bytes, big, u32::from(self.exponent_location), es);
        let m = field(bytes, big, u32::from(self.mantissa_location), ms);
        let all_ones = (1u64 << es) - 1;
        let signed = |v: f64| if negative { -v } else { v };
        if e == all_ones {
            let below_top = m & ((1u64 << (ms - 1)) - 1);
            return if m == 0 || (!self.implied && below_top == 0) {
                signed(f64::INFINITY)
            } else {
                // libhdf5 keeps the sign and sets every mantissa bit.
                f64::from_bits(u64::from(negative) << 63 | 0x7fff_ffff_ffff_ffff)
            };
        }
        let bias = i64::from(self.exponent_bias);
        let (e, ms_i) = (e as i64, i64::from(ms));
        let (mantissa, exponent) = if m == 0 && e == 0 {
            return signed(0.0);
        } else if self.implied && e > 0 {
            (m | 1u64 << ms, e - bias - ms_i)
        } else if m == 0 {
            // No normalization, zero mantissa, nonzero exponent: libhdf5 finds no leading
            // one and yields 2^(e - bias - msize) (a leading one just below the field).
            (1, e - bias - ms_i)
        } else {
            (m, e - bias + 1 - ms_i)
        };
        // `FloatLayout::of` checked that the mantissa has at most 53 bits and the exponent
        // stays within [-1074, 1023]: both factors and the product are exact.
        signed(mantissa as f64 * pow2(exponent))
    }
}

/// 2^k for k in [-1074, 1023], exactly (0 or infinity outside, never reached).
#[inline]
fn pow2(k: i64) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023).clamp(0, 2046) as u64) << 52)
    } else if k >= -1074 {
        f64::from_bits(1u64 << (k + 1074))
    } else {
        0.0
    }
}

/// `len` (at most 64) bits starting at bit `pos` of the element `bytes` (byte order `big`).
#[inline]
fn field(bytes: &[u8], big: bool, pos: u32, len: u32) -> u64 {
    let n = bytes.len();
    let first = (pos / 8) as usize;
    let last = (pos + len).div_ceil(8) as usize;
    let mut v: u128 = 0;
    for k in (first..last).rev() {
        let index = if big { n.checked_sub(k + 1) } else { Some(k) };
        let byte = index.and_then(|i| bytes.get(i)).copied().unwrap_or(0);
        v = v << 8 | u128::from(byte);
    }
    let v = (v >> (pos % 8)) as u64;
    if len >= 64 {
        v
    } else {
        v & ((1u64 << len) - 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::datatype::ByteOrder;

    fn float(size: u32, fields: (u16, u16, u8, u8, u8, u8, u8), bias: u32) -> Datatype {
        let (bit_offset, precision, sign, el, es, ml, msz) = fields;
        Datatype {
            size,
            class: TypeClass::Float {
                order: ByteOrder::Little,
                bit_offset,
                precision,
                sign_location: sign,
                exponent_location: el,
                exponent_size: es,
                mantissa_location: ml,
                mantissa_size: msz,
                exponent_bias: bias,
                normalization: Normalization::Implied,
            },
        }
    }

    #[test]
    fn ieee_layouts_decode_as_the_hardware_does() {
        let f4 = FloatLayout::of(&float(4, (0, 32, 31, 23, 8, 0, 23), 127)).unwrap();
        for v in [
            0.0f32,
            -0.0,
            1.5,
            -3.25,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            -1e-40,
        ] {
            let got = f4.decode(&v.to_le_bytes(), false);
            assert_eq!(got.to_bits(), f64::from(v).to_bits(), "{v}");
            assert_eq!(f4.decode(&v.to_be_bytes(), true).to_bits(), got.to_bits());
        }
        assert_eq!(
            f4.decode(&f32::INFINITY.to_le_bytes(), false),
            f64::INFINITY
        );
        assert!(f4.decode(&f32::NAN.to_le_bytes(), false).is_nan());
        let f8 = FloatLayout::of(&float(8, (0, 64, 63, 52, 11, 0, 52), 1023)).unwrap();
        for v in [f64::MAX, f64::MIN_POSITIVE, 5e-324, -2.5e-310, -1.0] {
            assert_eq!(f8.decode(&v.to_le_bytes(), false).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn no_normalization_stores_the_leading_one() {
        let mut t = float(4, (0, 32, 31, 23, 8, 0, 23), 127);
        if let TypeClass::Float { normalization, .. } = &mut t.class {
            *normalization = Normalization::None;
        }
        let l = FloatLayout::of(&t).unwrap();
        // exponent 127, mantissa 0b11 << 21: 0.11b * 2^(127 - 127 + 1) = 1.5.
        let raw: u32 = 127 << 23 | 3 << 21;
        assert_eq!(l.decode(&raw.to_le_bytes(), false), 1.5);
        // Exponent all ones with only the top mantissa bit: infinity.
        let raw: u32 = 1 << 31 | 255 << 23 | 1 << 22;
        assert_eq!(l.decode(&raw.to_le_bytes(), false), f64::NEG_INFINITY);
    }

    #[test]
    fn layouts_that_do_not_fit_f64_are_refused() {
        let x87 = float(10, (0, 80, 79, 64, 15, 0, 64), 16383);
        let err = FloatLayout::of(&x87).unwrap_err().to_string();
        assert!(err.contains("does not fit a 64-bit float exactly"), "{err}");
        let small_bias = float(8, (0, 64, 63, 52, 11, 0, 52), 100);
        assert!(FloatLayout::of(&small_bias).is_err());
        let mut msb = float(4, (0, 32, 31, 23, 8, 0, 23), 127);
        if let TypeClass::Float { normalization, .. } = &mut msb.class {
            *normalization = Normalization::MsbSet;
        }
        let err = FloatLayout::of(&msb).unwrap_err().to_string();
        assert!(err.contains("msb-set"), "{err}");
    }
}
