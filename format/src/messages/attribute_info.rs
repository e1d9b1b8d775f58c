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
        Err(c.error("attribute info decoding not implemented yet"))
    }
}
