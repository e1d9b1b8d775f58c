//! Old-style groups (spec III.B symbol table nodes `SNOD`, III.C symbol table entries).

use crate::error::Result;
use crate::io::{Addr, Cursor, FileImage};
use crate::messages::link::Link;
use crate::messages::symbol_table::SymbolTableMessage;

/// A symbol table entry (spec III.C).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the name in the group's local heap.
    pub name_offset: u64,
    /// Object header address.
    pub object_header: Option<Addr>,
    /// Cache type: 0 none, 1 group (scratch holds B-tree and heap), 2 soft link.
    pub cache_type: u32,
    /// The 16-byte scratch pad.
    pub scratch: [u8; 16],
}

impl SymbolTableEntry {
    /// Decode one entry.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let name_offset = c.length()?;
        let object_header = c.addr()?;
        let cache_type = c.u32()?;
        c.skip(4)?;
        let scratch = c.array()?;
        Ok(SymbolTableEntry {
            name_offset,
            object_header,
            cache_type,
            scratch,
        })
    }
}

/// The links of an old-style group, in name order (hard links; soft links from cache type 2).
pub fn read_links(img: &FileImage<'_>, msg: &SymbolTableMessage) -> Result<Vec<Link>> {
    let _ = (img, msg);
    Err(crate::error::Error::Unsupported(
        "symbol table groups not implemented yet".into(),
    ))
}
