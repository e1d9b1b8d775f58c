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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::io::Sizes;

    fn parse(b: &[u8]) -> Result<GroupInfo> {
        GroupInfo::parse(&mut Cursor::new(
            b,
            0,
            Sizes::default(),
            "group info message",
        ))
    }

    #[test]
    fn flags_select_fields() {
        // h5py 3.16.0 groups at libver='v108': version 0, flags 0.
        assert_eq!(parse(&[0, 0]).unwrap(), GroupInfo::default());
        let g = parse(&[0, 3, 8, 0, 6, 0, 4, 0, 18, 0]).unwrap();
        assert_eq!(g.link_phase_change, Some((8, 6)));
        assert_eq!(g.estimates, Some((4, 18)));
        let g = parse(&[0, 2, 4, 0, 18, 0]).unwrap();
        assert_eq!((g.link_phase_change, g.estimates), (None, Some((4, 18))));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&[1, 0]).is_err());
        assert!(parse(&[0, 4]).is_err());
        assert!(parse(&[0, 1, 8, 0]).is_err());
    }
}
