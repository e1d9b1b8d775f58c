//! The Attribute message (spec IV.A.2.m, message 0x000C), versions 1-3.

use crate::dataspace::Dataspace;
use crate::datatype::{parse_datatype, CharacterSet, Datatype};
use crate::error::{Error, Result};
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
    ///
    /// Version 1 pads the name, datatype and dataspace to multiples of 8 bytes; versions 2
    /// and 3 do not, and carry flags (bit 0: shared datatype, bit 1: shared dataspace);
    /// version 3 adds the name's character set.
    ///
    /// The data is element count x datatype size bytes. When the datatype is shared its size
    /// is unknown here, so `data` holds *all remaining bytes of the message* (which may
    /// include the header's alignment padding); the caller must truncate it to
    /// count x size once it has resolved the datatype. A shared dataspace is
    /// [`Error::Unsupported`].
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if !(1..=3).contains(&version) {
            return Err(c.error(format!("attribute message version {version} is not 1-3")));
        }
        let flags = c.u8()?;
        let flags = if version == 1 { 0 } else { flags };
        if flags & !0x03 != 0 {
            return Err(c.error(format!(
                "attribute flags {flags:#04x} has reserved bits set"
            )));
        }
        let name_size = usize::from(c.u16()?);
        let datatype_size = usize::from(c.u16()?);
        let dataspace_size = usize::from(c.u16()?);
        let name_charset = if version >= 3 {
            match c.u8()? {
                0 => CharacterSet::Ascii,
                1 => CharacterSet::Utf8,
                v => return Err(c.error(format!("attribute name character set {v}"))),
            }
        } else {
            CharacterSet::Ascii
        };
        let padded = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };

        let name_at = c.offset();
        let name_bytes = c.take(padded(name_size))?;
        let name_bytes = name_bytes.get(..name_size).unwrap_or_default();
        let end = name_bytes.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::corrupt("attribute message", name_at, "name is not NUL-terminated")
        })?;
        let name = String::from_utf8_lossy(name_bytes.get(..end).unwrap_or_default()).into_owned();

        let mut dt = sub_cursor(c, padded(datatype_size), datatype_size)?;
        let datatype = if flags & 0x01 != 0 {
            MaybeShared::Shared(SharedRef::parse(&mut dt)?)
        } else {
            MaybeShared::Inline(parse_datatype(&mut dt)?)
        };
        if flags & 0x02 != 0 {
            return Err(Error::Unsupported(format!(
                "attribute {name:?} with a shared dataspace"
            )));
        }
        let mut ds = sub_cursor(c, padded(dataspace_size), dataspace_size)?;
        let dataspace = Dataspace::parse(&mut ds)?;

        let data = match &datatype {
            MaybeShared::Inline(t) => {
                let count = dataspace
                    .element_count()
                    .ok_or_else(|| c.error("attribute element count overflows"))?;
                let len = count
                    .checked_mul(u64::from(t.size))
                    .ok_or_else(|| c.error("attribute data size overflows"))?;
                if len > c.remaining() as u64 {
                    return Err(c.error(format!(
                        "attribute {name:?} needs {len} data bytes but only {} remain",
                        c.remaining()
                    )));
                }
                c.take_u64(len)?.to_vec()
            }
            MaybeShared::Shared(_) => c.take(c.remaining())?.to_vec(),
        };
        Ok(AttributeMessage {
            name,
            name_charset,
            datatype,
            dataspace,
            data,
        })
    }
}

/// Take `field` bytes from `c` and return a cursor over the first `used` of them.
fn sub_cursor<'a>(c: &mut Cursor<'a>, field: usize, used: usize) -> Result<Cursor<'a>> {
    let origin = c.offset();
    let bytes = c.take(field)?;
    let bytes = bytes.get(..used).unwrap_or_default();
    Ok(Cursor::new(bytes, origin, c.sizes(), "attribute message"))
}
