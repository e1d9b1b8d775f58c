//! Scale-offset for integers: libhdf5's `H5Z__scaleoffset_precompress_i` and
//! `H5Z__scaleoffset_postdecompress_i`, for every size and sign at once (values are held
//! as native bit patterns in a `u64`, compared as 128-bit integers).

use super::{ceil_log2, low_mask, Packed, Params};

/// The value of the `bits`-bit pattern `v`, sign-extended when `signed`.
fn value(v: u64, bits: u32, signed: bool) -> i128 {
    if signed && bits < 64 && v >> (bits - 1) & 1 == 1 {
        i128::from(v) - (1i128 << bits)
    } else if signed && bits == 64 {
        i128::from(v as i64)
    } else {
        i128::from(v)
    }
}

/// Minimum and maximum of the values that are not the fill value (0 and 0 when all are).
fn min_max(values: &[u64], fill: Option<u64>, bits: u32, signed: bool) -> (i128, i128) {
    let mut it = values
        .iter()
        .filter(|&&v| Some(v) != fill)
        .map(|&v| value(v, bits, signed));
    let Some(first) = it.next() else {
        return (0, 0);
    };
    it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Subtract the minimum (the fill value becomes all ones) and choose the bit count.
pub(super) fn pre(p: &Params, signed: bool, user_minbits: u32, mut values: Vec<u64>) -> Packed {
    let bits = p.bits();
    let mask = low_mask(bits);
    let (min, max) = min_max(&values, p.fill, bits, signed);
    let minbits = if user_minbits == 0 {
        let range = ((max - min) as u128 & u128::from(mask)) as u64;
        if range > mask - 2 {
            // The range needs every bit: values stored whole. libhdf5 leaves the minimum
            // at 0 here, except for `signed char` without a fill value.
            let minval = if bits == 8 && signed && p.fill.is_none() {
                min as i64 as u64
            } else {
                0
            };
            return Packed {
                minbits: bits,
                minval,
                values,
            };
        }
        let span = range + 1;
        if p.fill.is_some() {
            ceil_log2(span + 1)
        } else {
            ceil_log2(span)
        }
    } else {
        user_minbits
    };
    let minval = (min as i64 as u64) & if signed { u64::MAX } else { mask };
    if minbits != bits {
        let marker = low_mask(minbits);
        for v in &mut values {
            *v = if Some(*v) == p.fill {
                marker
            } else {
                (*v).wrapping_sub(min as i64 as u64) & mask
            };
        }
    }
    Packed {
        minbits,
        minval,
        values,
    }
}

/// The stored `minbits`-bit value `v` back as the native value.
pub(super) fn post(p: &Params, minbits: u32, minval: u64, v: u64) -> u64 {
    match p.fill {
        Some(fill) if v == low_mask(minbits) => fill,
        _ => v.wrapping_add(minval) & low_mask(p.bits()),
    }
}
