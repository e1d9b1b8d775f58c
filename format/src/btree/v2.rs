//! Version 2 B-trees (spec III.A.2 "Disk Format: Level 1A2 - Version 2 B-trees"; signatures
//! `BTHD`, `BTIN`, `BTLF`).
//!
//! A header (`BTHD`) points to the root node, which is a leaf (`BTLF`) when the depth is 0 and
//! an internal node (`BTIN`) otherwise. Internal nodes hold `n` records and `n + 1` child
//! pointers; each pointer carries the child's record count and, above the lowest internal
//! level, the total number of records below it. The widths of those two counts are not stored:
//! they follow from the node size and record size exactly as libhdf5 computes them
//! (`H5B2__hdr_init`), see [`NodeLevels`].
//!
//! Every structure carries a lookup3 checksum, verified here. Typed decoders exist for the
//! record types this crate uses: 1 ([`HugeObjectRecord`]), 5 ([`LinkNameRecord`]),
//! 6 ([`LinkOrderRecord`]), 8 ([`AttributeNameRecord`]), 9 ([`AttributeOrderRecord`]) and
//! 10/11 ([`ChunkRecord`]).

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::checksum;
use crate::error::{Error, Result};
use crate::io::{bytes_needed, Addr, Cursor, FileImage, Sizes};

/// Signature, version, type and checksum: the fixed bytes of every node.
const NODE_PREFIX: u64 = 10;
/// Deepest tree accepted. A tree of depth 64 would need more records than fit in 2^64 bytes.
const MAX_DEPTH: u16 = 64;

const HEADER: &str = "v2 B-tree header";
const LEAF: &str = "v2 B-tree leaf node";
const INTERNAL: &str = "v2 B-tree internal node";

/// The decoded header of a v2 B-tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BTreeV2Header {
    /// Record type (1-11).
    pub record_type: u8,
    /// Node size in bytes.
    pub node_size: u32,
    /// Record size in bytes.
    pub record_size: u16,
    /// Depth of the tree (0: the root is a leaf).
    pub depth: u16,
    /// Root node address (`None` for an empty tree).
    pub root: Option<Addr>,
    /// Number of records in the root node.
    pub root_records: u16,
    /// Total number of records in the tree.
    pub total_records: u64,
}

/// One record as stored in a node: its bytes and the absolute file offset of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// Absolute file offset of the record (for error messages).
    pub offset: u64,
    /// The `record_size` bytes of the record.
    pub bytes: &'a [u8],
}

impl<'a> RawRecord<'a> {
    /// A cursor over the record's bytes, reporting errors as `structure`.
    pub fn cursor(&self, sizes: Sizes, structure: &'static str) -> Cursor<'a> {
        Cursor::new(self.bytes, self.offset, sizes, structure)
    }
}

/// Per-level capacities of a tree, as libhdf5 derives them from the header
/// (`H5B2__hdr_init`): index 0 is the leaf level, index `d` the internal nodes at height `d`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLevels {
    /// Maximum number of records in one node of each level.
    pub max_records: Vec<u64>,
    /// Maximum number of records in a subtree rooted at each level (saturating).
    pub cum_max_records: Vec<u64>,
    /// Width in bytes of the "total number of records" field for children of each level
    /// (0 for leaves, which are never described by that field).
    pub cum_max_records_size: Vec<usize>,
    /// Width in bytes of every "number of records in child node" field (libhdf5 uses the
    /// leaf capacity, the largest, for all levels).
    pub max_records_size: usize,
}

impl NodeLevels {
    /// Compute the capacities of every level of `header`'s tree.
    pub fn new(header: &BTreeV2Header, sizes: Sizes, at: u64) -> Result<Self> {
        let node = u64::from(header.node_size);
        let rec = u64::from(header.record_size);
        if rec == 0 {
            return Err(Error::corrupt(HEADER, at, "record size is 0"));
        }
        let leaf_max = node.saturating_sub(NODE_PREFIX) / rec;
        if leaf_max == 0 {
            return Err(Error::corrupt(
                HEADER,
                at,
                format!("node size {node} cannot hold one {rec}-byte record"),
            ));
        }
        let max_records_size = bytes_needed(leaf_max);
        let mut levels = NodeLevels {
            max_records: vec![leaf_max],
            cum_max_records: vec![leaf_max],
            cum_max_records_size: vec![0],
            max_records_size,
        };
        for _ in 1..=header.depth {
            let below_cum = levels.cum_max_records.last().copied().unwrap_or(0);
            let below_size = levels.cum_max_records_size.last().copied().unwrap_or(0);
            let pointer = u64::from(sizes.offset) + max_records_size as u64 + below_size as u64;
            let max = node.saturating_sub(NODE_PREFIX + pointer) / (rec + pointer);
            if max == 0 {
                return Err(Error::corrupt(
                    HEADER,
                    at,
                    format!("node size {node} cannot hold an internal node record"),
                ));
            }
            let cum = max
                .saturating_add(1)
                .saturating_mul(below_cum)
                .saturating_add(max);
            levels.max_records.push(max);
            levels.cum_max_records.push(cum);
            levels.cum_max_records_size.push(bytes_needed(cum));
        }
        Ok(levels)
    }

    fn max_at(&self, level: u16) -> u64 {
        self.max_records
            .get(usize::from(level))
            .copied()
            .unwrap_or(0)
    }

    /// Width of the "total records" field in pointers stored in a node at `level`.
    fn total_width_at(&self, level: u16) -> usize {
        if level <= 1 {
            0
        } else {
            self.cum_max_records_size
                .get(usize::from(level) - 1)
                .copied()
                .unwrap_or(0)
        }
    }
}

/// Parse the v2 B-tree header at `addr` (checksum verified).
pub fn parse_header(img: &FileImage<'_>, addr: Addr) -> Result<BTreeV2Header> {
    let sizes = img.sizes();
    let len = 16 + u64::from(sizes.offset) + 2 + u64::from(sizes.length) + 4;
    let at = img.absolute(addr);
    let mut c = img.cursor(addr, len, HEADER)?;
    checksum::verify_trailing(c.rest(), HEADER, at)?;
    c.signature(b"BTHD")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(Error::Unsupported(format!(
            "v2 B-tree header version {version} at byte offset {at}"
        )));
    }
    let record_type = c.u8()?;
    let node_size = c.u32()?;
    let record_size = c.u16()?;
    let depth = c.u16()?;
    c.skip(2)?; // split and merge percentages: only used when writing
    let root = c.addr()?;
    let root_records = c.u16()?;
    let total_records = c.length()?;
    if depth > MAX_DEPTH {
        return Err(Error::corrupt(
            HEADER,
            at,
            format!("depth {depth} is too large"),
        ));
    }
    if u64::from(node_size) > img.len() && root.is_some() {
        return Err(Error::corrupt(
            HEADER,
            at,
            format!("node size {node_size} exceeds the file size"),
        ));
    }
    if root.is_none() && (root_records != 0 || total_records != 0) {
        return Err(Error::corrupt(
            HEADER,
            at,
            "tree without a root node claims to hold records",
        ));
    }
    Ok(BTreeV2Header {
        record_type,
        node_size,
        record_size,
        depth,
        root,
        root_records,
        total_records,
    })
}

/// A child pointer of an internal node.
#[derive(Clone, Copy, Debug)]
struct ChildPointer {
    addr: Addr,
    records: u64,
    /// Records in the subtree (equal to `records` for leaf children).
    total: u64,
}

/// A decoded node: its records, and its child pointers when internal.
struct Node<'a> {
    records: Vec<RawRecord<'a>>,
    children: Vec<ChildPointer>,
}

/// State of one traversal: header, capacities and the set of visited nodes.
struct Tree<'i, 'a> {
    img: &'i FileImage<'a>,
    header: BTreeV2Header,
    levels: NodeLevels,
    visited: HashSet<u64>,
}

impl<'i, 'a> Tree<'i, 'a> {
    fn open(img: &'i FileImage<'a>, addr: Addr) -> Result<Self> {
        let header = parse_header(img, addr)?;
        let levels = NodeLevels::new(&header, img.sizes(), img.absolute(addr))?;
        Ok(Tree {
            img,
            header,
            levels,
            visited: HashSet::new(),
        })
    }

    /// Read the node at `addr`, `level` levels above the leaves, holding `nrec` records.
    fn node(&mut self, addr: Addr, level: u16, nrec: u64) -> Result<Node<'a>> {
        let at = self.img.absolute(addr);
        let structure = if level == 0 { LEAF } else { INTERNAL };
        if !self.visited.insert(addr.get()) {
            return Err(Error::corrupt(
                structure,
                at,
                "node visited twice (cycle in the B-tree)",
            ));
        }
        let max = self.levels.max_at(level);
        if nrec > max {
            return Err(Error::corrupt(
                structure,
                at,
                format!("{nrec} records exceed the node capacity of {max}"),
            ));
        }
        let sizes = self.img.sizes();
        let rec_size = u64::from(self.header.record_size);
        let nrec_width = self.levels.max_records_size;
        let total_width = self.levels.total_width_at(level);
        let pointer_size = if level == 0 {
            0
        } else {
            u64::from(sizes.offset) + nrec_width as u64 + total_width as u64
        };
        let pointers = if level == 0 { 0 } else { nrec + 1 };
        // nrec <= max, which was derived from the node size, so this cannot overflow.
        let len = 6 + nrec * rec_size + pointers * pointer_size + 4;
        if len > u64::from(self.header.node_size) {
            return Err(Error::corrupt(
                structure,
                at,
                format!("{len} bytes of node exceed the node size"),
            ));
        }
        let mut c = self.img.cursor(addr, len, structure)?;
        checksum::verify_trailing(c.rest(), structure, at)?;
        c.signature(if level == 0 { b"BTLF" } else { b"BTIN" })?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("node version {version} is not 0")));
        }
        let node_type = c.u8()?;
        if node_type != self.header.record_type {
            return Err(c.error(format!(
                "node type {node_type} differs from the header's type {}",
                self.header.record_type
            )));
        }
        let mut records = Vec::with_capacity(usize::try_from(nrec).unwrap_or(0));
        for _ in 0..nrec {
            let offset = c.offset();
            let bytes = c.take_u64(rec_size)?;
            records.push(RawRecord { offset, bytes });
        }
        let mut children = Vec::with_capacity(usize::try_from(pointers).unwrap_or(0));
        let child_max = if level == 0 {
            0
        } else {
            self.levels.max_at(level - 1)
        };
        for _ in 0..pointers {
            let addr = c.addr_required("child node")?;
            let records = c.uint(nrec_width)?;
            if records > child_max {
                return Err(c.error(format!(
                    "child holds {records} records, more than the capacity {child_max}"
                )));
            }
            let total = if total_width > 0 {
                c.uint(total_width)?
            } else {
                records
            };
            if total < records {
                return Err(c.error(format!(
                    "child subtree total {total} is below its own record count {records}"
                )));
            }
            children.push(ChildPointer {
                addr,
                records,
                total,
            });
        }
        Ok(Node { records, children })
    }

    /// Append every record below the node at `addr` to `out`, in key order; return how many.
    fn collect(
        &mut self,
        addr: Addr,
        level: u16,
        nrec: u64,
        out: &mut Vec<RawRecord<'a>>,
    ) -> Result<u64> {
        let node = self.node(addr, level, nrec)?;
        let mut count = nrec;
        let mut records = node.records.into_iter();
        for (i, child) in node.children.iter().enumerate() {
            let below = self.collect(child.addr, level - 1, child.records, out)?;
            if below != child.total {
                return Err(Error::corrupt(
                    INTERNAL,
                    self.img.absolute(addr),
                    format!(
                        "child {i} claims {} records in its subtree but holds {below}",
                        child.total
                    ),
                ));
            }
            count = count.saturating_add(below);
            if let Some(r) = records.next() {
                out.push(r);
            }
        }
        // A leaf: no children, all records in order.
        out.extend(records);
        Ok(count)
    }
}

/// Every record of the v2 B-tree whose header is at `addr`, in key order, as raw
/// `record_size`-byte slices.
pub fn records<'a>(img: &FileImage<'a>, addr: Addr) -> Result<(BTreeV2Header, Vec<&'a [u8]>)> {
    let (header, raw) = raw_records(img, addr)?;
    Ok((header, raw.into_iter().map(|r| r.bytes).collect()))
}

/// Every record of the v2 B-tree whose header is at `addr`, in key order, with the file
/// offset of each record. The record counts stored in the header and in every internal node
/// are checked against what the nodes hold.
pub fn raw_records<'a>(
    img: &FileImage<'a>,
    addr: Addr,
) -> Result<(BTreeV2Header, Vec<RawRecord<'a>>)> {
    let mut tree = Tree::open(img, addr)?;
    let header = tree.header.clone();
    let Some(root) = header.root else {
        return Ok((header, Vec::new()));
    };
    // Never reserve more than the file could hold.
    let cap = header
        .total_records
        .min(img.len() / u64::from(header.record_size.max(1)));
    let mut out = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
    let found = tree.collect(root, header.depth, u64::from(header.root_records), &mut out)?;
    if found != header.total_records {
        return Err(Error::corrupt(
            HEADER,
            img.absolute(addr),
            format!(
                "header claims {} records but the tree holds {found}",
                header.total_records
            ),
        ));
    }
    Ok((header, out))
}

/// Search the v2 B-tree at `addr` for the record that `cmp` reports as equal.
///
/// `cmp(record)` returns how the *record* compares to the key sought (`Less`: the record sorts
/// before the key). Only the nodes on one root-to-leaf path are read.
pub fn find<'a, F>(img: &FileImage<'a>, addr: Addr, mut cmp: F) -> Result<Option<RawRecord<'a>>>
where
    F: FnMut(&RawRecord<'a>) -> Result<Ordering>,
{
    let mut tree = Tree::open(img, addr)?;
    let Some(mut node_addr) = tree.header.root else {
        return Ok(None);
    };
    let mut level = tree.header.depth;
    let mut nrec = u64::from(tree.header.root_records);
    loop {
        let node = tree.node(node_addr, level, nrec)?;
        let mut child_index = node.records.len();
        for (i, r) in node.records.iter().enumerate() {
            match cmp(r)? {
                Ordering::Less => {}
                Ordering::Equal => return Ok(Some(*r)),
                Ordering::Greater => {
                    child_index = i;
                    break;
                }
            }
        }
        if level == 0 {
            return Ok(None);
        }
        let Some(child) = node.children.get(child_index) else {
            return Err(Error::corrupt(
                INTERNAL,
                img.absolute(node_addr),
                "missing child pointer",
            ));
        };
        node_addr = child.addr;
        nrec = child.records;
        level -= 1;
    }
}

pub mod build;
mod record_types;
pub use record_types::*;

/// The extents of the v2 B-tree whose header is at `addr`: the header, then every node
/// (each `node_size` bytes, as libhdf5 allocates them), all records checked as in
/// [`raw_records`].
pub fn node_extents(img: &FileImage<'_>, addr: Addr) -> Result<Vec<(Addr, u64)>> {
    let mut tree = Tree::open(img, addr)?;
    let header = tree.header.clone();
    let mut out = vec![(addr, build::header_len(img.sizes()))];
    if let Some(root) = header.root {
        let mut records = Vec::new();
        tree.collect(
            root,
            header.depth,
            u64::from(header.root_records),
            &mut records,
        )?;
        let mut nodes: Vec<u64> = tree.visited.iter().copied().collect();
        nodes.sort_unstable();
        out.extend(
            nodes
                .into_iter()
                .map(|a| (Addr(a), u64::from(header.node_size))),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
