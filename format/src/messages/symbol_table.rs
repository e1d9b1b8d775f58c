//! The Symbol Table message (spec IV.A.2.r, message 0x0011): an old-style group.

use crate::error::Result;
use crate::io::{Addr, Cursor};

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
}
