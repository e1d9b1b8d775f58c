//! Old-style (symbol table) groups in files written by others: reading their entries with
//! soft-link values, and rebuilding them in place (the B-tree root and local heap header
//! keep their addresses, so the caches in parents' entries and the superblock stay valid).

use super::space::FileSpace;
use crate::emit::Emit;
use crate::error::Result;
use crate::heap::local::{LocalHeap, LocalHeapBuilder};
use crate::io::{Addr, FileImage};
use crate::links::symbol_table::{build_group_members_with, GroupMember, SymbolTableEntry};
use crate::messages::symbol_table::SymbolTableMessage;

/// libhdf5's default group B-tree K values (leaf, internal).
pub const DEFAULT_GROUP_K: (u16, u16) = (4, 16);

/// Every entry of an old-style group: name, entry, and the target of soft links.
pub fn read_entries(
    img: &FileImage<'_>,
    msg: &SymbolTableMessage,
) -> Result<Vec<(String, SymbolTableEntry, Option<String>)>> {
    let heap = LocalHeap::parse(img, msg.heap)?;
    let text = |offset: u64| -> Result<String> {
        Ok(String::from_utf8_lossy(heap.string_at(offset)?).into_owned())
    };
    crate::btree::v1::group_entries(img, msg.btree)?
        .into_iter()
        .map(|entry| {
            let name = text(entry.name_offset)?;
            let soft = if entry.cache_type == 2 {
                let offset = u32::from_le_bytes([
                    entry.scratch[0],
                    entry.scratch[1],
                    entry.scratch[2],
                    entry.scratch[3],
                ]);
                Some(text(u64::from(offset))?)
            } else {
                None
            };
            Ok((name, entry, soft))
        })
        .collect()
}

/// An entry for a hard link to the header at `addr` (no cached data).
pub fn hard_entry(addr: Addr) -> SymbolTableEntry {
    SymbolTableEntry {
        name_offset: 0,
        object_header: Some(addr),
        cache_type: 0,
        scratch: [0; 16],
    }
}

/// Rebuild an old-style group from its entries, keeping the B-tree root and heap header
/// addresses of `old`.
///
/// Crash safety: the new local heap starts as a copy of the old one (every name keeps its
/// offset, new names are added after them) and its header is written before the B-tree
/// root: a process killed between the two leaves the old B-tree over a heap that still
/// holds its names, i.e. the old group.
pub fn rebuild_group(
    img: &FileImage<'_>,
    entries: &[(String, SymbolTableEntry, Option<String>)],
    k: (u16, u16),
    old: SymbolTableMessage,
    space: &mut FileSpace,
    emit: &mut Emit,
) -> Result<SymbolTableMessage> {
    let heap = LocalHeap::parse(img, old.heap)?;
    let mut known = Vec::new();
    for (name, entry, soft) in read_entries(img, &old)? {
        known.push((name.into_bytes(), entry.name_offset));
        if let (Some(value), Some(offset)) = (soft, entry.scratch.get(..4)) {
            let offset = offset
                .iter()
                .rev()
                .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
            known.push((value.into_bytes(), offset));
        }
    }
    let members: Vec<(String, GroupMember)> = entries
        .iter()
        .map(|(name, entry, soft)| {
            let member = match soft {
                Some(target) => GroupMember::Soft(target.clone()),
                None => GroupMember::Entry(entry.clone()),
            };
            (name.clone(), member)
        })
        .collect();
    build_group_members_with(
        &members,
        k,
        (Some(old.btree), Some(old.heap)),
        LocalHeapBuilder::from_existing(heap.data, known),
        space,
        emit,
    )
}
