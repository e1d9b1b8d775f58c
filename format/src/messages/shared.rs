//! The shared message encoding (spec IV.A.2, "Shared Message" versions 1-3): a message whose
//! header flag bit 1 is set holds this instead of its own body.

use crate::error::Result;
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};

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

    /// Encode as a version 3 shared message: type 2 and the object header address, or
    /// type 1 and the 8-byte SOHM heap ID.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(2 + usize::from(sizes.offset).max(8));
        out.push(3);
        match self {
            SharedRef::ObjectHeader(addr) => {
                out.push(2);
                out.put_addr(Some(*addr), sizes)?;
            }
            SharedRef::SohmHeap(id) => {
                out.push(1);
                out.extend_from_slice(id);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::io::Sizes;

    fn parse(b: &[u8], sizes: Sizes) -> Result<SharedRef> {
        SharedRef::parse(&mut Cursor::new(b, 0, sizes, "shared message"))
    }

    #[test]
    fn all_versions() {
        let d = Sizes::default();
        // h5py committed datatype (f['tcommit'] = np.dtype('<i2')), libver='earliest':
        // version 2 with type byte 2.
        let b = [2, 2, 0x88, 0x19, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse(&b, d).unwrap(), SharedRef::ObjectHeader(Addr(0x1988)));
        // Version 1: 6 reserved bytes, 4-byte offsets.
        let b = [1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x20, 0, 0];
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        assert_eq!(
            parse(&b, s4).unwrap(),
            SharedRef::ObjectHeader(Addr(0x2010))
        );
        // Version 3: SOHM heap ID and committed.
        let b = [3, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            parse(&b, d).unwrap(),
            SharedRef::SohmHeap([1, 2, 3, 4, 5, 6, 7, 8])
        );
        let b = [3, 2, 0x30, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse(&b, d).unwrap(), SharedRef::ObjectHeader(Addr(0x30)));
    }

    #[test]
    fn rejects_bad_input() {
        let d = Sizes::default();
        assert!(parse(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0], d).is_err());
        assert!(parse(&[3, 3, 0, 0, 0, 0, 0, 0, 0, 0], d).is_err());
        assert!(parse(&[3, 9, 0, 0, 0, 0, 0, 0, 0, 0], d).is_err());
        assert!(parse(&[4, 2, 0, 0, 0, 0, 0, 0, 0, 0], d).is_err());
        assert!(parse(&[2, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], d).is_err());
        assert!(parse(&[3, 1, 1, 2, 3], d).is_err());
    }

    #[test]
    fn encode_version_3() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let r = SharedRef::ObjectHeader(Addr(0x1988));
        assert_eq!(r.encode(s4).unwrap(), [3, 2, 0x88, 0x19, 0, 0]);
        assert_eq!(
            r.encode(Sizes::default()).unwrap(),
            [3, 2, 0x88, 0x19, 0, 0, 0, 0, 0, 0]
        );
        let h = SharedRef::SohmHeap([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(h.encode(s4).unwrap(), [3, 1, 1, 2, 3, 4, 5, 6, 7, 8]);
        for sizes in [s4, Sizes::default()] {
            for r in [&r, &h] {
                assert_eq!(&parse(&r.encode(sizes).unwrap(), sizes).unwrap(), r);
            }
        }
    }
}
