//! Chunk index: fixed array (`FAHD`, `FADB`, Appendix C).

use super::{Chunk, IndexParams};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let _ = (img, addr, params);
    Err(Error::Unsupported(
        "fixed_array chunk index not implemented yet".into(),
    ))
}
