//! Chunk index: version 1 B-tree, node type 1 (layout messages v1-v3; spec III.A.1).
//!
//! Reading walks the tree ([`crate::btree::v1::chunk_entries`]); [`build`] writes a whole
//! tree at once: level-0 keys are the chunks (stored size, filter mask, element offsets and
//! a trailing 0 for the element-size axis), sorted by offset; the key right of the last
//! chunk is the "one past" key libhdf5 writes when a chunk becomes the right-most one
//! (`H5D__btree_new_node`): the last chunk's offset plus one chunk on every axis, including
//! the element-size axis (whose "offset" is then the element size), with size and mask 0.
//! (libhdf5's own trees keep whichever such key was made first for the right-most leaf, so
//! their right-most key depends on the order chunks were written; any key above every chunk
//! is valid for its searches and inserts.)

use super::{Chunk, IndexParams};
use crate::btree::v1::{build_tree, chunk_key};
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

/// Node type of chunk B-trees.
const CHUNK_NODE: u8 = 1;

/// Every chunk in the B-tree rooted at `root`.
pub fn chunks(img: &FileImage<'_>, root: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    crate::btree::v1::chunk_entries(img, root, params)
}

/// Build a v1 B-tree (node type 1, nodes of `2k` entries) indexing `chunks`; the root goes
/// at `root_at` when given (an existing root node of the same K and rank, rebuilt in place),
/// else it is allocated. Returns the root address.
pub fn build(
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    k: u16,
    root_at: Option<Addr>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    let rank = params.chunk_dims.len();
    if rank == 0 || params.chunk_dims.contains(&0) {
        return Err(Error::Invalid(format!(
            "chunk dimensions {:?} for a v1 B-tree",
            params.chunk_dims
        )));
    }
    let mut sorted: Vec<&Chunk> = chunks.iter().collect();
    if sorted.iter().any(|c| c.offset.len() != rank) {
        return Err(Error::Invalid(
            "chunk offset rank differs from the chunk rank".into(),
        ));
    }
    sorted.sort_by(|a, b| a.offset.cmp(&b.offset));
    if sorted
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.offset == b.offset))
    {
        return Err(Error::Invalid("two chunks have the same offset".into()));
    }
    let items = sorted
        .iter()
        .map(|c| Ok((chunk_key(c.size, c.filter_mask, &c.offset, 0)?, c.addr)))
        .collect::<Result<Vec<_>>>()?;
    let last = sorted
        .last()
        .map(|c| c.offset.clone())
        .unwrap_or_else(|| vec![0; rank]);
    let past = last
        .iter()
        .zip(params.chunk_dims)
        .map(|(&o, &d)| o.checked_add(d))
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| Error::LimitExceeded("chunk offset overflows".into()))?;
    let final_key = chunk_key(0, 0, &past, params.element_size)?;
    let key_size = 8 + 8 * (rank + 1);
    build_tree(
        CHUNK_NODE, k, key_size, items, final_key, root_at, space, emit,
    )
}
