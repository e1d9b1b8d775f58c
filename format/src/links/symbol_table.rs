//! Old-style groups (spec III.B symbol table nodes `SNOD`, III.C symbol table entries).
//!
//! An old-style group is a version 1 B-tree (node type 0) whose leaves point to symbol
//! table nodes, plus a local heap holding the link names; soft links keep their target
//! path in the same heap (cache type 2, scratch-pad offset).
//!
//! [`build_group`] / [`build_group_members`] write a whole group: heap, symbol table nodes
//! and B-tree, keyed as libhdf5 keys them (key 0 is the empty string at heap offset 0, key
//! `i + 1` the last name of node `i`).

use crate::btree::v1::build_tree;
use crate::datatype::CharacterSet;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::heap::local::{LocalHeap, LocalHeapBuilder};
use crate::io::PutLe;
use crate::io::{Addr, Cursor, FileImage, Sizes};
use crate::messages::link::{Link, LinkTarget};
use crate::messages::symbol_table::SymbolTableMessage;

/// Structure name used in errors about entries.
const ENTRY: &str = "symbol table entry";

/// A symbol table entry (spec III.C).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the name in the group's local heap.
    pub name_offset: u64,
    /// Object header address.
    pub object_header: Option<Addr>,
    /// Cache type: 0 none, 1 group (scratch holds B-tree and heap), 2 soft link.
    pub cache_type: u32,
    /// The 16-byte scratch pad.
    pub scratch: [u8; 16],
}

impl SymbolTableEntry {
    /// Decode one entry.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let name_offset = c.length()?;
        let object_header = c.addr()?;
        let cache_type = c.u32()?;
        c.skip(4)?;
        let scratch = c.array()?;
        Ok(SymbolTableEntry {
            name_offset,
            object_header,
            cache_type,
            scratch,
        })
    }

    /// Encode the entry (the inverse of [`SymbolTableEntry::parse`]): name offset, object
    /// header address, cache type, four reserved bytes and the scratch pad.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let mut out =
            Vec::with_capacity(usize::from(sizes.length) + usize::from(sizes.offset) + 24);
        out.put_length(self.name_offset, sizes)?;
        out.put_addr(self.object_header, sizes)?;
        out.put_u32(self.cache_type);
        out.put_u32(0);
        out.extend_from_slice(&self.scratch);
        Ok(out)
    }
}

/// The links of an old-style group, in name order (hard links; soft links from cache type 2).
///
/// Names and soft-link values come from the group's local heap and must be UTF-8; an
/// entry with an unknown cache type or (for hard links) an undefined object header
/// address is a corruption error.
pub fn read_links(img: &FileImage<'_>, msg: &SymbolTableMessage) -> Result<Vec<Link>> {
    let heap = LocalHeap::parse(img, msg.heap)?;
    let entries = crate::btree::v1::group_entries_at(img, msg.btree)?;
    let mut links = Vec::with_capacity(entries.len());
    for (at, entry) in entries {
        let name = heap_string(&heap, entry.name_offset, "link name")?;
        let target = match entry.cache_type {
            0 | 1 => match entry.object_header {
                Some(addr) => LinkTarget::Hard(addr),
                None => {
                    return Err(Error::corrupt(
                        ENTRY,
                        at,
                        format!("hard link {name:?} has an undefined object header address"),
                    ))
                }
            },
            2 => {
                let [a, b, c, d, ..] = entry.scratch;
                let offset = u32::from_le_bytes([a, b, c, d]);
                LinkTarget::Soft(heap_string(&heap, u64::from(offset), "soft link value")?)
            }
            other => {
                return Err(Error::corrupt(
                    ENTRY,
                    at,
                    format!("unknown cache type {other} for link {name:?}"),
                ))
            }
        };
        links.push(Link {
            name,
            charset: CharacterSet::Ascii,
            creation_order: None,
            target,
        });
    }
    Ok(links)
}

/// The UTF-8 string at `offset` in the local heap.
fn heap_string(heap: &LocalHeap<'_>, offset: u64, what: &str) -> Result<String> {
    let bytes = heap.string_at(offset)?;
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        Error::corrupt(
            "local heap data segment",
            heap.data_offset.saturating_add(offset),
            format!("{what} is not valid UTF-8: {e}"),
        )
    })
}

/// One member of an old-style group being built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupMember {
    /// A symbol table entry (cache type 0 or 1); its name offset is assigned by the builder.
    Entry(SymbolTableEntry),
    /// A soft link to this path (cache type 2; the value is stored in the group's heap).
    Soft(String),
}

/// Build a whole old-style group from `entries` (name and entry, any order; the name
/// offsets are assigned here): the local heap of names (its header at `heap_at` when
/// given, rewriting an existing heap in place), symbol table nodes of up to `2 x leaf_k`
/// entries in name order, and the v1 B-tree (node type 0, `2 x internal_k` children per
/// node) over them, its root at `btree_root_at` when given. Soft-link entries (cache type
/// 2) must go through [`build_group_members`], which stores their values.
pub fn build_group(
    entries: &[(String, SymbolTableEntry)],
    leaf_k: u16,
    internal_k: u16,
    btree_root_at: Option<Addr>,
    heap_at: Option<Addr>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<SymbolTableMessage> {
    if entries.iter().any(|(_, e)| e.cache_type == 2) {
        return Err(Error::Invalid(
            "soft-link symbol table entries need their values: use build_group_members".into(),
        ));
    }
    let members: Vec<(String, GroupMember)> = entries
        .iter()
        .map(|(n, e)| (n.clone(), GroupMember::Entry(e.clone())))
        .collect();
    build_group_members(
        &members,
        leaf_k,
        internal_k,
        btree_root_at,
        heap_at,
        space,
        emit,
    )
}

/// [`build_group`] for members that may be soft links.
pub fn build_group_members(
    members: &[(String, GroupMember)],
    leaf_k: u16,
    internal_k: u16,
    btree_root_at: Option<Addr>,
    heap_at: Option<Addr>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<SymbolTableMessage> {
    build_group_members_with(
        members,
        (leaf_k, internal_k),
        (btree_root_at, heap_at),
        LocalHeapBuilder::new(),
        space,
        emit,
    )
}

/// [`build_group_members`] with names stored in `heap` (which may hold an existing heap's
/// strings: see [`LocalHeapBuilder::from_existing`]). The heap is emitted before the
/// B-tree, so that when both are rewritten in place the heap header is written first.
pub fn build_group_members_with(
    members: &[(String, GroupMember)],
    (leaf_k, internal_k): (u16, u16),
    (btree_root_at, heap_at): (Option<Addr>, Option<Addr>),
    mut heap: LocalHeapBuilder,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<SymbolTableMessage> {
    if leaf_k == 0 || internal_k == 0 {
        return Err(Error::Invalid("symbol table K of 0".into()));
    }
    let sizes = space.sizes();
    let mut sorted: Vec<&(String, GroupMember)> = members.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if sorted.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
        return Err(Error::Invalid(
            "two group members have the same name".into(),
        ));
    }
    if sorted
        .iter()
        .any(|m| m.0.is_empty() || m.0.as_bytes().contains(&0))
    {
        return Err(Error::Invalid(
            "a group member name is empty or contains NUL".into(),
        ));
    }
    let mut entries = Vec::with_capacity(sorted.len());
    for (name, member) in sorted {
        let name_offset = heap.insert_shared(name.as_bytes());
        let entry = match member {
            GroupMember::Entry(e) => SymbolTableEntry {
                name_offset,
                ..e.clone()
            },
            GroupMember::Soft(value) => {
                let at = u32::try_from(heap.insert_shared(value.as_bytes()))
                    .map_err(|_| Error::LimitExceeded("local heap beyond 4 GiB".into()))?;
                let mut scratch = [0u8; 16];
                for (d, s) in scratch.iter_mut().zip(at.to_le_bytes()) {
                    *d = s;
                }
                SymbolTableEntry {
                    name_offset,
                    object_header: None,
                    cache_type: 2,
                    scratch,
                }
            }
        };
        entries.push(entry);
    }
    // Symbol table nodes, filled evenly.
    let cap = 2 * usize::from(leaf_k);
    let nodes = entries.len().div_ceil(cap);
    let entry_size = 24 + usize::from(sizes.offset) + usize::from(sizes.length);
    let snod_size = 8 + cap * entry_size;
    let mut items = Vec::with_capacity(nodes);
    let mut start = 0;
    let key = |offset: u64| -> Result<Vec<u8>> {
        let mut k = Vec::new();
        k.put_length(offset, sizes)?;
        Ok(k)
    };
    let mut left_key = 0u64;
    for j in 0..nodes {
        let end = entries.len() * (j + 1) / nodes;
        let part = entries.get(start..end).unwrap_or_default();
        let mut b = Vec::with_capacity(snod_size);
        b.extend_from_slice(b"SNOD\x01\0");
        b.put_uint(part.len() as u64, 2)?;
        for e in part {
            b.extend_from_slice(&e.encode(sizes)?);
        }
        b.resize(snod_size, 0);
        let addr = space.alloc(snod_size as u64)?;
        emit.put(addr, b);
        items.push((key(left_key)?, addr));
        left_key = part.last().map_or(0, |e| e.name_offset);
        start = end;
    }
    // The heap first: see the function docs.
    let mut tree_emit = Emit::default();
    let btree = build_tree(
        0,
        internal_k,
        usize::from(sizes.length),
        items,
        key(left_key)?,
        btree_root_at,
        space,
        &mut tree_emit,
    )?;
    let heap = heap.write(heap_at, space, emit)?;
    emit.blocks.extend(tree_emit.blocks);
    Ok(SymbolTableMessage { btree, heap })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::emit::MemSpace;
    use crate::io::Sizes;

    fn hard(addr: u64) -> SymbolTableEntry {
        SymbolTableEntry {
            name_offset: 0,
            object_header: Some(Addr(addr)),
            cache_type: 0,
            scratch: [0; 16],
        }
    }

    #[test]
    fn built_groups_read_back() {
        for n in [0usize, 1, 7, 8, 9, 300, 1000] {
            for sizes in [
                Sizes::default(),
                Sizes {
                    offset: 4,
                    length: 4,
                },
            ] {
                let mut members: Vec<(String, GroupMember)> = (0..n)
                    .rev()
                    .map(|i| (format!("m{i}"), GroupMember::Entry(hard(1000 + i as u64))))
                    .collect();
                if n > 3 {
                    members.push(("zsoft".into(), GroupMember::Soft("/m1".into())));
                }
                let mut space = MemSpace::new(sizes, 0);
                let mut emit = Emit::default();
                let msg = build_group_members(&members, 4, 16, None, None, &mut space, &mut emit)
                    .unwrap();
                space.apply(&emit).unwrap();
                let links = read_links(&space.image(), &msg).unwrap();
                let mut want: Vec<(String, LinkTarget)> = members
                    .iter()
                    .map(|(name, m)| {
                        let t = match m {
                            GroupMember::Entry(e) => LinkTarget::Hard(e.object_header.unwrap()),
                            GroupMember::Soft(v) => LinkTarget::Soft(v.clone()),
                        };
                        (name.clone(), t)
                    })
                    .collect();
                want.sort_by(|a, b| a.0.cmp(&b.0));
                let got: Vec<(String, LinkTarget)> =
                    links.into_iter().map(|l| (l.name, l.target)).collect();
                assert_eq!(got, want, "{n} members");
            }
        }
    }

    #[test]
    fn group_rebuilt_in_place_and_bad_input() {
        let entries: Vec<(String, SymbolTableEntry)> = (0..50)
            .map(|i| (format!("g{i:02}"), hard(500 + i)))
            .collect();
        let mut space = MemSpace::new(Sizes::default(), 4096);
        let mut emit = Emit::default();
        // A root node of K 16 needs 8 + 16 + 32 * 8 + 33 * 8 = 544 bytes; a heap header 32.
        let msg = build_group(
            &entries,
            4,
            16,
            Some(Addr(1000)),
            Some(Addr(64)),
            &mut space,
            &mut emit,
        )
        .unwrap();
        assert_eq!((msg.btree, msg.heap), (Addr(1000), Addr(64)));
        space.apply(&emit).unwrap();
        let names: Vec<String> = read_links(&space.image(), &msg)
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(
            names,
            entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        );
        let mut emit = Emit::default();
        let dup = vec![("a".to_string(), hard(1)), ("a".to_string(), hard(2))];
        assert!(build_group(&dup, 4, 16, None, None, &mut space, &mut emit).is_err());
        let mut soft = hard(1);
        soft.cache_type = 2;
        let soft = vec![("a".to_string(), soft)];
        assert!(build_group(&soft, 4, 16, None, None, &mut space, &mut emit).is_err());
    }

    const UNDEF: u64 = u64::MAX;

    /// (name offset, header address, cache type, scratch pad) of a test entry.
    type Entry = (u64, u64, u32, [u8; 16]);

    /// A minimal old-style group: local heap, one SNOD, one leaf B-tree node.
    /// `entries` are (name, header address, cache type, scratch).
    fn group(heap_data: &[u8], entries: &[Entry]) -> (Vec<u8>, SymbolTableMessage) {
        let mut b = vec![0u8; 64];
        let heap = b.len() as u64;
        b.extend_from_slice(b"HEAP\0\0\0\0");
        b.extend_from_slice(&(heap_data.len() as u64).to_le_bytes());
        b.extend_from_slice(&UNDEF.to_le_bytes());
        b.extend_from_slice(&(heap + 32).to_le_bytes());
        b.extend_from_slice(heap_data);
        let snod = b.len() as u64;
        b.extend_from_slice(b"SNOD\x01\0");
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (name, header, cache, scratch) in entries {
            b.extend_from_slice(&name.to_le_bytes());
            b.extend_from_slice(&header.to_le_bytes());
            b.extend_from_slice(&cache.to_le_bytes());
            b.extend_from_slice(&[0; 4]);
            b.extend_from_slice(scratch);
        }
        let btree = b.len() as u64;
        b.extend_from_slice(b"TREE\0\0\x01\0");
        b.extend_from_slice(&UNDEF.to_le_bytes());
        b.extend_from_slice(&UNDEF.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&snod.to_le_bytes());
        b.extend_from_slice(&8u64.to_le_bytes());
        (
            b,
            SymbolTableMessage {
                btree: Addr(btree),
                heap: Addr(heap),
            },
        )
    }

    fn scratch_offset(o: u32) -> [u8; 16] {
        let mut s = [0; 16];
        s[..4].copy_from_slice(&o.to_le_bytes());
        s
    }

    const HEAP: &[u8] = b"\0\0\0\0\0\0\0\0a\0\0\0\0\0\0\0b\0\0\0\0\0\0\0/x/y\0\0\0\0";

    #[test]
    fn hard_and_soft_links() {
        let (b, msg) = group(
            HEAP,
            &[(8, 500, 0, [0; 16]), (16, UNDEF, 2, scratch_offset(24))],
        );
        let img = FileImage::new(&b, 0, Sizes::default());
        let links = read_links(&img, &msg).unwrap();
        assert_eq!(
            links,
            vec![
                Link {
                    name: "a".into(),
                    charset: CharacterSet::Ascii,
                    creation_order: None,
                    target: LinkTarget::Hard(Addr(500)),
                },
                Link {
                    name: "b".into(),
                    charset: CharacterSet::Ascii,
                    creation_order: None,
                    target: LinkTarget::Soft("/x/y".into()),
                },
            ]
        );
    }

    #[test]
    fn bad_entries_are_corrupt() {
        let cases: [&[Entry]; 4] = [
            &[(8, UNDEF, 0, [0; 16])],            // hard link without a header
            &[(8, 500, 3, [0; 16])],              // unknown cache type
            &[(8, UNDEF, 2, scratch_offset(99))], // soft link value outside the heap
            &[(200, 500, 0, [0; 16])],            // name outside the heap
        ];
        for (i, entries) in cases.iter().enumerate() {
            let (b, msg) = group(HEAP, entries);
            let img = FileImage::new(&b, 0, Sizes::default());
            assert!(read_links(&img, &msg).is_err(), "case {i}");
        }
        // Invalid UTF-8 in a name.
        let (b, msg) = group(
            b"\0\0\0\0\0\0\0\0\xff\xfe\0\0\0\0\0\0",
            &[(8, 500, 0, [0; 16])],
        );
        let img = FileImage::new(&b, 0, Sizes::default());
        let err = read_links(&img, &msg).unwrap_err().to_string();
        assert!(err.contains("UTF-8") && err.contains("offset 104"), "{err}");
        // A name running off the end of the heap.
        let (b, msg) = group(b"\0\0\0\0\0\0\0\0abc", &[(8, 500, 0, [0; 16])]);
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(read_links(&img, &msg).is_err());
    }

    #[test]
    fn truncated_groups_fail_cleanly() {
        let (b, msg) = group(
            HEAP,
            &[(8, 500, 0, [0; 16]), (16, UNDEF, 2, scratch_offset(24))],
        );
        for n in 0..b.len() {
            let img = FileImage::new(&b[..n], 0, Sizes::default());
            assert!(read_links(&img, &msg).is_err(), "truncated to {n}");
        }
    }

    #[test]
    fn real_old_style_groups() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/v1/");
        let bytes = std::fs::read(format!("{dir}groups.h5")).unwrap();
        let exp: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{dir}expected.json")).unwrap()).unwrap();
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let mut soft = 0;
        for (name, g) in exp["groups.h5"]["groups"].as_object().unwrap() {
            let msg = SymbolTableMessage {
                btree: Addr(g["btree"].as_u64().unwrap()),
                heap: Addr(g["heap"].as_u64().unwrap()),
            };
            let links = read_links(&img, &msg).unwrap();
            let members = g["members"].as_array().unwrap();
            assert_eq!(links.len(), members.len(), "{name}");
            for (link, m) in links.iter().zip(members) {
                assert_eq!(link.name, m["name"].as_str().unwrap());
                assert_eq!(link.charset, CharacterSet::Ascii);
                assert_eq!(link.creation_order, None);
                let want = match m.get("soft") {
                    Some(path) => {
                        soft += 1;
                        LinkTarget::Soft(path.as_str().unwrap().to_string())
                    }
                    None => LinkTarget::Hard(Addr(m["hard"].as_u64().unwrap())),
                };
                assert_eq!(link.target, want, "{name}/{}", link.name);
            }
        }
        assert_eq!(soft, 3);

        let root = &exp["groups.h5"]["root"];
        let msg = SymbolTableMessage {
            btree: Addr(root["btree"].as_u64().unwrap()),
            heap: Addr(root["heap"].as_u64().unwrap()),
        };
        let names: Vec<String> = read_links(&img, &msg)
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(names, ["g0", "g1", "g40", "g5", "soft", "target"]);
    }
}
