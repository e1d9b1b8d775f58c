//! Version 1 B-trees (spec III.A.1, signature `TREE`): node type 0 indexes a group's symbol
//! table nodes (`SNOD`, spec III.B), node type 1 indexes raw data chunks.
//!
//! A node is the signature, node type, node level, entries used (N), the left and right
//! sibling addresses, then N children interleaved between N+1 keys. Level-0 children are
//! the indexed items (symbol table nodes or chunks); higher levels point to nodes one level
//! down. The walk checks the node type and that levels decrease by exactly one, refuses to
//! visit a node twice (cycles, shared subtrees) and bounds the depth.
//!
//! Writing: [`encode_node`] encodes one node (always its full size, fixed by K), and
//! [`build_tree`] bulk-builds a whole tree over sorted level-0 items, nodes filled evenly,
//! with sibling links on every level.

use std::collections::HashSet;

use crate::chunk_index::{Chunk, IndexParams};
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Cursor, FileImage};
use crate::links::symbol_table::SymbolTableEntry;

/// Structure name used in errors about B-tree nodes.
const NODE: &str = "v1 B-tree node";
/// Structure name used in errors about symbol table nodes.
const SNOD: &str = "symbol table node";

/// Highest node level accepted for a root. Each level multiplies the number of items by
/// at least two, so real trees stay far below this.
pub const MAX_LEVEL: u8 = 48;

/// Node type of group B-trees.
const GROUP_NODE: u8 = 0;
/// Node type of chunk B-trees.
const CHUNK_NODE: u8 = 1;

/// One level-0 record: the key to the left of the child, the child address, and the
/// absolute offset of the key (for errors).
struct Leaf<'a> {
    key: &'a [u8],
    key_offset: u64,
    child: Addr,
}

/// Walk the tree rooted at `root` depth-first, left to right, calling `visit` for every
/// level-0 record in order.
fn walk<'a>(
    img: &FileImage<'a>,
    root: Addr,
    node_type: u8,
    key_size: usize,
    mut visit: impl FnMut(Leaf<'a>) -> Result<()>,
) -> Result<()> {
    let mut visited = HashSet::new();
    // (node address, level required by the parent: None for the root)
    let mut stack: Vec<(Addr, Option<u8>)> = vec![(root, None)];
    while let Some((addr, want_level)) = stack.pop() {
        let at = img.absolute(addr);
        if !visited.insert(addr) {
            return Err(Error::corrupt(
                NODE,
                at,
                format!("node at address {addr} is reached twice (cycle or shared subtree)"),
            ));
        }
        let mut c = img.cursor_at(addr, NODE)?;
        c.signature(b"TREE")?;
        let ty = c.u8()?;
        if ty != node_type {
            return Err(Error::corrupt(
                NODE,
                at,
                format!("node type {ty}, expected {node_type}"),
            ));
        }
        let level = c.u8()?;
        match want_level {
            None if level > MAX_LEVEL => {
                return Err(Error::corrupt(
                    NODE,
                    at,
                    format!("root level {level} exceeds the limit of {MAX_LEVEL}"),
                ))
            }
            Some(want) if want != level => {
                return Err(Error::corrupt(
                    NODE,
                    at,
                    format!("node level {level}, expected {want} (one below its parent)"),
                ))
            }
            _ => {}
        }
        let entries = c.u16()?;
        let _left = c.addr()?;
        let _right = c.addr()?;
        let mut records = Vec::new();
        for _ in 0..entries {
            let key_offset = c.offset();
            let key = c.take(key_size)?;
            let child = c.addr_required("v1 B-tree child")?;
            records.push(Leaf {
                key,
                key_offset,
                child,
            });
        }
        // The key after the last child must be present too.
        c.take(key_size)?;
        if level == 0 {
            for leaf in records {
                visit(leaf)?;
            }
        } else {
            let below = level - 1;
            stack.extend(records.iter().rev().map(|r| (r.child, Some(below))));
        }
    }
    Ok(())
}

/// All symbol table entries of an old-style group, walking the type-0 B-tree rooted at
/// `root` and every symbol table node it points to, in B-tree (name) order.
pub fn group_entries(img: &FileImage<'_>, root: Addr) -> Result<Vec<SymbolTableEntry>> {
    Ok(group_entries_at(img, root)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// Like [`group_entries`], with the absolute file offset of each entry (for errors).
pub fn group_entries_at(img: &FileImage<'_>, root: Addr) -> Result<Vec<(u64, SymbolTableEntry)>> {
    let key_size = usize::from(img.sizes().length);
    let mut out = Vec::new();
    let mut nodes = HashSet::new();
    walk(img, root, GROUP_NODE, key_size, |leaf| {
        if !nodes.insert(leaf.child) {
            return Err(Error::corrupt(
                SNOD,
                img.absolute(leaf.child),
                format!("symbol table node {} is listed twice", leaf.child),
            ));
        }
        read_snod(img, leaf.child, &mut out)
    })?;
    Ok(out)
}

/// Append the entries of the symbol table node at `addr` to `out`.
fn read_snod(
    img: &FileImage<'_>,
    addr: Addr,
    out: &mut Vec<(u64, SymbolTableEntry)>,
) -> Result<()> {
    let mut c = img.cursor_at(addr, SNOD)?;
    c.signature(b"SNOD")?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.error(format!("version {version}, expected 1")));
    }
    c.skip(1)?;
    let count = c.u16()?;
    for _ in 0..count {
        let at = c.offset();
        let mut entry_cursor = c.clone().named("symbol table entry");
        let entry = SymbolTableEntry::parse(&mut entry_cursor)?;
        c.seek(entry_cursor.pos())?;
        out.push((at, entry));
    }
    Ok(())
}

/// All chunks recorded in the type-1 B-tree rooted at `root`.
///
/// Each chunk's offset is checked to be a multiple of the chunk dimensions and inside the
/// maximum extent (chunks beyond the current extent of a shrunk dataset are kept), and its
/// bytes to lie inside the file.
pub fn chunk_entries(
    img: &FileImage<'_>,
    root: Addr,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    let rank = params.dims.len();
    let root_at = img.absolute(root);
    if params.chunk_dims.len() != rank {
        return Err(Error::corrupt(
            NODE,
            root_at,
            format!(
                "{} chunk dimensions for a dataset of rank {rank}",
                params.chunk_dims.len()
            ),
        ));
    }
    if params.chunk_dims.contains(&0) {
        return Err(Error::corrupt(NODE, root_at, "a chunk dimension is zero"));
    }
    // Chunk size, filter mask, then rank + 1 offsets of 8 bytes.
    let key_size = rank
        .checked_add(1)
        .and_then(|n| n.checked_mul(8))
        .and_then(|n| n.checked_add(8))
        .ok_or_else(|| Error::corrupt(NODE, root_at, "dataset rank is too large"))?;
    let sizes = img.sizes();
    let mut out = Vec::new();
    walk(img, root, CHUNK_NODE, key_size, |leaf| {
        let mut k = Cursor::new(leaf.key, leaf.key_offset, sizes, "v1 B-tree chunk key");
        let size = u64::from(k.u32()?);
        let filter_mask = k.u32()?;
        let mut offset = Vec::with_capacity(rank);
        for axis in 0..rank {
            let at = k.offset();
            let o = k.u64()?;
            check_offset(params, axis, o).map_err(|d| Error::corrupt(NODE, at, d))?;
            offset.push(o);
        }
        let end = leaf.child.get().checked_add(size);
        if end.is_none_or(|e| e > img.len()) {
            return Err(Error::corrupt(
                NODE,
                leaf.key_offset,
                format!(
                    "chunk of {size} bytes at address {} runs past the end of the file",
                    leaf.child
                ),
            ));
        }
        out.push(Chunk {
            offset,
            addr: leaf.child,
            size,
            filter_mask,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Check one chunk offset coordinate; the error text on failure.
fn check_offset(params: &IndexParams<'_>, axis: usize, o: u64) -> Result<(), String> {
    let chunk = params.chunk_dims.get(axis).copied().unwrap_or(1);
    if chunk == 0 || !o.is_multiple_of(chunk) {
        return Err(format!(
            "chunk offset {o} on axis {axis} is not a multiple of the chunk size {chunk}"
        ));
    }
    let dim = params.dims.get(axis).copied().unwrap_or(0);
    if let Some(&max) = params.max_dims.get(axis) {
        if max != u64::MAX && o >= max.max(dim) {
            return Err(format!(
                "chunk offset {o} on axis {axis} is beyond the maximum extent {max}"
            ));
        }
    }
    Ok(())
}

/// Size in bytes of a node of `node_type` holding up to `2k` children with keys of
/// `key_size` bytes, in a file whose addresses are `offset_size` bytes.
pub fn node_size(k: u16, key_size: usize, offset_size: u8) -> usize {
    let k2 = 2 * usize::from(k);
    let o = usize::from(offset_size);
    8 + 2 * o + k2 * o + (k2 + 1) * key_size
}

/// Encode one node: `keys` has one more element than `children` (each key `key_size`
/// bytes); the node is zero-padded to its full capacity of `2k` children.
#[allow(clippy::too_many_arguments)]
pub fn encode_node(
    node_type: u8,
    level: u8,
    siblings: (Option<Addr>, Option<Addr>),
    keys: &[Vec<u8>],
    children: &[Addr],
    k: u16,
    key_size: usize,
    sizes: crate::io::Sizes,
) -> Result<Vec<u8>> {
    if keys.len() != children.len() + 1
        || children.len() > 2 * usize::from(k)
        || keys.iter().any(|key| key.len() != key_size)
    {
        return Err(Error::Invalid(format!(
            "v1 B-tree node with {} keys and {} children (K {k}, key size {key_size})",
            keys.len(),
            children.len()
        )));
    }
    let size = node_size(k, key_size, sizes.offset);
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"TREE");
    b.push(node_type);
    b.push(level);
    b.put_uint(children.len() as u64, 2)?;
    b.put_addr(siblings.0, sizes)?;
    b.put_addr(siblings.1, sizes)?;
    for (key, child) in keys.iter().zip(children) {
        b.extend_from_slice(key);
        b.put_addr(Some(*child), sizes)?;
    }
    if let Some(last) = keys.last() {
        b.extend_from_slice(last);
    }
    b.resize(size, 0);
    Ok(b)
}

/// Build a whole v1 B-tree over `items` (the left key of each level-0 child, and the
/// child's address, in key order); `final_key` is the key right of the last child. Nodes
/// hold at most `2k` children, filled evenly. The root is written at `root_at` when given
/// (it must have room for a node of this size), else allocated. Returns the root address.
#[allow(clippy::too_many_arguments)]
pub fn build_tree(
    node_type: u8,
    k: u16,
    key_size: usize,
    items: Vec<(Vec<u8>, Addr)>,
    final_key: Vec<u8>,
    root_at: Option<Addr>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    if k == 0 {
        return Err(Error::Invalid("v1 B-tree K of 0".into()));
    }
    let sizes = space.sizes();
    let size = node_size(k, key_size, sizes.offset) as u64;
    let cap = 2 * usize::from(k);
    let mut items = items;
    let mut level = 0u8;
    loop {
        let nodes = items.len().div_ceil(cap).max(1);
        let is_root = nodes == 1;
        let mut addrs = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            addrs.push(match (is_root, root_at) {
                (true, Some(a)) => a,
                _ => space.alloc(size)?,
            });
        }
        let mut next = Vec::with_capacity(nodes);
        let mut start = 0usize;
        for (j, &addr) in addrs.iter().enumerate() {
            // Spread the items evenly: node j gets items [start, end).
            let end = (items.len() * (j + 1)) / nodes;
            let part = items.get(start..end).unwrap_or_default();
            let mut keys: Vec<Vec<u8>> = part.iter().map(|i| i.0.clone()).collect();
            let right_key = items
                .get(end)
                .map(|i| i.0.clone())
                .unwrap_or_else(|| final_key.clone());
            if keys.is_empty() {
                // An empty tree: a root with no children and one key.
                keys.push(right_key.clone());
            } else {
                keys.push(right_key);
            }
            let children: Vec<Addr> = part.iter().map(|i| i.1).collect();
            let left = j.checked_sub(1).and_then(|p| addrs.get(p)).copied();
            let right = addrs.get(j + 1).copied();
            let bytes = encode_node(
                node_type,
                level,
                (left, right),
                &keys,
                &children,
                k,
                key_size,
                sizes,
            )?;
            emit.put(addr, bytes);
            let first_key = keys.first().cloned().unwrap_or_default();
            next.push((first_key, addr));
            start = end;
        }
        if is_root {
            return addrs
                .first()
                .copied()
                .ok_or_else(|| Error::Invalid("v1 B-tree without a root".into()));
        }
        items = next;
        level = level
            .checked_add(1)
            .filter(|&l| l <= MAX_LEVEL)
            .ok_or_else(|| Error::LimitExceeded("v1 B-tree depth".into()))?;
    }
}

/// Key of a chunk B-tree (node type 1): chunk size, filter mask, the element offsets, then
/// the offset along the element-size axis (`trailing`: 0 in chunk keys; the element size
/// in libhdf5's right-most key, one "chunk" past 0 on that axis).
pub fn chunk_key(size: u64, filter_mask: u32, offset: &[u64], trailing: u64) -> Result<Vec<u8>> {
    let size = u32::try_from(size).map_err(|_| {
        Error::LimitExceeded(format!(
            "chunk of {size} bytes in a v1 B-tree (4-byte sizes)"
        ))
    })?;
    let mut key = Vec::with_capacity(8 + 8 * (offset.len() + 1));
    key.put_u32(size);
    key.put_u32(filter_mask);
    for &o in offset {
        key.put_uint(o, 8)?;
    }
    key.put_uint(trailing, 8)?;
    Ok(key)
}

/// Every node of the v1 B-tree rooted at `root` (node type `node_type`, keys of `key_size`
/// bytes), and every level-0 child (symbol table nodes or chunks), for space accounting.
/// Levels, node types and cycles are checked as in the record walks.
pub fn tree_nodes(
    img: &FileImage<'_>,
    root: Addr,
    node_type: u8,
    key_size: usize,
) -> Result<(Vec<Addr>, Vec<Addr>)> {
    let mut nodes = Vec::new();
    let mut leaves = Vec::new();
    let mut visited = HashSet::new();
    let mut stack: Vec<(Addr, Option<u8>)> = vec![(root, None)];
    while let Some((addr, want_level)) = stack.pop() {
        let at = img.absolute(addr);
        if !visited.insert(addr) {
            return Err(Error::corrupt(NODE, at, "node reached twice"));
        }
        let mut c = img.cursor_at(addr, NODE)?;
        c.signature(b"TREE")?;
        let ty = c.u8()?;
        let level = c.u8()?;
        if ty != node_type || level > MAX_LEVEL || want_level.is_some_and(|w| w != level) {
            return Err(Error::corrupt(
                NODE,
                at,
                format!(
                    "node type {ty} level {level}, expected type {node_type} level {want_level:?}"
                ),
            ));
        }
        nodes.push(addr);
        let entries = c.u16()?;
        c.addr()?;
        c.addr()?;
        for _ in 0..entries {
            c.take(key_size)?;
            let child = c.addr_required("v1 B-tree child")?;
            if level == 0 {
                leaves.push(child);
            } else {
                stack.push((child, Some(level - 1)));
            }
        }
    }
    Ok((nodes, leaves))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::io::Sizes;

    const UNDEF: u64 = u64::MAX;

    /// A growing file image; structures are appended and their addresses returned.
    struct Img(Vec<u8>);

    impl Img {
        fn new() -> Self {
            Img(vec![0; 64])
        }
        fn put(&mut self, b: &[u8]) -> u64 {
            let a = self.0.len() as u64;
            self.0.extend_from_slice(b);
            a
        }
        fn image(&self) -> FileImage<'_> {
            FileImage::new(&self.0, 0, Sizes::default())
        }
    }

    fn node(ty: u8, level: u8, keys: &[Vec<u8>], children: &[u64]) -> Vec<u8> {
        assert_eq!(keys.len(), children.len() + 1);
        let mut b = b"TREE".to_vec();
        b.push(ty);
        b.push(level);
        b.extend_from_slice(&(children.len() as u16).to_le_bytes());
        b.extend_from_slice(&UNDEF.to_le_bytes());
        b.extend_from_slice(&UNDEF.to_le_bytes());
        for (k, c) in keys.iter().zip(children) {
            b.extend_from_slice(k);
            b.extend_from_slice(&c.to_le_bytes());
        }
        b.extend_from_slice(keys.last().unwrap());
        b
    }

    fn gkey(heap_offset: u64) -> Vec<u8> {
        heap_offset.to_le_bytes().to_vec()
    }

    fn ckey(size: u32, mask: u32, offsets: &[u64]) -> Vec<u8> {
        let mut b = size.to_le_bytes().to_vec();
        b.extend_from_slice(&mask.to_le_bytes());
        for o in offsets.iter().chain(&[0]) {
            b.extend_from_slice(&o.to_le_bytes());
        }
        b
    }

    /// A symbol table node whose entries have the given (name offset, header address).
    fn snod(entries: &[(u64, u64)]) -> Vec<u8> {
        let mut b = b"SNOD\x01\0".to_vec();
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (name, header) in entries {
            b.extend_from_slice(&name.to_le_bytes());
            b.extend_from_slice(&header.to_le_bytes());
            b.extend_from_slice(&[0; 24]);
        }
        b
    }

    /// A three-level group tree: root (level 1) -> two leaves (level 0) -> four SNODs.
    fn group_tree() -> (Img, u64) {
        let mut img = Img::new();
        let s: Vec<u64> = (0..4u64)
            .map(|i| {
                img.put(&snod(&[
                    (8 * (2 * i + 1), 1000 + 2 * i),
                    (8 * (2 * i + 2), 1001 + 2 * i),
                ]))
            })
            .collect();
        let leaf0 = img.put(&node(0, 0, &[gkey(0), gkey(16), gkey(32)], &s[0..2]));
        let leaf1 = img.put(&node(0, 0, &[gkey(32), gkey(48), gkey(64)], &s[2..4]));
        let root = img.put(&node(0, 1, &[gkey(0), gkey(32), gkey(64)], &[leaf0, leaf1]));
        (img, root)
    }

    #[test]
    fn group_entries_in_tree_order() {
        let (img, root) = group_tree();
        let entries = group_entries(&img.image(), Addr(root)).unwrap();
        let names: Vec<u64> = entries.iter().map(|e| e.name_offset).collect();
        assert_eq!(names, [8, 16, 24, 32, 40, 48, 56, 64]);
        let headers: Vec<u64> = entries
            .iter()
            .map(|e| e.object_header.unwrap().get())
            .collect();
        assert_eq!(headers, (1000..1008).collect::<Vec<_>>());
        let with_offsets = group_entries_at(&img.image(), Addr(root)).unwrap();
        // The first entry sits 8 bytes into the first SNOD, which is at address 64.
        assert_eq!(with_offsets[0].0, 72);
        assert_eq!(with_offsets[1].0, 72 + 40);
    }

    #[test]
    fn empty_group_tree() {
        let mut img = Img::new();
        let root = img.put(&node(0, 0, &[gkey(0)], &[]));
        assert!(group_entries(&img.image(), Addr(root)).unwrap().is_empty());
    }

    #[test]
    fn group_tree_structure_errors() {
        // Two children pointing at the same node (levels make true cycles impossible,
        // but a shared subtree is caught by the same visited set).
        let mut img = Img::new();
        let s = img.put(&snod(&[(8, 1)]));
        let leaf = img.put(&node(0, 0, &[gkey(0), gkey(8)], &[s]));
        let root = img.put(&node(0, 1, &[gkey(0), gkey(8), gkey(16)], &[leaf, leaf]));
        let err = group_entries(&img.image(), Addr(root))
            .unwrap_err()
            .to_string();
        assert!(err.contains("reached twice"), "{err}");

        // A node pointing at itself.
        let mut img = Img::new();
        let root = img.0.len() as u64;
        img.put(&node(0, 1, &[gkey(0), gkey(8)], &[root]));
        assert!(group_entries(&img.image(), Addr(root)).is_err());

        // Level that does not decrease by one.
        let mut img = Img::new();
        let s = img.put(&snod(&[(8, 1)]));
        let leaf = img.put(&node(0, 0, &[gkey(0), gkey(8)], &[s]));
        let root = img.put(&node(0, 2, &[gkey(0), gkey(8)], &[leaf]));
        let err = group_entries(&img.image(), Addr(root))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected 1"), "{err}");

        // A chunk node in a group tree.
        let mut img = Img::new();
        let root = img.put(&node(1, 0, &[gkey(0)], &[]));
        assert!(group_entries(&img.image(), Addr(root)).is_err());

        // The same SNOD listed twice.
        let mut img = Img::new();
        let s = img.put(&snod(&[(8, 1)]));
        let root = img.put(&node(0, 0, &[gkey(0), gkey(8), gkey(16)], &[s, s]));
        let err = group_entries(&img.image(), Addr(root))
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice"), "{err}");

        // Bad SNOD signature and version.
        for (pos, val) in [(0, b'X'), (4, 2)] {
            let mut img = Img::new();
            let s = img.put(&snod(&[(8, 1)]));
            img.0[s as usize + pos] = val;
            let root = img.put(&node(0, 0, &[gkey(0), gkey(8)], &[s]));
            assert!(group_entries(&img.image(), Addr(root)).is_err());
        }

        // Root level too high.
        let mut img = Img::new();
        let root = img.put(&node(0, MAX_LEVEL + 1, &[gkey(0)], &[]));
        let err = group_entries(&img.image(), Addr(root))
            .unwrap_err()
            .to_string();
        assert!(err.contains("exceeds the limit"), "{err}");

        // An undefined child address.
        let mut img = Img::new();
        let root = img.put(&node(0, 0, &[gkey(0), gkey(8)], &[UNDEF]));
        assert!(group_entries(&img.image(), Addr(root)).is_err());
    }

    #[test]
    fn truncated_group_trees_fail_cleanly() {
        let (img, root) = group_tree();
        let full = img.0.clone();
        for n in 0..full.len() {
            let t = FileImage::new(&full[..n], 0, Sizes::default());
            assert!(group_entries(&t, Addr(root)).is_err(), "truncated to {n}");
        }
        // Entries-used larger than what the file holds.
        let mut big = full.clone();
        big[root as usize + 6] = 0xff;
        big[root as usize + 7] = 0xff;
        let t = FileImage::new(&big, 0, Sizes::default());
        assert!(group_entries(&t, Addr(root)).is_err());
        // Every single-byte corruption either fails or yields a result, never panics.
        for i in 64..full.len() {
            let mut b = full.clone();
            b[i] ^= 0x5a;
            let t = FileImage::new(&b, 0, Sizes::default());
            let _ = group_entries(&t, Addr(root));
        }
    }

    fn params<'p>(dims: &'p [u64], max: &'p [u64], chunk: &'p [u64]) -> IndexParams<'p> {
        IndexParams {
            dims,
            max_dims: max,
            chunk_dims: chunk,
            element_size: 1,
            filtered: false,
            layout_version: 3,
        }
    }

    /// A 2-D chunk tree, level 1 root over two leaves, chunks of 4x5 over a 8x10 dataset.
    fn chunk_tree(offsets: &[[u64; 2]; 4]) -> (Img, u64) {
        let mut img = Img::new();
        let data: Vec<u64> = (0..4).map(|i| img.put(&[i as u8; 20])).collect();
        let k = |i: usize| ckey(20, i as u32, &offsets[i]);
        let end = ckey(0, 0, &[8, 0]);
        let leaf0 = img.put(&node(1, 0, &[k(0), k(1), k(2)], &data[0..2]));
        let leaf1 = img.put(&node(1, 0, &[k(2), k(3), end.clone()], &data[2..4]));
        let root = img.put(&node(1, 1, &[k(0), k(2), end], &[leaf0, leaf1]));
        (img, root)
    }

    const GRID: [[u64; 2]; 4] = [[0, 0], [0, 5], [4, 0], [4, 5]];

    #[test]
    fn chunk_entries_in_order() {
        let (img, root) = chunk_tree(&GRID);
        let p = params(&[8, 10], &[8, 10], &[4, 5]);
        let chunks = chunk_entries(&img.image(), Addr(root), &p).unwrap();
        assert_eq!(chunks.len(), 4);
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.offset, GRID[i]);
            assert_eq!(c.addr, Addr(64 + 20 * i as u64));
            assert_eq!(c.size, 20);
            assert_eq!(c.filter_mask, i as u32);
        }
        // Chunks beyond the current extent but inside the maximum extent are kept.
        let p = params(&[4, 5], &[8, 10], &[4, 5]);
        assert_eq!(
            chunk_entries(&img.image(), Addr(root), &p).unwrap().len(),
            4
        );
        let p = params(&[4, 5], &[UNDEF, UNDEF], &[4, 5]);
        assert_eq!(
            chunk_entries(&img.image(), Addr(root), &p).unwrap().len(),
            4
        );
    }

    #[test]
    fn chunk_offsets_are_validated() {
        let mut bad = GRID;
        bad[3] = [4, 6];
        let (img, root) = chunk_tree(&bad);
        let p = params(&[8, 10], &[8, 10], &[4, 5]);
        let err = chunk_entries(&img.image(), Addr(root), &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a multiple"), "{err}");

        let mut bad = GRID;
        bad[3] = [8, 5];
        let (img, root) = chunk_tree(&bad);
        let err = chunk_entries(&img.image(), Addr(root), &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("beyond the maximum extent"), "{err}");

        let (img, root) = chunk_tree(&GRID);
        for p in [
            params(&[8, 10], &[8, 10], &[4]),
            params(&[8, 10], &[8, 10], &[4, 0]),
        ] {
            assert!(chunk_entries(&img.image(), Addr(root), &p).is_err());
        }
        // A group node where a chunk node is expected.
        let p = params(&[8, 10], &[8, 10], &[4, 5]);
        let mut b = img.0.clone();
        b[root as usize + 4] = 0;
        let t = FileImage::new(&b, 0, Sizes::default());
        assert!(chunk_entries(&t, Addr(root), &p).is_err());
        // Chunk data past the end of the file.
        let mut b = img.0.clone();
        let leaf0 = 64 + 80;
        b[leaf0 + 24] = 0xff;
        b[leaf0 + 25] = 0xff;
        let t = FileImage::new(&b, 0, Sizes::default());
        let err = chunk_entries(&t, Addr(root), &p).unwrap_err().to_string();
        assert!(err.contains("past the end"), "{err}");
    }

    #[test]
    fn truncated_and_corrupted_chunk_trees_fail_cleanly() {
        let (img, root) = chunk_tree(&GRID);
        let p = params(&[8, 10], &[8, 10], &[4, 5]);
        let full = img.0.clone();
        for n in 144..full.len() {
            let t = FileImage::new(&full[..n], 0, Sizes::default());
            assert!(
                chunk_entries(&t, Addr(root), &p).is_err(),
                "truncated to {n}"
            );
        }
        for i in 144..full.len() {
            for x in [0x01, 0x80, 0xff] {
                let mut b = full.clone();
                b[i] ^= x;
                let t = FileImage::new(&b, 0, Sizes::default());
                let _ = chunk_entries(&t, Addr(root), &p);
            }
        }
    }

    // ---- real files made by h5py (see tests/data/v1/gen.py) ----

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/v1/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).unwrap()
    }

    fn expected() -> serde_json::Value {
        serde_json::from_slice(&fixture("expected.json")).unwrap()
    }

    fn u64s(v: &serde_json::Value) -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    }

    /// The names of a group, read through the group's local heap.
    fn names(bytes: &[u8], btree: u64, heap: u64) -> Vec<String> {
        let img = FileImage::new(bytes, 0, Sizes::default());
        let heap = crate::heap::local::LocalHeap::parse(&img, Addr(heap)).unwrap();
        group_entries(&img, Addr(btree))
            .unwrap()
            .iter()
            .map(|e| String::from_utf8(heap.string_at(e.name_offset).unwrap().to_vec()).unwrap())
            .collect()
    }

    fn strings(v: &serde_json::Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn real_groups_of_several_sizes() {
        let exp = expected();
        let exp = &exp["groups.h5"];
        let bytes = fixture("groups.h5");
        let root = &exp["root"];
        let root_names = names(
            &bytes,
            root["btree"].as_u64().unwrap(),
            root["heap"].as_u64().unwrap(),
        );
        assert_eq!(root_names, strings(&root["names"]));
        for (group, count) in [("g0", 0), ("g1", 1), ("g5", 5), ("g40", 40), ("soft", 4)] {
            let g = &exp["groups"][group];
            let got = names(
                &bytes,
                g["btree"].as_u64().unwrap(),
                g["heap"].as_u64().unwrap(),
            );
            let want: Vec<String> = g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(got.len(), count, "{group}");
            assert_eq!(got, want, "{group}");
        }
        // Subgroups cache their B-tree and heap addresses in the scratch pad (cache type 1).
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let entries = group_entries(&img, Addr(root["btree"].as_u64().unwrap())).unwrap();
        let g40 = &exp["groups"]["g40"];
        let e = &entries[root_names.iter().position(|n| n == "g40").unwrap()];
        assert_eq!(e.cache_type, 1);
        assert_eq!(
            u64::from_le_bytes(e.scratch[..8].try_into().unwrap()),
            g40["btree"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from_le_bytes(e.scratch[8..].try_into().unwrap()),
            g40["heap"].as_u64().unwrap()
        );
    }

    #[test]
    fn real_group_with_1000_members() {
        let exp = expected();
        let exp = &exp["group1000.h5"];
        let bytes = fixture("group1000.h5");
        let btree = exp["btree"].as_u64().unwrap();
        let got = names(&bytes, btree, exp["heap"].as_u64().unwrap());
        assert_eq!(got.len(), 1000);
        assert_eq!(got, strings(&exp["names"]));
        // A multi-level tree over many symbol table nodes.
        assert!(bytes[btree as usize + 5] >= 1, "root level");
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let entries = group_entries_at(&img, Addr(btree)).unwrap();
        let target = exp["target"].as_u64().unwrap();
        assert!(entries
            .iter()
            .all(|(_, e)| e.object_header == Some(Addr(target))));
        // Entries of one node are 40 bytes apart; any other step starts a new node.
        let nodes = 1 + entries.windows(2).filter(|w| w[1].0 != w[0].0 + 40).count();
        assert!(nodes > 100, "{nodes} symbol table nodes");

        // Corrupting the root's level breaks the walk with an error.
        let mut b = bytes.clone();
        b[btree as usize + 5] = 3;
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(group_entries(&img, Addr(btree)).is_err());
    }

    #[test]
    fn real_chunk_trees() {
        let exp = expected();
        let bytes = fixture("chunks.h5");
        let img = FileImage::new(&bytes, 0, Sizes::default());
        for (name, count) in [("d1", 500), ("d2", 15), ("gz", 30), ("sparse", 3)] {
            let d = &exp["chunks.h5"][name];
            let dims = u64s(&d["dims"]);
            let max_dims = u64s(&d["max_dims"]);
            let chunk_dims = u64s(&d["chunk_dims"]);
            let p = IndexParams {
                dims: &dims,
                max_dims: &max_dims,
                chunk_dims: &chunk_dims,
                element_size: d["element_size"].as_u64().unwrap(),
                filtered: d["filtered"].as_bool().unwrap(),
                layout_version: 3,
            };
            let root = d["btree"].as_u64().unwrap();
            let got = chunk_entries(&img, Addr(root), &p).unwrap();
            let want: Vec<Chunk> = d["chunks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| Chunk {
                    offset: u64s(&c["offset"]),
                    addr: Addr(c["addr"].as_u64().unwrap()),
                    size: c["size"].as_u64().unwrap(),
                    filter_mask: c["filter_mask"].as_u64().unwrap() as u32,
                })
                .collect();
            assert_eq!(got.len(), count, "{name}");
            assert_eq!(got, want, "{name}");
            if name == "d1" {
                assert!(bytes[root as usize + 5] >= 1, "d1 root level");
            }
            if name == "gz" {
                // Compressed chunks are smaller than the 400 raw bytes.
                assert!(got.iter().all(|c| c.size < 400));
            }
        }
        // Corrupt the d1 tree: a wrong signature on the root.
        let root = exp["chunks.h5"]["d1"]["btree"].as_u64().unwrap() as usize;
        let mut b = bytes.clone();
        b[root] = b'X';
        let t = FileImage::new(&b, 0, Sizes::default());
        let p = params(&[5000], &[5000], &[10]);
        let err = chunk_entries(&t, Addr(root as u64), &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("offset {root}")), "{err}");
    }
}
