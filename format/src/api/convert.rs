//! Typed reads: converting stored elements into Rust numbers, with the conversions h5py
//! (libhdf5) performs: between any integer and float widths and byte orders (integers
//! saturate, floats to integers truncate toward zero and saturate, NaN gives 0), h5py
//! booleans, and complex numbers from h5py's `{r, i}` compound or HDF5 2.0's complex class.
//! Anything else (strings, compounds, ...) is a type error; use the dynamic reads instead.

use num_complex::Complex;

use crate::datatype::{ByteOrder, Datatype, Normalization, TypeClass};
use crate::error::{Error, Result};

use super::read::Sink;
use super::soft_float::FloatLayout;

/// How stored elements are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Integer of `size` bytes.
    Int {
        /// Bytes.
        size: usize,
        /// Signed.
        signed: bool,
        /// Big-endian.
        big: bool,
    },
    /// Integer of `size` bytes whose value is `precision` bits starting at bit `offset`
    /// (a reduced-precision integer or bitfield); converted as libhdf5's `H5T__conv_i_i`
    /// does: the bits are extracted and, when signed, sign-extended from the top one.
    Packed {
        /// Bytes.
        size: usize,
        /// Signed.
        signed: bool,
        /// Big-endian.
        big: bool,
        /// Bit offset of the value.
        offset: u8,
        /// Bits of the value (1 to 64).
        precision: u8,
    },
    /// PyTables' 8-byte time: an integer whose high 32 bits are seconds and whose low 32
    /// bits are microseconds (a `struct timeval` of 32-bit fields), read as seconds.
    Timeval {
        /// Big-endian.
        big: bool,
    },
    /// IEEE float of 2, 4 or 8 bytes.
    Float {
        /// Bytes.
        size: usize,
        /// Big-endian.
        big: bool,
    },
    /// Any other float layout that decodes exactly into `f64` (see [`FloatLayout`]): a
    /// reduced-precision (N-bit) float, one at a bit offset, one with no normalization, or
    /// one wider than its value. Converted to `f64` exactly, then as from [`Plan::Float`]
    /// (to `f32` rounding to nearest, ties to even).
    SoftFloat {
        /// Bytes.
        size: usize,
        /// Big-endian.
        big: bool,
        /// Where the fields are.
        layout: FloatLayout,
    },
    /// h5py boolean (enum of int8).
    Bool,
    /// Complex with float parts of `part` bytes.
    Complex {
        /// Bytes per part.
        part: usize,
        /// Big-endian.
        big: bool,
    },
}

impl Plan {
    /// Bytes per element.
    pub fn size(&self) -> usize {
        match *self {
            Plan::Int { size, .. }
            | Plan::Packed { size, .. }
            | Plan::Float { size, .. }
            | Plan::SoftFloat { size, .. } => size,
            Plan::Timeval { .. } => 8,
            Plan::Bool => 1,
            Plan::Complex { part, .. } => 2 * part,
        }
    }
}

/// Whether `class` is exactly IEEE binary16, binary32 or binary64 of `size` bytes (any byte
/// order): the layouts decoded by the hardware.
pub(crate) fn is_ieee(class: &TypeClass, size: u32) -> bool {
    match class {
        TypeClass::Float {
            bit_offset: 0,
            precision,
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location: 0,
            mantissa_size,
            exponent_bias,
            normalization: Normalization::Implied,
            ..
        } => {
            matches!(
                (
                    size,
                    *precision,
                    *exponent_size,
                    *mantissa_size,
                    *exponent_bias
                ),
                (2, 16, 5, 10, 15) | (4, 32, 8, 23, 127) | (8, 64, 11, 52, 1023)
            ) && *exponent_location == *mantissa_size
                && u16::from(*sign_location) + 1 == *precision
        }
        _ => false,
    }
}

/// The plan for reading `dtype` as a real number (or bool), if it is numeric.
pub fn numeric_plan(dtype: &Datatype) -> Result<Plan> {
    if dtype.is_h5py_bool() {
        return Ok(Plan::Bool);
    }
    match &dtype.class {
        TypeClass::Integer {
            order,
            signed,
            bit_offset,
            precision,
        } => int_plan(dtype, *order, *signed, *bit_offset, *precision),
        // h5py reads bitfields as unsigned integers of their size.
        TypeClass::Bitfield {
            order,
            bit_offset,
            precision,
        } => int_plan(dtype, *order, false, *bit_offset, *precision),
        // The time class has no conversions in libhdf5 and h5py cannot read it. Its one
        // producer in practice, PyTables, stores `Time32Col` as 32-bit integer seconds and
        // `Time64Col` as seconds and microseconds in 32 bits each: we read them as PyTables
        // does (int32 and float64 seconds).
        TypeClass::Time { order, .. } if dtype.size == 4 => Ok(Plan::Int {
            size: 4,
            signed: true,
            big: *order == ByteOrder::Big,
        }),
        TypeClass::Time { order, .. } if dtype.size == 8 => Ok(Plan::Timeval {
            big: *order == ByteOrder::Big,
        }),
        TypeClass::Float { order, .. } if is_ieee(&dtype.class, dtype.size) => Ok(Plan::Float {
            size: dtype.size(),
            big: *order == ByteOrder::Big,
        }),
        TypeClass::Float { order, .. } => Ok(Plan::SoftFloat {
            size: dtype.size(),
            big: *order == ByteOrder::Big,
            layout: FloatLayout::of(dtype)?,
        }),
        TypeClass::Enum { base, .. } => numeric_plan(base),
        _ => Err(Error::Type(format!(
            "cannot read {} as a number",
            super::value::describe(dtype)
        ))),
    }
}

/// The plan for an integer (or bitfield) of `dtype.size` bytes holding `precision` bits at
/// bit `offset`.
fn int_plan(
    dtype: &Datatype,
    order: ByteOrder,
    signed: bool,
    offset: u16,
    precision: u16,
) -> Result<Plan> {
    let size = dtype.size();
    let big = order == ByteOrder::Big;
    let bits = u32::from(offset) + u32::from(precision);
    if !matches!(size, 1 | 2 | 4 | 8) || precision == 0 || bits > dtype.size * 8 {
        return Err(Error::Type(format!(
            "cannot read {} as a number (precision {precision} at bit offset {offset} in {size} \
             bytes)",
            super::value::describe(dtype)
        )));
    }
    if offset == 0 && u32::from(precision) == dtype.size * 8 {
        return Ok(Plan::Int { size, signed, big });
    }
    // Both fit in a u8: bits <= 64 was checked above.
    Ok(Plan::Packed {
        size,
        signed,
        big,
        offset: offset as u8,
        precision: precision as u8,
    })
}

/// The value of a packed integer (see [`Plan::Packed`]) whose stored bytes are `v`.
#[inline]
pub(crate) fn unpack(v: u64, offset: u8, precision: u8, signed: bool) -> (u64, i64) {
    let shifted = v >> offset;
    let keep = 64 - u32::from(precision);
    let bits = (shifted << keep) >> keep;
    let value = if signed {
        ((bits << keep) as i64) >> keep
    } else {
        bits as i64
    };
    (bits, value)
}

/// Seconds of a PyTables 8-byte time (`v`: seconds in the high 32 bits, microseconds in the
/// low 32, both signed), computed as PyTables' `conv_float64_timeval32` does.
#[inline]
pub(crate) fn timeval(v: u64) -> f64 {
    let micros = f64::from(v as u32 as i32);
    1e-6 * micros + ((v as i64) >> 32) as f64
}

/// The plan for reading `dtype` as a complex number.
pub fn complex_plan(dtype: &Datatype) -> Result<Plan> {
    match dtype.h5py_complex_part() {
        Some(part) => match (&part.class, part.size) {
            (TypeClass::Float { order, .. }, 4 | 8) if is_ieee(&part.class, part.size) => {
                Ok(Plan::Complex {
                    part: part.size(),
                    big: *order == ByteOrder::Big,
                })
            }
            _ => Err(Error::Type(format!(
                "complex parts of {} are not 32- or 64-bit IEEE floats",
                super::value::describe(dtype)
            ))),
        },
        None => Err(Error::Type(format!(
            "cannot read {} as a complex number",
            super::value::describe(dtype)
        ))),
    }
}

#[inline]
fn uint(bytes: &[u8], big: bool) -> u64 {
    if big {
        bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    } else {
        crate::io::le_uint(bytes)
    }
}

#[inline]
fn sign_extend(v: u64, size: usize) -> i64 {
    let shift = 64 - 8 * size as u32;
    ((v << shift) as i64) >> shift
}

/// IEEE half precision to f64.
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * mant * 2f64.powi(-24),
        31 if mant == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Decode a float element of `size` bytes.
#[inline]
pub fn float(bytes: &[u8], size: usize, big: bool) -> f64 {
    let v = uint(bytes, big);
    match size {
        2 => f16_to_f64(v as u16),
        4 => f64::from(f32::from_bits(v as u32)),
        _ => f64::from_bits(v),
    }
}

/// A Rust type that stored elements can be read into.
pub trait H5Type: Copy + Default + Send + Sync + 'static {
    /// How to decode `dtype` into `Self`, or a type error.
    fn plan(dtype: &Datatype) -> Result<Plan>;
    /// Decode the elements in `src` (encoded per `plan`) into `dst` (same count).
    fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]);

    /// The bytes of `dst`, when elements encoded per `plan` are exactly their in-memory
    /// representation (the type's own size and this machine's byte order), so that stored
    /// data can be read straight into them; `None` when they need converting.
    fn stored_bytes_mut<'a>(plan: &Plan, dst: &'a mut [Self]) -> Option<&'a mut [u8]> {
        let _ = (plan, dst);
        None
    }
}

/// Whether the host stores numbers little-endian (the only byte order HDF5 files use for
/// numbers that `stored_bytes_mut` passes through).
const LITTLE_ENDIAN_HOST: bool = cfg!(target_endian = "little");

/// Conversions from the decoded value kinds.
trait FromNumber: Copy {
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_f64(v: f64) -> Self;
}

#[inline]
fn convert_number<T: FromNumber>(plan: &Plan, src: &[u8], dst: &mut [T]) {
    match *plan {
        Plan::Int { size, signed, big } => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(size)) {
                let v = uint(s, big);
                *d = if signed {
                    T::from_i64(sign_extend(v, size))
                } else {
                    T::from_u64(v)
                };
            }
        }
        Plan::Packed {
            size,
            signed,
            big,
            offset,
            precision,
        } => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(size)) {
                let (bits, value) = unpack(uint(s, big), offset, precision, signed);
                *d = if signed {
                    T::from_i64(value)
                } else {
                    T::from_u64(bits)
                };
            }
        }
        Plan::Float { size, big } => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(size)) {
                *d = T::from_f64(float(s, size, big));
            }
        }
        Plan::SoftFloat { size, big, layout } => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(size)) {
                *d = T::from_f64(layout.decode(s, big));
            }
        }
        Plan::Timeval { big } => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(8)) {
                *d = T::from_f64(timeval(uint(s, big)));
            }
        }
        Plan::Bool => {
            for (d, s) in dst.iter_mut().zip(src.iter()) {
                *d = T::from_i64(i64::from(*s as i8));
            }
        }
        Plan::Complex { .. } => {}
    }
}

macro_rules! integer_type {
    ($($t:ty),*) => {$(
        impl FromNumber for $t {
            #[inline]
            fn from_i64(v: i64) -> Self {
                // Out-of-range values saturate: h5py's (libhdf5's) documented conversion.
                <$t>::try_from(v).unwrap_or(if v < 0 { <$t>::MIN } else { <$t>::MAX })
            }
            #[inline]
            fn from_u64(v: u64) -> Self {
                <$t>::try_from(v).unwrap_or(<$t>::MAX)
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // `as` truncates toward zero, saturates, and maps NaN to 0.
                v as $t
            }
        }

        impl H5Type for $t {
            fn plan(dtype: &Datatype) -> Result<Plan> {
                numeric_plan(dtype)
            }

            fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]) {
                const N: usize = std::mem::size_of::<$t>();
                let native = Plan::Int { size: N, signed: <$t>::MIN != 0, big: false };
                if *plan == native {
                    for (d, s) in dst.iter_mut().zip(src.chunks_exact(N)) {
                        // `chunks_exact(N)` gives N-byte slices: the fallback is never taken.
                        *d = <$t>::from_le_bytes(s.try_into().unwrap_or_default());
                    }
                } else {
                    convert_number(plan, src, dst);
                }
            }

            fn stored_bytes_mut<'a>(plan: &Plan, dst: &'a mut [Self]) -> Option<&'a mut [u8]> {
                const N: usize = std::mem::size_of::<$t>();
                let native = Plan::Int { size: N, signed: <$t>::MIN != 0, big: false };
                (LITTLE_ENDIAN_HOST && *plan == native).then(|| bytemuck::cast_slice_mut(dst))
            }
        }
    )*};
}

integer_type!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_type {
    ($($t:ty),*) => {$(
        impl FromNumber for $t {
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
        }

        impl H5Type for $t {
            fn plan(dtype: &Datatype) -> Result<Plan> {
                numeric_plan(dtype)
            }

            fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]) {
                const N: usize = std::mem::size_of::<$t>();
                if *plan == (Plan::Float { size: N, big: false }) {
                    for (d, s) in dst.iter_mut().zip(src.chunks_exact(N)) {
                        // `chunks_exact(N)` gives N-byte slices: the fallback is never taken.
                        *d = <$t>::from_le_bytes(s.try_into().unwrap_or_default());
                    }
                } else {
                    convert_number(plan, src, dst);
                }
            }

            fn stored_bytes_mut<'a>(plan: &Plan, dst: &'a mut [Self]) -> Option<&'a mut [u8]> {
                const N: usize = std::mem::size_of::<$t>();
                let native = Plan::Float { size: N, big: false };
                (LITTLE_ENDIAN_HOST && *plan == native).then(|| bytemuck::cast_slice_mut(dst))
            }
        }
    )*};
}

float_type!(f32, f64);

impl H5Type for bool {
    fn plan(dtype: &Datatype) -> Result<Plan> {
        match numeric_plan(dtype)? {
            p @ (Plan::Bool | Plan::Int { .. } | Plan::Packed { .. }) => Ok(p),
            _ => Err(Error::Type(format!(
                "cannot read {} as bool",
                super::value::describe(dtype)
            ))),
        }
    }

    fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]) {
        let size = plan.size().max(1);
        for (d, s) in dst.iter_mut().zip(src.chunks_exact(size)) {
            *d = s.iter().any(|&b| b != 0);
        }
    }
}

macro_rules! complex_type {
    ($($t:ty),*) => {$(
        impl H5Type for Complex<$t> {
            fn plan(dtype: &Datatype) -> Result<Plan> {
                complex_plan(dtype)
            }

            fn convert(plan: &Plan, src: &[u8], dst: &mut [Self]) {
                if let Plan::Complex { part, big } = *plan {
                    for (d, s) in dst.iter_mut().zip(src.chunks_exact(2 * part)) {
                        let (re, im) = s.split_at(part);
                        *d = Complex::new(float(re, part, big) as $t, float(im, part, big) as $t);
                    }
                }
            }
        }
    )*};
}

complex_type!(f32, f64);

/// Decode a whole buffer of elements of `dtype`.
pub fn decode_all<T: H5Type>(dtype: &Datatype, raw: &[u8]) -> Result<Vec<T>> {
    let plan = T::plan(dtype)?;
    let size = plan.size();
    if size != dtype.size() {
        return Err(Error::Type(format!(
            "element size {} does not match the datatype size {}",
            size, dtype.size
        )));
    }
    let mut out = vec![T::default(); raw.len() / size];
    T::convert(&plan, raw, &mut out);
    Ok(out)
}

/// A sink converting elements straight into a `Vec<T>` or a caller's buffer (no
/// intermediate byte buffer).
pub(crate) struct TypedSink<T, O = Vec<T>> {
    plan: Plan,
    out: O,
    _elem: std::marker::PhantomData<T>,
}

impl<T: H5Type> TypedSink<T> {
    pub(crate) fn new(dtype: &Datatype, n: usize) -> Result<Self> {
        let plan = Self::plan_for(dtype)?;
        // A huge selection: an error, not an abort on allocation failure.
        let out = crate::hugepage::try_vec_of(n, T::default())
            .map_err(|_| Error::LimitExceeded(format!("cannot allocate {n} elements")))?;
        Ok(TypedSink {
            plan,
            out,
            _elem: std::marker::PhantomData,
        })
    }

    pub(crate) fn into_vec(self) -> Vec<T> {
        self.out
    }
}

impl<'a, T: H5Type> TypedSink<T, &'a mut [T]> {
    /// A sink writing into `out` (sized by the caller).
    pub(crate) fn borrowed(dtype: &Datatype, out: &'a mut [T]) -> Result<Self> {
        Ok(TypedSink {
            plan: Self::plan_for(dtype)?,
            out,
            _elem: std::marker::PhantomData,
        })
    }
}

impl<T: H5Type, O> TypedSink<T, O> {
    fn plan_for(dtype: &Datatype) -> Result<Plan> {
        let plan = T::plan(dtype)?;
        if plan.size() != dtype.size() {
            return Err(Error::Type(format!(
                "element size {} does not match the datatype size {}",
                plan.size(),
                dtype.size
            )));
        }
        Ok(plan)
    }
}

impl<T: H5Type, O: AsMut<[T]>> Sink for TypedSink<T, O> {
    fn put(&mut self, dst: usize, src: &[u8]) -> Result<()> {
        let n = src.len() / self.plan.size();
        let slot = self
            .out
            .as_mut()
            .get_mut(dst..dst + n)
            .ok_or_else(|| Error::Invalid("output position out of range".into()))?;
        T::convert(&self.plan, src, slot);
        Ok(())
    }

    fn fill(&mut self, dst: usize, n: usize, elem: &[u8]) -> Result<()> {
        let mut one = [T::default()];
        T::convert(&self.plan, elem, &mut one);
        let slot = self
            .out
            .as_mut()
            .get_mut(dst..dst + n)
            .ok_or_else(|| Error::Invalid("output position out of range".into()))?;
        slot.fill(one[0]);
        Ok(())
    }

    fn raw_mut(&mut self, dst: usize, n: usize) -> Option<&mut [u8]> {
        let slot = self.out.as_mut().get_mut(dst..dst.checked_add(n)?)?;
        T::stored_bytes_mut(&self.plan, slot)
    }

    fn raw_all(&mut self) -> Option<&mut [u8]> {
        T::stored_bytes_mut(&self.plan, self.out.as_mut())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x8000).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn saturating_integer_conversion() {
        let plan = Plan::Int {
            size: 8,
            signed: true,
            big: false,
        };
        let src: Vec<u8> = [-300i64, 5, 300]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut dst = [0i8; 3];
        i8::convert(&plan, &src, &mut dst);
        assert_eq!(dst, [-128, 5, 127]);
        let mut dst = [0u8; 3];
        u8::convert(&plan, &src, &mut dst);
        assert_eq!(dst, [0, 5, 255]);
    }

    #[test]
    fn big_endian_floats() {
        let plan = Plan::Float { size: 8, big: true };
        let src = 1.5f64.to_be_bytes();
        let mut dst = [0f64; 1];
        f64::convert(&plan, &src, &mut dst);
        assert_eq!(dst, [1.5]);
        let mut dst = [0i32; 1];
        i32::convert(&plan, &src, &mut dst);
        assert_eq!(dst, [1]);
    }
}
