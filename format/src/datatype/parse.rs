//! Decoding the Datatype message (spec IV.A.2.d, message 0x0003).
//!
//! The message starts with a 4-byte header (class and version nibbles, a 24-bit class bit
//! field), a 4-byte element size, then class-specific properties. Compound, enumeration,
//! variable-length, array and complex types embed further datatype messages, decoded here
//! recursively with a depth limit.

use super::{
    ByteOrder, CharacterSet, CompoundMember, Datatype, EnumMember, Normalization, ReferenceKind,
    StringPadding, TypeClass,
};
use crate::error::{Error, Result};
use crate::io::{bytes_needed, Cursor};

/// Deepest nesting of datatypes (compound in array in vlen ...) accepted.
pub const MAX_DEPTH: u32 = 32;

/// Largest array rank accepted (libhdf5's `H5S_MAX_RANK`).
const MAX_ARRAY_RANK: usize = 32;

/// Decode one datatype from `c`, advancing past it (compound members and base types
/// recurse). Accepts message versions 1-5 for every class.
pub fn parse_datatype(c: &mut Cursor<'_>) -> Result<Datatype> {
    parse_nested(c, 0)
}

fn parse_nested(c: &mut Cursor<'_>, depth: u32) -> Result<Datatype> {
    if depth > MAX_DEPTH {
        return Err(c.error(format!("datatype nesting deeper than {MAX_DEPTH}")));
    }
    let start = c.offset();
    let head = c.u8()?;
    let class = head & 0x0f;
    let version = head >> 4;
    let bits_raw: [u8; 3] = c.array()?;
    let bits = u32::from(bits_raw[0]) | u32::from(bits_raw[1]) << 8 | u32::from(bits_raw[2]) << 16;
    let size = c.u32()?;
    if version == 0 {
        return Err(c.error("datatype version 0 is not a valid encoding"));
    }
    if version > 5 {
        return Err(Error::Unsupported(format!(
            "datatype message version {version} (at byte offset {start})"
        )));
    }
    let class = match class {
        0 => {
            let order = order_bit(bits);
            let bit_offset = c.u16()?;
            let precision = c.u16()?;
            TypeClass::Integer {
                order,
                signed: bits & 0x08 != 0,
                bit_offset,
                precision,
            }
        }
        1 => parse_float(c, bits, start)?,
        2 => {
            let order = order_bit(bits);
            let precision = c.u16()?;
            TypeClass::Time { order, precision }
        }
        3 => TypeClass::String {
            padding: padding(c, bits & 0x0f)?,
            charset: charset(c, (bits >> 4) & 0x0f)?,
        },
        4 => {
            let order = order_bit(bits);
            let bit_offset = c.u16()?;
            let precision = c.u16()?;
            TypeClass::Bitfield {
                order,
                bit_offset,
                precision,
            }
        }
        5 => {
            // The tag length counts the NUL padding (a multiple of 8 when written).
            let tag = c.take((bits & 0xff) as usize)?;
            let end = tag.iter().position(|&b| b == 0).unwrap_or(tag.len());
            TypeClass::Opaque {
                tag: String::from_utf8_lossy(tag.get(..end).unwrap_or_default()).into_owned(),
            }
        }
        6 => parse_compound(c, version, bits, size, depth)?,
        7 => TypeClass::Reference {
            kind: match bits & 0x0f {
                0 => ReferenceKind::Object,
                1 => ReferenceKind::DatasetRegion,
                k => ReferenceKind::Other(k as u8),
            },
        },
        8 => parse_enum(c, version, bits, depth)?,
        9 => {
            let kind = bits & 0x0f;
            let pad = (bits >> 4) & 0x0f;
            let cset = (bits >> 8) & 0x0f;
            // Both kinds carry a base type (for strings: a 1-byte character type).
            let base = parse_nested(c, depth + 1)?;
            match kind {
                0 => TypeClass::VarLenSequence {
                    base: Box::new(base),
                },
                1 => TypeClass::VarLenString {
                    padding: padding(c, pad)?,
                    charset: charset(c, cset)?,
                },
                k => return Err(c.error(format!("variable-length type kind {k} is not defined"))),
            }
        }
        10 => parse_array(c, version, size, depth)?,
        11 => {
            if bits & 0x01 == 0 {
                return Err(Error::Unsupported(
                    "heterogeneous complex number datatype".into(),
                ));
            }
            if (bits >> 1) & 0x03 != 0 {
                return Err(Error::Unsupported(
                    "complex number datatype in polar or exponential form".into(),
                ));
            }
            let base = parse_nested(c, depth + 1)?;
            if !matches!(base.class, TypeClass::Float { .. })
                || u64::from(base.size) * 2 != u64::from(size)
            {
                return Err(Error::corrupt(
                    "datatype message",
                    start,
                    format!(
                        "complex type of size {size} does not hold two parts of its float base type of size {}",
                        base.size
                    ),
                ));
            }
            TypeClass::Complex {
                base: Box::new(base),
            }
        }
        other => return Err(c.error(format!("datatype class {other} is not defined"))),
    };
    Ok(Datatype { size, class })
}

fn order_bit(bits: u32) -> ByteOrder {
    if bits & 0x01 == 0 {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    }
}

fn padding(c: &Cursor<'_>, v: u32) -> Result<StringPadding> {
    match v {
        0 => Ok(StringPadding::NullTerminate),
        1 => Ok(StringPadding::NullPad),
        2 => Ok(StringPadding::SpacePad),
        v => Err(c.error(format!("string padding type {v} is not defined"))),
    }
}

fn charset(c: &Cursor<'_>, v: u32) -> Result<CharacterSet> {
    match v {
        0 => Ok(CharacterSet::Ascii),
        1 => Ok(CharacterSet::Utf8),
        v => Err(c.error(format!("character set {v} is not defined"))),
    }
}

fn parse_float(c: &mut Cursor<'_>, bits: u32, start: u64) -> Result<TypeClass> {
    let order = match (bits & 0x01) | ((bits >> 5) & 0x02) {
        0 => ByteOrder::Little,
        1 => ByteOrder::Big,
        3 => {
            return Err(Error::Unsupported(format!(
                "VAX floating-point byte order (datatype at byte offset {start})"
            )))
        }
        _ => return Err(c.error("floating-point byte order value 2 is reserved")),
    };
    let normalization = match (bits >> 4) & 0x03 {
        0 => Normalization::None,
        1 => Normalization::MsbSet,
        2 => Normalization::Implied,
        _ => return Err(c.error("floating-point mantissa normalization value 3 is reserved")),
    };
    Ok(TypeClass::Float {
        order,
        normalization,
        sign_location: ((bits >> 8) & 0xff) as u8,
        bit_offset: c.u16()?,
        precision: c.u16()?,
        exponent_location: c.u8()?,
        exponent_size: c.u8()?,
        mantissa_location: c.u8()?,
        mantissa_size: c.u8()?,
        exponent_bias: c.u32()?,
    })
}

/// Read a NUL-terminated name. With `padded`, the name plus its NUL occupies a multiple of
/// 8 bytes (datatype versions 1 and 2, attribute message version 1), and the padding is
/// skipped.
fn read_name(c: &mut Cursor<'_>, padded: bool) -> Result<String> {
    let rest = c.rest();
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| c.error("name is not NUL-terminated"))?;
    let bytes = c.take(len)?;
    let name = String::from_utf8_lossy(bytes).into_owned();
    let mut used = len.saturating_add(1);
    if padded {
        used = used.div_ceil(8).saturating_mul(8);
    }
    c.skip(used.saturating_sub(len))?;
    Ok(name)
}

fn parse_compound(
    c: &mut Cursor<'_>,
    version: u8,
    bits: u32,
    size: u32,
    depth: u32,
) -> Result<TypeClass> {
    let count = (bits & 0xffff) as usize;
    // Every member takes at least a name byte and an 8-byte type header.
    if count > c.remaining() / 9 {
        return Err(c.error(format!(
            "compound claims {count} members but only {} bytes remain",
            c.remaining()
        )));
    }
    let offset_width = bytes_needed(u64::from(size));
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        let member_at = c.offset();
        let name = read_name(c, version < 3)?;
        let offset = if version < 3 {
            c.u32()?
        } else {
            let v = c.uint(offset_width)?;
            u32::try_from(v).map_err(|_| c.error("member offset does not fit 32 bits"))?
        };
        let datatype = if version == 1 {
            // Version 1 stores an optional array shape (up to 4 dimensions) per member.
            let rank = usize::from(c.u8()?);
            c.skip(3 + 4 + 4)?; // reserved, permutation (never used), reserved
            let mut dims = Vec::with_capacity(4);
            for _ in 0..4 {
                dims.push(c.u32()?);
            }
            if rank > 4 {
                return Err(c.error(format!("compound member of rank {rank} (at most 4)")));
            }
            dims.truncate(rank);
            let base = parse_nested(c, depth + 1)?;
            if dims.is_empty() {
                base
            } else {
                let total = dims
                    .iter()
                    .try_fold(base.size, |acc, &d| acc.checked_mul(d))
                    .ok_or_else(|| c.error("array member size overflows"))?;
                Datatype {
                    size: total,
                    class: TypeClass::Array {
                        dims,
                        base: Box::new(base),
                    },
                }
            }
        } else {
            parse_nested(c, depth + 1)?
        };
        if u64::from(offset) + u64::from(datatype.size) > u64::from(size) {
            return Err(Error::corrupt(
                "datatype message",
                member_at,
                format!(
                    "compound member {name:?} at offset {offset} of size {} overruns the compound size {size}",
                    datatype.size
                ),
            ));
        }
        members.push(CompoundMember {
            name,
            offset,
            datatype,
        });
    }
    Ok(TypeClass::Compound { members })
}

fn parse_enum(c: &mut Cursor<'_>, version: u8, bits: u32, depth: u32) -> Result<TypeClass> {
    let count = (bits & 0xffff) as usize;
    let base = parse_nested(c, depth + 1)?;
    if !matches!(base.class, TypeClass::Integer { .. }) {
        return Err(c.error("enumeration base type is not an integer"));
    }
    let value_size = base.size();
    // Each member needs at least one name byte plus its value.
    let per_member = value_size.saturating_add(1);
    if count > c.remaining() / per_member {
        return Err(c.error(format!(
            "enumeration claims {count} members but only {} bytes remain",
            c.remaining()
        )));
    }
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        names.push(read_name(c, version < 3)?);
    }
    let mut members = Vec::with_capacity(count);
    for name in names {
        let value = c.take(value_size)?.to_vec();
        members.push(EnumMember { name, value });
    }
    Ok(TypeClass::Enum {
        base: Box::new(base),
        members,
    })
}

fn parse_array(c: &mut Cursor<'_>, version: u8, size: u32, depth: u32) -> Result<TypeClass> {
    let at = c.offset();
    let rank = usize::from(c.u8()?);
    if rank == 0 || rank > MAX_ARRAY_RANK {
        return Err(c.error(format!("array datatype of rank {rank}")));
    }
    if version < 3 {
        c.skip(3)?;
    }
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        dims.push(c.u32()?);
    }
    if version < 3 {
        // Permutation indices: never implemented by libhdf5.
        c.skip(rank * 4)?;
    }
    let base = parse_nested(c, depth + 1)?;
    let total = dims.iter().try_fold(u64::from(base.size), |acc, &d| {
        acc.checked_mul(u64::from(d))
    });
    if total != Some(u64::from(size)) {
        return Err(Error::corrupt(
            "datatype message",
            at,
            format!(
                "array of {dims:?} x {}-byte elements does not match the stored size {size}",
                base.size
            ),
        ));
    }
    Ok(TypeClass::Array {
        dims,
        base: Box::new(base),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes are datatype message bodies copied from files written by h5py 3.16.0
    //! (HDF5 2.0.0), `h5py.File(path, 'w', libver=...)`, `create_dataset(name, ...)` with the
    //! dtype given in each test; libver 'earliest' writes versions 1/2, 'v108' 3, 'v112' 4,
    //! 'latest' 5 for compound, enum and array types.
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse_hex(s: &str) -> (Datatype, usize) {
        let bytes = hex(s);
        let mut c = Cursor::new(&bytes, 1000, Sizes::default(), "datatype message");
        let t = parse_datatype(&mut c).unwrap();
        (t, c.pos())
    }

    fn parse_bytes(bytes: &[u8]) -> Result<Datatype> {
        let mut c = Cursor::new(bytes, 0, Sizes::default(), "datatype message");
        parse_datatype(&mut c)
    }

    fn i4le() -> Datatype {
        Datatype {
            size: 4,
            class: TypeClass::Integer {
                order: ByteOrder::Little,
                signed: true,
                bit_offset: 0,
                precision: 32,
            },
        }
    }

    fn float(size: u32, order: ByteOrder) -> Datatype {
        let (precision, el, es, ms, bias, sign) = match size {
            2 => (16, 10, 5, 10, 15, 15),
            4 => (32, 23, 8, 23, 127, 31),
            _ => (64, 52, 11, 52, 1023, 63),
        };
        Datatype {
            size,
            class: TypeClass::Float {
                order,
                bit_offset: 0,
                precision,
                sign_location: sign,
                exponent_location: el,
                exponent_size: es,
                mantissa_location: 0,
                mantissa_size: ms,
                exponent_bias: bias,
                normalization: Normalization::Implied,
            },
        }
    }

    fn compound(t: &Datatype) -> Vec<(String, u32, Datatype)> {
        match &t.class {
            TypeClass::Compound { members } => members
                .iter()
                .map(|m| (m.name.clone(), m.offset, m.datatype.clone()))
                .collect(),
            other => panic!("not compound: {other:?}"),
        }
    }

    #[test]
    fn h5py_bool_enum_v1_and_v3() {
        // f['bool'] = np.array([True, False]); libver='earliest' (names padded) then 'v108'.
        for (s, used) in [
            (
                "180200000100000010080000010000000000080046414c5345000000545255450000000000010000",
                38,
            ),
            (
                "380200000100000010080000010000000000080046414c53450054525545000001",
                33,
            ),
        ] {
            let (t, pos) = parse_hex(s);
            assert_eq!(pos, used);
            assert!(t.is_h5py_bool(), "{t:?}");
            assert_eq!(t.size, 1);
        }
    }

    #[test]
    fn h5py_complex_compound_v1_v3_v4_v5() {
        // f['cplx'] = np.array([1+2j], dtype='c8')
        let v1 = "16020000080000007200000000000000000000000000000000000000000000000000000000000000000000000000000011201f000400000000002000170800177f0000006900000000000000040000000000000000000000000000000000000000000000000000000000000011201f000400000000002000170800177f000000";
        let v3 = "360200000800000072000011201f000400000000002000170800177f00000069000411201f000400000000002000170800177f000000";
        let v4 = "460200000800000072000011201f000400000000002000170800177f00000069000411201f000400000000002000170800177f000000";
        let v5 = "560200000800000072000011201f000400000000002000170800177f00000069000411201f000400000000002000170800177f000000";
        for s in [v1, v3, v4, v5] {
            let (t, pos) = parse_hex(s);
            assert_eq!(pos, s.len() / 2);
            assert_eq!(t.h5py_complex_part(), Some(&float(4, ByteOrder::Little)));
            let m = compound(&t);
            assert_eq!(m[1].0, "i");
            assert_eq!(m[1].1, 4);
        }
    }

    #[test]
    fn nested_compound_v1_and_v5() {
        // dtype=[('a','<i4'),('b',[('c','<f8'),('d','u1')])]
        let v1 = "160200000d000000610000000000000000000000000000000000000000000000000000000000000000000000000000001008000004000000000020006200000000000000040000000000000000000000000000000000000000000000000000000000000016020000090000006300000000000000000000000000000000000000000000000000000000000000000000000000000011203f000800000000004000340b0034ff0300006400000000000000080000000000000000000000000000000000000000000000000000000000000010000000010000000000080000000000";
        let v5 = "560200000d000000610000100800000400000000002000620004560200000900000063000011203f000800000000004000340b0034ff030000640008100000000100000000000800";
        for (s, pad) in [(v1, 4), (v5, 0)] {
            let (t, pos) = parse_hex(s);
            assert_eq!(pos + pad, s.len() / 2);
            assert_eq!(t.size, 13);
            let m = compound(&t);
            assert_eq!(m[0], ("a".to_string(), 0, i4le()));
            assert_eq!((m[1].0.as_str(), m[1].1, m[1].2.size), ("b", 4, 9));
            let inner = compound(&m[1].2);
            assert_eq!(inner[0], ("c".to_string(), 0, float(8, ByteOrder::Little)));
            assert_eq!(inner[1].0, "d");
            assert_eq!(inner[1].1, 8);
            assert!(matches!(
                inner[1].2.class,
                TypeClass::Integer {
                    signed: false,
                    precision: 8,
                    ..
                }
            ));
        }
    }

    #[test]
    fn array_member_v2_and_v5_and_plain_array() {
        // dtype=[('m','<i4',(2,3))] (earliest: compound v2 + array v2), and latest (v5);
        // then create_dataset(dtype=np.dtype(('<i4',(2,3)))) at 'latest' (array v5).
        let want = Datatype {
            size: 24,
            class: TypeClass::Array {
                dims: vec![2, 3],
                base: Box::new(i4le()),
            },
        };
        let v2 = "26010000180000006d00000000000000000000002a00000018000000020000000200000003000000000000000100000010080000040000000000200000000000";
        let v5 = "56010000180000006d00005a00000018000000020200000003000000100800000400000000002000";
        for (s, pad) in [(v2, 4), (v5, 0)] {
            let (t, pos) = parse_hex(s);
            assert_eq!(pos + pad, s.len() / 2);
            assert_eq!(compound(&t), vec![("m".to_string(), 0, want.clone())]);
        }
        let (t, _) = parse_hex("5a00000018000000020200000003000000100800000400000000002000");
        assert_eq!(t, want);
    }

    #[test]
    fn compound_v1_member_array_dims_become_array_type() {
        // Synthetic version 1 compound: one member "v" = i4 with dimensionality 2 (2 x 3).
        let mut b = hex("1601000018000000");
        b.extend(hex("7600000000000000")); // name padded to 8
        b.extend(0u32.to_le_bytes()); // offset
        b.extend([2, 0, 0, 0]); // rank + reserved
        b.extend([0; 8]); // permutation + reserved
        for d in [2u32, 3, 0, 0] {
            b.extend(d.to_le_bytes());
        }
        b.extend(hex("100800000400000000002000"));
        let t = parse_bytes(&b).unwrap();
        let m = compound(&t);
        assert_eq!(
            m[0].2,
            Datatype {
                size: 24,
                class: TypeClass::Array {
                    dims: vec![2, 3],
                    base: Box::new(i4le())
                }
            }
        );
    }

    #[test]
    fn compound_v3_wide_offsets() {
        // Like h5py's dtype=[('x%d' % i, '<f8') for i in range(40)] at v108: size 320 needs
        // 2-byte member offsets (the real message starts 3628000040010000 7830 00 0000 ...).
        let mut b = hex("3628000040010000");
        for i in 0..40u16 {
            b.extend(format!("x{i}").as_bytes());
            b.push(0);
            b.extend((i * 8).to_le_bytes());
            b.extend(hex("11203f000800000000004000340b0034ff030000"));
        }
        assert_eq!(&b[..16], hex("3628000040010000783000000011203f").as_slice());
        let t = parse_bytes(&b).unwrap();
        let m = compound(&t);
        assert_eq!(m.len(), 40);
        assert_eq!(m[39].0, "x39");
        assert_eq!(m[39].1, 312);
    }

    #[test]
    fn variable_length_types() {
        // h5py.string_dtype('utf-8'), string_dtype('ascii'), vlen_dtype('<i4')
        let (t, _) = parse_hex("1901010010000000100000000100000000000800");
        assert_eq!(
            t.class,
            TypeClass::VarLenString {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Utf8
            }
        );
        assert_eq!(t.size, 16);
        let (t, _) = parse_hex("1901000010000000100000000100000000000800");
        assert_eq!(
            t.class,
            TypeClass::VarLenString {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Ascii
            }
        );
        let (t, pos) = parse_hex("1900000010000000100800000400000000002000");
        assert_eq!(pos, 20);
        assert_eq!(
            t.class,
            TypeClass::VarLenSequence {
                base: Box::new(i4le())
            }
        );
    }

    #[test]
    fn fixed_strings() {
        // np.array([b'ab'], dtype='S5') -> NULLPAD; C_S1 size 6 STR_NULLTERM.
        let (t, _) = parse_hex("1301000005000000");
        assert_eq!(t.size, 5);
        assert_eq!(
            t.class,
            TypeClass::String {
                padding: StringPadding::NullPad,
                charset: CharacterSet::Ascii
            }
        );
        let (t, _) = parse_hex("1300000006000000");
        assert_eq!(
            t.class,
            TypeClass::String {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Ascii
            }
        );
        assert!(parse_bytes(&hex("1303000006000000")).is_err());
    }

    #[test]
    fn opaque_and_references() {
        // h5py.opaque_dtype(np.dtype('M8[s]')) -> tag "NUMPY:<M8[s]" (16 bytes padded).
        let (t, pos) = parse_hex("15100000080000004e554d50593a3c4d385b735d00000000");
        assert_eq!(pos, 24);
        assert_eq!(
            t,
            Datatype {
                size: 8,
                class: TypeClass::Opaque {
                    tag: "NUMPY:<M8[s]".into()
                }
            }
        );
        // np.void(b'\x01\x02\x03'): no tag.
        let (t, _) = parse_hex("1500000003000000");
        assert_eq!(t.class, TypeClass::Opaque { tag: String::new() });
        // h5py.ref_dtype, h5py.regionref_dtype
        let (t, _) = parse_hex("1700000008000000");
        assert_eq!(
            t.class,
            TypeClass::Reference {
                kind: ReferenceKind::Object
            }
        );
        let (t, _) = parse_hex("170100000c000000");
        assert_eq!(t.size, 12);
        assert_eq!(
            t.class,
            TypeClass::Reference {
                kind: ReferenceKind::DatasetRegion
            }
        );
        let (t, _) = parse_bytes(&hex("4712000010000000"))
            .map(|t| (t, 0))
            .unwrap();
        assert_eq!(
            t.class,
            TypeClass::Reference {
                kind: ReferenceKind::Other(2)
            }
        );
    }

    #[test]
    fn enum_with_u16_base_v1_and_v3() {
        // h5py.enum_dtype({'RED':0,'GREEN':1,'BLUE':513}, basetype='<u2')
        for s in [
            "1803000002000000100000000200000000001000424c554500000000475245454e0000005245440000000000010201000000",
            "3803000002000000100000000200000000001000424c554500475245454e0052454400010201000000",
        ] {
            let (t, pos) = parse_hex(s);
            assert_eq!(pos, s.len() / 2);
            let TypeClass::Enum { base, members } = &t.class else {
                panic!("{t:?}")
            };
            assert_eq!(base.size, 2);
            assert!(matches!(base.class, TypeClass::Integer { signed: false, .. }));
            let got: Vec<(&str, u16)> = members
                .iter()
                .map(|m| (m.name.as_str(), u16::from_le_bytes([m.value[0], m.value[1]])))
                .collect();
            assert_eq!(got, vec![("BLUE", 513), ("GREEN", 1), ("RED", 0)]);
        }
    }

    #[test]
    fn atomic_numbers() {
        // '<f2', '>i4', '>f8'
        let (t, _) = parse_hex("11200f0002000000000010000a05000a0f000000");
        assert_eq!(t, float(2, ByteOrder::Little));
        let (t, _) = parse_hex("100900000400000000002000");
        assert_eq!(
            t.class,
            TypeClass::Integer {
                order: ByteOrder::Big,
                signed: true,
                bit_offset: 0,
                precision: 32
            }
        );
        let (t, _) = parse_hex("11213f000800000000004000340b0034ff030000");
        assert_eq!(t, float(8, ByteOrder::Big));
    }

    #[test]
    fn complex_class_11() {
        // h5py.h5d.create(f.id, b'c11', h5py.h5t.COMPLEX_IEEE_F64LE, ...) at libver='latest'.
        let (t, pos) = parse_hex("5b0100001000000011203f000800000000004000340b0034ff030000");
        assert_eq!(pos, 28);
        assert_eq!(t.size, 16);
        assert_eq!(t.h5py_complex_part(), Some(&float(8, ByteOrder::Little)));
        // Polar form and heterogeneous parts are unsupported.
        let mut polar = hex("5b0300001000000011203f000800000000004000340b0034ff030000");
        assert!(matches!(parse_bytes(&polar), Err(Error::Unsupported(_))));
        polar[1] = 0;
        assert!(matches!(parse_bytes(&polar), Err(Error::Unsupported(_))));
    }

    #[test]
    fn time_and_bitfield() {
        let (t, _) = parse_hex("12010000040000002000");
        assert_eq!(
            t.class,
            TypeClass::Time {
                order: ByteOrder::Big,
                precision: 32
            }
        );
        let (t, _) = parse_hex("140000000200000003000d00");
        assert_eq!(
            t.class,
            TypeClass::Bitfield {
                order: ByteOrder::Little,
                bit_offset: 3,
                precision: 13
            }
        );
    }

    #[test]
    fn rejects_vax_and_bad_headers() {
        // VAX order: bits 0 and 6 set.
        let vax = hex("11613f000800000000004000340b0034ff030000");
        assert!(matches!(parse_bytes(&vax), Err(Error::Unsupported(_))));
        let reserved = hex("11603f000800000000004000340b0034ff030000");
        assert!(matches!(parse_bytes(&reserved), Err(Error::Corrupt { .. })));
        assert!(matches!(
            parse_bytes(&hex("0008000004000000")),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            parse_bytes(&hex("6008000004000000")),
            Err(Error::Unsupported(_))
        ));
        assert!(parse_bytes(&hex("1c08000004000000")).is_err());
    }

    #[test]
    fn truncation_never_panics() {
        let s = "560200000d000000610000100800000400000000002000620004560200000900000063000011203f000800000000004000340b0034ff030000640008100000000100000000000800";
        let b = hex(s);
        for n in 0..b.len() {
            assert!(parse_bytes(&b[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn member_counts_and_depth_are_bounded() {
        // A compound claiming 65535 members in a 20-byte message.
        let b = hex("36ffff00080000000000000000000000000000000000");
        let e = parse_bytes(&b).unwrap_err().to_string();
        assert!(e.contains("65535 members"), "{e}");
        // An enum claiming 1000 members.
        let b = hex("38e80300010000001008000001000000000008000000");
        assert!(parse_bytes(&b).is_err());
        // 40 nested variable-length sequences.
        let mut b = Vec::new();
        for _ in 0..40 {
            b.extend(hex("1900000010000000"));
        }
        b.extend(hex("100800000400000000002000"));
        let e = parse_bytes(&b).unwrap_err().to_string();
        assert!(e.contains("nesting"), "{e}");
        // A compound member overrunning the compound size.
        let b = hex("3601000002000000610000100800000400000000002000");
        assert!(parse_bytes(&b).is_err());
        // An array whose stored size disagrees with its dimensions.
        let b = hex("5a00000019000000020200000003000000100800000400000000002000");
        assert!(parse_bytes(&b).is_err());
    }
}
