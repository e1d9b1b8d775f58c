//! Version 1 object headers (spec IV.A.1.a, "Version 1 Data Object Header Prefix") and their
//! continuation blocks, which hold bare messages aligned to 8 bytes: decoding, and encoding
//! ([`encode_prefix`], [`encode_messages`]) for editing existing version 1 headers.

use super::{MessageBytes, ObjectHeader, RawMessage};
use crate::error::{Error, Result};
use crate::io::PutLe;
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

/// Size of a version 1 message header: type, size, flags, three reserved bytes.
pub const MESSAGE_HEADER_LEN: usize = 8;

/// Largest 8-byte aligned message body (the size field is 16 bits).
const MAX_BODY: usize = 0xfff8;

/// Encode the 16-byte prefix of a version 1 object header: version 1, reserved byte,
/// total number of messages (NIL messages and those in continuation blocks included),
/// reference count, the size of the first block of messages, and four bytes of padding
/// that align the messages to 8 bytes.
pub fn encode_prefix(message_count: u16, ref_count: u32, header_size: u32) -> [u8; 16] {
    let [c0, c1] = message_count.to_le_bytes();
    let [r0, r1, r2, r3] = ref_count.to_le_bytes();
    let [s0, s1, s2, s3] = header_size.to_le_bytes();
    [1, 0, c0, c1, r0, r1, r2, r3, s0, s1, s2, s3, 0, 0, 0, 0]
}

/// Body size as stored: the body padded to a multiple of 8 bytes.
fn padded(len: usize) -> usize {
    len.div_ceil(8) * 8
}

/// Bytes `messages` take in a version 1 block (8-byte headers plus padded bodies).
pub fn message_space(messages: &[MessageBytes]) -> usize {
    messages
        .iter()
        .map(|m| MESSAGE_HEADER_LEN + padded(m.data.len()))
        .sum()
}

/// Number of NIL messages [`encode_messages`] adds to fill `free` bytes.
fn nil_count(free: usize) -> usize {
    let mut free = free;
    let mut n = 0;
    while free >= MESSAGE_HEADER_LEN {
        let body = ((free - MESSAGE_HEADER_LEN) / 8 * 8).min(MAX_BODY);
        free -= MESSAGE_HEADER_LEN + body;
        n += 1;
    }
    n
}

/// How many messages (including the NIL messages filling free space) [`encode_messages`]
/// writes for `messages` in a block of `len` bytes: what the prefix's message count must
/// add up to over all blocks.
pub fn encoded_message_count(messages: &[MessageBytes], len: usize) -> Result<usize> {
    let free = free_space(messages, len)?;
    Ok(messages.len() + nil_count(free))
}

fn free_space(messages: &[MessageBytes], len: usize) -> Result<usize> {
    let used = message_space(messages);
    len.checked_sub(used).ok_or_else(|| {
        Error::Invalid(format!(
            "{used} bytes of messages do not fit in {len} bytes of version 1 object header"
        ))
    })
}

/// Encode `messages` into a version 1 block of `len` bytes: the first block after the
/// prefix (`len` = header size) or a continuation block (`len` = its length).
///
/// Bodies are padded with zeros to a multiple of 8 bytes and the size field records the
/// padded size. Free space after the messages becomes NIL messages (type 0) with
/// 8-byte aligned bodies; fewer than 8 bytes left at the end are zeros. Creation orders
/// are not stored in version 1 headers and are ignored.
pub fn encode_messages(messages: &[MessageBytes], len: usize) -> Result<Vec<u8>> {
    let mut free = free_space(messages, len)?;
    let mut out = Vec::with_capacity(len);
    for m in messages {
        let size = padded(m.data.len());
        if size > MAX_BODY {
            return Err(Error::Invalid(format!(
                "message body of {} bytes is larger than {MAX_BODY}",
                m.data.len()
            )));
        }
        out.put_u16(m.kind);
        out.put_uint(size as u64, 2)?;
        out.push(m.flags);
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&m.data);
        out.resize(out.len() + size - m.data.len(), 0);
    }
    while free >= MESSAGE_HEADER_LEN {
        let body = ((free - MESSAGE_HEADER_LEN) / 8 * 8).min(MAX_BODY);
        // Type 0 (NIL), size, flags 0, reserved.
        out.extend_from_slice(&[0, 0]);
        out.put_uint(body as u64, 2)?;
        out.resize(out.len() + 4 + body, 0);
        free -= MESSAGE_HEADER_LEN + body;
    }
    out.resize(out.len() + free, 0);
    Ok(out)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::emit::{MemSpace, Space};
    use crate::io::Sizes;
    use crate::object_header::encode_continuation;

    fn msg(kind: u16, flags: u8, data: &[u8]) -> MessageBytes {
        MessageBytes {
            kind,
            flags,
            creation_order: None,
            data: data.to_vec(),
        }
    }

    #[test]
    fn prefix_layout() {
        assert_eq!(
            encode_prefix(0x0102, 0x03040506, 0x0708090a),
            [1, 0, 2, 1, 6, 5, 4, 3, 0x0a, 9, 8, 7, 0, 0, 0, 0]
        );
    }

    #[test]
    fn header_with_continuation_round_trips() {
        let sizes = Sizes {
            offset: 4,
            length: 4,
        };
        let first = vec![msg(1, 0, &[1, 2, 3]), msg(0x11, 1, &[0; 8])];
        let second = vec![msg(0x0c, 0, b"attribute body"), msg(0x12, 0, &[])];
        let mut mem = MemSpace::new(sizes, 0);
        let block_len = message_space(&second) + 8 + 16 + 5;
        let block_at = mem.alloc(block_len as u64).unwrap();
        let mut head = first.clone();
        head.push(msg(
            0x10,
            0,
            &encode_continuation(block_at, block_len as u64, sizes).unwrap(),
        ));
        let size = message_space(&head) + 24;
        let count = encoded_message_count(&head, size).unwrap()
            + encoded_message_count(&second, block_len).unwrap();
        assert_eq!(count, head.len() + 1 + second.len() + 1);
        let header_at = mem.alloc(16 + size as u64).unwrap();
        let prefix = encode_prefix(count as u16, 1, size as u32);
        mem.write(header_at, &prefix).unwrap();
        let body = encode_messages(&head, size).unwrap();
        assert_eq!(body.len(), size);
        mem.write(Addr(header_at.0 + 16), &body).unwrap();
        let block = encode_messages(&second, block_len).unwrap();
        assert_eq!(block.len(), block_len);
        mem.write(block_at, &block).unwrap();

        let img = mem.image();
        let h = ObjectHeader::parse(&img, header_at).unwrap();
        assert_eq!(h.version, 1);
        let got: Vec<MessageBytes> = h
            .messages
            .iter()
            .filter(|m| m.kind != 0)
            .map(MessageBytes::from)
            .collect();
        // Bodies come back padded to 8 bytes.
        let mut want = first.clone();
        want.extend(second.iter().cloned());
        for w in &mut want {
            w.data.resize(w.data.len().div_ceil(8) * 8, 0);
        }
        assert_eq!(got, want);
        assert!(h.messages.iter().all(|m| m.offset % 8 == 0));
        // Each NIL filler has an aligned body.
        assert!(h.messages.iter().all(|m| m.data.len() % 8 == 0));
    }

    #[test]
    fn free_space_and_limits() {
        // 8 bytes free: one NIL message with an empty body; 7 bytes: zeros.
        let b = encode_messages(&[], 8).unwrap();
        assert_eq!(b, [0u8; 8]);
        assert_eq!(encoded_message_count(&[], 8).unwrap(), 1);
        assert_eq!(encoded_message_count(&[], 7).unwrap(), 0);
        assert_eq!(encode_messages(&[], 7).unwrap(), [0u8; 7]);
        // Large free space is split into NIL messages of at most 0xfff8 bytes.
        let n = 0x1_0000 + 0x100;
        let b = encode_messages(&[msg(1, 0, &[9])], n).unwrap();
        assert_eq!(b.len(), n);
        assert_eq!(encoded_message_count(&[msg(1, 0, &[9])], n).unwrap(), 3);
        assert_eq!(&b[..10], &[1, 0, 8, 0, 0, 0, 0, 0, 9, 0]);
        assert!(encode_messages(&[msg(1, 0, &[1])], 15).is_err());
        assert!(encode_messages(&[msg(1, 0, &vec![0; 0xfff9])], 0x20000).is_err());
    }
}
