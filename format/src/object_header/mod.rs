//! Object headers (spec IV.A.1): version 1 prefixes ([`v1`]) and version 2 `OHDR` prefixes
//! with `OCHK` continuation blocks ([`v2`]). Both produce the same flat list of raw
//! messages; continuation messages (0x0010) are followed here, with cycle detection.

pub mod v1;
pub mod v2;

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::io::{Addr, Cursor, FileImage, Sizes};
use crate::messages::kind;
use crate::writer::PutLe;

/// Most continuation blocks one header may chain before we call it hostile.
const MAX_CONTINUATIONS: usize = 100_000;

/// One header message, undecoded.
#[derive(Clone, Debug)]
pub struct RawMessage<'a> {
    /// Message type (see [`crate::messages::kind`]).
    pub kind: u16,
    /// Message flags (bit 0 constant, bit 1 shared, ...).
    pub flags: u8,
    /// Creation order, when the header tracks it (v2 only).
    pub creation_order: Option<u16>,
    /// The message body.
    pub data: &'a [u8],
    /// Absolute file offset of the body.
    pub offset: u64,
}

impl<'a> RawMessage<'a> {
    /// A cursor over the body, naming `structure` in errors.
    pub fn cursor(&self, img: &FileImage<'a>, structure: &'static str) -> Cursor<'a> {
        Cursor::new(self.data, self.offset, img.sizes(), structure)
    }

    /// Whether the body is a shared-message reference (flag bit 1).
    pub fn is_shared(&self) -> bool {
        self.flags & 0x02 != 0
    }
}

/// One header message to encode: the owned counterpart of [`RawMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBytes {
    /// Message type (see [`crate::messages::kind`]); at most 255 in version 2 headers.
    pub kind: u16,
    /// Message flags (bit 0 constant, bit 1 shared, ...).
    pub flags: u8,
    /// Creation order; written only in version 2 headers whose flag bit 2 is set (0 when
    /// `None` there).
    pub creation_order: Option<u16>,
    /// The message body (at most 65535 bytes).
    pub data: Vec<u8>,
}

impl MessageBytes {
    /// A message of type `kind` with no flags and no creation order.
    pub fn new(kind: u16, data: Vec<u8>) -> Self {
        MessageBytes {
            kind,
            flags: 0,
            creation_order: None,
            data,
        }
    }
}

impl From<&RawMessage<'_>> for MessageBytes {
    fn from(m: &RawMessage<'_>) -> Self {
        MessageBytes {
            kind: m.kind,
            flags: m.flags,
            creation_order: m.creation_order,
            data: m.data.to_vec(),
        }
    }
}

/// Encode the body of an Object Header Continuation message (spec IV.A.2.q, type 0x0010):
/// the block's address and its length in bytes.
pub fn encode_continuation(addr: Addr, length: u64, sizes: Sizes) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::from(sizes.offset) + usize::from(sizes.length));
    out.put_addr(Some(addr), sizes);
    out.put_length(length, sizes);
    out
}

/// A decoded object header: its version, flags and every message.
#[derive(Clone, Debug)]
pub struct ObjectHeader<'a> {
    /// Address of the header.
    pub addr: Addr,
    /// 1 or 2.
    pub version: u8,
    /// Version 2 header flags (0 for version 1).
    pub flags: u8,
    /// Non-default attribute phase change (max compact, min dense), when stored.
    pub attribute_phase_change: Option<(u16, u16)>,
    /// All messages, in the order found (continuation messages themselves excluded).
    pub messages: Vec<RawMessage<'a>>,
    /// Bytes of message space in the first chunk (v1: the header size field; v2: the
    /// chunk-0 size field).
    pub chunk0_len: u64,
    /// Continuation blocks (address, length), in the order they were followed.
    pub continuations: Vec<(Addr, u64)>,
}

/// Where a continuation message points.
struct Continuation {
    addr: Addr,
    length: u64,
}

impl<'a> ObjectHeader<'a> {
    /// Decode the object header at `addr`, following continuation blocks.
    pub fn parse(img: &FileImage<'a>, addr: Addr) -> Result<Self> {
        let mut first = img.cursor_at(addr, "object header")?;
        let is_v2 = first.rest().get(..4) == Some(b"OHDR".as_slice());
        let mut header = if is_v2 {
            v2::parse_prefix(img, addr)?
        } else {
            let version = first.u8()?;
            if version != 1 {
                return Err(Error::corrupt(
                    "object header",
                    img.absolute(addr),
                    format!("no OHDR signature and version byte {version} is not 1"),
                ));
            }
            v1::parse_prefix(img, addr)?
        };
        let mut seen = HashSet::new();
        seen.insert(addr);
        let mut pending = take_continuations(img, &mut header.messages)?;
        while let Some(next) = pending.pop() {
            if !seen.insert(next.addr) || seen.len() > MAX_CONTINUATIONS {
                return Err(Error::corrupt(
                    "object header continuation",
                    img.absolute(next.addr),
                    "continuation chain loops back on itself",
                ));
            }
            header.continuations.push((next.addr, next.length));
            let mut more = if header.version == 2 {
                v2::parse_continuation(img, next.addr, next.length, header.flags)?
            } else {
                v1::parse_continuation(img, next.addr, next.length)?
            };
            let mut nested = take_continuations(img, &mut more)?;
            header.messages.append(&mut more);
            // Keep depth-first order: the newest continuation is read next.
            nested.reverse();
            pending.extend(nested);
        }
        Ok(header)
    }

    /// The first message of type `kind`.
    pub fn find(&self, kind: u16) -> Option<&RawMessage<'a>> {
        self.messages.iter().find(|m| m.kind == kind)
    }

    /// All messages of type `kind`.
    pub fn all(&self, kind: u16) -> impl Iterator<Item = &RawMessage<'a>> + '_ {
        self.messages.iter().filter(move |m| m.kind == kind)
    }

    /// Whether attribute creation order is tracked (v2 flag bit 2).
    pub fn tracks_attribute_order(&self) -> bool {
        self.version == 2 && self.flags & 0x04 != 0
    }
}

/// Remove continuation messages from `messages` and return their targets, in order.
fn take_continuations(
    img: &FileImage<'_>,
    messages: &mut Vec<RawMessage<'_>>,
) -> Result<Vec<Continuation>> {
    let mut out = Vec::new();
    let mut error = None;
    messages.retain(|m| {
        if m.kind != kind::CONTINUATION {
            return true;
        }
        let mut c = m.cursor(img, "object header continuation message");
        match (c.addr_required("continuation block"), c.length()) {
            (Ok(addr), Ok(length)) => out.push(Continuation { addr, length }),
            (Err(e), _) | (_, Err(e)) => error = Some(e),
        }
        false
    });
    match error {
        Some(e) => Err(e),
        None => {
            out.reverse();
            Ok(out)
        }
    }
}
