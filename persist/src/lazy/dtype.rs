//! Element types: the Rust types arrays are written from ([`H5Elem`], numpy's `dtype.str`)
//! and numpy's "safe" casting rule that decides which of them a dataset accepts.

use jangada_hdf5::{describe, numpy_str, Dataset, TypeClass};
use num_complex::Complex;

/// Rust element types of arrays with their numpy `dtype.str` (checked against the
/// dataset's before writing).
pub trait H5Elem {
    /// numpy's `dtype.str` (`"<f8"`, `"|b1"`, ...).
    const DTYPE: &'static str;
}

macro_rules! h5elem {
    ($($t:ty => $s:literal),*) => {$(
        impl H5Elem for $t { const DTYPE: &'static str = $s; }
    )*};
}

h5elem!(i8 => "|i1", i16 => "<i2", i32 => "<i4", i64 => "<i8", u8 => "|u1", u16 => "<u2",
        u32 => "<u4", u64 => "<u8", f32 => "<f4", f64 => "<f8", bool => "|b1",
        Complex<f32> => "<c8", Complex<f64> => "<c16", crate::value::F16 => "<f2");

pub(crate) fn dtype_str(ds: &Dataset) -> String {
    numpy_str(ds.dtype()).unwrap_or_else(|| match ds.dtype().class {
        TypeClass::VarLenString { .. } => "str".to_string(),
        _ => describe(ds.dtype()),
    })
}

/// `(kind, size)` of a numpy `dtype.str` (`"<f8"` -> `('f', 8)`; `"str"` -> `('s', 0)`).
fn kind_size(dt: &str) -> Option<(char, u32)> {
    if dt == "str" {
        return Some(('s', 0));
    }
    let t = dt.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = t.chars();
    let kind = chars.next()?;
    let size = chars.as_str().parse().ok()?;
    Some((kind, size))
}

/// numpy's "safe" casting between the element types of the mapping: the same type (any
/// byte order), or a wider one that holds every value (`<i4` -> `<i8`, `<i4` -> `<f8`,
/// `<f4` -> `<c8`); booleans and strings only to themselves.
pub(crate) fn safe_cast(from: &str, to: &str) -> bool {
    let (Some((fk, fs)), Some((tk, ts))) = (kind_size(from), kind_size(to)) else {
        return false;
    };
    match (fk, tk) {
        _ if fk == tk && !matches!(fk, 'u' | 'i' | 'f' | 'c') => fs == ts,
        ('u', 'u') | ('i', 'i') | ('f', 'f') | ('c', 'c') => ts >= fs,
        ('u', 'i') => ts > fs,
        ('u' | 'i', 'f') => ts > fs && fs != 8,
        ('u' | 'i', 'c') => ts / 2 > fs && fs < 8,
        ('f', 'c') => ts / 2 >= fs,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::safe_cast;

    #[test]
    fn safe_casts_follow_numpy() {
        for (from, to) in [
            ("<f8", ">f8"),
            ("<i4", "<i8"),
            ("|u1", "<i2"),
            ("<i4", "<f8"),
            ("<i2", "<f4"),
            ("<f4", "<f8"),
            ("<f4", "<c8"),
            ("<f8", "<c16"),
            ("<c8", "<c16"),
            ("|b1", "|b1"),
            ("str", "str"),
        ] {
            assert!(safe_cast(from, to), "{from} -> {to}");
        }
        for (from, to) in [
            ("<i8", "<i4"),
            ("<i8", "<f8"),
            ("<i4", "<f4"),
            ("<u8", "<i8"),
            ("<i1", "|u1"),
            ("<f8", "<f4"),
            ("<f8", "<i8"),
            ("<c16", "<c8"),
            ("<c8", "<f8"),
            ("|b1", "<i8"),
            ("<i8", "|b1"),
            ("str", "<i8"),
            ("<i4", "str"),
        ] {
            assert!(!safe_cast(from, to), "{from} -> {to}");
        }
    }
}
