//! The Attribute message (spec IV.A.2.m, message 0x000C), versions 1-3.

use crate::dataspace::Dataspace;
use crate::datatype::{parse_datatype, CharacterSet, Datatype};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Cursor, Sizes};
use crate::messages::shared::SharedRef;

/// A decoded attribute message. The raw data is kept in the file's element encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeMessage {
    /// Attribute name (without the trailing NUL).
    pub name: String,
    /// Character set of the name.
    pub name_charset: CharacterSet,
    /// The datatype, or where the shared (committed) datatype lives (flag bit 0).
    pub datatype: MaybeShared<Datatype>,
    /// The dataspace, or where the shared copy lives (flag bit 1, SOHM).
    pub dataspace: MaybeShared<Dataspace>,
    /// Raw element bytes: element count x datatype size.
    pub data: Vec<u8>,
}

/// A message value stored inline or a reference to a shared copy.
#[derive(Clone, Debug, PartialEq)]
pub enum MaybeShared<T> {
    /// Stored inline.
    Inline(T),
    /// Stored elsewhere (committed datatype or shared-message heap).
    Shared(SharedRef),
}

impl AttributeMessage {
    /// The datatype and dataspace, following shared copies (committed datatypes, SOHM).
    pub fn resolved(&self, img: &crate::io::FileImage<'_>) -> Result<(Datatype, Dataspace)> {
        let datatype = match &self.datatype {
            MaybeShared::Inline(t) => t.clone(),
            MaybeShared::Shared(r) => {
                let body = crate::sohm::resolve(img, crate::messages::kind::DATATYPE, r)?;
                parse_datatype(&mut Cursor::new(&body, 0, img.sizes(), "shared datatype"))?
            }
        };
        let dataspace = match &self.dataspace {
            MaybeShared::Inline(d) => d.clone(),
            MaybeShared::Shared(r) => {
                let body = crate::sohm::resolve(img, crate::messages::kind::DATASPACE, r)?;
                Dataspace::parse(&mut Cursor::new(&body, 0, img.sizes(), "shared dataspace"))?
            }
        };
        Ok((datatype, dataspace))
    }

    /// The dataspace when stored inline (attributes this crate writes always are).
    pub fn inline_dataspace(&self) -> Result<&Dataspace> {
        match &self.dataspace {
            MaybeShared::Inline(d) => Ok(d),
            MaybeShared::Shared(_) => Err(Error::Unsupported(format!(
                "attribute {:?} has a shared (SOHM) dataspace",
                self.name
            ))),
        }
    }

    /// Decode the message body. `c` covers exactly the message.
    ///
    /// Version 1 pads the name, datatype and dataspace to multiples of 8 bytes; versions 2
    /// and 3 do not, and carry flags (bit 0: shared datatype, bit 1: shared dataspace);
    /// version 3 adds the name's character set.
    ///
    /// The data is element count x datatype size bytes. When the datatype is shared its size
    /// is unknown here, so `data` holds *all remaining bytes of the message* (which may
    /// include the header's alignment padding); the caller must truncate it to
    /// count x size once it has resolved the datatype. A shared dataspace is
    /// [`Error::Unsupported`].
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if !(1..=3).contains(&version) {
            return Err(c.error(format!("attribute message version {version} is not 1-3")));
        }
        let flags = c.u8()?;
        let flags = if version == 1 { 0 } else { flags };
        if flags & !0x03 != 0 {
            return Err(c.error(format!(
                "attribute flags {flags:#04x} has reserved bits set"
            )));
        }
        let name_size = usize::from(c.u16()?);
        let datatype_size = usize::from(c.u16()?);
        let dataspace_size = usize::from(c.u16()?);
        let name_charset = if version >= 3 {
            match c.u8()? {
                0 => CharacterSet::Ascii,
                1 => CharacterSet::Utf8,
                v => return Err(c.error(format!("attribute name character set {v}"))),
            }
        } else {
            CharacterSet::Ascii
        };
        let padded = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };

        let name_at = c.offset();
        let name_bytes = c.take(padded(name_size))?;
        let name_bytes = name_bytes.get(..name_size).unwrap_or_default();
        let end = name_bytes.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::corrupt("attribute message", name_at, "name is not NUL-terminated")
        })?;
        let name = String::from_utf8_lossy(name_bytes.get(..end).unwrap_or_default()).into_owned();

        let mut dt = sub_cursor(c, padded(datatype_size), datatype_size)?;
        let datatype = if flags & 0x01 != 0 {
            MaybeShared::Shared(SharedRef::parse(&mut dt)?)
        } else {
            MaybeShared::Inline(parse_datatype(&mut dt)?)
        };
        let mut ds = sub_cursor(c, padded(dataspace_size), dataspace_size)?;
        let dataspace = if flags & 0x02 != 0 {
            MaybeShared::Shared(SharedRef::parse(&mut ds)?)
        } else {
            MaybeShared::Inline(Dataspace::parse(&mut ds)?)
        };

        let data = match (&datatype, &dataspace) {
            (MaybeShared::Inline(t), MaybeShared::Inline(dataspace)) => {
                let count = dataspace
                    .element_count()
                    .ok_or_else(|| c.error("attribute element count overflows"))?;
                let len = count
                    .checked_mul(u64::from(t.size))
                    .ok_or_else(|| c.error("attribute data size overflows"))?;
                if len > c.remaining() as u64 {
                    return Err(c.error(format!(
                        "attribute {name:?} needs {len} data bytes but only {} remain",
                        c.remaining()
                    )));
                }
                c.take_u64(len)?.to_vec()
            }
            // Sizes unknown until the shared copies are resolved: the caller truncates.
            _ => c.take(c.remaining())?.to_vec(),
        };
        Ok(AttributeMessage {
            name,
            name_charset,
            datatype,
            dataspace,
            data,
        })
    }

    /// Encode as a version 3 Attribute message (what libhdf5 writes from 1.8 on): version,
    /// flags (bit 0: shared datatype), the sizes of the name (with its NUL), of the
    /// datatype and of the dataspace as u16, the name's character set (1 UTF-8 when
    /// `name_charset` is UTF-8 or the name is not pure ASCII, else 0), the name and its
    /// NUL, the datatype (inline, or the shared-message encoding of where it lives), the
    /// dataspace (version 2), then the data.
    ///
    /// With an inline datatype, `data` must hold exactly element count x datatype size
    /// bytes, else [`Error::Invalid`]; with a shared one its size is not known here and
    /// `data` is written as given. Names containing NUL or longer than 65534 bytes, and
    /// datatypes or dataspaces whose encoding exceeds 65535 bytes, are [`Error::Invalid`].
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let name = self.name.as_bytes();
        if name.contains(&0) {
            return Err(Error::Invalid(format!(
                "attribute name {:?} contains a NUL byte",
                self.name
            )));
        }
        let field = |what: &str, n: usize| {
            u16::try_from(n).map_err(|_| {
                Error::Invalid(format!(
                    "attribute {:?}: {what} of {n} bytes exceeds 65535",
                    self.name
                ))
            })
        };
        let name_size = field("name", name.len().saturating_add(1))?;
        let MaybeShared::Inline(space) = &self.dataspace else {
            return Err(Error::Unsupported(format!(
                "attribute {:?}: writing a shared (SOHM) dataspace",
                self.name
            )));
        };
        let (flags, datatype) = match &self.datatype {
            MaybeShared::Inline(t) => {
                let count = space.element_count().ok_or_else(|| {
                    Error::Invalid(format!(
                        "attribute {:?}: element count overflows",
                        self.name
                    ))
                })?;
                let want = count.checked_mul(u64::from(t.size));
                if want != Some(self.data.len() as u64) {
                    return Err(Error::Invalid(format!(
                        "attribute {:?}: {} data bytes for {count} elements of {} bytes",
                        self.name,
                        self.data.len(),
                        t.size
                    )));
                }
                (0u8, t.encode()?)
            }
            MaybeShared::Shared(r) => (0x01, encode_shared(r, sizes)?),
        };
        let dataspace = space.encode(sizes)?;
        let datatype_size = field("datatype", datatype.len())?;
        let dataspace_size = field("dataspace", dataspace.len())?;
        let charset = match (self.name_charset, self.name.is_ascii()) {
            (CharacterSet::Ascii, true) => 0,
            _ => 1,
        };
        let mut out =
            Vec::with_capacity(9 + name.len() + datatype.len() + dataspace.len() + self.data.len());
        out.extend_from_slice(&[3, flags]);
        out.put_u16(name_size);
        out.put_u16(datatype_size);
        out.put_u16(dataspace_size);
        out.push(charset);
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(&datatype);
        out.extend_from_slice(&dataspace);
        out.extend_from_slice(&self.data);
        Ok(out)
    }
}

/// The shared-message encoding of a shared datatype, as libhdf5 writes it: version 2 with
/// type 2 and the committed datatype's object header address, or version 3 with type 1 and
/// the 8-byte heap ID for a message in the shared-message heap.
///
/// Private stand-in until `SharedRef::encode` (messages/shared.rs) exists.
fn encode_shared(r: &SharedRef, sizes: Sizes) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(2 + usize::from(sizes.offset).max(8));
    match r {
        SharedRef::ObjectHeader(addr) => {
            out.extend_from_slice(&[2, 2]);
            out.put_addr(Some(*addr), sizes)?;
        }
        SharedRef::SohmHeap(id) => {
            out.extend_from_slice(&[3, 1]);
            out.extend_from_slice(id);
        }
    }
    Ok(out)
}

/// Take `field` bytes from `c` and return a cursor over the first `used` of them.
fn sub_cursor<'a>(c: &mut Cursor<'a>, field: usize, used: usize) -> Result<Cursor<'a>> {
    let origin = c.offset();
    let bytes = c.take(field)?;
    let bytes = bytes.get(..used).unwrap_or_default();
    Ok(Cursor::new(bytes, origin, c.sizes(), "attribute message"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes copied from files written by h5py 3.16.0 (HDF5 2.0.0):
    //! `g = f.create_group('g'); g.attrs['i'] = np.int32(7); g.attrs['s'] = 'hello';
    //! g.attrs['arr'] = np.arange(3, dtype='<f4'); g.attrs['e'] = h5py.Empty('i4')`, and
    //! `f['tcommit'] = np.dtype('<i2'); d.attrs.create('ta', data=[1, 2],
    //! dtype=f['tcommit'])`, at libver 'earliest' (versions 1/2) and 'v108' (version 3).
    use super::*;
    use crate::dataspace::SpaceKind;
    use crate::datatype::TypeClass;
    use crate::io::{Addr, Sizes};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<AttributeMessage> {
        let b = hex(s);
        AttributeMessage::parse(&mut Cursor::new(
            &b,
            0,
            Sizes::default(),
            "attribute message",
        ))
    }

    fn inline(a: &AttributeMessage) -> &Datatype {
        match &a.datatype {
            MaybeShared::Inline(t) => t,
            MaybeShared::Shared(s) => panic!("shared {s:?}"),
        }
    }

    #[test]
    fn version_1_padded() {
        let a = parse("010002000c00080069000000000000001008000004000000000020000000000001000000000000000700000000000000").unwrap();
        assert_eq!(a.name, "i");
        assert_eq!(a.name_charset, CharacterSet::Ascii);
        assert_eq!(inline(&a).size, 4);
        assert_eq!(a.inline_dataspace().unwrap(), &Dataspace::scalar());
        assert_eq!(a.data, vec![7, 0, 0, 0]);

        let a = parse("01000200140008007300000000000000190101001000000010000000010000000000080000000000010000000000000005000000601c00000000000001000000").unwrap();
        assert_eq!(a.name, "s");
        assert!(matches!(inline(&a).class, TypeClass::VarLenString { .. }));
        assert_eq!(a.data.len(), 16);
        assert_eq!(&a.data[..4], &[5, 0, 0, 0]);

        let a = parse("0100040014001800617272000000000011201f000400000000002000170800177f00000000000000010101000000000003000000000000000300000000000000000000000000803f0000004000000000").unwrap();
        assert_eq!(a.name, "arr");
        assert_eq!(a.inline_dataspace().unwrap().dims, vec![3]);
        let vals: Vec<f32> = a
            .data
            .chunks(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(vals, vec![0.0, 1.0, 2.0]);

        let a = parse(
            "010002000c0004006500000000000000100800000400000000002000000000000200000200000000",
        )
        .unwrap();
        assert_eq!(a.name, "e");
        assert_eq!(a.inline_dataspace().unwrap().kind, SpaceKind::Null);
        assert!(a.data.is_empty());
    }

    #[test]
    fn version_2_shared_datatype() {
        // Remaining bytes (data + object header padding) are returned for the caller to cut.
        let a = parse("020103000a001800746100020288190000000000000101010000000000020000000000000002000000000000000100020000000000000000").unwrap();
        assert_eq!(a.name, "ta");
        assert_eq!(
            a.datatype,
            MaybeShared::Shared(SharedRef::ObjectHeader(Addr(0x1988)))
        );
        assert_eq!(a.inline_dataspace().unwrap().dims, vec![2]);
        assert_eq!(&a.data[..4], &[1, 0, 2, 0]);
        assert_eq!(a.data.len(), 11);
    }

    #[test]
    fn version_3() {
        let a = parse("030002000c0004000069001008000004000000000020000200000007000000").unwrap();
        assert_eq!((a.name.as_str(), a.data.clone()), ("i", vec![7, 0, 0, 0]));
        let a = parse("030002001400040000730019010100100000001000000001000000000008000200000005000000ff1900000000000001000000").unwrap();
        assert_eq!(a.name, "s");
        assert_eq!(a.data.len(), 16);
        let a = parse("0300040014001400006172720011201f000400000000002000170800177f0000000201010103000000000000000300000000000000000000000000803f00000040").unwrap();
        assert_eq!(a.inline_dataspace().unwrap().dims, vec![3]);
        assert_eq!(&a.data[4..8], &1.0f32.to_le_bytes());
        let a = parse("030002000c00040000650010080000040000000000200002000002").unwrap();
        assert!(a.data.is_empty());
        let a = parse("030103000a001400007461000202fa12000000000000020101010200000000000000020000000000000001000200").unwrap();
        assert_eq!(
            a.datatype,
            MaybeShared::Shared(SharedRef::ObjectHeader(Addr(0x12fa)))
        );
        assert_eq!(a.data, vec![1, 0, 2, 0]);
        // Synthetic: UTF-8 name "é".
        let a = parse("030003000c00040001c3a9001008000004000000000020000200000007000000").unwrap();
        assert_eq!((a.name.as_str(), a.name_charset), ("é", CharacterSet::Utf8));
    }

    #[test]
    fn rejects_bad_input() {
        // Shared dataspace whose 4 bytes cannot hold a shared-message reference.
        let e = parse("030202000c0004000069001008000004000000000020000200000007000000");
        assert!(matches!(e, Err(Error::Corrupt { .. })), "{e:?}");
        assert!(parse("04").is_err());
        // Name without NUL.
        assert!(parse("030002000c00040000696a1008000004000000000020000200000007000000").is_err());
        // Data shorter than count x size.
        assert!(parse("030002000c000400006900100800000400000000002000020000000700").is_err());
        let full = hex("0300040014001400006172720011201f000400000000002000170800177f0000000201010103000000000000000300000000000000000000000000803f00000040");
        for n in 0..full.len() {
            let mut c = Cursor::new(&full[..n], 0, Sizes::default(), "x");
            assert!(AttributeMessage::parse(&mut c).is_err(), "prefix {n}");
        }
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn simple(dims: &[u64]) -> Dataspace {
        Dataspace {
            kind: SpaceKind::Simple,
            dims: dims.to_vec(),
            max_dims: Some(dims.to_vec()),
        }
    }

    fn attr(
        name: &str,
        t: MaybeShared<Datatype>,
        space: Dataspace,
        data: Vec<u8>,
    ) -> AttributeMessage {
        AttributeMessage {
            name: name.into(),
            name_charset: CharacterSet::Ascii,
            datatype: t,
            dataspace: MaybeShared::Inline(space),
            data,
        }
    }

    fn round_trip(a: &AttributeMessage) -> String {
        let b = a.encode(Sizes::default()).unwrap();
        let mut c = Cursor::new(&b, 0, Sizes::default(), "attribute message");
        assert_eq!(&AttributeMessage::parse(&mut c).unwrap(), a);
        assert_eq!(c.remaining(), 0);
        hex_of(&b)
    }

    #[test]
    fn encode_matches_h5py_v110() {
        // libver='v110': g.attrs['a1'] = np.int32(7); g.attrs['arr'] = np.arange(3,
        // dtype='<f4'); g.attrs['e'] = h5py.Empty('i4'); f['tcommit'] = np.dtype('<i2');
        // g.attrs.create('ta', data=[1, 2], dtype=f['tcommit']); g.attrs['héllo'] = 'wörld'.
        let i4 = Datatype::int(4, true);
        let a = attr(
            "a1",
            MaybeShared::Inline(i4.clone()),
            Dataspace::scalar(),
            7i32.to_le_bytes().to_vec(),
        );
        assert_eq!(
            round_trip(&a),
            "030003000c000400006131001008000004000000000020000200000007000000"
        );
        let data: Vec<u8> = [0f32, 1.0, 2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let a = attr(
            "arr",
            MaybeShared::Inline(Datatype::float(4).unwrap()),
            simple(&[3]),
            data,
        );
        assert_eq!(
            round_trip(&a),
            "0300040014001400006172720011201f000400000000002000170800177f0000000201010103000000000000000300000000000000000000000000803f00000040"
        );
        let null = Dataspace {
            kind: SpaceKind::Null,
            dims: vec![],
            max_dims: None,
        };
        let a = attr("e", MaybeShared::Inline(i4), null, vec![]);
        assert_eq!(
            round_trip(&a),
            "030002000c00040000650010080000040000000000200002000002"
        );
        let a = attr(
            "ta",
            MaybeShared::Shared(SharedRef::ObjectHeader(Addr(0x1b4))),
            simple(&[2]),
            vec![1, 0, 2, 0],
        );
        assert_eq!(
            round_trip(&a),
            "030103000a001400007461000202b401000000000000020101010200000000000000020000000000000001000200"
        );
        // h5py stores character set 0 even for this non-ASCII name; we store 1 (UTF-8).
        let mut a = attr(
            "héllo",
            MaybeShared::Inline(Datatype::vlen_utf8()),
            Dataspace::scalar(),
            hex("060000000008000000000000" /* length, heap address */)
                .into_iter()
                .chain(1u32.to_le_bytes())
                .collect(),
        );
        a.name_charset = CharacterSet::Utf8;
        assert_eq!(
            round_trip(&a),
            "03000700140004000168c3a96c6c6f0019010100100000001000000001000000000008000200000006000000000800000000000001000000"
        );
        // An ASCII-flagged non-ASCII name is still written as UTF-8.
        a.name_charset = CharacterSet::Ascii;
        assert_eq!(a.encode(Sizes::default()).unwrap()[8], 1);
    }

    #[test]
    fn encode_validates() {
        let i4 = Datatype::int(4, true);
        let bad = [
            attr(
                "x",
                MaybeShared::Inline(i4.clone()),
                simple(&[2]),
                vec![0; 7],
            ),
            attr(
                "x",
                MaybeShared::Inline(i4.clone()),
                Dataspace::scalar(),
                vec![],
            ),
            attr(
                "a\0b",
                MaybeShared::Inline(i4.clone()),
                Dataspace::scalar(),
                vec![0; 4],
            ),
            attr(
                &"n".repeat(65535),
                MaybeShared::Inline(i4),
                Dataspace::scalar(),
                vec![0; 4],
            ),
        ];
        for a in bad {
            assert!(matches!(a.encode(Sizes::default()), Err(Error::Invalid(_))));
        }
        // SOHM-shared datatype and 4-byte sizes.
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let a = attr(
            "s",
            MaybeShared::Shared(SharedRef::SohmHeap([1, 2, 3, 4, 5, 6, 7, 8])),
            simple(&[1]),
            vec![9, 9],
        );
        let b = a.encode(s4).unwrap();
        let back = AttributeMessage::parse(&mut Cursor::new(&b, 0, s4, "x")).unwrap();
        assert_eq!(back, a);
    }
}
