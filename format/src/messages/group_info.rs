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
        Err(c.error("group info decoding not implemented yet"))
    }
}
