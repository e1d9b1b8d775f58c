//! Scale-offset for floats, D-scale: libhdf5's `H5Z__scaleoffset_precompress_fd` and
//! `H5Z__scaleoffset_postdecompress_fd`, computed in the float's own precision exactly as
//! the C code does: `pow(10, D)` (the platform's `pow`/`powf`, as libhdf5 calls them),
//! `lround`/`llround` (half away from zero; out of range or NaN gives the most negative
//! integer, as on x86-64), and 4-byte floats scaled through `int`, 8-byte through `long`.

use super::{ceil_log2, low_mask, Packed, Params};

/// The float operations the C code uses, at the type's precision.
trait Real: Copy + PartialOrd {
    const BITS: u32;
    fn from_native(v: u64) -> Self;
    fn to_native(self) -> u64;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// `pow_fun(10, e)`.
    fn pow10(e: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn add(self, o: Self) -> Self;
    fn abs(self) -> Self;
    fn round(self) -> Self;
    /// `(type)` of the scaled integer as C converts it.
    fn from_scaled(v: u64) -> Self;
}

impl Real for f32 {
    const BITS: u32 = 32;
    fn from_native(v: u64) -> Self {
        f32::from_bits(v as u32)
    }
    fn to_native(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn pow10(e: Self) -> Self {
        10f32.powf(e)
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn div(self, o: Self) -> Self {
        self / o
    }
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn round(self) -> Self {
        f32::round(self)
    }
    fn from_scaled(v: u64) -> Self {
        // `(float)*(int *)&buf[i]`
        v as u32 as i32 as f32
    }
}

impl Real for f64 {
    const BITS: u32 = 64;
    fn from_native(v: u64) -> Self {
        f64::from_bits(v)
    }
    fn to_native(self) -> u64 {
        self.to_bits()
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn pow10(e: Self) -> Self {
        10f64.powf(e)
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn div(self, o: Self) -> Self {
        self / o
    }
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn round(self) -> Self {
        f64::round(self)
    }
    fn from_scaled(v: u64) -> Self {
        // `(double)*(long *)&buf[i]`
        v as i64 as f64
    }
}

/// C's `lround`/`llround` to a 64-bit integer on x86-64: rounded half away from zero;
/// NaN and values out of range give `i64::MIN`.
fn c_lround(x: f64) -> i64 {
    let r = x.round();
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&r) {
        i64::MIN
    } else {
        r as i64
    }
}

/// Whether `v` counts as the fill value when searching the range (`fabs` and `pow` in
/// double precision).
fn is_fill_range<T: Real>(v: T, fill: Option<T>, d: i32) -> bool {
    fill.is_some_and(|f| v.sub(f).to_f64().abs() < 10f64.powf(-f64::from(d)))
}

fn pre_t<T: Real>(p: &Params, d: i32, mut values: Vec<u64>) -> Option<Packed> {
    let fill = p.fill.map(T::from_native);
    let scale = T::pow10(T::from_f64(f64::from(d)));
    let (min, max) = if fill.is_some() {
        let mut it = values
            .iter()
            .map(|&v| T::from_native(v))
            .filter(|&v| !is_fill_range(v, fill, d));
        match it.next() {
            None => (T::from_f64(0.0), T::from_f64(0.0)),
            Some(first) => it.fold((first, first), |(lo, hi), v| {
                (if v < lo { v } else { lo }, if v > hi { v } else { hi })
            }),
        }
    } else {
        let first = T::from_native(values.first().copied().unwrap_or(0));
        values
            .iter()
            .map(|&v| T::from_native(v))
            .fold((first, first), |(lo, hi), v| {
                (if v < lo { v } else { lo }, if v > hi { v } else { hi })
            })
    };
    let diff = max.mul(scale).sub(min.mul(scale));
    if diff.round() > T::from_f64(2f64.powi(T::BITS as i32 - 1)) {
        // Too wide: stored whole, minimum left at 0.
        return Some(Packed {
            minbits: T::BITS,
            minval: 0,
            values,
        });
    }
    let span = (c_lround(diff.to_f64()) as u64).wrapping_add(1);
    let minbits = if fill.is_some() {
        ceil_log2(span.wrapping_add(1))
    } else {
        ceil_log2(span)
    };
    if minbits > T::BITS {
        // NaN or infinite values in a 4-byte chunk: libhdf5 overruns its buffer.
        return None;
    }
    if minbits != T::BITS {
        let tiny = T::pow10(T::from_f64(-f64::from(d)));
        let marker = low_mask(minbits);
        for v in &mut values {
            let x = T::from_native(*v);
            let is_fill = fill.is_some_and(|f| x.sub(f).abs() < tiny);
            *v = if is_fill {
                marker
            } else {
                let scaled = c_lround(x.mul(scale).sub(min.mul(scale)).to_f64());
                // Stored through `int` (4 bytes) or `long` (8 bytes).
                (scaled as u64) & low_mask(T::BITS)
            };
        }
    }
    Some(Packed {
        minbits,
        minval: min.to_native(),
        values,
    })
}

fn post_t<T: Real>(p: &Params, d: i32, minbits: u32, minval: u64, v: u64) -> u64 {
    let fill = p.fill.map(T::from_native);
    let min = T::from_native(minval & low_mask(T::BITS));
    match fill {
        Some(f) if v == low_mask(minbits) => f.to_native(),
        _ => T::from_scaled(v)
            .div(T::pow10(T::from_f64(f64::from(d))))
            .add(min)
            .to_native(),
    }
}

/// Scale, round and offset a chunk of native float values; `None` if libhdf5 cannot.
pub(super) fn pre(p: &Params, d: i32, values: Vec<u64>) -> Option<Packed> {
    if p.size == 4 {
        pre_t::<f32>(p, d, values)
    } else {
        pre_t::<f64>(p, d, values)
    }
}

/// The stored value `v` back as the native float.
pub(super) fn post(p: &Params, d: i32, minbits: u32, minval: u64, v: u64) -> u64 {
    if p.size == 4 {
        post_t::<f32>(p, d, minbits, minval, v)
    } else {
        post_t::<f64>(p, d, minbits, minval, v)
    }
}
