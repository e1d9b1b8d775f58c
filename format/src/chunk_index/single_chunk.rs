//! Chunk index: single chunk, the whole dataset in one chunk (Appendix C).

use super::{Chunk, IndexParams};
use crate::error::{Error, Result};
use crate::io::Addr;

/// The one chunk at `addr`; `filtered` gives its stored size and filter mask.
pub fn chunks(
    addr: Addr,
    filtered: Option<(u64, u32)>,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    let _ = (addr, filtered, params);
    Err(Error::Unsupported(
        "single chunk index not implemented yet".into(),
    ))
}
