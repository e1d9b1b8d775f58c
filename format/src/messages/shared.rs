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
    ///
    /// Version 1: type, 6 reserved bytes, object header address. Version 2: type, address.
    /// In versions 1 and 2 the type byte is not interpreted (the spec documents 0; libhdf5
    /// writes 2): the message always lives in another object header.
    /// Version 3: type 1 is an 8-byte SOHM heap ID, type 2 an object header address; types 0
    /// and 3 ("not shared") are an error here because a shared-flagged message must point
    /// somewhere.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        let kind = c.u8()?;
        match version {
            1 | 2 => {
                if version == 1 {
                    c.skip(6)?;
                }
                Ok(SharedRef::ObjectHeader(
                    c.addr_required("shared message object header")?,
                ))
            }
            3 => match kind {
                1 => Ok(SharedRef::SohmHeap(c.array()?)),
                2 => Ok(SharedRef::ObjectHeader(
                    c.addr_required("shared message object header")?,
                )),
                0 | 3 => Err(c.error(format!(
                    "shared message location type {kind} means the message is not shared"
                ))),
                k => Err(c.error(format!("shared message location type {k} is not defined"))),
            },
            v => Err(c.error(format!("shared message version {v} is not 1, 2 or 3"))),
        }
    }
}
