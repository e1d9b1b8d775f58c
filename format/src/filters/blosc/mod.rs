//! The Blosc filter (filter ID 32001, hdf5-blosc's `blosc_filter.c` as hdf5plugin's
//! `Blosc` and PyTables' `blosc:*` complibs ship it): each chunk one c-blosc 1.x frame
//! ([`frame`]), its blocks shuffled and compressed with one of Blosc's codecs ([`codecs`]).
//!
//! Client data, as hdf5-blosc's `set_local` records it:
//!
//! | slot | value |
//! | --- | --- |
//! | 0 | filter revision (2) |
//! | 1 | Blosc frame format version (2) |
//! | 2 | type size: the element size, an array's base element size, 1 if over 255 |
//! | 3 | chunk size in bytes |
//! | 4 | compression level 0-9 (absent: 5) |
//! | 5 | shuffle: 0 none, 1 byte, 2 bit (absent: 1) |
//! | 6 | compressor: 0 BloscLZ, 1 LZ4, 2 LZ4HC, 3 Snappy, 4 zlib, 5 Zstandard (absent: 0) |
//!
//! Decoding trusts only the frame's own header. Encoding follows c-blosc 1.21 (its block
//! size, split rule and header) and, as hdf5-blosc does, declines a chunk whose frame would
//! be larger than the chunk (level 0, chunks under 128 bytes, incompressible data): the
//! filter is optional, so such a chunk is stored unfiltered.

pub mod codecs;
pub mod frame;

#[cfg(test)]
mod tests;

use codecs::Codec;
use frame::Shuffle;

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use crate::datatype::TypeClass;
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

/// hdf5-blosc's filter revision (client data 0, `FILTER_BLOSC_VERSION`).
pub const FILTER_REVISION: u32 = 2;
/// Compression level when client data gives none.
pub const DEFAULT_CLEVEL: u32 = 5;

/// The codec of a Blosc filter ([`crate::DatasetBuilder::blosc`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BloscCodec {
    /// BloscLZ, Blosc's own LZ77 (hdf5-blosc's default).
    BloscLz,
    /// LZ4.
    Lz4,
    /// LZ4HC; this crate writes plain LZ4 blocks, which every LZ4HC decoder reads.
    Lz4Hc,
    /// zlib.
    Zlib,
    /// Zstandard (at c-blosc's zstd level for the clevel).
    Zstd,
    /// Snappy.
    Snappy,
}

impl BloscCodec {
    fn codec(self) -> Codec {
        match self {
            BloscCodec::BloscLz => Codec::BloscLz,
            BloscCodec::Lz4 => Codec::Lz4,
            BloscCodec::Lz4Hc => Codec::Lz4Hc,
            BloscCodec::Zlib => Codec::Zlib,
            BloscCodec::Zstd => Codec::Zstd,
            BloscCodec::Snappy => Codec::Snappy,
        }
    }

    /// hdf5-blosc's compressor code (client data 6).
    pub fn code(self) -> u32 {
        self.codec().code()
    }
}

/// The shuffle a Blosc filter applies to each block before compressing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BloscShuffle {
    /// None (`Blosc.NOSHUFFLE`).
    None,
    /// Byte shuffle (`Blosc.SHUFFLE`, hdf5-blosc's default).
    Byte,
    /// Bitshuffle (`Blosc.BITSHUFFLE`).
    Bit,
}

impl BloscShuffle {
    /// hdf5-blosc's shuffle code (client data 5).
    pub fn code(self) -> u32 {
        match self {
            BloscShuffle::None => 0,
            BloscShuffle::Byte => 1,
            BloscShuffle::Bit => 2,
        }
    }
}

/// The client data a builder stores before `set_local` completes it (hdf5plugin's
/// `Blosc(cname, clevel, shuffle)` options).
pub fn cd_values(codec: BloscCodec, clevel: u8, shuffle: BloscShuffle) -> Vec<u32> {
    vec![0, 0, 0, 0, u32::from(clevel), shuffle.code(), codec.code()]
}

/// The Blosc filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Blosc;

/// The encoding parameters of client data `cd`.
struct Params {
    typesize: usize,
    clevel: u8,
    shuffle: Shuffle,
    codec: Codec,
}

fn params(cd: &[u32], element_size: usize) -> Result<Params> {
    let typesize = match cd.get(2).copied().unwrap_or(0) {
        0 => element_size,
        t => usize_of(t),
    };
    let clevel = cd.get(4).copied().unwrap_or(DEFAULT_CLEVEL);
    let clevel = u8::try_from(clevel)
        .ok()
        .filter(|&c| c <= 9)
        .ok_or_else(|| Error::Invalid(format!("blosc: clevel {clevel} is not 0-9")))?;
    let shuffle = match cd.get(5).copied().unwrap_or(1) {
        0 => Shuffle::None,
        1 => Shuffle::Byte,
        2 => Shuffle::Bit,
        s => {
            return Err(Error::Invalid(format!(
                "blosc: shuffle {s} is not 0, 1 or 2"
            )))
        }
    };
    let code = cd.get(6).copied().unwrap_or(0);
    let codec = Codec::from_code(code)
        .ok_or_else(|| Error::Unsupported(format!("blosc compressor code {code}")))?;
    Ok(Params {
        typesize,
        clevel,
        shuffle,
        codec,
    })
}

impl FilterCodec for Blosc {
    fn id(&self) -> u16 {
        id::BLOSC
    }

    fn name(&self) -> &str {
        "blosc"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        frame::decompress(input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let p = params(ctx.cd_values, ctx.element_size)?;
        frame::compress(input, p.typesize, p.clevel, p.shuffle, p.codec)
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        // Check the options now rather than at the first chunk.
        params(cd, 1)?;
        let size = local.element_size();
        let base = match &local.datatype.class {
            TypeClass::Array { base, .. } => base.size(),
            _ => size,
        };
        let base = if base > 255 { 1 } else { base };
        let chunk = local
            .chunk_dims
            .iter()
            .try_fold(size as u64, |acc, &d| acc.checked_mul(d))
            .and_then(|b| u32::try_from(b).ok())
            .ok_or_else(|| Error::Invalid("blosc: chunks must be smaller than 4 GiB".into()))?;
        let mut out = cd.to_vec();
        if out.len() < 4 {
            out.resize(4, 0);
        }
        out.truncate(8);
        let slots = [
            FILTER_REVISION,
            u32::from(frame::VERSION),
            u32::try_from(base).unwrap_or(1),
            chunk,
        ];
        for (o, v) in out.iter_mut().zip(slots) {
            *o = v;
        }
        Ok(out)
    }
}
