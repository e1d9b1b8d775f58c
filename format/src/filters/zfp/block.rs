//! zfp's integer block codec (zfp 1.0 `template/{encode,decode,revencode,revdecode}.c`,
//! described in the zfp documentation's "Algorithm" section): a block of `4^d` integers is
//! decorrelated by a separable lifting transform (the lossy non-orthogonal one, or the
//! reversible Lorenzo one), its coefficients reordered by sequency, mapped to negabinary
//! and coded bit plane by bit plane, most significant first, with group testing (a unary
//! run-length code of where the next coefficient becomes significant) under a bit budget.

use super::bitstream::{BitReader, BitWriter, Truncated};

/// The largest block (4-D): 256 values.
pub(crate) const MAX_BLOCK: usize = 256;

/// A two's complement integer zfp transforms (`int32`, `int64`), with C's wrapping
/// arithmetic.
pub(crate) trait Int: Copy + Default + PartialOrd {
    /// Bits per value (`intprec`).
    const PREC: u32;
    /// Bits that code the precision of a reversible block (`PBITS`).
    const PBITS: u32;
    /// Wrapping sum.
    fn add(self, o: Self) -> Self;
    /// Wrapping difference.
    fn sub(self, o: Self) -> Self;
    /// Arithmetic shift right by one.
    fn half(self) -> Self;
    /// Wrapping shift left by one.
    fn twice(self) -> Self;
    /// To negabinary (`int2uint`), zero-extended.
    fn to_nb(self) -> u64;
    /// From negabinary (`uint2int`).
    fn from_nb(u: u64) -> Self;
}

macro_rules! int {
    ($i:ty, $u:ty, $pbits:expr, $nb:expr) => {
        impl Int for $i {
            const PREC: u32 = <$i>::BITS;
            const PBITS: u32 = $pbits;
            #[inline]
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline]
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline]
            fn half(self) -> Self {
                self >> 1
            }
            #[inline]
            fn twice(self) -> Self {
                self.wrapping_shl(1)
            }
            #[inline]
            fn to_nb(self) -> u64 {
                ((self as $u).wrapping_add($nb) ^ $nb) as u64
            }
            #[inline]
            fn from_nb(u: u64) -> Self {
                ((u as $u ^ $nb).wrapping_sub($nb)) as $i
            }
        }
    };
}
int!(i32, u32, 5, 0xaaaa_aaaa_u32);
int!(i64, u64, 6, 0xaaaa_aaaa_aaaa_aaaa_u64);

const PERM_2: [u8; 16] = [0, 1, 4, 5, 2, 8, 6, 9, 3, 12, 10, 7, 13, 11, 14, 15];
const PERM_3: [u8; 64] = [
    0, 1, 4, 16, 20, 17, 5, 2, 8, 32, 21, 6, 18, 24, 9, 33, 36, 3, 12, 48, 22, 25, 37, 40, 34, 10,
    7, 19, 28, 13, 49, 52, 41, 38, 26, 23, 29, 53, 11, 35, 44, 14, 50, 56, 42, 27, 39, 45, 30, 54,
    57, 60, 51, 15, 43, 46, 58, 61, 55, 31, 62, 59, 47, 63,
];
const PERM_4: [u8; 256] = [
    0, 1, 4, 16, 64, 5, 80, 17, 68, 65, 20, 2, 8, 32, 128, 84, 81, 69, 21, 6, 18, 66, 24, 72, 9,
    96, 33, 36, 129, 132, 144, 3, 12, 48, 192, 85, 82, 70, 22, 73, 25, 88, 37, 100, 97, 148, 145,
    133, 10, 160, 34, 136, 130, 40, 7, 19, 67, 28, 76, 13, 112, 49, 52, 193, 196, 208, 86, 89, 101,
    149, 161, 137, 41, 134, 38, 164, 26, 152, 146, 104, 98, 74, 83, 71, 23, 77, 29, 92, 53, 116,
    113, 212, 209, 197, 11, 35, 131, 44, 140, 14, 176, 50, 56, 194, 200, 224, 90, 165, 102, 153,
    150, 105, 168, 162, 138, 42, 87, 93, 117, 213, 27, 75, 99, 39, 135, 147, 108, 45, 141, 156, 30,
    78, 177, 180, 54, 114, 120, 57, 198, 210, 216, 201, 225, 228, 15, 240, 51, 204, 195, 60, 169,
    166, 154, 106, 91, 103, 151, 109, 157, 94, 181, 118, 121, 214, 217, 229, 163, 139, 43, 142, 46,
    172, 58, 184, 178, 232, 226, 202, 241, 205, 61, 199, 55, 244, 31, 220, 211, 124, 115, 79, 170,
    167, 155, 107, 158, 110, 173, 122, 185, 182, 233, 230, 218, 95, 245, 119, 221, 215, 125, 242,
    206, 62, 203, 59, 248, 47, 236, 227, 188, 179, 143, 171, 174, 186, 234, 246, 222, 126, 219,
    123, 249, 111, 237, 231, 189, 183, 159, 252, 243, 207, 63, 175, 250, 187, 238, 235, 190, 253,
    247, 223, 127, 254, 251, 239, 191, 255,
];

/// The sequency order of a block's coefficients (`perm_1` .. `perm_4`).
fn perm(dims: usize) -> &'static [u8] {
    match dims {
        1 => &[0, 1, 2, 3],
        2 => &PERM_2,
        3 => &PERM_3,
        _ => &PERM_4,
    }
}

/// Values in a block of `dims` dimensions.
pub(crate) fn block_size(dims: usize) -> usize {
    1 << (2 * dims)
}

/// Apply `f` to the 4-vector of `b` starting at `at` with stride `s`.
#[inline]
fn lift<I: Int>(b: &mut [I], at: usize, s: usize, f: fn([I; 4]) -> [I; 4]) {
    let at = [at, at + s, at + 2 * s, at + 3 * s];
    let mut v = [I::default(); 4];
    for (v, &i) in v.iter_mut().zip(&at) {
        if let Some(x) = b.get(i) {
            *v = *x;
        }
    }
    for (o, &i) in f(v).iter().zip(&at) {
        if let Some(x) = b.get_mut(i) {
            *x = *o;
        }
    }
}

/// Lift every line of `b` along each axis, in `axes` order.
fn transform<I: Int>(b: &mut [I], dims: usize, axes: &[usize], f: fn([I; 4]) -> [I; 4]) {
    let n = block_size(dims);
    for &axis in axes {
        let s = 1 << (2 * axis);
        for base in (0..n).filter(|i| (i / s) % 4 == 0) {
            lift(b, base, s, f);
        }
    }
}

/// Axes in forward-transform order (x first); the inverse runs them backwards.
const FORWARD: [usize; 4] = [0, 1, 2, 3];
const INVERSE: [usize; 4] = [3, 2, 1, 0];

/// The axes of a `dims`-dimensional block, forward order.
fn forward(dims: usize) -> &'static [usize] {
    FORWARD.get(..dims).unwrap_or(&FORWARD)
}

/// The axes of a `dims`-dimensional block, inverse order.
fn inverse(dims: usize) -> &'static [usize] {
    INVERSE
        .get(4usize.saturating_sub(dims)..)
        .unwrap_or(&INVERSE)
}

/// The lossy forward lifting step (`fwd_lift`).
fn fwd_lift<I: Int>([mut x, mut y, mut z, mut w]: [I; 4]) -> [I; 4] {
    x = x.add(w).half();
    w = w.sub(x);
    z = z.add(y).half();
    y = y.sub(z);
    x = x.add(z).half();
    z = z.sub(x);
    w = w.add(y).half();
    y = y.sub(w);
    w = w.add(y.half());
    y = y.sub(w.half());
    [x, y, z, w]
}

/// The lossy inverse lifting step (`inv_lift`).
fn inv_lift<I: Int>([mut x, mut y, mut z, mut w]: [I; 4]) -> [I; 4] {
    y = y.add(w.half());
    w = w.sub(y.half());
    y = y.add(w);
    w = w.twice().sub(y);
    z = z.add(x);
    x = x.twice().sub(z);
    y = y.add(z);
    z = z.twice().sub(y);
    w = w.add(x);
    x = x.twice().sub(w);
    [x, y, z, w]
}

/// The reversible forward step (`rev_fwd_lift`, a Lorenzo predictor).
fn rev_fwd_lift<I: Int>([x, mut y, mut z, mut w]: [I; 4]) -> [I; 4] {
    w = w.sub(z);
    z = z.sub(y);
    y = y.sub(x);
    w = w.sub(z);
    z = z.sub(y);
    w = w.sub(z);
    [x, y, z, w]
}

/// The reversible inverse step (`rev_inv_lift`).
fn rev_inv_lift<I: Int>([x, mut y, mut z, mut w]: [I; 4]) -> [I; 4] {
    w = w.add(z);
    z = z.add(y);
    w = w.add(z);
    y = y.add(x);
    z = z.add(y);
    w = w.add(z);
    [x, y, z, w]
}

/// Code `data` (negabinary coefficients of `intprec` bits) bit plane by bit plane, at most
/// `maxprec` planes and `maxbits` bits (`encode_ints`); returns the bits written.
pub(crate) fn encode_ints(
    w: &mut BitWriter,
    maxbits: u32,
    maxprec: u32,
    intprec: u32,
    data: &[u64],
) -> u32 {
    let size = data.len();
    let kmin = intprec.saturating_sub(maxprec);
    let mut bits = maxbits;
    let mut n = 0usize;
    let mut k = intprec;
    while bits > 0 && k > kmin {
        k -= 1;
        // The first n coefficients are already significant: their bits verbatim.
        let m = n.min(bits as usize);
        bits -= m as u32;
        for &v in data.iter().take(m) {
            w.bit(((v >> k) & 1) as u32);
        }
        // Group tests over the rest: is any other coefficient significant in this plane?
        let mut ones: u32 = data.iter().skip(m).map(|&v| ((v >> k) & 1) as u32).sum();
        while bits > 0 && n < size {
            bits -= 1;
            if w.bit(u32::from(ones > 0)) == 0 {
                break;
            }
            ones = ones.saturating_sub(1);
            while bits > 0 && n + 1 < size {
                bits -= 1;
                let b = data.get(n).map_or(0, |&v| ((v >> k) & 1) as u32);
                if w.bit(b) == 1 {
                    break;
                }
                n += 1;
            }
            n += 1;
        }
    }
    maxbits - bits
}

/// Decode what [`encode_ints`] wrote into `data` (`decode_ints`); returns the bits read.
pub(crate) fn decode_ints(
    r: &mut BitReader<'_>,
    maxbits: u32,
    maxprec: u32,
    intprec: u32,
    data: &mut [u64],
) -> Result<u32, Truncated> {
    let size = data.len();
    data.fill(0);
    let kmin = intprec.saturating_sub(maxprec);
    let mut bits = maxbits;
    let mut n = 0usize;
    let mut k = intprec;
    while bits > 0 && k > kmin {
        k -= 1;
        let m = n.min(bits as usize);
        bits -= m as u32;
        for v in data.iter_mut().take(m) {
            *v |= u64::from(r.bit()?) << k;
        }
        while bits > 0 && n < size {
            bits -= 1;
            if r.bit()? == 0 {
                break;
            }
            while bits > 0 && n + 1 < size {
                bits -= 1;
                if r.bit()? == 1 {
                    break;
                }
                n += 1;
            }
            // The scan stopped at a one bit, at the last coefficient, or out of budget:
            // zfp sets the bit in all three cases.
            if let Some(v) = data.get_mut(n) {
                *v |= 1 << k;
            }
            n += 1;
        }
    }
    Ok(maxbits - bits)
}

/// Reorder and map a transformed block to negabinary (`fwd_order`).
fn fwd_order<I: Int>(iblock: &[I], dims: usize, out: &mut [u64]) {
    for (u, &p) in out.iter_mut().zip(perm(dims)) {
        *u = iblock.get(usize::from(p)).map_or(0, |v| v.to_nb());
    }
}

/// Undo [`fwd_order`] (`inv_order`).
fn inv_order<I: Int>(ublock: &[u64], dims: usize, iblock: &mut [I]) {
    for (&u, &p) in ublock.iter().zip(perm(dims)) {
        if let Some(v) = iblock.get_mut(usize::from(p)) {
            *v = I::from_nb(u);
        }
    }
}

/// Encode a block of integers, lossy (`encode_block` of `Int`); returns the bits written.
pub(crate) fn encode_block<I: Int>(
    w: &mut BitWriter,
    (minbits, maxbits, maxprec): (u32, u32, u32),
    dims: usize,
    iblock: &mut [I],
) -> u32 {
    transform(iblock, dims, forward(dims), fwd_lift);
    let mut u = [0u64; MAX_BLOCK];
    let u = u.get_mut(..block_size(dims)).unwrap_or_default();
    fwd_order(iblock, dims, u);
    let mut bits = encode_ints(w, maxbits, maxprec, I::PREC, u);
    if bits < minbits {
        w.pad(u64::from(minbits - bits));
        bits = minbits;
    }
    bits
}

/// Decode a lossy block of integers (`decode_block` of `Int`); returns the bits read.
pub(crate) fn decode_block<I: Int>(
    r: &mut BitReader<'_>,
    (minbits, maxbits, maxprec): (u32, u32, u32),
    dims: usize,
    iblock: &mut [I],
) -> Result<u32, Truncated> {
    let mut u = [0u64; MAX_BLOCK];
    let u = u.get_mut(..block_size(dims)).unwrap_or_default();
    let mut bits = decode_ints(r, maxbits, maxprec, I::PREC, u)?;
    if bits < minbits {
        r.skip(u64::from(minbits - bits));
        bits = minbits;
    }
    inv_order(u, dims, iblock);
    transform(iblock, dims, inverse(dims), inv_lift);
    Ok(bits)
}

/// Encode a block of integers losslessly (`rev_encode_block` of `Int`).
pub(crate) fn rev_encode_block<I: Int>(
    w: &mut BitWriter,
    (minbits, maxbits, maxprec): (u32, u32, u32),
    dims: usize,
    iblock: &mut [I],
) -> u32 {
    transform(iblock, dims, forward(dims), rev_fwd_lift);
    let mut u = [0u64; MAX_BLOCK];
    let u = u.get_mut(..block_size(dims)).unwrap_or_default();
    fwd_order(iblock, dims, u);
    // Planes down to the lowest set bit of any coefficient.
    let all = u.iter().fold(0u64, |a, &v| a | v);
    let prec = if all == 0 {
        0
    } else {
        I::PREC - all.trailing_zeros()
    };
    let prec = prec.min(maxprec).max(1);
    w.bits(u64::from(prec - 1), I::PBITS);
    let mut bits = I::PBITS;
    bits += encode_ints(w, maxbits.wrapping_sub(bits), prec, I::PREC, u);
    if bits < minbits {
        w.pad(u64::from(minbits - bits));
        bits = minbits;
    }
    bits
}

/// Decode a lossless block of integers (`rev_decode_block` of `Int`).
pub(crate) fn rev_decode_block<I: Int>(
    r: &mut BitReader<'_>,
    (minbits, maxbits): (u32, u32),
    dims: usize,
    iblock: &mut [I],
) -> Result<u32, Truncated> {
    let mut bits = I::PBITS;
    let prec = r.bits(I::PBITS)? as u32 + 1;
    let mut u = [0u64; MAX_BLOCK];
    let u = u.get_mut(..block_size(dims)).unwrap_or_default();
    bits += decode_ints(r, maxbits.wrapping_sub(bits), prec, I::PREC, u)?;
    if bits < minbits {
        r.skip(u64::from(minbits - bits));
        bits = minbits;
    }
    inv_order(u, dims, iblock);
    transform(iblock, dims, inverse(dims), rev_inv_lift);
    Ok(bits)
}
