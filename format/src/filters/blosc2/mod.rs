//! The Blosc2 filter (filter ID 32026, hdf5-blosc2's `blosc2_filter.c` as hdf5plugin's
//! `Blosc2` and PyTables' `blosc2:*` complibs ship it). Each HDF5 chunk is stored as a
//! Blosc2 contiguous frame holding one Blosc2 chunk ([`frame`], [`chunk`]); for chunks of
//! rank 2 to 8 the frame carries a `b2nd` metalayer and the chunk is cut into N-dimensional
//! blocks ([`b2nd`]).
//!
//! Client data: 0 filter revision (1), 1 block size in bytes (0: automatic), 2 item size,
//! 3 chunk size in bytes, 4 compression level (0-9), 5 filter (0 none, 1 shuffle,
//! 2 bitshuffle, 3 delta, 4 truncate precision), 6 codec (0 blosclz, 1 lz4, 2 lz4hc,
//! 4 zlib, 5 zstd), 7 chunk rank and 8 on the chunk dimensions (rank 2 to 8 only).
//!
//! Reading follows the chunk and frame as stored (their own codec, filters and block
//! layout); client data only cross-check a b2nd array's shape. Writing stores a plain
//! (non-b2nd) frame for every rank, which hdf5-blosc2 reads as it reads its own 1-D chunks.
//! When client data 6 is absent this crate writes LZ4 (the plugin's default, BloscLZ, is not
//! built in yet).

pub mod b2nd;
pub mod chunk;
mod codecs;
pub mod encode;
pub mod frame;

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use crate::datatype::TypeClass;
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

/// The filter revision client data 0 records (`FILTER_BLOSC2_VERSION`).
pub const FILTER_REVISION: u32 = 1;
/// Compression level when client data give none (hdf5-blosc2's default).
pub const DEFAULT_CLEVEL: u8 = 5;

/// A Blosc2 codec (client data 6; c-blosc2's `BLOSC_*` compressor codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blosc2Codec {
    /// BloscLZ (code 0).
    BloscLz,
    /// LZ4 (code 1).
    Lz4,
    /// LZ4HC (code 2); this crate writes LZ4 streams for it, which LZ4HC decoders read.
    Lz4Hc,
    /// zlib (code 4).
    Zlib,
    /// Zstandard (code 5); this crate's encoder compresses at one level (about zstd's 1).
    Zstd,
}

impl Blosc2Codec {
    /// c-blosc2's compressor code.
    pub fn code(self) -> u8 {
        match self {
            Blosc2Codec::BloscLz => 0,
            Blosc2Codec::Lz4 => 1,
            Blosc2Codec::Lz4Hc => 2,
            Blosc2Codec::Zlib => 4,
            Blosc2Codec::Zstd => 5,
        }
    }

    /// The codec of compressor code `code`.
    pub fn from_code(code: u32) -> Option<Blosc2Codec> {
        Some(match code {
            0 => Blosc2Codec::BloscLz,
            1 => Blosc2Codec::Lz4,
            2 => Blosc2Codec::Lz4Hc,
            4 => Blosc2Codec::Zlib,
            5 => Blosc2Codec::Zstd,
            _ => return None,
        })
    }
}

/// The filter Blosc2 applies before compressing each block (client data 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blosc2Filter {
    /// No filter (code 0).
    NoFilter,
    /// Byte shuffle (code 1).
    Shuffle,
    /// Bit shuffle (code 2).
    BitShuffle,
    /// XOR against the previous item (first block) or the first block (code 3).
    Delta,
}

impl Blosc2Filter {
    /// c-blosc2's filter code.
    pub fn code(self) -> u8 {
        match self {
            Blosc2Filter::NoFilter => chunk::NOFILTER,
            Blosc2Filter::Shuffle => chunk::SHUFFLE,
            Blosc2Filter::BitShuffle => chunk::BITSHUFFLE,
            Blosc2Filter::Delta => chunk::DELTA,
        }
    }

    /// The filter of code `code` (TRUNC_PREC, code 4, is not written by this crate).
    pub fn from_code(code: u32) -> Option<Blosc2Filter> {
        Some(match code {
            0 => Blosc2Filter::NoFilter,
            1 => Blosc2Filter::Shuffle,
            2 => Blosc2Filter::BitShuffle,
            3 => Blosc2Filter::Delta,
            _ => return None,
        })
    }
}

/// The client data the builder stores for `codec`, `clevel` and `filter` (hdf5plugin's
/// `Blosc2(cname, clevel, filters)`); `set_local` fills slots 0-3 and the chunk shape.
pub fn cd_values(codec: Blosc2Codec, clevel: u8, filter: Blosc2Filter) -> Vec<u32> {
    vec![
        0,
        0,
        0,
        0,
        u32::from(clevel.min(9)),
        u32::from(filter.code()),
        u32::from(codec.code()),
    ]
}

/// The Blosc2 filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Blosc2;

impl FilterCodec for Blosc2 {
    fn id(&self) -> u16 {
        id::BLOSC2
    }

    fn name(&self) -> &str {
        "blosc2"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        frame::decode(input, ctx.limit, ctx.offset, ctx.cd_values).map_err(|e| match e {
            Error::Unsupported(what) => {
                Error::Unsupported(format!("{what} (blosc2 chunk at offset {})", ctx.offset))
            }
            e => e,
        })
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let cd = |i: usize| ctx.cd_values.get(i).copied();
        let clevel = cd(4).map_or(DEFAULT_CLEVEL, |c| u8::try_from(c).unwrap_or(u8::MAX));
        if clevel > 9 {
            return Err(Error::Invalid(format!(
                "blosc2: compression level {clevel} (0-9)"
            )));
        }
        let filter = match cd(5) {
            None => Blosc2Filter::Shuffle,
            Some(f) => Blosc2Filter::from_code(f)
                .ok_or_else(|| Error::Unsupported(format!("writing blosc2 filter {f}")))?,
        };
        let codec = match cd(6) {
            None => Blosc2Codec::Lz4,
            Some(c) => Blosc2Codec::from_code(c)
                .ok_or_else(|| Error::Unsupported(format!("blosc2 codec {c}")))?,
        };
        let typesize = match cd(2) {
            Some(t) if t > 0 => usize_of(t),
            _ => ctx.element_size.max(1),
        };
        let p = encode::Params {
            codec,
            clevel,
            filter,
            typesize: if typesize > 255 { 1 } else { typesize },
            blocksize: cd(1).map_or(0, usize_of),
        };
        let info = frame::FrameInfo {
            nbytes: input.len(),
            typesize,
            blocksize: p.blocksize(input.len()),
            compcode: codec.code(),
            clevel,
            filters: {
                let mut f = [0u8; chunk::MAX_FILTERS];
                f[5] = filter.code();
                f
            },
        };
        // A chunk of zeros: a special offset, no chunk (as c-blosc2 writes it; its reader
        // rebuilds the chunk with the frame's typesize, which must then be a Blosc one).
        if typesize <= 255 && !input.is_empty() && input.iter().all(|&b| b == 0) {
            return Ok(Some(frame::write(&info, None)));
        }
        let c = encode::encode_chunk(input, &p)?;
        Ok(Some(frame::write(&info, Some(&c))))
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        let mut v = cd.to_vec();
        if v.len() < 4 {
            v.resize(4, 0);
        }
        let base = match &local.datatype.class {
            TypeClass::Array { base, .. } => base.size(),
            _ => local.element_size(),
        };
        let chunk_bytes = local
            .chunk_dims
            .iter()
            .try_fold(local.element_size() as u64, |n, &d| n.checked_mul(d))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| Error::Invalid("blosc2: chunks must be smaller than 4 GiB".into()))?;
        let slot = |v: &mut Vec<u32>, i: usize, x: u32| {
            if let Some(s) = v.get_mut(i) {
                *s = x;
            }
        };
        slot(&mut v, 0, FILTER_REVISION);
        slot(&mut v, 2, u32::try_from(base).unwrap_or(u32::MAX));
        slot(&mut v, 3, chunk_bytes);
        let ndim = local.chunk_dims.len();
        if ndim > 1 && ndim <= b2nd::MAX_DIM {
            let defaults = [
                u32::from(DEFAULT_CLEVEL),
                u32::from(chunk::SHUFFLE),
                u32::from(Blosc2Codec::Lz4.code()),
            ];
            for (i, d) in defaults.iter().enumerate() {
                if v.len() <= 4 + i {
                    v.push(*d);
                }
            }
            v.truncate(7);
            v.push(u32::try_from(ndim).unwrap_or(0));
            for &d in local.chunk_dims {
                v.push(u32::try_from(d).unwrap_or(u32::MAX));
            }
        }
        Ok(v)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // Ours: header, one memcpyed chunk at worst, offsets and trailer. Others' b2nd
        // frames pad chunks to whole blocks.
        len.saturating_mul(2).saturating_add(4096)
    }
}

#[cfg(test)]
mod tests;
