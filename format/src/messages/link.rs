//! The Link message (spec IV.A.2.g, message 0x0006).

use crate::datatype::CharacterSet;
use crate::error::{Error, Result};
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
    /// Decode the message body (version 1).
    ///
    /// Flags: bits 0-1 give the width of the name length (1, 2, 4 or 8 bytes), bit 2 a
    /// creation order, bit 3 a link type (else hard), bit 4 a name character set.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 1 {
            return Err(c.error(format!("link message version {version} is not 1")));
        }
        let flags = c.u8()?;
        if flags & 0xe0 != 0 {
            return Err(c.error(format!("link flags {flags:#04x} has reserved bits set")));
        }
        let link_type = if flags & 0x08 != 0 { c.u8()? } else { 0 };
        let creation_order = if flags & 0x04 != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        let charset = if flags & 0x10 != 0 {
            match c.u8()? {
                0 => CharacterSet::Ascii,
                1 => CharacterSet::Utf8,
                v => return Err(c.error(format!("link name character set {v} is not defined"))),
            }
        } else {
            CharacterSet::Ascii
        };
        let name_len = c.uint(1usize << (flags & 0x03))?;
        if name_len == 0 {
            return Err(c.error("link name is empty"));
        }
        let name = String::from_utf8_lossy(c.take_u64(name_len)?).into_owned();
        let target = match link_type {
            0 => LinkTarget::Hard(c.addr_required("hard link target")?),
            1 => {
                let len = c.u16()?;
                LinkTarget::Soft(String::from_utf8_lossy(c.take(usize::from(len))?).into_owned())
            }
            64 => {
                let len = c.u16()?;
                let at = c.offset();
                let value = c.take(usize::from(len))?;
                parse_external(value, at)?
            }
            t if t >= 64 => {
                let len = c.u16()?;
                c.skip(usize::from(len))?;
                LinkTarget::UserDefined(t)
            }
            t => return Err(c.error(format!("link type {t} is not defined"))),
        };
        Ok(Link {
            name,
            charset,
            creation_order,
            target,
        })
    }
}

/// External link value: a version/flags byte (version 0 in the high nibble), then the file
/// name and the object path, each NUL-terminated.
fn parse_external(value: &[u8], at: u64) -> Result<LinkTarget> {
    let corrupt = |d: &str| Error::corrupt("link message", at, d.to_string());
    let (&head, rest) = value
        .split_first()
        .ok_or_else(|| corrupt("external link value is empty"))?;
    if head >> 4 != 0 {
        return Err(corrupt("external link value version is not 0"));
    }
    let mut parts = rest.split(|&b| b == 0);
    let file = parts
        .next()
        .ok_or_else(|| corrupt("external link has no file name"))?;
    let path = parts
        .next()
        .ok_or_else(|| corrupt("external link file name is not NUL-terminated"))?;
    if !rest.ends_with(&[0]) || rest.iter().filter(|&&b| b == 0).count() < 2 {
        return Err(corrupt("external link object path is not NUL-terminated"));
    }
    Ok(LinkTarget::External {
        file: String::from_utf8_lossy(file).into_owned(),
        path: String::from_utf8_lossy(path).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes copied from a file written by h5py 3.16.0 (HDF5 2.0.0), libver='v108':
    //! `g['sub'] = h5py.SoftLink('/implicit'); g['ext'] = h5py.ExternalLink('other.h5',
    //! '/path/x'); g['hard'] = f['implicit']`, and in `create_group('tracked',
    //! track_order=True)`: `t['x'] = h5py.SoftLink('/g')`.
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<Link> {
        let b = hex(s);
        Link::parse(&mut Cursor::new(&b, 0, Sizes::default(), "link message"))
    }

    #[test]
    fn h5py_links() {
        let l = parse("0108010373756209002f696d706c69636974").unwrap();
        assert_eq!(
            l,
            Link {
                name: "sub".into(),
                charset: CharacterSet::Ascii,
                creation_order: None,
                target: LinkTarget::Soft("/implicit".into())
            }
        );
        let l = parse("010840036578741200006f746865722e6835002f706174682f7800").unwrap();
        assert_eq!(l.name, "ext");
        assert_eq!(
            l.target,
            LinkTarget::External {
                file: "other.h5".into(),
                path: "/path/x".into()
            }
        );
        let l = parse("01000468617264b300000000000000").unwrap();
        assert_eq!(
            (l.name.as_str(), l.target),
            ("hard", LinkTarget::Hard(Addr(0xb3)))
        );
        let l = parse("010c010000000000000000017802002f67").unwrap();
        assert_eq!(l.creation_order, Some(0));
        assert_eq!(
            (l.name.as_str(), l.target),
            ("x", LinkTarget::Soft("/g".into()))
        );
    }

    #[test]
    fn charset_wide_lengths_and_user_defined() {
        // Synthetic: charset UTF-8, 2-byte name length, hard link.
        let l = parse("0111010200c3a9b300000000000000").unwrap();
        assert_eq!((l.name.as_str(), l.charset), ("é", CharacterSet::Utf8));
        // User-defined type 65 with 3 bytes of data.
        let l = parse("0108410175030061626300").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.target, LinkTarget::UserDefined(65));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("0200017800").is_err()); // version
        assert!(parse("01080501780000").is_err()); // type 5
        assert!(parse("010000").is_err()); // empty name
        assert!(parse("012001780000000000000000").is_err()); // reserved flag
        assert!(parse("01084003657874030000ab").is_err()); // external without NULs
        assert!(parse("010001").is_err());
        let full = hex("010840036578741200006f746865722e6835002f706174682f7800");
        for n in 0..full.len() {
            let mut c = Cursor::new(&full[..n], 0, Sizes::default(), "x");
            assert!(Link::parse(&mut c).is_err(), "prefix {n}");
        }
    }
}
