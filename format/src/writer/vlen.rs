//! Variable-length data for writing: objects appended to a global heap collection (spec
//! III.E, `GCOL`) that is rewritten in place while it has room, as libhdf5 fills its
//! current collection, and a new collection when it is full.

use super::space::FileSpace;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::heap::global::GlobalHeapId;
use crate::io::PutLe;
use crate::io::{Addr, Sizes};

/// libhdf5's minimum collection size (`H5HG_MINSIZE`).
pub const MIN_COLLECTION: u64 = 4096;

fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

/// The collection currently being filled, kept encoded: adding an object writes its bytes
/// and the free-space object after it, instead of re-encoding every object (saving many
/// strings one by one was quadratic in the objects of a collection).
#[derive(Clone, Debug)]
struct Collection {
    addr: Addr,
    size: u64,
    /// Number of objects (indexes 1..=count).
    count: usize,
    /// The collection's bytes (`size` of them).
    bytes: Vec<u8>,
    /// End of the last object (where the free-space object starts).
    end: u64,
    /// The byte range changed since the file last received the collection; `None` while
    /// the file has never received it (then all of it is queued).
    dirty: Option<(u64, u64)>,
}

/// Appends variable-length objects to global heap collections.
///
/// Each queueing ([`VlenHeap::add`], [`VlenHeap::encode_elements`]) queues only what changed
/// in the current collection since the file last received it: the new objects and the
/// free-space object after them (the whole collection the first time). A change counts as
/// received once [`VlenHeap::committed`] sees its block written: a queue that was dropped
/// (an operation that failed before writing) is queued again with the next one, so that
/// the file never misses the bytes of objects that later ones follow.
#[derive(Clone, Debug, Default)]
pub struct VlenHeap {
    current: Option<Collection>,
    /// Full collections not yet known to be written, whole.
    retired: Vec<(Addr, Vec<u8>)>,
}

fn header_len(sizes: Sizes) -> u64 {
    align8(8 + u64::from(sizes.length))
}

fn object_len(sizes: Sizes, data: usize) -> u64 {
    // Object header (index, references, reserved, size) padded to 8, data padded to 8.
    align8(8 + u64::from(sizes.length)) + align8(data as u64)
}

impl Collection {
    /// An empty collection of `size` bytes at `addr`.
    fn new(addr: Addr, size: u64, sizes: Sizes) -> Result<Self> {
        let len = usize::try_from(size).map_err(|_| Error::LimitExceeded("heap".into()))?;
        let mut bytes = Vec::with_capacity(len);
        bytes.extend_from_slice(b"GCOL");
        bytes.extend_from_slice(&[1, 0, 0, 0]);
        bytes.put_length(size, sizes)?;
        bytes.resize(len, 0);
        let mut c = Collection {
            addr,
            size,
            count: 0,
            bytes,
            end: header_len(sizes),
            dirty: None,
        };
        c.put_free(sizes)?;
        Ok(c)
    }

    fn used(&self) -> u64 {
        self.end
    }

    /// Write `head` (an object header) then `data` at `at` into the kept bytes. The caller
    /// checked that they fit; if they did not, this is an error, not a silent skip.
    fn put_at(&mut self, at: u64, head: &[u8], data: &[u8]) -> Result<()> {
        let outside = || {
            Error::Invalid(format!(
                "global heap collection at {}: object at {at} past its {} bytes",
                self.addr, self.size
            ))
        };
        // In-memory lengths: these sums stay far below u64::MAX.
        let stop = at + align8(head.len() as u64) + data.len() as u64;
        let start = usize::try_from(at).map_err(|_| outside())?;
        let hl = usize::try_from(align8(head.len() as u64)).map_err(|_| outside())?;
        let head_dst = self.bytes.get_mut(start..start + head.len());
        head_dst.ok_or_else(outside)?.copy_from_slice(head);
        let data_dst = self.bytes.get_mut(start + hl..start + hl + data.len());
        data_dst.ok_or_else(outside)?.copy_from_slice(data);
        if let Some((from, to)) = self.dirty.as_mut() {
            *from = (*from).min(at);
            *to = (*to).max(stop.min(self.size));
        }
        Ok(())
    }

    /// The free-space object (index 0) covering the rest, its own header included, when
    /// there is room for its header.
    fn put_free(&mut self, sizes: Sizes) -> Result<()> {
        let free = self.size.saturating_sub(self.end);
        if free >= 8 + u64::from(sizes.length) {
            let mut head = Vec::with_capacity(16);
            head.put_u64(0);
            head.put_length(free, sizes)?;
            self.put_at(self.end, &head, &[])?;
        }
        Ok(())
    }

    /// Append object `count + 1` (the caller checked that it fits).
    fn push(&mut self, data: &[u8], sizes: Sizes) -> Result<()> {
        let index = u16::try_from(self.count + 1).map_err(|_| {
            Error::LimitExceeded(format!(
                "global heap collection at {}: more than 65535 objects",
                self.addr
            ))
        })?;
        let mut head = Vec::with_capacity(16);
        head.put_u16(index);
        head.put_u16(0);
        head.put_u32(0);
        head.put_length(data.len() as u64, sizes)?;
        self.put_at(self.end, &head, data)?;
        self.count += 1;
        self.end += object_len(sizes, data.len());
        self.put_free(sizes)
    }
}

impl VlenHeap {
    /// Store `data` and return its heap ID (an empty `data` still gets an object, as
    /// libhdf5 stores empty strings).
    pub fn add(
        &mut self,
        data: &[u8],
        space: &mut FileSpace,
        emit: &mut Emit,
    ) -> Result<GlobalHeapId> {
        let id = self.push(data, space)?;
        self.emit_current(space.sizes(), emit);
        Ok(id)
    }

    /// Queue the collections' bytes the file may not have yet (see the type's docs).
    fn emit_current(&self, sizes: Sizes, emit: &mut Emit) {
        let _ = sizes;
        for (addr, bytes) in &self.retired {
            emit.put(*addr, bytes.clone());
        }
        if let Some(c) = &self.current {
            match c.dirty {
                None => emit.put(c.addr, c.bytes.clone()),
                Some((from, to)) if from < to => {
                    if let Some(part) = c.bytes.get(from as usize..to as usize) {
                        emit.put(Addr(c.addr.0 + from), part.to_vec());
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// Note that every block of `emit` is now in the file: the changes it carried are no
    /// longer queued again.
    pub fn committed(&mut self, emit: &Emit) {
        let written = |addr: Addr, len: usize| {
            emit.blocks
                .iter()
                .any(|(a, b)| *a == addr && b.len() == len)
        };
        self.retired.retain(|(a, b)| !written(*a, b.len()));
        if let Some(c) = self.current.as_mut() {
            let done = match c.dirty {
                None => written(c.addr, c.bytes.len()),
                Some((from, to)) => {
                    from >= to || written(Addr(c.addr.0 + from), (to - from) as usize)
                }
            };
            if done {
                c.dirty = Some((c.size, 0));
            }
        }
    }

    /// Add an object without queueing anything (a collection that fills up is retired, to
    /// be queued whole with the next queueing).
    fn push(&mut self, data: &[u8], space: &mut FileSpace) -> Result<GlobalHeapId> {
        let sizes = space.sizes();
        let need = object_len(sizes, data.len());
        let fits = self.current.as_ref().is_some_and(|c| {
            c.count < usize::from(u16::MAX) - 1 && c.used() + need + object_len(sizes, 0) <= c.size
        });
        if !fits {
            // The full collection is queued whole with the next queueing.
            if let Some(full) = self.current.take() {
                if full.dirty.is_none_or(|(from, to)| from < to) {
                    self.retired.push((full.addr, full.bytes));
                }
            }
            let size =
                align8((header_len(sizes) + need + object_len(sizes, 0)).max(MIN_COLLECTION));
            let addr = space.alloc(size)?;
            self.current = Some(Collection::new(addr, size, sizes)?);
        }
        let c = self
            .current
            .as_mut()
            .ok_or_else(|| Error::Invalid("no global heap collection".into()))?;
        c.push(data, sizes)?;
        let index =
            u32::try_from(c.count).map_err(|_| Error::LimitExceeded("heap objects".into()))?;
        Ok(GlobalHeapId {
            collection: Some(c.addr),
            index,
        })
    }

    /// Encode variable-length elements (strings or sequences given as raw bytes and their
    /// item counts) into the 4 + offset + 4 byte element form.
    pub fn encode_elements(
        &mut self,
        items: &[(u32, Vec<u8>)],
        space: &mut FileSpace,
        emit: &mut Emit,
    ) -> Result<Vec<u8>> {
        let sizes = space.sizes();
        let mut out = Vec::with_capacity(items.len() * (8 + usize::from(sizes.offset)));
        for (count, bytes) in items {
            let id = self.push(bytes, space)?;
            out.put_u32(*count);
            out.put_addr(id.collection, sizes)?;
            out.put_u32(id.index);
        }
        self.emit_current(sizes, emit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::emit::MemSpace;
    use crate::heap::global::GlobalHeapReader;
    use crate::io::FileImage;

    /// Objects read back across collections. Only the change is queued once a collection
    /// is in the file; a queue that never reached the file (a failed operation) is queued
    /// again with the next one, whether the collection filled up in between or not.
    #[test]
    fn queues_changes_and_requeues_what_was_dropped() {
        let sizes = Sizes::default();
        let mut space = FileSpace::new(sizes, 0);
        let mut heap = VlenHeap::default();
        let mut mem = MemSpace::new(sizes, 0);
        let mut ids = Vec::new();
        let mut small = 0;
        for i in 0..400usize {
            let mut emit = Emit::default();
            let data = vec![b'a' + (i % 26) as u8; i % 50];
            ids.push((heap.add(&data, &mut space, &mut emit).unwrap(), data));
            if i % 7 == 3 {
                continue;
            }
            if emit.len() < 128 {
                small += 1;
            }
            mem.apply(&emit).unwrap();
            heap.committed(&emit);
        }
        // The last queue reached the file: every object reads back.
        let img = FileImage::new(&mem.bytes, 0, sizes);
        let mut reader = GlobalHeapReader::new(img);
        for (id, data) in &ids {
            assert_eq!(reader.get(*id).unwrap(), data.as_slice());
        }
        assert!(small > 200, "{small} small queues");
        let collections: std::collections::HashSet<_> =
            ids.iter().map(|i| i.0.collection).collect();
        assert!(collections.len() > 1);
    }
}
