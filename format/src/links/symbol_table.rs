//! Old-style groups (spec III.B symbol table nodes `SNOD`, III.C symbol table entries).
//!
//! An old-style group is a version 1 B-tree (node type 0) whose leaves point to symbol
//! table nodes, plus a local heap holding the link names; soft links keep their target
//! path in the same heap (cache type 2, scratch-pad offset).

use crate::datatype::CharacterSet;
use crate::error::{Error, Result};
use crate::heap::local::LocalHeap;
use crate::io::{Addr, Cursor, FileImage, Sizes};
use crate::messages::link::{Link, LinkTarget};
use crate::messages::symbol_table::SymbolTableMessage;
use crate::writer::PutLe;

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
    pub fn encode(&self, sizes: Sizes) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(usize::from(sizes.length) + usize::from(sizes.offset) + 24);
        out.put_length(self.name_offset, sizes);
        out.put_addr(self.object_header, sizes);
        out.put_uint(u64::from(self.cache_type), 4);
        out.put_uint(0, 4);
        out.extend_from_slice(&self.scratch);
        out
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::io::Sizes;

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
