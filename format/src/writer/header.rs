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
    pub fn create(
        flags: u8,
        messages: Vec<MessageBytes>,
        space: &mut FileSpace,
        emit: &mut Emit,
    ) -> Result<Self> {
        let sizes = space.sizes();
        let need = v2::message_space(flags, &messages) + SLACK;
        let addr = space.alloc(v2::encoded_header_len(need, false) as u64)?;
        let mut editor = HeaderEditor {
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

    /// Bytes `messages` take in a chunk of this header.
    fn space_for(&self, messages: &[MessageBytes]) -> usize {
        if self.version == 1 {
            v1::message_space(messages)
        } else {
            v2::message_space(self.flags, messages)
        }
    }

    /// Lay the messages out and queue the writes; frees continuation blocks no longer used.
    pub fn save(&mut self, space: &mut FileSpace, emit: &mut Emit) -> Result<()> {
        let chunk0 =
            usize::try_from(self.chunk0_len).map_err(|_| Error::LimitExceeded("header".into()))?;
        let continuation = MessageBytes {
            kind: kind::CONTINUATION,
            flags: 0,
            creation_order: None,
            data: object_header::encode_continuation(Addr(0), 0, self.sizes),
        };
        let mut first = Vec::new();
        let mut rest = Vec::new();
        if self.space_for(&self.messages) <= chunk0 {
            first = self.messages.clone();
        } else {
            // Keep room for the continuation message; the first message that does not fit
            // and everything after it go to the continuation block.
            let budget = chunk0
                .checked_sub(self.space_for(std::slice::from_ref(&continuation)))
                .ok_or_else(|| {
                    Error::Unsupported("object header too small for a continuation".into())
                })?;
            // The space of a list of messages is the sum of each one's (header + body).
            let mut used = 0usize;
            for m in &self.messages {
                let with = used.saturating_add(self.space_for(std::slice::from_ref(m)));
                if rest.is_empty() && with <= budget {
                    first.push(m.clone());
                    used = with;
                } else {
                    rest.push(m.clone());
                }
            }
        }
        let mut new_conts = Vec::new();
        let mut cont_count = 0;
        if !rest.is_empty() {
            let overhead = if self.version == 2 {
                v2::CONTINUATION_OVERHEAD
            } else {
                0
            };
            let need = self.space_for(&rest) + overhead;
            let reuse = match self.continuations.as_slice() {
                [(a, len)] if *len >= need as u64 => Some((*a, *len)),
                _ => None,
            };
            let (addr, len) = match reuse {
                Some(block) => block,
                None => {
                    let len = (need + SLACK) as u64;
                    (space.alloc(len)?, len)
                }
            };
            let len_usize =
                usize::try_from(len).map_err(|_| Error::LimitExceeded("header".into()))?;
            let block = if self.version == 2 {
                v2::encode_continuation_block(self.flags, &rest, len_usize)?
            } else {
                cont_count = v1::encoded_message_count(&rest, len_usize)?;
                v1::encode_messages(&rest, len_usize)?
            };
            emit.put(addr, block);
            first.push(MessageBytes {
                data: object_header::encode_continuation(addr, len, self.sizes),
                ..continuation
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
            let bytes =
                v2::encode_header_with_phase_change(self.flags, self.phase_change, &first, chunk0)?;
            emit.put(self.addr, bytes);
        } else {
            let count = v1::encoded_message_count(&first, chunk0)? + cont_count;
            let count =
                u16::try_from(count).map_err(|_| Error::LimitExceeded("header messages".into()))?;
            let chunk0_u32 =
                u32::try_from(chunk0).map_err(|_| Error::LimitExceeded("header".into()))?;
            let mut bytes = v1::encode_prefix(count, self.ref_count, chunk0_u32).to_vec();
            bytes.extend_from_slice(&v1::encode_messages(&first, chunk0)?);
            emit.put(self.addr, bytes);
        }
        Ok(())
    }
}
