//! The Attribute Info message (spec IV.A.2.v, message 0x0015).

use crate::error::Result;
use crate::io::{Addr, Cursor};

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
}
