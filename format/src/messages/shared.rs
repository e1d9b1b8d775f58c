//! The shared message encoding (spec IV.A.2, "Shared Message" versions 1-3): a message whose
//! header flag bit 1 is set holds this instead of its own body.

use crate::error::Result;
use crate::io::{Addr, Cursor};

/// Where the shared copy of a message lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedRef {
    /// In another object's header (e.g. a committed datatype): that header's address.
    ObjectHeader(Addr),
    /// In the shared-message heap (SOHM): the 8-byte fractal heap ID.
    SohmHeap([u8; 8]),
}

impl SharedRef {
    /// Decode the shared message encoding.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("shared message decoding not implemented yet"))
    }
}
