//! The `b2nd` (formerly `caterva`) metalayer of a Blosc2 frame (c-blosc2 `README_B2ND_METALAYER.rst`):
//! an N-dimensional array cut into chunks, each chunk into blocks. hdf5-blosc2 stores each
//! HDF5 chunk of rank 2 to 8 as a one-chunk b2nd array whose shape is the chunk's.
//!
//! ```text
//! msgpack array: [version, ndim, shape (int64 x ndim), chunkshape (int32 x ndim),
//!                 blockshape (int32 x ndim), dtype format, dtype]   (caterva: first five)
//! ```
//!
//! The chunk holds the blocks in C order over the block grid, each block's items in C
//! order; chunk dimensions that are not a multiple of the block's are padded.

use crate::error::{Error, Result};

const STRUCTURE: &str = "blosc2 b2nd metalayer";

/// The most dimensions of a b2nd array (`B2ND_MAX_DIM`).
pub(crate) const MAX_DIM: usize = 8;

/// The geometry of a one-chunk b2nd array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub shape: Vec<usize>,
    pub blockshape: Vec<usize>,
}

/// A minimal msgpack reader for the integers and arrays the metalayer uses.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    offset: u64,
}

impl Reader<'_> {
    fn err(&self, what: &str) -> Error {
        Error::corrupt(
            STRUCTURE,
            self.offset,
            format!("{what} at byte {}", self.at),
        )
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .b
            .get(self.at..self.at.saturating_add(n))
            .ok_or_else(|| self.err("truncated"))?;
        self.at += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |v, &x| (v << 8) | u64::from(x)))
    }

    /// A non-negative integer.
    fn uint(&mut self) -> Result<u64> {
        let tag = self.be(1)?;
        let v = match tag {
            0x00..=0x7f => tag,
            0xcc => self.be(1)?,
            0xcd => self.be(2)?,
            0xce => self.be(4)?,
            0xcf => self.be(8)?,
            0xd0 => sign(self.be(1)?, 8),
            0xd1 => sign(self.be(2)?, 16),
            0xd2 => sign(self.be(4)?, 32),
            0xd3 => sign(self.be(8)?, 64),
            _ => return Err(self.err("expected an integer")),
        };
        if v > i64::MAX as u64 {
            return Err(self.err("negative integer"));
        }
        Ok(v)
    }

    fn array_len(&mut self) -> Result<usize> {
        let tag = self.be(1)?;
        match tag {
            0x90..=0x9f => Ok((tag & 0x0f) as usize),
            0xdc => Ok(self.be(2)? as usize),
            _ => Err(self.err("expected an array")),
        }
    }

    fn dims(&mut self, ndim: usize) -> Result<Vec<usize>> {
        if self.array_len()? != ndim {
            return Err(self.err("dimension list of the wrong rank"));
        }
        (0..ndim)
            .map(|_| {
                let v = self.uint()?;
                usize::try_from(v).map_err(|_| self.err("dimension too large"))
            })
            .collect()
    }
}

/// The two's complement `bits`-bit value `v`, sign-extended to 64 bits.
fn sign(v: u64, bits: u32) -> u64 {
    if bits < 64 && (v >> (bits - 1)) & 1 == 1 {
        v | (u64::MAX << bits)
    } else {
        v
    }
}

/// Parse the metalayer content.
pub(crate) fn parse(content: &[u8], offset: u64) -> Result<Geometry> {
    let mut r = Reader {
        b: content,
        at: 0,
        offset,
    };
    let n = r.array_len()?;
    if n < 5 {
        return Err(r.err("metalayer with fewer than 5 fields"));
    }
    let version = r.uint()?;
    if version > 1 {
        return Err(Error::Unsupported(format!(
            "blosc2 b2nd metalayer version {version}"
        )));
    }
    let ndim = usize::try_from(r.uint()?).unwrap_or(usize::MAX);
    if ndim == 0 || ndim > MAX_DIM {
        return Err(r.err(&format!("rank {ndim}")));
    }
    let shape = r.dims(ndim)?;
    let chunkshape = r.dims(ndim)?;
    let blockshape = r.dims(ndim)?;
    if chunkshape != shape {
        return Err(Error::Unsupported(format!(
            "blosc2 b2nd array of shape {shape:?} in chunks of {chunkshape:?} (the HDF5 filter \
             stores one chunk)"
        )));
    }
    if blockshape
        .iter()
        .zip(&shape)
        .any(|(&b, &s)| b == 0 || b > s.max(1))
    {
        return Err(r.err(&format!("block shape {blockshape:?} for shape {shape:?}")));
    }
    Ok(Geometry { shape, blockshape })
}

impl Geometry {
    /// Items of the array, and of the padded chunk (whole blocks).
    pub fn items(&self) -> Option<(usize, usize)> {
        let mut real = 1usize;
        let mut padded = 1usize;
        for (&s, &b) in self.shape.iter().zip(&self.blockshape) {
            real = real.checked_mul(s)?;
            padded = padded.checked_mul(s.div_ceil(b).checked_mul(b)?)?;
        }
        Some((real, padded))
    }

    /// Items of one block.
    pub fn block_items(&self) -> usize {
        self.blockshape.iter().product()
    }

    /// Copy block `index` (`bytes`: its items, `ts` bytes each, C order) into the array
    /// `out` (C order over `shape`), dropping the padding.
    pub fn scatter(&self, index: usize, bytes: &[u8], ts: usize, out: &mut [u8]) {
        let nd = self.shape.len();
        let grid: Vec<usize> = self
            .shape
            .iter()
            .zip(&self.blockshape)
            .map(|(&s, &b)| s.div_ceil(b))
            .collect();
        // The block's first item in array coordinates.
        let mut origin = vec![0usize; nd];
        let mut rest = index;
        for d in (0..nd).rev() {
            let g = grid.get(d).copied().unwrap_or(1).max(1);
            let b = self.blockshape.get(d).copied().unwrap_or(1);
            if let Some(o) = origin.get_mut(d) {
                *o = rest % g * b;
            }
            rest /= g;
        }
        let last = nd - 1;
        let row = self.blockshape.get(last).copied().unwrap_or(1);
        let (o_last, s_last) = (
            origin.get(last).copied().unwrap_or(0),
            self.shape.get(last).copied().unwrap_or(0),
        );
        if o_last >= s_last {
            return;
        }
        let run = row.min(s_last - o_last) * ts;
        let rows = bytes.len() / ts / row.max(1);
        'rows: for r in 0..rows {
            // Position of this row inside the block, then in the array.
            let mut local = r;
            let mut at = 0usize;
            let mut stride = 1usize;
            for d in (0..nd).rev() {
                let s = self.shape.get(d).copied().unwrap_or(0);
                let coord = if d == last {
                    o_last
                } else {
                    let b = self.blockshape.get(d).copied().unwrap_or(1);
                    let c = origin.get(d).copied().unwrap_or(0) + local % b;
                    local /= b;
                    c
                };
                if coord >= s {
                    continue 'rows;
                }
                at += coord * stride;
                stride *= s;
            }
            let src = r * row * ts;
            if let (Some(s), Some(d)) = (
                bytes.get(src..src + run),
                out.get_mut(at * ts..at * ts + run),
            ) {
                d.copy_from_slice(s);
            }
        }
    }
}
