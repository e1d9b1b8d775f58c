//! The Link message (spec IV.A.2.g, message 0x0006).

use crate::datatype::CharacterSet;
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{bytes_needed, Addr, Cursor, Sizes};

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

impl Link {
    /// Encode the message body (version 1; the inverse of [`Link::parse`]).
    ///
    /// Flags: the name length takes the fewest bytes (1, 2, 4 or 8) that hold it (bits
    /// 0-1); bit 2 when a creation order is present; bit 3 (link type stored) for every
    /// link that is not hard; bit 4 (character set stored, UTF-8) when `charset` is UTF-8 or
    /// the name is not ASCII. A user-defined link is written with an empty value, since
    /// [`LinkTarget::UserDefined`] does not keep one.
    ///
    /// Errors ([`Error::Invalid`]): an empty name, or a soft or external link value longer
    /// than 65535 bytes.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        if self.name.is_empty() {
            return Err(Error::Invalid("a link name cannot be empty".into()));
        }
        let name = self.name.as_bytes();
        let width = bytes_needed(name.len() as u64).next_power_of_two();
        let width_bits = width.trailing_zeros() as u8;
        let link_type = match &self.target {
            LinkTarget::Hard(_) => None,
            LinkTarget::Soft(_) => Some(1),
            LinkTarget::External { .. } => Some(64),
            LinkTarget::UserDefined(t) => Some(*t),
        };
        let utf8 = self.charset == CharacterSet::Utf8 || !self.name.is_ascii();
        let mut flags = width_bits;
        if self.creation_order.is_some() {
            flags |= 0x04;
        }
        if link_type.is_some() {
            flags |= 0x08;
        }
        if utf8 {
            flags |= 0x10;
        }
        let mut out = Vec::with_capacity(20 + name.len() + usize::from(sizes.offset));
        out.push(1);
        out.push(flags);
        if let Some(t) = link_type {
            out.push(t);
        }
        if let Some(order) = self.creation_order {
            out.put_uint(order, 8)?;
        }
        if utf8 {
            out.push(1);
        }
        out.put_uint(name.len() as u64, width)?;
        out.extend_from_slice(name);
        let value = match &self.target {
            LinkTarget::Hard(addr) => {
                out.put_addr(Some(*addr), sizes)?;
                return Ok(out);
            }
            LinkTarget::Soft(path) => path.as_bytes().to_vec(),
            LinkTarget::External { file, path } => {
                let mut v = Vec::with_capacity(file.len() + path.len() + 3);
                // Version 0, no flags.
                v.push(0);
                v.extend_from_slice(file.as_bytes());
                v.push(0);
                v.extend_from_slice(path.as_bytes());
                v.push(0);
                v
            }
            LinkTarget::UserDefined(_) => Vec::new(),
        };
        let len = u16::try_from(value.len()).map_err(|_| {
            Error::Invalid(format!(
                "link {:?}: value of {} bytes is longer than 65535",
                self.name,
                value.len()
            ))
        })?;
        out.put_u16(len);
        out.extend_from_slice(&value);
        Ok(out)
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

    fn decode(b: &[u8], sizes: Sizes) -> Link {
        Link::parse(&mut Cursor::new(b, 0, sizes, "link message")).unwrap()
    }

    #[test]
    fn reencodes_h5py_links_byte_for_byte() {
        // Every link message in the headers of enc_v110.h5 and enc_earliest.h5 (hard, soft,
        // external, UTF-8 name, with creation order).
        let mut seen = std::collections::HashSet::new();
        for libver in ["v110", "earliest"] {
            let (messages, sizes) = crate::object_header::test_files::messages(libver);
            for (object, m) in messages.iter().filter(|(_, m)| m.kind == 6) {
                let link = decode(&m.data, sizes);
                let enc = link.encode(sizes).unwrap();
                assert!(
                    crate::object_header::test_files::same_body(object, &enc, &m.data),
                    "{object}/{}: {enc:?} vs {:?}",
                    link.name,
                    m.data
                );
                let kind = match link.target {
                    LinkTarget::Hard(_) => "hard",
                    LinkTarget::Soft(_) => "soft",
                    LinkTarget::External { .. } => "external",
                    LinkTarget::UserDefined(_) => "user",
                };
                seen.insert(kind);
                if link.creation_order.is_some() {
                    seen.insert("ordered");
                }
                if link.charset == CharacterSet::Utf8 {
                    seen.insert("utf8");
                }
            }
        }
        for k in ["hard", "soft", "external", "ordered", "utf8"] {
            assert!(seen.contains(k), "{k} {seen:?}");
        }
    }

    #[test]
    fn golden_bytes_from_parse_tests_reencode() {
        for s in [
            "0108010373756209002f696d706c69636974",
            "010840036578741200006f746865722e6835002f706174682f7800",
            "01000468617264b300000000000000",
            "010c010000000000000000017802002f67",
        ] {
            assert_eq!(parse(s).unwrap().encode(Sizes::default()).unwrap(), hex(s));
        }
    }

    #[test]
    fn encode_widths_and_errors() {
        let sizes = Sizes {
            offset: 4,
            length: 4,
        };
        let mut l = Link {
            name: "n".repeat(300),
            charset: CharacterSet::Ascii,
            creation_order: None,
            target: LinkTarget::Hard(Addr(0x40)),
        };
        let b = l.encode(sizes).unwrap();
        assert_eq!(&b[..4], &[1, 0x01, 0x2c, 0x01]);
        assert_eq!(b.len(), 4 + 300 + 4);
        assert_eq!(decode(&b, sizes), l);
        l.name = "n".repeat(70_000);
        let b = l.encode(sizes).unwrap();
        assert_eq!(b[1], 0x02);
        assert_eq!(decode(&b, sizes), l);
        l.target = LinkTarget::UserDefined(70);
        let b = l.encode(sizes).unwrap();
        assert_eq!(decode(&b, sizes), l);
        l.name = String::new();
        assert!(l.encode(sizes).is_err());
        l.name = "x".into();
        l.target = LinkTarget::Soft("p".repeat(70_000));
        assert!(l.encode(sizes).is_err());
    }

    fn name() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9_. é€😀-]{1,40}").unwrap()
    }

    fn target() -> impl proptest::strategy::Strategy<Value = LinkTarget> {
        use proptest::prelude::*;
        prop_oneof![
            (0u64..u64::MAX).prop_map(|a| LinkTarget::Hard(Addr(a))),
            "[^\\x00]{0,60}".prop_map(LinkTarget::Soft),
            ("[^\\x00]{0,30}", "[^\\x00]{0,30}")
                .prop_map(|(file, path)| LinkTarget::External { file, path }),
            (65u8..=255).prop_map(LinkTarget::UserDefined),
        ]
    }

    proptest::proptest! {
        #[test]
        fn link_round_trips(
            name in name(),
            order in proptest::option::of(proptest::num::u64::ANY),
            target in target(),
            small in proptest::bool::ANY,
        ) {
            let sizes = if small { Sizes { offset: 4, length: 4 } } else { Sizes::default() };
            let target = match target {
                LinkTarget::Hard(a) if small => LinkTarget::Hard(Addr(a.0 % 0xffff_ffff)),
                t => t,
            };
            let charset = if name.is_ascii() { CharacterSet::Ascii } else { CharacterSet::Utf8 };
            let link = Link { name, charset, creation_order: order, target };
            let b = link.encode(sizes).unwrap();
            let mut c = Cursor::new(&b, 0, sizes, "link message");
            proptest::prop_assert_eq!(Link::parse(&mut c).unwrap(), link);
            proptest::prop_assert_eq!(c.remaining(), 0);
        }
    }
}
