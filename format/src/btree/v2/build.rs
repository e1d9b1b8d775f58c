//! Bulk construction of version 2 B-trees (spec III.A.2): given every record in key order,
//! write the leaves, internal nodes and header of a balanced tree.
//!
//! The shape is chosen top-down: the depth is the smallest whose capacity holds every record,
//! and each internal node gets the fewest children that can hold its records, which are then
//! spread evenly among them. Nodes are thus between roughly half full and full, so the split
//! and merge logic libhdf5 runs when it later inserts or removes records (`H5B2__insert`,
//! `H5B2__remove`) finds the tree in the state it expects. Field widths are those of
//! [`NodeLevels`], the same computation the reader uses.

use super::{BTreeV2Header, NodeLevels, MAX_DEPTH, NODE_PREFIX};
use crate::checksum;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Sizes};

/// Split percentage libhdf5 uses for every v2 B-tree it creates.
pub const SPLIT_PERCENT: u8 = 100;
/// Merge percentage libhdf5 uses for every v2 B-tree it creates.
pub const MERGE_PERCENT: u8 = 40;
/// Node size of the name and creation-order indexes of dense links and attributes
/// (`H5G_NAME_BT2_NODE_SIZE`, `H5A_NAME_BT2_NODE_SIZE`) and of huge-object trees.
pub const DENSE_NODE_SIZE: u32 = 512;

/// Size in bytes of an encoded v2 B-tree header.
pub fn header_len(sizes: Sizes) -> u64 {
    16 + u64::from(sizes.offset) + 2 + u64::from(sizes.length) + 4
}

/// Encode a v2 B-tree header (`BTHD`) with its checksum.
pub fn encode_header(header: &BTreeV2Header, sizes: Sizes) -> Result<Vec<u8>> {
    // A capacity hint only.
    let mut v = Vec::with_capacity(usize::try_from(header_len(sizes)).unwrap_or(0));
    v.extend_from_slice(b"BTHD");
    v.push(0);
    v.push(header.record_type);
    v.put_u32(header.node_size);
    v.put_u16(header.record_size);
    v.put_u16(header.depth);
    v.push(SPLIT_PERCENT);
    v.push(MERGE_PERCENT);
    v.put_addr(header.root, sizes)?;
    v.put_u16(header.root_records);
    v.put_length(header.total_records, sizes)?;
    let sum = checksum::metadata(&v);
    v.put_u32(sum);
    Ok(v)
}

/// A node written by the builder: where it is, how many records it holds itself and in its
/// whole subtree.
struct Built {
    addr: Addr,
    records: u64,
    total: u64,
}

struct Builder<'s> {
    record_type: u8,
    node_size: u32,
    levels: NodeLevels,
    sizes: Sizes,
    space: &'s mut dyn Space,
    emit: &'s mut Emit,
}

impl Builder<'_> {
    fn cum_max(&self, level: u16) -> u64 {
        self.levels
            .cum_max_records
            .get(usize::from(level))
            .copied()
            .unwrap_or(0)
    }

    fn max(&self, level: u16) -> u64 {
        self.levels
            .max_records
            .get(usize::from(level))
            .copied()
            .unwrap_or(0)
    }

    /// Start a node image: signature, version, type.
    fn node_start(&self, sig: &[u8; 4]) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.node_size as usize);
        v.extend_from_slice(sig);
        v.push(0);
        v.push(self.record_type);
        v
    }

    /// Checksum, pad to the node size, allocate and queue a node image.
    fn finish(&mut self, mut v: Vec<u8>) -> Result<Addr> {
        let sum = checksum::metadata(&v);
        v.put_u32(sum);
        if v.len() > self.node_size as usize {
            return Err(Error::Invalid(format!(
                "v2 B-tree node of {} bytes exceeds the node size {}",
                v.len(),
                self.node_size
            )));
        }
        v.resize(self.node_size as usize, 0);
        let addr = self.space.alloc(u64::from(self.node_size))?;
        self.emit.put(addr, v);
        Ok(addr)
    }

    /// Build the subtree at `level` holding exactly `records`.
    fn subtree(&mut self, level: u16, records: &[Vec<u8>]) -> Result<Built> {
        let n = records.len() as u64;
        if level == 0 {
            if n > self.max(0) {
                return Err(Error::Invalid("v2 B-tree leaf overflow".into()));
            }
            let mut v = self.node_start(b"BTLF");
            for r in records {
                v.extend_from_slice(r);
            }
            let addr = self.finish(v)?;
            return Ok(Built {
                addr,
                records: n,
                total: n,
            });
        }
        // Fewest children that can hold the records (at least two, so the node holds a record).
        let below = self.cum_max(level - 1);
        let max_children = self.max(level).saturating_add(1);
        let mut k = 2u64;
        while k < max_children && n.saturating_sub(k - 1) > k.saturating_mul(below) {
            k += 1;
        }
        let k = k.min(n.saturating_add(1) / 2).max(1);
        if n.saturating_sub(k - 1) > k.saturating_mul(below) {
            return Err(Error::Invalid("v2 B-tree internal node overflow".into()));
        }
        let in_children = n - (k - 1);
        let base = in_children / k;
        let extra = in_children % k;
        let mut children = Vec::new();
        let mut separators = Vec::new();
        let mut rest = records;
        for i in 0..k {
            let take = usize::try_from(base + u64::from(i < extra)).unwrap_or(usize::MAX);
            let (mine, after) = rest.split_at(take.min(rest.len()));
            children.push(self.subtree(level - 1, mine)?);
            rest = after;
            if i + 1 < k {
                let (sep, after) = rest.split_at(1.min(rest.len()));
                separators.extend(sep.iter());
                rest = after;
            }
        }
        let mut v = self.node_start(b"BTIN");
        for r in &separators {
            v.extend_from_slice(r);
        }
        let nrec_width = self.levels.max_records_size;
        let total_width = if level > 1 {
            self.levels
                .cum_max_records_size
                .get(usize::from(level) - 1)
                .copied()
                .unwrap_or(0)
        } else {
            0
        };
        let mut total = separators.len() as u64;
        for c in &children {
            v.put_addr(Some(c.addr), self.sizes)?;
            v.put_uint(c.records, nrec_width)?;
            if total_width > 0 {
                v.put_uint(c.total, total_width)?;
            }
            total += c.total;
        }
        let addr = self.finish(v)?;
        Ok(Built {
            addr,
            records: separators.len() as u64,
            total,
        })
    }
}

/// Build a v2 B-tree of `record_type` holding `records` (each `record_size` bytes, already in
/// the tree's key order) with nodes of `node_size` bytes; return the header's address.
///
/// An empty `records` gives a header with an undefined root, as libhdf5 writes for an empty
/// tree.
pub fn build(
    record_type: u8,
    record_size: u16,
    records: &[Vec<u8>],
    node_size: u32,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    let sizes = space.sizes();
    if let Some(bad) = records.iter().find(|r| r.len() != usize::from(record_size)) {
        return Err(Error::Invalid(format!(
            "v2 B-tree record of {} bytes, expected {record_size}",
            bad.len()
        )));
    }
    if u64::from(node_size) < NODE_PREFIX + u64::from(record_size) {
        return Err(Error::Invalid(format!(
            "v2 B-tree node size {node_size} cannot hold a {record_size}-byte record"
        )));
    }
    let total = records.len() as u64;
    let mut header = BTreeV2Header {
        record_type,
        node_size,
        record_size,
        depth: 0,
        root: None,
        root_records: 0,
        total_records: total,
    };
    let header_addr = space.alloc(header_len(sizes))?;
    if !records.is_empty() {
        // Smallest depth whose capacity holds every record.
        let mut levels = NodeLevels::new(&header, sizes, 0)?;
        while levels.cum_max_records.last().copied().unwrap_or(0) < total {
            if header.depth >= MAX_DEPTH {
                return Err(Error::LimitExceeded("v2 B-tree depth".into()));
            }
            header.depth += 1;
            levels = NodeLevels::new(&header, sizes, 0)?;
        }
        let mut b = Builder {
            record_type,
            node_size,
            levels,
            sizes,
            space,
            emit,
        };
        let root = b.subtree(header.depth, records)?;
        header.root = Some(root.addr);
        header.root_records = u16::try_from(root.records)
            .map_err(|_| Error::LimitExceeded("v2 B-tree root record count".into()))?;
    }
    emit.put(header_addr, encode_header(&header, sizes)?);
    Ok(header_addr)
}

#[cfg(test)]
mod tests;
