//! Variable-length data for writing: objects appended to a global heap collection (spec
//! III.E, `GCOL`) that is rewritten in place while it has room, as libhdf5 fills its
//! current collection, and a new collection when it is full.

use super::space::FileSpace;
use super::{Emit, PutLe, Space};
use crate::error::{Error, Result};
use crate::heap::global::GlobalHeapId;
use crate::io::{Addr, Sizes};

/// libhdf5's minimum collection size (`H5HG_MINSIZE`).
pub const MIN_COLLECTION: u64 = 4096;

fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

/// The collection currently being filled.
#[derive(Clone, Debug)]
struct Collection {
    addr: Addr,
    size: u64,
    objects: Vec<Vec<u8>>,
}

/// Appends variable-length objects to global heap collections.
#[derive(Clone, Debug, Default)]
pub struct VlenHeap {
    current: Option<Collection>,
}

fn header_len(sizes: Sizes) -> u64 {
    align8(8 + u64::from(sizes.length))
}

fn object_len(sizes: Sizes, data: usize) -> u64 {
    // Object header (index, references, reserved, size) padded to 8, data padded to 8.
    align8(8 + u64::from(sizes.length)) + align8(data as u64)
}

impl Collection {
    fn used(&self, sizes: Sizes) -> u64 {
        header_len(sizes)
            + self
                .objects
                .iter()
                .map(|o| object_len(sizes, o.len()))
                .sum::<u64>()
    }

    fn encode(&self, sizes: Sizes) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size as usize);
        out.extend_from_slice(b"GCOL");
        out.extend_from_slice(&[1, 0, 0, 0]);
        out.put_length(self.size, sizes);
        out.resize(header_len(sizes) as usize, 0);
        for (i, data) in self.objects.iter().enumerate() {
            let start = out.len();
            out.put_uint(i as u64 + 1, 2);
            out.put_uint(0, 2);
            out.put_uint(0, 4);
            out.put_length(data.len() as u64, sizes);
            out.resize(start + align8(8 + u64::from(sizes.length)) as usize, 0);
            out.extend_from_slice(data);
            out.resize(align8(out.len() as u64) as usize, 0);
        }
        // The free-space object (index 0) covers the rest, its own header included.
        let free = self.size.saturating_sub(out.len() as u64);
        if free >= 8 + u64::from(sizes.length) {
            out.put_uint(0, 2);
            out.put_uint(0, 2);
            out.put_uint(0, 4);
            out.put_length(free, sizes);
        }
        out.resize(self.size as usize, 0);
        out
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
        let id = self.push(data, space, emit)?;
        self.emit_current(space.sizes(), emit);
        Ok(id)
    }

    /// Queue the current collection's bytes.
    fn emit_current(&self, sizes: Sizes, emit: &mut Emit) {
        if let Some(c) = &self.current {
            emit.put(c.addr, c.encode(sizes));
        }
    }

    /// Add an object without queueing the collection (unless it fills up and a new one
    /// starts, when the full one is queued).
    fn push(
        &mut self,
        data: &[u8],
        space: &mut FileSpace,
        emit: &mut Emit,
    ) -> Result<GlobalHeapId> {
        let sizes = space.sizes();
        let need = object_len(sizes, data.len());
        let fits = self.current.as_ref().is_some_and(|c| {
            c.objects.len() < usize::from(u16::MAX) - 1
                && c.used(sizes) + need + object_len(sizes, 0) <= c.size
        });
        if !fits {
            self.emit_current(sizes, emit);
            let size =
                align8((header_len(sizes) + need + object_len(sizes, 0)).max(MIN_COLLECTION));
            let addr = space.alloc(size)?;
            self.current = Some(Collection {
                addr,
                size,
                objects: Vec::new(),
            });
        }
        let c = self
            .current
            .as_mut()
            .ok_or_else(|| Error::Invalid("no global heap collection".into()))?;
        c.objects.push(data.to_vec());
        let index = u32::try_from(c.objects.len())
            .map_err(|_| Error::LimitExceeded("heap objects".into()))?;
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
            let id = self.push(bytes, space, emit)?;
            out.put_uint(u64::from(*count), 4);
            out.put_addr(id.collection, sizes);
            out.put_uint(u64::from(id.index), 4);
        }
        self.emit_current(sizes, emit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::heap::global::GlobalHeapReader;
    use crate::io::FileImage;
    use crate::writer::MemSpace;

    #[test]
    fn objects_read_back_across_collections() {
        let sizes = Sizes::default();
        let mut space = FileSpace::new(sizes, 0);
        let mut heap = VlenHeap::default();
        let mut mem = MemSpace::new(sizes, 0);
        let mut ids = Vec::new();
        for i in 0..300 {
            let mut emit = Emit::default();
            let data = vec![b'a' + (i % 26) as u8; i % 40];
            ids.push((heap.add(&data, &mut space, &mut emit).unwrap(), data));
            mem.apply(&emit).unwrap();
        }
        let img = FileImage::new(&mem.bytes, 0, sizes);
        let mut reader = GlobalHeapReader::new(img);
        for (id, data) in &ids {
            assert_eq!(reader.get(*id).unwrap(), data.as_slice());
        }
        assert!(
            ids.iter()
                .map(|i| i.0.collection)
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 1
        );
    }
}
