//! The shuffle filter (filter ID 2, spec IV.A.2.l; libhdf5 `H5Zshuffle.c`): byte `b` of
//! every element goes to byte plane `b`. When the buffer length is not a multiple of the
//! element size the trailing bytes are left in place; buffers of element size 1, or holding
//! at most one whole element, are not changed.

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use crate::error::Result;
use crate::messages::filter_pipeline::id;

/// The shuffle filter: client data 0 is the element size (set by libhdf5 to the
/// datatype's size; when absent or 0, the dataset's element size).
#[derive(Clone, Copy, Debug, Default)]
pub struct Shuffle;

/// The element size to shuffle with.
fn size_of(ctx: &FilterContext<'_>) -> usize {
    match ctx.cd_values.first() {
        Some(&n) if n > 0 => usize_of(n),
        _ => ctx.element_size,
    }
}

impl FilterCodec for Shuffle {
    fn id(&self) -> u16 {
        id::SHUFFLE
    }

    fn name(&self) -> &str {
        "shuffle"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        Ok(unshuffle(input, size_of(ctx)))
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(Some(shuffle(input, size_of(ctx))))
    }

    fn set_local(&self, _cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        Ok(vec![u32::try_from(local.element_size()).unwrap_or(u32::MAX)])
    }

    fn encoded_bound(&self, len: usize) -> usize {
        len
    }
}

/// Whether libhdf5 would rearrange a buffer of `len` bytes of `size`-byte elements.
fn active(len: usize, size: usize) -> bool {
    size > 1 && len / size > 1
}

/// Shuffle `data` (writing direction).
pub fn shuffle(data: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; data.len()];
    shuffle_into(data, size, &mut out);
    out
}

/// [`shuffle`] into `out`, which holds as many bytes as `data`.
pub(crate) fn shuffle_into(data: &[u8], size: usize, out: &mut [u8]) {
    if !active(data.len(), size) {
        out.copy_from_slice(data);
        return;
    }
    let n = data.len() / size;
    let (body, tail) = out.split_at_mut(n * size);
    let mut planes: Vec<&mut [u8]> = body.chunks_exact_mut(n).collect();
    let done = match size {
        8 => blocks8(data, &mut planes, Direction::Shuffle),
        4 => blocks4(data, &mut planes, Direction::Shuffle),
        _ => 0,
    };
    // Elements not handled in blocks, one byte at a time.
    for (i, element) in data.chunks_exact(size).enumerate().skip(done) {
        for (plane, &byte) in planes.iter_mut().zip(element) {
            if let Some(slot) = plane.get_mut(i) {
                *slot = byte;
            }
        }
    }
    tail.copy_from_slice(data.get(n * size..).unwrap_or_default());
}

/// Undo [`shuffle`] (reading direction).
pub fn unshuffle(data: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; data.len()];
    unshuffle_into(data, size, &mut out);
    out
}

/// [`unshuffle`] into `out`, which holds as many bytes as `data`.
pub(crate) fn unshuffle_into(data: &[u8], size: usize, out: &mut [u8]) {
    if !active(data.len(), size) {
        out.copy_from_slice(data);
        return;
    }
    let n = data.len() / size;
    let (body, tail) = out.split_at_mut(n * size);
    let mut planes: Vec<&[u8]> = data.chunks_exact(n).take(size).collect();
    let done = match size {
        8 => blocks8(&mut *body, &mut planes, Direction::Unshuffle),
        4 => blocks4(&mut *body, &mut planes, Direction::Unshuffle),
        _ => 0,
    };
    for (i, element) in body.chunks_exact_mut(size).enumerate().skip(done) {
        for (slot, plane) in element.iter_mut().zip(&planes) {
            if let Some(&byte) = plane.get(i) {
                *slot = byte;
            }
        }
    }
    tail.copy_from_slice(data.get(n * size..).unwrap_or_default());
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Shuffle,
    Unshuffle,
}

/// Elements and byte planes, seen block by block (8 elements of 8 bytes, or 4 of 4).
trait Planes {
    /// Bytes `at..at + N` of plane `p` into `word`'s little-endian bytes, or out of them.
    fn exchange<const N: usize>(&mut self, p: usize, at: usize, word: &mut [u8; N]);
}

impl Planes for Vec<&mut [u8]> {
    fn exchange<const N: usize>(&mut self, p: usize, at: usize, word: &mut [u8; N]) {
        if let Some(dst) = self.get_mut(p).and_then(|pl| pl.get_mut(at..at + N)) {
            dst.copy_from_slice(word);
        }
    }
}

impl Planes for Vec<&[u8]> {
    fn exchange<const N: usize>(&mut self, p: usize, at: usize, word: &mut [u8; N]) {
        if let Some(src) = self.get(p).and_then(|pl| pl.get(at..at + N)) {
            word.copy_from_slice(src);
        }
    }
}

/// Transpose an 8x8 byte matrix held as 8 little-endian rows (byte `j` of row `i` becomes
/// byte `i` of row `j`); its own inverse.
pub(crate) fn transpose8(rows: [u64; 8]) -> [u64; 8] {
    fn swap(a: u64, b: u64, shift: u32, mask: u64) -> (u64, u64) {
        (
            (a & mask) | ((b << shift) & !mask),
            ((a >> shift) & mask) | (b & !mask),
        )
    }
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    const M1: u64 = 0x00FF_00FF_00FF_00FF;
    const M2: u64 = 0x0000_FFFF_0000_FFFF;
    const M3: u64 = 0x0000_0000_FFFF_FFFF;
    let (r0, r1) = swap(r0, r1, 8, M1);
    let (r2, r3) = swap(r2, r3, 8, M1);
    let (r4, r5) = swap(r4, r5, 8, M1);
    let (r6, r7) = swap(r6, r7, 8, M1);
    let (r0, r2) = swap(r0, r2, 16, M2);
    let (r1, r3) = swap(r1, r3, 16, M2);
    let (r4, r6) = swap(r4, r6, 16, M2);
    let (r5, r7) = swap(r5, r7, 16, M2);
    let (r0, r4) = swap(r0, r4, 32, M3);
    let (r1, r5) = swap(r1, r5, 32, M3);
    let (r2, r6) = swap(r2, r6, 32, M3);
    let (r3, r7) = swap(r3, r7, 32, M3);
    [r0, r1, r2, r3, r4, r5, r6, r7]
}

/// Transpose a 4x4 byte matrix held as 4 little-endian rows.
fn transpose4(rows: [u32; 4]) -> [u32; 4] {
    fn swap(a: u32, b: u32, shift: u32, mask: u32) -> (u32, u32) {
        (
            (a & mask) | ((b << shift) & !mask),
            ((a >> shift) & mask) | (b & !mask),
        )
    }
    let [r0, r1, r2, r3] = rows;
    let (r0, r1) = swap(r0, r1, 8, 0x00FF_00FF);
    let (r2, r3) = swap(r2, r3, 8, 0x00FF_00FF);
    let (r0, r2) = swap(r0, r2, 16, 0x0000_FFFF);
    let (r1, r3) = swap(r1, r3, 16, 0x0000_FFFF);
    [r0, r1, r2, r3]
}

/// Move whole blocks of 8 elements of 8 bytes between `elements` and the 8 `planes`
/// (which way: `dir`). Returns the number of elements handled.
fn blocks8<E: AsBytes, P: Planes>(elements: E, planes: &mut P, dir: Direction) -> usize {
    let mut done = 0;
    elements.each_block::<64>(&mut |block: &mut [u8; 64]| {
        let mut rows = [0u64; 8];
        let at = done;
        if dir == Direction::Shuffle {
            for (r, e) in rows.iter_mut().zip(block.chunks_exact(8)) {
                *r = u64::from_le_bytes(e.try_into().unwrap_or_default());
            }
            for (p, col) in transpose8(rows).into_iter().enumerate() {
                planes.exchange(p, at, &mut col.to_le_bytes());
            }
        } else {
            for (p, r) in rows.iter_mut().enumerate() {
                let mut word = [0u8; 8];
                planes.exchange(p, at, &mut word);
                *r = u64::from_le_bytes(word);
            }
            for (e, row) in block.chunks_exact_mut(8).zip(transpose8(rows)) {
                e.copy_from_slice(&row.to_le_bytes());
            }
        }
        done += 8;
    });
    done
}

/// [`blocks8`] for blocks of 4 elements of 4 bytes.
fn blocks4<E: AsBytes, P: Planes>(elements: E, planes: &mut P, dir: Direction) -> usize {
    let mut done = 0;
    elements.each_block::<16>(&mut |block: &mut [u8; 16]| {
        let mut rows = [0u32; 4];
        let at = done;
        if dir == Direction::Shuffle {
            for (r, e) in rows.iter_mut().zip(block.chunks_exact(4)) {
                *r = u32::from_le_bytes(e.try_into().unwrap_or_default());
            }
            for (p, col) in transpose4(rows).into_iter().enumerate() {
                planes.exchange(p, at, &mut col.to_le_bytes());
            }
        } else {
            for (p, r) in rows.iter_mut().enumerate() {
                let mut word = [0u8; 4];
                planes.exchange(p, at, &mut word);
                *r = u32::from_le_bytes(word);
            }
            for (e, row) in block.chunks_exact_mut(4).zip(transpose4(rows)) {
                e.copy_from_slice(&row.to_le_bytes());
            }
        }
        done += 4;
    });
    done
}

/// The element bytes, block by block: read (shuffling) or written (unshuffling).
trait AsBytes {
    fn each_block<const B: usize>(self, f: &mut dyn FnMut(&mut [u8; B]));
}

impl AsBytes for &[u8] {
    fn each_block<const B: usize>(self, f: &mut dyn FnMut(&mut [u8; B])) {
        for chunk in self.chunks_exact(B) {
            let mut block = [0u8; B];
            block.copy_from_slice(chunk);
            f(&mut block);
        }
    }
}

impl AsBytes for &mut [u8] {
    fn each_block<const B: usize>(self, f: &mut dyn FnMut(&mut [u8; B])) {
        for chunk in self.chunks_exact_mut(B) {
            let mut block = [0u8; B];
            f(&mut block);
            chunk.copy_from_slice(&block);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn planes_and_remainder() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        let s = shuffle(&data, 4);
        assert_eq!(s, vec![1, 5, 2, 6, 3, 7, 4, 8, 9]);
        assert_eq!(unshuffle(&s, 4), data.to_vec());
    }

    /// The definition, one byte at a time.
    fn naive(data: &[u8], size: usize) -> Vec<u8> {
        let n = data.len() / size;
        let mut out = data.to_vec();
        if size > 1 && n > 1 {
            for i in 0..n {
                for b in 0..size {
                    out[b * n + i] = data[i * size + b];
                }
            }
        }
        out
    }

    #[test]
    fn blocks_match_the_definition() {
        for size in [2usize, 3, 4, 8, 16] {
            for len in [0usize, 1, 7, 8, 9, 16, 63, 64, 65, 127, 128, 129, 500, 4099] {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 13) as u8).collect();
                let s = shuffle(&data, size);
                assert_eq!(s, naive(&data, size), "size {size} len {len}");
                assert_eq!(unshuffle(&s, size), data, "size {size} len {len}");
            }
        }
    }

    #[test]
    fn untouched_cases() {
        assert_eq!(shuffle(&[1, 2, 3], 1), vec![1, 2, 3]);
        // One whole element (plus a remainder) is left alone, as libhdf5 does.
        assert_eq!(shuffle(&[1, 2, 3, 4, 5], 4), vec![1, 2, 3, 4, 5]);
        assert_eq!(unshuffle(&[1, 2, 3], 8), vec![1, 2, 3]);
        assert_eq!(shuffle(&[], 0), Vec::<u8>::new());
    }
}
