//! Fractal heaps (spec III.G; signatures `FRHP`, `FHDB`, `FHIB`).

use std::borrow::Cow;

use crate::error::Result;
use crate::io::{Addr, FileImage};

/// A parsed fractal heap header, able to fetch objects by heap ID.
#[derive(Clone, Debug)]
pub struct FractalHeap<'a> {
    img: FileImage<'a>,
    addr: Addr,
}

impl<'a> FractalHeap<'a> {
    /// Parse the header at `addr`.
    pub fn parse(img: &FileImage<'a>, addr: Addr) -> Result<Self> {
        let _ = (img, addr);
        Err(crate::error::Error::Unsupported(
            "fractal heaps not implemented yet".into(),
        ))
    }

    /// The object with heap ID `id` (managed, tiny or huge).
    pub fn get(&self, id: &[u8]) -> Result<Cow<'a, [u8]>> {
        let _ = (&self.img, self.addr, id);
        Err(crate::error::Error::Unsupported(
            "fractal heaps not implemented yet".into(),
        ))
    }
}
