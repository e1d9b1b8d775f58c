//! Version 1 B-trees (spec III.A.1, signature `TREE`): node type 0 indexes a group's symbol
//! table nodes (`SNOD`), node type 1 indexes raw data chunks.

use crate::chunk_index::{Chunk, IndexParams};
use crate::error::Result;
use crate::io::{Addr, FileImage};
use crate::links::symbol_table::SymbolTableEntry;

/// All symbol table entries of an old-style group, walking the type-0 B-tree rooted at
/// `root` and every symbol table node it points to, in B-tree (name) order.
pub fn group_entries(img: &FileImage<'_>, root: Addr) -> Result<Vec<SymbolTableEntry>> {
    let _ = (img, root);
    Err(crate::error::Error::Unsupported(
        "v1 B-tree groups not implemented yet".into(),
    ))
}

/// All chunks recorded in the type-1 B-tree rooted at `root`.
pub fn chunk_entries(
    img: &FileImage<'_>,
    root: Addr,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    let _ = (img, root, params);
    Err(crate::error::Error::Unsupported(
        "v1 B-tree chunk index not implemented yet".into(),
    ))
}
