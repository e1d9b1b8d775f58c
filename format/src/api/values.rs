//! Values to write: Rust numbers, booleans, complex numbers and strings, encoded the way
//! h5py stores them (int64/float64 native types, h5py's boolean enum and `{r, i}` complex
//! compound, variable-length UTF-8 strings), with h5py's numeric conversions when the
//! target dataset has another numeric type.

use ndarray::ArrayD;
use num_complex::Complex;

use crate::dataspace::{Dataspace, SpaceKind};
use crate::datatype::{ByteOrder, Datatype, TypeClass};
use crate::error::{Error, Result};

/// A number on its way to the file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// Complex.
    Complex(f64, f64),
}

/// A Rust type that can be written.
pub trait H5Write: Copy {
    /// The datatype h5py would create for this type.
    fn datatype() -> Datatype;
    /// The value as a [`Number`].
    fn number(self) -> Number;
    /// Whether the type has its own little-endian encoding that [`H5Write::datatype`]
    /// describes (numbers), written by [`H5Write::encode_native`].
    const NATIVE: bool = false;
    /// Append `values` in this type's own little-endian encoding, when it has one that
    /// [`H5Write::datatype`] describes (numbers); `false` otherwise.
    fn put_native(values: &[Self], out: &mut Vec<u8>) -> bool {
        if !Self::NATIVE {
            return false;
        }
        let start = out.len();
        out.resize(start + std::mem::size_of_val(values), 0);
        out.get_mut(start..)
            .is_some_and(|tail| Self::encode_native(values, tail))
    }
    /// Encode `values` in this type's own little-endian encoding into `out`, which must be
    /// exactly `values.len()` elements long; `false` (and `out` untouched) when the type
    /// has no such encoding or the lengths differ.
    fn encode_native(values: &[Self], out: &mut [u8]) -> bool {
        let _ = (values, out);
        false
    }
    /// `values`' bytes, when they already are this type's little-endian encoding (numbers
    /// on a little-endian machine): written to the file as they are, without a copy.
    fn native_bytes(values: &[Self]) -> Option<&[u8]> {
        let _ = values;
        None
    }
}

/// The body of [`H5Write::encode_native`] for a number type of `N` bytes.
macro_rules! encode_le {
    ($t:ty, $values:expr, $out:expr) => {{
        const N: usize = std::mem::size_of::<$t>();
        let (chunks, rest) = $out.as_chunks_mut::<N>();
        if !rest.is_empty() || chunks.len() != $values.len() {
            return false;
        }
        for (o, v) in chunks.iter_mut().zip($values) {
            *o = v.to_le_bytes();
        }
        true
    }};
}

macro_rules! int_write {
    ($($t:ty => $signed:expr, $variant:ident, $wide:ty);*) => {$(
        impl H5Write for $t {
            fn datatype() -> Datatype {
                Datatype::int(std::mem::size_of::<$t>() as u32, $signed)
            }
            fn number(self) -> Number {
                Number::$variant(<$wide>::from(self))
            }
            const NATIVE: bool = true;
            fn encode_native(values: &[Self], out: &mut [u8]) -> bool {
                encode_le!($t, values, out)
            }
            fn native_bytes(values: &[Self]) -> Option<&[u8]> {
                LITTLE_ENDIAN.then(|| bytemuck::cast_slice(values))
            }
        }
    )*};
}

/// Whether this machine stores numbers little-endian (as every HDF5 number this crate
/// writes natively is stored).
const LITTLE_ENDIAN: bool = cfg!(target_endian = "little");

int_write!(i8 => true, Int, i64; i16 => true, Int, i64; i32 => true, Int, i64; i64 => true, Int, i64;
           u8 => false, UInt, u64; u16 => false, UInt, u64; u32 => false, UInt, u64; u64 => false, UInt, u64);

impl H5Write for f32 {
    const NATIVE: bool = true;
    fn encode_native(values: &[Self], out: &mut [u8]) -> bool {
        encode_le!(f32, values, out)
    }
    fn native_bytes(values: &[Self]) -> Option<&[u8]> {
        LITTLE_ENDIAN.then(|| bytemuck::cast_slice(values))
    }
    fn datatype() -> Datatype {
        Datatype::float(4).unwrap_or_else(|_| Datatype::int(4, true))
    }
    fn number(self) -> Number {
        Number::Float(f64::from(self))
    }
}

impl H5Write for f64 {
    const NATIVE: bool = true;
    fn encode_native(values: &[Self], out: &mut [u8]) -> bool {
        encode_le!(f64, values, out)
    }
    fn native_bytes(values: &[Self]) -> Option<&[u8]> {
        LITTLE_ENDIAN.then(|| bytemuck::cast_slice(values))
    }
    fn datatype() -> Datatype {
        Datatype::float(8).unwrap_or_else(|_| Datatype::int(8, true))
    }
    fn number(self) -> Number {
        Number::Float(self)
    }
}

impl H5Write for bool {
    fn datatype() -> Datatype {
        Datatype::h5py_bool()
    }
    fn number(self) -> Number {
        Number::Bool(self)
    }
}

impl H5Write for Complex<f32> {
    fn datatype() -> Datatype {
        Datatype::h5py_complex(4).unwrap_or_else(|_| Datatype::int(8, true))
    }
    fn number(self) -> Number {
        Number::Complex(f64::from(self.re), f64::from(self.im))
    }
}

impl H5Write for Complex<f64> {
    fn datatype() -> Datatype {
        Datatype::h5py_complex(8).unwrap_or_else(|_| Datatype::int(16, true))
    }
    fn number(self) -> Number {
        Number::Complex(self.re, self.im)
    }
}

fn put(out: &mut Vec<u8>, v: u64, size: usize, order: ByteOrder) {
    let bytes = v.to_le_bytes();
    let part = bytes.get(..size.min(8)).unwrap_or(&bytes);
    match order {
        ByteOrder::Little => out.extend_from_slice(part),
        ByteOrder::Big => out.extend(part.iter().rev()),
    }
}

fn f16_bits(v: f64) -> u16 {
    let f = v as f32;
    let bits = f.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = (mant | 0x80_0000) >> (1 - e);
        let round = (m >> 12) & 1;
        return sign | ((m >> 13) + round) as u16;
    }
    let round = (mant >> 12) & 1;
    (sign | ((e as u16) << 10) | (mant >> 13) as u16).wrapping_add(round as u16)
}

fn encode_float(v: f64, size: usize, order: ByteOrder, out: &mut Vec<u8>) {
    match size {
        2 => put(out, u64::from(f16_bits(v)), 2, order),
        4 => put(out, u64::from((v as f32).to_bits()), 4, order),
        _ => put(out, v.to_bits(), 8, order),
    }
}

fn as_f64(n: Number) -> Option<f64> {
    match n {
        Number::Int(i) => Some(i as f64),
        Number::UInt(u) => Some(u as f64),
        Number::Float(f) => Some(f),
        Number::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Number::Complex(..) => None,
    }
}

/// A slice of numbers written in their own encoding (the dataset's type is `T`'s), encoded
/// piece by piece as the writer needs them: no byte copy of the whole array is made.
pub(crate) struct NativeElements<'a, T: H5Write>(pub(crate) &'a [T]);

impl<T: H5Write> crate::writer::datasets::ElementSource for NativeElements<'_, T> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn encode(&self, start: usize, out: &mut [u8]) -> Result<()> {
        let n = out.len() / std::mem::size_of::<T>().max(1);
        let values = start
            .checked_add(n)
            .and_then(|end| self.0.get(start..end))
            .ok_or_else(|| Error::Invalid("selection out of range of the data written".into()))?;
        if T::encode_native(values, out) {
            Ok(())
        } else {
            Err(Error::Type(
                "values without a native encoding written as native".into(),
            ))
        }
    }

    fn bytes(&self) -> Option<&[u8]> {
        T::native_bytes(self.0)
    }
}

/// Encode an array as elements of `dtype`: a straight copy when `dtype` is the array's own
/// type, else through [`encode_numbers`].
pub fn encode_array<T: H5Write>(dtype: &Datatype, data: &ArrayD<T>) -> Result<Vec<u8>> {
    if *dtype == T::datatype() {
        if let Some(slice) = data.as_slice() {
            let mut out = Vec::with_capacity(std::mem::size_of_val(slice));
            if T::put_native(slice, &mut out) {
                return Ok(out);
            }
        }
    }
    encode_numbers(dtype, data.iter().map(|v| v.number()))
}

/// Encode numbers as elements of `dtype`, converting as h5py does (integers saturate,
/// floats truncate toward zero); complex only into complex, and no numbers into strings
/// or compounds.
pub fn encode_numbers(dtype: &Datatype, values: impl Iterator<Item = Number>) -> Result<Vec<u8>> {
    let mismatch = |n: &Number| {
        Error::Type(format!(
            "cannot write {n:?} into {}",
            super::value::describe(dtype)
        ))
    };
    let mut out = Vec::with_capacity(values.size_hint().0.saturating_mul(dtype.size()));
    let bool_enum = dtype.is_h5py_bool();
    let complex = dtype.h5py_complex_part().cloned();
    for n in values {
        if bool_enum {
            let b = match n {
                Number::Bool(b) => b,
                Number::Int(i) => i != 0,
                Number::UInt(u) => u != 0,
                _ => return Err(mismatch(&n)),
            };
            out.push(u8::from(b));
            continue;
        }
        if let Some(part) = &complex {
            let TypeClass::Float { order, .. } = part.class else {
                return Err(mismatch(&n));
            };
            let (re, im) = match n {
                Number::Complex(re, im) => (re, im),
                other => (as_f64(other).ok_or_else(|| mismatch(&n))?, 0.0),
            };
            encode_float(re, part.size(), order, &mut out);
            encode_float(im, part.size(), order, &mut out);
            continue;
        }
        match &dtype.class {
            TypeClass::Integer {
                order,
                signed,
                bit_offset,
                precision,
            } => {
                // A reduced-precision integer saturates to its precision and is stored at
                // its bit offset, the other bits zero (libhdf5's `H5T__conv_i_i`).
                let size = dtype.size();
                let bits = u32::from(*precision).clamp(1, 8 * size.min(8) as u32);
                let shift = u32::from(*bit_offset).min(64 - bits);
                let (min, max): (i128, i128) = if *signed {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                let v: i128 = match n {
                    Number::Int(i) => i128::from(i),
                    Number::UInt(u) => i128::from(u),
                    Number::Bool(b) => i128::from(b),
                    Number::Float(f) if f.is_nan() => 0,
                    Number::Float(f) => f.trunc().clamp(min as f64, max as f64) as i128,
                    Number::Complex(..) => return Err(mismatch(&n)),
                };
                let v = (v.clamp(min, max) as u64) & (u64::MAX >> (64 - bits));
                put(&mut out, v << shift, size, *order);
            }
            TypeClass::Float { .. } if !super::convert::is_ieee(&dtype.class, dtype.size) => {
                return Err(Error::Unsupported(format!(
                    "writing numbers into {} (not an IEEE layout)",
                    super::value::describe(dtype)
                )))
            }
            TypeClass::Float { order, .. } => encode_float(
                as_f64(n).ok_or_else(|| mismatch(&n))?,
                dtype.size(),
                *order,
                &mut out,
            ),
            TypeClass::Enum { base, .. } => {
                out.extend_from_slice(&encode_numbers(base, std::iter::once(n))?);
            }
            _ => return Err(mismatch(&n)),
        }
    }
    Ok(out)
}

/// Data to write as an attribute: a datatype, a dataspace and the elements.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrData {
    /// Element type.
    pub datatype: Datatype,
    /// Shape (scalar, simple or null).
    pub dataspace: Dataspace,
    /// The elements.
    pub payload: Payload,
}

/// Elements of [`AttrData`].
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Encoded elements.
    Bytes(Vec<u8>),
    /// Strings, stored as variable-length strings in the global heap.
    Strings(Vec<String>),
}

impl AttrData {
    /// A scalar number, bool or complex.
    pub fn scalar<T: H5Write>(v: T) -> Result<AttrData> {
        let datatype = T::datatype();
        let bytes = encode_numbers(&datatype, std::iter::once(v.number()))?;
        Ok(AttrData {
            datatype,
            dataspace: Dataspace::scalar(),
            payload: Payload::Bytes(bytes),
        })
    }

    /// An N-dimensional array.
    pub fn array<T: H5Write>(a: &ArrayD<T>) -> Result<AttrData> {
        let datatype = T::datatype();
        let bytes = encode_array(&datatype, a)?;
        Ok(AttrData {
            datatype,
            dataspace: simple(a.shape()),
            payload: Payload::Bytes(bytes),
        })
    }

    /// A scalar variable-length UTF-8 string (what h5py writes for a Python `str`).
    pub fn string(s: &str) -> AttrData {
        AttrData {
            datatype: Datatype::vlen_utf8(),
            dataspace: Dataspace::scalar(),
            payload: Payload::Strings(vec![s.to_string()]),
        }
    }

    /// An array of variable-length UTF-8 strings.
    pub fn strings(shape: &[usize], values: Vec<String>) -> Result<AttrData> {
        let n: usize = shape.iter().product();
        if n != values.len() {
            return Err(Error::Invalid(format!(
                "{} strings for shape {shape:?}",
                values.len()
            )));
        }
        Ok(AttrData {
            datatype: Datatype::vlen_utf8(),
            dataspace: simple(shape),
            payload: Payload::Strings(values),
        })
    }

    /// A fixed-length, null-padded string of `len` bytes (numpy's `S` type).
    pub fn fixed_string(s: &str, len: u32) -> Result<AttrData> {
        let bytes = s.as_bytes();
        if len == 0 {
            return Err(Error::Invalid(
                "a fixed-length string needs a size of at least 1 byte".into(),
            ));
        }
        if bytes.len() > len as usize {
            return Err(Error::Invalid(format!("{s:?} is longer than {len} bytes")));
        }
        let mut data = bytes.to_vec();
        data.resize(len as usize, 0);
        let charset = if s.is_ascii() {
            crate::datatype::CharacterSet::Ascii
        } else {
            crate::datatype::CharacterSet::Utf8
        };
        Ok(AttrData {
            datatype: Datatype::fixed_string(len, crate::datatype::StringPadding::NullPad, charset),
            dataspace: Dataspace::scalar(),
            payload: Payload::Bytes(data),
        })
    }

    /// An attribute with no value (h5py's `Empty`): a null dataspace.
    pub fn empty(datatype: Datatype) -> AttrData {
        AttrData {
            datatype,
            dataspace: Dataspace {
                kind: SpaceKind::Null,
                dims: Vec::new(),
                max_dims: None,
            },
            payload: Payload::Bytes(Vec::new()),
        }
    }
}

/// A simple dataspace of `shape`.
pub fn simple(shape: &[usize]) -> Dataspace {
    Dataspace {
        kind: SpaceKind::Simple,
        dims: shape.iter().map(|&d| d as u64).collect(),
        max_dims: None,
    }
}

/// Conversion into attribute data.
pub trait IntoAttr {
    /// The attribute data.
    fn into_attr(self) -> Result<AttrData>;
}

impl IntoAttr for AttrData {
    fn into_attr(self) -> Result<AttrData> {
        Ok(self)
    }
}

impl<T: H5Write> IntoAttr for T {
    fn into_attr(self) -> Result<AttrData> {
        AttrData::scalar(self)
    }
}

impl IntoAttr for &str {
    fn into_attr(self) -> Result<AttrData> {
        Ok(AttrData::string(self))
    }
}

impl IntoAttr for String {
    fn into_attr(self) -> Result<AttrData> {
        Ok(AttrData::string(&self))
    }
}

impl IntoAttr for &String {
    fn into_attr(self) -> Result<AttrData> {
        Ok(AttrData::string(self))
    }
}

impl<T: H5Write> IntoAttr for &ArrayD<T> {
    fn into_attr(self) -> Result<AttrData> {
        AttrData::array(self)
    }
}

impl<T: H5Write> IntoAttr for &[T] {
    fn into_attr(self) -> Result<AttrData> {
        AttrData::array(
            &ArrayD::from_shape_vec(vec![self.len()], self.to_vec())
                .map_err(|e| Error::Invalid(e.to_string()))?,
        )
    }
}

impl IntoAttr for &[String] {
    fn into_attr(self) -> Result<AttrData> {
        AttrData::strings(&[self.len()], self.to_vec())
    }
}

impl IntoAttr for &[&str] {
    fn into_attr(self) -> Result<AttrData> {
        AttrData::strings(&[self.len()], self.iter().map(|s| s.to_string()).collect())
    }
}
