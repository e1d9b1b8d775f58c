//! Version 2 object headers (spec IV.A.1.b: the `OHDR` prefix, and `OCHK` "Version 2 Object
//! Header Continuation Block"), each block ending in a lookup3 checksum: decoding, and
//! encoding ([`encode_header`], [`encode_continuation_block`]).

use super::{MessageBytes, ObjectHeader, RawMessage};
use crate::checksum;
use crate::error::{Error, Result};
use crate::io::PutLe;
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

/// Bytes an `OCHK` block adds around its messages: signature and checksum.
pub const CONTINUATION_OVERHEAD: usize = 8;

/// Size of one message header in a header with these flags: 4 bytes, or 6 when creation
/// order is tracked (flag bit 2).
pub fn message_header_len(flags: u8) -> usize {
    if flags & ATTR_ORDER_TRACKED != 0 {
        6
    } else {
        4
    }
}

/// Bytes `messages` take in a chunk of a header with these flags (headers plus bodies).
pub fn message_space(flags: u8, messages: &[MessageBytes]) -> usize {
    let header = message_header_len(flags);
    messages.iter().map(|m| header + m.data.len()).sum()
}

/// Width in bytes of the "Size of Chunk #0" field for `chunk0_len`, with the flag bits 0-1
/// that select it.
fn size_field(chunk0_len: usize) -> (usize, u8) {
    match chunk0_len as u64 {
        0..=0xff => (1, 0),
        0x100..=0xffff => (2, 1),
        0x1_0000..=0xffff_ffff => (4, 2),
        _ => (8, 3),
    }
}

/// Total encoded size of an `OHDR` block with `chunk0_len` bytes of message space, as
/// [`encode_header_with_phase_change`] writes it (`phase_change` says whether the
/// phase-change values are stored).
pub fn encoded_header_len(chunk0_len: usize, phase_change: bool) -> usize {
    let phase = if phase_change { 4 } else { 0 };
    // Signature, version, flags; phase change; chunk size; messages; checksum.
    6 + phase + size_field(chunk0_len).0 + chunk0_len + 4
}

/// Encode an `OHDR` block without stored attribute phase-change values: see
/// [`encode_header_with_phase_change`]. Flag bits 4 and 5 must be clear.
pub fn encode_header(flags: u8, messages: &[MessageBytes], chunk0_len: usize) -> Result<Vec<u8>> {
    if flags & PHASE_CHANGE_STORED != 0 {
        return Err(Error::Invalid(
            "object header flag bit 4 needs phase-change values: use \
             encode_header_with_phase_change"
                .into(),
        ));
    }
    encode_header_with_phase_change(flags, None, messages, chunk0_len)
}

/// Encode a version 2 object header's first block (`OHDR`, spec IV.A.1.b).
///
/// `flags` bits 2 and 3 (creation order tracked / indexed) are kept; bits 0-1 are replaced
/// by the smallest width that holds `chunk0_len`; bit 4 is set exactly when
/// `phase_change` (maximum compact, minimum dense attributes) is given. Times (bit 5) are
/// not supported and are an error. Chunk 0 holds `messages` in order and then
/// `chunk0_len` minus their [`message_space`] bytes of free space: NIL messages, and
/// zeros when less than a message header remains. The block ends with its checksum.
pub fn encode_header_with_phase_change(
    flags: u8,
    phase_change: Option<(u16, u16)>,
    messages: &[MessageBytes],
    chunk0_len: usize,
) -> Result<Vec<u8>> {
    if flags & TIMES_STORED != 0 {
        return Err(Error::Invalid(
            "writing object header times (flag bit 5) is not supported".into(),
        ));
    }
    if flags & 0xc0 != 0 {
        return Err(Error::Invalid(format!(
            "object header flags {flags:#04x} has reserved bits set"
        )));
    }
    let (width, width_bits) = size_field(chunk0_len);
    let mut out_flags = (flags & !(0x03 | PHASE_CHANGE_STORED)) | width_bits;
    if phase_change.is_some() {
        out_flags |= PHASE_CHANGE_STORED;
    }
    let mut out = Vec::with_capacity(encoded_header_len(chunk0_len, phase_change.is_some()));
    out.extend_from_slice(b"OHDR");
    out.push(2);
    out.push(out_flags);
    if let Some((max_compact, min_dense)) = phase_change {
        out.put_u16(max_compact);
        out.put_u16(min_dense);
    }
    out.put_uint(chunk0_len as u64, width)?;
    put_messages(&mut out, out_flags, messages, chunk0_len)?;
    let sum = checksum::metadata(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Encode an `OCHK` continuation block of `len` bytes in total (signature and checksum
/// included: the length its continuation message records) for a header with `flags`.
/// Free space after the messages is filled as in [`encode_header_with_phase_change`].
pub fn encode_continuation_block(
    flags: u8,
    messages: &[MessageBytes],
    len: usize,
) -> Result<Vec<u8>> {
    let space = len.checked_sub(CONTINUATION_OVERHEAD).ok_or_else(|| {
        Error::Invalid(format!(
            "continuation block of {len} bytes cannot hold its signature and checksum"
        ))
    })?;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(b"OCHK");
    put_messages(&mut out, flags, messages, space)?;
    let sum = checksum::metadata(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Append `messages` and free space filling `space` bytes.
fn put_messages(
    out: &mut Vec<u8>,
    flags: u8,
    messages: &[MessageBytes],
    space: usize,
) -> Result<()> {
    let used = message_space(flags, messages);
    let free = space.checked_sub(used).ok_or_else(|| {
        Error::Invalid(format!(
            "{used} bytes of messages do not fit in {space} bytes of object header chunk"
        ))
    })?;
    let tracked = flags & ATTR_ORDER_TRACKED != 0;
    for m in messages {
        let kind = u8::try_from(m.kind).map_err(|_| {
            Error::Invalid(format!(
                "message type {:#x} does not fit a version 2 object header",
                m.kind
            ))
        })?;
        let size = u16::try_from(m.data.len()).map_err(|_| {
            Error::Invalid(format!(
                "message body of {} bytes is larger than 65535",
                m.data.len()
            ))
        })?;
        out.push(kind);
        out.put_u16(size);
        out.push(m.flags);
        if tracked {
            out.put_u16(m.creation_order.unwrap_or(0));
        }
        out.extend_from_slice(&m.data);
    }
    put_free_space(out, message_header_len(flags), free);
    Ok(())
}

/// Fill `free` bytes with NIL messages (bodies of zeros), then zeros once less than a
/// message header remains.
fn put_free_space(out: &mut Vec<u8>, header_len: usize, mut free: usize) {
    while free >= header_len {
        // Clamped on purpose: what a NIL body cannot hold goes to the next NIL message.
        let body = u16::try_from(free - header_len).unwrap_or(u16::MAX);
        out.push(0); // NIL message type
        out.put_u16(body);
        // Flags, then the creation order when tracked.
        out.resize(out.len() + header_len - 3 + usize::from(body), 0);
        free -= header_len + usize::from(body);
    }
    out.resize(out.len() + free, 0);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::emit::{MemSpace, Space};
    use crate::io::Sizes;
    use crate::object_header::encode_continuation;

    fn msg(kind: u16, flags: u8, order: Option<u16>, data: &[u8]) -> MessageBytes {
        MessageBytes {
            kind,
            flags,
            creation_order: order,
            data: data.to_vec(),
        }
    }

    fn owned(h: &ObjectHeader<'_>) -> Vec<MessageBytes> {
        h.messages
            .iter()
            .filter(|m| m.kind != 0)
            .map(MessageBytes::from)
            .collect()
    }

    #[test]
    fn header_round_trips_through_the_parser() {
        for flags in [0u8, 0x04, 0x0c] {
            let order = |n| (flags & 0x04 != 0).then_some(n);
            let messages = vec![
                msg(1, 1, order(0), &[2, 1, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]),
                msg(3, 0, order(1), &[0x10, 8, 0, 0, 4, 0, 0, 0]),
                msg(0x0c, 0, order(2), b"attr"),
                msg(0x12, 0, order(3), &[]),
            ];
            let space = message_space(flags, &messages);
            for extra in [0usize, 1, 3, 4, 5, 6, 7, 100, 300, 70_000] {
                let chunk0 = space + extra;
                let bytes = encode_header(flags, &messages, chunk0).unwrap();
                assert_eq!(bytes.len(), encoded_header_len(chunk0, false));
                let mut mem = MemSpace::new(Sizes::default(), 0);
                let at = mem.alloc(bytes.len() as u64).unwrap();
                mem.write(at, &bytes).unwrap();
                let img = mem.image();
                let h = ObjectHeader::parse(&img, at).unwrap();
                assert_eq!(h.version, 2);
                assert_eq!(h.flags & !0x03, flags);
                assert_eq!(1usize << (h.flags & 0x03), size_field(chunk0).0);
                assert_eq!(h.attribute_phase_change, None);
                assert_eq!(owned(&h), messages, "flags {flags:#x} extra {extra}");
                // Free space is NIL messages only: their total size accounts for it.
                let nil: usize = h
                    .messages
                    .iter()
                    .filter(|m| m.kind == 0)
                    .map(|m| m.data.len() + message_header_len(flags))
                    .sum();
                assert!(extra - nil < message_header_len(flags), "extra {extra}");
            }
        }
    }

    #[test]
    fn phase_change_and_width_bits() {
        let messages = vec![msg(0x0a, 0, None, &[0, 0])];
        let b = encode_header_with_phase_change(0x03, Some((12, 3)), &messages, 300).unwrap();
        assert_eq!(&b[..6], b"OHDR\x02\x11");
        assert_eq!(&b[6..10], &[12, 0, 3, 0]);
        assert_eq!(&b[10..12], &300u16.to_le_bytes());
        assert_eq!(b.len(), encoded_header_len(300, true));
        let mut mem = MemSpace::new(Sizes::default(), 0);
        mem.write(Addr(0), &b).unwrap();
        let img = mem.image();
        let h = ObjectHeader::parse(&img, Addr(0)).unwrap();
        assert_eq!(h.attribute_phase_change, Some((12, 3)));
        assert_eq!(owned(&h), messages);
        assert!(encode_header(0x10, &messages, 300).is_err());
        assert!(encode_header(0x20, &messages, 300).is_err());
        assert!(encode_header(0, &messages, 5).is_err());
        assert!(encode_header(0, &[msg(0x100, 0, None, &[])], 10).is_err());
        assert!(encode_header(0, &[msg(1, 0, None, &vec![0; 70_000])], 80_000).is_err());
    }

    #[test]
    fn continuation_blocks_are_followed() {
        let sizes = Sizes::default();
        let flags = 0x04;
        let first = vec![msg(0x0c, 0, Some(0), b"first")];
        let second = vec![
            msg(0x0c, 0, Some(1), b"second"),
            msg(0x0c, 1, Some(2), b"third!"),
        ];
        let mut mem = MemSpace::new(sizes, 0);
        let block_len = CONTINUATION_OVERHEAD + message_space(flags, &second) + 10;
        let block_at = mem.alloc(block_len as u64).unwrap();
        let mut head = first.clone();
        head.push(msg(
            0x10,
            0,
            Some(0),
            &encode_continuation(block_at, block_len as u64, sizes).unwrap(),
        ));
        let header = encode_header(flags, &head, message_space(flags, &head) + 2).unwrap();
        let header_at = mem.alloc(header.len() as u64).unwrap();
        mem.write(header_at, &header).unwrap();
        let block = encode_continuation_block(flags, &second, block_len).unwrap();
        assert_eq!(block.len(), block_len);
        mem.write(block_at, &block).unwrap();
        let img = mem.image();
        let h = ObjectHeader::parse(&img, header_at).unwrap();
        let mut all = first.clone();
        all.extend(second.iter().cloned());
        assert_eq!(owned(&h), all);
        assert!(h.tracks_attribute_order());

        // A flipped byte in either block is a checksum error.
        for at in [header_at.0 + 8, block_at.0 + 6] {
            let mut bad = mem.clone();
            bad.bytes[at as usize] ^= 0x40;
            let img = bad.image();
            assert!(matches!(
                ObjectHeader::parse(&img, header_at),
                Err(Error::Checksum { .. })
            ));
        }
        // Truncated images are errors, not panics.
        for n in 0..mem.bytes.len() {
            let img = crate::io::FileImage::new(&mem.bytes[..n], 0, sizes);
            assert!(ObjectHeader::parse(&img, header_at).is_err(), "{n}");
        }
        assert!(encode_continuation_block(flags, &second, 7).is_err());
        assert!(encode_continuation_block(flags, &second, block_len - 11).is_err());
    }

    fn messages() -> impl proptest::strategy::Strategy<Value = Vec<MessageBytes>> {
        use proptest::prelude::*;
        proptest::collection::vec(
            (
                1u16..=255,
                any::<u8>(),
                any::<u16>(),
                proptest::collection::vec(any::<u8>(), 0..40),
            )
                .prop_map(|(kind, flags, order, data)| msg(kind, flags, Some(order), &data)),
            0..12,
        )
    }

    proptest::proptest! {
        #[test]
        fn random_headers_round_trip(
            tracked in proptest::bool::ANY,
            messages in messages(),
            extra in 0usize..600,
            split in 0usize..12,
            block_extra in 0usize..20,
        ) {
            let flags = if tracked { 0x04 } else { 0 };
            let mut messages = messages;
            for m in &mut messages {
                // 0x10 is a continuation message, which the parser follows.
                if m.kind == 0x10 {
                    m.kind = 0x11;
                }
                if !tracked {
                    m.creation_order = None;
                }
            }
            let split = split.min(messages.len());
            let (first, second) = messages.split_at(split);
            let sizes = Sizes::default();
            let mut mem = MemSpace::new(sizes, 0);
            let mut head = first.to_vec();
            if !second.is_empty() {
                let len = CONTINUATION_OVERHEAD + message_space(flags, second) + block_extra;
                let at = mem.alloc(len as u64).unwrap();
                let block = encode_continuation_block(flags, second, len).unwrap();
                proptest::prop_assert_eq!(block.len(), len);
                mem.write(at, &block).unwrap();
                head.push(msg(0x10, 0, tracked.then_some(0), &encode_continuation(at, len as u64, sizes).unwrap()));
            }
            let chunk0 = message_space(flags, &head) + extra;
            let bytes = encode_header(flags, &head, chunk0).unwrap();
            proptest::prop_assert_eq!(bytes.len(), encoded_header_len(chunk0, false));
            let at = mem.alloc(bytes.len() as u64).unwrap();
            mem.write(at, &bytes).unwrap();
            let img = mem.image();
            let h = ObjectHeader::parse(&img, at).unwrap();
            proptest::prop_assert_eq!(owned(&h), messages);
        }
    }
}
