//! One Blosc2 chunk (c-blosc2 `README_CHUNK_FORMAT.rst`): the 16-byte header, extended to 32
//! bytes in Blosc2, then block starts and the per-block streams; decoded here one block at a
//! time.
//!
//! ```text
//! 0  u8 version       1 u8 versionlz   2 u8 flags   3 u8 typesize
//! 4  i32 LE nbytes    8 i32 LE blocksize           12 i32 LE cbytes (header included)
//! extended header (flags bits 0 and 2 both set):
//! 16 u8[6] filter codes   22 u8 user codec   23 u8 codec meta
//! 24 u8[6] filter meta    30 u8 reserved (flags2)   31 u8 blosc2 flags
//! flags: 0x01 shuffle, 0x02 memcpyed, 0x04 bitshuffle, 0x08 delta, 0x10 blocks not split,
//!        bits 5-7 codec format (0 blosclz, 1 lz4/lz4hc, 3 zlib, 4 zstd, 6 user codec)
//! blosc2 flags: 0x01 dictionary, 0x02 big-endian writer, 0x08 lazy, bits 4-6 special value
//!        (1 zeros, 2 NaNs, 3 one repeated value after the header, 4 uninitialised),
//!        0x80 instrumented codec
//! then, unless memcpyed or special: i32 LE bstarts[nblocks] (offsets from the chunk start);
//! each block is 1 stream, or `typesize` streams when split; each stream is
//!   i32 LE csize: 0 a run of zeros; < 0 a token byte follows (bit 0: a run of byte -csize);
//!   == the stream's size: stored raw; else compressed bytes.
//! A memcpyed chunk holds the blocks raw after the header.
//! ```
//!
//! Filters are undone per block, slot 5 first; TRUNC_PREC needs no undoing.

use super::codecs;
use crate::error::{Error, Result};
use crate::filters::bitshuffle::{self, Direction};
use crate::filters::shuffle;

pub(crate) const STRUCTURE: &str = "blosc2 chunk";

/// Bytes of the Blosc1 header.
pub(crate) const MIN_HEADER: usize = 16;
/// Bytes of the Blosc2 extended header.
pub(crate) const EXTENDED_HEADER: usize = 32;

/// Header flag: byte shuffle (with [`FLAG_BITSHUFFLE`]: the extended header).
pub(crate) const FLAG_SHUFFLE: u8 = 0x01;
/// Header flag: the blocks are stored raw.
pub(crate) const FLAG_MEMCPYED: u8 = 0x02;
/// Header flag: bit shuffle.
pub(crate) const FLAG_BITSHUFFLE: u8 = 0x04;
/// Header flag (Blosc1 header only): delta.
const FLAG_DELTA: u8 = 0x08;
/// Header flag: each block is one stream.
pub(crate) const FLAG_DONT_SPLIT: u8 = 0x10;

/// Filter codes of the pipeline slots.
pub(crate) const NOFILTER: u8 = 0;
pub(crate) const SHUFFLE: u8 = 1;
pub(crate) const BITSHUFFLE: u8 = 2;
pub(crate) const DELTA: u8 = 3;
pub(crate) const TRUNC_PREC: u8 = 4;

/// Slots of the filter pipeline.
pub(crate) const MAX_FILTERS: usize = 6;

/// Special values of a whole chunk (blosc2 flags bits 4-6).
pub(crate) const SPECIAL_ZERO: u8 = 1;
pub(crate) const SPECIAL_NAN: u8 = 2;
pub(crate) const SPECIAL_VALUE: u8 = 3;
pub(crate) const SPECIAL_UNINIT: u8 = 4;

/// The newest chunk format version known (c-blosc2 3.x writes 6 for variable-length blocks,
/// which are refused by their flag).
const MAX_VERSION: u8 = 6;
/// Blosc2 alpha chunks left filter slot 5 uninitialised.
const VERSION_ALPHA: u8 = 3;
/// c-blosc2's `BLOSC2_MAXBLOCKSIZE`.
const MAX_BLOCKSIZE: usize = 536_866_816;

/// A parsed chunk header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub version: u8,
    pub flags: u8,
    pub typesize: usize,
    pub nbytes: usize,
    pub blocksize: usize,
    pub cbytes: usize,
    pub filters: [u8; MAX_FILTERS],
    pub filters_meta: [u8; MAX_FILTERS],
    pub udcodec: u8,
    pub blosc2_flags: u8,
    pub extended: bool,
}

fn corrupt(offset: u64, what: impl Into<String>) -> Error {
    Error::corrupt(STRUCTURE, offset, what.into())
}

/// A little-endian `i32` at `at` of `b`.
pub(crate) fn le_i32(b: &[u8], at: usize, offset: u64) -> Result<i32> {
    b.get(at..at.saturating_add(4))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(i32::from_le_bytes)
        .ok_or_else(|| corrupt(offset, format!("truncated at byte {at}")))
}

/// A non-negative little-endian `i32` field as a `usize`.
fn le_size(b: &[u8], at: usize, what: &str, offset: u64) -> Result<usize> {
    let v = le_i32(b, at, offset)?;
    usize::try_from(v).map_err(|_| corrupt(offset, format!("negative {what} {v}")))
}

impl Header {
    /// Parse the header at the start of `b` (which may hold more than the chunk).
    pub fn parse(b: &[u8], offset: u64) -> Result<Header> {
        let byte = |i: usize| b.get(i).copied().unwrap_or(0);
        if b.len() < MIN_HEADER {
            return Err(corrupt(offset, format!("{} bytes, no header", b.len())));
        }
        let version = byte(0);
        if version == 0 || version > MAX_VERSION {
            return Err(Error::Unsupported(format!(
                "blosc2 chunk format version {version}"
            )));
        }
        let flags = byte(2);
        let typesize = usize::from(byte(3));
        let nbytes = le_size(b, 4, "nbytes", offset)?;
        let blocksize = le_size(b, 8, "blocksize", offset)?;
        let cbytes = le_size(b, 12, "cbytes", offset)?;
        if typesize == 0 {
            return Err(corrupt(offset, "typesize 0"));
        }
        if cbytes < MIN_HEADER || cbytes > b.len() {
            return Err(corrupt(
                offset,
                format!("cbytes {cbytes} outside the {} bytes stored", b.len()),
            ));
        }
        if blocksize == 0 || (nbytes > 0 && blocksize > nbytes) || blocksize > MAX_BLOCKSIZE {
            return Err(corrupt(
                offset,
                format!("blocksize {blocksize} for {nbytes} bytes"),
            ));
        }
        let mut h = Header {
            version,
            flags,
            typesize,
            nbytes,
            blocksize,
            cbytes,
            filters: [NOFILTER; MAX_FILTERS],
            filters_meta: [0; MAX_FILTERS],
            udcodec: 0,
            blosc2_flags: 0,
            extended: flags & (FLAG_SHUFFLE | FLAG_BITSHUFFLE) == FLAG_SHUFFLE | FLAG_BITSHUFFLE,
        };
        if !h.extended {
            // Blosc1: the filters are flags.
            if flags & FLAG_SHUFFLE != 0 {
                h.filters[5] = SHUFFLE;
            }
            if flags & FLAG_BITSHUFFLE != 0 {
                h.filters[5] = BITSHUFFLE;
            }
            if flags & FLAG_DELTA != 0 {
                h.filters[4] = DELTA;
            }
            return Ok(h);
        }
        if cbytes < EXTENDED_HEADER {
            return Err(corrupt(
                offset,
                format!("cbytes {cbytes} < extended header"),
            ));
        }
        for i in 0..MAX_FILTERS {
            if let (Some(f), Some(m)) = (h.filters.get_mut(i), h.filters_meta.get_mut(i)) {
                *f = byte(16 + i);
                *m = byte(24 + i);
            }
        }
        if version == VERSION_ALPHA {
            h.filters[5] = NOFILTER;
            h.filters_meta[5] = 0;
        }
        h.udcodec = byte(22);
        h.blosc2_flags = byte(31);
        if byte(30) != 0 {
            return Err(Error::Unsupported(format!(
                "blosc2 chunk flags2 {:#04x} (variable-length blocks)",
                byte(30)
            )));
        }
        if h.blosc2_flags & 0x01 != 0 {
            return Err(Error::Unsupported(
                "blosc2 chunk compressed with a dictionary".into(),
            ));
        }
        if h.blosc2_flags & 0x80 != 0 {
            return Err(Error::Unsupported(
                "blosc2 chunk with an instrumented codec".into(),
            ));
        }
        let special = h.special();
        if special != 0 {
            if special > SPECIAL_UNINIT {
                return Err(corrupt(offset, format!("unknown special value {special}")));
            }
            if !nbytes.is_multiple_of(typesize) {
                return Err(corrupt(
                    offset,
                    format!("special chunk of {nbytes} bytes, not whole {typesize}-byte items"),
                ));
            }
            if special == SPECIAL_VALUE && cbytes < EXTENDED_HEADER + typesize {
                return Err(corrupt(offset, "repeated-value chunk without its value"));
            }
        } else if h.blosc2_flags & 0x08 != 0 {
            return Err(corrupt(offset, "a lazy chunk (no data) stored"));
        }
        Ok(h)
    }

    /// Header bytes before the blocks.
    pub fn overhead(&self) -> usize {
        if self.extended {
            EXTENDED_HEADER
        } else {
            MIN_HEADER
        }
    }

    /// The chunk's special value kind (0: none).
    pub fn special(&self) -> u8 {
        if self.extended {
            (self.blosc2_flags >> 4) & 0x07
        } else {
            0
        }
    }

    /// The number of blocks (the last may be short).
    pub fn nblocks(&self) -> usize {
        self.nbytes.div_ceil(self.blocksize)
    }

    fn memcpyed(&self) -> bool {
        self.flags & FLAG_MEMCPYED != 0
    }
}

/// Decode the chunk at the start of `b` block by block: `sink(index, bytes)` receives each
/// block (all `blocksize` bytes but the last). Refuses chunks of more than `max_nbytes`
/// bytes. Returns the header.
pub(crate) fn decode_blocks(
    b: &[u8],
    offset: u64,
    max_nbytes: usize,
    sink: &mut dyn FnMut(usize, &[u8]) -> Result<()>,
) -> Result<Header> {
    let h = Header::parse(b, offset)?;
    if h.nbytes > max_nbytes {
        return Err(corrupt(
            offset,
            format!(
                "holds {} bytes, more than the {max_nbytes} expected",
                h.nbytes
            ),
        ));
    }
    let chunk = b.get(..h.cbytes).unwrap_or_default();
    let special = h.special();
    let memcpyed = h.memcpyed() || special != 0;
    if h.memcpyed() && special == 0 && h.cbytes != h.nbytes.saturating_add(h.overhead()) {
        return Err(corrupt(
            offset,
            format!(
                "memcpyed chunk of {} bytes stored in {}",
                h.nbytes, h.cbytes
            ),
        ));
    }
    let nblocks = h.nblocks();
    if !memcpyed
        && nblocks
            .checked_mul(4)
            .and_then(|n| n.checked_add(h.overhead()))
            .is_none_or(|end| end > h.cbytes)
    {
        return Err(corrupt(
            offset,
            format!("{nblocks} block starts overflow the chunk"),
        ));
    }
    let pipeline = Pipeline::new(&h, offset)?;
    let mut block = vec![0u8; h.blocksize];
    let mut tmp = Vec::new();
    let mut first: Vec<u8> = Vec::new();
    for j in 0..nblocks {
        let start = j * h.blocksize;
        let bsize = h.blocksize.min(h.nbytes - start);
        let out = block.get_mut(..bsize).unwrap_or_default();
        if memcpyed {
            fill_special_or_raw(&h, chunk, special, start, out, offset)?;
        } else {
            let at = le_i32(chunk, h.overhead() + 4 * j, offset)?;
            let at = usize::try_from(at)
                .ok()
                .filter(|&a| a > 0 && a < h.cbytes)
                .ok_or_else(|| corrupt(offset, format!("block {j} starts at {at}")))?;
            let leftover = bsize < h.blocksize;
            let nstreams = if h.flags & FLAG_DONT_SPLIT == 0 && !leftover {
                h.typesize
            } else {
                1
            };
            read_streams(&h, chunk, at, nstreams, out, offset)?;
            let reference = if j == 0 { None } else { Some(&first[..]) };
            pipeline.undo(out, &mut tmp, reference, offset)?;
        }
        if j == 0 && pipeline.delta && nblocks > 1 {
            first = out.to_vec();
        }
        sink(j, out)?;
    }
    Ok(h)
}

/// A block of a memcpyed or special chunk.
fn fill_special_or_raw(
    h: &Header,
    chunk: &[u8],
    special: u8,
    start: usize,
    out: &mut [u8],
    offset: u64,
) -> Result<()> {
    let ts = h.typesize;
    let item = |value: &[u8], out: &mut [u8]| -> Result<()> {
        if !out.len().is_multiple_of(ts) {
            return Err(corrupt(offset, "special block not whole items"));
        }
        for dst in out.chunks_exact_mut(ts) {
            dst.copy_from_slice(value);
        }
        Ok(())
    };
    match special {
        0 => {
            let from = h.overhead() + start;
            let src = chunk
                .get(from..from + out.len())
                .ok_or_else(|| corrupt(offset, format!("memcpyed block truncated at {from}")))?;
            out.copy_from_slice(src);
        }
        SPECIAL_ZERO | SPECIAL_UNINIT => out.fill(0),
        SPECIAL_NAN => match ts {
            4 => item(&f32::NAN.to_le_bytes(), out)?,
            8 => item(&f64::NAN.to_le_bytes(), out)?,
            _ => {
                return Err(corrupt(
                    offset,
                    format!("NaN chunk of {ts}-byte items (only 4 or 8)"),
                ))
            }
        },
        _ => {
            let value = chunk
                .get(EXTENDED_HEADER..EXTENDED_HEADER + ts)
                .ok_or_else(|| corrupt(offset, "repeated value truncated"))?;
            item(value, out)?;
        }
    }
    Ok(())
}

/// Read the `nstreams` streams of one block starting at `at` into `out`.
fn read_streams(
    h: &Header,
    chunk: &[u8],
    mut at: usize,
    nstreams: usize,
    out: &mut [u8],
    offset: u64,
) -> Result<()> {
    let neblock = out.len() / nstreams;
    if neblock == 0 || !out.len().is_multiple_of(nstreams) {
        return Err(corrupt(
            offset,
            format!("block of {} bytes in {nstreams} streams", out.len()),
        ));
    }
    for dst in out.chunks_exact_mut(neblock) {
        let csize = le_i32(chunk, at, offset)?;
        at += 4;
        if csize == 0 {
            dst.fill(0);
        } else if csize < 0 {
            let token = chunk
                .get(at)
                .copied()
                .ok_or_else(|| corrupt(offset, format!("stream token truncated at {at}")))?;
            at += 1;
            if token & 0x01 == 0 || csize < -255 {
                return Err(Error::Unsupported(format!(
                    "blosc2 stream token {token:#04x} (size {csize})"
                )));
            }
            dst.fill(u8::try_from(-csize).unwrap_or(0));
        } else {
            let n = usize::try_from(csize).unwrap_or(usize::MAX);
            let src = chunk
                .get(at..at.saturating_add(n))
                .ok_or_else(|| corrupt(offset, format!("stream of {n} bytes truncated at {at}")))?;
            if n == neblock {
                dst.copy_from_slice(src);
            } else {
                codecs::decompress(h.flags >> 5, h.udcodec, src, dst, offset)?;
            }
            at += n;
        }
    }
    Ok(())
}

/// The filters to undo, in undoing order.
struct Pipeline {
    steps: Vec<(u8, u8)>,
    typesize: usize,
    version: u8,
    /// Whether DELTA is among them (it needs the first block as reference).
    delta: bool,
}

impl Pipeline {
    fn new(h: &Header, offset: u64) -> Result<Pipeline> {
        let mut steps = Vec::new();
        for i in (0..MAX_FILTERS).rev() {
            let code = h.filters.get(i).copied().unwrap_or(0);
            let meta = h.filters_meta.get(i).copied().unwrap_or(0);
            match code {
                NOFILTER | TRUNC_PREC => {}
                SHUFFLE | BITSHUFFLE | DELTA => steps.push((code, meta)),
                other => {
                    return Err(Error::Unsupported(format!(
                        "blosc2 filter {other} (slot {i}; chunk at offset {offset})"
                    )))
                }
            }
        }
        // c-blosc2 undoes DELTA in place in the output, against the output's first block:
        // only right when it is the last filter undone.
        let delta = steps.iter().any(|s| s.0 == DELTA);
        if delta && steps.last().map(|s| s.0) != Some(DELTA) {
            return Err(Error::Unsupported(
                "blosc2 DELTA filter before another filter".into(),
            ));
        }
        Ok(Pipeline {
            steps,
            typesize: h.typesize,
            version: h.version,
            delta,
        })
    }

    /// Undo the filters on one block; `reference` is the decoded first block (None for the
    /// first block itself).
    fn undo(
        &self,
        block: &mut [u8],
        tmp: &mut Vec<u8>,
        reference: Option<&[u8]>,
        offset: u64,
    ) -> Result<()> {
        let ts = self.typesize;
        for &(code, meta) in &self.steps {
            match code {
                SHUFFLE => {
                    for _ in 0..=meta {
                        let v = shuffle::unshuffle(block, ts);
                        block.copy_from_slice(&v);
                    }
                }
                BITSHUFFLE => bitunshuffle(block, tmp, ts, self.version),
                _ => delta_decode(block, reference, ts, offset)?,
            }
        }
        Ok(())
    }
}

/// Undo bitshuffle on one block: whole groups of 8 items are transposed, the rest is as is
/// (format version 2 left blocks whose item count is not a multiple of 8 untouched).
pub(crate) fn bitunshuffle(block: &mut [u8], tmp: &mut Vec<u8>, ts: usize, version: u8) {
    let items = block.len() / ts;
    if version == 2 && !items.is_multiple_of(8) {
        return;
    }
    let n = items / 8 * 8 * ts;
    if n == 0 {
        return;
    }
    tmp.clear();
    tmp.extend_from_slice(block.get(..n).unwrap_or_default());
    if let Some(dst) = block.get_mut(..n) {
        bitshuffle::block(tmp, dst, ts, Direction::Unshuffle, &mut Vec::new());
    }
}

/// Bitshuffle one block (the writing direction of [`bitunshuffle`], format version 3 on).
pub(crate) fn bitshuffle_block(src: &[u8], ts: usize) -> Vec<u8> {
    let mut out = src.to_vec();
    let n = src.len() / ts / 8 * 8 * ts;
    if let (Some(s), Some(d)) = (src.get(..n), out.get_mut(..n)) {
        if n > 0 {
            bitshuffle::block(s, d, ts, Direction::Shuffle, &mut Vec::new());
        }
    }
    out
}

/// The word size DELTA works in for `ts`-byte items.
pub(crate) fn delta_word(ts: usize) -> usize {
    match ts {
        1 | 2 | 4 | 8 => ts,
        t if t.is_multiple_of(8) => 8,
        _ => 1,
    }
}

/// Undo DELTA on one block: the first block XORs each word with the previous (decoded) one,
/// the others each word with the first block's. Words are XORed, so bytes are too.
fn delta_decode(block: &mut [u8], reference: Option<&[u8]>, ts: usize, offset: u64) -> Result<()> {
    let w = delta_word(ts);
    let n = block.len() / w * w;
    match reference {
        None => {
            for i in w..n {
                let prev = block.get(i - w).copied().unwrap_or(0);
                if let Some(b) = block.get_mut(i) {
                    *b ^= prev;
                }
            }
        }
        Some(r) => {
            let r = r
                .get(..n)
                .ok_or_else(|| corrupt(offset, "delta block longer than the first block"))?;
            for (b, x) in block.iter_mut().zip(r) {
                *b ^= x;
            }
        }
    }
    Ok(())
}

/// DELTA in the writing direction on one block, `first` the chunk's first (unfiltered) block
/// (None for the first block itself).
pub(crate) fn delta_encode(block: &[u8], first: Option<&[u8]>, ts: usize) -> Vec<u8> {
    let w = delta_word(ts);
    let n = block.len() / w * w;
    let mut out = block.to_vec();
    for i in 0..n {
        let r = match first {
            None if i >= w => block.get(i - w).copied().unwrap_or(0),
            None => 0,
            Some(f) => f.get(i).copied().unwrap_or(0),
        };
        if let Some(o) = out.get_mut(i) {
            *o ^= r;
        }
    }
    out
}
