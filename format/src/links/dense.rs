//! Dense storage of links (Link Info message, spec IV.A.2.c) and attributes (Attribute Info
//! message, spec IV.A.2.v): the messages live in a fractal heap (spec III.G), indexed by name
//! hash (v2 B-tree record types 5 and 8, spec III.A.2) and, optionally, creation order
//! (types 6 and 9).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::btree::v2::{self as bt2, AttributeNameRecord, LinkNameRecord};
use crate::checksum;
use crate::error::{Error, Result};
use crate::heap::fractal::FractalHeap;
use crate::io::{Addr, Cursor, FileImage};
use crate::messages::attribute::AttributeMessage;
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::link::Link;
use crate::messages::link_info::LinkInfo;

/// One message stored densely: the raw bytes fetched from the fractal heap and what the
/// name-index record says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseObject<'a> {
    /// The heap ID from the name-index record.
    pub heap_id: Vec<u8>,
    /// The name hash from the record (lookup3 of the name).
    pub hash: u32,
    /// Creation order from the record (attributes only; links carry it in the message).
    pub creation_order: Option<u32>,
    /// Object header message flags from the record (attributes only, else 0).
    pub flags: u8,
    /// Absolute file offset of the message bytes.
    pub offset: u64,
    /// The encoded message (a Link message or an Attribute message).
    pub bytes: Cow<'a, [u8]>,
}

impl DenseObject<'_> {
    /// A cursor over the message bytes, reporting errors as `structure`.
    pub fn cursor(&self, img: &FileImage<'_>, structure: &'static str) -> Cursor<'_> {
        Cursor::new(&self.bytes, self.offset, img.sizes(), structure)
    }
}

/// Check that a B-tree holds the expected record type.
fn expect_type(img: &FileImage<'_>, addr: Addr, got: u8, want: u8) -> Result<()> {
    if got != want {
        return Err(Error::corrupt(
            "v2 B-tree header",
            img.absolute(addr),
            format!("record type {got}, expected {want}"),
        ));
    }
    Ok(())
}

/// The raw Link messages of a dense group, in name-index (hash) order. A group whose Link Info
/// message has no fractal heap stores its links compactly: the result is empty.
pub fn link_objects<'a>(img: &FileImage<'a>, info: &LinkInfo) -> Result<Vec<DenseObject<'a>>> {
    let (Some(heap_addr), Some(index)) = (info.fractal_heap, info.name_index) else {
        return Ok(Vec::new());
    };
    let heap = FractalHeap::parse(img, heap_addr)?;
    let (header, records) = bt2::raw_records(img, index)?;
    expect_type(img, index, header.record_type, 5)?;
    let mut seen = HashSet::new();
    records
        .iter()
        .map(|r| {
            let rec = LinkNameRecord::decode(r)?;
            once(&mut seen, rec.heap_id, r.offset)?;
            // The heap ID follows the 4-byte hash.
            let (bytes, offset) = heap.get_located(rec.heap_id, r.offset.saturating_add(4))?;
            Ok(DenseObject {
                heap_id: rec.heap_id.to_vec(),
                hash: rec.hash,
                creation_order: None,
                flags: 0,
                offset,
                bytes,
            })
        })
        .collect()
}

/// The raw Attribute messages of an object with dense attribute storage, in name-index (hash)
/// order. Without a fractal heap the attributes are compact: the result is empty.
pub fn attribute_objects<'a>(
    img: &FileImage<'a>,
    info: &AttributeInfo,
) -> Result<Vec<DenseObject<'a>>> {
    let (Some(heap_addr), Some(index)) = (info.fractal_heap, info.name_index) else {
        return Ok(Vec::new());
    };
    let heap = FractalHeap::parse(img, heap_addr)?;
    let (header, records) = bt2::raw_records(img, index)?;
    expect_type(img, index, header.record_type, 8)?;
    let mut seen = HashSet::new();
    records
        .iter()
        .map(|r| {
            let rec = AttributeNameRecord::decode(r)?;
            once(&mut seen, rec.heap_id, r.offset)?;
            let (bytes, offset) = attribute_bytes(img, &heap, rec.heap_id, r.offset, rec.flags)?;
            Ok(DenseObject {
                heap_id: rec.heap_id.to_vec(),
                hash: rec.hash,
                creation_order: Some(rec.creation_order),
                flags: rec.flags,
                offset,
                bytes,
            })
        })
        .collect()
}

/// Fail when a second name-index record names the same heap object: each link or
/// attribute is an object of its own, and repeats would let a small file expand into many
/// copies of its largest object.
fn once<'a>(seen: &mut HashSet<&'a [u8]>, heap_id: &'a [u8], offset: u64) -> Result<()> {
    if seen.insert(heap_id) {
        return Ok(());
    }
    Err(Error::corrupt(
        "v2 B-tree name record",
        offset,
        "names the same heap object as an earlier record",
    ))
}

/// Check a decoded name against the hash stored in its index record.
fn check_hash(structure: &'static str, obj: &DenseObject<'_>, name: &str) -> Result<()> {
    let computed = checksum::metadata(name.as_bytes());
    if computed != obj.hash {
        return Err(Error::corrupt(
            structure,
            obj.offset,
            format!(
                "name {name:?} hashes to {computed:#010x} but its index record says {:#010x}",
                obj.hash
            ),
        ));
    }
    Ok(())
}

/// All links of a dense group (unordered; callers sort by name or creation order).
pub fn dense_links(img: &FileImage<'_>, info: &LinkInfo) -> Result<Vec<Link>> {
    link_objects(img, info)?
        .iter()
        .map(|obj| {
            let link = Link::parse(&mut obj.cursor(img, "dense link message"))?;
            check_hash("dense link message", obj, &link.name)?;
            Ok(link)
        })
        .collect()
}

/// All attributes in dense storage, each with its creation order.
pub fn dense_attributes(
    img: &FileImage<'_>,
    info: &AttributeInfo,
) -> Result<Vec<(u32, AttributeMessage)>> {
    attribute_objects(img, info)?
        .iter()
        .map(|obj| {
            let msg = AttributeMessage::parse(&mut obj.cursor(img, "dense attribute message"))?;
            check_hash("dense attribute message", obj, &msg.name)?;
            // `attribute_objects` gives every attribute its record's creation order.
            Ok((obj.creation_order.unwrap_or(0), msg))
        })
        .collect()
}

/// The link called `name` in a dense group, found through the name index: only one
/// root-to-leaf path of the B-tree and one heap object per candidate are read.
pub fn find_link(img: &FileImage<'_>, info: &LinkInfo, name: &str) -> Result<Option<Link>> {
    let (Some(heap), Some(index)) = (info.fractal_heap, info.name_index) else {
        return Ok(None);
    };
    let found = find_named(
        img,
        (heap, index),
        name,
        |r| {
            let rec = LinkNameRecord::decode(r)?;
            // The heap ID follows the 4-byte hash.
            Ok((rec.hash, rec.heap_id, r.offset.saturating_add(4), ()))
        },
        (
            |heap: &FractalHeap<'_>, id: &[u8], at: u64, _: &()| {
                let (bytes, offset) = heap.get_located(id, at)?;
                Link::parse(&mut Cursor::new(
                    &bytes,
                    offset,
                    img.sizes(),
                    "dense link message",
                ))
            },
            |l: &Link| l.name.as_str(),
        ),
    )?;
    Ok(found.map(|((), link)| link))
}

/// The attribute called `name` in dense storage, with its creation order, found through
/// the name index.
pub fn find_attribute(
    img: &FileImage<'_>,
    info: &AttributeInfo,
    name: &str,
) -> Result<Option<(u32, AttributeMessage)>> {
    let (Some(heap), Some(index)) = (info.fractal_heap, info.name_index) else {
        return Ok(None);
    };
    find_named(
        img,
        (heap, index),
        name,
        |r| {
            let rec = AttributeNameRecord::decode(r)?;
            Ok((
                rec.hash,
                rec.heap_id,
                r.offset,
                (rec.creation_order, rec.flags),
            ))
        },
        (
            |heap: &FractalHeap<'_>, id: &[u8], at: u64, (_, flags): &(u32, u8)| {
                let (bytes, offset) = attribute_bytes(img, heap, id, at, *flags)?;
                AttributeMessage::parse(&mut Cursor::new(
                    &bytes,
                    offset,
                    img.sizes(),
                    "dense attribute message",
                ))
            },
            |a: &AttributeMessage| a.name.as_str(),
        ),
    )
    .map(|found| found.map(|((order, _), msg)| (order, msg)))
}

/// The encoded attribute message a name-index record points at, and its file offset: in
/// the object's dense heap, or, when the record's message flags say it is shared (bit 1), in
/// the shared object header message heap, whose heap ID the record then holds (libhdf5's
/// `H5A__dense_insert` stores that ID instead of copying the message).
fn attribute_bytes<'a>(
    img: &FileImage<'a>,
    heap: &FractalHeap<'a>,
    id: &[u8],
    id_offset: u64,
    flags: u8,
) -> Result<(Cow<'a, [u8]>, u64)> {
    if flags & 0x02 == 0 {
        return heap.get_located(id, id_offset);
    }
    let id: [u8; 8] = id.try_into().map_err(|_| {
        Error::corrupt(
            "v2 B-tree attribute name record",
            id_offset,
            format!("shared attribute heap ID of {} bytes, not 8", id.len()),
        )
    })?;
    let shared = crate::messages::shared::SharedRef::SohmHeap(id);
    Ok((
        crate::sohm::resolve(img, crate::messages::kind::ATTRIBUTE, &shared)?,
        id_offset,
    ))
}

/// What a name-index record gives: the name's hash, the heap ID, the heap ID's file offset,
/// and what the caller keeps with the object found.
type NameRecord<'r, K> = (u32, &'r [u8], u64, K);

/// The object called `name` in the dense storage with fractal heap `heap` and name index
/// `index`: `record` decodes an index record, `parse` fetches and decodes the object it
/// names (from the heap, the heap ID, the ID's file offset and what the record keeps) and
/// `name_of` gives its name.
#[allow(clippy::type_complexity)]
fn find_named<'a, K, T>(
    img: &FileImage<'a>,
    (heap, index): (Addr, Addr),
    name: &str,
    record: impl for<'r> Fn(&bt2::RawRecord<'r>) -> Result<NameRecord<'r, K>>,
    (parse, name_of): (
        impl Fn(&FractalHeap<'a>, &[u8], u64, &K) -> Result<T>,
        impl Fn(&T) -> &str,
    ),
) -> Result<Option<(K, T)>> {
    let heap = FractalHeap::parse(img, heap)?;
    let hash = checksum::metadata(name.as_bytes());
    let mut found = None;
    bt2::find(img, index, |r| {
        let (record_hash, heap_id, id_offset, keep) = record(r)?;
        match record_hash.cmp(&hash) {
            std::cmp::Ordering::Equal => {
                let object = parse(&heap, heap_id, id_offset, &keep)?;
                let order = name_of(&object).as_bytes().cmp(name.as_bytes());
                if order == std::cmp::Ordering::Equal {
                    found = Some((keep, object));
                }
                Ok(order)
            }
            other => Ok(other),
        }
    })?;
    Ok(found)
}

pub mod build;

#[cfg(test)]
mod tests;
