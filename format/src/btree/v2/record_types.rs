//! Typed decoders for the v2 B-tree record layouts (spec III.A.2, "Version 2 B-tree, Type N
//! Record Layout"; types 10 and 11 also in Appendix C).

use super::RawRecord;
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Sizes};

/// Record type 1: an indirectly accessed, unfiltered "huge" fractal heap object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HugeObjectRecord {
    /// Address of the object's bytes.
    pub addr: Addr,
    /// Length of the object in bytes.
    pub length: u64,
    /// The object's huge-object ID (the key of the tree).
    pub id: u64,
}

impl HugeObjectRecord {
    /// Decode a type-1 record.
    pub fn decode(rec: &RawRecord<'_>, sizes: Sizes) -> Result<Self> {
        let mut c = rec.cursor(sizes, "v2 B-tree huge object record");
        Ok(HugeObjectRecord {
            addr: c.addr_required("huge object")?,
            length: c.length()?,
            id: c.length()?,
        })
    }

    /// Encode as a type-1 record (address, length, ID).
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        v.put_addr(Some(self.addr), sizes)?;
        v.put_length(self.length, sizes)?;
        v.put_length(self.id, sizes)?;
        Ok(v)
    }
}

/// Record type 5: a link in an indexed group, keyed by the hash of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkNameRecord<'a> {
    /// Jenkins lookup3 hash of the link name.
    pub hash: u32,
    /// Heap ID of the link message in the group's fractal heap (7 bytes as libhdf5 writes).
    pub heap_id: &'a [u8],
}

impl<'a> LinkNameRecord<'a> {
    /// Decode a type-5 record: 4-byte hash, then the heap ID (the rest of the record).
    pub fn decode(rec: &RawRecord<'a>) -> Result<Self> {
        let mut c = rec.cursor(Sizes::default(), "v2 B-tree link name record");
        let hash = c.u32()?;
        Ok(LinkNameRecord {
            hash,
            heap_id: c.rest(),
        })
    }

    /// Encode as a type-5 record: hash, then the heap ID.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.hash.to_le_bytes().to_vec();
        v.extend_from_slice(self.heap_id);
        v
    }
}

/// Record type 6: a link in an indexed group, keyed by creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkOrderRecord<'a> {
    /// The link's creation order.
    pub creation_order: u64,
    /// Heap ID of the link message in the group's fractal heap.
    pub heap_id: &'a [u8],
}

impl<'a> LinkOrderRecord<'a> {
    /// Decode a type-6 record: 8-byte creation order, then the heap ID.
    pub fn decode(rec: &RawRecord<'a>) -> Result<Self> {
        let mut c = rec.cursor(Sizes::default(), "v2 B-tree link creation order record");
        let creation_order = c.u64()?;
        Ok(LinkOrderRecord {
            creation_order,
            heap_id: c.rest(),
        })
    }

    /// Encode as a type-6 record: creation order, then the heap ID.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.creation_order.to_le_bytes().to_vec();
        v.extend_from_slice(self.heap_id);
        v
    }
}

/// Record type 8: a densely stored attribute, keyed by the hash of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeNameRecord<'a> {
    /// Heap ID of the attribute message in the object's attribute fractal heap (8 bytes).
    pub heap_id: &'a [u8],
    /// The object header message flags of the attribute message.
    pub flags: u8,
    /// The attribute's creation order.
    pub creation_order: u32,
    /// Jenkins lookup3 hash of the attribute name.
    pub hash: u32,
}

impl<'a> AttributeNameRecord<'a> {
    /// Decode a type-8 record: heap ID, 1-byte flags, 4-byte creation order, 4-byte hash.
    pub fn decode(rec: &RawRecord<'a>) -> Result<Self> {
        let mut c = rec.cursor(Sizes::default(), "v2 B-tree attribute name record");
        let id_len =
            rec.bytes.len().checked_sub(9).ok_or_else(|| {
                c.error(format!("record of {} bytes is too short", rec.bytes.len()))
            })?;
        let heap_id = c.take(id_len)?;
        Ok(AttributeNameRecord {
            heap_id,
            flags: c.u8()?,
            creation_order: c.u32()?,
            hash: c.u32()?,
        })
    }

    /// Encode as a type-8 record: heap ID, flags, creation order, hash.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.heap_id.to_vec();
        v.push(self.flags);
        v.extend_from_slice(&self.creation_order.to_le_bytes());
        v.extend_from_slice(&self.hash.to_le_bytes());
        v
    }
}

/// Record type 9: a densely stored attribute, keyed by creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeOrderRecord<'a> {
    /// Heap ID of the attribute message in the object's attribute fractal heap (8 bytes).
    pub heap_id: &'a [u8],
    /// The object header message flags of the attribute message.
    pub flags: u8,
    /// The attribute's creation order.
    pub creation_order: u32,
}

impl<'a> AttributeOrderRecord<'a> {
    /// Decode a type-9 record: heap ID, 1-byte flags, 4-byte creation order.
    pub fn decode(rec: &RawRecord<'a>) -> Result<Self> {
        let mut c = rec.cursor(
            Sizes::default(),
            "v2 B-tree attribute creation order record",
        );
        let id_len =
            rec.bytes.len().checked_sub(5).ok_or_else(|| {
                c.error(format!("record of {} bytes is too short", rec.bytes.len()))
            })?;
        let heap_id = c.take(id_len)?;
        Ok(AttributeOrderRecord {
            heap_id,
            flags: c.u8()?,
            creation_order: c.u32()?,
        })
    }

    /// Encode as a type-9 record: heap ID, flags, creation order.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.heap_id.to_vec();
        v.push(self.flags);
        v.extend_from_slice(&self.creation_order.to_le_bytes());
        v
    }
}

/// Record types 10 (unfiltered) and 11 (filtered): one chunk of a dataset indexed by a v2
/// B-tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRecord {
    /// Address of the chunk's stored bytes.
    pub addr: Addr,
    /// Stored size (type 11 only).
    pub size: Option<u64>,
    /// Filter mask (type 11 only; 0 for type 10).
    pub filter_mask: u32,
    /// Scaled offset of the chunk (element offset divided by the chunk dimension), one per
    /// dataset axis, slowest-changing first.
    pub scaled: Vec<u64>,
}

impl ChunkRecord {
    /// Decode a type-10 record (`size_width` = `None`) or a type-11 record whose chunk size
    /// field is `size_width` bytes wide, for a dataset of rank `rank`. The record must be
    /// exactly as long as those fields.
    pub fn decode(
        rec: &RawRecord<'_>,
        sizes: Sizes,
        size_width: Option<usize>,
        rank: usize,
    ) -> Result<Self> {
        let mut c = rec.cursor(sizes, "v2 B-tree chunk record");
        let expected = usize::from(sizes.offset)
            .checked_add(size_width.map_or(0, |w| w.saturating_add(4)))
            .and_then(|n| rank.checked_mul(8).and_then(|s| n.checked_add(s)));
        if expected != Some(rec.bytes.len()) {
            return Err(Error::corrupt(
                "v2 B-tree chunk record",
                rec.offset,
                format!(
                    "record of {} bytes does not match a rank-{rank} chunk record",
                    rec.bytes.len()
                ),
            ));
        }
        let addr = c.addr_required("chunk")?;
        let (size, filter_mask) = match size_width {
            Some(w) => (Some(c.uint(w)?), c.u32()?),
            None => (None, 0),
        };
        let scaled = (0..rank).map(|_| c.u64()).collect::<Result<Vec<_>>>()?;
        Ok(ChunkRecord {
            addr,
            size,
            filter_mask,
            scaled,
        })
    }

    /// Encode as a type-10 record (`size_width` = `None`: address and scaled offsets) or a
    /// type-11 record with a `size_width`-byte stored-size field (address, size, filter
    /// mask, scaled offsets). A type-11 record needs a `size`: without one it is an error.
    pub fn encode(&self, sizes: Sizes, size_width: Option<usize>) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        v.put_addr(Some(self.addr), sizes)?;
        if let Some(w) = size_width {
            let size = self.size.ok_or_else(|| {
                Error::Invalid(format!(
                    "filtered chunk record at {} has no stored size",
                    self.addr
                ))
            })?;
            v.put_uint(size, w)?;
            v.put_u32(self.filter_mask);
        }
        for s in &self.scaled {
            v.put_u64(*s);
        }
        Ok(v)
    }
}
