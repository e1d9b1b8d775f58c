//! Local heaps (spec III.D, signature `HEAP`).

use crate::error::Result;
use crate::io::{Addr, FileImage};

/// A parsed local heap: the bytes of its data segment.
#[derive(Clone, Debug)]
pub struct LocalHeap<'a> {
    /// The data segment.
    pub data: &'a [u8],
    /// Absolute file offset of the data segment (for errors).
    pub data_offset: u64,
}

impl<'a> LocalHeap<'a> {
    /// Parse the heap header at `addr` and locate its data segment.
    pub fn parse(img: &FileImage<'a>, addr: Addr) -> Result<Self> {
        let _ = (img, addr);
        Err(crate::error::Error::Unsupported(
            "local heaps not implemented yet".into(),
        ))
    }

    /// The NUL-terminated string starting at `offset` in the data segment (without the NUL).
    pub fn string_at(&self, offset: u64) -> Result<&'a [u8]> {
        let _ = offset;
        Err(crate::error::Error::Unsupported(
            "local heaps not implemented yet".into(),
        ))
    }
}
