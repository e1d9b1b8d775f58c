//! The Blosc 1 frame (c-blosc 1.x, format version 2; `README_CHUNK_FORMAT.rst` and
//! `blosc.c`): a 16-byte header, the block-start table, and each block's streams.
//!
//! ```text
//! byte 0      format version (2)
//! byte 1      codec format version (1)
//! byte 2      flags: 0x01 byte shuffle, 0x02 memcpyed (no codec), 0x04 bitshuffle,
//!             0x08 reserved (must be 0), 0x10 blocks not split, bits 5-7 the codec
//!             (0 BloscLZ, 1 LZ4 and LZ4HC, 2 Snappy, 3 zlib, 4 Zstandard)
//! byte 3      type size in bytes (1..=255)
//! 4..8        i32 LE  nbytes: the unfiltered size
//! 8..12       i32 LE  block size in bytes (the last block holds nbytes % blocksize)
//! 12..16      i32 LE  cbytes: the size of the whole frame
//! memcpyed:   the nbytes raw bytes follow (cbytes = nbytes + 16)
//! otherwise:  i32 LE start offset (from byte 0) of each block, then per block one stream,
//!             or `typesize` streams (its byte planes after shuffle) when split: each an
//!             i32 LE size and the codec's bytes; a size equal to the stream's length
//!             means the bytes are stored raw.
//! ```
//!
//! A block is split when the 0x10 flag is clear, it is not the last partial block, the type
//! size is at most 16 and the block holds at least 128 elements (the last two conditions are
//! how frames written before the flag existed are read). Shuffle and bitshuffle apply to each
//! block; bitshuffle moves the bits of the block's whole elements only when their count is a
//! multiple of 8, otherwise the block is left as it is (the version 2 rule; c-blosc2's
//! format versions 3 and later round the count down instead).

use super::codecs::{self, Codec};
use crate::error::{Error, Result};
use crate::filters::{bitshuffle, shuffle};

pub(crate) const STRUCTURE: &str = "blosc filter";

/// Bytes of the header (c-blosc's `BLOSC_MAX_OVERHEAD`).
pub const HEADER: usize = 16;
/// The frame format version this module reads and writes (`BLOSC_VERSION_FORMAT`).
pub const VERSION: u8 = 2;
/// The codec format version of every codec (`BLOSC_*_VERSION_FORMAT`).
pub const CODEC_VERSION: u8 = 1;

/// Flag: byte shuffle.
pub const DOSHUFFLE: u8 = 0x01;
/// Flag: the data is stored raw after the header.
pub const MEMCPYED: u8 = 0x02;
/// Flag: bitshuffle.
pub const DOBITSHUFFLE: u8 = 0x04;
/// Flag: reserved in format version 2 (c-blosc refuses frames with it).
pub const RESERVED: u8 = 0x08;
/// Flag: blocks are not split into byte-plane streams.
pub const DONT_SPLIT: u8 = 0x10;

/// Blocks of at least this many elements are split (`MIN_BUFFERSIZE`); buffers smaller
/// than this are stored raw.
const MIN_BUFFERSIZE: usize = 128;
/// The largest type size whose blocks are split (`MAX_SPLITS`).
const MAX_SPLITS: usize = 16;
/// c-blosc's assumed L1 cache size, the base of its block size.
const L1: usize = 32 * 1024;

/// The shuffle applied to each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shuffle {
    /// None.
    None,
    /// Byte shuffle.
    Byte,
    /// Bitshuffle.
    Bit,
}

/// The 16-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version (byte 0).
    pub version: u8,
    /// Codec format version (byte 1).
    pub codec_version: u8,
    /// Flags (byte 2).
    pub flags: u8,
    /// Type size (byte 3).
    pub typesize: u8,
    /// Unfiltered size.
    pub nbytes: i32,
    /// Block size.
    pub blocksize: i32,
    /// Frame size.
    pub cbytes: i32,
}

impl Header {
    /// Parse the header at the start of `b`.
    pub fn parse(b: &[u8], offset: u64) -> Result<Header> {
        let h: &[u8; HEADER] = b
            .get(..HEADER)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| crate::filters::codec::truncated(STRUCTURE, offset, b.len()))?;
        let i32_at = |at: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(h.get(at..at + 4).unwrap_or(&[0; 4]));
            i32::from_le_bytes(w)
        };
        let [version, codec_version, flags, typesize, ..] = *h;
        Ok(Header {
            version,
            codec_version,
            flags,
            typesize,
            nbytes: i32_at(4),
            blocksize: i32_at(8),
            cbytes: i32_at(12),
        })
    }

    /// The 16 bytes of the header.
    pub fn encode(&self) -> [u8; HEADER] {
        let mut h = Vec::with_capacity(HEADER);
        h.extend_from_slice(&[self.version, self.codec_version, self.flags, self.typesize]);
        h.extend_from_slice(&self.nbytes.to_le_bytes());
        h.extend_from_slice(&self.blocksize.to_le_bytes());
        h.extend_from_slice(&self.cbytes.to_le_bytes());
        h.try_into().unwrap_or([0; HEADER])
    }
}

/// Whether a block of `bsize` bytes is split into `typesize` streams.
fn split(flags: u8, typesize: usize, bsize: usize, leftover: bool) -> bool {
    flags & DONT_SPLIT == 0
        && !leftover
        && typesize <= MAX_SPLITS
        && bsize / typesize >= MIN_BUFFERSIZE
}

/// A little-endian `i32` at `at` of `b` as a non-negative offset or size.
fn read_len(b: &[u8], at: usize, what: &str, offset: u64) -> Result<usize> {
    let bytes = b
        .get(at..at.saturating_add(4))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .ok_or_else(|| crate::filters::codec::truncated(STRUCTURE, offset, at))?;
    let v = i32::from_le_bytes(bytes);
    usize::try_from(v).map_err(|_| corrupt(offset, format!("negative {what} {v} at byte {at}")))
}

fn corrupt(offset: u64, detail: String) -> Error {
    Error::corrupt(STRUCTURE, offset, detail)
}

/// Decompress the frame `input`, producing at most `limit` bytes. `offset` (the chunk's
/// file offset) is named in errors.
pub fn decompress(input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let h = Header::parse(input, offset)?;
    if h.version != VERSION {
        return Err(Error::Unsupported(format!(
            "blosc frame format version {} (chunk at offset {offset}); version {VERSION} \
             (c-blosc 1.x) is supported",
            h.version
        )));
    }
    if h.flags & RESERVED != 0 {
        return Err(corrupt(
            offset,
            format!("reserved flag 0x08 set (flags {:#04x})", h.flags),
        ));
    }
    let typesize = usize::from(h.typesize);
    if typesize == 0 {
        return Err(corrupt(offset, "type size 0".into()));
    }
    let nbytes = usize::try_from(h.nbytes)
        .map_err(|_| corrupt(offset, format!("negative uncompressed size {}", h.nbytes)))?;
    if nbytes > limit {
        return Err(corrupt(
            offset,
            format!("claims {nbytes} bytes, more than the {limit} expected"),
        ));
    }
    let cbytes = usize::try_from(h.cbytes)
        .ok()
        .filter(|&c| c >= HEADER)
        .ok_or_else(|| corrupt(offset, format!("frame size {} in header", h.cbytes)))?;
    let frame = input.get(..cbytes).ok_or_else(|| {
        corrupt(
            offset,
            format!("frame of {cbytes} bytes truncated to {}", input.len()),
        )
    })?;
    if nbytes == 0 {
        return Ok(Vec::new());
    }
    let blocksize = usize::try_from(h.blocksize)
        .ok()
        .filter(|&b| b > 0 && b <= nbytes)
        .ok_or_else(|| {
            corrupt(
                offset,
                format!("block size {} for {nbytes} bytes", h.blocksize),
            )
        })?;
    if h.flags & MEMCPYED != 0 {
        if cbytes != nbytes + HEADER {
            return Err(corrupt(
                offset,
                format!("raw frame of {cbytes} bytes holding {nbytes}"),
            ));
        }
        return Ok(frame.get(HEADER..).unwrap_or_default().to_vec());
    }
    let shuffle = match h.flags & (DOSHUFFLE | DOBITSHUFFLE) {
        0 => Shuffle::None,
        DOSHUFFLE => Shuffle::Byte,
        DOBITSHUFFLE => Shuffle::Bit,
        _ => {
            return Err(corrupt(
                offset,
                "both shuffle and bitshuffle flags set in a version 2 frame".into(),
            ))
        }
    };
    let codec = Codec::from_format(h.flags >> 5).ok_or_else(|| {
        Error::Unsupported(format!(
            "blosc codec format {} (chunk at offset {offset})",
            h.flags >> 5
        ))
    })?;
    if h.codec_version != CODEC_VERSION {
        return Err(Error::Unsupported(format!(
            "blosc {} format version {} (chunk at offset {offset})",
            codec.name(),
            h.codec_version
        )));
    }
    let nblocks = nbytes.div_ceil(blocksize);
    if nblocks > (cbytes - HEADER) / 4 {
        return Err(corrupt(
            offset,
            format!("{nblocks} blocks do not fit a frame of {cbytes} bytes"),
        ));
    }
    let mut out = vec![0u8; nbytes];
    let mut tmp = vec![0u8; blocksize];
    for (j, block) in out.chunks_mut(blocksize).enumerate() {
        let start = read_len(frame, HEADER + 4 * j, "block start", offset)?;
        let leftover = block.len() < blocksize;
        let unshuffled = shuffle == Shuffle::None
            || (shuffle == Shuffle::Byte && typesize == 1)
            || (shuffle == Shuffle::Bit && block.len() < typesize);
        let dst = if unshuffled {
            &mut *block
        } else {
            tmp.get_mut(..block.len()).unwrap_or_default()
        };
        decode_block(
            frame, start, dst, h.flags, typesize, leftover, codec, offset,
        )
        .map_err(|e| match e {
            Error::Corrupt { detail, .. } => corrupt(offset, format!("block {j}: {detail}")),
            e => e,
        })?;
        if !unshuffled {
            let src = tmp.get(..block.len()).unwrap_or_default();
            match shuffle {
                Shuffle::Byte => block.copy_from_slice(&shuffle::unshuffle(src, typesize)),
                _ => bit_block(src, block, typesize, false),
            }
        }
    }
    Ok(out)
}

/// Decode the streams of one block starting at `start` into `dst` (the block's bytes,
/// still shuffled).
#[allow(clippy::too_many_arguments)]
fn decode_block(
    frame: &[u8],
    start: usize,
    dst: &mut [u8],
    flags: u8,
    typesize: usize,
    leftover: bool,
    codec: Codec,
    offset: u64,
) -> Result<()> {
    let nsplits = if split(flags, typesize, dst.len(), leftover) {
        typesize
    } else {
        1
    };
    if !dst.len().is_multiple_of(nsplits) {
        return Err(corrupt(
            offset,
            format!(
                "block of {} bytes cannot be split in {nsplits} streams",
                dst.len()
            ),
        ));
    }
    let neblock = dst.len() / nsplits;
    let mut at = start;
    for part in dst.chunks_mut(neblock) {
        let size = read_len(frame, at, "stream size", offset)?;
        at += 4;
        let src = frame.get(at..at.saturating_add(size)).ok_or_else(|| {
            corrupt(
                offset,
                format!("stream of {size} bytes at byte {at} past the frame"),
            )
        })?;
        if size == neblock {
            part.copy_from_slice(src);
        } else {
            codecs::decompress(codec, src, part, offset).map_err(|e| match e {
                Error::Corrupt { detail, .. } => {
                    corrupt(offset, format!("stream at byte {}: {detail}", at - 4))
                }
                e => e,
            })?;
        }
        at += size;
    }
    Ok(())
}

/// Bitshuffle (or undo it on) one block, by the version 2 rule: the block's whole elements
/// when their count is a multiple of 8, the rest (and any block of another count) as is.
fn bit_block(src: &[u8], dst: &mut [u8], typesize: usize, forward: bool) {
    let n = src.len() / typesize;
    let body = if n.is_multiple_of(8) { n * typesize } else { 0 };
    if let (Some(s), Some(d)) = (src.get(..body), dst.get_mut(..body)) {
        if forward {
            bitshuffle::shuffle_block(s, d, typesize);
        } else {
            bitshuffle::unshuffle_block(s, d, typesize);
        }
    }
    if let (Some(s), Some(d)) = (src.get(body..), dst.get_mut(body..)) {
        d.copy_from_slice(s);
    }
}

/// The codec's share of c-blosc 1.21's block size choice (`split_block`, forward
/// compatible mode): whether blocks are split.
fn split_block(codec: Codec, typesize: usize, blocksize: usize) -> bool {
    codec != Codec::Zstd && typesize <= MAX_SPLITS && blocksize / typesize >= MIN_BUFFERSIZE
}

/// c-blosc 1.21's block size for `nbytes` bytes (`compute_blocksize`, no forced size).
fn block_size(codec: Codec, clevel: u8, typesize: usize, nbytes: usize) -> usize {
    if nbytes < typesize {
        return 1;
    }
    let mut bs = nbytes;
    if nbytes >= L1 {
        bs = L1;
        let hcr = matches!(codec, Codec::Lz4Hc | Codec::Zlib | Codec::Zstd);
        if hcr {
            bs *= 2;
        }
        bs = match clevel {
            0 => bs / 4,
            1 => bs / 2,
            2 => bs,
            3 => bs * 2,
            4 | 5 => bs * 4,
            6..=8 => bs * 8,
            _ => bs * if hcr { 16 } else { 8 },
        };
    }
    if clevel > 0 && split_block(codec, typesize, bs) {
        bs = bs.min(1 << 18) * typesize;
        bs = bs.clamp(1 << 16, 1 << 20);
    }
    bs = bs.min(nbytes);
    if bs > typesize {
        bs = bs / typesize * typesize;
    }
    bs
}

/// Compress `input` as one frame, as c-blosc 1.21's `blosc_compress` does with a
/// destination of `input.len()` bytes (what hdf5-blosc gives it). `None` when the frame
/// would not fit there: clevel 0, inputs under 128 bytes and incompressible data, which
/// hdf5-blosc leaves unfiltered.
pub fn compress(
    input: &[u8],
    typesize: usize,
    clevel: u8,
    shuffle: Shuffle,
    codec: Codec,
) -> Result<Option<Vec<u8>>> {
    let nbytes = input.len();
    let max = usize::try_from(i32::MAX).unwrap_or(usize::MAX) - HEADER;
    if nbytes > max {
        return Err(Error::Invalid(format!(
            "blosc: a chunk of {nbytes} bytes is larger than the {max} bytes a frame holds"
        )));
    }
    if clevel > 9 {
        return Err(Error::Invalid(format!("blosc: clevel {clevel} is not 0-9")));
    }
    let typesize = if (1..=255).contains(&typesize) {
        typesize
    } else {
        1
    };
    let blocksize = block_size(codec, clevel, typesize, nbytes);
    if clevel == 0 || nbytes < MIN_BUFFERSIZE || blocksize == 0 {
        // Stored raw: nbytes + 16 bytes, more than the destination holds.
        return Ok(None);
    }
    let mut flags = codec.format() << 5;
    flags |= match shuffle {
        Shuffle::None => 0,
        Shuffle::Byte => DOSHUFFLE,
        Shuffle::Bit => DOBITSHUFFLE,
    };
    if !split_block(codec, typesize, blocksize) {
        flags |= DONT_SPLIT;
    }
    let nblocks = nbytes.div_ceil(blocksize);
    let mut out = Vec::with_capacity(nbytes);
    out.resize(HEADER + 4 * nblocks, 0);
    let mut tmp = vec![0u8; blocksize];
    for (j, block) in input.chunks(blocksize).enumerate() {
        let start = i32::try_from(out.len()).unwrap_or(i32::MAX).to_le_bytes();
        if let Some(slot) = out.get_mut(HEADER + 4 * j..HEADER + 4 * j + 4) {
            slot.copy_from_slice(&start);
        }
        let leftover = block.len() < blocksize;
        let src: &[u8] = match shuffle {
            Shuffle::Byte if typesize > 1 => {
                let s = shuffle::shuffle(block, typesize);
                tmp.get_mut(..block.len())
                    .unwrap_or_default()
                    .copy_from_slice(&s);
                tmp.get(..block.len()).unwrap_or_default()
            }
            Shuffle::Bit if block.len() >= typesize => {
                let t = tmp.get_mut(..block.len()).unwrap_or_default();
                bit_block(block, t, typesize, true);
                tmp.get(..block.len()).unwrap_or_default()
            }
            _ => block,
        };
        let nsplits = if split(flags, typesize, block.len(), leftover) {
            typesize
        } else {
            1
        };
        for part in src.chunks(block.len() / nsplits) {
            let at = out.len();
            out.extend_from_slice(&[0; 4]);
            let k = codecs::compress(codec, part, &mut out, clevel)?;
            let size = if k == 0 || k >= part.len() {
                out.truncate(at + 4);
                out.extend_from_slice(part);
                part.len()
            } else {
                k
            };
            let size = i32::try_from(size).unwrap_or(i32::MAX).to_le_bytes();
            if let Some(slot) = out.get_mut(at..at + 4) {
                slot.copy_from_slice(&size);
            }
            if out.len() > nbytes {
                return Ok(None);
            }
        }
    }
    let header = Header {
        version: VERSION,
        codec_version: CODEC_VERSION,
        flags,
        typesize: u8::try_from(typesize).unwrap_or(1),
        nbytes: i32::try_from(nbytes).unwrap_or(i32::MAX),
        blocksize: i32::try_from(blocksize).unwrap_or(i32::MAX),
        cbytes: i32::try_from(out.len()).unwrap_or(i32::MAX),
    };
    if let Some(h) = out.get_mut(..HEADER) {
        h.copy_from_slice(&header.encode());
    }
    Ok(Some(out))
}
