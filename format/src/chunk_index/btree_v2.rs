//! Chunk index: version 2 B-tree, record types 10 (unfiltered) and 11 (filtered) (Appendix C).

use super::{Chunk, IndexParams};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let _ = (img, addr, params);
    Err(Error::Unsupported(
        "btree_v2 chunk index not implemented yet".into(),
    ))
}
