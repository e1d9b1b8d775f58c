//! Encoding the Datatype message (spec IV.A.2.d, message 0x0003): the inverse of `parse.rs`.
//!
//! Versions are chosen as libhdf5 does for files created with `libver='v110'`: version 1 for
//! the atomic classes (integer, float, time, string, bit field, opaque, object/region
//! reference); version 3 for compound, enumeration and array types (names without padding,
//! compound member offsets in the fewest bytes that hold the compound size, no array
//! permutation); a variable-length type takes the version of its base type (1 for strings
//! and sequences of atomic types); version 5 for the complex class (HDF5 2.0), and a
//! container of a version-5 type is version 5 too. Revised references (HDF5 1.12+) are
//! version 4.

use super::{
    ByteOrder, CharacterSet, Datatype, Normalization, ReferenceKind, StringPadding, TypeClass,
    MAX_DEPTH,
};
use crate::error::{Error, Result};
use crate::io::bytes_needed;
use crate::io::PutLe;

/// Largest array rank libhdf5 accepts (`H5S_MAX_RANK`).
const MAX_ARRAY_RANK: usize = 32;

impl Datatype {
    /// Encode the full Datatype message body (header, size and class properties, with
    /// nested types inline).
    ///
    /// Fails with [`Error::Invalid`] when the value cannot be represented: more than 65535
    /// compound or enumeration members, a name containing NUL, a compound member outside
    /// the compound, an enumeration value whose length differs from the base type's size,
    /// an array whose size is not the product of its dimensions and base size, an opaque
    /// tag longer than 255 bytes, or nesting deeper than [`MAX_DEPTH`].
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        encode_into(self, &mut out, 0)?;
        Ok(out)
    }

    /// The message version [`Datatype::encode`] writes for this type.
    pub fn encode_version(&self) -> u8 {
        version_of(self, 0)
    }
}

fn version_of(t: &Datatype, depth: u32) -> u8 {
    if depth > MAX_DEPTH {
        return 1;
    }
    match &t.class {
        TypeClass::Integer { .. }
        | TypeClass::Float { .. }
        | TypeClass::Time { .. }
        | TypeClass::String { .. }
        | TypeClass::Bitfield { .. }
        | TypeClass::Opaque { .. }
        | TypeClass::VarLenString { .. } => 1,
        TypeClass::Reference { kind } => match kind {
            ReferenceKind::Object | ReferenceKind::DatasetRegion => 1,
            ReferenceKind::Other(_) => 4,
        },
        TypeClass::Compound { members } => members
            .iter()
            .map(|m| version_of(&m.datatype, depth + 1))
            .fold(3, u8::max),
        TypeClass::Enum { base, .. } | TypeClass::Array { base, .. } => {
            version_of(base, depth + 1).max(3)
        }
        TypeClass::VarLenSequence { base } => version_of(base, depth + 1),
        TypeClass::Complex { .. } => 5,
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::Invalid(format!("datatype: {}", detail.into()))
}

fn order_bit(order: ByteOrder) -> u32 {
    match order {
        ByteOrder::Little => 0,
        ByteOrder::Big => 1,
    }
}

fn padding_bits(p: StringPadding) -> u32 {
    match p {
        StringPadding::NullTerminate => 0,
        StringPadding::NullPad => 1,
        StringPadding::SpacePad => 2,
    }
}

fn charset_bits(c: CharacterSet) -> u32 {
    match c {
        CharacterSet::Ascii => 0,
        CharacterSet::Utf8 => 1,
    }
}

/// A name followed by its NUL terminator (version 3: no padding).
fn put_name(out: &mut Vec<u8>, name: &str) -> Result<()> {
    if name.as_bytes().contains(&0) {
        return Err(invalid(format!("name {name:?} contains a NUL byte")));
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    Ok(())
}

fn member_count(n: usize, what: &str) -> Result<u32> {
    u16::try_from(n)
        .map(u32::from)
        .map_err(|_| invalid(format!("{what} with {n} members (at most 65535)")))
}

/// Floating-point class bits: byte order (bits 0 and 6), mantissa normalization (bits 4-5)
/// and sign location (bits 8-15). Padding bits 1-3 are written as zero (libhdf5's default).
fn float_bits(class: &TypeClass) -> u32 {
    let TypeClass::Float {
        order,
        sign_location,
        normalization,
        ..
    } = class
    else {
        return 0;
    };
    let norm = match normalization {
        Normalization::None => 0u32,
        Normalization::MsbSet => 1,
        Normalization::Implied => 2,
    };
    order_bit(*order) | norm << 4 | u32::from(*sign_location) << 8
}

fn encode_into(t: &Datatype, out: &mut Vec<u8>, depth: u32) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!("nesting deeper than {MAX_DEPTH}")));
    }
    let version = version_of(t, depth);
    let (class_id, bits): (u8, u32) = match &t.class {
        TypeClass::Integer { order, signed, .. } => {
            (0, order_bit(*order) | if *signed { 0x08 } else { 0 })
        }
        TypeClass::Float { .. } => (1, float_bits(&t.class)),
        TypeClass::Time { order, .. } => (2, order_bit(*order)),
        TypeClass::String { padding, charset } => {
            (3, padding_bits(*padding) | charset_bits(*charset) << 4)
        }
        TypeClass::Bitfield { order, .. } => (4, order_bit(*order)),
        TypeClass::Opaque { tag } => {
            if tag.as_bytes().contains(&0) {
                return Err(invalid("opaque tag contains a NUL byte"));
            }
            let padded = tag.len().div_ceil(8).saturating_mul(8);
            if padded > 255 {
                return Err(invalid(format!(
                    "opaque tag of {} bytes (at most 248)",
                    tag.len()
                )));
            }
            (5, padded as u32)
        }
        TypeClass::Compound { members } => (6, member_count(members.len(), "compound")?),
        TypeClass::Reference { kind } => match kind {
            ReferenceKind::Object => (7, 0),
            ReferenceKind::DatasetRegion => (7, 1),
            // Revised references: type in bits 0-3, reference encoding version 1 in 4-7.
            ReferenceKind::Other(k) => {
                if *k > 0x0f {
                    return Err(invalid(format!("reference type {k} does not fit 4 bits")));
                }
                (7, u32::from(*k) | 0x10)
            }
        },
        TypeClass::Enum { members, .. } => (8, member_count(members.len(), "enumeration")?),
        TypeClass::VarLenSequence { .. } => (9, 0),
        TypeClass::VarLenString { padding, charset } => (
            9,
            1 | padding_bits(*padding) << 4 | charset_bits(*charset) << 8,
        ),
        TypeClass::Array { .. } => (10, 0),
        // Homogeneous parts, rectangular form.
        TypeClass::Complex { .. } => (11, 0x01),
    };
    out.push(version << 4 | class_id);
    out.put_uint(u64::from(bits), 3)?;
    out.put_u32(t.size);

    match &t.class {
        TypeClass::Integer {
            bit_offset,
            precision,
            ..
        }
        | TypeClass::Bitfield {
            bit_offset,
            precision,
            ..
        } => {
            out.put_u16(*bit_offset);
            out.put_u16(*precision);
        }
        TypeClass::Float {
            bit_offset,
            precision,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
            ..
        } => {
            out.put_u16(*bit_offset);
            out.put_u16(*precision);
            out.push(*exponent_location);
            out.push(*exponent_size);
            out.push(*mantissa_location);
            out.push(*mantissa_size);
            out.put_u32(*exponent_bias);
        }
        TypeClass::Time { precision, .. } => out.put_u16(*precision),
        TypeClass::String { .. } | TypeClass::Reference { .. } => {}
        TypeClass::Opaque { tag } => {
            let padded = tag.len().div_ceil(8).saturating_mul(8);
            out.extend_from_slice(tag.as_bytes());
            out.resize(out.len().saturating_add(padded - tag.len()), 0);
        }
        TypeClass::Compound { members } => {
            let width = bytes_needed(u64::from(t.size));
            for m in members {
                if u64::from(m.offset) + u64::from(m.datatype.size) > u64::from(t.size) {
                    return Err(invalid(format!(
                        "compound member {:?} at offset {} of size {} overruns the compound size {}",
                        m.name, m.offset, m.datatype.size, t.size
                    )));
                }
                put_name(out, &m.name)?;
                out.put_uint(u64::from(m.offset), width)?;
                encode_into(&m.datatype, out, depth + 1)?;
            }
        }
        TypeClass::Enum { base, members } => {
            if !matches!(base.class, TypeClass::Integer { .. }) {
                return Err(invalid("enumeration base type is not an integer"));
            }
            encode_into(base, out, depth + 1)?;
            for m in members {
                put_name(out, &m.name)?;
            }
            for m in members {
                if m.value.len() != base.size() {
                    return Err(invalid(format!(
                        "enumeration member {:?} has a {}-byte value for a {}-byte base type",
                        m.name,
                        m.value.len(),
                        base.size
                    )));
                }
                out.extend_from_slice(&m.value);
            }
        }
        TypeClass::VarLenSequence { base } => encode_into(base, out, depth + 1)?,
        TypeClass::VarLenString { .. } => {
            // The base of a variable-length string is libhdf5's native unsigned char.
            let base = Datatype::int(1, false);
            encode_into(&base, out, depth + 1)?;
        }
        TypeClass::Array { dims, base } => {
            if dims.is_empty() || dims.len() > MAX_ARRAY_RANK {
                return Err(invalid(format!("array of rank {}", dims.len())));
            }
            let total = dims.iter().try_fold(u64::from(base.size), |acc, &d| {
                acc.checked_mul(u64::from(d))
            });
            if total != Some(u64::from(t.size)) {
                return Err(invalid(format!(
                    "array of {dims:?} x {}-byte elements does not match its size {}",
                    base.size, t.size
                )));
            }
            out.push(dims.len() as u8);
            for d in dims {
                out.put_u32(*d);
            }
            encode_into(base, out, depth + 1)?;
        }
        TypeClass::Complex { base } => {
            if !matches!(base.class, TypeClass::Float { .. })
                || u64::from(base.size) * 2 != u64::from(t.size)
            {
                return Err(invalid(format!(
                    "complex type of size {} does not hold two float parts of size {}",
                    t.size, base.size
                )));
            }
            encode_into(base, out, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes are Datatype message bodies copied from a file written by h5py 3.16.0
    //! (HDF5 2.0.0) with `h5py.File(path, 'w', libver='v110')`:
    //! ```python
    //! f['i8'] = np.array([1, 2], dtype='<i8'); f['f8'] = np.array([1.0], dtype='<f8')
    //! f['f4'] = np.array([1.0], dtype='<f4'); f['f2'] = np.array([1.0], dtype='<f2')
    //! f['u1'] = np.array([1], dtype='u1'); f['b'] = np.array([True])
    //! f['c'] = np.array([1+2j], dtype='c16'); f['i2be'] = np.zeros(2, '>i2')
    //! f.create_dataset('vs', data=['a'], dtype=h5py.string_dtype('utf-8'))
    //! f.create_dataset('va', data=[b'a'], dtype=h5py.string_dtype('ascii'))
    //! f.create_dataset('s5', data=[b'ab'], dtype='S5')
    //! f.create_dataset('fu', data=['ab'], dtype=h5py.string_dtype('utf-8', 6))
    //! f.create_dataset('vl', (2,), dtype=h5py.vlen_dtype('<i4'))
    //! f.create_dataset('arr', (2,), dtype=np.dtype(('<i4', (2, 3))))
    //! f.create_dataset('en', (2,), dtype=h5py.enum_dtype({'RED': 0, 'GREEN': 1, 'BLUE': 513}, basetype='<u2'))
    //! ct = np.dtype([('a', '<i4'), ('b', '<f8')])
    //! f.create_dataset('vc', (2,), dtype=h5py.vlen_dtype(ct))
    //! f.create_dataset('ac', (2,), dtype=np.dtype((ct, (2,))))
    //! f.create_dataset('cv', (2,), dtype=np.dtype([('s', h5py.string_dtype()), ('x', '<u2')]))
    //! f.create_dataset('op', (2,), dtype=h5py.opaque_dtype(np.dtype('M8[s]')))
    //! f.create_dataset('ref', (2,), dtype=h5py.ref_dtype)
    //! ```
    //! and the class 11 bytes from `h5py.h5t.COMPLEX_IEEE_F64LE` at libver='latest'.
    use super::super::{CompoundMember, EnumMember};
    use super::*;
    use crate::datatype::parse_datatype;
    use crate::io::{Cursor, Sizes};
    use proptest::prelude::*;

    fn parse(b: &[u8]) -> Result<(Datatype, usize)> {
        let mut c = Cursor::new(b, 0, Sizes::default(), "datatype message");
        let t = parse_datatype(&mut c)?;
        Ok((t, c.pos()))
    }

    /// Encode `t`, compare with `golden`, and check the parser gives `t` back.
    fn golden(t: &Datatype, golden: &str) {
        let b = t.encode().unwrap();
        assert_eq!(hex_of(&b), golden, "{t:?}");
        let (back, used) = parse(&b).unwrap();
        assert_eq!(used, b.len());
        assert_eq!(&back, t);
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn compound(size: u32, members: Vec<(&str, u32, Datatype)>) -> Datatype {
        Datatype {
            size,
            class: TypeClass::Compound {
                members: members
                    .into_iter()
                    .map(|(n, o, t)| CompoundMember {
                        name: n.into(),
                        offset: o,
                        datatype: t,
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn atomic_types_match_libhdf5() {
        golden(&Datatype::int(8, true), "100800000800000000004000");
        golden(&Datatype::int(1, false), "100000000100000000000800");
        let mut be = Datatype::int(2, true);
        if let TypeClass::Integer { order, .. } = &mut be.class {
            *order = ByteOrder::Big;
        }
        golden(&be, "100900000200000000001000");
        golden(
            &Datatype::float(8).unwrap(),
            "11203f000800000000004000340b0034ff030000",
        );
        golden(
            &Datatype::float(4).unwrap(),
            "11201f000400000000002000170800177f000000",
        );
        golden(
            &Datatype::float(2).unwrap(),
            "11200f0002000000000010000a05000a0f000000",
        );
        golden(
            &Datatype::fixed_string(5, StringPadding::NullPad, CharacterSet::Ascii),
            "1301000005000000",
        );
        golden(
            &Datatype::fixed_string(6, StringPadding::NullPad, CharacterSet::Utf8),
            "1311000006000000",
        );
        golden(&Datatype::object_reference(), "1700000008000000");
        golden(
            &Datatype {
                size: 8,
                class: TypeClass::Opaque {
                    tag: "NUMPY:<M8[s]".into(),
                },
            },
            "15100000080000004e554d50593a3c4d385b735d00000000",
        );
    }

    #[test]
    fn h5py_types_match_libhdf5() {
        golden(
            &Datatype::h5py_bool(),
            "380200000100000010080000010000000000080046414c53450054525545000001",
        );
        golden(
            &Datatype::h5py_complex(8).unwrap(),
            "360200001000000072000011203f000800000000004000340b0034ff03000069000811203f000800000000004000340b0034ff030000",
        );
        golden(
            &Datatype::vlen_utf8(),
            "1901010010000000100000000100000000000800",
        );
        golden(
            &Datatype::vlen_ascii(),
            "1901000010000000100000000100000000000800",
        );
        golden(
            &Datatype::vlen_of(Datatype::int(4, true)),
            "1900000010000000100800000400000000002000",
        );
        golden(
            &Datatype::native_complex(8).unwrap(),
            "5b0100001000000011203f000800000000004000340b0034ff030000",
        );
    }

    #[test]
    fn containers_match_libhdf5() {
        golden(
            &Datatype::array_of(Datatype::int(4, true), vec![2, 3]).unwrap(),
            "3a00000018000000020200000003000000100800000400000000002000",
        );
        let u2 = Datatype::int(2, false);
        let en = Datatype {
            size: 2,
            class: TypeClass::Enum {
                base: Box::new(u2.clone()),
                members: [("BLUE", 513u16), ("GREEN", 1), ("RED", 0)]
                    .into_iter()
                    .map(|(n, v)| EnumMember {
                        name: n.into(),
                        value: v.to_le_bytes().to_vec(),
                    })
                    .collect(),
            },
        };
        golden(
            &en,
            "3803000002000000100000000200000000001000424c554500475245454e0052454400010201000000",
        );
        let ct = compound(
            12,
            vec![
                ("a", 0, Datatype::int(4, true)),
                ("b", 4, Datatype::float(8).unwrap()),
            ],
        );
        let ct_hex = "360200000c00000061000010080000040000000000200062000411203f000800000000004000340b0034ff030000";
        golden(&ct, ct_hex);
        golden(
            &Datatype::vlen_of(ct.clone()),
            &format!("3900000010000000{ct_hex}"),
        );
        golden(
            &Datatype::array_of(ct, vec![2]).unwrap(),
            &format!("3a000000180000000102000000{ct_hex}"),
        );
        golden(
            &compound(18, vec![("s", 0, Datatype::vlen_utf8()), ("x", 16, u2)]),
            "36020000120000007300001901010010000000100000000100000000000800780010100000000200000000001000",
        );
    }

    #[test]
    fn wide_compound_offsets_and_versions() {
        let f8 = Datatype::float(8).unwrap();
        let members: Vec<CompoundMember> = (0..40u32)
            .map(|i| CompoundMember {
                name: format!("x{i}"),
                offset: i * 8,
                datatype: f8.clone(),
            })
            .collect();
        let t = Datatype {
            size: 320,
            class: TypeClass::Compound { members },
        };
        let b = t.encode().unwrap();
        assert_eq!(hex_of(&b[..16]), "3628000040010000783000000011203f");
        assert_eq!(parse(&b).unwrap().0, t);
        // A compound holding a class 11 complex is version 5.
        let c = compound(16, vec![("z", 0, Datatype::native_complex(8).unwrap())]);
        assert_eq!(c.encode_version(), 5);
        assert_eq!(c.encode().unwrap()[0], 0x56);
        // Revised references are version 4 with encoding version 1.
        let r = Datatype {
            size: 16,
            class: TypeClass::Reference {
                kind: ReferenceKind::Other(2),
            },
        };
        golden(&r, "4712000010000000");
    }

    #[test]
    fn invalid_values_are_rejected() {
        let i4 = Datatype::int(4, true);
        // Member overruns the compound.
        assert!(matches!(
            compound(4, vec![("a", 2, i4.clone())]).encode(),
            Err(Error::Invalid(_))
        ));
        // NUL in a name.
        assert!(compound(4, vec![("a\0b", 0, i4.clone())]).encode().is_err());
        // Enum value of the wrong width.
        let mut b = Datatype::h5py_bool();
        if let TypeClass::Enum { members, .. } = &mut b.class {
            members[0].value = vec![0, 0];
        }
        assert!(b.encode().is_err());
        // Array size mismatch.
        let a = Datatype {
            size: 7,
            class: TypeClass::Array {
                dims: vec![2],
                base: Box::new(i4.clone()),
            },
        };
        assert!(a.encode().is_err());
        // Opaque tag too long.
        let o = Datatype {
            size: 1,
            class: TypeClass::Opaque {
                tag: "x".repeat(249),
            },
        };
        assert!(o.encode().is_err());
        // Too deep.
        let mut t = i4;
        for _ in 0..40 {
            t = Datatype::vlen_of(t);
        }
        assert!(t.encode().is_err());
        // Too many members.
        let many = Datatype {
            size: 1,
            class: TypeClass::Enum {
                base: Box::new(Datatype::int(1, false)),
                members: (0..65536)
                    .map(|i| EnumMember {
                        name: format!("m{i}"),
                        value: vec![0],
                    })
                    .collect(),
            },
        };
        assert!(many.encode().is_err());
    }

    fn order() -> impl Strategy<Value = ByteOrder> {
        prop_oneof![Just(ByteOrder::Little), Just(ByteOrder::Big)]
    }

    fn padding() -> impl Strategy<Value = StringPadding> {
        prop_oneof![
            Just(StringPadding::NullTerminate),
            Just(StringPadding::NullPad),
            Just(StringPadding::SpacePad)
        ]
    }

    fn charset() -> impl Strategy<Value = CharacterSet> {
        prop_oneof![Just(CharacterSet::Ascii), Just(CharacterSet::Utf8)]
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_é ]{0,12}"
    }

    fn float_type() -> impl Strategy<Value = Datatype> {
        (
            prop_oneof![Just(2u32), Just(4), Just(8)],
            order(),
            any::<bool>(),
            any::<[u8; 5]>(),
            any::<u32>(),
            prop_oneof![
                Just(Normalization::None),
                Just(Normalization::MsbSet),
                Just(Normalization::Implied)
            ],
        )
            .prop_map(|(size, ord, ieee, raw, bias, norm)| {
                let mut t = Datatype::float(size).unwrap();
                if let TypeClass::Float {
                    order,
                    sign_location,
                    exponent_location,
                    exponent_size,
                    mantissa_location,
                    mantissa_size,
                    exponent_bias,
                    normalization,
                    ..
                } = &mut t.class
                {
                    *order = ord;
                    if !ieee {
                        *normalization = norm;
                        *sign_location = raw[0];
                        *exponent_location = raw[1];
                        *exponent_size = raw[2];
                        *mantissa_location = raw[3];
                        *mantissa_size = raw[4];
                        *exponent_bias = bias;
                    }
                }
                t
            })
    }

    fn atomic() -> impl Strategy<Value = Datatype> {
        prop_oneof![
            (
                1u32..=16,
                order(),
                any::<bool>(),
                any::<u16>(),
                any::<u16>()
            )
                .prop_map(|(size, order, signed, bit_offset, precision)| Datatype {
                    size,
                    class: TypeClass::Integer {
                        order,
                        signed,
                        bit_offset,
                        precision
                    }
                }),
            float_type(),
            (1u32..=8, order(), any::<u16>()).prop_map(|(size, order, precision)| Datatype {
                size,
                class: TypeClass::Time { order, precision }
            }),
            (0u32..300, padding(), charset()).prop_map(|(size, padding, charset)| Datatype {
                size,
                class: TypeClass::String { padding, charset }
            }),
            (1u32..=8, order(), any::<u16>(), any::<u16>()).prop_map(
                |(size, order, bit_offset, precision)| Datatype {
                    size,
                    class: TypeClass::Bitfield {
                        order,
                        bit_offset,
                        precision
                    }
                }
            ),
            (0u32..100, "[ -~]{0,40}").prop_map(|(size, tag)| Datatype {
                size,
                class: TypeClass::Opaque { tag }
            }),
            (prop_oneof![Just(0u8), Just(1), 2u8..16], 1u32..20).prop_map(|(k, size)| {
                Datatype {
                    size,
                    class: TypeClass::Reference {
                        kind: match k {
                            0 => ReferenceKind::Object,
                            1 => ReferenceKind::DatasetRegion,
                            k => ReferenceKind::Other(k),
                        },
                    },
                }
            }),
            (padding(), charset()).prop_map(|(padding, charset)| Datatype {
                size: 16,
                class: TypeClass::VarLenString { padding, charset }
            }),
            prop_oneof![Just(2u32), Just(4), Just(8)]
                .prop_map(|p| Datatype::native_complex(p).unwrap()),
        ]
    }

    fn enum_type() -> impl Strategy<Value = Datatype> {
        (
            1u32..=4,
            any::<bool>(),
            prop::collection::vec((name(), any::<u32>()), 0..6),
        )
            .prop_map(|(size, signed, ms)| Datatype {
                size,
                class: TypeClass::Enum {
                    base: Box::new(Datatype::int(size, signed)),
                    members: ms
                        .into_iter()
                        .map(|(name, v)| EnumMember {
                            name,
                            value: v.to_le_bytes()[..size as usize].to_vec(),
                        })
                        .collect(),
                },
            })
    }

    fn datatype() -> impl Strategy<Value = Datatype> {
        prop_oneof![atomic(), enum_type()].prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                inner.clone().prop_map(Datatype::vlen_of),
                (inner.clone(), prop::collection::vec(1u32..5, 1..4))
                    .prop_map(|(b, dims)| { Datatype::array_of(b, dims).unwrap() }),
                (
                    prop::collection::vec((name(), inner, 0u32..4), 0..5),
                    0u32..300
                )
                    .prop_map(|(ms, tail)| {
                        // Lay members out with gaps, then add tail padding.
                        let mut offset = 0u32;
                        let mut members = Vec::new();
                        for (name, datatype, gap) in ms {
                            offset += gap;
                            let size = datatype.size;
                            members.push(CompoundMember {
                                name,
                                offset,
                                datatype,
                            });
                            offset += size;
                        }
                        Datatype {
                            size: offset + tail,
                            class: TypeClass::Compound { members },
                        }
                    }),
            ]
        })
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(t in datatype()) {
            let b = t.encode().unwrap();
            let (back, used) = parse(&b).unwrap();
            prop_assert_eq!(used, b.len());
            prop_assert_eq!(back, t);
        }
    }
}
