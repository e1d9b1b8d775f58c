//! The Link message (spec IV.A.2.g, message 0x0006).

use crate::datatype::CharacterSet;
use crate::error::Result;
use crate::io::{Addr, Cursor};

/// Where a link points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// Hard link: address of the object header.
    Hard(Addr),
    /// Soft link: a path in this file.
    Soft(String),
    /// External link: file name and object path.
    External {
        /// The other file's name.
        file: String,
        /// The object path inside it.
        path: String,
    },
    /// A user-defined link type (type >= 64) that this crate does not follow.
    UserDefined(u8),
}

/// A decoded link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Link name.
    pub name: String,
    /// Character set of the name.
    pub charset: CharacterSet,
    /// Creation order, when tracked.
    pub creation_order: Option<u64>,
    /// The target.
    pub target: LinkTarget,
}

impl Link {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("link message decoding not implemented yet"))
    }
}
