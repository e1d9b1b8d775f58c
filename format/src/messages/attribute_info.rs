//! The Attribute Info message (spec IV.A.2.v, message 0x0015).

use crate::error::Result;
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};

/// Where an object's dense attribute storage lives.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AttributeInfo {
    /// Maximum creation index, present when creation order is tracked.
    pub max_creation_index: Option<u16>,
    /// Fractal heap holding the attribute messages (undefined while compact).
    pub fractal_heap: Option<Addr>,
    /// v2 B-tree (type 8) indexing names.
    pub name_index: Option<Addr>,
    /// v2 B-tree (type 9) indexing creation order, when indexed.
    pub order_index: Option<Addr>,
}

impl AttributeInfo {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("attribute info message version {version} is not 0")));
        }
        let flags = c.u8()?;
        if flags & !0x03 != 0 {
            return Err(c.error(format!(
                "attribute info flags {flags:#04x} has reserved bits set"
            )));
        }
        let max_creation_index = if flags & 0x01 != 0 {
            Some(c.u16()?)
        } else {
            None
        };
        let fractal_heap = c.addr()?;
        let name_index = c.addr()?;
        let order_index = if flags & 0x02 != 0 { c.addr()? } else { None };
        Ok(AttributeInfo {
            max_creation_index,
            fractal_heap,
            name_index,
            order_index,
        })
    }

    /// Encode the message body (version 0; the inverse of [`AttributeInfo::parse`]).
    ///
    /// Flag bit 0 (creation order tracked) is set when `max_creation_index` is present.
    /// Flag bit 1 (creation order indexed) is set when an order index exists, or when
    /// order is tracked and the attributes are still compact (no fractal heap), as h5py's
    /// `track_order=True` (tracked and indexed) gives. Use
    /// [`AttributeInfo::encode_indexed`] to choose it.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let indexed = self.order_index.is_some()
            || (self.max_creation_index.is_some() && self.fractal_heap.is_none());
        self.encode_indexed(sizes, indexed)
    }

    /// Encode with flag bit 1 (creation order indexed, the order index address field
    /// present) given by `indexed`.
    pub fn encode_indexed(&self, sizes: Sizes, indexed: bool) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(4 + 3 * usize::from(sizes.offset));
        out.push(0);
        let tracked = u8::from(self.max_creation_index.is_some());
        out.push(tracked | (u8::from(indexed) << 1));
        if let Some(max) = self.max_creation_index {
            out.put_u16(max);
        }
        out.put_addr(self.fractal_heap, sizes)?;
        out.put_addr(self.name_index, sizes)?;
        if indexed {
            out.put_addr(self.order_index, sizes)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes from h5py 3.16.0 (HDF5 2.0.0), libver='v108': a group with attributes,
    //! and `create_group('tracked', track_order=True)` with one attribute.
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<AttributeInfo> {
        let b = hex(s);
        AttributeInfo::parse(&mut Cursor::new(&b, 0, Sizes::default(), "attribute info"))
    }

    #[test]
    fn h5py_attribute_info() {
        assert_eq!(
            parse("0000ffffffffffffffffffffffffffffffff").unwrap(),
            AttributeInfo::default()
        );
        let a = parse("00030100ffffffffffffffffffffffffffffffffffffffffffffffff").unwrap();
        assert_eq!(a.max_creation_index, Some(1));
        assert_eq!(a.order_index, None);
        let a = parse("0002100000000000000020000000000000003000000000000000").unwrap();
        assert_eq!(
            (a.fractal_heap, a.name_index, a.order_index),
            (Some(Addr(0x10)), Some(Addr(0x20)), Some(Addr(0x30)))
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("0100ffffffffffffffffffffffffffffffff").is_err());
        assert!(parse("0080ffffffffffffffffffffffffffffffff").is_err());
        assert!(parse("00030100ffffffffffffffffffffffffffffffff").is_err());
    }

    #[test]
    fn encode_round_trips_and_matches_h5py() {
        let d = Sizes::default();
        for s in [
            "0000ffffffffffffffffffffffffffffffff",
            "00030100ffffffffffffffffffffffffffffffffffffffffffffffff",
            "0002100000000000000020000000000000003000000000000000",
        ] {
            assert_eq!(parse(s).unwrap().encode(d).unwrap(), hex(s));
        }
        // Every attribute info message of the h5py files: compact tracked, dense tracked.
        let (mut dense, mut compact) = (false, false);
        for libver in ["v110", "earliest"] {
            let (messages, sizes) = crate::object_header::test_files::messages(libver);
            for (object, m) in messages.iter().filter(|(_, m)| m.kind == 0x15) {
                let mut c = Cursor::new(&m.data, 0, sizes, "attribute info");
                let info = AttributeInfo::parse(&mut c).unwrap();
                let enc = info.encode(sizes).unwrap();
                assert!(
                    crate::object_header::test_files::same_body(object, &enc, &m.data),
                    "{object}: {enc:?} vs {:?}",
                    m.data
                );
                if info.fractal_heap.is_some() {
                    dense = true;
                } else {
                    compact = true;
                }
            }
        }
        assert!(dense && compact);
    }

    #[test]
    fn encode_indexed_choices() {
        let s2 = Sizes {
            offset: 2,
            length: 4,
        };
        let info = AttributeInfo {
            max_creation_index: Some(0x1234),
            fractal_heap: None,
            name_index: None,
            order_index: None,
        };
        assert_eq!(info.encode(s2).unwrap(), hex("00033412ffffffffffff"));
        assert_eq!(
            info.encode_indexed(s2, false).unwrap(),
            hex("00013412ffffffff")
        );
        for b in [
            info.encode(s2).unwrap(),
            info.encode_indexed(s2, false).unwrap(),
        ] {
            let mut c = Cursor::new(&b, 0, s2, "attribute info");
            assert_eq!(AttributeInfo::parse(&mut c).unwrap(), info);
        }
    }
}
