//! Writing one Blosc2 chunk (c-blosc2 `README_CHUNK_FORMAT.rst`): the extended header,
//! block starts and one stream per block (blocks are not split), each stream a run, raw, or
//! compressed; a chunk compression cannot shrink is stored memcpyed, as c-blosc2 does.

use super::chunk::{self, FLAG_BITSHUFFLE, FLAG_DONT_SPLIT, FLAG_MEMCPYED, FLAG_SHUFFLE};
use super::{codecs, Blosc2Codec, Blosc2Filter};
use crate::error::{Error, Result};
use crate::filters::shuffle;

/// The block size this crate picks when the client data gives none.
pub const DEFAULT_BLOCKSIZE: usize = 256 << 10;

/// How to compress one chunk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub codec: Blosc2Codec,
    pub clevel: u8,
    pub filter: Blosc2Filter,
    /// Item size for the filters (1 when the dataset's exceeds 255, as c-blosc2 does).
    pub typesize: usize,
    /// Block size asked for (0: [`DEFAULT_BLOCKSIZE`]).
    pub blocksize: usize,
}

impl Params {
    /// The block size for a chunk of `nbytes`: a multiple of the item size, at most the
    /// chunk.
    pub fn blocksize(&self, nbytes: usize) -> usize {
        let want = match self.blocksize {
            0 => DEFAULT_BLOCKSIZE,
            b => b,
        };
        let b = want.min(nbytes);
        (b / self.typesize * self.typesize)
            .max(self.typesize.min(nbytes))
            .max(1)
    }
}

/// One chunk holding `input`.
pub(crate) fn encode_chunk(input: &[u8], p: &Params) -> Result<Vec<u8>> {
    let nbytes = input.len();
    if nbytes > (i32::MAX as usize) - chunk::EXTENDED_HEADER * 2 {
        return Err(Error::Invalid(format!(
            "blosc2: a chunk of {nbytes} bytes is over the 2 GiB Blosc2 limit"
        )));
    }
    let ts = p.typesize;
    let blocksize = p.blocksize(nbytes);
    let nblocks = nbytes.div_ceil(blocksize);
    let mut out = header(input, p, blocksize);
    if p.clevel > 0 {
        let bstarts = out.len();
        out.resize(bstarts + 4 * nblocks, 0);
        let first = input.get(..blocksize).unwrap_or_default();
        for (j, block) in input.chunks(blocksize).enumerate() {
            let start = i32::try_from(out.len()).unwrap_or(i32::MAX);
            if let Some(slot) = out.get_mut(bstarts + 4 * j..bstarts + 4 * j + 4) {
                slot.copy_from_slice(&start.to_le_bytes());
            }
            let filtered = match p.filter {
                Blosc2Filter::NoFilter => block.to_vec(),
                Blosc2Filter::Shuffle => shuffle::shuffle(block, ts),
                Blosc2Filter::BitShuffle => chunk::bitshuffle_block(block, ts),
                Blosc2Filter::Delta => chunk::delta_encode(block, (j > 0).then_some(first), ts),
            };
            stream(&mut out, &filtered, p)?;
            if out.len() >= nbytes + chunk::EXTENDED_HEADER {
                break;
            }
        }
        if out.len() < nbytes + chunk::EXTENDED_HEADER {
            set_cbytes(&mut out);
            return Ok(out);
        }
    }
    // Memcpyed: the blocks raw after the header.
    out.truncate(chunk::EXTENDED_HEADER);
    if let Some(f) = out.get_mut(2) {
        *f |= FLAG_MEMCPYED;
    }
    out.extend_from_slice(input);
    set_cbytes(&mut out);
    Ok(out)
}

/// The 32-byte extended header (cbytes patched by [`set_cbytes`]).
fn header(input: &[u8], p: &Params, blocksize: usize) -> Vec<u8> {
    let format = match p.codec {
        Blosc2Codec::BloscLz => codecs::FORMAT_BLOSCLZ,
        Blosc2Codec::Lz4 | Blosc2Codec::Lz4Hc => codecs::FORMAT_LZ4,
        Blosc2Codec::Zlib => codecs::FORMAT_ZLIB,
        Blosc2Codec::Zstd => codecs::FORMAT_ZSTD,
    };
    let flags = FLAG_SHUFFLE | FLAG_BITSHUFFLE | FLAG_DONT_SPLIT | (format << 5);
    let mut h = Vec::with_capacity(chunk::EXTENDED_HEADER + input.len() / 2);
    h.extend_from_slice(&[5, 1, flags, u8::try_from(p.typesize).unwrap_or(1)]);
    for v in [input.len(), blocksize, 0] {
        h.extend_from_slice(&i32::try_from(v).unwrap_or(i32::MAX).to_le_bytes());
    }
    let mut filters = [0u8; chunk::MAX_FILTERS];
    filters[5] = p.filter.code();
    h.extend_from_slice(&filters);
    h.extend_from_slice(&[p.codec.code(), 0]);
    h.extend_from_slice(&[0u8; 8]);
    h
}

fn set_cbytes(out: &mut [u8]) {
    let n = i32::try_from(out.len()).unwrap_or(i32::MAX).to_le_bytes();
    if let Some(slot) = out.get_mut(12..16) {
        slot.copy_from_slice(&n);
    }
}

/// Append one block's stream.
fn stream(out: &mut Vec<u8>, block: &[u8], p: &Params) -> Result<()> {
    let first = block.first().copied().unwrap_or(0);
    if block.iter().all(|&b| b == first) {
        // A run: of zeros, size 0; of another byte, its negation and the token 0x01.
        out.extend_from_slice(&(-i32::from(first)).to_le_bytes());
        if first != 0 {
            out.push(0x01);
        }
        return Ok(());
    }
    let stored = codecs::compress(p.codec, p.clevel, block)?;
    let bytes = stored.as_deref().unwrap_or(block);
    let n =
        i32::try_from(bytes.len()).map_err(|_| Error::Invalid("blosc2: block too large".into()))?;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}
