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
