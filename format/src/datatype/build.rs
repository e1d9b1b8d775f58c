//! Constructors for the datatypes users write, laid out exactly as libhdf5's native types
//! and h5py's conventions (spec IV.A.2.d; h5py's boolean enum and `r`/`i` complex compound).

use super::{
    ByteOrder, CharacterSet, CompoundMember, Datatype, EnumMember, Normalization, ReferenceKind,
    StringPadding, TypeClass,
};
use crate::error::{Error, Result};

/// Stored size of a variable-length element in files with 8-byte offsets: a 4-byte length,
/// the 8-byte global heap collection address and a 4-byte object index.
const VLEN_SIZE: u32 = 16;

impl Datatype {
    /// A little-endian two's complement (`signed`) or unsigned integer of `size` bytes, all
    /// bits significant (libhdf5's `H5T_STD_I*LE` / `H5T_STD_U*LE`).
    pub fn int(size: u32, signed: bool) -> Datatype {
        Datatype {
            size,
            class: TypeClass::Integer {
                order: ByteOrder::Little,
                signed,
                bit_offset: 0,
                precision: u16::try_from(size.saturating_mul(8)).unwrap_or(u16::MAX),
            },
        }
    }

    /// An integer of `size` bytes (1, 2, 4 or 8) in byte order `order` whose value is the
    /// `precision` bits starting at bit `bit_offset`, the other bits zero (libhdf5's
    /// `H5Tset_precision` / `H5Tset_offset`; what N-bit packs). [`Error::Invalid`] unless
    /// `1 <= precision` and `precision + bit_offset <= 8 * size`.
    pub fn int_bits(
        size: u32,
        signed: bool,
        order: ByteOrder,
        precision: u16,
        bit_offset: u16,
    ) -> Result<Datatype> {
        if !matches!(size, 1 | 2 | 4 | 8)
            || precision == 0
            || u32::from(precision) + u32::from(bit_offset) > size * 8
        {
            return Err(Error::Invalid(format!(
                "integer of {size} bytes with precision {precision} at bit offset {bit_offset}"
            )));
        }
        Ok(Datatype {
            size,
            class: TypeClass::Integer {
                order,
                signed,
                bit_offset,
                precision,
            },
        })
    }

    /// A little-endian IEEE 754 float of `size` bytes: 2 (half), 4 (single) or 8 (double),
    /// with libhdf5's `H5T_IEEE_F*LE` bit fields (e.g. for 8: precision 64, exponent at bit
    /// 52 of 11 bits, mantissa at bit 0 of 52 bits, bias 1023, sign at 63). Other sizes are
    /// [`Error::Invalid`] (numpy's `float128` is x87 extended precision, not an IEEE layout).
    pub fn float(size: u32) -> Result<Datatype> {
        match size {
            2 => Ok(Datatype::ieee_float(2, (16, 5, 10, 15))),
            4 => Ok(Datatype::ieee_float(4, (32, 8, 23, 127))),
            8 => Ok(Datatype::ieee_float(8, (64, 11, 52, 1023))),
            s => Err(Error::Invalid(format!(
                "IEEE floating-point size {s} (must be 2, 4 or 8)"
            ))),
        }
    }

    /// Little-endian IEEE half precision (numpy's `<f2`).
    pub fn float16() -> Datatype {
        Datatype::ieee_float(2, (16, 5, 10, 15))
    }

    /// A little-endian IEEE float of `size` bytes with (precision, exponent size, mantissa
    /// size, exponent bias).
    fn ieee_float(size: u32, layout: (u16, u8, u8, u32)) -> Datatype {
        let (precision, exponent_size, mantissa_size, exponent_bias) = layout;
        Datatype {
            size,
            class: TypeClass::Float {
                order: ByteOrder::Little,
                bit_offset: 0,
                precision,
                sign_location: (precision - 1) as u8,
                exponent_location: mantissa_size,
                exponent_size,
                mantissa_location: 0,
                mantissa_size,
                exponent_bias,
                normalization: Normalization::Implied,
            },
        }
    }

    /// h5py's boolean: an enumeration over a 1-byte signed integer with `FALSE` = 0 and
    /// `TRUE` = 1.
    pub fn h5py_bool() -> Datatype {
        Datatype {
            size: 1,
            class: TypeClass::Enum {
                base: Box::new(Datatype::int(1, true)),
                members: vec![
                    EnumMember {
                        name: "FALSE".into(),
                        value: vec![0],
                    },
                    EnumMember {
                        name: "TRUE".into(),
                        value: vec![1],
                    },
                ],
            },
        }
    }

    /// h5py's complex number: a compound of two little-endian IEEE floats of `part_size`
    /// bytes (4 or 8 for numpy's `c8`/`c16`; 2 is accepted too) named `r` (offset 0)
    /// and `i` (offset `part_size`).
    pub fn h5py_complex(part_size: u32) -> Result<Datatype> {
        let part = Datatype::float(part_size)?;
        Ok(Datatype {
            size: part_size * 2,
            class: TypeClass::Compound {
                members: vec![
                    CompoundMember {
                        name: "r".into(),
                        offset: 0,
                        datatype: part.clone(),
                    },
                    CompoundMember {
                        name: "i".into(),
                        offset: part_size,
                        datatype: part,
                    },
                ],
            },
        })
    }

    /// HDF5 2.0's complex class (11) with little-endian IEEE float parts of `part_size`
    /// bytes. Files using it are not readable by libhdf5 before 2.0.
    pub fn native_complex(part_size: u32) -> Result<Datatype> {
        let part = Datatype::float(part_size)?;
        Ok(Datatype {
            size: part_size * 2,
            class: TypeClass::Complex {
                base: Box::new(part),
            },
        })
    }

    /// h5py's variable-length UTF-8 string (`h5py.string_dtype('utf-8')`): null-terminated.
    pub fn vlen_utf8() -> Datatype {
        Datatype {
            size: VLEN_SIZE,
            class: TypeClass::VarLenString {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Utf8,
            },
        }
    }

    /// h5py's variable-length ASCII string (`h5py.string_dtype('ascii')`): null-terminated.
    pub fn vlen_ascii() -> Datatype {
        Datatype {
            size: VLEN_SIZE,
            class: TypeClass::VarLenString {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Ascii,
            },
        }
    }

    /// A fixed-length string of `len` bytes (numpy's `S5` is `NullPad` + `Ascii`; h5py's
    /// `string_dtype('utf-8', n)` is `NullPad` + `Utf8`).
    pub fn fixed_string(len: u32, padding: StringPadding, charset: CharacterSet) -> Datatype {
        Datatype {
            size: len,
            class: TypeClass::String { padding, charset },
        }
    }

    /// A variable-length sequence of `base` (`h5py.vlen_dtype`).
    pub fn vlen_of(base: Datatype) -> Datatype {
        Datatype {
            size: VLEN_SIZE,
            class: TypeClass::VarLenSequence {
                base: Box::new(base),
            },
        }
    }

    /// A fixed-size array of `base` with dimensions `dims` (numpy's subarray dtype).
    /// [`Error::Invalid`] when `dims` is empty, has more than 32 entries, or the total size
    /// overflows 32 bits.
    pub fn array_of(base: Datatype, dims: Vec<u32>) -> Result<Datatype> {
        if dims.is_empty() || dims.len() > 32 {
            return Err(Error::Invalid(format!(
                "array datatype of rank {}",
                dims.len()
            )));
        }
        let size = dims
            .iter()
            .try_fold(base.size, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::Invalid("array datatype size overflows 32 bits".into()))?;
        Ok(Datatype {
            size,
            class: TypeClass::Array {
                dims,
                base: Box::new(base),
            },
        })
    }

    /// An object reference (`h5py.ref_dtype`): an 8-byte object header address.
    pub fn object_reference() -> Datatype {
        Datatype {
            size: 8,
            class: TypeClass::Reference {
                kind: ReferenceKind::Object,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn constructors_match_h5py_conventions() {
        assert!(Datatype::h5py_bool().is_h5py_bool());
        let c = Datatype::h5py_complex(8).unwrap();
        assert_eq!(c.size, 16);
        assert_eq!(c.h5py_complex_part(), Some(&Datatype::float(8).unwrap()));
        let n = Datatype::native_complex(4).unwrap();
        assert_eq!(n.h5py_complex_part(), Some(&Datatype::float(4).unwrap()));
        assert!(Datatype::float(3).is_err());
        assert!(Datatype::float(16).is_err());
        assert!(Datatype::h5py_complex(5).is_err());
        let a = Datatype::array_of(Datatype::int(4, true), vec![2, 3]).unwrap();
        assert_eq!(a.size, 24);
        assert!(Datatype::array_of(Datatype::int(4, true), vec![]).is_err());
        assert!(Datatype::array_of(Datatype::int(4, true), vec![u32::MAX, 2]).is_err());
        assert_eq!(
            Datatype::int(2, false).class,
            TypeClass::Integer {
                order: ByteOrder::Little,
                signed: false,
                bit_offset: 0,
                precision: 16
            }
        );
    }
}
