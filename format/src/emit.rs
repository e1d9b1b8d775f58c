//! Encoding output, below every structure's encoder: where a structure's blocks go.
//!
//! Structures are written in two phases (spec-level encoders know nothing of files): a builder
//! asks a [`Space`] for addresses, encodes its blocks with those addresses embedded (the
//! little-endian field writers are [`crate::io::PutLe`]), and pushes them to an [`Emit`] list;
//! the caller (the writer, or [`MemSpace`] for whole images built in memory) then writes the
//! blocks and publishes the new root address (a header message, a superblock field) last.

use crate::error::{Error, Result};
use crate::io::{Addr, FileImage, Sizes};

/// Hands out file space.
pub trait Space {
    /// Reserve `len` bytes and return their address.
    fn alloc(&mut self, len: u64) -> Result<Addr>;
    /// The field sizes of the file being written.
    fn sizes(&self) -> Sizes;
}

/// Blocks waiting to be written: (address, bytes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Emit {
    /// The blocks, in the order they were produced.
    pub blocks: Vec<(Addr, Vec<u8>)>,
}

impl Emit {
    /// Queue `bytes` for `addr`.
    pub fn put(&mut self, addr: Addr, bytes: Vec<u8>) {
        self.blocks.push((addr, bytes));
    }

    /// Total bytes queued.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(|b| b.1.len()).sum()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// An in-memory file image for tests and for building whole files: allocation appends at the
/// end; [`MemSpace::apply`] writes emitted blocks into the image.
#[derive(Debug, Clone)]
pub struct MemSpace {
    /// The bytes written so far (address 0 = offset 0).
    pub bytes: Vec<u8>,
    /// Field sizes.
    pub sizes: Sizes,
    /// Next free address.
    pub end: u64,
}

impl MemSpace {
    /// An empty image whose first `reserved` bytes are already taken (e.g. by a superblock).
    pub fn new(sizes: Sizes, reserved: u64) -> Self {
        MemSpace {
            // Saturating: a reservation beyond memory fails to allocate, it is not truncated.
            bytes: vec![0; usize::try_from(reserved).unwrap_or(usize::MAX)],
            sizes,
            end: reserved,
        }
    }

    /// Write every emitted block into the image.
    pub fn apply(&mut self, emit: &Emit) -> Result<()> {
        for (addr, data) in &emit.blocks {
            self.write(*addr, data)?;
        }
        Ok(())
    }

    /// Write `data` at `addr`, growing the image as needed.
    pub fn write(&mut self, addr: Addr, data: &[u8]) -> Result<()> {
        let start = usize::try_from(addr.0).map_err(|_| Error::LimitExceeded("address".into()))?;
        let end = start
            .checked_add(data.len())
            .ok_or_else(|| Error::LimitExceeded(format!("{} bytes at {addr}", data.len())))?;
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
        }
        if let Some(slot) = self.bytes.get_mut(start..end) {
            slot.copy_from_slice(data);
        }
        Ok(())
    }

    /// A reader's view of the image.
    pub fn image(&self) -> FileImage<'_> {
        FileImage::new(&self.bytes, 0, self.sizes)
    }
}

impl Space for MemSpace {
    fn alloc(&mut self, len: u64) -> Result<Addr> {
        let addr = Addr(self.end);
        let end = self
            .sizes
            .extent_end(self.end, len, "allocating file space")?;
        // Keep structures 8-byte aligned, as libhdf5 does not require but tools like.
        self.end = end
            .checked_add((8 - end % 8) % 8)
            .ok_or_else(|| Error::LimitExceeded("file size".into()))?;
        Ok(addr)
    }

    fn sizes(&self) -> Sizes {
        self.sizes
    }
}
