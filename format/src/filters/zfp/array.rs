//! zfp's array traversal (zfp 1.0 `template/{compress,decompress}.c` and the `gather`/
//! `scatter` of `template/{en,de}code[1-4].c`): the array is cut into blocks of 4 values
//! along each dimension, visited with x fastest, then y, z, w; a partial block at an upper
//! edge is padded before coding (`pad_block`) and only its valid values are kept after.

use super::bitstream::{BitReader, BitWriter, Truncated};
use super::block::{block_size, MAX_BLOCK};
use super::header::Params;
use super::scalar::Scalar;

/// The sizes padded to four dimensions (unused ones 1).
fn sizes4(dims: &[usize]) -> [usize; 4] {
    let mut n = [1usize; 4];
    for (n, &d) in n.iter_mut().zip(dims) {
        *n = d;
    }
    n
}

/// Every block: its origin and the extent of its valid part, x fastest.
fn blocks(n: [usize; 4]) -> impl Iterator<Item = ([usize; 4], [usize; 4])> {
    let [nx, ny, nz, nw] = n;
    (0..nw.div_ceil(4)).flat_map(move |bw| {
        (0..nz.div_ceil(4)).flat_map(move |bz| {
            (0..ny.div_ceil(4)).flat_map(move |by| {
                (0..nx.div_ceil(4)).map(move |bx| {
                    let o = [4 * bx, 4 * by, 4 * bz, 4 * bw];
                    let e = [
                        (nx - o[0]).min(4),
                        (ny - o[1]).min(4),
                        (nz - o[2]).min(4),
                        (nw - o[3]).min(4),
                    ];
                    (o, e)
                })
            })
        })
    })
}

/// Visit the valid values of a block: (index in the block, index in the array).
fn each_value(n: [usize; 4], o: [usize; 4], e: [usize; 4], mut f: impl FnMut(usize, usize)) {
    for w in 0..e[3] {
        for z in 0..e[2] {
            for y in 0..e[1] {
                let row = o[0] + n[0] * ((o[1] + y) + n[1] * ((o[2] + z) + n[2] * (o[3] + w)));
                for x in 0..e[0] {
                    f(x + 4 * y + 16 * z + 64 * w, row + x);
                }
            }
        }
    }
}

/// Fill a line of a block (stride `s`) past its `len` valid values (`pad_block`).
fn pad<T: Copy + Default>(b: &mut [T], at: usize, s: usize, len: usize) {
    let get = |b: &[T], i: usize| b.get(at + i * s).copied().unwrap_or_default();
    let set = |b: &mut [T], i: usize, v: T| {
        if let Some(x) = b.get_mut(at + i * s) {
            *x = v;
        }
    };
    if len == 0 {
        set(b, 0, T::default());
    }
    if len <= 1 {
        let v = get(b, 0);
        set(b, 1, v);
    }
    if len <= 2 {
        let v = get(b, 1);
        set(b, 2, v);
    }
    if len <= 3 {
        let v = get(b, 0);
        set(b, 3, v);
    }
}

/// Compress the array `input` (little-endian values, x fastest) of sizes `dims`.
pub(crate) fn compress<T: Scalar>(w: &mut BitWriter, p: &Params, dims: &[usize], input: &[u8]) {
    let d = dims.len();
    let size = block_size(d);
    let n = sizes4(dims);
    let mut buf = [T::default(); MAX_BLOCK];
    for (o, e) in blocks(n) {
        let block = buf.get_mut(..size).unwrap_or_default();
        block.fill(T::default());
        each_value(n, o, e, |b, a| {
            if let Some(v) = block.get_mut(b) {
                *v = T::load(input, a);
            }
        });
        for (axis, &len) in e.iter().enumerate().take(d) {
            let s = 1 << (2 * axis);
            for base in (0..size).filter(|i| (i / s) % 4 == 0) {
                pad(block, base, s, len);
            }
        }
        T::encode(w, p, d, block);
    }
}

/// Decompress into `out` (values x fastest, big-endian if `big`).
pub(crate) fn decompress<T: Scalar>(
    r: &mut BitReader<'_>,
    p: &Params,
    dims: &[usize],
    out: &mut [u8],
    big: bool,
) -> Result<(), Truncated> {
    let d = dims.len();
    let n = sizes4(dims);
    let mut buf = [T::default(); MAX_BLOCK];
    let block = buf.get_mut(..block_size(d)).unwrap_or_default();
    for (o, e) in blocks(n) {
        T::decode(r, p, d, block)?;
        each_value(n, o, e, |b, a| {
            if let Some(v) = block.get(b) {
                v.store(out, a, big);
            }
        });
    }
    Ok(())
}
