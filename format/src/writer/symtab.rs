//! Old-style (symbol table) groups in files written by others: reading their entries with
//! soft-link values, and rebuilding them in place (the B-tree root and local heap header
//! keep their addresses, so the caches in parents' entries and the superblock stay valid).

use super::space::FileSpace;
use super::Emit;
use crate::error::Result;
use crate::heap::local::LocalHeap;
use crate::io::{Addr, FileImage};
use crate::links::symbol_table::{build_group_members, GroupMember, SymbolTableEntry};
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
pub fn rebuild_group(
    entries: &[(String, SymbolTableEntry, Option<String>)],
    k: (u16, u16),
    old: SymbolTableMessage,
    space: &mut FileSpace,
    emit: &mut Emit,
) -> Result<SymbolTableMessage> {
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
    build_group_members(
        &members,
        k.0,
        k.1,
        Some(old.btree),
        Some(old.heap),
        space,
        emit,
    )
}
