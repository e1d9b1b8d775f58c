//! The Link Info message (spec IV.A.2.c, message 0x0002).

use crate::error::Result;
use crate::io::{Addr, Cursor};

/// Where a new-style group's dense link storage lives.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LinkInfo {
    /// Maximum creation index, present when creation order is tracked.
    pub max_creation_index: Option<u64>,
    /// Fractal heap holding link messages (undefined while compact).
    pub fractal_heap: Option<Addr>,
    /// v2 B-tree (type 5) indexing names.
    pub name_index: Option<Addr>,
    /// v2 B-tree (type 6) indexing creation order, when indexed.
    pub order_index: Option<Addr>,
}

impl LinkInfo {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("link info message version {version} is not 0")));
        }
        let flags = c.u8()?;
        if flags & !0x03 != 0 {
            return Err(c.error(format!(
                "link info flags {flags:#04x} has reserved bits set"
            )));
        }
        let max_creation_index = if flags & 0x01 != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        let fractal_heap = c.addr()?;
        let name_index = c.addr()?;
        let order_index = if flags & 0x02 != 0 { c.addr()? } else { None };
        Ok(LinkInfo {
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
    //! Golden bytes from h5py 3.16.0 (HDF5 2.0.0), libver='v108': a plain group and
    //! `create_group('tracked', track_order=True)`.
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<LinkInfo> {
        let b = hex(s);
        LinkInfo::parse(&mut Cursor::new(
            &b,
            0,
            Sizes::default(),
            "link info message",
        ))
    }

    #[test]
    fn h5py_link_info() {
        assert_eq!(
            parse("0000ffffffffffffffffffffffffffffffff").unwrap(),
            LinkInfo::default()
        );
        let l =
            parse("00030100000000000000ffffffffffffffffffffffffffffffffffffffffffffffff").unwrap();
        assert_eq!(l.max_creation_index, Some(1));
        assert_eq!(
            (l.fractal_heap, l.name_index, l.order_index),
            (None, None, None)
        );
        // Synthetic dense storage.
        let l = parse("000010000000000000002000000000000000").unwrap();
        assert_eq!(
            (l.fractal_heap, l.name_index),
            (Some(Addr(0x10)), Some(Addr(0x20)))
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("0100ffffffffffffffffffffffffffffffff").is_err());
        assert!(parse("0004ffffffffffffffffffffffffffffffff").is_err());
        assert!(parse("0003010000000000000000ffffffffffffffffffffffffffffffff").is_err());
    }
}
