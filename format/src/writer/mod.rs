//! Writing: the pieces every structure encoder shares.
//!
//! Structures are written in two phases (spec-level encoders know nothing of files): a builder
//! asks a [`Space`] for addresses, encodes its blocks with those addresses embedded, and
//! pushes them to an [`Emit`] list; the caller then writes the blocks and publishes the new
//! root address (a header message, a superblock field) last.

pub mod attrs;
pub mod chunking;
pub mod datasets;
pub mod groups;
pub mod header;
pub mod session;
pub mod space;
pub mod symtab;
pub mod vlen;

use crate::dataspace::{Dataspace, SpaceKind, MAX_RANK, UNLIMITED};
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

/// Encode a Dataspace message, refusing what [`Dataspace::encode`] would write wrongly: a
/// rank above [`MAX_RANK`], maximum dimensions not one per dimension, or a dimension that
/// does not fit the file's size of lengths (a maximum dimension equal to the all-ones
/// value would also read back as unlimited).
///
/// `Dataspace::encode` itself cannot fail (it lives in a file being reworked); once it
/// returns `Result` with these checks, this wrapper can go.
pub fn encode_dataspace(space: &Dataspace, sizes: Sizes) -> Result<Vec<u8>> {
    if space.kind == SpaceKind::Simple {
        let rank = space.dims.len();
        if rank > MAX_RANK {
            return Err(Error::Invalid(format!(
                "dataspace of rank {rank}: at most {MAX_RANK}"
            )));
        }
        let max = sizes.max_length();
        let too_big = |what: &str, d: u64| {
            Error::LimitExceeded(format!(
                "dataspace {what} {d} does not fit the file's {}-byte lengths",
                sizes.length
            ))
        };
        if let Some(&d) = space.dims.iter().find(|&&d| d > max) {
            return Err(too_big("dimension", d));
        }
        if let Some(m) = &space.max_dims {
            if m.len() != rank {
                return Err(Error::Invalid(format!(
                    "{} maximum dimensions for a dataspace of rank {rank}",
                    m.len()
                )));
            }
            if let Some(&d) = m.iter().find(|&&d| d != UNLIMITED && d >= max) {
                return Err(too_big("maximum dimension", d));
            }
        }
    }
    Ok(space.encode(sizes))
}

/// Little-endian helpers for encoders that cannot fail, kept only for the modules not yet
/// moved to [`crate::io::PutLe`] (`dataspace.rs`, `dataspace/selection.rs`,
/// `heap/vds_block.rs`).
///
/// **Truncates** a value that does not fit its field: every caller must prove the fit.
/// New code uses [`crate::io::PutLe`], which returns an error instead.
pub trait PutLe {
    /// Append an unsigned value in `n` little-endian bytes.
    fn put_uint(&mut self, v: u64, n: usize);
    /// Append an address (`None` = undefined, all ones) of the file's offset size.
    fn put_addr(&mut self, addr: Option<Addr>, sizes: Sizes);
    /// Append a length of the file's length size.
    fn put_length(&mut self, v: u64, sizes: Sizes);
}

impl PutLe for Vec<u8> {
    fn put_uint(&mut self, v: u64, n: usize) {
        let bytes = v.to_le_bytes();
        // `n.min(8)` <= bytes.len(): the fallback is never taken.
        self.extend_from_slice(bytes.get(..n.min(8)).unwrap_or(&bytes));
        for _ in 8..n {
            self.push(0);
        }
    }

    fn put_addr(&mut self, addr: Option<Addr>, sizes: Sizes) {
        let n = usize::from(sizes.offset);
        match addr {
            Some(a) => self.put_uint(a.0, n),
            None => self.extend(std::iter::repeat_n(0xff, n)),
        }
    }

    fn put_length(&mut self, v: u64, sizes: Sizes) {
        self.put_uint(v, usize::from(sizes.length));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn encode_dataspace_refuses_what_the_lengths_cannot_hold() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let space = |dims: Vec<u64>, max: Option<Vec<u64>>| Dataspace {
            kind: SpaceKind::Simple,
            dims,
            max_dims: max,
        };
        let err = |d: &Dataspace| encode_dataspace(d, s4).unwrap_err().to_string();
        let ok = space(vec![u64::from(u32::MAX)], Some(vec![UNLIMITED]));
        assert_eq!(encode_dataspace(&ok, s4).unwrap(), ok.encode(s4));
        let e = err(&space(vec![1 << 32], None));
        assert!(
            e.contains("dimension 4294967296 does not fit the file's 4-byte lengths"),
            "{e}"
        );
        // All ones would read back as unlimited.
        let e = err(&space(vec![1], Some(vec![u64::from(u32::MAX)])));
        assert!(e.contains("maximum dimension 4294967295"), "{e}");
        assert!(err(&space(vec![1, 2], Some(vec![1]))).contains("1 maximum dimensions"));
        assert!(err(&space(vec![1; 33], None)).contains("rank 33"));
        assert!(encode_dataspace(&space(vec![1 << 32], None), Sizes::default()).is_ok());
    }
}
