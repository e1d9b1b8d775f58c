//! The Bitshuffle filter (filter ID 32008, `bshuf_h5filter.c` as hdf5plugin ships it):
//! within blocks of elements, bit `k` of byte `j` of every element goes to bit row
//! `8 j + k`; optionally each block is then compressed with LZ4 or Zstandard.
//!
//! Client data: 0 and 1 the filter and library versions, 2 the element size (set by
//! `set_local`), 3 the block size in elements (0: [`default_block_size`]; a multiple of 8),
//! 4 the compression (0 none, 2 LZ4, 3 Zstandard), 5 the Zstandard level.
//!
//! Blocks: whole blocks of `block` elements, then one block of the remaining elements
//! rounded down to a multiple of 8; the last `n % 8` elements are copied as they are.
//! Compressed modes start with a 12-byte header (u64 BE unfiltered bytes, u32 BE block size
//! in bytes) and store each block as a u32 BE compressed size and the compressed bytes, the
//! uncopied tail raw at the end.

use super::codec::{be32, be64, truncated, usize_of, FilterCodec, FilterContext, LocalContext};
use super::{shuffle, zstd};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "bitshuffle filter";

/// Compression value of client data 4: none.
pub const COMPRESS_NONE: u32 = 0;
/// Compression value of client data 4: LZ4 (`BSHUF_H5_COMPRESS_LZ4`).
pub const COMPRESS_LZ4: u32 = 2;
/// Compression value of client data 4: Zstandard (`BSHUF_H5_COMPRESS_ZSTD`).
pub const COMPRESS_ZSTD: u32 = 3;

/// The library version client data 0 and 1 record (what hdf5plugin 7.1 records: 0, 4).
const VERSION: [u32; 2] = [0, 4];

/// Bytes of the compressed modes' header.
const HEADER: usize = 12;

/// Bitshuffle's block size for `elem`-byte elements: about 8 KiB, a multiple of 8, at least
/// 128 elements (`bshuf_default_block_size`).
pub fn default_block_size(elem: usize) -> usize {
    let b = 8192 / elem.max(1);
    ((b / 8) * 8).max(128)
}

/// The Bitshuffle filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bitshuffle;

/// The parameters of one chunk.
struct Params {
    elem: usize,
    block: usize,
    compression: u32,
    /// The Zstandard level (client data 5; absent: libzstd's default).
    level: u32,
}

fn params(ctx: &FilterContext<'_>) -> Result<Params> {
    let cd = |i: usize| ctx.cd_values.get(i).copied().unwrap_or(0);
    let elem = match cd(2) {
        0 => ctx.element_size,
        e => usize_of(e),
    };
    if elem == 0 {
        return Err(Error::corrupt(STRUCTURE, ctx.offset, "element size 0"));
    }
    let block = match cd(3) {
        0 => default_block_size(elem),
        b if b % 8 == 0 => usize_of(b),
        b => {
            return Err(Error::corrupt(
                STRUCTURE,
                ctx.offset,
                format!("block size {b} is not a multiple of 8"),
            ))
        }
    };
    let compression = cd(4);
    if !matches!(compression, COMPRESS_NONE | COMPRESS_LZ4 | COMPRESS_ZSTD) {
        return Err(Error::Unsupported(format!(
            "bitshuffle compression {compression}"
        )));
    }
    Ok(Params {
        elem,
        block,
        compression,
        level: ctx.cd_values.get(5).copied().unwrap_or(zstd::DEFAULT_LEVEL),
    })
}

impl FilterCodec for Bitshuffle {
    fn id(&self) -> u16 {
        id::BITSHUFFLE
    }

    fn name(&self) -> &str {
        "bitshuffle"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        let p = params(ctx)?;
        if p.compression == COMPRESS_NONE {
            if input.len() > ctx.limit {
                return Err(super::codec::too_long(STRUCTURE, ctx.offset, ctx.limit));
            }
            return plain(input, p.elem, p.block, Direction::Unshuffle, ctx.offset);
        }
        decompress(input, &p, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let p = params(ctx)?;
        if p.compression == COMPRESS_NONE {
            return plain(input, p.elem, p.block, Direction::Shuffle, 0).map(Some);
        }
        compress(input, &p).map(Some)
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        let elem = local.element_size();
        // The user's options (block size, compression, level) move to slots 3 on.
        let mut out = vec![VERSION[0], VERSION[1], u32::try_from(elem).unwrap_or(0)];
        out.extend(cd.iter().take(3));
        if let Some(&b) = out.get(3) {
            if b % 8 != 0 {
                return Err(Error::Invalid(format!(
                    "bitshuffle block size {b} is not a multiple of 8"
                )));
            }
        }
        Ok(out)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // Each block may grow as its compressor's bound: generous.
        len.saturating_mul(2).saturating_add(HEADER + 64)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Shuffle,
    Unshuffle,
}

/// Transpose the 8x8 bit matrix held in `x` (byte `r`, bit `c` to byte `c`, bit `r`).
fn transpose8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00AA_00AA_00AA_00AA;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_CCCC_0000_CCCC;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_F0F0_F0F0;
    x ^ t ^ (t << 28)
}

/// Bitshuffle (or undo it on) one block of `n` elements (`n` a multiple of 8) of `elem`
/// bytes: `src` and `dst` are `n * elem` bytes; `scratch` is reused between blocks.
///
/// In two steps: the byte planes of the block (plane `j`: byte `j` of every element, as the
/// shuffle filter lays them out), then each plane's bits, 8 elements (one 8x8 bit matrix) at
/// a time: bit row `8 j + t` gets bit `t` of plane `j`'s bytes.
pub(crate) fn block(
    src: &[u8],
    dst: &mut [u8],
    elem: usize,
    dir: Direction,
    scratch: &mut Vec<u8>,
) {
    let n = src.len() / elem;
    if n == 0 {
        return;
    }
    scratch.resize(src.len(), 0);
    match dir {
        Direction::Shuffle => {
            shuffle::shuffle_into(src, elem, scratch);
            for (plane, rows) in scratch.chunks_exact(n).zip(dst.chunks_exact_mut(n)) {
                plane_to_rows(plane, rows);
            }
        }
        Direction::Unshuffle => {
            for (rows, plane) in src.chunks_exact(n).zip(scratch.chunks_exact_mut(n)) {
                rows_to_plane(rows, plane);
            }
            shuffle::unshuffle_into(scratch, elem, dst);
        }
    }
}

/// The little-endian `u64` at `at` of `b` (0 past the end; callers stay inside).
fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}

/// Store `v` little-endian at `at` of `b`.
fn put64(b: &mut [u8], at: usize, v: u64) {
    if let Some(d) = b.get_mut(at..at + 8) {
        d.copy_from_slice(&v.to_le_bytes());
    }
}

/// The 8 bit rows of one byte plane of `8 g` bytes: row `t` (`g` bytes) holds bit `t` of
/// every byte.
fn plane_to_rows(plane: &[u8], rows: &mut [u8]) {
    let groups = plane.len() / 8;
    let mut g = 0;
    // 8 groups at a time: 8 bit matrices, then their bytes regrouped by row.
    while g + 8 <= groups {
        let mut m = [0u64; 8];
        for (k, x) in m.iter_mut().enumerate() {
            *x = transpose8(le64(plane, 8 * (g + k)));
        }
        for (t, row) in shuffle::transpose8(m).into_iter().enumerate() {
            put64(rows, t * groups + g, row);
        }
        g += 8;
    }
    for g in g..groups {
        for (t, b) in transpose8(le64(plane, 8 * g))
            .to_le_bytes()
            .into_iter()
            .enumerate()
        {
            if let Some(slot) = rows.get_mut(t * groups + g) {
                *slot = b;
            }
        }
    }
}

/// Undo [`plane_to_rows`].
fn rows_to_plane(rows: &[u8], plane: &mut [u8]) {
    let groups = plane.len() / 8;
    let mut g = 0;
    while g + 8 <= groups {
        let mut m = [0u64; 8];
        for (t, x) in m.iter_mut().enumerate() {
            *x = le64(rows, t * groups + g);
        }
        for (k, x) in shuffle::transpose8(m).into_iter().enumerate() {
            put64(plane, 8 * (g + k), transpose8(x));
        }
        g += 8;
    }
    for g in g..groups {
        let mut x = [0u8; 8];
        for (t, b) in x.iter_mut().enumerate() {
            *b = rows.get(t * groups + g).copied().unwrap_or_default();
        }
        put64(plane, 8 * g, transpose8(u64::from_le_bytes(x)));
    }
}

/// Bitshuffle `src`, a whole number of groups of 8 `elem`-byte elements, into `dst` (one
/// Blosc block).
pub(crate) fn shuffle_block(src: &[u8], dst: &mut [u8], elem: usize) {
    block(src, dst, elem, Direction::Shuffle, &mut Vec::new());
}

/// Undo [`shuffle_block`].
pub(crate) fn unshuffle_block(src: &[u8], dst: &mut [u8], elem: usize) {
    block(src, dst, elem, Direction::Unshuffle, &mut Vec::new());
}

/// The blocks of a chunk of `n` elements: (first element, element count), then the count of
/// trailing elements copied as they are.
fn blocks(n: usize, block_len: usize) -> (impl Iterator<Item = (usize, usize)>, usize) {
    let whole = n / block_len;
    let last = (n % block_len) / 8 * 8;
    let list = (0..whole)
        .map(move |b| (b * block_len, block_len))
        .chain((last > 0).then_some((whole * block_len, last)));
    (list, n % 8)
}

/// The number of elements in `bytes` bytes, which must be whole elements.
fn elements(bytes: usize, elem: usize, offset: u64) -> Result<usize> {
    if !bytes.is_multiple_of(elem) {
        return Err(Error::corrupt(
            STRUCTURE,
            offset,
            format!("{bytes} bytes are not a whole number of {elem}-byte elements"),
        ));
    }
    Ok(bytes / elem)
}

/// Plain bitshuffle (or its inverse) of a whole chunk.
fn plain(
    input: &[u8],
    elem: usize,
    block_len: usize,
    dir: Direction,
    offset: u64,
) -> Result<Vec<u8>> {
    let n = elements(input.len(), elem, offset)?;
    let mut out = vec![0u8; input.len()];
    let (list, _) = blocks(n, block_len);
    let mut scratch = Vec::new();
    for (first, count) in list {
        let span = first * elem..(first + count) * elem;
        if let (Some(src), Some(dst)) = (input.get(span.clone()), out.get_mut(span)) {
            block(src, dst, elem, dir, &mut scratch);
        }
    }
    let tail = n / 8 * 8 * elem;
    if let (Some(src), Some(dst)) = (input.get(tail..), out.get_mut(tail..)) {
        dst.copy_from_slice(src);
    }
    Ok(out)
}

/// Bitshuffle and compress a chunk (the compressed modes).
fn compress(input: &[u8], p: &Params) -> Result<Vec<u8>> {
    let n = elements(input.len(), p.elem, 0)?;
    let mut out = Vec::with_capacity(HEADER + input.len() / 2);
    out.extend_from_slice(&(input.len() as u64).to_be_bytes());
    let block_bytes = u32::try_from(p.block * p.elem)
        .map_err(|_| Error::Invalid("bitshuffle: block too large".into()))?;
    out.extend_from_slice(&block_bytes.to_be_bytes());
    let (list, _) = blocks(n, p.block);
    let mut tmp = vec![0u8; p.block * p.elem];
    let mut scratch = Vec::new();
    for (first, count) in list {
        let bytes = count * p.elem;
        let src = input
            .get(first * p.elem..first * p.elem + bytes)
            .unwrap_or_default();
        let shuffled = tmp.get_mut(..bytes).unwrap_or_default();
        block(src, shuffled, p.elem, Direction::Shuffle, &mut scratch);
        let packed = if p.compression == COMPRESS_LZ4 {
            lz4_flex::block::compress(shuffled)
        } else {
            zstd::encode(shuffled, p.level)
        };
        let size = u32::try_from(packed.len())
            .map_err(|_| Error::Invalid("bitshuffle: block too large".into()))?;
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&packed);
    }
    out.extend_from_slice(input.get(n / 8 * 8 * p.elem..).unwrap_or_default());
    Ok(out)
}

/// Decompress and unshuffle a chunk (the compressed modes), producing at most `limit` bytes.
fn decompress(input: &[u8], p: &Params, limit: usize, offset: u64) -> Result<Vec<u8>> {
    let corrupt = |what: String| Error::corrupt(STRUCTURE, offset, what);
    let total = be64(input, 0, STRUCTURE, offset)?;
    let total = usize::try_from(total)
        .ok()
        .filter(|&t| t <= limit)
        .ok_or_else(|| {
            corrupt(format!(
                "claims {total} bytes, more than the {limit} expected"
            ))
        })?;
    let block_bytes = usize_of(be32(input, 8, STRUCTURE, offset)?);
    let block_len = match block_bytes / p.elem {
        0 => default_block_size(p.elem),
        b if b % 8 == 0 && block_bytes.is_multiple_of(p.elem) => b,
        _ => return Err(corrupt(format!("block size of {block_bytes} bytes"))),
    };
    let n = elements(total, p.elem, offset)?;
    let mut out = vec![0u8; total];
    let mut tmp = vec![0u8; (block_len * p.elem).min(total)];
    let mut scratch = Vec::new();
    let mut zdec = structured_zstd::decoding::FrameDecoder::new();
    let mut at = HEADER;
    let (list, _) = blocks(n, block_len);
    for (first, count) in list {
        let bytes = count * p.elem;
        let size = usize_of(be32(input, at, STRUCTURE, offset)?);
        at += 4;
        let src = input
            .get(at..at.saturating_add(size))
            .ok_or_else(|| truncated(STRUCTURE, offset, at))?;
        let shuffled = tmp.get_mut(..bytes).unwrap_or_default();
        let got = if p.compression == COMPRESS_LZ4 {
            lz4_flex::block::decompress_into(src, shuffled)
                .map_err(|e| corrupt(format!("block at byte {}: invalid LZ4 data: {e}", at - 4)))?
        } else {
            zstd::decode_into(&mut zdec, src, shuffled, offset)?
        };
        if got != bytes {
            return Err(corrupt(format!(
                "block at byte {} decodes to {got} bytes, expected {bytes}",
                at - 4
            )));
        }
        at += size;
        let dst = out
            .get_mut(first * p.elem..first * p.elem + bytes)
            .unwrap_or_default();
        block(shuffled, dst, p.elem, Direction::Unshuffle, &mut scratch);
    }
    let tail = n / 8 * 8 * p.elem;
    let rest = input
        .get(at..)
        .filter(|r| r.len() == total - tail)
        .ok_or_else(|| {
            corrupt(format!(
                "{} bytes after the blocks, expected {}",
                input.len().saturating_sub(at),
                total - tail
            ))
        })?;
    if let Some(d) = out.get_mut(tail..) {
        d.copy_from_slice(rest);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn ctx(cd: &[u32], limit: usize) -> FilterContext<'_> {
        FilterContext {
            cd_values: cd,
            element_size: 4,
            limit,
            offset: 0,
        }
    }

    #[test]
    fn bit_layout() {
        // 8 one-byte elements: element i = 1 << i gives the identity's transpose.
        let data: Vec<u8> = (0..8).map(|i| 1u8 << i).collect();
        let out = plain(&data, 1, 8, Direction::Shuffle, 0).unwrap();
        assert_eq!(out, data);
        // 8 elements all 1: bit row 0 is all ones, the rest zero.
        let out = plain(&[1u8; 8], 1, 8, Direction::Shuffle, 0).unwrap();
        assert_eq!(out, [0xff, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// The definition: bit `k` of byte `j` of element `i` is bit `i % 8` of byte `i / 8` of
    /// row `8 j + k`.
    fn naive(src: &[u8], elem: usize) -> Vec<u8> {
        let n = src.len() / elem;
        let mut out = vec![0u8; src.len()];
        for i in 0..n {
            for j in 0..elem {
                for k in 0..8 {
                    let bit = (src[i * elem + j] >> k) & 1;
                    out[(8 * j + k) * (n / 8) + i / 8] |= bit << (i % 8);
                }
            }
        }
        out
    }

    #[test]
    fn blocks_match_the_definition() {
        let mut scratch = Vec::new();
        for elem in [1usize, 2, 3, 4, 8, 12] {
            for n in [8usize, 16, 56, 64, 72, 128, 136, 2048] {
                let src: Vec<u8> = (0..n * elem)
                    .map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_right(13) as u8)
                    .collect();
                let mut dst = vec![0u8; src.len()];
                block(&src, &mut dst, elem, Direction::Shuffle, &mut scratch);
                assert_eq!(dst, naive(&src, elem), "elem {elem} n {n}");
                let mut back = vec![0u8; src.len()];
                block(&dst, &mut back, elem, Direction::Unshuffle, &mut scratch);
                assert_eq!(back, src, "elem {elem} n {n}");
            }
        }
    }

    #[test]
    fn round_trips_every_mode() {
        for n in [0usize, 1, 7, 8, 9, 100, 2048, 2049, 5000] {
            let data: Vec<u8> = (0..n as u32)
                .flat_map(|i| (i * 3 / 2).to_le_bytes())
                .collect();
            for comp in [COMPRESS_NONE, COMPRESS_LZ4, COMPRESS_ZSTD] {
                for bs in [0u32, 8, 64] {
                    let cd = [0, 5, 4, bs, comp];
                    let c = ctx(&cd, data.len());
                    let z = Bitshuffle.encode(&c, &data).unwrap().unwrap();
                    assert_eq!(
                        Bitshuffle.decode(&c, &z).unwrap(),
                        data,
                        "n {n} comp {comp} bs {bs}"
                    );
                }
            }
        }
    }

    #[test]
    fn corrupt_streams_are_errors() {
        let data: Vec<u8> = (0..3000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
        for comp in [COMPRESS_LZ4, COMPRESS_ZSTD] {
            let cd = [0, 5, 4, 0, comp];
            let z = Bitshuffle
                .encode(&ctx(&cd, data.len()), &data)
                .unwrap()
                .unwrap();
            assert!(Bitshuffle.decode(&ctx(&cd, data.len() - 4), &z).is_err());
            for cut in 0..z.len() {
                assert!(
                    Bitshuffle.decode(&ctx(&cd, data.len()), &z[..cut]).is_err(),
                    "cut {cut}"
                );
            }
            for i in 0..z.len() {
                let mut bad = z.clone();
                bad[i] ^= 0x3c;
                if let Ok(v) = Bitshuffle.decode(&ctx(&cd, data.len()), &bad) {
                    assert!(v.len() <= data.len());
                }
            }
        }
        assert!(Bitshuffle
            .decode(&ctx(&[0, 5, 4, 12, 0], 8), &[0; 8])
            .is_err());
        assert!(Bitshuffle
            .decode(&ctx(&[0, 5, 4, 0, 9], 8), &[0; 8])
            .is_err());
        assert!(Bitshuffle
            .decode(&ctx(&[0, 5, 4, 0, 0], 8), &[0; 7])
            .is_err());
    }
}
