//! The Symbol Table message (spec IV.A.2.r, message 0x0011): an old-style group.

use crate::error::Result;
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};

/// Addresses of an old-style group's v1 B-tree and local heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolTableMessage {
    /// v1 B-tree (node type 0) root.
    pub btree: Addr,
    /// Local heap holding the link names.
    pub heap: Addr,
}

impl SymbolTableMessage {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(SymbolTableMessage {
            btree: c.addr_required("symbol table B-tree")?,
            heap: c.addr_required("symbol table local heap")?,
        })
    }

    /// Encode the message body: the B-tree address, then the local heap address.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(2 * usize::from(sizes.offset));
        out.put_addr(Some(self.btree), sizes)?;
        out.put_addr(Some(self.heap), sizes)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn encode_matches_h5py_and_round_trips() {
        let mut n = 0;
        for libver in ["earliest"] {
            let (messages, sizes) = crate::object_header::test_files::messages(libver);
            for (object, m) in messages.iter().filter(|(_, m)| m.kind == 0x11) {
                let mut c = Cursor::new(&m.data, 0, sizes, "symbol table");
                let msg = SymbolTableMessage::parse(&mut c).unwrap();
                let enc = msg.encode(sizes).unwrap();
                assert!(crate::object_header::test_files::same_body(
                    object, &enc, &m.data
                ));
                n += 1;
            }
        }
        assert!(n >= 1);
        let s2 = Sizes {
            offset: 2,
            length: 8,
        };
        let msg = SymbolTableMessage {
            btree: Addr(0x0102),
            heap: Addr(0x0304),
        };
        let b = msg.encode(s2).unwrap();
        assert_eq!(b, [2, 1, 4, 3]);
        let mut c = Cursor::new(&b, 0, s2, "symbol table");
        assert_eq!(SymbolTableMessage::parse(&mut c).unwrap(), msg);
        assert!(SymbolTableMessage::parse(&mut Cursor::new(&b[..3], 0, s2, "x")).is_err());
    }
}
