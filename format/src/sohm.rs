//! Shared object header messages (SOHM, spec III.E "Shared Object Header Message Table" and
//! IV.A.2.p): with `H5Pset_shared_mesg_*` a file keeps one copy of repeated datatype,
//! dataspace, fill value, filter pipeline and attribute messages in a fractal heap per index;
//! object headers then hold an 8-byte heap ID (a shared message of type 1) instead of the
//! message.
//!
//! The master table is found through the superblock extension's Shared Message Table message.
//! Each index names the message types it tracks, the fractal heap holding their bodies and a
//! list (`SMLI`) or v2 B-tree (record type 7) of the messages; reading a message needs only the
//! heap, the indexes are walked by `jangada check`.

use std::borrow::Cow;

use crate::btree::v2 as bt2;
use crate::checksum;
use crate::error::{Error, Result};
use crate::heap::fractal::FractalHeap;
use crate::io::{Addr, FileImage};
use crate::messages::kind;
use crate::messages::shared::SharedRef;
use crate::object_header::ObjectHeader;

/// Where the master table is (from the Shared Message Table message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SohmRef {
    /// Address of the `SMTB` table.
    pub table: Addr,
    /// Number of indexes in it.
    pub indexes: u8,
}

/// One index of the master table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SohmIndex {
    /// 0: a list (`SMLI`), 1: a v2 B-tree.
    pub index_type: u8,
    /// Message types tracked: bit `1 << type` for the dataspace (1), datatype (3), fill
    /// value (5), filter pipeline (11) and attribute (12) messages.
    pub type_flags: u16,
    /// Messages smaller than this are not shared.
    pub min_size: u32,
    /// Most messages a list holds (its block has room for this many records).
    pub list_cutoff: u16,
    /// Messages tracked.
    pub messages: u16,
    /// The list or B-tree.
    pub index: Option<Addr>,
    /// The fractal heap holding the messages.
    pub heap: Option<Addr>,
}

/// The SOHM table of a file whose superblock extension is at `extension`, if it has one.
pub fn find_table(img: &FileImage<'_>, extension: Option<Addr>) -> Result<Option<SohmRef>> {
    let Some(ext) = extension else {
        return Ok(None);
    };
    let header = ObjectHeader::parse(img, ext)?;
    let Some(msg) = header.find(kind::SHARED_TABLE) else {
        return Ok(None);
    };
    let mut c = msg.cursor(img, "shared message table message");
    let version = c.u8()?;
    if version != 0 {
        return Err(Error::Unsupported(format!(
            "shared message table message version {version} at byte offset {}",
            msg.offset
        )));
    }
    let table = c.addr_required("shared object header message table")?;
    let indexes = c.u8()?;
    if indexes == 0 || indexes > MAX_INDEXES {
        return Err(c.error(format!(
            "{indexes} shared message indexes (1 to {MAX_INDEXES})"
        )));
    }
    Ok(Some(SohmRef { table, indexes }))
}

/// libhdf5's limit on indexes (`H5O_SHMESG_MAX_NINDEXES`).
const MAX_INDEXES: u8 = 8;

/// Decode the master table.
pub fn parse_table(img: &FileImage<'_>, r: SohmRef) -> Result<Vec<SohmIndex>> {
    let sizes = img.sizes();
    let entry = 14 + 2 * u64::from(sizes.offset);
    let len = 4 + entry * u64::from(r.indexes) + 4;
    let mut c = img.cursor(r.table, len, "shared object header message table")?;
    c.signature(b"SMTB")?;
    let mut out = Vec::with_capacity(usize::from(r.indexes));
    for _ in 0..r.indexes {
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("index version {version} (only 0 is defined)")));
        }
        let index_type = c.u8()?;
        if index_type > 1 {
            return Err(c.error(format!(
                "index type {index_type} is not 0 (list) or 1 (B-tree)"
            )));
        }
        let type_flags = c.u16()?;
        let min_size = c.u32()?;
        let list_cutoff = c.u16()?;
        let _btree_cutoff = c.u16()?;
        let messages = c.u16()?;
        let index = c.addr()?;
        let heap = c.addr()?;
        out.push(SohmIndex {
            index_type,
            type_flags,
            min_size,
            list_cutoff,
            messages,
            index,
            heap,
        });
    }
    checksum::verify_trailing(
        img.slice(r.table, len, "shared object header message table")?,
        "shared object header message table",
        img.absolute(r.table),
    )?;
    Ok(out)
}

/// The index flag bit of a message type, for the types SOHM can share. The spec's table
/// numbers them 0-4, but libhdf5 (`H5SM__type_to_flag`) stores `1 << message type`, with
/// the old fill value message counted as the new one; files carry libhdf5's bits.
fn type_bit(message_kind: u16) -> Option<u16> {
    match message_kind {
        kind::DATASPACE
        | kind::DATATYPE
        | kind::FILL_VALUE
        | kind::FILTER_PIPELINE
        | kind::ATTRIBUTE => Some(1 << message_kind),
        kind::FILL_VALUE_OLD => Some(1 << kind::FILL_VALUE),
        _ => None,
    }
}

/// The body of a message of type `message_kind` that the shared-message reference `r`
/// points at: in another object header (followed through at most 8 further references), or
/// in the SOHM heap of the index tracking that type.
pub fn resolve<'a>(img: &FileImage<'a>, message_kind: u16, r: &SharedRef) -> Result<Cow<'a, [u8]>> {
    let mut r = r.clone();
    for _ in 0..8 {
        match r {
            SharedRef::SohmHeap(id) => return from_heap(img, message_kind, &id),
            SharedRef::ObjectHeader(addr) => {
                let header = ObjectHeader::parse(img, addr)?;
                let msg = header.find(message_kind).ok_or_else(|| {
                    Error::corrupt(
                        "shared message",
                        img.absolute(addr),
                        format!(
                            "the object header it points at has no message of type \
                             {message_kind:#06x}"
                        ),
                    )
                })?;
                if !msg.is_shared() {
                    return Ok(Cow::Borrowed(msg.data));
                }
                r = SharedRef::parse(&mut msg.cursor(img, "shared message"))?;
            }
        }
    }
    Err(Error::corrupt(
        "shared message",
        0,
        "chain of shared message references longer than 8 (cycle?)",
    ))
}

/// The message of type `message_kind` with heap ID `id` in the file's SOHM heaps.
fn from_heap<'a>(img: &FileImage<'a>, message_kind: u16, id: &[u8; 8]) -> Result<Cow<'a, [u8]>> {
    let table = img.sohm().ok_or_else(|| {
        Error::corrupt(
            "shared message",
            0,
            "a message is stored in the shared message heap but the file has no shared \
             message table",
        )
    })?;
    let bit = type_bit(message_kind).ok_or_else(|| {
        Error::corrupt(
            "shared message",
            0,
            format!("message type {message_kind:#06x} cannot be a shared object header message"),
        )
    })?;
    let index = parse_table(img, table)?
        .into_iter()
        .find(|i| i.type_flags & bit != 0)
        .ok_or_else(|| {
            Error::corrupt(
                "shared object header message table",
                img.absolute(table.table),
                format!("no index tracks message type {message_kind:#06x}"),
            )
        })?;
    let heap = index.heap.ok_or_else(|| {
        Error::corrupt(
            "shared object header message table",
            img.absolute(table.table),
            "the index has no fractal heap",
        )
    })?;
    FractalHeap::parse(img, heap)?.get(id)
}

/// The blocks of the SOHM indexes (list blocks and v2 B-tree nodes) and of their heaps, for
/// space accounting.
pub fn extents(img: &FileImage<'_>, r: SohmRef) -> Result<Vec<(Addr, u64, &'static str)>> {
    let sizes = img.sizes();
    let entry = 14 + 2 * u64::from(sizes.offset);
    let mut out = vec![(
        r.table,
        4 + entry * u64::from(r.indexes) + 4,
        "shared object header message table",
    )];
    for index in parse_table(img, r)? {
        if let Some(heap) = index.heap {
            let heap = FractalHeap::parse(img, heap)?;
            out.extend(
                heap.block_extents()?
                    .into_iter()
                    .map(|(a, l)| (a, l, "fractal heap")),
            );
        }
        match (index.index_type, index.index) {
            (0, Some(list)) => {
                out.push((list, list_block(img, list, &index)?, "shared message list"));
            }
            (1, Some(tree)) => {
                for (a, l) in bt2::node_extents(img, tree)? {
                    out.push((a, l, "v2 B-tree"));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The length of the list block at `addr` of `index`, after checking its signature and the
/// checksum that follows its used records. A record is the location byte, the hash and the
/// larger of its two forms (reference count and heap ID, or type, creation index and
/// address); libhdf5 sizes the block for the list cutoff.
fn list_block(img: &FileImage<'_>, addr: Addr, index: &SohmIndex) -> Result<u64> {
    let rec = 5 + 12u64.max(4 + u64::from(img.sizes().offset));
    let used = 4 + rec * u64::from(index.messages);
    let block = img.slice(addr, used + 4, "shared message list")?;
    if block.get(..4) != Some(b"SMLI".as_slice()) {
        return Err(Error::corrupt(
            "shared message list",
            img.absolute(addr),
            "signature is not SMLI",
        ));
    }
    checksum::verify_trailing(block, "shared message list", img.absolute(addr))?;
    Ok((4 + rec * u64::from(index.list_cutoff.max(index.messages)) + 4).max(used + 4))
}
