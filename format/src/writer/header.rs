//! Editing object headers: load every message, change the list, and lay it out again.
//!
//! Chunk 0 never moves (links point at it) and keeps its size; messages that no longer fit
//! go to one continuation block (reused in place when it is big enough, else a new block
//! with room to grow, the old blocks being freed). Free space inside a chunk becomes a NIL
//! message. Works for version 1 and version 2 headers.

use super::space::FileSpace;
use super::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage, Sizes};
use crate::messages::kind;
use crate::object_header::{self, v1, v2, MessageBytes, ObjectHeader};

/// Extra message space given to new headers and new continuation blocks, so that a few
/// attributes or links can be added without another block.
pub const SLACK: usize = 128;

/// An object header being edited.
#[derive(Clone, Debug)]
pub struct HeaderEditor {
    /// Address of the header (never changes).
    pub addr: Addr,
    /// 1 or 2.
    pub version: u8,
    /// Version 2 flags (bit 2: messages carry creation orders).
    pub flags: u8,
    /// Non-default attribute phase change values (v2 flag bit 4).
    pub phase_change: Option<(u16, u16)>,
    /// The messages, without NIL and continuation messages.
    pub messages: Vec<MessageBytes>,
    chunk0_len: u64,
    continuations: Vec<(Addr, u64)>,
    ref_count: u32,
    sizes: Sizes,
}

impl HeaderEditor {
    /// Load the header at `addr`.
    pub fn load(img: &FileImage<'_>, addr: Addr) -> Result<Self> {
        let header = ObjectHeader::parse(img, addr)?;
        let ref_count = if header.version == 1 {
            let mut c = img.cursor(addr, 16, "version 1 object header")?;
            c.skip(4)?;
            c.u32()?
        } else {
            1
        };
        let messages = header
            .messages
            .iter()
            .filter(|m| m.kind != kind::NIL)
            .map(|m| MessageBytes {
                kind: m.kind,
                flags: m.flags,
                creation_order: m.creation_order,
                data: m.data.to_vec(),
            })
            .collect();
        Ok(HeaderEditor {
            addr,
            version: header.version,
            flags: header.flags,
            phase_change: header.attribute_phase_change,
            messages,
            chunk0_len: header.chunk0_len,
            continuations: header.continuations.clone(),
            ref_count,
            sizes: img.sizes(),
        })
    }

    /// A new version 2 header with `messages`, allocated with room to grow.
    pub fn create(flags: u8, messages: Vec<MessageBytes>, space: &mut FileSpace, emit: &mut Emit) -> Result<Self> {
        let sizes = space.sizes();
        let need = v2::message_space(flags, &messages) + SLACK;
        let prefix = v2_prefix_len(flags, need);
        let addr = space.alloc((prefix + need + 4) as u64)?;
        let editor = HeaderEditor {
            addr,
            version: 2,
            flags,
            phase_change: None,
            messages,
            chunk0_len: need as u64,
            continuations: Vec::new(),
            ref_count: 1,
            sizes,
        };
        let mut editor = editor;
        editor.save(space, emit)?;
        Ok(editor)
    }

    /// Whether messages carry a creation order (v2 flag bit 2).
    pub fn tracks_order(&self) -> bool {
        self.version == 2 && self.flags & 0x04 != 0
    }

    /// The first message of a type.
    pub fn find(&self, kind: u16) -> Option<&MessageBytes> {
        self.messages.iter().find(|m| m.kind == kind)
    }

    /// Replace the first message of `msg.kind` (or add it).
    pub fn set(&mut self, msg: MessageBytes) {
        match self.messages.iter_mut().find(|m| m.kind == msg.kind) {
            Some(slot) => *slot = msg,
            None => self.messages.push(msg),
        }
    }

    /// Remove every message for which `pred` is true.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&MessageBytes) -> bool) {
        self.messages.retain(|m| !pred(m));
    }

    fn msg_len(&self, m: &MessageBytes) -> usize {
        if self.version == 1 {
            8 + m.data.len().div_ceil(8) * 8
        } else {
            (if self.tracks_order() { 6 } else { 4 }) + m.data.len()
        }
    }

    fn continuation_len(&self) -> usize {
        let body = usize::from(self.sizes.offset) + usize::from(self.sizes.length);
        self.msg_len(&MessageBytes {
            kind: kind::CONTINUATION,
            flags: 0,
            creation_order: None,
            data: vec![0; body],
        })
    }

    /// Lay the messages out and queue the writes; frees continuation blocks no longer used.
    pub fn save(&mut self, space: &mut FileSpace, emit: &mut Emit) -> Result<()> {
        let chunk0 = usize::try_from(self.chunk0_len).map_err(|_| Error::LimitExceeded("header".into()))?;
        let total: usize = self.messages.iter().map(|m| self.msg_len(m)).sum();
        let (first, rest): (Vec<MessageBytes>, Vec<MessageBytes>) = if total <= chunk0 {
            (self.messages.clone(), Vec::new())
        } else {
            let budget = chunk0
                .checked_sub(self.continuation_len())
                .ok_or_else(|| Error::Unsupported("object header too small to hold a continuation".into()))?;
            let mut used = 0;
            let mut first = Vec::new();
            let mut rest = Vec::new();
            for m in &self.messages {
                let len = self.msg_len(m);
                if used + len <= budget && rest.is_empty() {
                    used += len;
                    first.push(m.clone());
                } else {
                    rest.push(m.clone());
                }
            }
            (first, rest)
        };
        let mut first = first;
        let mut new_conts = Vec::new();
        if !rest.is_empty() {
            let need: usize = rest.iter().map(|m| self.msg_len(m)).sum();
            let overhead = if self.version == 2 { 8 } else { 0 };
            let reuse = match self.continuations.as_slice() {
                [(a, len)] if *len as usize >= need + overhead => Some((*a, *len)),
                _ => None,
            };
            let (addr, len) = match reuse {
                Some(block) => block,
                None => {
                    let len = (need + SLACK + overhead) as u64;
                    (space.alloc(len)?, len)
                }
            };
            let block = if self.version == 2 {
                v2::encode_continuation_block(self.flags, &rest, len as usize)?
            } else {
                v1::encode_messages(&rest, len as usize)?
            };
            emit.put(addr, block);
            first.push(MessageBytes {
                kind: kind::CONTINUATION,
                flags: 0,
                creation_order: None,
                data: object_header::encode_continuation(addr, len, self.sizes),
            });
            new_conts.push((addr, len));
        }
        for old in &self.continuations {
            if !new_conts.contains(old) {
                space.release(old.0, old.1)?;
            }
        }
        self.continuations = new_conts;
        if self.version == 2 {
            let bytes = v2::encode_header(self.flags, self.phase_change, &first, chunk0)?;
            emit.put(self.addr, bytes);
        } else {
            let area = v1::encode_messages(&first, chunk0)?;
            let count = v1::count_messages(&area)? + self.continuations.iter().map(|_| 0).sum::<u16>();
            let count = count + self.continuation_message_count(&emit.blocks)?;
            let prefix = v1::encode_prefix(count, self.ref_count, chunk0 as u32);
            let mut bytes = prefix.to_vec();
            bytes.extend_from_slice(&area);
            emit.put(self.addr, bytes);
        }
        Ok(())
    }

    /// Messages (NIL included) in this header's continuation blocks, counted from the
    /// queued blocks (v1 prefixes count every message of every block).
    fn continuation_message_count(&self, blocks: &[(Addr, Vec<u8>)]) -> Result<u16> {
        let mut n = 0;
        for (addr, _) in &self.continuations {
            if let Some((_, bytes)) = blocks.iter().rev().find(|(a, _)| a == addr) {
                n += v1::count_messages(bytes)?;
            }
        }
        Ok(n)
    }
}

/// Length of a v2 prefix (signature through chunk-0 size) for a chunk of `len` bytes.
fn v2_prefix_len(flags: u8, len: usize) -> usize {
    let width = if len <= 0xff {
        1
    } else if len <= 0xffff {
        2
    } else {
        4
    };
    6 + if flags & 0x10 != 0 { 4 } else { 0 } + width
}
