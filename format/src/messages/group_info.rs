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

    /// Encode the message body (version 0; the inverse of [`GroupInfo::parse`]): flag bit 0
    /// when link phase-change values are stored, bit 1 when estimates are.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10);
        out.push(0);
        out.push(
            u8::from(self.link_phase_change.is_some()) | (u8::from(self.estimates.is_some()) << 1),
        );
        for (a, b) in [self.link_phase_change, self.estimates]
            .into_iter()
            .flatten()
        {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        out
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

    #[test]
    fn encode_round_trips_and_matches_h5py() {
        for b in [
            vec![0u8, 0],
            vec![0, 3, 8, 0, 6, 0, 4, 0, 18, 0],
            vec![0, 2, 4, 0, 18, 0],
            vec![0, 1, 9, 1, 2, 0],
        ] {
            assert_eq!(parse(&b).unwrap().encode(), b);
        }
        let mut n = 0;
        for libver in ["v110", "earliest"] {
            let (messages, _) = crate::object_header::test_files::messages(libver);
            for (object, m) in messages.iter().filter(|(_, m)| m.kind == 0x0a) {
                let enc = parse(&m.data).unwrap().encode();
                assert_eq!(enc, [0, 0]);
                assert!(crate::object_header::test_files::same_body(
                    object, &enc, &m.data
                ));
                n += 1;
            }
        }
        assert!(n >= 4, "{n}");
    }
}
