//! Version 2 object headers (spec IV.A.1.b: the `OHDR` prefix, and `OCHK` "Version 2 Object
//! Header Continuation Block"), each block ending in a lookup3 checksum.

use super::{ObjectHeader, RawMessage};
use crate::checksum;
use crate::error::{Error, Result};
use crate::io::{Addr, Cursor, FileImage};

const STRUCTURE: &str = "version 2 object header";

/// Flag bit 2: attribute creation order tracked (messages carry a creation order field).
const ATTR_ORDER_TRACKED: u8 = 0x04;
/// Flag bit 4: non-default attribute storage phase change values stored.
const PHASE_CHANGE_STORED: u8 = 0x10;
/// Flag bit 5: access, modification, change and birth times stored.
const TIMES_STORED: u8 = 0x20;

/// Decode the prefix and messages of chunk 0.
pub fn parse_prefix<'a>(img: &FileImage<'a>, addr: Addr) -> Result<ObjectHeader<'a>> {
    let mut c = img.cursor_at(addr, STRUCTURE)?;
    c.signature(b"OHDR")?;
    let version = c.u8()?;
    if version != 2 {
        return Err(c.error(format!("OHDR version {version} is not 2")));
    }
    let flags = c.u8()?;
    if flags & TIMES_STORED != 0 {
        c.skip(16)?;
    }
    let attribute_phase_change = if flags & PHASE_CHANGE_STORED != 0 {
        Some((c.u16()?, c.u16()?))
    } else {
        None
    };
    let size_width = 1usize << (flags & 0x03);
    let chunk_size = c.uint(size_width)?;
    let prefix_len = c.pos();
    let chunk = c.take_u64(chunk_size)?;
    c.skip(4)?;
    let whole = c.consumed();
    checksum::verify_trailing(whole, STRUCTURE, img.absolute(addr))?;
    let origin = img.absolute(addr).saturating_add(prefix_len as u64);
    let messages = parse_messages(Cursor::new(chunk, origin, img.sizes(), STRUCTURE), flags)?;
    Ok(ObjectHeader {
        addr,
        version: 2,
        flags,
        attribute_phase_change,
        messages,
        chunk0_len: chunk_size,
        continuations: Vec::new(),
    })
}

/// Decode an `OCHK` continuation block of `length` bytes at `addr`.
pub fn parse_continuation<'a>(
    img: &FileImage<'a>,
    addr: Addr,
    length: u64,
    flags: u8,
) -> Result<Vec<RawMessage<'a>>> {
    const NAME: &str = "version 2 object header continuation block";
    let mut c = img.cursor(addr, length, NAME)?;
    checksum::verify_trailing(c.rest(), NAME, img.absolute(addr))?;
    c.signature(b"OCHK")?;
    let body_len = c
        .remaining()
        .checked_sub(4)
        .ok_or_else(|| Error::corrupt(NAME, img.absolute(addr), "block too short"))?;
    let origin = c.offset();
    let body = c.take(body_len)?;
    parse_messages(Cursor::new(body, origin, img.sizes(), NAME), flags)
}

fn parse_messages(mut c: Cursor<'_>, flags: u8) -> Result<Vec<RawMessage<'_>>> {
    let tracked = flags & ATTR_ORDER_TRACKED != 0;
    let header_len = if tracked { 6 } else { 4 };
    let mut out = Vec::new();
    // Fewer bytes than a message header at the end of a block are a gap.
    while c.remaining() >= header_len {
        let kind = u16::from(c.u8()?);
        let size = c.u16()?;
        let msg_flags = c.u8()?;
        let creation_order = if tracked { Some(c.u16()?) } else { None };
        let offset = c.offset();
        let data = c.take(usize::from(size))?;
        out.push(RawMessage {
            kind,
            flags: msg_flags,
            creation_order,
            data,
            offset,
        });
    }
    Ok(out)
}
