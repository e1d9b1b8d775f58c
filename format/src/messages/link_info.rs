//! The Link Info message (spec IV.A.2.c, message 0x0002).

use crate::error::Result;
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};

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

    /// Encode the message body (version 0; the inverse of [`LinkInfo::parse`]).
    ///
    /// Flag bit 0 (creation order tracked) is set when `max_creation_index` is present.
    /// Flag bit 1 (creation order indexed) cannot be told from the fields alone: it is set
    /// when an order index exists, or when order is tracked and the links are still
    /// compact (no fractal heap), as h5py's `track_order=True` (tracked and indexed) gives.
    /// Use [`LinkInfo::encode_indexed`] to choose it.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let indexed = self.order_index.is_some()
            || (self.max_creation_index.is_some() && self.fractal_heap.is_none());
        self.encode_indexed(sizes, indexed)
    }

    /// Encode with flag bit 1 (creation order indexed, the order index address field
    /// present) given by `indexed`.
    pub fn encode_indexed(&self, sizes: Sizes, indexed: bool) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(10 + 3 * usize::from(sizes.offset));
        out.push(0);
        let tracked = u8::from(self.max_creation_index.is_some());
        out.push(tracked | (u8::from(indexed) << 1));
        if let Some(max) = self.max_creation_index {
            out.put_u64(max);
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

    #[test]
    fn encode_round_trips_and_matches_h5py() {
        let d = Sizes::default();
        for s in [
            "0000ffffffffffffffffffffffffffffffff",
            "00030100000000000000ffffffffffffffffffffffffffffffffffffffffffffffff",
            "000010000000000000002000000000000000",
        ] {
            assert_eq!(parse(s).unwrap().encode(d).unwrap(), hex(s));
        }
        // Every link info message of enc_v110.h5 / enc_earliest.h5: untracked, tracked
        // compact, and dense with and without creation order.
        let mut dense = [false; 2];
        let mut tracked_compact = false;
        for libver in ["v110", "earliest"] {
            let (messages, sizes) = crate::object_header::test_files::messages(libver);
            for (object, m) in messages.iter().filter(|(_, m)| m.kind == 2) {
                let mut c = Cursor::new(&m.data, 0, sizes, "link info");
                let info = LinkInfo::parse(&mut c).unwrap();
                let enc = info.encode(sizes).unwrap();
                assert!(
                    crate::object_header::test_files::same_body(object, &enc, &m.data),
                    "{object}: {enc:?} vs {:?}",
                    m.data
                );
                let tracked = info.max_creation_index.is_some();
                if info.fractal_heap.is_some() {
                    dense[usize::from(tracked)] = true;
                } else if tracked {
                    tracked_compact = true;
                }
            }
        }
        assert!(dense[0] && dense[1] && tracked_compact);
    }

    #[test]
    fn encode_indexed_choices() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let info = LinkInfo {
            max_creation_index: Some(7),
            fractal_heap: Some(Addr(0x100)),
            name_index: Some(Addr(0x200)),
            order_index: None,
        };
        let b = info.encode(s4).unwrap();
        assert_eq!(b, hex("000107000000000000000001000000020000"));
        let mut c = Cursor::new(&b, 0, s4, "link info");
        assert_eq!(LinkInfo::parse(&mut c).unwrap(), info);
        let b = info.encode_indexed(s4, true).unwrap();
        assert_eq!(b[1], 3);
        assert_eq!(b.len(), 2 + 8 + 12);
        let mut c = Cursor::new(&b, 0, s4, "link info");
        assert_eq!(LinkInfo::parse(&mut c).unwrap(), info);
    }
}
