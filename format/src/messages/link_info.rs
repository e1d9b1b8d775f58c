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
