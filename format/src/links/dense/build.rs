//! Bulk construction of dense link and attribute storage (spec IV.A.2.c Link Info and
//! IV.A.2.v Attribute Info): the encoded messages go into a fractal heap with libhdf5's
//! parameters, indexed by a v2 B-tree keyed by name hash (record type 5 for links, 8 for
//! attributes) and, when creation order is tracked, one keyed by creation order (types 6
//! and 9).
//!
//! Name-index records are sorted as libhdf5 compares them (`H5G__dense_btree2_name_compare`,
//! `H5A__dense_btree2_name_compare`): by hash, then by name bytes.
//!
//! The "maximum creation index" stored in the info messages is, as libhdf5 keeps it, the
//! creation order the *next* link or attribute will get: one more than the largest present.

use crate::btree::v2::build::{build as build_tree, DENSE_NODE_SIZE};
use crate::btree::v2::{
    AttributeNameRecord, AttributeOrderRecord, LinkNameRecord, LinkOrderRecord,
};
use crate::checksum;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::heap::fractal::build::{build_heap, HeapParams};
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::link_info::LinkInfo;

/// One link or attribute to store densely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseEntry {
    /// The link or attribute name (hashed for the name index).
    pub name: String,
    /// Its creation order (libhdf5 records 0 for every attribute when order is not tracked).
    pub creation_order: u64,
    /// The encoded Link message or Attribute message body.
    pub message: Vec<u8>,
}

/// Entries in heap order (creation order) and their messages, after checking that names are
/// unique, and creation orders too when they are tracked (untracked attributes all carry 0).
fn prepare(entries: &[DenseEntry], track_order: bool) -> Result<(Vec<&DenseEntry>, Vec<Vec<u8>>)> {
    let mut by_order: Vec<&DenseEntry> = entries.iter().collect();
    by_order.sort_by_key(|e| e.creation_order);
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w.first() == w.get(1)) {
        return Err(Error::Invalid(format!(
            "duplicate name {:?} in dense storage",
            w.first().copied().unwrap_or_default()
        )));
    }
    if track_order
        && by_order
            .windows(2)
            .any(|w| w.first().map(|e| e.creation_order) == w.get(1).map(|e| e.creation_order))
    {
        return Err(Error::Invalid(
            "two entries share a creation order in dense storage".into(),
        ));
    }
    let messages = by_order.iter().map(|e| e.message.clone()).collect();
    Ok((by_order, messages))
}

/// (hash, name, index) of each entry, in name-index order.
fn name_order(entries: &[&DenseEntry]) -> Vec<(u32, usize)> {
    let mut keyed: Vec<(u32, &str, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (checksum::metadata(e.name.as_bytes()), e.name.as_str(), i))
        .collect();
    keyed.sort_by(|a, b| (a.0, a.1.as_bytes()).cmp(&(b.0, b.1.as_bytes())));
    keyed.into_iter().map(|(h, _, i)| (h, i)).collect()
}

fn id_of(ids: &[Vec<u8>], i: usize) -> &[u8] {
    ids.get(i).map(Vec::as_slice).unwrap_or_default()
}

/// Build dense link storage for `entries` (Link message bodies); return the Link Info
/// message that describes it. With `track_order`, a creation-order index is built too and the
/// maximum creation index is recorded.
pub fn build_dense_links(
    entries: &[DenseEntry],
    track_order: bool,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<LinkInfo> {
    let params = HeapParams::links();
    let (ordered, messages) = prepare(entries, track_order)?;
    let (heap, ids) = build_heap(&messages, &params, space, emit)?;
    let names: Vec<Vec<u8>> = name_order(&ordered)
        .into_iter()
        .map(|(hash, i)| {
            LinkNameRecord {
                hash,
                heap_id: id_of(&ids, i),
            }
            .encode()
        })
        .collect();
    let name_size = 4 + params.id_len;
    let name_index = build_tree(5, name_size, &names, DENSE_NODE_SIZE, space, emit)?;
    let mut info = LinkInfo {
        max_creation_index: None,
        fractal_heap: Some(heap),
        name_index: Some(name_index),
        order_index: None,
    };
    if track_order {
        let records: Vec<Vec<u8>> = ordered
            .iter()
            .enumerate()
            .map(|(i, e)| {
                LinkOrderRecord {
                    creation_order: e.creation_order,
                    heap_id: id_of(&ids, i),
                }
                .encode()
            })
            .collect();
        let size = 8 + params.id_len;
        info.order_index = Some(build_tree(6, size, &records, DENSE_NODE_SIZE, space, emit)?);
        info.max_creation_index = Some(ordered.last().map_or(Ok(0), |e| {
            e.creation_order
                .checked_add(1)
                .ok_or_else(|| Error::LimitExceeded("link creation order".into()))
        })?);
    }
    Ok(info)
}

/// Build dense attribute storage for `entries` (Attribute message bodies); return the
/// Attribute Info message that describes it. Record flags are 0 (messages not shared).
pub fn build_dense_attributes(
    entries: &[DenseEntry],
    track_order: bool,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<AttributeInfo> {
    let params = HeapParams::attributes();
    let (ordered, messages) = prepare(entries, track_order)?;
    let orders = ordered
        .iter()
        .map(|e| {
            u16::try_from(e.creation_order).map_err(|_| {
                Error::LimitExceeded(format!(
                    "attribute creation order {} exceeds 65535",
                    e.creation_order
                ))
            })
        })
        .collect::<Result<Vec<u16>>>()?;
    let (heap, ids) = build_heap(&messages, &params, space, emit)?;
    let order_of = |i: usize| u32::from(orders.get(i).copied().unwrap_or(0));
    let names: Vec<Vec<u8>> = name_order(&ordered)
        .into_iter()
        .map(|(hash, i)| {
            AttributeNameRecord {
                heap_id: id_of(&ids, i),
                flags: 0,
                creation_order: order_of(i),
                hash,
            }
            .encode()
        })
        .collect();
    let name_size = params.id_len + 9;
    let name_index = build_tree(8, name_size, &names, DENSE_NODE_SIZE, space, emit)?;
    let mut info = AttributeInfo {
        max_creation_index: None,
        fractal_heap: Some(heap),
        name_index: Some(name_index),
        order_index: None,
    };
    if track_order {
        let records: Vec<Vec<u8>> = (0..ordered.len())
            .map(|i| {
                AttributeOrderRecord {
                    heap_id: id_of(&ids, i),
                    flags: 0,
                    creation_order: order_of(i),
                }
                .encode()
            })
            .collect();
        let size = params.id_len + 5;
        info.order_index = Some(build_tree(9, size, &records, DENSE_NODE_SIZE, space, emit)?);
        info.max_creation_index = Some(match orders.last() {
            Some(&o) => o
                .checked_add(1)
                .ok_or_else(|| Error::LimitExceeded("attribute creation order".into()))?,
            None => 0,
        });
    }
    Ok(info)
}

#[cfg(test)]
mod tests;
