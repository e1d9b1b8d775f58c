//! Chunk index: version 1 B-tree, node type 1 (layout messages v1-v3).

use super::{Chunk, IndexParams};
use crate::error::Result;
use crate::io::{Addr, FileImage};

/// Every chunk in the B-tree rooted at `root`.
pub fn chunks(img: &FileImage<'_>, root: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    crate::btree::v1::chunk_entries(img, root, params)
}
