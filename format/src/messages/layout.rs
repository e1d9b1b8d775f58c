//! The Data Layout message (spec IV.A.2.i, message 0x0008), versions 1-5 (version 5 is
//! HDF5 2.0's: as version 4, with filtered-chunk sizes "size of lengths" bytes wide).

use crate::error::Result;
use crate::io::{Addr, Cursor};

/// How a chunked dataset's chunks are indexed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkIndexKind {
    /// Version 1 B-tree (node type 1), layouts v1-v3.
    BtreeV1 {
        /// Root node address; `None` when no chunk was ever written.
        addr: Option<Addr>,
    },
    /// Single chunk (index type 1).
    SingleChunk {
        /// The chunk's address.
        addr: Option<Addr>,
        /// Size and filter mask when the dataset is filtered (layout flag bit 1).
        filtered: Option<(u64, u32)>,
    },
    /// Implicit (index type 2): chunks stored in order, allocated early.
    Implicit {
        /// Address of the first chunk.
        addr: Option<Addr>,
    },
    /// Fixed array (index type 3).
    FixedArray {
        /// Page bits.
        page_bits: u8,
        /// Header address.
        addr: Option<Addr>,
    },
    /// Extensible array (index type 4).
    ExtensibleArray {
        /// Maximum number of bits for elements.
        max_bits: u8,
        /// Index elements.
        index_elements: u8,
        /// Minimum pointers in a data block.
        min_pointers: u8,
        /// Minimum elements in a data block.
        min_elements: u8,
        /// Page bits.
        page_bits: u8,
        /// Header address.
        addr: Option<Addr>,
    },
    /// Version 2 B-tree (index type 5; record type 10 or 11).
    BtreeV2 {
        /// Node size.
        node_size: u32,
        /// Split percent.
        split_percent: u8,
        /// Merge percent.
        merge_percent: u8,
        /// Header address.
        addr: Option<Addr>,
    },
}

/// Chunked layout properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedLayout {
    /// Layout message version (1-5); 5 widens filtered chunk sizes.
    pub version: u8,
    /// Layout flags (v4+): bit 0 don't filter partial edge chunks, bit 1 single chunk filtered.
    pub flags: u8,
    /// Chunk dimensions in elements, one per dataset axis (the trailing element-size
    /// dimension of the message is removed and stored in `element_size`).
    pub chunk_dims: Vec<u64>,
    /// Element size recorded in the message.
    pub element_size: u64,
    /// The chunk index.
    pub index: ChunkIndexKind,
}

/// A decoded data layout message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Raw data inside the message.
    Compact {
        /// The bytes.
        data: Vec<u8>,
    },
    /// One contiguous block.
    Contiguous {
        /// Address; `None` when never written (read as the fill value).
        addr: Option<Addr>,
        /// Size in bytes.
        size: u64,
    },
    /// Chunked storage.
    Chunked(ChunkedLayout),
    /// Virtual datasets (reported as unsupported when read).
    Virtual,
}

impl Layout {
    /// Decode the message body (versions 1-5).
    ///
    /// Versions 1 and 2 store 32-bit dimensions; their contiguous size is not stored and is
    /// returned as the product of the stored dimensions (libhdf5 writes the element size as
    /// the last one), which may be truncated for huge datasets: callers should prefer
    /// element count x datatype size. Versions 4 and 5 (identical encoding) add chunk
    /// indexes and the virtual class, whose contents are skipped.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        match version {
            1 | 2 => parse_old(c, version),
            3..=5 => {
                let class = c.u8()?;
                match class {
                    0 => {
                        let size = c.u16()?;
                        Ok(Layout::Compact {
                            data: c.take(usize::from(size))?.to_vec(),
                        })
                    }
                    1 => Ok(Layout::Contiguous {
                        addr: c.addr()?,
                        size: c.length()?,
                    }),
                    2 if version == 3 => {
                        let ndims = chunk_rank(c)?;
                        let addr = c.addr()?;
                        let dims = read_dims(c, ndims, 4)?;
                        Ok(chunked(
                            c,
                            version,
                            0,
                            dims,
                            ChunkIndexKind::BtreeV1 { addr },
                        )?)
                    }
                    2 => parse_chunked_v4(c, version),
                    3 if version >= 4 => {
                        // Virtual: global heap address and index of the mapping list.
                        c.skip(c.remaining())?;
                        Ok(Layout::Virtual)
                    }
                    k => Err(c.error(format!(
                        "layout class {k} is not defined for layout version {version}"
                    ))),
                }
            }
            v => Err(c.error(format!("layout message version {v} is not 1-5"))),
        }
    }
}

/// Most chunk dimensions (dataset rank 32 plus the element-size dimension).
const MAX_CHUNK_DIMS: usize = 33;

/// Layout versions 1 and 2.
fn parse_old(c: &mut Cursor<'_>, version: u8) -> Result<Layout> {
    let ndims = usize::from(c.u8()?);
    if ndims == 0 || ndims > MAX_CHUNK_DIMS {
        return Err(c.error(format!("layout dimensionality {ndims} is out of range")));
    }
    let class = c.u8()?;
    c.skip(5)?;
    match class {
        0 => {
            c.skip(ndims * 4)?;
            let size = c.u32()?;
            Ok(Layout::Compact {
                data: c.take_u64(u64::from(size))?.to_vec(),
            })
        }
        1 => {
            let addr = c.addr()?;
            let dims = read_dims(c, ndims, 4)?;
            let size = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| c.error("contiguous size overflows"))?;
            Ok(Layout::Contiguous { addr, size })
        }
        2 => {
            if ndims < 2 {
                return Err(c.error("chunked layout needs at least 2 dimensions"));
            }
            let addr = c.addr()?;
            let dims = read_dims(c, ndims, 4)?;
            chunked(c, version, 0, dims, ChunkIndexKind::BtreeV1 { addr })
        }
        k => Err(c.error(format!(
            "layout class {k} is not defined for layout version {version}"
        ))),
    }
}

fn chunk_rank(c: &mut Cursor<'_>) -> Result<usize> {
    let ndims = usize::from(c.u8()?);
    if !(2..=MAX_CHUNK_DIMS).contains(&ndims) {
        return Err(c.error(format!(
            "chunked layout dimensionality {ndims} is out of range (2-{MAX_CHUNK_DIMS})"
        )));
    }
    Ok(ndims)
}

fn read_dims(c: &mut Cursor<'_>, ndims: usize, width: usize) -> Result<Vec<u64>> {
    let mut dims = Vec::with_capacity(ndims);
    for _ in 0..ndims {
        dims.push(c.uint(width)?);
    }
    Ok(dims)
}

/// Split off the trailing element-size dimension and check every dimension is non-zero.
fn chunked(
    c: &Cursor<'_>,
    version: u8,
    flags: u8,
    mut dims: Vec<u64>,
    index: ChunkIndexKind,
) -> Result<Layout> {
    if dims.contains(&0) {
        return Err(c.error(format!("chunk dimensions {dims:?} include zero")));
    }
    let element_size = dims
        .pop()
        .ok_or_else(|| c.error("chunked layout without dimensions"))?;
    Ok(Layout::Chunked(ChunkedLayout {
        version,
        flags,
        chunk_dims: dims,
        element_size,
        index,
    }))
}

/// Chunked layout of versions 4 and 5.
fn parse_chunked_v4(c: &mut Cursor<'_>, version: u8) -> Result<Layout> {
    let flags = c.u8()?;
    if flags & !0x03 != 0 {
        return Err(c.error(format!(
            "chunked layout flags {flags:#04x} has reserved bits set"
        )));
    }
    let ndims = chunk_rank(c)?;
    let width = usize::from(c.u8()?);
    if !(1..=8).contains(&width) {
        return Err(c.error(format!("chunk dimension width {width} is not 1-8")));
    }
    let dims = read_dims(c, ndims, width)?;
    let index_type = c.u8()?;
    let index = match index_type {
        1 => {
            let filtered = if flags & 0x02 != 0 {
                Some((c.length()?, c.u32()?))
            } else {
                None
            };
            ChunkIndexKind::SingleChunk {
                filtered,
                addr: c.addr()?,
            }
        }
        2 => ChunkIndexKind::Implicit { addr: c.addr()? },
        3 => ChunkIndexKind::FixedArray {
            page_bits: c.u8()?,
            addr: c.addr()?,
        },
        4 => ChunkIndexKind::ExtensibleArray {
            max_bits: c.u8()?,
            index_elements: c.u8()?,
            min_pointers: c.u8()?,
            min_elements: c.u8()?,
            page_bits: c.u8()?,
            addr: c.addr()?,
        },
        5 => ChunkIndexKind::BtreeV2 {
            node_size: c.u32()?,
            split_percent: c.u8()?,
            merge_percent: c.u8()?,
            addr: c.addr()?,
        },
        t => return Err(c.error(format!("chunk index type {t} is not defined"))),
    };
    chunked(c, version, flags, dims, index)
}
