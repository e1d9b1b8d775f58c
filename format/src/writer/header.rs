//! Editing object headers: load every message, change the list, and lay it out again.
//!
//! Chunk 0 never moves (links point at it) and keeps its size; messages that no longer fit
//! go to one continuation block (reused in place when it is big enough, else a new block
//! with room to grow, the old blocks being freed). Free space inside a chunk becomes a NIL
//! message. Works for version 1 and version 2 headers.
//!
//! Crash safety: a save changes the file with at most one write in place. Blocks whose bytes
//! do not change are not written; when both chunk 0 and the continuation block change, the
//! continuation block goes to new space (written first, see `Session::commit`) and the
//! write of chunk 0 switches the header from the old state to the new one.

use super::space::FileSpace;
use crate::emit::{Emit, Space};
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
    /// The bytes the file holds for chunk 0 and the continuation blocks (as loaded or as
    /// last saved), by address: unchanged blocks are not written again.
    on_disk: Vec<(Addr, Vec<u8>)>,
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
        let chunk0_bytes = if header.version == 1 {
            header.chunk0_len.checked_add(16)
        } else {
            usize::try_from(header.chunk0_len)
                .ok()
                .map(|n| v2::encoded_header_len(n, header.attribute_phase_change.is_some()) as u64)
        };
        let mut on_disk = Vec::new();
        let blocks = chunk0_bytes
            .map(|n| (addr, n))
            .into_iter()
            .chain(header.continuations.iter().copied());
        for (at, len) in blocks {
            if let Ok(bytes) = img.slice(at, len, "object header block") {
                on_disk.push((at, bytes.to_vec()));
            }
        }
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
            on_disk,
        })
    }

    /// A new version 2 header with `messages`, allocated with room to grow.
    pub fn create(
        flags: u8,
        messages: Vec<MessageBytes>,
        space: &mut FileSpace,
        emit: &mut Emit,
    ) -> Result<Self> {
        let mut editor = Self::new(flags, messages, space.sizes());
        editor.place(space, emit)?;
        Ok(editor)
    }

    /// A new version 2 header with `messages`, not yet in the file: edit its messages,
    /// then [`HeaderEditor::place`] it.
    pub fn new(flags: u8, messages: Vec<MessageBytes>, sizes: Sizes) -> Self {
        HeaderEditor {
            addr: Addr(0),
            version: 2,
            flags,
            phase_change: None,
            messages,
            chunk0_len: 0,
            continuations: Vec::new(),
            ref_count: 1,
            sizes,
            on_disk: Vec::new(),
        }
    }

    /// Give a header made by [`HeaderEditor::new`] its space (its messages and room to
    /// grow) and queue its write.
    pub fn place(&mut self, space: &mut FileSpace, emit: &mut Emit) -> Result<()> {
        let need = v2::message_space(self.flags, &self.messages) + SLACK;
        self.addr = space.alloc(v2::encoded_header_len(need, false) as u64)?;
        self.chunk0_len = need as u64;
        self.save(space, emit)
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

    /// Whether the file holds exactly `bytes` at `addr` (as loaded or last saved).
    fn unchanged(&self, addr: Addr, bytes: &[u8]) -> bool {
        self.on_disk
            .iter()
            .any(|(a, b)| *a == addr && b.as_slice() == bytes)
    }

    /// Lay the messages out and queue the writes of the blocks that change; frees
    /// continuation blocks no longer used.
    pub fn save(&mut self, space: &mut FileSpace, emit: &mut Emit) -> Result<()> {
        let split = self.split()?;
        let rest = self.messages.get(split..).unwrap_or_default();
        let mut block = None;
        if !rest.is_empty() {
            let overhead = if self.version == 2 {
                v2::CONTINUATION_OVERHEAD
            } else {
                0
            };
            let need = (self.space_for(rest) + overhead) as u64;
            let reuse = match self.continuations.as_slice() {
                [(a, len)] if *len >= need => Some((*a, *len)),
                _ => None,
            };
            if let Some((addr, len)) = reuse {
                let (chunk0, cont) = self.encode(split, Some((addr, len)))?;
                let cont_same = cont.as_ref().is_some_and(|(a, b)| self.unchanged(*a, b));
                if cont_same || self.unchanged(self.addr, &chunk0) {
                    // One write in place at most: keep the block where it is.
                    block = Some((addr, len));
                }
            }
            if block.is_none() {
                let len = need + SLACK as u64;
                block = Some((space.alloc(len)?, len));
            }
        }
        let (chunk0, cont) = self.encode(split, block)?;
        // The continuation block is queued before chunk 0, which points at it.
        let mut written = Vec::with_capacity(2);
        if let Some((addr, bytes)) = &cont {
            if !self.unchanged(*addr, bytes) {
                emit.put(*addr, bytes.clone());
            }
        }
        if !self.unchanged(self.addr, &chunk0) {
            emit.put(self.addr, chunk0.clone());
        }
        written.push((self.addr, chunk0));
        written.extend(cont);
        let new_conts: Vec<(Addr, u64)> = block.into_iter().collect();
        for old in &self.continuations {
            if !new_conts.contains(old) {
                space.release(old.0, old.1)?;
            }
        }
        self.continuations = new_conts;
        self.on_disk = written;
        Ok(())
    }

    /// How many messages (a prefix) chunk 0 holds; the others go to the continuation
    /// block.
    fn split(&self) -> Result<usize> {
        let chunk0 =
            usize::try_from(self.chunk0_len).map_err(|_| Error::LimitExceeded("header".into()))?;
        if self.space_for(&self.messages) <= chunk0 {
            return Ok(self.messages.len());
        }
        // Keep room for the continuation message; the first message that does not fit and
        // everything after it go to the continuation block.
        let budget = chunk0
            .checked_sub(self.space_for(std::slice::from_ref(&self.continuation(Addr(0), 0)?)))
            .ok_or_else(|| {
                Error::Unsupported("object header too small for a continuation".into())
            })?;
        // The space of a list of messages is the sum of each one's (header + body).
        let mut used = 0usize;
        for (i, m) in self.messages.iter().enumerate() {
            used = used.saturating_add(self.space_for(std::slice::from_ref(m)));
            if used > budget {
                return Ok(i);
            }
        }
        Ok(self.messages.len())
    }

    /// A continuation message pointing at `len` bytes at `addr`.
    fn continuation(&self, addr: Addr, len: u64) -> Result<MessageBytes> {
        Ok(MessageBytes {
            kind: kind::CONTINUATION,
            flags: 0,
            creation_order: None,
            data: object_header::encode_continuation(addr, len, self.sizes)?,
        })
    }

    /// The bytes of chunk 0 (the first `split` messages) and of the continuation block at
    /// `block` (the others), if any.
    #[allow(clippy::type_complexity)]
    fn encode(
        &self,
        split: usize,
        block: Option<(Addr, u64)>,
    ) -> Result<(Vec<u8>, Option<(Addr, Vec<u8>)>)> {
        let chunk0 =
            usize::try_from(self.chunk0_len).map_err(|_| Error::LimitExceeded("header".into()))?;
        let (first, rest) = self.messages.split_at(split.min(self.messages.len()));
        let mut with_cont = Vec::new();
        let mut cont = None;
        let mut cont_count = 0;
        if let Some((addr, len)) = block.filter(|_| !rest.is_empty()) {
            let len_usize =
                usize::try_from(len).map_err(|_| Error::LimitExceeded("header".into()))?;
            let bytes = if self.version == 2 {
                v2::encode_continuation_block(self.flags, rest, len_usize)?
            } else {
                cont_count = v1::encoded_message_count(rest, len_usize)?;
                v1::encode_messages(rest, len_usize)?
            };
            with_cont.reserve(first.len() + 1);
            with_cont.extend_from_slice(first);
            with_cont.push(self.continuation(addr, len)?);
            cont = Some((addr, bytes));
        }
        // Chunk 0's messages: the prefix itself, or a copy with the continuation message.
        let first = if cont.is_some() {
            &with_cont[..]
        } else {
            first
        };
        let bytes = if self.version == 2 {
            v2::encode_header_with_phase_change(self.flags, self.phase_change, first, chunk0)?
        } else {
            let count = v1::encoded_message_count(first, chunk0)? + cont_count;
            let count =
                u16::try_from(count).map_err(|_| Error::LimitExceeded("header messages".into()))?;
            let chunk0_u32 =
                u32::try_from(chunk0).map_err(|_| Error::LimitExceeded("header".into()))?;
            let mut bytes = v1::encode_prefix(count, self.ref_count, chunk0_u32).to_vec();
            bytes.extend_from_slice(&v1::encode_messages(first, chunk0)?);
            bytes
        };
        Ok((bytes, cont))
    }
}
