//! The Group Info message (spec IV.A.2.k, message 0x000A).

use crate::error::Result;
use crate::io::Cursor;

/// Thresholds for compact/dense link storage and size estimates.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GroupInfo {
    /// (maximum compact, minimum dense), when stored.
    pub link_phase_change: Option<(u16, u16)>,
    /// (estimated number of entries, estimated link name length), when stored.
    pub estimates: Option<(u16, u16)>,
}

impl GroupInfo {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("group info message version {version} is not 0")));
        }
        let flags = c.u8()?;
        if flags & !0x03 != 0 {
            return Err(c.error(format!(
                "group info flags {flags:#04x} has reserved bits set"
            )));
        }
        let link_phase_change = if flags & 0x01 != 0 {
            Some((c.u16()?, c.u16()?))
        } else {
            None
        };
        let estimates = if flags & 0x02 != 0 {
            Some((c.u16()?, c.u16()?))
        } else {
            None
        };
        Ok(GroupInfo {
            link_phase_change,
            estimates,
        })
    }
}
