//! Version 1 object headers (spec IV.A.1.a, "Version 1 Data Object Header Prefix") and their
//! continuation blocks, which hold bare messages aligned to 8 bytes.

use super::{ObjectHeader, RawMessage};
use crate::error::Result;
use crate::io::{Addr, Cursor, FileImage};

const STRUCTURE: &str = "version 1 object header";

/// Decode the prefix and the messages of the first block.
pub fn parse_prefix<'a>(img: &FileImage<'a>, addr: Addr) -> Result<ObjectHeader<'a>> {
    let mut c = img.cursor(addr, 16, STRUCTURE)?;
    let _version = c.u8()?;
    c.skip(1)?;
    let _message_count = c.u16()?;
    let _ref_count = c.u32()?;
    let size = c.u32()?;
    // The prefix is 12 bytes, padded to 16 so that messages are 8-byte aligned.
    let block_addr = Addr(
        addr.0
            .checked_add(16)
            .ok_or_else(|| c.error("address overflow"))?,
    );
    let block = img.cursor(block_addr, u64::from(size), STRUCTURE)?;
    Ok(ObjectHeader {
        addr,
        version: 1,
        flags: 0,
        attribute_phase_change: None,
        messages: parse_messages(block)?,
        chunk0_len: u64::from(size),
        continuations: Vec::new(),
    })
}

/// Decode a continuation block of `length` bytes at `addr`.
pub fn parse_continuation<'a>(
    img: &FileImage<'a>,
    addr: Addr,
    length: u64,
) -> Result<Vec<RawMessage<'a>>> {
    parse_messages(img.cursor(addr, length, "version 1 object header continuation block")?)
}

fn parse_messages(mut c: Cursor<'_>) -> Result<Vec<RawMessage<'_>>> {
    let mut out = Vec::new();
    // Each message has an 8-byte header; fewer remaining bytes are padding.
    while c.remaining() >= 8 {
        let kind = c.u16()?;
        let size = c.u16()?;
        let flags = c.u8()?;
        c.skip(3)?;
        let offset = c.offset();
        let data = c.take(usize::from(size))?;
        out.push(RawMessage {
            kind,
            flags,
            creation_order: None,
            data,
            offset,
        });
    }
    Ok(out)
}
