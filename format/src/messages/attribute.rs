//! The Attribute message (spec IV.A.2.m, message 0x000C), versions 1-3.

use crate::dataspace::Dataspace;
use crate::datatype::{CharacterSet, Datatype};
use crate::error::Result;
use crate::io::Cursor;
use crate::messages::shared::SharedRef;

/// A decoded attribute message. The raw data is kept in the file's element encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeMessage {
    /// Attribute name (without the trailing NUL).
    pub name: String,
    /// Character set of the name.
    pub name_charset: CharacterSet,
    /// The datatype, or where the shared (committed) datatype lives (flag bit 0).
    pub datatype: MaybeShared<Datatype>,
    /// The dataspace.
    pub dataspace: Dataspace,
    /// Raw element bytes: element count x datatype size.
    pub data: Vec<u8>,
}

/// A message value stored inline or a reference to a shared copy.
#[derive(Clone, Debug, PartialEq)]
pub enum MaybeShared<T> {
    /// Stored inline.
    Inline(T),
    /// Stored elsewhere (committed datatype or shared-message heap).
    Shared(SharedRef),
}

impl AttributeMessage {
    /// Decode the message body. `c` covers exactly the message.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("attribute message decoding not implemented yet"))
    }
}
