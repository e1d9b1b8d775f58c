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
        Err(c.error("link info decoding not implemented yet"))
    }
}
